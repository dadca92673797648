"""``ddbwrap export ...`` through ``main([...])``: artifacts on stdout or in files, summaries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint
from jsonschema import Draft202012Validator

from ddbwrap.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(autouse=True)
def sample_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))


def test_cloudformation_yaml_to_stdout_passes_cfn_lint(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "export",
            "cloudformation",
            "models_sample",
            "--name-template",
            "purposepath-{table}-${Stage}",
            "--pitr",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "TableName: !Sub 'purposepath-goals-${Stage}'" in out
    assert lint(out, config=ManualArgs(regions=["us-east-1"])) == []


def test_cloudformation_json_to_a_file_reports_what_it_wrote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "tables.json"
    code = main(["export", "cloudformation", "models_sample", "--json", "-o", str(target)])
    assert code == 0
    template = json.loads(target.read_text())
    assert set(template["Resources"]) == {"GoalsTable", "TasksTable", "TasksUniqueTable"}
    assert capsys.readouterr().out.startswith(f"wrote {target} (cloudformation;")


def test_export_summary_in_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "t.yaml"
    main(["export", "cloudformation", "models_sample", "-o", str(target), "--format", "json"])
    summary = json.loads(capsys.readouterr().out)
    assert summary == {
        "export": "cloudformation",
        "written": [str(target)],
        "tables": ["goals", "tasks", "tasks-unique"],
        "resources": 3,
    }


def test_cloudformation_with_a_bad_name_template_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["export", "cloudformation", "models_sample", "--name-template", "x"]) == 2
    assert "must contain {table}" in capsys.readouterr().err


def test_json_schema_of_one_class(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "json-schema", "models_sample:Goal"]) == 0
    schema = json.loads(capsys.readouterr().out)
    Draft202012Validator.check_schema(schema)
    assert schema["title"] == "Goal"


def test_json_schema_bundle_has_table_models_and_with_views_the_rest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["export", "json-schema", "models_sample"])
    assert set(json.loads(capsys.readouterr().out)["$defs"]) == {"Goal", "Task"}
    main(["export", "json-schema", "models_sample", "--views"])
    assert set(json.loads(capsys.readouterr().out)["$defs"]) == {
        "Goal",
        "Task",
        "GoalSummary",
        "Milestone",
    }


def test_json_schema_out_dir_writes_one_file_per_class(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["export", "json-schema", "models_sample", "--out-dir", str(tmp_path)])
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Goal.schema.json", "Task.schema.json"]


def test_typescript_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "typescript", "models_sample:Goal,GoalSummary"]) == 0
    out = capsys.readouterr().out
    assert "export interface Goal {" in out
    assert "export interface GoalSummary {" in out


def test_contract_with_yaml_overrides_and_gsi_entries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overrides = tmp_path / "contract.yaml"
    overrides.write_text("tables:\n  goals:\n    source_table: goal\n")
    code = main(
        ["export", "contract", "models_sample", "--overrides", str(overrides), "--gsi-entries"]
    )
    contract = json.loads(capsys.readouterr().out)
    assert code == 0
    goals = next(e for e in contract if e["table"] == "goals")
    assert goals["source_table"] == "goal"
    assert any(e["type"] == "GSI" for e in contract)


def test_contract_with_bad_overrides_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overrides = tmp_path / "contract.json"
    overrides.write_text('{"tables": {"nope": {}}}')
    assert main(["export", "contract", "models_sample", "--overrides", str(overrides)]) == 2
    assert "no model declares this table" in capsys.readouterr().err
