"""Names that poison items: text DynamoDB cannot store never reaches it, on DynamoDB Local.

A lone surrogate (``"\\ud800"``; what bytes decoded with ``surrogateescape`` leave behind) is not
valid Unicode. DynamoDB Local accepted an update that stored one as a map key, and then failed
every later read of the item with an InternalFailure. Such text is refused before sending, with
a ``ValidationError`` naming the model and the path, wherever a name can come from: a path
segment at every position (after a map, after a list index, deep inside), an update, a
condition, a filter, a projection, ``Attr.foreign``, and the map keys of values written by every
write path. Nothing is sent, and the stored item is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from ddbwrap import DdbwrapError, DomainModel, UpdateDTO, ValidationError
from ddbwrap.expressions import Attr, Path, ProjectionExpression, Update, parse_path
from ddbwrap.gateway import TableGateway
from ddbwrap.read import ReadApi
from ddbwrap.write import BatchWriter, Transaction, WriteApi

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap.testing.plugin import TableFactory

SECRET = "security-suite-cursor-secret-0123456789abcdef"
POISON = ("\ud800", "\udfff", "ok\udc80ok")
"""A lone high surrogate, a lone low one, and one inside ordinary text (surrogateescape)."""
KEY = {"doc_id": "d1"}


class Doc(DomainModel):
    doc_id: str
    owner: str = "o1"
    labels: dict[str, str] = {}
    meta: dict[str, Any] = {}
    notes: list[dict[str, str]] = []
    title: str = ""

    class Meta:
        table_name = "docs"
        partition_key = "doc_id"


class Relabel(UpdateDTO[Doc]):
    labels: dict[str, str]


@pytest.fixture
def docs(ddb_tables: TableFactory) -> TableGateway:
    gateway = ddb_tables(Doc)
    WriteApi[Doc](gateway).create(
        Doc(doc_id="d1", labels={"env": "prod"}, meta={"ok": {"n": 1}}, notes=[{"a": "b"}])
    )
    return gateway


def stored(ddb_client: DynamoDBClient, gateway: TableGateway) -> dict[str, Any]:
    item: dict[str, Any] = ddb_client.get_item(
        TableName=gateway.physical_table_name("docs"), Key={"doc_id": {"S": "d1"}}
    )["Item"]
    return item


Operation = Callable[[TableGateway, str], object]

PATHS: dict[str, Operation] = {
    "update.set map key": lambda g, bad: WriteApi[Doc](g).update(
        KEY, Update().set(Path.of("labels", bad), "x")
    ),
    "update.set deep map key": lambda g, bad: WriteApi[Doc](g).update(
        KEY, Update().set(Path.of("meta", "ok", bad), 1)
    ),
    "update.set after a list index": lambda g, bad: WriteApi[Doc](g).update(
        KEY, Update().set(Path.of("notes", 0, bad), "x")
    ),
    "update.remove": lambda g, bad: WriteApi[Doc](g).update(
        KEY, Update().remove(Path.of("labels", bad))
    ),
    "update.increment": lambda g, bad: WriteApi[Doc](g).update(
        KEY, Update().increment(Path.of("meta", bad))
    ),
    "update from a parsed string": lambda g, bad: WriteApi[Doc](g).update(
        KEY, Update().set(parse_path(f"labels.{bad}"), "x")
    ),
    "update condition": lambda g, bad: WriteApi[Doc](g).update(
        KEY, Update().set("title", "t"), condition=Attr(Path.of("labels", bad)).exists()
    ),
    "delete condition": lambda g, bad: WriteApi[Doc](g).delete(
        KEY, condition=Attr(Path.of("labels", bad)) == "x"
    ),
    "put condition": lambda g, bad: WriteApi[Doc](g).put(
        Doc(doc_id="d1"), condition=Attr(Path.of("meta", bad)).not_exists()
    ),
    "query filter": lambda g, bad: ReadApi[Doc](g, cursor_secret=SECRET).query(
        doc_id="d1", filter=Attr(Path.of("labels", bad)) == "x"
    ),
    "scan filter on size()": lambda g, bad: ReadApi[Doc](g, cursor_secret=SECRET).scan(
        filter=Attr(Path.of("meta", bad)).size() > 1
    ),
    "count filter": lambda g, bad: ReadApi[Doc](g).count(
        doc_id="d1", filter=Attr(Path.of("labels", bad)).begins_with("x")
    ),
    "scan_count filter": lambda g, bad: ReadApi[Doc](g).scan_count(
        filter=Attr(Path.of("notes", 0, bad)).contains("x")
    ),
    "foreign attribute": lambda g, bad: ReadApi[Doc](g, cursor_secret=SECRET).scan(
        filter=Attr.foreign(Path.of(bad)) == "x"
    ),
    "foreign nested attribute": lambda g, bad: WriteApi[Doc](g).delete(
        KEY, condition=Attr.foreign(Path.of("legacy", bad)).exists()
    ),
    "transaction condition check": lambda g, bad: _transaction(
        g, lambda tx: tx.check(Doc, KEY, Attr(Path.of("labels", bad)).exists())
    ),
}

VALUES: dict[str, Operation] = {
    "create": lambda g, bad: WriteApi[Doc](g).create(Doc(doc_id="d2", labels={bad: "x"})),
    "put": lambda g, bad: WriteApi[Doc](g).put(Doc(doc_id="d1", labels={bad: "x"})),
    "replace": lambda g, bad: WriteApi[Doc](g).replace(Doc(doc_id="d1", meta={"a": {bad: 1}})),
    "update with a DTO": lambda g, bad: WriteApi[Doc](g).update(KEY, Relabel(labels={bad: "x"})),
    "upsert with a DTO": lambda g, bad: WriteApi[Doc](g).update(
        {"doc_id": "d3"}, Relabel(labels={bad: "x"}), upsert=True
    ),
    "update.set of a map": lambda g, bad: WriteApi[Doc](g).update(
        KEY, Update().set("labels", {bad: "x"})
    ),
    "update.append of a map": lambda g, bad: WriteApi[Doc](g).update(
        KEY, Update().append("notes", [{bad: "x"}])
    ),
    "condition value": lambda g, bad: WriteApi[Doc](g).delete(
        KEY, condition=Attr("labels") == {bad: "x"}
    ),
    "transaction create": lambda g, bad: _transaction(
        g, lambda tx: tx.create(Doc(doc_id="d2", labels={bad: "x"}))
    ),
    "batch put": lambda g, bad: _batch(g, Doc(doc_id="d2", meta={bad: None})),
}


def _transaction(gateway: TableGateway, add: Callable[[Transaction], object]) -> None:
    with Transaction(gateway) as tx:
        add(tx)


def _batch(gateway: TableGateway, doc: Doc) -> None:
    with BatchWriter(gateway, Doc) as batch:
        batch.put(doc)


@pytest.mark.parametrize("bad", POISON, ids=["high", "low", "escaped"])
@pytest.mark.parametrize("operation", list(PATHS.values()), ids=list(PATHS))
def test_a_poisoned_path_segment_is_refused_naming_model_and_path(
    operation: Operation,
    bad: str,
    docs: TableGateway,
    ddb_client: DynamoDBClient,
    sent: list[str],
) -> None:
    before = stored(ddb_client, docs)
    sent.clear()
    with pytest.raises(ValidationError) as info:
        operation(docs, bad)
    assert isinstance(info.value, DdbwrapError)
    assert info.value.model == "Doc"
    assert info.value.field is not None
    assert "lone surrogate" in str(info.value)
    str(info.value).encode()  # the message itself is valid text: it can be logged
    assert sent == []
    assert stored(ddb_client, docs) == before


@pytest.mark.parametrize("bad", POISON, ids=["high", "low", "escaped"])
@pytest.mark.parametrize("operation", list(VALUES.values()), ids=list(VALUES))
def test_a_poisoned_map_key_in_a_value_is_refused_naming_model_and_field(
    operation: Operation,
    bad: str,
    docs: TableGateway,
    ddb_client: DynamoDBClient,
    sent: list[str],
) -> None:
    before = stored(ddb_client, docs)
    sent.clear()
    with pytest.raises(ValidationError) as info:
        operation(docs, bad)
    assert info.value.model == "Doc"
    assert info.value.field in ("labels", "meta", "notes")
    assert "lone surrogate" in str(info.value)
    str(info.value).encode()
    assert sent == []
    assert stored(ddb_client, docs) == before
    assert ReadApi[Doc](docs).get(doc_id="d2") is None


@pytest.mark.parametrize("bad", POISON, ids=["high", "low", "escaped"])
def test_a_poisoned_projection_path_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="lone surrogate") as info:
        ProjectionExpression([Path.of("labels", bad), "title"]).params(Doc)
    assert (info.value.model, info.value.field) == ("Doc", f"labels.{bad}".encode(
        "utf-8", "backslashreplace"
    ).decode())


def test_valid_unicode_names_still_work(docs: TableGateway) -> None:
    writes, reads = WriteApi[Doc](docs), ReadApi[Doc](docs)
    writes.update(KEY, Update().set(Path.of("labels", "caf\u00e9 \U0001f600"), "x"))
    found = reads.require(KEY)
    assert found.labels["caf\u00e9 \U0001f600"] == "x"
    assert found.labels["env"] == "prod"
