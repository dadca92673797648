"""``ddbwrap lint MODELS [PATHS...]`` through ``main([...])``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ddbwrap.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(autouse=True)
def sample_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))


def test_lint_reports_the_sample_models_warnings_and_exits_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["lint", "models_sample", "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert {(f["code"], f.get("model")) for f in findings} == {
        ("DDB101", "Goal"),
        ("DDB104", "Task"),
        ("DDB107", "Task"),
    }


def test_meta_lint_ignore_keeps_a_rule_quiet(capsys: pytest.CaptureFixture[str]) -> None:
    main(["lint", "models_sample", "--format", "json"])
    codes = {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert "DDB102" not in codes  # Goal has 3 GSIs but lint_ignore = ("DDB102",)


def test_ignore_and_fail_on_decide_the_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "models_sample", "--ignore", "DDB101,DDB104"]) == 0
    assert main(["lint", "models_sample", "--fail-on", "critical"]) == 0


def test_text_output_shows_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    main(["lint", "models_sample"])
    out = capsys.readouterr().out
    assert "HIGH     DDB101  Goal/active-index" in out
    assert "fix: " in out


def test_paths_are_scanned_for_scans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    handler = tmp_path / "handler.py"
    handler.write_text("def get(reads):\n    return reads.scan_all()\n")
    main(["lint", "models_sample", str(tmp_path), "--ignore", "DDB101,DDB104", "--format", "json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert [(f["code"], f["location"]) for f in findings if f["code"] == "DDB106"] == [
        ("DDB106", f"{handler}:2")
    ]


def test_markdown_output_for_a_pr_comment(capsys: pytest.CaptureFixture[str]) -> None:
    main(["lint", "models_sample", "--format", "markdown"])
    out = capsys.readouterr().out
    assert out.startswith("### ddbwrap lint")
    assert "| HIGH | `DDB101` |" in out


def test_help_lists_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    main(["lint", "--help"])
    out = capsys.readouterr().out
    for code in ("DDB101", "DDB104", "DDB106", "DDB109"):
        assert code in out
