"""The codec against real DynamoDB Local: what we write is what DynamoDB stores and gives back.

- generated items of every supported type are ``put_item`` with the raw boto3 client, read back
  with ``get_item`` and decoded: they equal the original model instance;
- the nesting limit, the 400 KB item size and the number range we enforce are exactly
  DynamoDB's: what we accept, DynamoDB accepts; what we refuse, DynamoDB refuses with its own
  ValidationException when sent raw.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from ddbwrap import GSI, DomainModel, ItemCodec, ItemTooLargeError, ValidationError, schema_of
from ddbwrap.codec import MAX_DEPTH, MAX_ITEM_BYTES, encode_value, item_size

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap.testing.plugin import TableFactory

UTC = dt.timezone.utc
EXAMPLES = settings().max_examples  # the loaded profile's count (tests/conftest.py)
ROUND_TRIP = settings(
    max_examples=EXAMPLES, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# each example of the size test sends two ~400 KB items
SIZE_CHECKS = settings(
    max_examples=max(10, EXAMPLES // 4),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Color(str, enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


# --- strategies (every value DynamoDB can hold) --------------------------------------------


@st.composite
def decimals(draw: st.DrawFn) -> Decimal:
    """1-38 significant digits, magnitude 1E-130..<1E+126 (edges drawn on purpose)."""
    if draw(st.integers(0, 20)) == 0:
        return Decimal(0)
    mantissa = draw(st.one_of(st.integers(1, 10**38 - 1), st.just(10**38 - 1)))
    digits = len(str(mantissa))
    low, high = -130 - digits + 1, 125 - digits + 1
    exponent = draw(st.one_of(st.integers(low, high), st.sampled_from([low, high])))
    return Decimal(f"{draw(st.sampled_from(['', '-']))}{mantissa}E{exponent}")


ints = st.one_of(
    st.integers(-(10**38) + 1, 10**38 - 1),
    st.builds(lambda m, z: m * 10**z, st.integers(-(10**38) + 1, 10**38 - 1), st.integers(0, 88)),
)
floats = st.one_of(
    st.just(0.0),
    st.floats(min_value=1e-130, max_value=1e126, exclude_max=True),
    st.floats(min_value=-1e126, max_value=-1e-130, exclude_min=True),
)
offsets = st.builds(lambda m: dt.timezone(dt.timedelta(minutes=m)), st.integers(-1439, 1439))
datetimes = st.datetimes(
    min_value=dt.datetime(2, 1, 1),
    max_value=dt.datetime(9998, 12, 31),
    timezones=st.one_of(st.just(UTC), offsets),
)
texts = st.text(max_size=30)  # any unicode but lone surrogates (not UTF-8 encodable)
map_keys = st.text(min_size=1, max_size=8)
scalars = st.one_of(st.none(), st.booleans(), texts, ints, st.binary(max_size=8))


def depth(value: Any) -> int:
    """How many lists/maps deep ``value`` is."""
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


json_like = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(map_keys, children, max_size=3)
    ),
    max_leaves=30,
).filter(lambda v: depth(v) <= 10)


def deep(levels: int, leaf: Any) -> Any:
    """``leaf`` wrapped in ``levels`` alternating lists and maps."""
    value = leaf
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


class Inner(BaseModel):
    label: str = Field(alias="lbl")
    amount: Decimal = Decimal(0)
    tags: set[str] = Field(default_factory=set)
    when: dt.datetime | None = None


inners = st.builds(
    Inner,
    lbl=texts,
    amount=decimals(),
    tags=st.sets(texts, max_size=3),
    when=st.none() | datetimes,
)


class Everything(DomainModel):
    pk: str
    sk: Decimal
    text: str
    count: int
    amount: Decimal
    ratio: float
    flag: bool
    active: bool
    owner: str | None = None
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
    nested: Any
    inner: Inner = Field(alias="in")
    inners: list[Inner]
    names: set[str]
    numbers: set[int]
    amounts: set[Decimal]
    ratios: set[float]
    blobs: frozenset[bytes]

    class Meta:
        table_name = "codec_everything"
        partition_key = "pk"
        sort_key = "sk"
        gsis = [
            GSI("by-active", partition_key="active", sort_key="at"),
            GSI("by-owner", partition_key="owner"),  # sparse: None leaves the item out
        ]


everything = st.builds(
    Everything,
    pk=st.text(min_size=1, max_size=40),
    sk=decimals(),
    text=st.text(),
    count=ints,
    amount=decimals(),
    ratio=floats,
    flag=st.booleans(),
    active=st.booleans(),
    owner=st.none() | st.text(min_size=1, max_size=10),
    maybe=st.none() | ints,
    blob=st.binary(),
    at=datetimes,
    day=st.dates(),
    clock=st.one_of(st.times(), st.times(timezones=offsets)),
    ident=st.uuids(),
    color=st.sampled_from(Color),
    level=st.sampled_from(Level),
    kind=st.sampled_from(["x", "y"]),
    items=st.lists(st.text(), max_size=4),
    pair=st.tuples(ints, decimals()),
    settings=st.dictionaries(map_keys, json_like, max_size=4),
    # up to the limit: the attribute is level 2, so 31 containers fit
    nested=st.builds(deep, st.integers(0, MAX_DEPTH - 1), scalars),
    inner=inners,
    inners=st.lists(inners, max_size=3),
    names=st.sets(st.text(), max_size=4),
    numbers=st.sets(ints, max_size=4),
    amounts=st.sets(decimals(), max_size=4),
    ratios=st.sets(floats, max_size=4),
    blobs=st.frozensets(st.binary(), max_size=4),
)
CODEC = ItemCodec(Everything)


def table_of(ddb_tables: TableFactory, model: type[DomainModel]) -> str:
    return ddb_tables(model).physical_table_name(schema_of(model).table_name)


def put_and_get(client: DynamoDBClient, table: str, item: dict[str, Any]) -> dict[str, Any]:
    client.put_item(TableName=table, Item=item)
    key = {name: item[name] for name in ("pk", "sk") if name in item}
    stored = client.get_item(TableName=table, Key=key, ConsistentRead=True)  # type: ignore[arg-type]
    return dict(stored["Item"])


def dynamodb_refuses(client: DynamoDBClient, table: str, item: dict[str, Any]) -> str:
    """DynamoDB's ValidationException message for a raw put of ``item`` (fails if accepted)."""
    with pytest.raises(ClientError) as info:
        client.put_item(TableName=table, Item=item)
    error = info.value.response["Error"]
    assert error["Code"] == "ValidationException", error
    return str(error["Message"])


