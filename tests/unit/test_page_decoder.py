"""The compiled page decoder (``ddbwrap._page_decoder``) reads a page exactly as the per-item
decoder does, or declines.

For every supported field type and for a model holding all of them, a page decoded in one call
gives instances equal in every respect (values, their types, the set fields, extras, private
state) to the per-item decoder's. Stored oddities (a NULL, another type, a missing attribute,
naive datetime text, corrupt values) either read the same or make it decline the page, never
read differently. Models it cannot vouch for get no page decoder at all.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Annotated, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ConfigDict, Field, PrivateAttr, field_validator, model_validator
from tests.unit.test_codec_properties import EVERYTHING, HOLDERS, TYPES, everything

from ddbwrap import DomainModel, ItemCodec, StoreNull
from ddbwrap._page_decoder import DecodedItems, body_reader, page_decoder
from ddbwrap.fastpath import dumps
from ddbwrap.keys import table_key_identity

Item = dict[str, Any]


def per_item(codec: ItemCodec[Any], raws: list[Item]) -> list[Any] | type[BaseException]:
    """What the per-item decoder gives for ``raws``: the instances, or the exception's type."""
    decode = codec.decoder()
    try:
        return [decode(raw) for raw in raws]
    except Exception as exc:  # the outcome is what is compared
        return type(exc)


def same_instances(got: list[Any], want: list[Any]) -> None:
    """Equal in every respect pydantic keeps on an instance."""
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert type(a) is type(b)
        assert a.__dict__ == b.__dict__
        assert {k: type(v) for k, v in a.__dict__.items()} == {
            k: type(v) for k, v in b.__dict__.items()
        }
        assert a.__pydantic_fields_set__ == b.__pydantic_fields_set__
        assert a.__pydantic_extra__ == b.__pydantic_extra__
        assert a.__pydantic_private__ == b.__pydantic_private__


def reads_as_per_item(codec: ItemCodec[Any], raws: list[Item]) -> bool:
    """Assert the page decoder, and the body reader given the page as DynamoDB sends it, give
    what the per-item decoder gives, or decline; True when the page decoder read the page."""
    decode_page = page_decoder(codec)
    assert decode_page is not None
    want = per_item(codec, raws)
    read_body = body_reader(codec, refuse_guards=True)
    assert read_body is not None
    from_body = read_body(dumps({"Items": raws, "Count": len(raws)}))
    if from_body is not None:
        assert isinstance(want, list), f"read a body the per-item decoder refuses ({want})"
        rest, decoded = from_body
        assert rest == {"Count": len(raws)}
        assert type(decoded["Items"]) is DecodedItems
        same_instances(decoded["Items"], want)
    read_batch = body_reader(codec, refuse_guards=True, member="Responses")
    assert read_batch is not None
    from_batch = read_batch(dumps({"Responses": {"t": raws}, "UnprocessedKeys": {}}))
    if from_batch is not None:
        assert isinstance(want, list), f"read a batch the per-item decoder refuses ({want})"
        rest, decoded = from_batch
        assert rest == {"UnprocessedKeys": {}}
        pairs = decoded["Responses"]["t"]
        attributes = [k.attribute for k in codec.schema.key_attributes]
        assert [identity for identity, _ in pairs] == [
            table_key_identity(raw, attributes) for raw in raws
        ]
        same_instances([instance for _, instance in pairs], want)
    got = decode_page(raws)
    if got is None:
        return False
    assert isinstance(want, list), f"read a page the per-item decoder refuses ({want})"
    same_instances(got, want)
    return True


# --- every type, and all at once -------------------------------------------------------------


@pytest.mark.parametrize("name", TYPES)
@given(data=st.data())
@settings(max_examples=40)
def test_a_page_of_each_field_type_reads_as_item_by_item(name: str, data: st.DataObject) -> None:
    model = HOLDERS[name]
    codec = ItemCodec(model)
    values = data.draw(st.lists(TYPES[name][1], min_size=2, max_size=4), label="values")
    raws = [codec.encode(model(pk=f"k{i}", v=v)) for i, v in enumerate(values)]
    assert reads_as_per_item(codec, raws)


