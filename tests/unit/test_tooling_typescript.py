"""TypeScript export: ``tsc --strict --noEmit`` (pinned, installed from npm) accepts it, and the
types it declares reject values of the wrong stored form.

tsc comes from ``$DDBWRAP_TSC`` or is installed once into ``$DDBWRAP_TSC_CACHE`` (default
``~/.cache/ddbwrap/typescript-<version>``): see ``tests/npm_tools.py``.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from tests.npm_tools import npm_tool

from ddbwrap.tooling.typescript import typescript_types

TYPESCRIPT_VERSION = "5.9.3"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def sample(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(FIXTURES))
    return importlib.import_module("models_sample")


@pytest.fixture(scope="session")
def tsc() -> Path:
    override = os.environ.get("DDBWRAP_TSC")
    if override:
        return Path(override)
    return npm_tool(
        "typescript", TYPESCRIPT_VERSION, "node_modules/.bin/tsc", cache_env="DDBWRAP_TSC_CACHE"
    )


def compile_ts(tsc: Path, directory: Path, **files: str) -> subprocess.CompletedProcess[str]:
    for name, text in files.items():
        (directory / f"{name}.ts").write_text(text, encoding="utf-8")
    paths = [str(directory / f"{name}.ts") for name in files]
    return subprocess.run(
        [str(tsc), "--strict", "--noEmit", "--target", "es2020", "--module", "es2020", *paths],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


USAGE_OK = """
import type { Goal, Task, GoalSummary, GoalStatus } from "./models";
const status: GoalStatus = "active";
const goal: Goal = {
  goal_id: "g", tenantId: "t", title: "x", created_at: "2026-01-01T00:00:00.000000Z",
  is_active: "true", status, tags: ["a"], progress: 1.5,
  milestones: [{ title: "m", due: null }],
};
const task: Task = { tenant_id: "t", task_id: "k", email: "e", pk: "TENANT#t", sk: "TASK#k",
  done: false, attachment: null, expires_at: 1700000000 };
const summary: GoalSummary = { goal_id: "g", tenantId: "t", title: "x", is_active: "false" };
export const all = [goal, task, summary];
"""


def test_tsc_strict_accepts_the_export(sample: ModuleType, tsc: Path, tmp_path: Path) -> None:
    source = typescript_types([sample.Goal, sample.Task, sample.GoalSummary, sample.Milestone])
    result = compile_ts(tsc, tmp_path, models=source, usage=USAGE_OK)
    assert result.returncode == 0, result.stdout + result.stderr


WRONG_VALUES = {
    "bool_key_as_boolean": "const g: Partial<Goal> = { is_active: true };",
    "missing_required": 'const g: Goal = { goal_id: "g", tenantId: "t", title: "x" };',
    "unknown_enum_value": 'const g: Partial<Goal> = { status: "archived" };',
    "number_for_a_string": "const g: Partial<Goal> = { goal_id: 1 };",
    "null_index_key": "const g: Partial<Goal> = { owner_id: null };",
}


@pytest.fixture(scope="module")
def wrong_values_output(tsc: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One tsc run over one file per wrong value (tsc is slow to start)."""
    sys.path.insert(0, str(FIXTURES))
    try:
        sample = importlib.import_module("models_sample")
    finally:
        sys.path.remove(str(FIXTURES))
    directory = tmp_path_factory.mktemp("ts-wrong")
    files = {
        name: f'import type {{ Goal }} from "./models";\n{snippet}\nexport {{ g }};\n'
        for name, snippet in WRONG_VALUES.items()
    }
    result = compile_ts(tsc, directory, models=typescript_types([sample.Goal]), **files)
    return result.stdout + result.stderr


@pytest.mark.parametrize("case", sorted(WRONG_VALUES))
def test_tsc_rejects_values_of_the_wrong_stored_form(wrong_values_output: str, case: str) -> None:
    assert f"{case}.ts(" in wrong_values_output, f"tsc accepted {case}"


def test_the_declarations_themselves_compile_cleanly(wrong_values_output: str) -> None:
    assert "models.ts(" not in wrong_values_output


def test_interface_is_named_after_the_model_with_stored_names(sample: ModuleType) -> None:
    source = typescript_types([sample.Goal])
    assert "export interface Goal {" in source
    assert "  tenantId: string;" in source
    assert '  is_active?: "true" | "false";' in source


def test_optional_attributes_are_marked_optional(sample: ModuleType) -> None:
    source = typescript_types([sample.Task])
    assert "  email: string;" in source
    assert "  priority?: number;" in source
    assert "  pk: string;" in source


def test_nested_models_and_enums_are_declared_once(sample: ModuleType) -> None:
    source = typescript_types([sample.Goal, sample.Milestone])
    assert source.count("export interface Milestone ") == 1
    assert 'export type GoalStatus = "draft" | "active" | "done";' in source


def test_property_names_that_are_not_identifiers_are_quoted() -> None:
    from pydantic import Field

    from ddbwrap import DomainModel

    class Odd(DomainModel):
        odd_id: str = Field(alias="odd-id")

        class Meta:
            table_name = "odd"
            partition_key = "odd_id"

    assert '  "odd-id": string;' in typescript_types([Odd])
