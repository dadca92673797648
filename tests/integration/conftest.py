"""Integration tests run against DynamoDB Local through the fixtures of ddbwrap's pytest plugin.

pip registers the plugin (entry point ``pytest11``) when ddbwrap is installed, as
``scripts/test`` does. When the suite runs from a checkout that is merely on ``sys.path``, the
plugin is registered here instead.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

import ddbwrap.testing.plugin as ddbwrap_plugin
from ddbwrap.cli import main
from ddbwrap.gateway import TableGateway
from ddbwrap.testing.local import LOCAL_ACCESS_KEY, LOCAL_REGION, LOCAL_SECRET_KEY

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
Run = Callable[..., int]


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.is_registered(ddbwrap_plugin):
        config.pluginmanager.register(ddbwrap_plugin, "ddbwrap")


@pytest.fixture
def sample(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The sample models package of the tooling tests (tests/fixtures/models_sample)."""
    monkeypatch.syspath_prepend(str(FIXTURES))
    return importlib.import_module("models_sample")


@pytest.fixture
def cli(
    ddb_endpoint: str,
    ddb_client: DynamoDBClient,
    ddb_gateway: TableGateway,
    sample: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Run]:
    """``run(*args)``: main() against DynamoDB Local with this test's table prefix."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", LOCAL_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", LOCAL_SECRET_KEY)
    for name in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
    ):
        monkeypatch.delenv(name, raising=False)
    prefix = ddb_gateway.table_prefix
    connection = [
        "--endpoint-url",
        ddb_endpoint,
        "--region",
        LOCAL_REGION,
        "--table-prefix",
        prefix,
    ]

    def run(*args: str) -> int:
        return main([*args, *connection])

    yield run
    for name in ddb_client.list_tables(Limit=100)["TableNames"]:
        if name.startswith(prefix):
            ddb_client.delete_table(TableName=name)


if TYPE_CHECKING:
    from tests.integration.faultproxy import FaultProxy


@pytest.fixture
def fault_proxy(ddb_endpoint: str) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of ``ddb_endpoint`` for this test; pass ``.url`` to
    boto3 as ``endpoint_url`` (see tests/integration/faultproxy.py)."""
    from tests.integration.faultproxy import FaultProxy

    with FaultProxy(ddb_endpoint) as proxy:
        yield proxy
