"""Property tests of the codec (pure, no I/O): ``decode(encode(x)) == x`` for every supported type.

Numbers keep every digit (up to 38 significant, any exponent in DynamoDB's range), datetimes
keep their instant, sets and nested models come back whole.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Context, Decimal
from typing import Any, Literal, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from ddbwrap import DomainModel, ItemCodec
from ddbwrap.codec import (
    decode_value,
    encode_value,
    item_size,
    number_size,
    number_text,
    size_upper_bound,
)

UTC = dt.timezone.utc
EXACT = Context(prec=100)  # the default context has 28 digits: normalize() would round


class Color(str, enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


# --- strategies --------------------------------------------------------------------------


@st.composite
def decimals(draw: st.DrawFn, max_digits: int = 38) -> Decimal:
    """Any Decimal DynamoDB can hold: 1-38 significant digits, magnitude 1E-130..<1E+126."""
    if draw(st.integers(0, 20)) == 0:
        return Decimal(0)
    mantissa = draw(st.integers(1, 10**max_digits - 1))
    digits = len(str(mantissa))
    # adjusted exponent = exponent + digits - 1 must stay in -130..125
    exponent = draw(
        st.one_of(
            st.integers(-130 - digits + 1, 125 - digits + 1),
            st.sampled_from([-130 - digits + 1, 125 - digits + 1]),  # the very edges
            st.integers(-12, 12),
        )
    )
    sign = draw(st.sampled_from(["", "-"]))
    return Decimal(f"{sign}{mantissa}E{exponent}")


big_ints = st.builds(
    lambda mantissa, zeros: mantissa * 10**zeros,
    st.integers(-(10**38) + 1, 10**38 - 1),
    st.integers(0, 88),
)
ints = st.one_of(st.integers(-(10**38) + 1, 10**38 - 1), big_ints)
in_range_floats = st.one_of(
    st.just(0.0),
    st.floats(min_value=1e-130, max_value=1e126, exclude_max=True),
    st.floats(min_value=-1e126, max_value=-1e-130, exclude_min=True),
    st.floats(min_value=-1e6, max_value=1e6).filter(lambda f: f == 0 or abs(f) >= 1e-130),
)
fixed_offsets = st.builds(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes)), st.integers(-23 * 60, 23 * 60)
)
any_offsets = st.builds(  # datetimes are converted to UTC, so any offset works
    dt.timezone, st.timedeltas(dt.timedelta(hours=-23, minutes=-59), dt.timedelta(hours=23))
)
aware_datetimes = st.datetimes(
    min_value=dt.datetime(2, 1, 1),
    max_value=dt.datetime(9998, 12, 31),
    timezones=st.one_of(st.just(UTC), any_offsets, st.timezones()),
)
# Python never finds two datetimes equal across zones when one is in a DST fold or gap
# (PEP 495), so values compared with == inside models use fixed offsets only.
fixed_offset_datetimes = st.datetimes(
    min_value=dt.datetime(2, 1, 1),
    max_value=dt.datetime(9998, 12, 31),
    timezones=st.one_of(st.just(UTC), any_offsets),
)
times = st.one_of(st.times(), st.times(timezones=fixed_offsets))
map_keys = st.text(min_size=1, max_size=10)


def depth(value: Any) -> int:
    """How many lists/maps deep ``value`` is."""
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


json_like = st.recursive(
    st.one_of(st.none(), st.booleans(), st.text(max_size=20), ints, st.binary(max_size=10)),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(map_keys, children, max_size=4)
    ),
    max_leaves=20,
).filter(lambda v: depth(v) <= 10)  # well inside the 32-level limit


class Inner(BaseModel):
    label: str = Field(alias="lbl")
    amount: Decimal = Decimal(0)
    tags: set[str] = Field(default_factory=set)
    when: dt.datetime | None = None


inners = st.builds(
    Inner,
    lbl=st.text(max_size=10),
    amount=decimals(),
    tags=st.sets(st.text(max_size=5), max_size=3),
    when=st.none() | fixed_offset_datetimes,
)


TYPES: dict[str, tuple[Any, st.SearchStrategy[Any]]] = {
    "str": (str, st.text()),
    "int": (int, ints),
    "decimal": (Decimal, decimals()),
    "float": (float, in_range_floats),
    "bool": (bool, st.booleans()),
    "optional-int": (int | None, st.none() | ints),
    "bytes": (bytes, st.binary()),
    "datetime": (dt.datetime, aware_datetimes),
    "date": (dt.date, st.dates()),
    "time": (dt.time, times),
    "uuid": (uuid.UUID, st.uuids()),
    "enum-str": (Color, st.sampled_from(Color)),
    "enum-int": (Level, st.sampled_from(Level)),
    "literal": (Literal["a", "b", 3], st.sampled_from(["a", "b", 3])),
    "list-of-decimals": (list[Decimal], st.lists(decimals(), max_size=5)),
    "tuple": (tuple[int, str, bool], st.tuples(ints, st.text(), st.booleans())),
    "dict": (dict[str, float], st.dictionaries(map_keys, in_range_floats, max_size=5)),
    "dict-of-sets": (dict[str, set[int]], st.dictionaries(map_keys, st.sets(ints, max_size=3))),
    "nested-model": (Inner, inners),
    "list-of-nested-models": (list[Inner], st.lists(inners, max_size=3)),
    "set-str": (set[str], st.sets(st.text(), max_size=5)),
    "set-int": (set[int], st.sets(ints, max_size=5)),
    "set-decimal": (set[Decimal], st.sets(decimals(), max_size=5)),
    "set-float": (set[float], st.sets(in_range_floats, max_size=5)),
    "set-bytes": (set[bytes], st.sets(st.binary(), max_size=5)),
    "frozenset-enum": (frozenset[Color], st.frozensets(st.sampled_from(Color))),
    "json-like-any": (Any, json_like),
}


def holder(annotation: Any) -> type[DomainModel]:
    """A one-field table model ``Holder(pk: str, v: annotation)``."""
    meta = type(
        "Meta", (), {"__qualname__": "Holder.Meta", "table_name": "holders", "partition_key": "pk"}
    )
    namespace = {
        "__annotations__": {"pk": str, "v": annotation},
        "__module__": __name__,
        "__qualname__": "Holder",
        "Meta": meta,
    }
    metaclass: Any = type(DomainModel)  # pydantic\'s
    model = metaclass("Holder", (DomainModel,), namespace)
    return cast("type[DomainModel]", model)


HOLDERS = {name: holder(annotation) for name, (annotation, _) in TYPES.items()}


def same_instant(a: dt.datetime, b: dt.datetime) -> bool:
    return a.astimezone(UTC) == b.astimezone(UTC)  # see fixed_offset_datetimes


@pytest.mark.parametrize("name", TYPES)
@given(data=st.data())
def test_field_value_round_trips(name: str, data: st.DataObject) -> None:
    model = HOLDERS[name]
    codec = ItemCodec(model)
    value = data.draw(TYPES[name][1], label="value")
    original = model(pk="k", v=value)
    decoded = codec.decode(codec.encode(original)).v  # type: ignore[attr-defined]
    expected = original.v  # type: ignore[attr-defined]
    if isinstance(expected, dt.datetime):
        assert same_instant(decoded, expected)
    else:
        assert decoded == expected
        assert type(decoded) is type(expected)


@given(decimals())
def test_decimal_keeps_every_digit(value: Decimal) -> None:
    decoded = decode_value(encode_value(value) or {})
    assert Decimal(decoded) == value
    digits = Decimal(decoded).normalize(EXACT).as_tuple().digits
    assert digits == value.normalize(EXACT).as_tuple().digits


@given(in_range_floats)
def test_float_is_stored_as_its_shortest_repr(value: float) -> None:
    assert encode_value(value) == {"N": repr(value)}
    assert float(decode_value({"N": repr(value)})) == value


@given(json_like)
def test_plain_value_round_trips_without_a_model(value: Any) -> None:
    av = encode_value(value)
    assert av is not None
    assert decode_value(av) == value


# --- a model holding every type at once ---------------------------------------------------


class Everything(DomainModel):
    pk: str
    sk: Decimal
    text: str
    count: int
    amount: Decimal
    ratio: float
    flag: bool
    maybe: int | None
    blob: bytes
    at: dt.datetime
    day: dt.date
    clock: dt.time
    ident: uuid.UUID
    color: Color
    level: Level
    kind: Literal["x", "y"]
    items: list[str]
    pair: tuple[int, Decimal]
    settings: dict[str, Any]
    inner: Inner = Field(alias="in")
    inners: list[Inner]
    names: set[str]
    numbers: set[int]
    amounts: set[Decimal]
    blobs: frozenset[bytes]

    class Meta:
        table_name = "everything"
        partition_key = "pk"
        sort_key = "sk"


everything = st.builds(
    Everything,
    pk=st.text(min_size=1),
    sk=decimals(),
    text=st.text(),
    count=ints,
    amount=decimals(),
    ratio=in_range_floats,
    flag=st.booleans(),
    maybe=st.none() | ints,
    blob=st.binary(),
    at=fixed_offset_datetimes,
    day=st.dates(),
    clock=times,
    ident=st.uuids(),
    color=st.sampled_from(Color),
    level=st.sampled_from(Level),
    kind=st.sampled_from(["x", "y"]),
    items=st.lists(st.text(), max_size=4),
    pair=st.tuples(ints, decimals()),
    settings=st.dictionaries(map_keys, json_like, max_size=4),
    inner=inners,
    inners=st.lists(inners, max_size=3),
    names=st.sets(st.text(), max_size=4),
    numbers=st.sets(ints, max_size=4),
    amounts=st.sets(decimals(), max_size=4),
    blobs=st.frozensets(st.binary(), max_size=4),
)
EVERYTHING = ItemCodec(Everything)


@given(everything)
def test_model_with_every_type_round_trips(original: Everything) -> None:
    assert EVERYTHING.decode(EVERYTHING.encode(original)) == original


@given(everything)
def test_size_upper_bound_never_undercounts(original: Everything) -> None:
    item = EVERYTHING.encode(original)
    assert size_upper_bound(item) >= item_size(item)


# --- number size --------------------------------------------------------------------------


def reference_number_size(value: Decimal) -> int:
    """The base-100 rule, computed from Decimal's digits (slower, obviously right)."""
    if not value:
        return 1
    sign, digits, exponent = value.normalize(EXACT).as_tuple()
    assert isinstance(exponent, int)
    first = exponent + len(digits) - 1  # power of ten of the first significant digit
    pairs = first // 2 - exponent // 2 + 1
    return pairs + 1 + (1 if sign and pairs < 20 else 0)


@given(decimals())
def test_number_size_of_our_text_matches_the_reference(value: Decimal) -> None:
    assert number_size(number_text(value)) == reference_number_size(value)


@given(in_range_floats)
def test_number_size_of_a_float_repr_matches_the_reference(value: float) -> None:
    assert number_size(repr(value)) == reference_number_size(Decimal(repr(value)))


@given(decimals())
def test_number_size_is_at_most_21_bytes(value: Decimal) -> None:
    assert 1 <= number_size(number_text(value)) <= 21
