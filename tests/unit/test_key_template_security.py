"""Key templates cannot be made to collide: a value holding one of its template's separators is
refused on every path that renders a key, before anything is sent, and an item read back with
another key than the one asked for is refused (``check_returned_key``).

With ``TENANT#{tenant_id}#USER#{user_id}``, ``tenant_id="acme", user_id="admin#USER#x"`` and
``tenant_id="acme#USER#admin", user_id="x"`` would both render ``TENANT#acme#USER#admin#USER#x``:
whoever controls one field could reach another tenant's item. The pure builders are checked
path by path; the public API once more with a client that records anything it would send.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, Literal

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ddbwrap import (
    GSI,
    DomainModel,
    ForeignItemError,
    KeyTemplate,
    KeyValueError,
    ModelDefinitionError,
    ValidationError,
)
from ddbwrap.codec import codec_for, render_key
from ddbwrap.expressions import Attr, Placeholders, Update, build_key_condition
from ddbwrap.gateway import TableGateway
from ddbwrap.keys import check_returned_key, expected_key_attributes, key_fields
from ddbwrap.model import schema_of
from ddbwrap.read import Get, ReadApi, begins_with, eq
from ddbwrap.read.requests import query_plan, wire_key
from ddbwrap.write import (
    CreateDTO,
    UpdateDTO,
    WriteApi,
    create_plan,
    delete_plan,
    put_plan,
    update_plan,
)
from ddbwrap.write.unique import guard_key

NOW = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
CRAFTED = "admin#USER#x"
"""A user id that, unchecked, renders tenant acme's key as if it were another user's."""


class Member(DomainModel):
    tenant_id: str
    user_id: str
    role: str = "viewer"
    org: str = "o1"
    team: str | None = None

    class Meta:
        table_name = "members"
        partition_key = KeyTemplate("pk", "TENANT#{tenant_id}#USER#{user_id}")
        gsis = [
            GSI(
                "team-index",
                partition_key=KeyTemplate("gsi1pk", "ORG#{org}#TEAM#{team}"),
                sort_key="user_id",
            )
        ]


class Document(DomainModel):
    tenant_id: str
    folder: str
    doc_id: str
    title: str = ""

    class Meta:
        table_name = "documents"
        partition_key = KeyTemplate("pk", "TENANT#{tenant_id}")
        sort_key = KeyTemplate("sk", "FOLDER#{folder}#DOC#{doc_id}")


class NewMember(CreateDTO[Member]):
    tenant_id: str
    user_id: str
    team: str | None = None


class MemberRole(UpdateDTO[Member]):
    role: str | None = None


class MemberTeam(UpdateDTO[Member]):
    org: str | None = None
    team: str | None = None


def member(**changes: Any) -> Member:
    return Member(**{"tenant_id": "acme", "user_id": "u1", **changes})


def key_of(model: type[DomainModel], **values: Any) -> dict[str, Any]:
    """The wire key a read would send, built as reads build it."""
    return wire_key(model, key_fields(model, schema_of(model).key_fields, None, values, "key"))


def condition_values(condition: Any, model: type[DomainModel]) -> dict[str, Any]:
    values: dict[str, Any] = condition.params(model)["ExpressionAttributeValues"]
    return values


# --- reads ----------------------------------------------------------------------------------


def test_get_key_with_a_separator_in_a_value_is_refused() -> None:
    with pytest.raises(KeyValueError):
        key_of(Member, tenant_id="acme", user_id=CRAFTED)


def test_the_two_colliding_value_sets_are_both_refused() -> None:
    for tenant, user in (("acme", CRAFTED), ("acme#USER#admin", "x")):
        with pytest.raises(KeyValueError):
            key_of(Member, tenant_id=tenant, user_id=user)


def test_transact_get_key_with_a_separator_is_refused() -> None:
    with pytest.raises(KeyValueError):
        Get(Member, tenant_id="acme", user_id=CRAFTED)


def test_query_partition_with_a_separator_is_refused() -> None:
    with pytest.raises(KeyValueError):
        query_plan(Document, {"tenant_id": "acme#x"})


def test_index_query_partition_with_a_separator_is_refused() -> None:
    with pytest.raises(KeyValueError):
        query_plan(Member, {"org": "o1", "team": "red#TEAM#blue"}, index="team-index")


def test_sort_key_equality_from_fields_with_a_separator_is_refused() -> None:
    with pytest.raises(KeyValueError):
        query_plan(Document, {"tenant_id": "acme", "folder": "inbox#DOC#d9", "doc_id": "d1"})


def test_begins_with_prefix_from_fields_ends_with_the_following_separator() -> None:
    plan = query_plan(Document, {"tenant_id": "acme"}, sort=begins_with({"folder": "inbox"}))
    assert plan.params["ExpressionAttributeValues"][":v1"] == {"S": "FOLDER#inbox#DOC#"}


def test_begins_with_prefix_value_with_a_separator_is_refused() -> None:
    with pytest.raises(KeyValueError):
        query_plan(Document, {"tenant_id": "acme"}, sort=begins_with({"folder": "inbox#DOC#"}))


def test_begins_with_prefix_takes_fields_from_the_left() -> None:
    with pytest.raises(ValidationError, match="takes its fields from the left") as info:
        query_plan(Document, {"tenant_id": "acme"}, sort=begins_with({"doc_id": "d1"}))
    assert info.value.field == "folder"


def test_begins_with_prefix_refuses_a_field_the_template_lacks() -> None:
    with pytest.raises(ValidationError, match="is not part of key template"):
        query_plan(Document, {"tenant_id": "acme"}, sort=begins_with({"title": "x"}))


def test_begins_with_text_that_no_key_starts_with_is_refused() -> None:
    with pytest.raises(KeyValueError):
        query_plan(Document, {"tenant_id": "acme"}, sort=begins_with("FOLDER#a#DOC#b#c"))


def test_begins_with_text_cut_anywhere_in_a_key_is_accepted() -> None:
    for prefix in ("F", "FOLDER#in", "FOLDER#inbox#DO", "FOLDER#inbox#DOC#d"):
        plan = query_plan(Document, {"tenant_id": "acme"}, sort=begins_with(prefix))
        assert plan.params["ExpressionAttributeValues"][":v1"] == {"S": prefix}


def test_key_condition_text_that_the_template_cannot_render_is_refused() -> None:
    schema = schema_of(Document)
    with pytest.raises(KeyValueError):
        build_key_condition(schema, None, "TENANT#acme#USER#x", None, Placeholders())


def test_sort_equality_text_that_the_template_cannot_render_is_refused() -> None:
    schema = schema_of(Document)
    with pytest.raises(KeyValueError):
        build_key_condition(schema, None, "TENANT#acme", eq("FOLDER#a#DOC#b#DOC#c"), Placeholders())


# --- writes ---------------------------------------------------------------------------------


def test_create_of_an_item_with_a_separator_in_its_key_is_refused() -> None:
    with pytest.raises(KeyValueError):
        create_plan(Member, member(user_id=CRAFTED), now=NOW)


def test_create_from_a_dto_with_a_separator_in_its_key_is_refused() -> None:
    with pytest.raises(KeyValueError):
        create_plan(Member, NewMember(tenant_id="acme#USER#admin", user_id="x"), now=NOW)


def test_put_of_an_item_with_a_separator_in_its_key_is_refused() -> None:
    with pytest.raises(KeyValueError):
        put_plan(Member, member(tenant_id="acme#USER#admin", user_id="x"), now=NOW)


def test_update_key_with_a_separator_is_refused() -> None:
    with pytest.raises(KeyValueError):
        update_plan(
            Member, {"tenant_id": "acme", "user_id": CRAFTED}, MemberRole(role="admin"), now=NOW
        )


def test_delete_key_with_a_separator_is_refused() -> None:
    with pytest.raises(KeyValueError):
        delete_plan(Member, {"tenant_id": "acme", "user_id": CRAFTED})


def test_index_key_stored_on_create_refuses_a_separator() -> None:
    with pytest.raises(KeyValueError) as info:
        create_plan(Member, member(team="red#TEAM#blue"), now=NOW)
    assert (info.value.field, info.value.attribute) == ("team", "gsi1pk")


def test_index_key_rebuilt_by_an_update_refuses_a_separator() -> None:
    key = {"tenant_id": "acme", "user_id": "u1"}
    with pytest.raises(KeyValueError):
        update_plan(Member, key, MemberTeam(org="o1", team="red#TEAM#blue"), now=NOW)


def test_update_builder_cannot_set_a_composite_key_attribute() -> None:
    key = {"tenant_id": "acme", "user_id": "u1"}
    with pytest.raises(ValidationError, match="rendered from org, team by key template"):
        update_plan(Member, key, Update().set("gsi1pk", "ORG#other#TEAM#red"), now=NOW)


# --- conditions -----------------------------------------------------------------------------


def test_condition_on_a_composite_attribute_renders_a_mapping() -> None:
    condition = Attr("gsi1pk") == {"org": "o1", "team": "red"}
    assert condition_values(condition, Member) == {":v0": {"S": "ORG#o1#TEAM#red"}}


def test_condition_on_a_composite_attribute_refuses_a_separator() -> None:
    with pytest.raises(KeyValueError):
        (Attr("gsi1pk") == {"org": "o1", "team": "red#TEAM#blue"}).params(Member)


def test_condition_prefix_on_a_composite_attribute_ends_with_the_separator() -> None:
    condition = Attr("gsi1pk").begins_with({"org": "o1"})
    assert condition_values(condition, Member) == {":v0": {"S": "ORG#o1#TEAM#"}}


def test_condition_text_on_a_composite_attribute_must_be_a_key() -> None:
    with pytest.raises(KeyValueError):
        (Attr("pk") == "TENANT#acme#USER#admin#USER#x").params(Member)


def test_write_condition_on_a_composite_attribute_refuses_a_separator() -> None:
    condition = Attr("gsi1pk") == {"org": "o1", "team": "red#TEAM#blue"}
    with pytest.raises(KeyValueError):
        update_plan(
            Member,
            {"tenant_id": "acme", "user_id": "u1"},
            MemberRole(role="admin"),
            now=NOW,
            condition=condition,
        )


# --- the error ------------------------------------------------------------------------------


def test_error_names_model_field_and_separator_but_not_the_value() -> None:
    secret = "ada.lovelace@example.com#USER#x"
    with pytest.raises(KeyValueError) as info:
        key_of(Member, tenant_id="acme", user_id=secret)
    error = info.value
    assert (error.model, error.field, error.attribute) == ("Member", "user_id", "pk")
    assert error.template == "TENANT#{tenant_id}#USER#{user_id}"
    assert "may not contain '#'" in str(error)
    for text in (str(error), repr(error), *map(str, error.args)):
        assert "ada.lovelace" not in text


def test_error_is_a_validation_error_with_its_own_code() -> None:
    with pytest.raises(ValidationError) as info:
        key_of(Member, tenant_id="acme", user_id=CRAFTED)
    assert info.value.code == "ddbwrap.validation.key_value"


def test_key_text_error_does_not_repeat_the_text() -> None:
    with pytest.raises(KeyValueError) as info:
        (Attr("pk") == "TENANT#acme#USER#secret#USER#x").params(Member)
    assert "secret" not in str(info.value)


# --- ordinary values ------------------------------------------------------------------------


def test_ordinary_values_render_as_before() -> None:
    assert key_of(Member, tenant_id="acme", user_id="u-1.b@x") == {
        "pk": {"S": "TENANT#acme#USER#u-1.b@x"}
    }


def test_ordinary_index_key_is_stored_on_create() -> None:
    plan = create_plan(Member, member(team="red"), now=NOW)
    assert plan.main.params["Item"]["gsi1pk"] == {"S": "ORG#o1#TEAM#red"}


def test_ordinary_begins_with_from_every_field_is_the_whole_key() -> None:
    sort = begins_with({"folder": "inbox", "doc_id": "d1"})
    plan = query_plan(Document, {"tenant_id": "acme"}, sort=sort)
    assert plan.params["ExpressionAttributeValues"][":v1"] == {"S": "FOLDER#inbox#DOC#d1"}


def test_empty_value_in_a_template_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match="cannot be empty") as info:
        render_key(Member.Meta.partition_key, {"tenant_id": "acme", "user_id": ""}, model="M")
    assert info.value.field == "user_id"


PARTS = st.text(alphabet="aU#SER-x", min_size=1, max_size=10)
"""Values made of the template's own letters and separator, so that collisions are tried."""


