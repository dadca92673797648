"""mypy --strict on the typing rules of shared tables (issue 14; run: ``mypy tests/typing``):

- ``view=`` of a read takes views of the API's own model only: a view of another model is a
  type error (each such call below carries a ``type: ignore[call-overload]``, which
  ``--strict``'s ``warn_unused_ignores`` turns into an error if mypy ever accepts the call);
- ``TransactionCanceledError.failed`` reasons carry the action's model, key and error.

Also collected by pytest, where the tests run mypy (so the suite notices a regression) and the
functions below are only type-checked, never called.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest
from typing_extensions import assert_type

from ddbwrap import DdbwrapError, DomainModel, TableGateway, TransactionCanceledError
from ddbwrap.aio import AsyncReadApi
from ddbwrap.read import BatchResult, Page, ReadApi, View
from ddbwrap.write import CreateDTO, UpdateDTO


class Order(DomainModel):
    order_id: str
    status: str = "open"
    note: str | None = None

    class Meta:
        table_name = "typing_shared_orders"
        partition_key = "order_id"


class Invoice(DomainModel):
    invoice_id: str
    total: int

    class Meta:
        table_name = "typing_shared_invoices"
        partition_key = "invoice_id"


class OrderStatus(View[Order]):
    order_id: str
    status: str


class InvoiceTotal(View[Invoice]):
    invoice_id: str
    total: int


class SetStatus(UpdateDTO[Order]):
    status: Literal["open", "shipped"]  # a DTO may narrow str to known values


class NewOrder(CreateDTO[Order]):
    order_id: str
    status: Literal["open", "shipped"] = "open"


def views_of_the_own_model(reads: ReadApi[Order]) -> None:
    assert_type(reads.get(order_id="o1", view=OrderStatus), OrderStatus | None)
    assert_type(reads.query(order_id="o1", view=OrderStatus), Page[OrderStatus])
    assert_type(reads.batch_get([{"order_id": "o1"}], view=OrderStatus), BatchResult[OrderStatus])


def views_of_another_model(reads: ReadApi[Order]) -> None:
    reads.get(order_id="o1", view=InvoiceTotal)  # type: ignore[call-overload]
    reads.require(order_id="o1", view=InvoiceTotal)  # type: ignore[call-overload]
    reads.query(order_id="o1", view=InvoiceTotal)  # type: ignore[call-overload]
    reads.scan(view=InvoiceTotal)  # type: ignore[call-overload]
    reads.batch_get([{"order_id": "o1"}], view=InvoiceTotal)  # type: ignore[call-overload]


async def async_views_of_another_model(reads: AsyncReadApi[Order]) -> None:
    assert_type(await reads.get(order_id="o1", view=OrderStatus), OrderStatus | None)
    await reads.get(order_id="o1", view=InvoiceTotal)  # type: ignore[call-overload]
    await reads.query(order_id="o1", view=InvoiceTotal)  # type: ignore[call-overload]


def on_corrupt_per_api(gateway: TableGateway) -> None:
    ReadApi[Order](gateway, on_corrupt="skip")
    TableGateway(gateway.client, on_corrupt="skip")


def cancellation_reasons(exc: TransactionCanceledError) -> None:
    (failed,) = exc.failed
    assert_type(failed.error, DdbwrapError)  # always set on a failed reason
    assert failed.model is Order and failed.key == {"order_id": "o1"}
    assert "o1" in failed.error.message


ROOT = Path(__file__).resolve().parents[2]


def _mypy(*paths: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *paths],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.skipif(sys.platform == "win32", reason="mypy run is POSIX-only here")
def test_shared_table_types_are_checked_by_mypy() -> None:
    result = _mypy(str(Path(__file__)))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="mypy run is POSIX-only here")
def test_mypy_refuses_a_view_of_another_model(tmp_path: Path) -> None:
    user_file = tmp_path / "user_code.py"
    user_file.write_text(
        "from ddbwrap import DomainModel\n"
        "from ddbwrap.read import ReadApi, View\n"
        "\n"
        "class Order(DomainModel):\n"
        "    order_id: str\n"
        "    class Meta:\n"
        "        table_name = 'orders'\n"
        "        partition_key = 'order_id'\n"
        "\n"
        "class Invoice(DomainModel):\n"
        "    invoice_id: str\n"
        "    total: int\n"
        "    class Meta:\n"
        "        table_name = 'invoices'\n"
        "        partition_key = 'invoice_id'\n"
        "\n"
        "class InvoiceTotal(View[Invoice]):\n"
        "    total: int\n"
        "\n"
        "def read(reads: ReadApi[Order]) -> None:\n"
        "    reads.query(order_id='o1', view=InvoiceTotal)\n",
        encoding="utf-8",
    )
    result = _mypy(str(user_file))
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'No overload variant of "query" of "ReadApi" matches' in result.stdout
    assert "[call-overload]" in result.stdout