@given(st.lists(everything, min_size=2, max_size=3))
@settings(max_examples=60)
def test_a_page_of_a_model_with_every_type_reads_as_item_by_item(originals: list[Any]) -> None:
    raws = [EVERYTHING.encode(original) for original in originals]
    assert reads_as_per_item(EVERYTHING, raws)


# --- stored oddities: the same reading, or the per-item decoder's -------------------------------


class Stored(DomainModel):
    pk: str
    name: str
    count: int = 7
    ratio: float = 0.5
    amount: Decimal = Decimal("1.5")
    flag: bool = False
    at: dt.datetime | None = None
    when: dt.datetime = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    note: str | None
    tags: set[str] = Field(default_factory=lambda: {"default"})
    numbers: frozenset[int] = frozenset()
    items: list[str] = Field(default_factory=list)
    extra: dict[str, Any] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=dict)
    kept: Annotated[str | None, StoreNull()] = "kept"

    class Meta:
        table_name = "stored"
        partition_key = "pk"


STORED = ItemCodec(Stored)


def stored(**changes: Any) -> Item:
    """A stored ``Stored`` item with attributes replaced (None: removed)."""
    item = STORED.encode(
        Stored(pk="p", name="n", note="x", tags={"a"}, numbers=frozenset({1}), counts={"c": 2})
    )
    for attribute, value in changes.items():
        if value is None:
            item.pop(attribute, None)
        else:
            item[attribute] = value
    return item


ODDITIES: dict[str, Item] = {
    "null in a field that refuses None": stored(count={"NULL": True}),
    "null in a field that accepts None": stored(note={"NULL": True}),
    "null in a set field": stored(tags={"NULL": True}),
    "a number where text is declared": stored(name={"N": "5"}),
    "text where a number is declared": stored(count={"S": "12"}),
    "a fraction in an int field": stored(count={"N": "1.5"}),
    "a whole decimal in an int field": stored(count={"N": "2.0"}),
    "a number in a bool field": stored(flag={"N": "1"}),
    "text in a bool field": stored(flag={"S": "true"}),
    "a list where a set is declared": stored(tags={"L": [{"S": "a"}]}),
    "a string set where numbers are declared": stored(numbers={"SS": ["x"]}),
    "numbers as text in a number set": stored(numbers={"NS": ["1", "2"]}),
    "a missing set": stored(tags=None, numbers=None),
    "a missing required field that accepts None": stored(note=None),
    "a missing required field": stored(name=None),
    "a missing field with a default": stored(count=None, ratio=None, amount=None),
    "naive datetime text": stored(when={"S": "2024-05-06T07:08:09"}),
    "naive datetime text in an optional field": stored(at={"S": "2024-05-06T07:08:09"}),
    "datetime text with an offset": stored(when={"S": "2024-05-06T07:08:09+02:00"}),
    "datetime text that is not a datetime": stored(when={"S": "yesterday"}),
    "an epoch number where a datetime is declared": stored(when={"N": "1700000000"}),
    "an empty AttributeValue": stored(name={}),
    "an unknown tag": stored(name={"X": "1"}),
    "an attribute nobody declared": stored(other={"S": "z"}),
    "a map where a list is declared": stored(items={"M": {"a": {"S": "b"}}}),
    "a null in a list": stored(items={"L": [{"NULL": True}]}),
    "binary in an untyped map": stored(extra={"M": {"b": {"B": b"\x00\x01"}}}),
    "a huge exact number": stored(amount={"N": "12345678901234567890123456789012345678"}),
    "a float spelled with an exponent": stored(ratio={"N": "1E+2"}),
    "a stored null kept as null": stored(kept={"NULL": True}),
    "an empty map": stored(extra={"M": {}}),
    "a null where a map is declared": stored(extra={"NULL": True}),
    "a list where a map is declared": stored(extra={"L": [{"S": "a"}]}),
    "text where a list is declared": stored(items={"S": "a"}),
    "a null where a list is declared": stored(items={"NULL": True}),
    "an empty AttributeValue where a list is declared": stored(items={}),
    "a map holding a key named like a tag": stored(extra={"M": {"NULL": {"BOOL": True}}}),
    "a number in a list of text": stored(items={"L": [{"S": "a"}, {"N": "1"}]}),
    "binary in a list of text": stored(items={"L": [{"B": b"\x00"}]}),
    "text in a map of numbers": stored(counts={"M": {"c": {"S": "2"}}}),
    "a fraction in a map of ints": stored(counts={"M": {"c": {"N": "2.5"}}}),
    "a whole decimal in a map of ints": stored(counts={"M": {"c": {"N": "2.0"}}}),
    "a null in a map of numbers": stored(counts={"M": {"c": {"NULL": True}}}),
    "text where a map of numbers is declared": stored(counts={"S": "c"}),
    "a list where a map of numbers is declared": stored(counts={"L": [{"N": "1"}]}),
    "binary text where text is declared": stored(name={"B": b"n"}),
    "a binary set where a string set is declared": stored(tags={"BS": [b"a"]}),
    "a number set where a map of numbers is declared": stored(counts={"NS": ["1"]}),
}


