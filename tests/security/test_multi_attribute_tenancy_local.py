"""Multi-attribute GSI keys on DynamoDB Local: tenant isolation holds for every partition part.

A query on a multi-attribute index must never reach another tenant's items: every partition
attribute is required (a query that leaves one out is refused before anything is sent, rather
than widened), a cursor positioned in another partition (any part different) is refused, and
parts are separate attributes, so no pair of values can render another pair's key (the
ambiguity key templates must guard against with separators cannot arise).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ddbwrap import GSI, DomainModel, codec_for
from ddbwrap.errors import InvalidCursorError, ValidationError
from ddbwrap.read import ReadApi

if TYPE_CHECKING:
    from ddbwrap.testing.plugin import TableFactory

pytestmark = pytest.mark.integration

SECRET = "security-test-cursor-secret-0123456789abc"


class Invoice(DomainModel):
    invoice_id: str
    tenant_id: str
    region: str
    number: int

    class Meta:
        table_name = "mak_security_invoices"
        partition_key = "invoice_id"
        gsis = [GSI("by-tenant", partition_key=("tenant_id", "region"), sort_key="number")]


@pytest.fixture
def reads(ddb_tables: TableFactory) -> ReadApi[Invoice]:
    gateway = ddb_tables(Invoice)
    codec = codec_for(Invoice)
    invoices = [
        Invoice(invoice_id=f"a{n}", tenant_id="acme", region="eu", number=n) for n in range(4)
    ] + [
        Invoice(invoice_id="x1", tenant_id="acme", region="eu#x", number=1),
        Invoice(invoice_id="x2", tenant_id="acme#eu", region="x", number=2),
        Invoice(invoice_id="b1", tenant_id="globex", region="eu", number=1),
    ]
    gateway.batch_write(
        {"mak_security_invoices": [{"PutRequest": {"Item": codec.encode(i)}} for i in invoices]}
    )
    return ReadApi[Invoice](gateway, cursor_secret=SECRET)


def test_a_query_missing_a_partition_part_is_refused_and_sends_nothing(
    reads: ReadApi[Invoice], sent: list[str]
) -> None:
    sent.clear()
    for given in ({"tenant_id": "acme"}, {"region": "eu"}, {"tenant_id": "acme", "region": None}):
        with pytest.raises(ValidationError, match="needs an equality on every one"):
            reads.query(index="by-tenant", **given)
    assert sent == []


def test_values_that_would_collide_when_concatenated_stay_apart(reads: ReadApi[Invoice]) -> None:
    first = reads.query_all(index="by-tenant", tenant_id="acme", region="eu#x")
    second = reads.query_all(index="by-tenant", tenant_id="acme#eu", region="x")
    assert [i.invoice_id for i in first] == ["x1"]
    assert [i.invoice_id for i in second] == ["x2"]


@pytest.mark.parametrize(
    ("tenant_id", "region"), [("globex", "eu"), ("acme", "eu#x"), ("acme#eu", "x")]
)
def test_another_partitions_cursor_is_refused_and_sends_nothing(
    reads: ReadApi[Invoice], sent: list[str], tenant_id: str, region: str
) -> None:
    page = reads.query(index="by-tenant", tenant_id="acme", region="eu", limit=2)
    assert page.cursor is not None
    sent.clear()
    with pytest.raises(InvalidCursorError):
        reads.query(index="by-tenant", tenant_id=tenant_id, region=region, cursor=page.cursor)
    assert sent == []


def test_the_own_cursor_resumes_within_the_partition(reads: ReadApi[Invoice]) -> None:
    page = reads.query(index="by-tenant", tenant_id="acme", region="eu", limit=2)
    rest = reads.query(index="by-tenant", tenant_id="acme", region="eu", cursor=page.cursor)
    assert [i.invoice_id for i in (*page, *rest)] == ["a0", "a1", "a2", "a3"]
