"""``Projection``: the requests it sends (conditioned on the stored sequence number), tombstones,
and its checks; the behaviour on a real table is in tests/integration/test_streams_local.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from tests.fixtures.streams.models import CREATED, Goal, Order

from ddbwrap import DomainModel, TableGateway
from ddbwrap.errors import ModelDefinitionError, ValidationError
from ddbwrap.streams import Change, Projection
from ddbwrap.streams.projection import sequence_text
from ddbwrap.testing import ScriptedTransport
from ddbwrap.testing.scripted import error, respond


class Card(DomainModel):
    goal_id: str
    title: str
    progress: Decimal = Decimal("0")

    class Meta:
        table_name = "goal_cards"
        partition_key = "goal_id"


class ExpiringCard(DomainModel):
    goal_id: str
    title: str
    expires: dt.datetime | None = None

    class Meta:
        table_name = "expiring_cards"
        partition_key = "goal_id"
        ttl_attribute = "expires"


def card(goal: Goal) -> Card | None:
    if goal.title == "secret":
        return None
    return Card(goal_id=goal.goal_id, title=goal.title, progress=goal.progress)


def goal(title: str = "Ship") -> Goal:
    return Goal(
        goal_id="g1", tenant_id="t", title=title, email="a@x", created_at=CREATED, version=1
    )


def change(kind: str, sequence: str, new: Goal | None = None, old: Goal | None = None) -> Any:
    return Change(
        kind=kind,  # type: ignore[arg-type]
        model=Goal,
        table="stream_goals",
        keys={"goal_id": "g1"},
        old=old,
        new=new,
        sequence_number=sequence,
        approximate_creation_time=None,
    )


def setup(*outcomes: tuple[str, Any]) -> tuple[ScriptedTransport, TableGateway]:
    transport = ScriptedTransport()
    for operation, outcome in outcomes:
        transport.script(operation, outcome)
    return transport, TableGateway(transport, table_prefix="p-")


def test_sequence_numbers_are_padded_so_text_order_is_number_order() -> None:
    assert sequence_text("111") == "0" * 37 + "111"
    assert sequence_text("9") < sequence_text("10") < sequence_text("000000000000000000011")
    assert len(sequence_text("1" * 40)) == 40
    with pytest.raises(ValidationError, match="Kinesis"):
        sequence_text("4" * 56)
    with pytest.raises(ValidationError, match="digits"):
        sequence_text("12a")


def test_an_insert_is_a_put_conditioned_on_the_stored_sequence_number() -> None:
    transport, gateway = setup(("PutItem", respond({})))
    cards = Projection(gateway, Goal, Card, card)
    assert cards.apply(change("insert", "000000000000000000004", new=goal())) == "written"
    (call,) = transport.calls
    params = call.params
    assert params["TableName"] == "p-goal_cards"
    assert params["Item"] == {
        "goal_id": {"S": "g1"},
        "title": {"S": "Ship"},
        "progress": {"N": "0"},
        "_ddbwrap_seq": {"S": "4".zfill(40)},
    }
    assert params["ConditionExpression"] == "attribute_not_exists(#n0) OR #n0 < :v0"
    assert params["ExpressionAttributeNames"] == {"#n0": "_ddbwrap_seq"}
    assert params["ExpressionAttributeValues"] == {":v0": {"S": "4".zfill(40)}}


def test_a_record_the_item_already_reflects_is_stale() -> None:
    _, gateway = setup(("PutItem", error("ConditionalCheckFailedException")))
    cards = Projection(gateway, Goal, Card, card)
    assert cards.apply(change("modify", "5", new=goal(), old=goal())) == "stale"


def test_a_remove_leaves_a_tombstone() -> None:
    transport, gateway = setup(("PutItem", respond({})))
    cards = Projection(gateway, Goal, Card, card)
    assert cards.apply(change("remove", "7", old=goal())) == "tombstoned"
    assert transport.calls[0].params["Item"] == {
        "goal_id": {"S": "g1"},
        "_ddbwrap_seq": {"S": "7".zfill(40)},
        "_ddbwrap_deleted": {"BOOL": True},
    }


def test_a_tombstone_expires_when_the_read_model_has_a_ttl() -> None:
    transport, gateway = setup(("PutItem", respond({})))
    cards = Projection(
        gateway,
        Goal,
        ExpiringCard,
        lambda g: ExpiringCard(goal_id=g.goal_id, title=g.title),
        tombstone_ttl=dt.timedelta(hours=1),
    )
    cards.apply(change("remove", "7"))
    expires = int(transport.calls[0].params["Item"]["expires"]["N"])
    now = dt.datetime.now(dt.timezone.utc).timestamp()
    assert now + 3500 < expires < now + 3700


def test_an_item_projected_to_none_is_removed() -> None:
    transport, gateway = setup(("DeleteItem", respond({})))
    cards = Projection(gateway, Goal, Card, card, on_remove="delete")
    assert cards.apply(change("modify", "8", new=goal("secret"))) == "deleted"
    params = transport.calls[0].params
    assert params["Key"] == {"goal_id": {"S": "g1"}}
    assert params["ConditionExpression"] == "attribute_not_exists(#n0) OR #n0 < :v0"


def test_get_reads_a_tombstone_as_none() -> None:
    tombstone = {
        "goal_id": {"S": "g1"},
        "_ddbwrap_seq": {"S": "7"},
        "_ddbwrap_deleted": {"BOOL": True},
    }
    item = {"goal_id": {"S": "g1"}, "title": {"S": "Ship"}, "_ddbwrap_seq": {"S": "0009"}}
    transport, gateway = setup(
        ("GetItem", respond({"Item": tombstone})),
        ("GetItem", respond({"Item": item})),
        ("GetItem", respond({})),
    )
    cards = Projection(gateway, Goal, Card, card)
    assert cards.get(goal_id="g1") is None
    assert cards.get({"goal_id": "g1"}) == Card(goal_id="g1", title="Ship")
    assert cards.get(goal_id="g1") is None
    assert transport.calls[0].params["ConsistentRead"] is True
    assert cards.is_tombstone(tombstone) and not cards.is_tombstone(item)
    assert cards.sequence_of(item) == "9" and cards.sequence_of({}) is None


def test_what_cannot_be_projected() -> None:
    _, gateway = setup()
    cards = Projection(gateway, Goal, Card, card)
    with pytest.raises(ValidationError, match="new image"):
        cards.apply(change("insert", "1"))
    wrong = change("insert", "1", new=goal())
    object.__setattr__(wrong, "model", Order)
    with pytest.raises(ValidationError, match="reads Goal changes"):
        cards.apply(wrong)
    other_key = Projection(gateway, Goal, Card, lambda g: Card(goal_id="other", title=g.title))
    with pytest.raises(ValidationError, match="key differs"):
        other_key.apply(change("insert", "1", new=goal()))


def test_the_read_model_key_must_come_from_the_source_key() -> None:
    _, gateway = setup()

    class ByTitle(DomainModel):
        title: str

        class Meta:
            table_name = "by_title"
            partition_key = "title"

    with pytest.raises(ValidationError, match="key="):
        Projection(gateway, Goal, ByTitle, lambda g: ByTitle(title=g.title))
    Projection(gateway, Goal, ByTitle, lambda g: None, key=lambda keys: {"title": keys["goal_id"]})
    with pytest.raises(ValidationError, match="sequence_attribute"):
        Projection(gateway, Goal, Card, card, sequence_attribute="title")
    with pytest.raises(ValidationError, match="on_remove"):
        Projection(gateway, Goal, Card, card, on_remove="forget")  # type: ignore[arg-type]
    with pytest.raises(ModelDefinitionError):
        Projection(gateway, Goal, dict, card)  # type: ignore[type-var]
