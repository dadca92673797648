"""Migration contract (seed 003): exact structure, overrides, and the reverse check."""

from __future__ import annotations

import copy
import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ddbwrap import DomainModel
from ddbwrap.errors import ContractFormatError, ValidationError
from ddbwrap.tooling.contract import migration_contract
from ddbwrap.tooling.contract_check import check_contract, load_contract
from ddbwrap.tooling.findings import Severity

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ENTRY_KEYS = {
    "table",
    "type",
    "source_table",
    "pk",
    "sk",
    "gsis",
    "attributes",
    "satisfies",
    "estimated_item_size_bytes",
}
ATTRIBUTE_KEYS = {"type", "source_table", "source_column", "denormalized", "justification", "join"}


@pytest.fixture
def sample(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(FIXTURES))
    return importlib.import_module("models_sample")


@pytest.fixture
def models(sample: ModuleType) -> list[type[DomainModel]]:
    return [sample.Goal, sample.Task]


def entry(contract: list[dict[str, Any]], table: str, kind: str = "Table") -> dict[str, Any]:
    return next(e for e in contract if e["table"] == table and e["type"] == kind)


def test_entries_use_only_the_seed_003_keys(models: list[type[DomainModel]]) -> None:
    for item in migration_contract(models, gsi_entries=True):
        assert set(item) <= ENTRY_KEYS
        assert {"table", "type", "source_table", "pk", "attributes"} <= set(item)
        for attribute in item["attributes"].values():
            assert set(attribute) <= ATTRIBUTE_KEYS


def test_table_entry_has_keys_gsis_and_dynamodb_types(models: list[type[DomainModel]]) -> None:
    goals = entry(migration_contract(models), "goals")
    assert (goals["type"], goals["pk"]) == ("Table", "goal_id")
    assert "sk" not in goals
    assert {"name": "tenant-index", "pk": "tenantId", "sk": "created_at"} in goals["gsis"]
    types = {name: a["type"] for name, a in goals["attributes"].items()}
    assert types["is_active"] == "S"  # a bool GSI key is stored as "true"/"false"
    assert types["progress"] == "N"
    assert types["tags"] == "SS"
    assert types["milestones"] == "L"


def test_composite_keys_and_guard_table_are_listed(models: list[type[DomainModel]]) -> None:
    contract = migration_contract(models)
    tasks = entry(contract, "tasks")
    assert (tasks["pk"], tasks["sk"]) == ("pk", "sk")
    assert tasks["attributes"]["done"]["type"] == "BOOL"
    assert tasks["attributes"]["attachment"]["type"] == "B"
    assert entry(contract, "tasks-unique")["pk"] == "pk"


def test_defaults_source_table_and_column_from_the_model(models: list[type[DomainModel]]) -> None:
    goals = entry(migration_contract(models), "goals")
    assert goals["source_table"] == "goals"
    assert goals["attributes"]["tenantId"]["source_column"] == "tenant_id"


def test_satisfies_is_derived_from_keys_and_indexes(models: list[type[DomainModel]]) -> None:
    goals = entry(migration_contract(models), "goals")
    assert "Get Goal by goal_id" in goals["satisfies"]
    assert "Query Goal by tenantId, sorted by created_at (tenant-index)" in goals["satisfies"]


def test_size_estimate_is_a_positive_integer(models: list[type[DomainModel]]) -> None:
    for item in migration_contract(models):
        assert isinstance(item["estimated_item_size_bytes"], int)
        assert item["estimated_item_size_bytes"] > 0


OVERRIDES = {
    "tables": {
        "goals": {
            "source_table": "goal",
            "satisfies": ["Get goal by id"],
            "estimated_item_size_bytes": 900,
            "attributes": {
                "title": {
                    "source_table": "goal_text",
                    "source_column": "name",
                    "denormalized": True,
                    "justification": "shown in every list",
                    "join": {"local_column": "goal_id", "source_column": "goal_id"},
                }
            },
            "gsis": {"tenant-index": {"satisfies": ["List a tenant's goals"]}},
        }
    }
}