@given(st.tuples(PARTS, PARTS), st.tuples(PARTS, PARTS))
def test_two_different_value_sets_never_render_one_key(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    template = Member.Meta.partition_key

    def render(pair: tuple[str, str]) -> str | None:
        try:
            return render_key(template, {"tenant_id": pair[0], "user_id": pair[1]}, model="M")
        except KeyValueError:
            return None

    a, b = render(first), render(second)
    if a is not None and a == b:
        assert first == second


@given(st.text(alphabet="ab#", min_size=1, max_size=6), st.text(min_size=1, max_size=6))
def test_guard_keys_of_different_fields_or_values_never_collide(one: str, two: str) -> None:
    schema = schema_of(Member)
    assert guard_key(schema, "email", {"S": one}) != guard_key(schema, "handle", {"S": two})
    if one != two:
        assert guard_key(schema, "email", {"S": one}) != guard_key(schema, "email", {"S": two})


# --- the template's declaration -------------------------------------------------------------


def define(pattern: str, **annotations: Any) -> None:
    """``class Declared(DomainModel)`` with a GSI keyed by ``KeyTemplate("g", pattern)``."""
    gsis = [GSI("by-x", partition_key=KeyTemplate("g", pattern))]
    meta = type(
        "Meta",
        (),
        {"__qualname__": "Declared.Meta", "__module__": __name__, "table_name": "t",
         "partition_key": "item_id", "gsis": gsis},
    )  # fmt: skip
    namespace: dict[str, Any] = {
        "__annotations__": {"item_id": str, **annotations},
        "__module__": __name__,
        "__qualname__": "Declared",
        "Meta": meta,
    }
    metaclass: Any = type(DomainModel)
    metaclass("Declared", (DomainModel,), namespace)


@pytest.mark.parametrize("pattern", ["A#{a}{b}", "A#{a}X{b}", "{a}USER{b}"])
def test_fields_without_a_separator_between_them_are_refused(pattern: str) -> None:
    with pytest.raises(ModelDefinitionError, match="separate the fields with punctuation"):
        define(pattern, a=str, b=str)


def test_a_format_spec_in_a_template_is_refused() -> None:
    with pytest.raises(ModelDefinitionError, match="formats a field"):
        define("A#{a:>5}", a=str)


class Shade(str, enum.Enum):
    LIGHT = "light"
    DARK = "dark#2"


@pytest.mark.parametrize("kind", [Shade, Literal["a", "b#c"]], ids=["enum", "literal"])
def test_a_declared_value_holding_a_separator_is_refused(kind: Any) -> None:
    with pytest.raises(ModelDefinitionError, match="contains one"):
        define("S#{a}", a=kind)


@pytest.mark.parametrize("kind", [dt.date, dt.datetime], ids=["date", "datetime"])
def test_a_type_that_always_renders_a_separator_is_refused(kind: Any) -> None:
    with pytest.raises(ModelDefinitionError, match="always renders with '-'"):
        define("D-{a}", a=kind)


def test_dates_and_numbers_are_fine_with_another_separator() -> None:
    define("D#{a}#{n}#{b}", a=dt.date, n=Decimal, b=bool)


def test_negative_number_is_refused_where_dash_separates() -> None:
    class Reading(DomainModel):
        sensor: str
        level: int

        class Meta:
            table_name = "readings"
            partition_key = KeyTemplate("pk", "S-{sensor}-L-{level}")

    assert key_of(Reading, sensor="s1", level=3) == {"pk": {"S": "S-s1-L-3"}}
    with pytest.raises(KeyValueError):
        key_of(Reading, sensor="s1", level=-3)


# --- check_returned_key ---------------------------------------------------------------------


def stored(model: DomainModel) -> dict[str, Any]:
    return codec_for(type(model)).encode(model)


def test_returned_item_with_the_asked_key_passes() -> None:
    check_returned_key(Member, {"tenant_id": "acme", "user_id": "u1"}, stored(member()))


def test_returned_item_with_another_key_is_foreign() -> None:
    wanted = key_of(Member, tenant_id="acme", user_id="u1")
    with pytest.raises(ForeignItemError) as info:
        check_returned_key(Member, wanted, stored(member(tenant_id="other")))
    assert info.value.attributes == ["pk"]


def test_returned_item_whose_fields_disagree_with_its_key_is_foreign() -> None:
    item = stored(member(tenant_id="other"))
    item["pk"] = {"S": "TENANT#acme#USER#u1"}  # the asked key over another tenant's fields
    with pytest.raises(ForeignItemError) as info:
        check_returned_key(Member, {"tenant_id": "acme", "user_id": "u1"}, item)
    assert info.value.attributes == ["tenant_id"]


def test_returned_item_without_its_key_attribute_is_foreign() -> None:
    item = stored(member())
    del item["pk"]
    with pytest.raises(ForeignItemError):
        check_returned_key(Member, {"tenant_id": "acme", "user_id": "u1"}, item)


def test_returned_item_missing_a_field_a_view_left_out_passes() -> None:
    item = stored(member())
    del item["tenant_id"]  # not projected by a view; its key attribute still is
    check_returned_key(Member, {"tenant_id": "acme", "user_id": "u1"}, item)


def test_returned_numbers_compare_by_value() -> None:
    class Reading(DomainModel):
        sensor: str
        at: Decimal

        class Meta:
            table_name = "readings"
            partition_key = "sensor"
            sort_key = "at"

    item = {"sensor": {"S": "s1"}, "at": {"N": "1.5"}}
    check_returned_key(Reading, {"sensor": {"S": "s1"}, "at": {"N": "1.50"}}, item)


def test_index_query_items_are_checked_against_the_index_partition() -> None:
    expected = expected_key_attributes(Member, {"org": "o1", "team": "red"}, index="team-index")
    check_returned_key(Member, expected, stored(member(team="red")), index="team-index")
    with pytest.raises(ForeignItemError) as info:
        check_returned_key(Member, expected, stored(member(team="blue")), index="team-index")
    assert info.value.attributes == ["team", "gsi1pk"]


def test_foreign_item_error_names_attributes_not_values() -> None:
    wanted = key_of(Member, tenant_id="acme", user_id="u1")
    with pytest.raises(ForeignItemError) as info:
        check_returned_key(Member, wanted, stored(member(tenant_id="secret-tenant")))
    assert "secret-tenant" not in str(info.value)
    assert "acme" not in str(info.value)


def test_transact_get_refuses_a_foreign_item(
    gateway: TableGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    foreign = stored(member(tenant_id="other"))
    monkeypatch.setattr(gateway, "transact_get", lambda actions: {"Responses": [{"Item": foreign}]})
    from ddbwrap.read import transact_get

    with pytest.raises(ForeignItemError):
        transact_get(gateway, [Get(Member, tenant_id="acme", user_id="u1")])


# --- through the public API: nothing is sent ------------------------------------------------


class SentError(Exception):
    """Raised by the recording client instead of sending anything."""


@pytest.fixture
def sent() -> list[str]:
    return []


@pytest.fixture
def gateway(sent: list[str]) -> Iterator[TableGateway]:
    """A gateway whose client records (and stops) any request it is about to send."""
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )

    def record(request: Any, **_: Any) -> None:
        sent.append(str(request.url))
        raise SentError

    client.meta.events.register("before-send.dynamodb", record)
    yield TableGateway(client)


CALLS: dict[str, Callable[[TableGateway], object]] = {
    "get": lambda g: ReadApi[Member](g).get(tenant_id="acme", user_id=CRAFTED),
    "require": lambda g: ReadApi[Member](g).require(tenant_id="acme#USER#admin", user_id="x"),
    "batch_get": lambda g: ReadApi[Member](g).batch_get(
        [{"tenant_id": "acme", "user_id": "u1"}, {"tenant_id": "acme", "user_id": CRAFTED}]
    ),
    "query": lambda g: ReadApi[Document](g).query(tenant_id="acme#x"),
    "query_prefix": lambda g: ReadApi[Document](g).query(
        tenant_id="acme", sort=begins_with({"folder": "a#DOC#b"})
    ),
    "query_filter": lambda g: ReadApi[Member](g).query(
        index="team-index",
        org="o1",
        team="red",
        filter=Attr("gsi1pk") == {"org": "o#x", "team": "red"},
    ),
    "create": lambda g: WriteApi[Member](g).create(member(user_id=CRAFTED)),
    "create_index_key": lambda g: WriteApi[Member](g).create(member(team="a#TEAM#b")),
    "put": lambda g: WriteApi[Member](g).put(member(user_id=CRAFTED)),
    "update": lambda g: WriteApi[Member](g).update(
        {"tenant_id": "acme", "user_id": CRAFTED}, MemberRole(role="admin")
    ),
    "delete": lambda g: WriteApi[Member](g).delete({"tenant_id": "acme", "user_id": CRAFTED}),
}


@pytest.mark.parametrize("call", list(CALLS.values()), ids=list(CALLS))
def test_public_api_refuses_a_crafted_key_and_sends_nothing(
    call: Callable[[TableGateway], object], gateway: TableGateway, sent: list[str]
) -> None:
    with pytest.raises(KeyValueError):
        call(gateway)
    assert sent == []
