"""The README's example runs as printed, against DynamoDB Local, configured from the environment."""

from __future__ import annotations

import re
import sys
import types
import uuid
from pathlib import Path
from typing import Any

import pytest

from ddbwrap import TableGateway
from ddbwrap.tooling import create_tables

README = Path(__file__).resolve().parents[2] / "README.md"
SPLIT = "gateway = TableGateway.from_environment()"


def test_readme_example_runs_against_the_environment_endpoint(
    ddb_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    block = re.findall(r"^```python\n(.*?)^```", README.read_text(), re.MULTILINE | re.DOTALL)[0]
    models, rest = block.split(SPLIT)
    for name, value in {
        "AWS_ENDPOINT_URL_DYNAMODB": ddb_endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "DDBWRAP_TABLE_PREFIX": f"readme-{uuid.uuid4().hex[:8]}-",
    }.items():
        monkeypatch.setenv(name, value)
    module = types.ModuleType("readme_example")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace: dict[str, Any] = module.__dict__
    exec(compile(models, "README.md", "exec", dont_inherit=True), namespace)
    create_tables(TableGateway.from_environment(), [namespace["Pipeline"]])
    exec(compile(SPLIT + rest, "README.md", "exec", dont_inherit=True), namespace)
    page = namespace["page"]
    assert [item.name for item in page.items] == ["ingest-v2"]
    assert page.cursor is None
