"""Findings: severities, thresholds, and text / JSON / Markdown rendering."""

from __future__ import annotations

import json

import pytest

from ddbwrap.tooling.findings import (
    Finding,
    Severity,
    fails,
    render_json,
    render_markdown,
    render_text,
    sort_findings,
)

LOW = Finding(Severity.LOW, "DDB301", "unknown attribute", "declare it", table="t", subject="x")
HIGH = Finding(Severity.HIGH, "DDB204", "GSI missing", "create it", table="t", subject="g|i")


def test_severity_parses_case_insensitively() -> None:
    assert Severity.parse("High") is Severity.HIGH


def test_unknown_severity_names_the_choices() -> None:
    with pytest.raises(ValueError, match="critical, high, medium, low, info"):
        Severity.parse("urgent")


def test_fails_at_or_above_the_threshold_only() -> None:
    assert fails([LOW, HIGH], Severity.HIGH)
    assert not fails([LOW], Severity.MEDIUM)


def test_most_severe_findings_come_first() -> None:
    assert sort_findings([LOW, HIGH]) == [HIGH, LOW]


def test_text_report_has_severity_code_where_and_fix() -> None:
    text = render_text([LOW, HIGH])
    assert text.splitlines()[0] == "HIGH     DDB204  t/g|i: GSI missing"
    assert "fix: create it" in text
    assert text.rstrip().endswith("2 findings (1 high, 1 low)")


def test_text_report_of_nothing_says_so() -> None:
    assert render_text([]) == "no findings\n"


def test_json_report_is_parseable_with_counts() -> None:
    document = json.loads(render_json([LOW, HIGH], endpoint="http://x"))
    assert document["endpoint"] == "http://x"
    assert document["counts"] == {"LOW": 1, "HIGH": 1}
    assert document["findings"][0]["severity"] == "HIGH"


def test_markdown_report_is_a_table_with_escaped_pipes() -> None:
    text = render_markdown([HIGH], title="drift")
    assert text.startswith("### drift")
    assert "| Severity | Code | Where | Finding | Fix |" in text
    assert "`t/g\\|i`" in text