# --- round trips -------------------------------------------------------------------------


def test_every_type_round_trips_through_dynamodb_local(
    ddb_client: DynamoDBClient, ddb_tables: TableFactory
) -> None:
    table = table_of(ddb_tables, Everything)

    @ROUND_TRIP
    @given(everything)
    def round_trip(original: Everything) -> None:
        stored = put_and_get(ddb_client, table, CODEC.encode(original))
        assert CODEC.decode(stored) == original

    round_trip()


def test_dynamodb_normalises_numbers_but_keeps_every_digit(
    ddb_client: DynamoDBClient, ddb_tables: TableFactory
) -> None:
    table = table_of(ddb_tables, Everything)
    value = Decimal("-1.2345678901234567890123456789012345678E-100")
    stored = put_and_get(ddb_client, table, {"pk": {"S": "n"}, "sk": encode_value(value) or {}})
    assert stored["sk"]["N"] != str(value)  # DynamoDB writes it out in full...
    assert Decimal(stored["sk"]["N"]) == value  # ...without losing a digit


# --- limits: ours are DynamoDB's ---------------------------------------------------------


class Blob(DomainModel):
    pk: str
    pad: str = ""
    payload: Any = None

    class Meta:
        table_name = "codec_blobs"
        partition_key = "pk"


def test_nesting_limit_is_dynamodbs(ddb_client: DynamoDBClient, ddb_tables: TableFactory) -> None:
    table = table_of(ddb_tables, Blob)
    codec = ItemCodec(Blob)
    deepest = Blob(pk="deep", payload=deep(MAX_DEPTH - 1, "leaf"))
    assert codec.decode(put_and_get(ddb_client, table, codec.encode(deepest))) == deepest

    too_deep = Blob(pk="deeper", payload=deep(MAX_DEPTH, "leaf"))
    with pytest.raises(ValidationError, match="nested more than 32 levels"):
        codec.encode(too_deep)
    raw = {"pk": {"S": "deeper"}, "payload": encode_raw(deep(MAX_DEPTH, "leaf"))}
    assert "Nesting Levels have exceeded" in dynamodb_refuses(ddb_client, table, raw)


