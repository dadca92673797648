"""``ddbwrap migrate scaffold``: V2 source generated from V1 repositories."""

from __future__ import annotations

import argparse
import enum
import importlib.util
import sys
import types
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pydantic.v1 as pydantic_v1
import pytest
from examples.v1_to_v2.v1.repositories import (
    PipelineConfigRepository,
    PipelineRunRepository,
)
from mypy import api as mypy_api

from ddbwrap import schema_of
from ddbwrap.cli import migrate as migrate_cli
from ddbwrap.cli.common import CommandError
from ddbwrap.v1 import BaseRepository, scaffold_source, to_domain_model
from ddbwrap.v1.scaffold import ScaffoldError, load_repository

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


class Level(str, enum.Enum):
    LOW = "low"
    HIGH = "high"


class Check(pydantic_v1.BaseModel):
    name: str = pydantic_v1.Field(alias="Name")
    passed: bool = False


class Audit(pydantic_v1.BaseModel):
    """A pydantic.v1 model with an enum, a nested model, a Decimal and a factory."""

    tenant_id: str
    audit_id: int
    level: Level = Level.LOW
    checks: list[Check] = []
    score: Decimal = Decimal("1.5")
    labels: dict[str, str] = pydantic_v1.Field(default_factory=dict)
    at: datetime


class AuditRepository(BaseRepository[Audit]):
    table_name = "audits"
    hash_key = "tenant_id"
    range_key = "audit_id"
    indexes = {"level-index": ("level", "at")}


def import_source(source: str, name: str, directory: Path) -> types.ModuleType:
    path = directory / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_the_model_has_the_v1_fields_and_a_meta_with_table_keys_and_indexes() -> None:
    source = scaffold_source(PipelineConfigRepository)
    assert "class PipelineConfig(DomainModel):" in source
    assert "    tags: list[str] = []\n" in source
    assert "    description: str | None = None\n" in source
    assert '        table_name = "pipeline_config"\n' in source
    assert '        partition_key = "pipeline_id"\n' in source
    assert '            GSI("active-index", partition_key="is_active"),\n' in source
    assert '        naive_datetime_zone = "UTC"\n' in source


def test_a_view_dtos_and_apis_are_written() -> None:
    source = scaffold_source(PipelineConfigRepository)
    for declaration in (
        "class PipelineConfigSummary(View[PipelineConfig]):",
        "class NewPipelineConfig(CreateDTO[PipelineConfig]):",
        "class PipelineConfigUpdate(UpdateDTO[PipelineConfig]):",
        "class PipelineConfigReadApi(ReadApi[PipelineConfig]):",
        "class PipelineConfigWriteApi(WriteApi[PipelineConfig]):",
        "    def by_tenant_index(",
        "    def by_active_index(",
    ):
        assert declaration in source
    assert "    name: str | None = None\n" in source  # UpdateDTO fields are optional


def test_a_table_with_a_sort_key_gets_a_partition_query() -> None:
    source = scaffold_source(PipelineRunRepository)
    assert '        sort_key = "run_id"\n' in source
    assert "    def for_pipeline_id(" in source
    assert "class RunStep(BaseModel):" in source  # the nested pydantic.v1 model, as v2


def test_the_generated_module_stores_items_like_the_repository(tmp_path: Path) -> None:
    module = import_source(scaffold_source(AuditRepository), "scaffold_audits", tmp_path)
    generated = schema_of(module.Audit)
    derived = schema_of(to_domain_model(AuditRepository))
    assert generated.create_table_params() == derived.create_table_params()
    assert generated.field_attributes == derived.field_attributes
    assert module.Audit.model_fields["level"].default is Level.LOW
    assert module.Audit.model_fields["score"].default == Decimal("1.5")
    assert module.Audit.model_fields["labels"].default_factory is dict
    assert module.Check.model_fields["name"].alias == "Name"


def test_the_generated_module_names_its_origin(tmp_path: Path) -> None:
    source = scaffold_source(AuditRepository, origin="app.repos:AuditRepository")
    assert "from the V1 repository\napp.repos:AuditRepository" in source


def test_generated_sources_and_the_examples_pass_mypy_strict(tmp_path: Path) -> None:
    """One mypy run (it is slow): scaffolds of the example repositories, and the examples."""
    generated = (("gen_configs", PipelineConfigRepository), ("gen_runs", PipelineRunRepository))
    for name, repository in generated:
        (tmp_path / f"{name}.py").write_text(scaffold_source(repository), encoding="utf-8")
    stdout, stderr, status = mypy_api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--strict",
            str(tmp_path / "gen_configs.py"),
            str(tmp_path / "gen_runs.py"),
            str(EXAMPLES / "v1_to_v2"),
        ]
    )
    assert status == 0, stdout + stderr
    assert "Success" in stdout


# -- loading and the command ----------------------------------------------------------------


def test_load_repository_imports_module_colon_class() -> None:
    repository = load_repository("examples.v1_to_v2.v1.repositories:PipelineRunRepository")
    assert repository is PipelineRunRepository


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_colon", "is not MODULE:Repository"),
        ("no_such_module_xyz:Repo", "cannot import"),
        ("examples.v1_to_v2.v1.repositories:Missing", "has no class"),
    ],
)
def test_load_repository_explains_a_bad_spec(spec: str, message: str) -> None:
    with pytest.raises(ScaffoldError, match=message):
        load_repository(spec)


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="ddbwrap")
    migrate_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["migrate", *argv])
    code: int = args.handler(args)
    return code


def test_scaffold_prints_the_module(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("scaffold", "examples.v1_to_v2.v1.repositories:PipelineRunRepository") == 0
    out = capsys.readouterr().out
    assert out == scaffold_source(
        PipelineRunRepository, origin="examples.v1_to_v2.v1.repositories:PipelineRunRepository"
    )


def test_scaffold_writes_a_file_and_does_not_overwrite_it_without_force(tmp_path: Path) -> None:
    target = tmp_path / "models_v2.py"
    spec = "examples.v1_to_v2.v1.repositories:PipelineRunRepository"
    assert run_cli("scaffold", spec, "-o", str(target)) == 0
    assert "class PipelineRun(DomainModel):" in target.read_text(encoding="utf-8")
    target.write_text("# edited\n", encoding="utf-8")
    with pytest.raises(CommandError, match="--force"):
        run_cli("scaffold", spec, "-o", str(target))
    assert target.read_text(encoding="utf-8") == "# edited\n"
    assert run_cli("scaffold", spec, "-o", str(target), "--force") == 0
    assert "class PipelineRun(DomainModel):" in target.read_text(encoding="utf-8")
