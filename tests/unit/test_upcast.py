"""Meta.schema_version and upcasters: definition checks, the read-side chain, the write stamp."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ddbwrap import CorruptItemError, DomainModel, ModelDefinitionError, ReadApi, WriteApi
from ddbwrap.codec import codec_for
from ddbwrap.gateway import TableGateway
from ddbwrap.meta import KeyTemplate
from ddbwrap.tooling import create_tables
from ddbwrap.upcast import upcast
from ddbwrap.write import BatchWriter, CreateDTO, Transaction, UpdateDTO
from ddbwrap.write.hooks import HOOKS, SchemaVersionStamp, hooks_for
from ddbwrap.write.requests import create_plan, put_plan, update_plan

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def split_name(item: dict[str, Any]) -> dict[str, Any]:
    """1 -> 2: ``name`` becomes ``first_name`` and ``last_name``."""
    first, _, last = item.pop("name", "").partition(" ")
    item.setdefault("first_name", first)
    item.setdefault("last_name", last)
    return item


def add_level(item: dict[str, Any]) -> None:
    """2 -> 3: a new required ``level``, in place (returns None)."""
    item.setdefault("level", 1)


class Person(DomainModel):
    person_id: str
    first_name: str
    last_name: str
    level: int

    class Meta:
        table_name = "people"
        partition_key = "person_id"
        schema_version = 3
        schema_version_attribute = "_v"
        upcasters = {1: split_name, 2: add_level}


class Plain(DomainModel):
    plain_id: str

    class Meta:
        table_name = "plain"
        partition_key = "plain_id"


def raw(**values: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        out[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
    return out


# -- definition checks -------------------------------------------------------------------------


def define(**meta: Any) -> type[DomainModel]:
    options = {"table_name": "t", "partition_key": "pk", **meta}
    meta_class = type("Meta", (), {**options, "__module__": __name__, "__qualname__": "Thing.Meta"})
    namespace = {
        "__annotations__": {"pk": str},
        "Meta": meta_class,
        "__module__": __name__,
        "__qualname__": "Thing",
    }
    return type("Thing", (DomainModel,), namespace)


@pytest.mark.parametrize(
    ("meta", "words"),
    [
        ({"schema_version": 2}, ["Thing", "schema_version_attribute", "'_v'", "explicit"]),
        ({"schema_version_attribute": "_v"}, ["Thing", "need(s) Meta.schema_version"]),
        ({"upcasters": {1: split_name}}, ["Thing", "Meta.upcasters", "schema_version"]),
        ({"schema_version": 0, "schema_version_attribute": "_v"}, ["int >= 1"]),
        ({"schema_version": "2", "schema_version_attribute": "_v"}, ["int >= 1"]),
        (
            {"schema_version": 3, "schema_version_attribute": "_v", "upcasters": {1: split_name}},
            ["no upcaster from version(s) 2", "version 3"],
        ),
        (
            {"schema_version": 2, "schema_version_attribute": "_v"},
            ["no upcaster from version(s) 1", "schema_version_default = 2"],
        ),
        (
            {
                "schema_version": 2,
                "schema_version_attribute": "_v",
                "upcasters": {1: split_name, 2: add_level},
            },
            ["upcaster from version 2", "schema_version is 2", "raise schema_version to 3"],
        ),
        (
            {"schema_version": 2, "schema_version_attribute": "pk", "upcasters": {1: split_name}},
            ["stored name of field 'pk'"],
        ),
        (
            {"schema_version": 2, "schema_version_attribute": "_v", "upcasters": {1: "nope"}},
            ["Meta.upcasters[1] must be a function"],
        ),
        (
            {"schema_version": 2, "schema_version_attribute": "_v", "upcasters": (split_name,)},
            ["not marked with @upcast(from_version=N)"],
        ),
        (
            {"schema_version": 2, "schema_version_attribute": "_v", "upcasters": split_name},
            ["must be a dict"],
        ),
        (
            {
                "schema_version": 2,
                "schema_version_attribute": "_v",
                "schema_version_default": 3,
            },
            ["schema_version_default", "from 1 to schema_version (2)"],
        ),
        (
            {"schema_version": 2, "schema_version_atribute": "_v"},
            ["unknown Meta option", "schema_version_attribute"],
        ),
    ],
)
def test_bad_declarations_fail_at_definition(meta: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(ModelDefinitionError) as caught:
        define(**meta)
    for word in words:
        assert word in str(caught.value)


def test_key_template_attribute_cannot_hold_the_version() -> None:
    with pytest.raises(ModelDefinitionError, match="key template"):
        define(
            partition_key=KeyTemplate("_v", "T#{pk}"),
            schema_version=1,
            schema_version_attribute="_v",
        )


def test_good_declarations() -> None:
    stamp_only = define(schema_version=1, schema_version_attribute="_v")
    versioning = stamp_only.__ddb_schema__.versioning  # type: ignore[union-attr]
    assert versioning is not None and versioning.upcasters == {}
    assert codec_for(stamp_only)._upcast is None  # nothing to upcast: no step on read

    @upcast(from_version=2)
    def two(item: dict[str, Any]) -> dict[str, Any]:
        return item

    marked = define(
        schema_version=3,
        schema_version_attribute="_v",
        schema_version_default=2,
        upcasters=[two],
    )
    versioning = marked.__ddb_schema__.versioning  # type: ignore[union-attr]
    assert versioning is not None
    assert versioning.upcasters == {2: two} and versioning.default == 2 and versioning.oldest == 2
    assert Plain.__ddb_schema__ is not None and Plain.__ddb_schema__.versioning is None


# -- read side ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "item",
    [
        raw(person_id="p1", name="Ada Lovelace"),  # no _v: version 1
        raw(person_id="p1", name="Ada Lovelace", _v=1),
        raw(person_id="p1", first_name="Ada", last_name="Lovelace", _v=2),
        raw(person_id="p1", first_name="Ada", last_name="Lovelace", level=1, _v=3),
    ],
)
def test_every_version_reads_as_the_current_model(item: dict[str, Any]) -> None:
    codec = codec_for(Person)
    expected = Person(person_id="p1", first_name="Ada", last_name="Lovelace", level=1)
    assert codec.decode(item) == expected
    assert codec.decoder()(item) == expected


def test_current_items_are_not_copied() -> None:
    codec = codec_for(Person)
    item = raw(person_id="p1", first_name="A", last_name="B", level=2, _v=3)
    assert codec._upcast is not None
    assert codec._upcast(item) is item
    newer = raw(person_id="p1", first_name="A", last_name="B", level=2, _v=4)
    assert codec._upcast(newer) is newer  # a newer writer's item: read as it is


def test_upcasters_see_undeclared_attributes_and_keep_new_shape_values() -> None:
    seen: list[dict[str, Any]] = []

    def spy(item: dict[str, Any]) -> dict[str, Any]:
        seen.append(dict(item))
        return split_name(item)

    spied = define(schema_version=2, schema_version_attribute="_v", upcasters={1: spy})
    codec_for(spied).decode(raw(pk="k", name="A B", other_service="x"))
    assert seen == [{"pk": "k", "name": "A B", "other_service": "x"}]


def test_failing_upcaster_is_a_corrupt_item_naming_the_key_not_values() -> None:
    def broken(item: dict[str, Any]) -> dict[str, Any]:
        raise KeyError(item["secret"])

    broken_model = define(schema_version=2, schema_version_attribute="_v", upcasters={1: broken})
    with pytest.raises(CorruptItemError) as caught:
        codec_for(broken_model).decode(raw(pk="k1", secret="hunter2"))
    text = str(caught.value)
    assert "k1" in text and "version 1 to 2" in text and "KeyError" in text
    assert "hunter2" not in text


def test_unreadable_version_is_a_corrupt_item() -> None:
    with pytest.raises(CorruptItemError, match="'_v' is not a version"):
        codec_for(Person).decode({**raw(person_id="p1"), "_v": {"S": "two"}})


def test_upcasted_key_forms_follow_the_model() -> None:
    def add_flag(item: dict[str, Any]) -> dict[str, Any]:
        item.setdefault("when", dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc))
        return item

    class Stamped(DomainModel):
        stamped_id: str
        when: dt.datetime

        class Meta:
            table_name = "stamped"
            partition_key = "stamped_id"
            schema_version = 2
            schema_version_attribute = "_v"
            upcasters = {1: add_flag}

    assert codec_for(Stamped).decode(raw(stamped_id="s")).when == dt.datetime(
        2026, 1, 2, tzinfo=dt.timezone.utc
    )


# -- write side --------------------------------------------------------------------------------


class NewPerson(CreateDTO[Person]):
    person_id: str
    first_name: str
    last_name: str
    level: int


class Rename(UpdateDTO[Person]):
    first_name: str


def test_stamp_hook_order_and_applicability() -> None:
    assert isinstance(HOOKS[-1], SchemaVersionStamp)
    assert Person.__ddb_schema__ is not None and Plain.__ddb_schema__ is not None
    assert any(isinstance(h, SchemaVersionStamp) for h in hooks_for(Person.__ddb_schema__))
    assert not any(isinstance(h, SchemaVersionStamp) for h in hooks_for(Plain.__ddb_schema__))


def test_create_and_put_stamp_update_does_not() -> None:
    person = Person(person_id="p1", first_name="A", last_name="B", level=1)
    ((_, create),) = create_plan(Person, person, now=NOW).requests()
    assert create["Item"]["_v"] == {"N": "3"}
    ((_, put),) = put_plan(Person, person, now=NOW).requests()
    names = {v: k for k, v in put["ExpressionAttributeNames"].items()}
    assert f"{names['_v']} = " in put["UpdateExpression"]
    assert {"N": "3"} in put["ExpressionAttributeValues"].values()
    ((_, update),) = update_plan(
        Person, {"person_id": "p1"}, Rename(first_name="C"), now=NOW
    ).requests()
    assert "_v" not in update["ExpressionAttributeNames"].values()


def test_unversioned_models_are_never_stamped() -> None:
    ((_, create),) = create_plan(Plain, Plain(plain_id="x"), now=NOW).requests()
    assert set(create["Item"]) == {"plain_id"}


@pytest.fixture
def gateway() -> Iterator[TableGateway]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        gateway = TableGateway(client)
        create_tables(gateway, [Person])
        yield gateway


def stored(gateway: TableGateway, person_id: str) -> dict[str, Any]:
    response = gateway.get_item({"TableName": "people", "Key": {"person_id": {"S": person_id}}})
    item: dict[str, Any] = response["Item"]
    return item


def test_writes_stamp_and_reads_upcast_against_moto(gateway: TableGateway) -> None:
    client = gateway.client
    client.put_item(TableName="people", Item=raw(person_id="v1", name="Ada Lovelace"))
    client.put_item(
        TableName="people", Item=raw(person_id="v2", first_name="Alan", last_name="Turing", _v=2)
    )
    writes = WriteApi[Person](gateway)
    writes.create(NewPerson(person_id="v3", first_name="Grace", last_name="Hopper", level=2))
    assert stored(gateway, "v3")["_v"] == {"N": "3"}

    reads = ReadApi[Person](gateway)
    assert reads.require(person_id="v1").first_name == "Ada"
    assert reads.require(person_id="v2").level == 1
    assert reads.require(person_id="v3").level == 2
    assert sorted(p.person_id for p in reads.scan()) == ["v1", "v2", "v3"]

    # a partial update leaves the version alone; the upcaster keeps the new value
    writes.update({"person_id": "v1"}, Rename(first_name="Augusta"))
    assert "_v" not in stored(gateway, "v1")
    assert reads.require(person_id="v1").first_name == "Augusta"

    # a whole-item write stores the current shape and stamps it
    writes.put(reads.require(person_id="v2"))
    assert stored(gateway, "v2")["_v"] == {"N": "3"}
    assert stored(gateway, "v2")["level"] == {"N": "1"}

    with BatchWriter(gateway, Person) as batch:
        batch.put(Person(person_id="b1", first_name="B", last_name="W", level=1))
    assert stored(gateway, "b1")["_v"] == {"N": "3"}

    with Transaction(gateway) as tx:
        tx.create(NewPerson(person_id="t1", first_name="T", last_name="X", level=1))
    assert stored(gateway, "t1")["_v"] == {"N": "3"}


def test_tooling_knows_the_version_attribute() -> None:
    from ddbwrap.tooling.attributes import stored_attributes

    (version,) = [a for a in stored_attributes(Person) if a.name == "_v"]
    assert (version.types, version.required, version.field) == (("N",), False, None)
    assert "_v" not in {a.name for a in stored_attributes(Plain)}


def test_stream_images_are_upcast() -> None:
    from ddbwrap.streams import StreamDecoder

    record = {
        "eventID": "1",
        "eventVersion": "1.0",
        "eventName": "MODIFY",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/people/stream/2026-01-01",
        "dynamodb": {
            "Keys": {"person_id": {"S": "p1"}},
            "OldImage": raw(person_id="p1", name="Ada Lovelace"),
            "NewImage": raw(person_id="p1", first_name="Ada", last_name="L", level=2, _v=3),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
            "SequenceNumber": "111",
            "SizeBytes": 26,
            "ApproximateCreationDateTime": 1795339800,
        },
    }
    decoder = StreamDecoder()
    decoder.register(Person)
    (change,) = decoder.decode({"Records": [record]}).changes
    assert change.old == Person(person_id="p1", first_name="Ada", last_name="Lovelace", level=1)
    assert change.new == Person(person_id="p1", first_name="Ada", last_name="L", level=2)
