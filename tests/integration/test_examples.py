"""The examples run end to end against DynamoDB Local (the demo uses moto; this is the real one)."""

from __future__ import annotations

from typing import Any

from examples.pipelines.main import run


def test_pipelines_example_runs_end_to_end_on_dynamodb_local(ddb_gateway: Any) -> None:
    lines: list[str] = []
    figures = run(ddb_gateway, say=lines.append)
    assert figures["tables"] == ["pipeline_config", "table_config", "pipeline_run_logs"]
    assert figures["batch_written"] == 48
    assert figures["last_run"] == "run-live"
    assert figures["pages"] == [10, 10]
    assert figures["conflict"] == (1, 2)
    assert figures["duplicate_refused"] is True
    assert figures["view_saving_percent"] >= 50
    assert len(lines) >= 9
