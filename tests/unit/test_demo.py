"""The README's demo command runs on the embedded backend with no set-up."""

from __future__ import annotations

import pytest
from examples.pipelines.main import main


def test_demo_runs_on_the_embedded_backend(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "embedded in-process DynamoDB" in out
    assert "AlreadyExistsError" in out
    assert "saved" in out
