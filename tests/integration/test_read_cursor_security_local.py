"""Cursors issued by ReadApi against DynamoDB Local disclose nothing and stay on their table.

A page that ends on items the filter hid carries DynamoDB's LastEvaluatedKey, the key of a
hidden item: the cursor must not reveal it. A cursor issued on one physical table (the same
model under the table prefix "a-") is refused on another ("b-"), with the same secret.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from ddbwrap import GSI, DomainModel
from ddbwrap.codec import codec_for
from ddbwrap.errors import InvalidCursorError
from ddbwrap.expressions import Attr
from ddbwrap.gateway import TableGateway
from ddbwrap.read import ReadApi, View
from ddbwrap.tooling import create_tables

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap.testing.plugin import TableFactory

pytestmark = pytest.mark.integration

SECRET = "integration-test-cursor-secret-0123456789"
TENANT = "tenant-acme-42"


class Note(DomainModel):
    tenant_id: str
    note_id: str
    owner: str = "ops"
    visible: bool = True
    title: str = ""

    class Meta:
        table_name = "cursor_security_notes"
        partition_key = "tenant_id"
        sort_key = "note_id"
        gsis = [GSI("owner-index", partition_key="owner")]


class NoteTitle(View[Note]):
    """A view that leaves out every key attribute of the table."""

    title: str


def _put(gateway: TableGateway, *notes: Note) -> None:
    codec = codec_for(Note)
    gateway.batch_write(
        {"cursor_security_notes": [{"PutRequest": {"Item": codec.encode(n)}} for n in notes]}
    )


def _raw(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def _readable(cursor: str) -> bytes:
    """Everything one could read out of a cursor: its text and its base64-decoded bytes."""
    return cursor.encode() + b"\n" + _raw(cursor)


@pytest.fixture
def notes(ddb_tables: TableFactory) -> TableGateway:
    """One tenant: n1 visible, then hidden notes whose ids are secrets, then n9 visible."""
    gateway = ddb_tables(Note)
    _put(
        gateway,
        Note(tenant_id=TENANT, note_id="n1", title="first"),
        Note(tenant_id=TENANT, note_id="n2-hidden-7f3a91", visible=False, title="x"),
        Note(tenant_id=TENANT, note_id="n3-hidden-c0ffee", visible=False, title="y"),
        Note(tenant_id=TENANT, note_id="n9", title="last"),
    )
    return gateway


def test_page_ending_on_filtered_items_has_a_cursor_without_their_keys(
    notes: TableGateway,
) -> None:
    reads = ReadApi[Note](notes, cursor_secret=SECRET)
    visible = Attr("visible") == True  # noqa: E712 - builds a condition, not a comparison
    page = reads.query(tenant_id=TENANT, filter=visible, page_size=3)
    assert [n.note_id for n in page] == ["n1"]
    assert page.cursor is not None  # DynamoDB stopped on the hidden n3
    readable = _readable(page.cursor)
    for hidden in (b"n3-hidden-c0ffee", b"n2-hidden-7f3a91", b"c0ffee", b"hidden", b"note_id"):
        assert hidden not in readable
    rest = reads.query(tenant_id=TENANT, filter=visible, page_size=3, cursor=page.cursor)
    assert [n.note_id for n in rest] == ["n9"]


def test_view_page_has_a_cursor_without_the_keys_the_view_left_out(
    notes: TableGateway,
) -> None:
    reads = ReadApi[Note](notes, cursor_secret=SECRET)
    page = reads.query(index="owner-index", owner="ops", view=NoteTitle, limit=2)
    assert len(page.items) == 2 and all(isinstance(n, NoteTitle) for n in page)
    assert page.cursor is not None
    readable = _readable(page.cursor)
    for left_out in (b"tenant-acme", b"tenant_id", b"note_id", b"n2-hidden", b"n3-hidden"):
        assert left_out not in readable
    rest = reads.query(index="owner-index", owner="ops", view=NoteTitle, cursor=page.cursor)
    assert len(page.items) + len(rest.items) == 4


@pytest.fixture
def prefixed(
    ddb_client: DynamoDBClient, ddb_gateway: TableGateway
) -> Iterator[tuple[TableGateway, TableGateway]]:
    """The Note table twice, under this test's prefix + "a-" and + "b-", with the same items."""
    base = ddb_gateway.table_prefix
    gateways = (
        TableGateway(ddb_client, table_prefix=f"{base}a-"),
        TableGateway(ddb_client, table_prefix=f"{base}b-"),
    )
    created: list[str] = []
    try:
        for gateway in gateways:
            created += [r.physical for r in create_tables(gateway, [Note]) if r.action == "created"]
            _put(gateway, *(Note(tenant_id=TENANT, note_id=f"n{n}") for n in range(6)))
        yield gateways
    finally:
        for name in created:
            with contextlib.suppress(ddb_client.exceptions.ResourceNotFoundException):
                ddb_client.delete_table(TableName=name)


def test_cursor_of_table_prefix_a_is_refused_on_table_prefix_b(
    prefixed: tuple[TableGateway, TableGateway],
) -> None:
    on_a, on_b = prefixed
    assert on_a.physical_table_name("cursor_security_notes") != on_b.physical_table_name(
        "cursor_security_notes"
    )
    reads_a = ReadApi[Note](on_a, cursor_secret=SECRET)
    reads_b = ReadApi[Note](on_b, cursor_secret=SECRET)
    page = reads_a.query(tenant_id=TENANT, limit=2)
    assert page.cursor is not None
    assert [n.note_id for n in reads_a.query(tenant_id=TENANT, limit=2, cursor=page.cursor)] == [
        "n2",
        "n3",
    ]
    with pytest.raises(InvalidCursorError, match="another physical table"):
        reads_b.query(tenant_id=TENANT, limit=2, cursor=page.cursor)
    assert [n.note_id for n in reads_b.query(tenant_id=TENANT, limit=2)] == ["n0", "n1"]
