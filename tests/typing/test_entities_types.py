"""mypy --strict must see a collection read as the union of its models (run: ``mypy tests/typing``).

Also collected by pytest, where the one test runs mypy on this file; the functions below are
only type-checked, never called.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Literal

import pytest
from typing_extensions import assert_type

from ddbwrap import Collection, Discriminator, DomainModel, KeyPrefix, KeyTemplate, Page
from ddbwrap.aio import AsyncCollection, AsyncTableGateway
from ddbwrap.gateway import TableGateway


class Customer(DomainModel):
    customer_id: str
    name: str

    class Meta:
        table_name = "typing_shop"
        partition_key = KeyTemplate("pk", "CUSTOMER#{customer_id}")
        sort_key = KeyTemplate("sk", "PROFILE#{name}")
        entity = KeyPrefix()


class Order(DomainModel):
    customer_id: str
    order_id: str

    class Meta:
        table_name = "typing_shop"
        partition_key = KeyTemplate("pk", "CUSTOMER#{customer_id}")
        sort_key = KeyTemplate("sk", "ORDER#{order_id}")
        entity = KeyPrefix()


class OrderLine(DomainModel):
    customer_id: str
    order_id: str
    line_no: int

    class Meta:
        table_name = "typing_shop"
        partition_key = KeyTemplate("pk", "CUSTOMER#{customer_id}")
        sort_key = KeyTemplate("sk", "ORDER#{order_id}#LINE#{line_no}")
        entity = KeyPrefix()


class Refund(DomainModel):
    customer_id: str
    refund_id: str
    kind: Literal["refund"] = "refund"

    class Meta:
        table_name = "typing_shop"
        partition_key = KeyTemplate("pk", "CUSTOMER#{customer_id}")
        sort_key = KeyTemplate("sk", "REFUND#{refund_id}")
        entity = Discriminator("kind")


def describe(item: Order | OrderLine) -> str:
    if isinstance(item, Order):
        return item.order_id
    return f"{item.order_id}/{item.line_no}"


def check_collection_types(gateway: TableGateway) -> None:
    orders = Collection(gateway, Order, OrderLine)
    assert_type(orders, Collection[Order | OrderLine])
    page = orders.query(customer_id="c1")
    assert_type(page, Page[Order | OrderLine])
    assert_type(page.items, tuple[Order | OrderLine, ...])
    assert_type(page.skipped, int)
    assert_type(orders.query_all(customer_id="c1"), Iterator[Order | OrderLine])
    assert_type(orders.scan(), Page[Order | OrderLine])
    names = [describe(item) for item in page]
    assert_type(names, list[str])

    shop = Collection(gateway, Order, OrderLine, Customer, Refund)
    assert_type(shop.query(customer_id="c1"), Page[Order | OrderLine | Customer | Refund])
    three = Collection(gateway, Customer, Order, OrderLine)
    assert_type(three.scan_all(), Iterator[Customer | Order | OrderLine])
    assert_type(Collection(gateway, Order), Collection[Order])


async def check_async_collection_types(gateway: AsyncTableGateway) -> None:
    orders = AsyncCollection(gateway, Order, OrderLine)
    assert_type(orders, AsyncCollection[Order | OrderLine])
    assert_type(await orders.query(customer_id="c1"), Page[Order | OrderLine])
    assert_type(orders.query_all(customer_id="c1"), AsyncIterator[Order | OrderLine])


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(sys.platform == "win32", reason="mypy run is POSIX-only here")
def test_collection_types_are_inferred_by_mypy() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(Path(__file__))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
