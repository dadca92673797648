"""The lock file says what changed, for whom, and keeps its history (issue 17, seed 002)."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ddbwrap import GSI, INCLUDE, KEYS_ONLY, LSI, DomainModel
from ddbwrap.cli import main
from ddbwrap.errors import ValidationError
from ddbwrap.tooling.lock import (
    SchemaChange,
    check_lock,
    diff_schemas,
    lock,
    lock_document,
    lock_history,
    read_lock,
    restored_document,
    schema_hash,
    schema_records,
    table_hashes,
)

ROOT = Path(__file__).resolve().parents[2]
GOALS_LOCK = ROOT / "examples" / "goals" / "infra" / "ddbwrap.lock"
T0, T1, T2 = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"


class Order(DomainModel):
    order_id: str
    customer_id: str
    total: int
    placed_at: str
    note: str | None = None

    class Meta:
        table_name = "orders"
        partition_key = "order_id"
        gsis = (GSI("customer-index", partition_key="customer_id", projection=KEYS_ONLY),)


def order_model(
    body: str = "",
    *,
    meta: str = "",
    gsis: str = 'GSI("customer-index", partition_key="customer_id", projection=KEYS_ONLY)',
) -> type[DomainModel]:
    """A variant of ``Order``: extra field lines and Meta lines, other GSIs."""
    namespace: dict[str, Any] = {
        "DomainModel": DomainModel, "GSI": GSI, "LSI": LSI, "INCLUDE": INCLUDE,
        "KEYS_ONLY": KEYS_ONLY, "__name__": f"orders_{uuid.uuid4().hex[:6]}",
    }  # fmt: skip
    fields = body or (
        "    order_id: str\n    customer_id: str\n    total: int\n    placed_at: str\n"
        "    note: str | None = None\n"
    )
    source = (
        "class Order(DomainModel):\n" + fields + "\n    class Meta:\n"
        '        table_name = "orders"\n        partition_key = "order_id"\n'
        + (f"        gsis = ({gsis},)\n" if gsis else "")
        + meta
    )
    exec(source, namespace)
    model: type[DomainModel] = namespace["Order"]
    return model


BASE_FIELDS = (
    "    order_id: str\n    customer_id: str\n    total: int\n    placed_at: str\n"
    "    note: str | None = None\n"
)


def changes_between(old: type[DomainModel], new: type[DomainModel]) -> list[SchemaChange]:
    return diff_schemas(schema_records([old]), schema_records([new]))


def only(changes: list[SchemaChange]) -> tuple[str, str | None, str, str, tuple[str, ...]]:
    [change] = changes
    return (change.element, change.name, change.action, change.impact, change.affects)


# -- what the lock records -----------------------------------------------------------------------


def test_the_lock_records_each_attribute_with_type_optionality_key_role_and_indexes() -> None:
    record = schema_records([Order])["orders"]
    assert record["attributes"]["order_id"] == {"type": "S", "required": True, "key": "partition"}
    assert record["attributes"]["customer_id"] == {
        "type": "S",
        "required": True,
        "indexes": {"customer-index": "partition"},
    }
    assert record["attributes"]["note"] == {"type": "NULL|S", "required": False}


def test_the_lock_records_the_table_key_indexes_billing_ttl_and_stream() -> None:
    record = schema_records([Order])["orders"]
    assert {k: record[k] for k in ("key", "billing_mode", "ttl", "stream")} == {
        "key": {"partition": {"name": "order_id", "type": "S"}, "sort": None},
        "billing_mode": "PAY_PER_REQUEST",
        "ttl": None,
        "stream": None,
    }
    assert record["indexes"]["customer-index"]["projection"] == "KEYS_ONLY"


def test_an_include_projection_makes_its_attributes_members_of_the_index() -> None:
    model = order_model(
        gsis='GSI("customer-index", partition_key="customer_id", projection=INCLUDE("total"))'
    )
    attributes = schema_records([model])["orders"]["attributes"]
    assert attributes["total"]["indexes"] == {"customer-index": "projected"}


def test_the_ttl_attribute_is_flagged() -> None:
    model = order_model(
        BASE_FIELDS + "    expires_at: int | None = None\n",
        meta='        ttl_attribute = "expires_at"\n',
    )
    record = schema_records([model])["orders"]
    assert (record["ttl"], record["attributes"]["expires_at"]["ttl"]) == ("expires_at", True)


def test_the_lock_records_a_declared_stream() -> None:
    model = order_model(meta='        stream = "NEW_AND_OLD_IMAGES"\n')
    assert schema_records([model])["orders"]["stream"] == "NEW_AND_OLD_IMAGES"


def test_declaring_a_stream_changes_the_hash_and_is_additive() -> None:
    model = order_model(meta='        stream = "NEW_IMAGE"\n')
    assert schema_hash([model]) != schema_hash([Order])
    assert only(changes_between(Order, model)) == ("stream", None, "added", "additive", ())


def test_the_hash_of_the_goals_examples_lock_is_unchanged() -> None:
    from examples.goals.models.domain_models import Goal

    locked = json.loads(GOALS_LOCK.read_text())
    assert schema_hash([Goal]) == locked["schema_hash"]
    assert table_hashes([Goal]) == locked["table_hashes"]


# -- classification ------------------------------------------------------------------------------


def test_a_new_optional_attribute_is_additive() -> None:
    new = order_model(BASE_FIELDS + "    coupon: str | None = None\n")
    assert only(changes_between(Order, new)) == ("attribute", "coupon", "added", "additive", ())


def test_a_new_required_attribute_breaks_writers() -> None:
    new = order_model(BASE_FIELDS + "    currency: str\n")
    assert only(changes_between(Order, new)) == (
        "attribute", "currency", "added", "breaking", ("writers",)
    )  # fmt: skip


def test_a_removed_attribute_breaks_readers() -> None:
    new = order_model(BASE_FIELDS.replace("    note: str | None = None\n", ""))
    assert only(changes_between(Order, new)) == (
        "attribute", "note", "removed", "breaking", ("readers",)
    )  # fmt: skip


def test_a_retyped_attribute_breaks_readers_and_writers() -> None:
    new = order_model(BASE_FIELDS.replace("total: int", "total: str"))
    change = changes_between(Order, new)[0]
    assert (change.impact, change.affects, change.message) == (
        "breaking",
        ("readers", "writers"),
        "attribute 'total': type N -> S; breaks readers and writers on other services",
    )


def test_a_nullable_attribute_breaks_readers() -> None:
    new = order_model(BASE_FIELDS.replace("total: int", "total: int | None"))
    assert only(changes_between(Order, new))[3:] == ("breaking", ("readers",))


def test_a_required_attribute_made_optional_is_additive() -> None:
    new = order_model(BASE_FIELDS.replace("placed_at: str", 'placed_at: str = ""'))
    assert only(changes_between(Order, new))[2:] == ("changed", "additive", ())


def test_an_optional_attribute_made_required_breaks_writers() -> None:
    new = order_model(BASE_FIELDS.replace("note: str | None = None", "note: str | None"))
    assert only(changes_between(Order, new))[2:] == ("changed", "breaking", ("writers",))


def test_a_changed_table_key_is_breaking() -> None:
    records_old, records_new = schema_records([Order]), schema_records([Order])
    records_new["orders"]["key"] = {"partition": {"name": "customer_id", "type": "S"}, "sort": None}
    changes = diff_schemas(records_old, records_new)
    assert [(c.element, c.impact) for c in changes] == [("key", "breaking")]


def test_a_new_gsi_is_additive() -> None:
    new = order_model(
        gsis='GSI("customer-index", partition_key="customer_id", projection=KEYS_ONLY), '
        'GSI("placed-index", partition_key="placed_at")'
    )
    assert only(changes_between(Order, new)) == ("index", "placed-index", "added", "additive", ())


def test_a_new_lsi_is_breaking_because_only_a_new_table_can_have_it() -> None:
    old = order_model(BASE_FIELDS, meta='        sort_key = "placed_at"\n')
    new = order_model(
        BASE_FIELDS,
        meta='        sort_key = "placed_at"\n'
        '        lsis = (LSI("total-index", sort_key="total"),)\n',
    )
    assert only(changes_between(old, new))[:4] == ("index", "total-index", "added", "breaking")


def test_a_removed_index_breaks_readers() -> None:
    new = order_model(gsis="")
    assert only(changes_between(Order, new)) == (
        "index", "customer-index", "removed", "breaking", ("readers",)
    )  # fmt: skip


def test_a_wider_projection_is_additive_and_a_narrower_one_breaking() -> None:
    wider = order_model(gsis='GSI("customer-index", partition_key="customer_id")')
    assert only(changes_between(Order, wider))[3] == "additive"
    assert only(changes_between(wider, Order))[3] == "breaking"


def test_ttl_added_is_breaking_and_removed_additive() -> None:
    old = order_model(BASE_FIELDS + "    expires_at: int | None = None\n")
    new = order_model(
        BASE_FIELDS + "    expires_at: int | None = None\n",
        meta='        ttl_attribute = "expires_at"\n',
    )
    assert only(changes_between(old, new))[:4] == ("ttl", None, "added", "breaking")
    assert only(changes_between(new, old))[:4] == ("ttl", None, "removed", "additive")


def test_a_new_stream_is_additive_and_a_removed_one_breaking() -> None:
    old = schema_records([Order])
    new = copy.deepcopy(old)
    new["orders"]["stream"] = "NEW_AND_OLD_IMAGES"
    assert only(diff_schemas(old, new))[:4] == ("stream", None, "added", "additive")
    assert only(diff_schemas(new, old))[:4] == ("stream", None, "removed", "breaking")


def test_a_billing_mode_change_is_neutral() -> None:
    new = order_model(meta='        billing_mode = "PROVISIONED"\n')
    assert only(changes_between(Order, new))[:4] == ("billing_mode", None, "changed", "neutral")


def test_a_new_table_is_additive_and_a_removed_one_breaking() -> None:
    class Invoice(DomainModel):
        invoice_id: str

        class Meta:
            table_name = "invoices"
            partition_key = "invoice_id"

    both = schema_records([Order, Invoice])
    assert [(c.table, c.impact) for c in diff_schemas(schema_records([Order]), both)] == [
        ("invoices", "additive")
    ]
    assert [(c.table, c.impact) for c in diff_schemas(both, schema_records([Order]))] == [
        ("invoices", "breaking")
    ]


# -- the history ---------------------------------------------------------------------------------

V2 = order_model(BASE_FIELDS + "    coupon: str | None = None\n")
V3 = order_model(
    (BASE_FIELDS + "    coupon: str | None = None\n").replace("total: int", "total: str")
)


def locked_three_times(path: Path) -> None:
    lock(path, [Order], now=T0)
    lock(path, [V2], now=T1, message="coupons")
    lock(path, [V3], now=T2)


def test_the_first_lock_is_version_1_without_changes(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    result = lock(path, [Order], now=T0)
    [entry] = result.document["history"]
    assert (result.action, entry["version"], entry["locked_at"], entry["changes"]) == (
        "created",
        1,
        T0,
        [],
    )


def test_each_changed_schema_adds_a_version_with_hash_time_and_changes(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    locked_three_times(path)
    history = lock_history(path)
    assert [(e["version"], e["locked_at"], e["schema_hash"]) for e in history] == [
        (1, T0, schema_hash([Order])),
        (2, T1, schema_hash([V2])),
        (3, T2, schema_hash([V3])),
    ]
    assert [c["name"] for c in history[2]["changes"]] == ["total"]


def test_a_lock_message_is_kept_in_its_version(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    locked_three_times(path)
    assert lock_history(path)[1]["message"] == "coupons"


def test_locking_an_unchanged_schema_adds_no_version(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    lock(path, [Order], now=T0)
    result = lock(path, [Order], now=T1)
    assert (result.action, result.written, len(lock_history(path))) == ("unchanged", False, 1)


def test_force_rewrites_without_a_new_version(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    lock(path, [Order], now=T0)
    result = lock(path, [Order], force=True, now=T1)
    assert (result.action, result.document["generated_at"], result.document["version"]) == (
        "rewritten",
        T1,
        1,
    )


def test_restoring_a_version_gives_its_records_hashes_and_history(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    locked_three_times(path)
    document = read_lock(path)
    assert document is not None
    restored = restored_document(document, "2")
    assert restored["schema"] == schema_records([V2])
    assert (restored["schema_hash"], restored["table_hashes"]) == (
        schema_hash([V2]),
        table_hashes([V2]),
    )
    assert [e["version"] for e in restored["history"]] == [1, 2]


def test_the_first_version_is_restored_exactly(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    locked_three_times(path)
    document = read_lock(path)
    assert document is not None
    assert restored_document(document, "1")["schema"] == lock_document([Order])["schema"]


def test_a_version_can_be_named_by_a_hash_prefix(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    locked_three_times(path)
    document = read_lock(path)
    assert document is not None
    prefix = schema_hash([V2]).removeprefix("sha256:")[:10]
    assert restored_document(document, prefix)["schema_hash"] == schema_hash([V2])


def test_an_unknown_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    lock(path, [Order], now=T0)
    document = read_lock(path)
    assert document is not None
    with pytest.raises(ValidationError, match="no locked version '7'"):
        restored_document(document, "7")


# -- lock files from before attribute records --------------------------------------------------


def old_lock(path: Path, models: list[type[DomainModel]]) -> None:
    """A lock file as ddbwrap wrote it before records and history."""
    hashes = table_hashes(models)
    document = {
        "format_version": 1,
        "schema_hash": schema_hash(models),
        "tables": 1,
        "indexes": 1,
        "generated_at": T0,
        "generated_by": "ddbwrap 0.1.0",
        "table_hashes": hashes,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def test_an_old_lock_file_still_checks(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    old_lock(path, [Order])
    result = check_lock(path, [Order])
    assert (result.ok, result.attribute_level) == (True, False)


def test_an_old_lock_file_reports_changed_tables_as_breaking(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    old_lock(path, [Order])
    result = check_lock(path, [V2])
    assert [(c.table, c.element, c.impact, c.exact) for c in result.changes] == [
        ("orders", "table", "breaking", False)
    ]


def test_an_old_lock_file_is_migrated_by_the_next_lock(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    old_lock(path, [Order])
    result = lock(path, [Order], now=T1)
    [entry] = result.document["history"]
    assert (result.action, entry["version"], entry["locked_at"], entry["migrated"]) == (
        "migrated",
        1,
        T0,
        True,
    )
    assert result.document["schema"] == schema_records([Order])


def test_migrating_a_stale_old_lock_file_keeps_its_version_as_version_1(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    old_lock(path, [Order])
    lock(path, [V2], now=T1)
    history = lock_history(path)
    assert [(e["version"], e["schema_hash"], e["changes"] is None) for e in history] == [
        (1, schema_hash([Order]), True),
        (2, schema_hash([V2]), False),
    ]


def test_restoring_past_an_unrecorded_change_gives_hashes_only(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    old_lock(path, [Order])
    lock(path, [V2], now=T1)
    document = read_lock(path)
    assert document is not None
    restored = restored_document(document, "1")
    assert ("schema" in restored, restored["schema_hash"]) == (False, schema_hash([Order]))
    assert check_lock_of(tmp_path, restored, [Order]).ok


def check_lock_of(directory: Path, document: dict[str, Any], models: list[Any]) -> Any:
    path = directory / f"{uuid.uuid4().hex}.lock"
    path.write_text(json.dumps(document))
    return check_lock(path, models)


def test_the_goals_examples_lock_history_records_the_seed_required_fields() -> None:
    first, second = lock_history(GOALS_LOCK)
    assert (first["version"], first["migrated"]) == (1, True)  # a lock from before history
    made_required = {c["name"] for c in second["changes"] if c["after"].get("required")}
    assert made_required == {
        "status", "priority", "time_horizon", "progress_percentage", "metadata", "created_at"
    }  # fmt: skip
    assert {c["impact"] for c in second["changes"]} == {"breaking"}


# -- check and --fail-on -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fail_on", "additive_fails", "breaking_fails"),
    [("any", True, True), ("additive", True, True), ("breaking", False, True)],
)
def test_fail_on_decides_which_changes_fail(
    tmp_path: Path, fail_on: str, additive_fails: bool, breaking_fails: bool
) -> None:
    path = tmp_path / "ddbwrap.lock"
    lock(path, [V2], now=T0)
    additive = check_lock(
        path,
        [
            order_model(
                BASE_FIELDS + "    coupon: str | None = None\n    gift: bool | None = None\n"
            )
        ],
    )
    breaking = check_lock(path, [V3])
    assert (additive.fails(fail_on), breaking.fails(fail_on)) == (additive_fails, breaking_fails)


def test_a_neutral_change_fails_only_with_fail_on_any(tmp_path: Path) -> None:
    path = tmp_path / "ddbwrap.lock"
    lock(path, [Order], now=T0)
    result = check_lock(path, [order_model(meta='        billing_mode = "PROVISIONED"\n')])
    assert (result.fails("any"), result.fails("additive")) == (True, False)


def test_a_missing_lock_fails_whatever_fail_on_says(tmp_path: Path) -> None:
    assert check_lock(tmp_path / "none.lock", [Order]).fails("breaking")


# -- the commands --------------------------------------------------------------------------------


@pytest.fixture
def models_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(fields: str) -> str:
        name = f"orders_{uuid.uuid4().hex[:8]}"
        (tmp_path / f"{name}.py").write_text(
            "from ddbwrap import DomainModel\n\n\nclass Order(DomainModel):\n" + fields
            + '\n    class Meta:\n        table_name = "orders"\n'
            + '        partition_key = "order_id"\n'
        )  # fmt: skip
        return name

    return write


def test_check_prints_each_change_with_its_impact(
    tmp_path: Path, models_module: Callable[[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "ddbwrap.lock")
    main(["schema", "lock", models_module("    order_id: str\n    total: int\n"), "--lock", path])
    capsys.readouterr()
    after = models_module("    order_id: str\n    total: str\n    coupon: str | None = None\n")
    assert main(["schema", "check", after, "--lock", path, "--fail-on", "breaking"]) == 1
    out = capsys.readouterr().out
    assert "  ADDITIVE  orders.coupon  new optional attribute 'coupon' (NULL|S)" in out
    assert "  BREAKING  orders.total   attribute 'total': type N -> S;" in out
    assert "1 breaking, 1 additive changes; --fail-on breaking: the check fails" in out


def test_check_with_only_additive_changes_passes_fail_on_breaking(
    tmp_path: Path, models_module: Callable[[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "ddbwrap.lock")
    main(["schema", "lock", models_module("    order_id: str\n"), "--lock", path])
    after = models_module("    order_id: str\n    coupon: str | None = None\n")
    assert main(["schema", "check", after, "--lock", path, "--fail-on", "breaking"]) == 0
    assert "--fail-on breaking: the check passes" in capsys.readouterr().out


def test_check_json_lists_the_classified_changes(
    tmp_path: Path, models_module: Callable[[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "ddbwrap.lock")
    main(["schema", "lock", models_module("    order_id: str\n"), "--lock", path])
    capsys.readouterr()
    after = models_module("    order_id: str\n    coupon: str | None = None\n")
    assert main(["schema", "check", after, "--lock", path, "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert (document["locked_version"], document["counts"], document["fail_on"]) == (
        1,
        {"breaking": 0, "additive": 1, "neutral": 0},
        "any",
    )
    assert document["changes"][0]["after"] == {"type": "NULL|S", "required": False}


def test_check_markdown_is_a_table_of_changes(
    tmp_path: Path, models_module: Callable[[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "ddbwrap.lock")
    main(["schema", "lock", models_module("    order_id: str\n    note: str\n"), "--lock", path])
    capsys.readouterr()
    after = models_module("    order_id: str\n")
    main(["schema", "check", after, "--lock", path, "--format", "markdown"])
    out = capsys.readouterr().out
    assert out.startswith("### ddbwrap schema check of ")
    assert "| breaking | `orders.note` | attribute 'note' (S, required) removed:" in out


def test_log_shows_the_versions_newest_first(
    tmp_path: Path, models_module: Callable[[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "ddbwrap.lock")
    main(["schema", "lock", models_module("    order_id: str\n"), "--lock", path])
    after = models_module("    order_id: str\n    coupon: str | None = None\n")
    main(["schema", "lock", after, "--lock", path, "--message", "coupons"])
    capsys.readouterr()
    assert main(["schema", "log", "--lock", path]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("version 2  ") and lines[0].endswith("(current)")
    assert lines[1:3] == [
        "  coupons",
        "  ADDITIVE  orders.coupon  new optional attribute 'coupon' (NULL|S)",
    ]
    assert lines[3].startswith("version 1  ")
    assert lines[4] == "  first version: 1 table(s)"


def test_restore_writes_an_earlier_version(
    tmp_path: Path, models_module: Callable[[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "ddbwrap.lock")
    before = models_module("    order_id: str\n")
    main(["schema", "lock", before, "--lock", path])
    main(["schema", "lock", models_module("    order_id: str\n    n: int\n"), "--lock", path])
    restored = tmp_path / "restored.lock"
    capsys.readouterr()
    assert main(["schema", "restore", "1", "--lock", path, "-o", str(restored)]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {restored}: version 1 of {path}")
    assert main(["schema", "check", before, "--lock", str(restored)]) == 0


def test_restore_of_an_unknown_version_is_a_usage_error(
    tmp_path: Path, models_module: Callable[[str], str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "ddbwrap.lock")
    main(["schema", "lock", models_module("    order_id: str\n"), "--lock", path])
    assert main(["schema", "restore", "9", "--lock", path, "-o", str(tmp_path / "x")]) == 2
    assert "no locked version '9'" in capsys.readouterr().err


def test_log_of_a_missing_lock_file_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", "log", "--lock", str(tmp_path / "none.lock")]) == 2
    assert "does not exist" in capsys.readouterr().err