@pytest.mark.parametrize("oddity", ODDITIES)
def test_a_stored_oddity_reads_as_item_by_item_or_is_declined(oddity: str) -> None:
    reads_as_per_item(STORED, [stored(), ODDITIES[oddity]])


def test_an_ordinary_page_is_read_by_the_page_decoder() -> None:
    assert reads_as_per_item(STORED, [stored(), stored(pk={"S": "q"})])


def test_a_naive_datetime_declines_the_page_so_it_is_read_in_the_models_zone() -> None:
    decode_page = page_decoder(STORED)
    assert decode_page is not None
    assert decode_page([stored(), ODDITIES["naive datetime text"]]) is None


def test_a_null_declines_the_page_rather_than_reading_the_default() -> None:
    decode_page = page_decoder(STORED)
    assert decode_page is not None
    assert decode_page([stored(), ODDITIES["null in a field that refuses None"]]) is None


def test_another_type_declines_the_page_rather_than_reading_the_default() -> None:
    decode_page = page_decoder(STORED)
    assert decode_page is not None
    assert decode_page([stored(), stored(count={"S": "12"})]) is None


def test_missing_sets_read_as_empty_and_count_as_set() -> None:
    decode_page = page_decoder(STORED)
    assert decode_page is not None
    page = decode_page([stored(tags=None, numbers=None), stored()])
    assert page is not None
    assert page[0].tags == set()
    assert page[0].numbers == frozenset()
    assert {"tags", "numbers"} <= page[0].model_fields_set


# --- models it does not vouch for ------------------------------------------------------------


class WithModelValidator(DomainModel):
    pk: str

    @model_validator(mode="before")
    @classmethod
    def rename(cls, data: Any) -> Any:
        return data

    class Meta:
        table_name = "declined"
        partition_key = "pk"


class WithPrivateState(DomainModel):
    pk: str
    _seen: int = PrivateAttr(default=0)

    class Meta:
        table_name = "declined"
        partition_key = "pk"


class Strict(DomainModel, strict=True):
    pk: str

    class Meta:
        table_name = "declined"
        partition_key = "pk"


class WithPostInit(DomainModel):
    pk: str

    def model_post_init(self, context: Any) -> None:
        pass

    class Meta:
        table_name = "declined"
        partition_key = "pk"


@pytest.mark.parametrize("model", [WithModelValidator, WithPrivateState, Strict, WithPostInit])
def test_a_model_it_cannot_vouch_for_has_no_page_decoder(model: type[DomainModel]) -> None:
    assert page_decoder(ItemCodec(model)) is None


class WithFieldValidator(DomainModel):
    pk: str
    count: int
    name: str

    @field_validator("count", mode="before")
    @classmethod
    def seen_as_decoded(cls, value: Any) -> Any:
        assert isinstance(value, int), "a before-validator sees the decoded value"
        return value

    @field_validator("name")
    @classmethod
    def upper(cls, value: str) -> str:
        return value.upper()

    class Meta:
        table_name = "validated"
        partition_key = "pk"


