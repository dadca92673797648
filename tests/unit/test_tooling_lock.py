"""Schema hash and lock file: stable for equal schemas, changed by any storage change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ddbwrap import GSI, KEYS_ONLY, DomainModel
from ddbwrap.errors import ValidationError
from ddbwrap.tooling.lock import (
    check_lock,
    lock_document,
    read_lock,
    schema_hash,
    table_hashes,
    write_lock,
)


class Order(DomainModel):
    order_id: str
    customer_id: str
    total: int
    note: str | None = None

    class Meta:
        table_name = "orders"
        partition_key = "order_id"
        gsis = (GSI("customer-index", partition_key="customer_id"),)


class OrderReordered(DomainModel):
    """Same storage, other class name, other field order, other docstring."""

    note: str | None = None
    total: int
    customer_id: str
    order_id: str

    class Meta:
        gsis = (GSI("customer-index", partition_key="customer_id"),)
        partition_key = "order_id"
        table_name = "orders"


class OrderKeysOnly(DomainModel):
    order_id: str
    customer_id: str
    total: int
    note: str | None = None

    class Meta:
        table_name = "orders"
        partition_key = "order_id"
        gsis = (GSI("customer-index", partition_key="customer_id", projection=KEYS_ONLY),)


class OrderTextTotal(DomainModel):
    order_id: str
    customer_id: str
    total: str
    note: str | None = None

    class Meta:
        table_name = "orders"
        partition_key = "order_id"
        gsis = (GSI("customer-index", partition_key="customer_id"),)


class Invoice(DomainModel):
    invoice_id: str

    class Meta:
        table_name = "invoices"
        partition_key = "invoice_id"


def test_hash_is_a_sha256() -> None:
    value = schema_hash([Order])
    assert value.startswith("sha256:")
    assert len(value) == len("sha256:") + 64


def test_hash_ignores_class_name_field_order_and_docstrings() -> None:
    assert schema_hash([Order]) == schema_hash([OrderReordered])


def test_hash_ignores_model_order() -> None:
    assert schema_hash([Order, Invoice]) == schema_hash([Invoice, Order])


def test_hash_changes_with_a_projection() -> None:
    assert schema_hash([Order]) != schema_hash([OrderKeysOnly])


def test_hash_changes_with_an_attribute_type() -> None:
    assert schema_hash([Order]) != schema_hash([OrderTextTotal])


def test_table_hashes_are_per_table() -> None:
    assert set(table_hashes([Order, Invoice])) == {"orders", "invoices"}


def test_lock_document_counts_tables_and_indexes() -> None:
    document = lock_document([Order, Invoice])
    assert (document["format_version"], document["tables"], document["indexes"]) == (1, 2, 1)
    assert document["schema_hash"] == schema_hash([Order, Invoice])
    assert document["generated_at"].endswith("Z")


def test_write_lock_then_check_is_ok(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    write_lock(path, [Order, Invoice])
    result = check_lock(path, [Order, Invoice])
    assert result.ok
    assert (result.added, result.removed, result.changed) == ([], [], [])


def test_check_names_the_changed_added_and_removed_tables(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    write_lock(path, [Order, Invoice])

    class Refund(DomainModel):
        refund_id: str

        class Meta:
            table_name = "refunds"
            partition_key = "refund_id"

    result = check_lock(path, [OrderKeysOnly, Refund])
    assert not result.ok
    assert (result.changed, result.added, result.removed) == (["orders"], ["refunds"], ["invoices"])


def test_check_of_a_missing_lock_fails(tmp_path: Path) -> None:
    result = check_lock(tmp_path / "absent.lock", [Order])
    assert result.missing
    assert not result.ok


def test_rewriting_an_unchanged_lock_leaves_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    path.write_text(json.dumps({**lock_document([Order]), "generated_at": "2020-01-01T00:00:00Z"}))
    _, written = write_lock(path, [Order])
    assert not written
    assert json.loads(path.read_text())["generated_at"] == "2020-01-01T00:00:00Z"


def test_force_rewrites_an_unchanged_lock(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    path.write_text(json.dumps({**lock_document([Order]), "generated_at": "2020-01-01T00:00:00Z"}))
    _, written = write_lock(path, [Order], force=True)
    assert written
    assert json.loads(path.read_text())["generated_at"] != "2020-01-01T00:00:00Z"


def test_a_file_that_is_not_a_lock_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    path.write_text('{"hello": 1}')
    with pytest.raises(ValidationError, match="not a ddbwrap lock file"):
        read_lock(path)


def test_a_lock_of_another_format_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    path.write_text(json.dumps({**lock_document([Order]), "format_version": 99}))
    with pytest.raises(ValidationError, match="format_version 99"):
        read_lock(path)
