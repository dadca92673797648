"""The security suite: each finding of issue 12 as inputs an attacker or a careless caller would
send, each ending as a typed ``DdbwrapError`` with nothing written, checked on DynamoDB Local.

The DynamoDB Local fixtures come from ddbwrap's pytest plugin (registered here when the suite
runs from a checkout that is merely on ``sys.path``, as tests/integration does). ``sent``
records the operations the test's client sends, so a test can show that a refused call sent
nothing; ``ddb_logs`` captures every ``ddbwrap.*`` log record at DEBUG.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

import ddbwrap.testing.plugin as ddbwrap_plugin

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.is_registered(ddbwrap_plugin):
        config.pluginmanager.register(ddbwrap_plugin, "ddbwrap")


@pytest.fixture
def sent(ddb_client: DynamoDBClient) -> Iterator[list[str]]:
    """The operations the client sends during the test (clear it after the set-up)."""
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(model.name)

    unique = f"ddbwrap-security-{uuid.uuid4().hex}"
    ddb_client.meta.events.register("before-parameter-build.dynamodb", record, unique_id=unique)
    yield calls
    ddb_client.meta.events.unregister("before-parameter-build.dynamodb", unique_id=unique)


class Records(logging.Handler):
    """Every log record of the ``ddbwrap`` loggers, rendered as a handler would."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[str]:
        out = []
        for record in self.records:
            out.append(self.format(record))  # the message, the traceback of exc_info, the stack
            out.append(repr(record.args))
        return out


@pytest.fixture
def ddb_logs() -> Iterator[Records]:
    """Captures every ``ddbwrap.*`` log record (DEBUG and up) during the test."""
    handler = Records()
    logger = logging.getLogger("ddbwrap")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