def test_field_validators_see_what_they_see_item_by_item() -> None:
    codec = ItemCodec(WithFieldValidator)
    raws = [codec.encode(WithFieldValidator(pk=f"p{i}", count=i, name="a")) for i in range(3)]
    assert reads_as_per_item(codec, raws)


class Node(DomainModel):
    pk: str
    children: list[Node] = Field(default_factory=list)

    class Meta:
        table_name = "nodes"
        partition_key = "pk"


def test_a_recursive_model_reads_as_item_by_item() -> None:
    codec = ItemCodec(Node)
    tree = Node(pk="a", children=[Node(pk="b", children=[Node(pk="c")])])
    assert reads_as_per_item(codec, [codec.encode(tree), codec.encode(Node(pk="d"))])


class Fresh(DomainModel):
    pk: str
    count: int = 0

    class Meta:
        table_name = "fresh"
        partition_key = "pk"


def test_compiling_leaves_the_models_own_validation_as_it_was() -> None:
    # pydantic-core builds the compiled reader's instances; building it must not change how
    # the model itself validates or that pydantic holds it complete
    codec = ItemCodec(Fresh)
    decode_page = page_decoder(codec)
    assert decode_page is not None
    page = decode_page([{"pk": {"S": "a"}, "count": {"N": "3"}}])
    assert page == [Fresh(pk="a", count=3)]
    assert Fresh.__pydantic_complete__ is True
    assert Fresh(pk="b", count="4").count == 4  # type: ignore[arg-type]
    assert Fresh.model_validate({"pk": "c"}) == Fresh(pk="c")
    with pytest.raises(ValueError):
        Fresh.model_validate({"pk": {"S": "a"}})