def test_overrides_supply_what_meta_cannot_say(models: list[type[DomainModel]]) -> None:
    contract = migration_contract(models, OVERRIDES, gsi_entries=True)
    goals = entry(contract, "goals")
    assert goals["source_table"] == "goal"
    assert goals["satisfies"] == ["Get goal by id"]
    assert goals["estimated_item_size_bytes"] == 900
    assert goals["attributes"]["title"]["denormalized"] is True
    assert goals["attributes"]["status"]["source_table"] == "goal"
    assert entry(contract, "tenant-index", "GSI")["satisfies"] == ["List a tenant's goals"]


def test_gsi_entries_list_projected_attributes(models: list[type[DomainModel]]) -> None:
    gsi = entry(migration_contract(models, gsi_entries=True), "tenant-index", "GSI")
    assert (gsi["pk"], gsi["sk"]) == ("tenantId", "created_at")
    assert set(gsi["attributes"]) == {"goal_id", "tenantId", "created_at", "title", "status"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"tables": {"nope": {}}}, "no model declares this table"),
        ({"tables": {"goals": {"colour": 1}}}, "allowed keys"),
        ({"tables": {"goals": {"attributes": {"nope": {}}}}}, "no attribute"),
        ({"tables": {"goals": {"gsis": {"nope": {}}}}}, "not a GSI"),
        (
            {"tables": {"goals": {"attributes": {"title": {"denormalized": True}}}}},
            "justification",
        ),
        ({"other": 1}, "unknown top-level"),
    ],
)
def test_bad_overrides_are_refused(
    models: list[type[DomainModel]], overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        migration_contract(models, overrides)


# -- the reverse check ------------------------------------------------------------------------


def test_own_export_matches_the_models(models: list[type[DomainModel]]) -> None:
    contract = migration_contract(models, OVERRIDES, gsi_entries=True)
    assert check_contract(contract, models, allow_extensions=True) == []


def test_changed_partition_key_is_critical(models: list[type[DomainModel]]) -> None:
    contract = migration_contract(models)
    entry(contract, "goals")["pk"] = "id"
    findings = check_contract(contract, models, allow_extensions=True)
    assert [(f.code, f.severity, f.table) for f in findings] == [
        ("DDB404", Severity.CRITICAL, "goals")
    ]


def test_changed_attribute_type_is_reported(models: list[type[DomainModel]]) -> None:
    contract = migration_contract(models)
    entry(contract, "goals")["attributes"]["progress"]["type"] = "S"
    findings = check_contract(contract, models, allow_extensions=True)
    assert [(f.code, f.subject) for f in findings] == [("DDB406", "progress")]


def test_missing_table_and_extra_table_are_reported(models: list[type[DomainModel]]) -> None:
    contract = [e for e in migration_contract(models) if e["table"] != "tasks"]
    extra = copy.deepcopy(entry(contract, "goals"))
    extra["table"] = "legacy"
    findings = check_contract([*contract, extra], models, allow_extensions=True)
    assert {(f.code, f.table) for f in findings} == {("DDB402", "tasks"), ("DDB403", "legacy")}


def test_missing_gsi_and_extra_attribute_are_reported(models: list[type[DomainModel]]) -> None:
    contract = migration_contract(models)
    goals = entry(contract, "goals")
    goals["gsis"] = [g for g in goals["gsis"] if g["name"] != "owner-index"]
    goals["attributes"]["legacy_flag"] = {"type": "BOOL"}
    checked = check_contract(contract, models, allow_extensions=True)
    findings = {(f.code, f.subject) for f in checked}
    assert findings == {("DDB405", "owner-index"), ("DDB408", "legacy_flag")}


def test_malformed_entry_is_a_finding(models: list[type[DomainModel]]) -> None:
    contract: list[Any] = [*migration_contract(models), {"table": "x"}]
    findings = check_contract(contract, models, allow_extensions=True)
    assert [f.code for f in findings] == ["DDB401"]


def test_load_contract_refuses_non_list_json(tmp_path: Path) -> None:
    path = tmp_path / "contract.json"
    path.write_text(json.dumps({"table": "x"}))
    with pytest.raises(ContractFormatError, match="JSON array"):
        load_contract(path)


def test_load_contract_refuses_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "contract.json"
    path.write_text("[{")
    with pytest.raises(ContractFormatError, match="not valid JSON"):
        load_contract(path)
