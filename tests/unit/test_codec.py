"""The codec: exact AttributeValues for every supported type, keys, refusals, sizes."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from ddbwrap import (
    GSI,
    CorruptItemError,
    DomainModel,
    ItemCodec,
    ItemTooLargeError,
    KeyTemplate,
    ValidationError,
    codec_for,
)
from ddbwrap.codec import (
    MAX_DEPTH,
    MAX_ITEM_BYTES,
    datetime_text,
    decode_value,
    encode_key_value,
    encode_value,
    item_size,
    key_description,
    key_text,
    number_size,
    size_upper_bound,
)

UTC = dt.timezone.utc
PLUS_2 = dt.timezone(dt.timedelta(hours=2))


class Color(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Inner(BaseModel):
    label: str = Field(alias="lbl")
    weight: Decimal = Decimal(0)


def holder(annotation: Any, **meta: Any) -> type[DomainModel]:
    """A one-field table model ``Holder(pk: str, v: annotation)``."""
    meta_class = type(
        "Meta",
        (),
        {"__qualname__": "Holder.Meta", "table_name": "holders", "partition_key": "pk", **meta},
    )
    namespace = {
        "__annotations__": {"pk": str, "v": annotation},
        "__module__": __name__,
        "__qualname__": "Holder",
        "Meta": meta_class,
    }
    metaclass: Any = type(DomainModel)  # pydantic\'s
    model = metaclass("Holder", (DomainModel,), namespace)
    return cast("type[DomainModel]", model)


def canonical(av: Any) -> Any:
    """An AttributeValue with set members sorted, so sets compare regardless of order."""
    if isinstance(av, dict):
        return {
            tag: sorted(raw) if tag in ("SS", "NS", "BS") else canonical(raw)
            for tag, raw in av.items()
        }
    if isinstance(av, list):
        return [canonical(v) for v in av]
    return av


@dataclass(frozen=True)
class Case:
    annotation: Any
    value: Any
    stored: dict[str, Any]


ENCODINGS: dict[str, Case] = {
    "str": Case(str, "héllo wörld ✓", {"S": "héllo wörld ✓"}),
    "str-empty": Case(str, "", {"S": ""}),
    "int": Case(int, 42, {"N": "42"}),
    "int-negative": Case(int, -7, {"N": "-7"}),
    "int-38-digits": Case(int, 10**38 - 1, {"N": "9" * 38}),
    "int-beyond-10e38-with-38-significant-digits": Case(
        int, 12345 * 10**100, {"N": "12345" + "0" * 100}
    ),
    "decimal": Case(Decimal, Decimal("1250.75"), {"N": "1250.75"}),
    "decimal-38-digits-tiny": Case(
        Decimal,
        Decimal("1.2345678901234567890123456789012345678E-100"),
        {"N": "1.2345678901234567890123456789012345678E-100"},
    ),
    "decimal-largest": Case(
        Decimal,
        Decimal("9.9999999999999999999999999999999999999E+125"),
        {"N": "9.9999999999999999999999999999999999999E+125"},
    ),
    "decimal-smallest": Case(Decimal, Decimal("1E-130"), {"N": "1E-130"}),
    "decimal-negative-zero": Case(Decimal, Decimal("-0.00"), {"N": "0"}),
    "float-shortest-repr": Case(float, 0.1, {"N": "0.1"}),
    "float-third": Case(float, 1 / 3, {"N": "0.3333333333333333"}),
    "float-large-exponent": Case(float, 1e16, {"N": "1e+16"}),
    "float-small-exponent": Case(float, 1e-05, {"N": "1e-05"}),
    "float-negative": Case(float, -2.5, {"N": "-2.5"}),
    "bool-true": Case(bool, True, {"BOOL": True}),
    "bool-false": Case(bool, False, {"BOOL": False}),
    "none": Case(int | None, None, {"NULL": True}),
    "bytes": Case(bytes, b"\x00\xffdata", {"B": b"\x00\xffdata"}),
    "bytes-empty": Case(bytes, b"", {"B": b""}),
    "datetime-utc": Case(
        dt.datetime,
        dt.datetime(2026, 11, 22, 0, 21, 25, tzinfo=UTC),
        {"S": "2026-11-22T00:21:25.000000Z"},
    ),
    "datetime-offset-converted-to-utc": Case(
        dt.datetime,
        dt.datetime(2026, 1, 1, 1, 30, 0, 123, tzinfo=PLUS_2),
        {"S": "2025-12-31T23:30:00.000123Z"},
    ),
    "datetime-iana-zone-converted-to-utc": Case(
        dt.datetime,
        dt.datetime(2026, 7, 4, 12, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
        {"S": "2026-07-04T16:00:00.000000Z"},
    ),
    "datetime-year-1": Case(
        dt.datetime, dt.datetime(1, 1, 1, tzinfo=UTC), {"S": "0001-01-01T00:00:00.000000Z"}
    ),
    "date": Case(dt.date, dt.date(2026, 2, 28), {"S": "2026-02-28"}),
    "time": Case(dt.time, dt.time(12, 30, 5), {"S": "12:30:05"}),
    "time-fixed-offset": Case(
        dt.time, dt.time(12, 30, 5, 7, tzinfo=PLUS_2), {"S": "12:30:05.000007+02:00"}
    ),
    "uuid": Case(
        uuid.UUID,
        uuid.UUID("12345678-1234-5678-1234-567812345678"),
        {"S": "12345678-1234-5678-1234-567812345678"},
    ),
    "enum-str": Case(Color, Color.BLUE, {"S": "blue"}),
    "enum-int": Case(Level, Level.HIGH, {"N": "2"}),
    "literal-str": Case(Literal["draft", "live"], "live", {"S": "live"}),
    "literal-int": Case(Literal[1, 2, 3], 3, {"N": "3"}),
    "list": Case(list[int], [1, 2, 3], {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]}),
    "list-empty": Case(list[str], [], {"L": []}),
    "list-with-none": Case(list[int | None], [1, None], {"L": [{"N": "1"}, {"NULL": True}]}),
    "tuple": Case(tuple[int, str], (1, "a"), {"L": [{"N": "1"}, {"S": "a"}]}),
    "dict": Case(dict[str, int], {"a": 1, "b": 2}, {"M": {"a": {"N": "1"}, "b": {"N": "2"}}}),
    "dict-enum-keys": Case(dict[Color, int], {Color.RED: 1}, {"M": {"red": {"N": "1"}}}),
    "dict-empty": Case(dict[str, int], {}, {"M": {}}),
    "nested-model-uses-aliases": Case(
        Inner,
        Inner(lbl="x", weight=Decimal("2.5")),
        {"M": {"lbl": {"S": "x"}, "weight": {"N": "2.5"}}},
    ),
    "list-of-nested-models": Case(
        list[Inner],
        [Inner(lbl="a"), Inner(lbl="b")],
        {
            "L": [
                {"M": {"lbl": {"S": "a"}, "weight": {"N": "0"}}},
                {"M": {"lbl": {"S": "b"}, "weight": {"N": "0"}}},
            ]
        },
    ),
    "set-str": Case(set[str], {"b", "a"}, {"SS": ["a", "b"]}),
    "set-int": Case(set[int], {3, 10**50}, {"NS": ["3", "1" + "0" * 50]}),
    "set-decimal": Case(set[Decimal], {Decimal("1.5"), Decimal("-2")}, {"NS": ["-2", "1.5"]}),
    "set-float": Case(set[float], {0.5, 1e16}, {"NS": ["0.5", "1e+16"]}),
    "set-bytes": Case(set[bytes], {b"\x01", b"\x02"}, {"BS": [b"\x01", b"\x02"]}),
    "set-str-enum": Case(set[Color], {Color.RED}, {"SS": ["red"]}),
    "frozenset-str": Case(frozenset[str], frozenset({"x"}), {"SS": ["x"]}),
}


@pytest.mark.parametrize("case", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_value_encodes_to_the_expected_attribute_value(case: Case) -> None:
    assert canonical(encode_value(case.value)) == canonical(case.stored)


@pytest.mark.parametrize("case", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_field_is_stored_as_the_expected_attribute_value(case: Case) -> None:
    # a None field is omitted by default (tests/unit/test_shared_storage.py); NULL on request
    model = holder(case.annotation, **({"store_none": True} if case.value is None else {}))
    item = ItemCodec(model).encode(model(pk="k", v=case.value))
    assert canonical(item) == {"pk": {"S": "k"}, "v": canonical(case.stored)}


@pytest.mark.parametrize("case", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_stored_attribute_value_decodes_back_to_the_value(case: Case) -> None:
    model = holder(case.annotation)
    decoded = ItemCodec(model).decode({"pk": {"S": "k"}, "v": case.stored})
    assert decoded.v == case.value  # type: ignore[attr-defined]
    assert type(decoded.v) is type(case.value)  # type: ignore[attr-defined]


def test_datetime_decodes_to_the_same_instant_in_utc() -> None:
    model = holder(dt.datetime)
    codec = ItemCodec(model)
    original = dt.datetime(2026, 1, 1, 1, 30, tzinfo=PLUS_2)
    decoded = codec.decode(codec.encode(model(pk="k", v=original))).v  # type: ignore[attr-defined]
    assert decoded == original
    assert decoded.utcoffset() == dt.timedelta(0)


def test_datetime_text_is_fixed_width() -> None:
    texts = {
        datetime_text(dt.datetime(1, 1, 1, tzinfo=UTC)),
        datetime_text(dt.datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)),
        datetime_text(dt.datetime(2026, 6, 1, tzinfo=PLUS_2)),
    }
    assert {len(t) for t in texts} == {len("2026-11-22T00:21:25.000000Z")}
    assert all(t.endswith("Z") for t in texts)


aware_datetimes = st.datetimes(
    min_value=dt.datetime(2, 1, 1),
    max_value=dt.datetime(9998, 12, 31),
    timezones=st.one_of(
        st.timezones(),
        st.builds(dt.timezone, st.timedeltas(dt.timedelta(hours=-23.9), dt.timedelta(hours=23.9))),
    ),
)


@given(aware_datetimes)
def test_datetime_text_is_the_utc_instant(value: dt.datetime) -> None:
    utc = value.astimezone(UTC).replace(tzinfo=None)
    assert datetime_text(value) == utc.isoformat(timespec="microseconds") + "Z"


@pytest.mark.parametrize(
    "zone", [UTC, zoneinfo.ZoneInfo("UTC"), zoneinfo.ZoneInfo("Europe/London")], ids=str
)
def test_a_datetime_at_offset_zero_is_written_with_z_in_any_zone(zone: dt.tzinfo) -> None:
    assert datetime_text(dt.datetime(2026, 1, 5, 7, 8, 9, tzinfo=zone)) == (
        "2026-01-05T07:08:09.000000Z"
    )


@given(aware_datetimes, aware_datetimes)
def test_stored_datetimes_sort_in_instant_order(a: dt.datetime, b: dt.datetime) -> None:
    text_a, text_b = datetime_text(a), datetime_text(b)
    instant_a, instant_b = a.astimezone(UTC), b.astimezone(UTC)
    assert (text_a < text_b) == (instant_a < instant_b)
    assert (text_a == text_b) == (instant_a == instant_b)


def test_naive_datetime_is_read_in_the_declared_zone() -> None:
    model = holder(dt.datetime, naive_datetime_zone="Europe/Paris")
    item = ItemCodec(model).encode(model(pk="k", v=dt.datetime(2026, 7, 1, 12, 0)))
    assert item["v"] == {"S": "2026-07-01T10:00:00.000000Z"}


# --- keys ------------------------------------------------------------------------------------


class Flag(DomainModel):
    enabled: bool
    flag_id: str
    archived: bool | None = None
    owner: str | None = None
    note: str | None = None

    class Meta:
        table_name = "flags"
        partition_key = "enabled"
        sort_key = "flag_id"
        gsis = [
            GSI("by-archived", partition_key="archived"),
            GSI("by-owner", partition_key="owner", sort_key="flag_id"),
        ]


FLAGS = ItemCodec(Flag)


def test_bool_table_key_is_stored_as_a_string() -> None:
    item = FLAGS.encode(Flag(enabled=True, flag_id="f1"))
    assert item["enabled"] == {"S": "true"}


def test_bool_gsi_key_is_stored_as_a_string() -> None:
    item = FLAGS.encode(Flag(enabled=False, flag_id="f1", archived=False))
    assert (item["enabled"], item["archived"]) == ({"S": "false"}, {"S": "false"})


def test_bool_keys_decode_back_to_bools() -> None:
    flag = FLAGS.decode(
        {"enabled": {"S": "false"}, "flag_id": {"S": "f1"}, "archived": {"S": "true"}}
    )
    assert (flag.enabled, flag.archived) == (False, True)


def test_none_gsi_key_is_omitted_for_a_sparse_index() -> None:
    item = FLAGS.encode(Flag(enabled=True, flag_id="f1"))
    assert "owner" not in item
    assert "archived" not in item


def test_none_outside_keys_is_omitted() -> None:
    item = FLAGS.encode(Flag(enabled=True, flag_id="f1"))
    assert "note" not in item  # NULL only on request: tests/unit/test_shared_storage.py


def test_none_table_key_is_refused() -> None:
    flag = Flag(enabled=True, flag_id="f1")
    flag.flag_id = None  # type: ignore[assignment]  # no validate_assignment: it slips through
    with pytest.raises(ValidationError, match="key values cannot be None") as info:
        FLAGS.encode(flag)
    assert (info.value.model, info.value.field) == ("Flag", "flag_id")


def test_key_builds_the_table_key_in_key_form() -> None:
    assert FLAGS.key({"enabled": True, "flag_id": "f1"}) == {
        "enabled": {"S": "true"},
        "flag_id": {"S": "f1"},
    }


def test_key_with_a_none_field_names_the_field() -> None:
    with pytest.raises(ValidationError, match="key attribute 'flag_id' needs field") as info:
        FLAGS.key({"enabled": True, "flag_id": None})
    assert (info.value.model, info.value.field) == ("Flag", "flag_id")


def test_key_of_an_instance() -> None:
    flag = Flag(enabled=False, flag_id="f2", owner="ann")
    assert FLAGS.key_of(flag) == {"enabled": {"S": "false"}, "flag_id": {"S": "f2"}}


def test_encode_field_gives_key_form_for_index_keys() -> None:
    assert FLAGS.encode_field("archived", True) == {"S": "true"}
    assert FLAGS.encode_field("archived", None) is None
    assert FLAGS.encode_field("note", None) is None  # omitted: an update REMOVEs it


class Member(DomainModel):
    tenant_id: str
    user_id: uuid.UUID
    joined: dt.date
    level: Level
    active: bool
    team: str | None = None

    class Meta:
        table_name = "members"
        partition_key = KeyTemplate("pk", "TENANT#{tenant_id}")
        sort_key = KeyTemplate("sk", "USER#{user_id}#{joined}")
        gsis = [
            GSI("by-team", partition_key=KeyTemplate("gpk", "TEAM#{team}#{level}#{active}")),
        ]


MEMBERS = ItemCodec(Member)
USER = uuid.UUID("00000000-0000-0000-0000-000000000001")


def test_key_templates_are_rendered_into_their_attributes() -> None:
    item = MEMBERS.encode(
        Member(tenant_id="t1", user_id=USER, joined=dt.date(2026, 1, 2), level=2, active=True)
    )
    assert item["pk"] == {"S": "TENANT#t1"}
    assert item["sk"] == {"S": f"USER#{USER}#2026-01-02"}


def test_index_template_renders_key_forms_of_enum_and_bool() -> None:
    member = Member(
        tenant_id="t1", user_id=USER, joined=dt.date(2026, 1, 2), level=2, active=False, team="a"
    )
    assert MEMBERS.encode(member)["gpk"] == {"S": "TEAM#a#2#false"}


def test_index_template_with_a_none_field_is_omitted() -> None:
    member = Member(tenant_id="t1", user_id=USER, joined=dt.date(2026, 1, 2), level=1, active=True)
    assert "gpk" not in MEMBERS.encode(member)


def test_table_template_with_a_none_field_is_refused() -> None:
    member = Member(tenant_id="t1", user_id=USER, joined=dt.date(2026, 1, 2), level=1, active=True)
    member.tenant_id = None  # type: ignore[assignment]
    with pytest.raises(ValidationError, match=r"key template 'TENANT#\{tenant_id\}' needs") as info:
        MEMBERS.encode(member)
    assert (info.value.model, info.value.field) == ("Member", "tenant_id")


def test_template_key_from_values() -> None:
    key = MEMBERS.key({"tenant_id": "t1", "user_id": USER, "joined": dt.date(2026, 1, 2)})
    assert key == {"pk": {"S": "TENANT#t1"}, "sk": {"S": f"USER#{USER}#2026-01-02"}}


def test_template_fields_are_decoded_from_their_own_attributes() -> None:
    member = Member(
        tenant_id="t1", user_id=USER, joined=dt.date(2026, 1, 2), level=2, active=True, team="x"
    )
    assert MEMBERS.decode(MEMBERS.encode(member)) == member


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, {"S": "true"}),
        (Color.RED, {"S": "red"}),
        (Level.LOW, {"N": "1"}),
        (10**40, {"N": "1" + "0" * 40}),
        (Decimal("0.5"), {"N": "0.5"}),
        (b"\x01", {"B": b"\x01"}),
        (dt.datetime(2026, 1, 1, tzinfo=PLUS_2), {"S": "2025-12-31T22:00:00.000000Z"}),
        (dt.date(2026, 1, 1), {"S": "2026-01-01"}),
        (USER, {"S": str(USER)}),
    ],
    ids=["bool", "str-enum", "int-enum", "big-int", "decimal", "bytes", "datetime", "date", "uuid"],
)
def test_key_value_encoding(value: object, expected: dict[str, Any]) -> None:
    assert encode_key_value(value) == expected


def test_bytes_have_no_key_text() -> None:
    with pytest.raises(ValidationError, match="bytes cannot be part of a key template"):
        key_text(b"\x01")


# --- aliases, unknown attributes, sets, corrupt items ----------------------------------------


class Profile(DomainModel):
    user_id: str = Field(alias="uid")
    display: str = Field(alias="dn")
    inner: Inner
    roles: set[str]
    labels: frozenset[str] | None = None
    groups: dict[str, set[str]] = Field(default_factory=dict)

    class Meta:
        table_name = "profiles"
        partition_key = "user_id"


PROFILES = ItemCodec(Profile)


def profile(**changes: Any) -> Profile:
    values: dict[str, Any] = {
        "user_id": "u1",
        "display": "Ann",
        "inner": Inner(lbl="l"),
        "roles": {"admin"},
        **changes,
    }
    return Profile(**values)


def test_aliases_are_the_stored_names() -> None:
    item = PROFILES.encode(profile())
    assert {"uid", "dn"} <= set(item)
    assert {"user_id", "display"}.isdisjoint(item)
    assert item["inner"]["M"]["lbl"] == {"S": "l"}


def test_items_are_decoded_from_their_aliases() -> None:
    original = profile()
    assert PROFILES.decode(PROFILES.encode(original)) == original


def test_unknown_attributes_are_ignored_on_decode() -> None:
    item = PROFILES.encode(profile())
    item["written_by_dotnet"] = {"S": "x"}
    item["strange_type"] = {"XYZ": "not a DynamoDB type"}
    assert PROFILES.decode(item) == profile()


def test_empty_set_is_omitted() -> None:
    assert "roles" not in PROFILES.encode(profile(roles=set()))


def test_missing_set_attribute_reads_as_an_empty_set() -> None:
    decoded = PROFILES.decode(PROFILES.encode(profile(roles=set(), labels=frozenset())))
    assert (decoded.roles, decoded.labels) == (set(), frozenset())


def test_empty_set_in_a_map_is_kept_as_an_empty_list() -> None:
    item = PROFILES.encode(profile(groups={"ops": set(), "dev": {"x"}}))
    assert item["groups"] == {"M": {"ops": {"L": []}, "dev": {"SS": ["x"]}}}


def test_empty_set_in_a_map_round_trips() -> None:
    original = profile(groups={"ops": set()})
    assert PROFILES.decode(PROFILES.encode(original)) == original


class Tagged(BaseModel):
    tags: set[str]


def test_empty_set_in_a_nested_model_round_trips() -> None:
    model = holder(list[Tagged])
    codec = ItemCodec(model)
    original = model(pk="k", v=[Tagged(tags=set()), Tagged(tags={"a"})])
    assert codec.decode(codec.encode(original)) == original


def test_corrupt_item_error_names_the_key_and_the_field() -> None:
    item = PROFILES.encode(profile())
    item["inner"] = {"S": "not a map"}
    with pytest.raises(CorruptItemError, match=r"item \{'uid': 'u1'\}.*inner") as info:
        PROFILES.decode(item)
    assert (info.value.model, info.value.table, info.value.key) == (
        "Profile",
        "profiles",
        {"uid": "u1"},
    )


def test_codec_for_is_cached_per_model() -> None:
    assert codec_for(Profile) is codec_for(Profile)


@pytest.mark.parametrize(
    ("av", "value"),
    [
        ({"S": "x"}, "x"),
        ({"N": "12"}, 12),
        ({"N": "1.50"}, Decimal("1.50")),
        ({"N": "1E+3"}, Decimal("1E+3")),
        ({"BOOL": False}, False),
        ({"NULL": True}, None),
        ({"B": b"\x00"}, b"\x00"),
        ({"SS": ["a", "b"]}, {"a", "b"}),
        ({"NS": ["1", "2.5"]}, {1, Decimal("2.5")}),
        ({"BS": [b"a"]}, {b"a"}),
        ({"L": [{"S": "a"}, {"N": "1"}]}, ["a", 1]),
        ({"M": {"k": {"NULL": True}}}, {"k": None}),
    ],
    ids=["S", "N-int", "N-decimal", "N-exponent", "BOOL", "NULL", "B", "SS", "NS", "BS", "L", "M"],
)
def test_decode_value(av: dict[str, Any], value: object) -> None:
    assert decode_value(av) == value


def test_decode_value_refuses_an_empty_attribute_value() -> None:
    with pytest.raises(ValidationError, match="empty AttributeValue"):
        decode_value({})


def test_key_description_is_short() -> None:
    assert key_description({"pk": {"S": "a"}, "sk": {"N": "1"}}) == "{pk='a', sk=1}"


# --- refused values --------------------------------------------------------------------------


class Recursive(BaseModel):
    child: Recursive | None = None


def nested_lists(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = [value]
    return value


@dataclass(frozen=True)
class BadValue:
    annotation: Any
    value: Any
    match: str


BAD_VALUES: dict[str, BadValue] = {
    "float-nan": BadValue(float, float("nan"), "nan cannot be stored: DynamoDB numbers must be"),
    "float-infinity": BadValue(float, float("inf"), "inf cannot be stored"),
    "float-minus-infinity": BadValue(float, float("-inf"), "-inf cannot be stored"),
    "float-too-large": BadValue(float, 1e126, "outside DynamoDB's number range"),
    "float-too-small": BadValue(float, 5e-324, "outside DynamoDB's number range"),
    "decimal-nan": BadValue(Any, Decimal("NaN"), "NaN.*must be finite"),
    "decimal-infinity": BadValue(Any, Decimal("-Infinity"), "must be finite"),
    "decimal-39-significant-digits": BadValue(
        Decimal, Decimal("1.23456789012345678901234567890123456789"), "39 significant digits"
    ),
    "int-39-significant-digits": BadValue(int, 10**38 + 1, "39 significant digits"),
    "decimal-1e126": BadValue(Decimal, Decimal("1E126"), "outside DynamoDB's number range"),
    "decimal-1e-131": BadValue(Decimal, Decimal("1E-131"), "outside DynamoDB's number range"),
    "int-too-large": BadValue(int, 10**126, "outside DynamoDB's number range"),
    "naive-datetime": BadValue(
        dt.datetime, dt.datetime(2026, 1, 1), "naive datetime 2026-01-01T00:00:00 has no time zone"
    ),
    "datetime-overflows-in-utc": BadValue(
        dt.datetime,
        dt.datetime(1, 1, 1, tzinfo=PLUS_2),
        "outside years 1-9999 once converted to UTC",
    ),
    "time-in-a-zone-without-fixed-offset": BadValue(
        Any,
        dt.time(12, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
        "time zone without a fixed offset",
    ),
    "time-with-a-sub-minute-offset": BadValue(
        dt.time,
        dt.time(12, tzinfo=dt.timezone(dt.timedelta(seconds=30))),
        "offsets must be whole minutes",
    ),
    "nested-33-levels": BadValue(Any, nested_lists(MAX_DEPTH), "nested more than 32 levels"),
    "mixed-type-set": BadValue(
        Any, {"a", 1}, "a set must hold only strings, only numbers or only bytes; got int, str"
    ),
    "set-of-bools": BadValue(Any, {True}, "a set must hold only strings"),
    "set-with-none": BadValue(Any, {None, "a"}, "a set must hold only"),
    "set-of-int-enums": BadValue(set[Level], {Level.LOW}, "a set must hold only"),
    "complex": BadValue(Any, 1 + 2j, "values of type complex cannot be stored in DynamoDB"),
    "arbitrary-object": BadValue(Any, object(), "values of type object cannot be stored"),
    "non-str-map-key": BadValue(dict[int, str], {1: "a"}, "map keys must be strings, got int 1"),
    "empty-map-key": BadValue(dict[str, int], {"": 1}, "map keys cannot be empty strings"),
    "lone-surrogate-text": BadValue(str, "bad \udc80", "lone surrogate \\(U\\+DC80"),
    "lone-surrogate-in-list": BadValue(list[str], ["ok", "\ud800"], "lone surrogate"),
    "lone-surrogate-in-map-value": BadValue(dict[str, str], {"k": "\udfff"}, "lone surrogate"),
    "lone-surrogate-map-key": BadValue(dict[str, int], {"\udc80": 1}, "lone surrogate"),
    "lone-surrogate-in-set": BadValue(set[str], {"a", "\udc80"}, "lone surrogate"),
    "lone-surrogate-in-model": BadValue(Inner, Inner(lbl="\udc80"), "lone surrogate"),
}


def deep_recursive(levels: int) -> Recursive:
    value = Recursive()
    for _ in range(levels - 1):
        value = Recursive(child=value)
    return value


BAD_VALUES["recursive-models-too-deep"] = BadValue(
    Recursive, deep_recursive(MAX_DEPTH), "nested more than 32 levels"
)


@pytest.mark.parametrize("case", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_bad_value_is_refused_naming_model_and_field(case: BadValue) -> None:
    model = holder(case.annotation)
    instance = model(pk="k", v=case.value)
    with pytest.raises(ValidationError, match=case.match) as info:
        ItemCodec(model).encode(instance)
    assert (info.value.model, info.value.field) == ("Holder", "v")
    assert str(info.value).startswith("Holder.v: ")


BAD_KEYS: dict[str, BadValue] = {
    "empty-string": BadValue(str, "", "key values cannot be empty strings"),
    "empty-bytes": BadValue(bytes, b"", "key values cannot be empty bytes"),
    "naive-datetime": BadValue(dt.datetime, dt.datetime(2026, 1, 1), "naive datetime"),
    "decimal-39-digits": BadValue(Decimal, Decimal("1" * 39), "39 significant digits"),
    "lone-surrogate": BadValue(str, "k\udc80", "lone surrogate"),
}


@pytest.mark.parametrize("case", BAD_KEYS.values(), ids=BAD_KEYS.keys())
def test_bad_key_value_is_refused_naming_model_and_field(case: BadValue) -> None:
    model = holder(case.annotation, gsis=[GSI("by-v", partition_key="v")])
    with pytest.raises(ValidationError, match=case.match) as info:
        ItemCodec(model).encode(model(pk="k", v=case.value))
    assert (info.value.model, info.value.field) == ("Holder", "v")


def test_empty_string_table_key_is_refused() -> None:
    model = holder(str)
    with pytest.raises(ValidationError, match="key values cannot be empty strings") as info:
        ItemCodec(model).encode(model(pk="", v="x"))
    assert (info.value.model, info.value.field) == ("Holder", "pk")


def test_31_nested_lists_fit_in_a_top_level_attribute() -> None:
    av = encode_value(nested_lists(MAX_DEPTH - 1))
    depth = 0
    while av is not None and "L" in av:
        av, depth = av["L"][0], depth + 1
    assert depth == MAX_DEPTH - 1


def test_sets_are_not_a_nesting_level() -> None:
    value = nested_lists(MAX_DEPTH - 1)
    inner = value
    for _ in range(MAX_DEPTH - 2):
        inner = inner[0]
    inner[0] = {"a", "b"}
    assert encode_value(value) is not None


# --- item size -------------------------------------------------------------------------------

# Sizes as AWS documents them ("DynamoDB item sizes and formats") and as DynamoDB Local enforces
# them (tests/integration/test_codec_roundtrip_local.py checks these against the real thing).
SIZES: dict[str, tuple[dict[str, Any], int]] = {
    "string-ascii": ({"name": {"S": "abc"}}, 4 + 3),
    "string-utf8-bytes": ({"é": {"S": "é😀"}}, 2 + 2 + 4),
    "number-one-digit": ({"n": {"N": "7"}}, 1 + 2),
    "number-two-digits-one-byte": ({"n": {"N": "12"}}, 1 + 2),
    "number-38-digits": ({"n": {"N": "1" * 38}}, 1 + 20),
    "number-trailing-zeros-trimmed": ({"n": {"N": "1" + "0" * 100}}, 1 + 2),
    "number-zero": ({"n": {"N": "0"}}, 1 + 1),
    "binary": ({"b": {"B": b"\x00\x01\x02"}}, 1 + 3),
    "bool": ({"b": {"BOOL": True}}, 1 + 1),
    "null": ({"z": {"NULL": True}}, 1 + 1),
    "empty-list": ({"l": {"L": []}}, 1 + 3),
    "empty-map": ({"m": {"M": {}}}, 1 + 3),
    "list-element-overhead": ({"l": {"L": [{"S": "ab"}, {"N": "1"}]}}, 1 + 3 + (1 + 2) + (1 + 2)),
    "map-element-name-and-overhead": ({"m": {"M": {"key": {"S": "ab"}}}}, 1 + 3 + 1 + 3 + 2),
    "string-set": ({"s": {"SS": ["ab", "c"]}}, 1 + 3),
    "number-set": ({"s": {"NS": ["1", "22"]}}, 1 + 2 + 2),
    "binary-set": ({"s": {"BS": [b"ab", b"c"]}}, 1 + 3),
    "several-attributes": ({"pk": {"S": "k"}, "count": {"N": "123"}}, 2 + 1 + 5 + 3),
}


@pytest.mark.parametrize(("item", "size"), SIZES.values(), ids=SIZES.keys())
def test_item_size_follows_dynamodb_rules(item: dict[str, Any], size: int) -> None:
    assert item_size(item) == size


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1", 2),
        ("12", 2),
        ("123", 3),
        ("100", 2),
        ("101", 3),
        ("10", 2),
        ("12.3", 3),
        ("1.23", 3),
        ("1.5", 3),
        ("0.000000001", 2),
        ("1E+20", 2),
        ("1e-05", 2),
        ("-1", 3),
        ("-1.5", 4),
        ("1" * 37, 20),
        ("-" + "1" * 36, 20),
        ("-" + "1" * 38, 21),
        ("-" + "1" * 38 + "E-1", 21),
        ("1" * 38 + "E-1", 21),
        ("0", 1),
        ("-0.0", 1),
    ],
)
def test_number_size_matches_dynamodb(text: str, size: int) -> None:
    assert number_size(text) == size


def test_size_upper_bound_is_at_least_the_size() -> None:
    item = PROFILES.encode(profile(groups={"g": {"a", "b"}}))
    assert size_upper_bound(item) >= item_size(item)


@pytest.mark.parametrize(
    "item",
    [
        {"n": {"NS": ["1", "2", "3"]}, "z": {"N": "0"}},
        {"l": {"L": [{"N": "-1"}, {"S": ""}, {"BOOL": True}, {"NULL": True}, {"L": []}]}},
        {"m": {"M": {"": {"S": ""}, "k": {"M": {}}, "é": {"SS": ["😀", ""]}}}},
        {"b": {"B": b"\x00" * 9}, "bs": {"BS": [b"", b"\xff"]}},
        {"u": {"S": "\u2028\x00\"\\é"}, "😀": {"N": "-1e-130"}},
    ],
    ids=["small-numbers", "list-of-tiny-values", "unicode-and-empty", "binary", "escapes"],
)
def test_size_upper_bound_is_at_least_the_size_of_tiny_and_odd_values(item: Any) -> None:
    assert size_upper_bound(item) >= item_size(item)


def padded(size: int) -> Profile:
    """A profile whose encoded item is exactly ``size`` bytes."""
    base = item_size(PROFILES.encode(profile(display="")))
    return profile(display="x" * (size - base))


def test_item_of_exactly_400_kb_is_accepted() -> None:
    item = PROFILES.encode(padded(MAX_ITEM_BYTES))
    assert item_size(item) == MAX_ITEM_BYTES


def test_item_over_400_kb_is_refused_naming_key_and_size() -> None:
    with pytest.raises(ItemTooLargeError, match=r"item \{uid='u1'\} is 409601 bytes") as info:
        PROFILES.encode(padded(MAX_ITEM_BYTES + 1))
    assert info.value.model == "Profile"
    assert "limit is 409600 bytes" in str(info.value)


def test_many_small_attributes_near_the_limit_are_counted_exactly() -> None:
    # the cheap bound overshoots on many tiny values; the exact count must decide
    model = holder(list[int])
    codec = ItemCodec(model)
    values = [1] * 136_000
    item = codec.encode(model(pk="k", v=values))
    assert size_upper_bound(item) > MAX_ITEM_BYTES
    assert item_size(item) <= MAX_ITEM_BYTES


# --- the generated fields encoder ---------------------------------------------------------------


class Mixed(DomainModel):
    """A field of each kind the fields encoder inlines, and some it leaves to the general case."""

    pk: str
    text: str | None = None
    flag: bool | None = None
    count: int | None = None
    ratio: float | None = None
    amount: Decimal | None = None
    at: dt.datetime | None = None
    day: dt.date | None = None
    tags: list[str] | None = None
    labels: set[str] | None = None
    extra: dict[str, Any] | None = None
    color: Color | None = None
    level: Level | None = None
    kind: Literal["plain", "fancy", "ünïcode"] | None = None

    class Meta:
        table_name = "mixed"
        partition_key = "pk"


MIXED = ItemCodec(Mixed)
mixed_values = st.fixed_dictionaries(
    {"pk": st.text(min_size=1)},
    optional={
        "text": st.none() | st.text(),
        "flag": st.none() | st.booleans(),
        "count": st.none() | st.integers(-(10**40), 10**40),
        "ratio": st.none() | st.floats(allow_nan=False),
        "amount": st.none() | st.decimals(allow_nan=False, allow_infinity=False, places=3),
        "at": st.none() | aware_datetimes,
        "day": st.none() | st.dates(),
        "tags": st.none() | st.lists(st.text()),
        "labels": st.none() | st.sets(st.text()),
        "extra": st.none() | st.dictionaries(st.text(min_size=1), st.integers() | st.text()),
        "color": st.none() | st.sampled_from(Color),
        "level": st.none() | st.sampled_from(Level),
        "kind": st.none() | st.sampled_from(["plain", "fancy", "ünïcode"]),
    },
)


def general_encoding(instance: Mixed) -> dict[str, Any]:
    """What the general encoder (``encode_value``, field by field) stores for ``instance``."""
    item: dict[str, Any] = {}
    for name, value in instance.__dict__.items():
        if value is None:
            if name in MIXED.null_fields:
                item[name] = {"NULL": True}
            continue
        av = encode_value(value)
        if av is not None:
            item[name] = av
    return item


@given(mixed_values)
def test_the_fields_encoder_stores_what_the_general_encoder_does(values: dict[str, Any]) -> None:
    instance = Mixed(**values)
    try:
        expected = canonical(general_encoding(instance))
    except ValidationError:
        with pytest.raises(ValidationError) as info:
            MIXED.encode(instance)
        assert info.value.field in values
        return
    assert canonical(MIXED.encode(instance)) == expected


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("ratio", float("nan"), "must be finite"),
        ("at", dt.datetime(2026, 1, 1), "naive datetime"),
        ("count", 10**40 + 1, "significant digits"),
        ("tags", [float("inf")], "must be finite"),
    ],
)
def test_a_value_the_fields_encoder_refuses_is_named_by_its_field(
    field: str, value: Any, why: str
) -> None:
    instance = Mixed.model_construct(pk="k", **{field: value})
    with pytest.raises(ValidationError, match=why) as info:
        MIXED.encode(instance)
    assert (info.value.model, info.value.field) == ("Mixed", field)


ODD_NAME = "v'] = 1\nraise SystemExit  # \\"


class Odd(DomainModel):
    pk: str
    v: str = Field(alias=ODD_NAME)

    class Meta:
        table_name = "odd"
        partition_key = "pk"


class Shade(str, enum.Enum):
    PALE = "pale"
    DEEP = "dëep"  # not ASCII: the enum is encoded by the general case


class Painted(DomainModel):
    pk: str
    color: Color
    shade: Shade
    finish: Literal["matte", "gloss"]

    class Meta:
        table_name = "painted"
        partition_key = "pk"


@pytest.mark.parametrize("shade", list(Shade))
def test_enums_and_literals_are_stored_as_their_text(shade: Shade) -> None:
    item = ItemCodec(Painted).encode(Painted(pk="k", color=Color.BLUE, shade=shade, finish="gloss"))
    assert (item["color"], item["shade"], item["finish"]) == (
        {"S": "blue"},
        {"S": shade.value},
        {"S": "gloss"},
    )


def test_attribute_names_never_become_code_in_the_fields_encoder() -> None:
    item = ItemCodec(Odd).encode(Odd.model_validate({"pk": "k", ODD_NAME: "x"}))
    assert item == {"pk": {"S": "k"}, ODD_NAME: {"S": "x"}}