def test_readers_compiled_on_many_threads_at_once_all_read_and_leave_the_model_complete() -> None:
    # each compile marks the model incomplete for a moment: threads must not interleave that
    codecs = [ItemCodec(Fresh) for _ in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        readers = list(pool.map(page_decoder, codecs))
    assert Fresh.__pydantic_complete__ is True
    for decode_page in readers:
        assert decode_page is not None
        assert decode_page([{"pk": {"S": "a"}, "count": {"N": "3"}}]) == [Fresh(pk="a", count=3)]


# --- the read core's page decoding -----------------------------------------------------------


class Guarded(DomainModel):
    pk: str
    n: int = 0
    email: str | None = None

    class Meta:
        table_name = "guarded"
        partition_key = "pk"
        unique = ("email",)


def test_a_long_page_reads_in_order_across_chunks_without_guard_items() -> None:
    import boto3

    from ddbwrap import ReadApi, TableGateway
    from ddbwrap.read import core

    codec = ItemCodec(Guarded)
    raws: list[Item] = []
    for i in range(3 * core.CHUNK + 5):
        raws.append(codec.encode(Guarded(pk=f"p{i:04d}", n=i)))
        if i % 50 == 0:  # a guard item of the same table, as a scan meets them
            raws.append(
                {
                    "pk": {"S": f"Guarded#email#{i}"},
                    "owner": {"S": "{}"},
                    "owner_table": {"S": "guarded"},
                }
            )
    client = boto3.client("dynamodb", region_name="us-east-1")
    reads = ReadApi[Guarded](TableGateway(client))
    expected = [r for r in raws if "owner_table" not in r]
    want = [codec.decode(r) for r in expected]

    got = reads._core.decode_all(raws, None, "raise", [])

    assert [g.n for g in got] == [w.n for w in want] == list(range(3 * core.CHUNK + 5))
    same_instances(got, want)
    assert all(raw is None for raw in raws)  # each decoded raw item released from the list


# --- the body reader: a Query or Scan answer's items read straight from its JSON ---------------


def body_of(raws: list[Item], **members: Any) -> bytes:
    """A Query answer's body, as DynamoDB sends it (binary values as base64)."""
    return dumps({"Items": raws, "Count": len(raws), "ScannedCount": len(raws), **members})


def test_an_ordinary_body_is_read_by_the_body_reader() -> None:
    raws = [stored(), stored(pk={"S": "q"})]
    read_body = body_reader(STORED, refuse_guards=True)
    assert read_body is not None

    answer = read_body(body_of(raws))

    assert answer is not None
    same_instances(answer[1]["Items"], [STORED.decode(raw) for raw in raws])


def test_the_body_readers_other_members_are_left_as_json() -> None:
    last = {"pk": {"S": "q"}}
    read_body = body_reader(STORED, refuse_guards=True)
    assert read_body is not None

    answer = read_body(body_of([stored()], LastEvaluatedKey=last))

    assert answer is not None
    assert answer[0] == {"Count": 1, "ScannedCount": 1, "LastEvaluatedKey": last}
    assert list(answer[1]) == ["Items"]


def test_a_body_with_a_binary_value_is_declined() -> None:
    class Blob(DomainModel):
        pk: str
        data: bytes

        class Meta:
            table_name = "blobs"
            partition_key = "pk"

    codec = ItemCodec(Blob)
    read_body = body_reader(codec, refuse_guards=True)
    assert read_body is not None
    raws = [codec.encode(Blob(pk="a", data=b"\x00\xff"))]

    assert read_body(body_of(raws)) is None  # base64 text never reads as the bytes


def test_a_guard_item_declines_the_body_when_guards_are_refused() -> None:
    codec = ItemCodec(Guarded)
    guard = {"pk": {"S": "Guarded#email#a"}, "owner": {"S": "{}"}, "owner_table": {"S": "g"}}
    body = body_of([codec.encode(Guarded(pk="p")), guard])
    refusing = body_reader(codec, refuse_guards=True)
    trusting = body_reader(codec, refuse_guards=False)
    assert refusing is not None and trusting is not None

    assert refusing(body) is None
    read = trusting(body)  # a guard item would read as a Guarded: why the read core refuses
    assert read is not None and [g.pk for g in read[1]["Items"]] == ["p", "Guarded#email#a"]


def test_refusing_guards_reads_a_body_unless_it_names_the_guard_attribute() -> None:
    codec = ItemCodec(Guarded)
    refusing = body_reader(codec, refuse_guards=True)
    assert refusing is not None
    plain = refusing(body_of([codec.encode(Guarded(pk="p", email="a@x"))]))
    assert plain is not None and plain[1]["Items"] == [Guarded(pk="p", email="a@x")]
    assert plain[1]["Items"][0].model_fields_set == {"pk", "n", "email"}
    # the name as a value is no guard item, but declining only costs the usual parse
    assert refusing(body_of([codec.encode(Guarded(pk="owner_table"))])) is None


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"Items": {}}', b'{"Items": [1]}', b'{"Items": null}'],
    ids=["empty", "not-json", "a-list", "items-a-map", "items-not-maps", "items-null"],
)
def test_a_body_that_is_not_an_answer_is_declined(body: bytes) -> None:
    read_body = body_reader(STORED, refuse_guards=True)
    assert read_body is not None
    assert read_body(body) is None


def test_a_model_it_cannot_vouch_for_has_no_body_reader() -> None:
    assert body_reader(ItemCodec(WithModelValidator), refuse_guards=True) is None


def test_a_batch_body_gives_each_item_with_its_stored_key_identity() -> None:
    raws = [stored(), stored(pk={"S": "q"})]
    read_batch = body_reader(STORED, refuse_guards=True, member="Responses")
    assert read_batch is not None

    answer = read_batch(dumps({"Responses": {"stored": raws}}))

    assert answer is not None
    pairs = answer[1]["Responses"]["stored"]
    assert [identity for identity, _ in pairs] == [("p",), ("q",)]
    same_instances([item for _, item in pairs], [STORED.decode(raw) for raw in raws])


