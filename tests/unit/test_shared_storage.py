"""Storage, typing and DTO rules for tables shared with other services (issue 14):

- a None field is omitted (an update REMOVEs it) unless it stores NULL (``Meta.store_none``,
  ``StoreNull()``, a default that is not None, an optional set); reads treat missing and NULL
  alike;
- a naive stored datetime is read in ``Meta.naive_datetime_zone`` (UTC when undeclared) and
  returned aware; ``create`` returns what a read of the stored item returns;
- DTOs may narrow ``str`` to ``Literal``; UpdateDTO defaults are refused;
- every failed cancellation reason carries an error;
- ``on_corrupt`` per ReadApi and per gateway.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel

from ddbwrap import (
    GSI,
    CancellationReason,
    ConditionFailedError,
    CorruptItemError,
    DomainModel,
    ModelDefinitionError,
    ServiceError,
    StoreNull,
    TableGateway,
    ThrottledError,
    TransactionCanceledError,
    ValidationError,
    codec_for,
)
from ddbwrap.expressions import Update
from ddbwrap.read import ReadApi, View
from ddbwrap.testing.scripted import ScriptedTransport, respond
from ddbwrap.tooling.json_schema import stored_json_schema
from ddbwrap.write import CreateDTO, UpdateDTO, create_plan, put_plan, update_plan

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


class Schedule(BaseModel):
    cron: str
    next_run: dt.datetime | None = None


class Ticket(DomainModel):
    ticket_id: str
    user_id: str | None = None  # a GSI may be added on it later
    note: str | None = None
    legacy: Annotated[str | None, StoreNull()] = None  # another service expects NULL here
    status: str = "open"
    priority: str | None = "normal"  # None would read back as "normal" if omitted: NULL
    labels: set[str] | None = None  # a missing set reads as empty: None is NULL
    assignee: str | None  # required, but may be None
    opened_at: dt.datetime | None = None
    schedule: Schedule | None = None
    history: list[dt.datetime] = []

    class Meta:
        table_name = "tickets"
        partition_key = "ticket_id"


class NullTicket(DomainModel):
    ticket_id: str
    note: str | None = None
    owner: str | None = None

    class Meta:
        table_name = "null_tickets"
        partition_key = "ticket_id"
        store_none = True
        gsis = [GSI("owner-index", partition_key="owner")]


class ParisEvent(DomainModel):
    event_id: str
    at: dt.datetime
    expires: dt.datetime | None = None

    class Meta:
        table_name = "events"
        partition_key = "event_id"
        naive_datetime_zone = "Europe/Paris"
        ttl_attribute = "expires"


class UtcEvent(DomainModel):
    event_id: str
    at: dt.datetime

    class Meta:
        table_name = "utc_events"
        partition_key = "event_id"


TICKETS = codec_for(Ticket)


def ticket(**values: Any) -> Ticket:
    return Ticket(ticket_id="t1", assignee=None, **values)


# --- None: omitted by default, NULL on request -------------------------------------------------


def test_a_none_field_is_omitted_by_default() -> None:
    item = TICKETS.encode(ticket())
    assert "user_id" not in item and "note" not in item and "assignee" not in item
    assert "opened_at" not in item and "schedule" not in item


def test_store_null_marks_one_field() -> None:
    assert TICKETS.encode(ticket())["legacy"] == {"NULL": True}


def test_a_field_whose_default_is_not_none_stores_its_none_as_null() -> None:
    item = TICKETS.encode(ticket(priority=None))
    assert item["priority"] == {"NULL": True}
    assert TICKETS.decode(item).priority is None  # not "normal"


def test_an_optional_set_stores_none_as_null_since_missing_means_empty() -> None:
    item = TICKETS.encode(ticket())
    assert item["labels"] == {"NULL": True}
    assert TICKETS.decode(item).labels is None
    assert TICKETS.decode({"ticket_id": {"S": "t1"}}).labels == set()


def test_meta_store_none_stores_every_none_as_null_except_index_keys() -> None:
    item = codec_for(NullTicket).encode(NullTicket(ticket_id="t1"))
    assert item == {"ticket_id": {"S": "t1"}, "note": {"NULL": True}}  # owner: a GSI key


def test_store_none_is_a_meta_option_of_the_schema() -> None:
    assert codec_for(NullTicket).schema.store_none
    assert not TICKETS.schema.store_none


def test_none_inside_nested_values_stays_null() -> None:
    item = TICKETS.encode(ticket(schedule=Schedule(cron="* * * * *")))
    assert item["schedule"] == {"M": {"cron": {"S": "* * * * *"}, "next_run": {"NULL": True}}}


def test_missing_and_null_read_alike() -> None:
    missing = TICKETS.decode({"ticket_id": {"S": "t1"}})
    nulls = {a: {"NULL": True} for a in ("user_id", "note", "status", "assignee", "history")}
    null = TICKETS.decode({"ticket_id": {"S": "t1"}, **nulls})
    assert missing == null
    assert (null.status, null.assignee, null.history) == ("open", None, [])  # defaults


def test_missing_and_null_read_alike_through_the_batch_decoder_and_views() -> None:
    class Summary(View[Ticket]):
        ticket_id: str
        status: str
        assignee: str | None

    decode = TICKETS.decoder()
    item: dict[str, Any] = {"ticket_id": {"S": "t1"}, "status": {"NULL": True}}
    assert decode(item) == TICKETS.decode(item) == TICKETS.decode({"ticket_id": {"S": "t1"}})
    view = TICKETS.decode_fields(
        Summary, item, Summary.__ddb_attributes__, Summary.__ddb_defaults__
    )
    assert (view.status, view.assignee) == ("open", None)


def test_null_in_a_required_field_is_still_corrupt() -> None:
    class Named(DomainModel):
        named_id: str
        name: str

        class Meta:
            table_name = "named"
            partition_key = "named_id"

    with pytest.raises(CorruptItemError):
        codec_for(Named).decode({"named_id": {"S": "n"}, "name": {"NULL": True}})


def test_an_update_dto_setting_none_removes_the_attribute() -> None:
    class Edit(UpdateDTO[Ticket]):
        note: str | None = None
        legacy: str | None = None

    plan = update_plan(Ticket, {"ticket_id": "t1"}, Edit(note=None, legacy=None), now=NOW)
    params = plan.main.params
    names = params["ExpressionAttributeNames"]
    assert "REMOVE" in params["UpdateExpression"]
    removed = params["UpdateExpression"].split("REMOVE ")[1].split(", ")
    assert [names[n] for n in removed] == ["note"]
    assert {"NULL": True} in params["ExpressionAttributeValues"].values()  # legacy: SET NULL


def test_update_builder_set_none_removes_unless_the_field_stores_null() -> None:
    plan = update_plan(Ticket, {"ticket_id": "t1"}, Update().set("note", None), now=NOW)
    assert plan.main.params["UpdateExpression"] == "REMOVE #n0"
    nulls = update_plan(NullTicket, {"ticket_id": "t1"}, Update().set("note", None), now=NOW)
    assert nulls.main.params["UpdateExpression"] == "SET #n0 = :v0"
    assert nulls.main.params["ExpressionAttributeValues"] == {":v0": {"NULL": True}}


def test_put_removes_the_none_fields() -> None:
    params = put_plan(Ticket, ticket(note=None, status="done"), now=NOW).main.params
    names = params["ExpressionAttributeNames"]
    removed = params["UpdateExpression"].split("REMOVE ")[1].split(", ")
    assert {"note", "user_id", "assignee"} <= {names[n] for n in removed}


# --- naive datetimes -------------------------------------------------------------------------


def test_a_naive_stored_datetime_is_read_as_utc_when_no_zone_is_declared() -> None:
    item: dict[str, Any] = {
        "ticket_id": {"S": "t1"},
        "opened_at": {"S": "2026-01-02T03:04:05"},
        "schedule": {"M": {"cron": {"S": "x"}, "next_run": {"S": "2026-01-02T03:04:05.5"}}},
        "history": {"L": [{"S": "2026-01-02T03:04:05"}, {"S": "2026-01-02T03:04:05Z"}]},
    }
    expected = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    for decoded in (TICKETS.decode(item), TICKETS.decoder()(item)):
        assert decoded.opened_at == expected and decoded.opened_at.tzinfo is not None
        assert decoded.schedule is not None and decoded.schedule.next_run is not None
        assert decoded.schedule.next_run.utcoffset() == dt.timedelta(0)
        assert decoded.history == [expected, expected]
        assert all(h.tzinfo is not None for h in decoded.history)


def test_a_naive_stored_datetime_is_read_in_the_declared_zone() -> None:
    decoded = codec_for(ParisEvent).decode(
        {"event_id": {"S": "e"}, "at": {"S": "2026-01-02T03:04:05"}}
    )
    assert decoded.at == dt.datetime(2026, 1, 2, 2, 4, 5, tzinfo=UTC)  # Paris is UTC+1


def test_offsets_written_by_other_services_are_kept() -> None:
    decoded = codec_for(UtcEvent).decode(
        {"event_id": {"S": "e"}, "at": {"S": "2026-01-02T03:04:05+02:00"}}
    )
    assert decoded.at == dt.datetime(2026, 1, 2, 1, 4, 5, tzinfo=UTC)


def test_a_naive_datetime_given_to_a_write_is_refused_when_no_zone_is_declared() -> None:
    with pytest.raises(ValidationError, match="naive datetime") as info:
        create_plan(UtcEvent, UtcEvent(event_id="e", at=dt.datetime(2026, 1, 2)), now=NOW)
    assert (info.value.model, info.value.field) == ("UtcEvent", "at")


def test_create_returns_what_a_read_of_the_stored_item_returns() -> None:
    naive = dt.datetime(2026, 1, 2, 3, 4, 5, 123456)
    event = ParisEvent(event_id="e", at=naive, expires=naive)
    plan = create_plan(ParisEvent, event, now=NOW)
    assert plan.item is not None
    read_back = codec_for(ParisEvent).decode(plan.main.params["Item"])
    assert plan.item == read_back
    assert plan.item.at.tzinfo is not None and plan.item.at.utcoffset() == dt.timedelta(0)
    assert plan.item.expires == dt.datetime(2026, 1, 2, 2, 4, 5, tzinfo=UTC)  # whole seconds


def test_create_of_an_aware_datetime_in_another_zone_returns_it_in_utc() -> None:
    paris = dt.timezone(dt.timedelta(hours=2))
    at = dt.datetime(2026, 6, 1, 12, 0, tzinfo=paris)
    plan = create_plan(UtcEvent, UtcEvent(event_id="e", at=at), now=NOW)
    assert plan.item is not None and plan.item.at == at
    assert plan.item.at.utcoffset() == dt.timedelta(0)


# --- DTOs ------------------------------------------------------------------------------------


def test_a_dto_may_narrow_str_to_a_literal() -> None:
    class SetStatus(UpdateDTO[Ticket]):
        status: Literal["open", "done"] | None = None

    class NewTicket(CreateDTO[Ticket]):
        ticket_id: str
        assignee: str | None
        status: Literal["open", "done"] = "open"

    assert SetStatus(status="done").changes() == {"status": "done"}
    with pytest.raises(Exception, match="literal"):
        SetStatus.model_validate({"status": "unknown"})
    assert stored_json_schema(SetStatus)["properties"]["status"]["anyOf"][0]["enum"] == [
        "open",
        "done",
    ]
    assert stored_json_schema(NewTicket)["properties"]["status"]["enum"] == ["open", "done"]


def test_a_literal_the_field_cannot_hold_is_refused() -> None:
    with pytest.raises(ModelDefinitionError, match="status"):

        class Wrong(UpdateDTO[Ticket]):
            status: Literal[1, 2] | None = None


def test_an_update_dto_default_is_refused_at_definition() -> None:
    with pytest.raises(ModelDefinitionError) as info:

        class Reopen(UpdateDTO[Ticket]):
            status: str = "open"

    error = info.value
    assert (error.model, error.field) == ("Reopen", "status")
    assert "never write" in error.message and "status: str | None = None" in error.message


def test_an_update_dto_default_factory_is_refused_but_none_is_fine() -> None:
    with pytest.raises(ModelDefinitionError, match="default_factory"):
        from pydantic import Field

        class Relabel(UpdateDTO[Ticket]):
            history: list[dt.datetime] = Field(default_factory=list)

    class Annotate(UpdateDTO[Ticket]):
        note: str | None = None

    assert Annotate().changes() == {}


# --- cancellation reasons ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("ConditionalCheckFailed", ConditionFailedError),
        ("ThrottlingError", ThrottledError),
        ("ValidationError", ValidationError),
        ("TransactionConflict", ServiceError),
    ],
)
def test_every_failed_reason_carries_an_error(code: str, error: type[Exception]) -> None:
    reasons = [CancellationReason(0, "None"), CancellationReason(1, code, message="why")]
    exc = TransactionCanceledError("cancelled", reasons)
    assert reasons[0].error is None
    (failed,) = exc.failed
    assert failed is reasons[1]
    assert isinstance(failed.error, error) and "why" in failed.error.message


# --- on_corrupt per ReadApi and per gateway --------------------------------------------------

CORRUPT_PAGE = {
    "Items": [
        {"ticket_id": {"S": "t1"}},
        {"ticket_id": {"S": "t2"}, "status": {"N": "5"}},  # another service's number
    ],
    "Count": 2,
    "ScannedCount": 2,
}


def scripted_gateway(**options: Any) -> tuple[TableGateway, ScriptedTransport]:
    transport = ScriptedTransport()
    return TableGateway(transport, **options), transport


def test_on_corrupt_defaults_to_raise() -> None:
    gateway, transport = scripted_gateway()
    transport.script("Query", respond(CORRUPT_PAGE))
    with pytest.raises(CorruptItemError):
        ReadApi[Ticket](gateway).query(ticket_id="t1")


def test_on_corrupt_per_read_api() -> None:
    gateway, transport = scripted_gateway()
    reads = ReadApi[Ticket](gateway, on_corrupt="skip")
    assert reads.on_corrupt == "skip"
    transport.script("Query", respond(CORRUPT_PAGE), respond(CORRUPT_PAGE))
    page = reads.query(ticket_id="t1")
    assert [t.ticket_id for t in page] == ["t1"]
    assert [e.key for e in page.corrupt] == [{"ticket_id": "t2"}]
    with pytest.raises(CorruptItemError):  # the call still decides
        reads.query(ticket_id="t1", on_corrupt="raise")


def test_on_corrupt_per_gateway_and_the_api_overrides_it() -> None:
    seen: list[CorruptItemError] = []
    gateway, transport = scripted_gateway(on_corrupt=seen.append)
    transport.script("Scan", respond(CORRUPT_PAGE), respond(CORRUPT_PAGE))
    assert [t.ticket_id for t in ReadApi[Ticket](gateway).scan()] == ["t1"]
    assert len(seen) == 1
    with pytest.raises(CorruptItemError):
        ReadApi[Ticket](gateway, on_corrupt="raise").scan()


def test_a_bad_on_corrupt_is_refused() -> None:
    gateway, _ = scripted_gateway()
    with pytest.raises(ValidationError, match="on_corrupt must be"):
        ReadApi[Ticket](gateway, on_corrupt="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="on_corrupt must be"):
        TableGateway(ScriptedTransport(), on_corrupt="quiet")  # type: ignore[arg-type]


def test_decimal_values_are_untouched_by_the_new_rules() -> None:
    class Money(DomainModel):
        money_id: str
        amount: Decimal | None = None

        class Meta:
            table_name = "money"
            partition_key = "money_id"

    codec = codec_for(Money)
    assert codec.decode(codec.encode(Money(money_id="m", amount=Decimal("1.50")))).amount == (
        Decimal("1.50")
    )


# --- empty sets inside untyped values -----------------------------------------------------------


class Bag(DomainModel):
    bag_id: str
    data: dict[str, Any] = {}
    typed: dict[str, set[str]] = {}

    class Meta:
        table_name = "bags"
        partition_key = "bag_id"


def test_an_empty_set_in_a_typed_map_reads_back_as_a_set() -> None:
    codec = codec_for(Bag)
    bag = Bag(bag_id="b", typed={"a": set()}, data={"full": {"x"}})
    assert codec.decode(codec.encode(bag)) == bag


def test_an_empty_set_inside_an_untyped_value_is_refused_on_every_write_path() -> None:
    codec = codec_for(Bag)
    with pytest.raises(ValidationError, match="empty set") as info:
        codec.encode(Bag(bag_id="b", data={"tags": set()}))
    assert (info.value.model, info.value.field) == ("Bag", "data")

    class Edit(UpdateDTO[Bag]):
        data: dict[str, Any] | None = None

    for changes in (
        Edit(data={"nested": [set()]}),
        Update().set("data", {"tags": set()}),
        Update().set("data.tags", set()),
    ):
        with pytest.raises(ValidationError, match="empty set"):
            update_plan(Bag, {"bag_id": "b"}, changes, now=NOW)


def test_stream_images_follow_the_same_rules() -> None:
    from ddbwrap.streams import StreamDecoder

    decoder = StreamDecoder()
    decoder.register(Ticket)
    image: dict[str, Any] = {
        "ticket_id": {"S": "t1"},
        "opened_at": {"S": "2026-01-02T03:04:05"},  # naive, written by another service
        "status": {"NULL": True},
        "assignee": {"NULL": True},
    }
    event = {
        "Records": [
            {
                "eventID": "1",
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "eventSourceARN": "arn:aws:dynamodb:us-west-2:123456789012:table/tickets/"
                "stream/2026-11-22T09:30:00.000",
                "dynamodb": {
                    "Keys": {"ticket_id": {"S": "t1"}},
                    "NewImage": image,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                    "SequenceNumber": "1",
                },
            }
        ]
    }
    (change,) = decoder.decode(event).changes
    assert change.new == TICKETS.decode(image)
    assert change.new.opened_at == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert (change.new.status, change.new.assignee) == ("open", None)