def encode_raw(value: Any) -> dict[str, Any]:
    """AttributeValue of lists, maps and strings with no depth check (to send DynamoDB)."""
    if isinstance(value, list):
        return {"L": [encode_raw(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {k: encode_raw(v) for k, v in value.items()}}
    return {"S": value}


class FloatHolder(DomainModel):
    pk: str
    ratio: float

    class Meta:
        table_name = "codec_blobs"  # Blob's table
        partition_key = "pk"


def padded_to(codec: ItemCodec[Blob], instance: Blob, size: int) -> Blob:
    """``instance`` with ``pad`` grown so that its item is exactly ``size`` bytes."""
    base = item_size(codec.encode(instance.model_copy(update={"pad": ""})))
    return instance.model_copy(update={"pad": "x" * (size - base)})


SHAPES: dict[str, Any] = {
    "strings": "plain",
    "unicode": "é😀" * 50,
    "numbers": [
        Decimal("-1.2345678901234567890123456789012345678E-83"),
        Decimal("12345678901234567890123456789012345678"),
        Decimal("-11111111111111111111111111111111111111E-1"),
        Decimal("-1"),
        Decimal("100"),
        Decimal("0.000000001"),
        10**125,
        0,
        1e16,
        1e-05,
    ],
    "number-sets": {Decimal("-1.5"), Decimal("12.3"), Decimal("1E+20"), 101},
    "binary": [b"\x00" * 100, {b"a", b"bc"}],
    "nested-maps-and-lists": {"a": [{"b": [1, "two", None, True]}], "c": {}},
    "many-small-numbers": list(range(20_000)),
}


@pytest.mark.parametrize("payload", SHAPES.values(), ids=SHAPES.keys())
def test_400_kb_limit_is_dynamodbs(
    payload: Any, ddb_client: DynamoDBClient, ddb_tables: TableFactory
) -> None:
    table = table_of(ddb_tables, Blob)
    codec = ItemCodec(Blob)
    largest = padded_to(codec, Blob(pk="big", payload=payload), MAX_ITEM_BYTES)
    item = codec.encode(largest)
    assert item_size(item) == MAX_ITEM_BYTES
    assert put_and_get(ddb_client, table, item)["pad"] == item["pad"]

    one_more = largest.model_copy(update={"pad": largest.pad + "x"})
    with pytest.raises(ItemTooLargeError, match="is 409601 bytes"):
        codec.encode(one_more)
    raw = dict(item, pad={"S": one_more.pad})
    assert "Item size has exceeded" in dynamodb_refuses(ddb_client, table, raw)


def test_generated_item_sizes_agree_with_dynamodb(
    ddb_client: DynamoDBClient, ddb_tables: TableFactory
) -> None:
    table = table_of(ddb_tables, Blob)
    codec = ItemCodec(Blob)
    payloads = st.one_of(
        json_like,
        st.lists(st.one_of(decimals(), floats, ints), max_size=10),
        st.sets(decimals(), max_size=5),
        st.sets(st.binary(), max_size=5),
    )

    @SIZE_CHECKS
    @given(payloads)
    def agree(payload: Any) -> None:
        item = codec.encode(padded_to(codec, Blob(pk="sized", payload=payload), MAX_ITEM_BYTES))
        ddb_client.put_item(TableName=table, Item=item)
        over = dict(item, pad={"S": item["pad"]["S"] + "x"})
        assert "Item size has exceeded" in dynamodb_refuses(ddb_client, table, over)

    agree()


# --- numbers: we refuse exactly what DynamoDB refuses ------------------------------------

NUMBERS: dict[str, object] = {
    "float-1e+16": 1e16,
    "float-1e-05": 1e-05,
    "float-smallest-in-range": 1e-130,
    "float-largest-in-range": 9.999999999999999e125,
    "float-negative-tiny": -1.5e-130,
    "float-1e126": 1e126,
    "float-denormal-5e-324": 5e-324,
    "float-1e-131": 1e-131,
    "float-max": 1.7976931348623157e308,
    "decimal-1E-130": Decimal("1E-130"),
    "decimal-1E-131": Decimal("1E-131"),
    "decimal-largest": Decimal("9.9999999999999999999999999999999999999E+125"),
    "decimal-1E+126": Decimal("1E+126"),
    "decimal-38-digits": Decimal("1234567890123456789012345678901234567.8"),
    "decimal-39-digits": Decimal("123456789012345678901234567890123456789"),
    "decimal-39-digits-with-zeros": Decimal("1.000000000000000000000000000000000000000"),
    "int-10e40": 10**40,
    "int-39-digits": 10**38 + 1,
}


@pytest.mark.parametrize("value", NUMBERS.values(), ids=NUMBERS.keys())
def test_number_is_accepted_or_refused_like_dynamodb_does(
    value: object, ddb_client: DynamoDBClient, ddb_tables: TableFactory
) -> None:
    table = table_of(ddb_tables, Blob)
    text = repr(value) if isinstance(value, float) else str(value)
    raw = {"pk": {"S": text}, "payload": {"N": text}}
    try:
        ours = encode_value(value)
    except ValidationError:
        message = dynamodb_refuses(ddb_client, table, raw)
        assert any(word in message for word in ("overflow", "underflow", "precision")), message
        return
    assert ours == {"N": text}
    stored = put_and_get(ddb_client, table, raw)
    assert Decimal(stored["payload"]["N"]) == Decimal(text)


def test_accepted_floats_read_back_as_the_same_float(
    ddb_client: DynamoDBClient, ddb_tables: TableFactory
) -> None:
    table = table_of(ddb_tables, Blob)
    codec = ItemCodec(FloatHolder)

    @ROUND_TRIP
    @given(floats)
    def same(value: float) -> None:
        instance = FloatHolder(pk="f", ratio=value)
        stored = put_and_get(ddb_client, table, codec.encode(instance))
        assert codec.decode(stored) == instance

    same()