def test_a_batch_body_identifies_a_number_key_by_its_value_whatever_its_spelling() -> None:
    class Ranked(DomainModel):
        board: str
        score: Decimal
        name: str = ""

        class Meta:
            table_name = "ranked"
            partition_key = "board"
            sort_key = "score"

    codec = ItemCodec(Ranked)
    read_batch = body_reader(codec, refuse_guards=True, member="Responses")
    assert read_batch is not None
    raws = [
        {"board": {"S": "b"}, "score": {"N": "1.50"}},
        {"board": {"S": "b"}, "score": {"N": "2"}},
    ]

    answer = read_batch(dumps({"Responses": {"ranked": raws}}))

    assert answer is not None
    pairs = answer[1]["Responses"]["ranked"]
    wanted = [
        codec.key({"board": "b", "score": Decimal("1.5")}),
        codec.key({"board": "b", "score": 2}),
    ]
    assert [identity for identity, _ in pairs] == [
        table_key_identity(key, ["board", "score"]) for key in wanted
    ]
    assert [item.score for _, item in pairs] == [Decimal("1.50"), Decimal("2")]


class Lowered(DomainModel):
    """Its texts are lowered as they are read: a key stored in capitals (by another writer)
    reads as a field value that differs from the stored key."""

    model_config = ConfigDict(str_to_lower=True)
    pk: str
    name: str = ""

    class Meta:
        table_name = "lowered"
        partition_key = "pk"


class Bounded(DomainModel):
    """Its key field refuses long texts but changes none."""

    pk: str = Field(max_length=8)
    name: str = ""

    class Meta:
        table_name = "bounded"
        partition_key = "pk"


@pytest.mark.parametrize("model", [Lowered, Bounded], ids=["text-changing", "constrained"])
def test_a_batch_body_identifies_each_item_by_its_stored_key_text(model: type[Any]) -> None:
    read_batch = body_reader(ItemCodec(model), refuse_guards=True, member="Responses")
    assert read_batch is not None
    raws = [{"pk": {"S": "ABC"}, "name": {"S": "a"}}, {"pk": {"S": "Def"}, "name": {"S": "d"}}]

    answer = read_batch(dumps({"Responses": {"t": raws}}))

    assert answer is not None
    pairs = answer[1]["Responses"]["t"]
    assert [identity for identity, _ in pairs] == [("ABC",), ("Def",)]
    same_instances([item for _, item in pairs], per_item(ItemCodec(model), raws))  # type: ignore[arg-type]


@pytest.mark.parametrize("model", [Lowered, Bounded], ids=["text-changing", "constrained"])
def test_a_get_body_gives_its_item_with_its_stored_key_text(model: type[Any]) -> None:
    read_item = body_reader(ItemCodec(model), refuse_guards=True, member="Item")
    assert read_item is not None
    raw = {"pk": {"S": "ABC"}, "name": {"S": "a"}}

    answer = read_item(dumps({"Item": raw, "ConsumedCapacity": {"TableName": "t"}}))

    assert answer is not None
    parsed, read = answer
    assert parsed == {"ConsumedCapacity": {"TableName": "t"}}
    identity, item = read["Item"]
    assert identity == ("ABC",)
    same_instances([item], per_item(ItemCodec(model), [raw]))  # type: ignore[arg-type]


def test_a_get_body_without_an_item_or_with_a_corrupt_one_is_left_to_the_usual_parse() -> None:
    read_item = body_reader(ItemCodec(Bounded), refuse_guards=True, member="Item")
    assert read_item is not None
    assert read_item(dumps({})) == ({}, {})  # no item: nothing to read
    assert read_item(dumps({"Item": {"pk": {"S": "far-too-long"}}})) is None  # refused


def test_a_batch_body_with_a_binary_key_is_declined() -> None:
    class BinaryKeyed(DomainModel):
        pk: bytes
        n: int = 0

        class Meta:
            table_name = "binary_keyed"
            partition_key = "pk"

    codec = ItemCodec(BinaryKeyed)
    read_batch = body_reader(codec, refuse_guards=True, member="Responses")
    raws = [codec.encode(BinaryKeyed(pk=b"\x01")), codec.encode(BinaryKeyed(pk=b"\x02"))]
    assert read_batch is None or read_batch(dumps({"Responses": {"t": raws}})) is None
