"""pytest plugin: DynamoDB fixtures for ddbwrap's suite and for its users' suites.

Loaded automatically (entry point ``pytest11``) wherever ddbwrap is installed. The backend is
chosen with ``--ddb-backend`` (or ``$DDBWRAP_TEST_BACKEND``):

- ``local`` (the default): AWS's DynamoDB Local, started for the session (needs Java);
- ``moto``: moto's in-process DynamoDB (``pip install 'ddbwrap[demo]'``): no Java, no server,
  fast, but not the real service's behaviour in every case (docs/testing.md lists where);
- ``endpoint``: an endpoint you run, ``--ddb-endpoint URL`` or ``$DDBWRAP_TEST_ENDPOINT``
  (setting the variable alone also selects it).

Fixtures:

- ``ddb_backend`` (session): which backend the session uses (``DdbBackend``).
- ``ddb_endpoint`` (session): the URL of that backend. When it cannot be had, the tests that
  need it are skipped, or, when ``$CI`` is set, fail: integration tests must never silently
  skip in CI. Under moto it is the AWS URL of the region, answered in-process by moto.
- ``ddb_client`` (session): a boto3 client for it, with dummy credentials (or, when
  ``$DDBWRAP_TEST_ENDPOINT`` is an ``*.amazonaws.com`` endpoint, the normal credential chain).
- ``ddb_gateway``: a ``TableGateway`` whose table prefix is unique to the test, so tests (and
  xdist workers) never see each other's tables.
- ``ddb_tables``: ``ddb_tables(ModelA, ModelB)`` creates the models' tables for this test (and
  deletes them after it) and returns the test's gateway (the same one as ``ddb_gateway``).

Tests that use ``ddb_endpoint``, directly or through the other fixtures, get the
``integration`` marker; the session ends with one line saying how they fared, and, in CI, fails
if any of them was skipped.
"""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

import pytest

from ddbwrap.testing.local import (
    ENDPOINT_ENV,
    LOCAL_REGION,
    NPM_PACKAGE,
    NPM_PACKAGE_VERSION,
    DynamoDBLocal,
    DynamoDBLocalError,
    client_for,
    default_cache_dir,
    env_endpoint,
    local_client,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from pydantic import BaseModel

    from ddbwrap import TableGateway

INTEGRATION_MARK = "integration"
NOT_ON_MOTO_MARK = "not_on_moto"
ENDPOINT_FIXTURE = "ddb_endpoint"
BACKEND_ENV = "DDBWRAP_TEST_BACKEND"
"""``local``, ``moto`` or ``endpoint``: the default of ``--ddb-backend``."""
BACKENDS = ("local", "moto", "endpoint")
MOTO_ENDPOINT = f"https://dynamodb.{LOCAL_REGION}.amazonaws.com"
"""The URL ``ddb_endpoint`` gives under moto: moto answers it in-process, nothing is sent."""
_WORKER_OUTPUT_KEY = "ddbwrap_servers"


def in_ci() -> bool:
    """True when ``$CI`` is set to anything but an empty/false value."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@dataclass
class _Server:
    endpoint: str
    version: str | None
    external: bool
    backend: str = "local"


@dataclass(frozen=True)
class DdbBackend:
    """The backend of the session: ``name`` is ``local``, ``moto`` or ``endpoint``;
    ``endpoint`` the URL given for ``endpoint`` (None otherwise)."""

    name: str
    endpoint: str | None = None

    @property
    def is_moto(self) -> bool:
        return self.name == "moto"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ddbwrap", "ddbwrap DynamoDB fixtures")
    group.addoption(
        "--ddb-backend",
        choices=BACKENDS,
        default=None,
        help="what the ddb_* fixtures talk to: local (DynamoDB Local, needs Java; the "
        "default), moto (in-process, needs moto), endpoint (--ddb-endpoint or "
        f"${ENDPOINT_ENV}); default ${BACKEND_ENV}",
    )
    group.addoption(
        "--ddb-endpoint",
        default=None,
        metavar="URL",
        help=f"endpoint of the `endpoint` backend (default ${ENDPOINT_ENV})",
    )


def backend_of(config: pytest.Config) -> DdbBackend:
    """The session's backend: ``--ddb-backend``, else ``$DDBWRAP_TEST_BACKEND``, else
    ``endpoint`` when an endpoint is given, else ``local``."""
    endpoint = config.getoption("--ddb-endpoint", None) or env_endpoint()
    name = config.getoption("--ddb-backend", None) or os.environ.get(BACKEND_ENV, "").strip()
    if not name:
        name = "endpoint" if endpoint else "local"
    if name not in BACKENDS:
        raise pytest.UsageError(f"${BACKEND_ENV}={name!r}: expected one of {', '.join(BACKENDS)}")
    return DdbBackend(name, endpoint if name == "endpoint" else None)


@dataclass(eq=False)  # registered as a plugin: must stay hashable
class _Tracker:
    """What the session learned about its integration tests and the servers they used."""

    servers: list[_Server] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)
    skip_reasons: dict[str, str] = field(default_factory=dict)

    def record(self, report: pytest.TestReport) -> None:
        """Fold one phase's report into the test's outcome; a failure in any phase sticks."""
        if report.when == "call":
            if report.passed:
                outcome = "passed"
            elif report.failed:
                outcome = "failed"
            else:
                outcome = "xfailed" if hasattr(report, "wasxfail") else "skipped"
        elif report.failed:
            outcome = "failed"
        elif report.skipped and report.when == "setup":
            outcome = "xfailed" if hasattr(report, "wasxfail") else "skipped"
        else:
            return
        if self.outcomes.get(report.nodeid) == "failed":
            return
        self.outcomes[report.nodeid] = outcome
        if outcome == "skipped":
            self.skip_reasons[report.nodeid] = _skip_reason(report)

    def count(self, outcome: str) -> int:
        return sum(1 for value in self.outcomes.values() if value == outcome)

    def skipped(self) -> list[str]:
        return [nodeid for nodeid, value in self.outcomes.items() if value == "skipped"]

    # Hooks: this object is registered as a plugin for the session.

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if INTEGRATION_MARK in report.keywords:
            self.record(report)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Hand a worker's servers to the xdist controller; in CI, fail the session on skips."""
        worker_output = getattr(session.config, "workeroutput", None)
        if worker_output is not None:
            worker_output[_WORKER_OUTPUT_KEY] = [asdict(server) for server in self.servers]
            return
        if in_ci() and self.skipped() and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """pytest-xdist: collect the servers a finished worker started."""
        servers = getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT_KEY, [])
        self.servers.extend(_Server(**server) for server in servers)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.outcomes:
            return
        terminalreporter.write_line(summary_line(self))
        skipped = self.skipped()
        if in_ci() and skipped:
            terminalreporter.write_line(
                f"ddbwrap: FAILING the session: CI is set and {len(skipped)} integration "
                "test(s) were skipped; integration tests must run in CI:",
                red=True,
                bold=True,
            )
            for nodeid in skipped[:20]:
                terminalreporter.write_line(f"  {nodeid}: {self.skip_reasons.get(nodeid, '')}")


_TRACKER = pytest.StashKey[_Tracker]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{INTEGRATION_MARK}: talks to a DynamoDB backend (ddbwrap's fixtures)"
    )
    config.addinivalue_line(
        "markers",
        f"{NOT_ON_MOTO_MARK}(reason): skipped under --ddb-backend=moto (moto differs here)",
    )
    tracker = _Tracker()
    config.stash[_TRACKER] = tracker
    config.pluginmanager.register(tracker, "ddbwrap-integration-tracker")


def pytest_report_header(config: pytest.Config) -> str:
    backend = backend_of(config)
    if backend.is_moto:
        return "ddbwrap: integration tests use moto (in-process, --ddb-backend=moto)"
    if backend.name == "endpoint":
        return f"ddbwrap: integration tests use the endpoint {backend.endpoint}"
    return (
        f"ddbwrap: integration tests use DynamoDB Local from {NPM_PACKAGE}@{NPM_PACKAGE_VERSION} "
        f"(cache {default_cache_dir()})"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that needs ``ddb_endpoint`` (directly or not) as ``integration``; under
    moto, skip the tests marked ``not_on_moto``."""
    moto = backend_of(config).is_moto
    for item in items:
        if ENDPOINT_FIXTURE in getattr(item, "fixturenames", ()):
            item.add_marker(INTEGRATION_MARK)
        marker = item.get_closest_marker(NOT_ON_MOTO_MARK) if moto else None
        if marker is not None:
            reason = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
            item.add_marker(pytest.mark.skip(reason=f"not on moto: {reason}".rstrip(": ")))


def summary_line(tracker: _Tracker) -> str:
    """``ddbwrap: 42 integration tests ran against DynamoDB Local 3.3.1 at URL (...)``."""
    counts = ", ".join(
        f"{tracker.count(outcome)} {outcome}"
        for outcome in ("passed", "failed", "skipped", "xfailed")
        if outcome != "xfailed" or tracker.count(outcome)
    )
    total = len(tracker.outcomes)
    tests = f"{total} integration test{'s' if total != 1 else ''}"
    if not tracker.servers:
        return f"ddbwrap: {tests}, no DynamoDB Local was reached ({counts})"
    servers = tracker.servers
    if all(server.backend == "moto" for server in servers):
        moto = "/".join(sorted({server.version or "?" for server in servers}))
        return f"ddbwrap: {tests} ran against moto {moto} (in-process) ({counts})"
    if all(server.external for server in servers):
        url = servers[0].endpoint
        where = f"{ENDPOINT_ENV}={url}" if env_endpoint() == url else f"the endpoint {url}"
    else:
        versions = sorted({server.version or "?" for server in servers})
        urls = ", ".join(sorted({server.endpoint for server in servers}))
        where = f"DynamoDB Local {'/'.join(versions)} at {urls}"
    return f"ddbwrap: {tests} ran against {where} ({counts})"


@pytest.fixture(scope="session")
def ddb_backend(request: pytest.FixtureRequest) -> DdbBackend:
    """The session's backend (``--ddb-backend``): ``local``, ``moto`` or ``endpoint``."""
    return backend_of(request.config)


@pytest.fixture(scope="session")
def ddb_endpoint(ddb_backend: DdbBackend, request: pytest.FixtureRequest) -> Iterator[str]:
    """The endpoint URL of the session's backend: a DynamoDB Local started for the session,
    the endpoint given, or (moto) the AWS URL moto answers in-process."""
    servers = request.config.stash[_TRACKER].servers
    if ddb_backend.is_moto:
        with moto_in_process() as version:
            servers.append(_Server(MOTO_ENDPOINT, version, external=False, backend="moto"))
            yield MOTO_ENDPOINT
        return
    if ddb_backend.name == "endpoint" and ddb_backend.endpoint is None:
        _unavailable(
            f"--ddb-backend=endpoint needs an endpoint: --ddb-endpoint URL or ${ENDPOINT_ENV}",
            hint="",
        )
    server = DynamoDBLocal(use_env_endpoint=False)
    try:
        if ddb_backend.endpoint is not None:
            server.adopt(ddb_backend.endpoint)
        else:
            server.start()
    except DynamoDBLocalError as exc:
        what = "the endpoint" if ddb_backend.endpoint else "DynamoDB Local"
        _unavailable(f"{what} is not available: {exc}")
    servers.append(_Server(server.endpoint_url, server.version, server.external))
    try:
        yield server.endpoint_url
    finally:
        server.stop()


@contextlib.contextmanager
def moto_in_process() -> Iterator[str]:
    """moto's DynamoDB for every boto3 client of the process (``mock_aws``), with dummy
    credentials; yields moto's version."""
    try:
        import moto
        from moto import mock_aws
    except ImportError:
        _unavailable(
            "--ddb-backend=moto needs moto, which is not installed: pip install 'ddbwrap[demo]' "
            "(or 'moto[dynamodb]')",
            hint="",
        )
    version = str(getattr(moto, "__version__", "?"))
    with mock_aws():
        yield version


@pytest.fixture(scope="session")
def ddb_client(ddb_endpoint: str, ddb_backend: DdbBackend) -> DynamoDBClient:
    """A boto3 client for ``ddb_endpoint``: dummy credentials, or your own for AWS itself."""
    if ddb_backend.is_moto:
        return local_client(ddb_endpoint)
    return client_for(ddb_endpoint)


@pytest.fixture
def ddb_gateway(ddb_client: DynamoDBClient, request: pytest.FixtureRequest) -> TableGateway:
    """A TableGateway whose table prefix is unique to this test."""
    from ddbwrap import TableGateway

    return TableGateway(ddb_client, table_prefix=unique_table_prefix(request.node.name))


class TableFactory(Protocol):
    """``ddb_tables(*models)``: create the models' tables for this test; return its gateway."""

    def __call__(self, *models: type[BaseModel]) -> TableGateway: ...


@pytest.fixture
def ddb_tables(ddb_client: DynamoDBClient, ddb_gateway: TableGateway) -> Iterator[TableFactory]:
    """A factory that creates the models' tables (once per test) and deletes them afterwards.

    Tables come from ``ddbwrap.tooling.create_tables``, exactly as ``ddbwrap tables create``
    makes them: indexes, TTL, and the guard-item table of ``Meta.unique`` fields. Models sharing
    a table create it once.
    """
    from ddbwrap.tooling import create_tables

    created: list[str] = []

    def create(*models: type[BaseModel]) -> TableGateway:
        for result in create_tables(ddb_gateway, models):
            if result.action == "created":
                created.append(result.physical)
        return ddb_gateway

    yield create
    for name in reversed(created):
        with contextlib.suppress(ddb_client.exceptions.ResourceNotFoundException):
            ddb_client.delete_table(TableName=name)


def unique_table_prefix(test_name: str) -> str:
    """``<test name>-<8 hex>-``: readable in a table listing, unique per test and worker."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name).strip("_.-")[:40] or "test"
    return f"{slug}-{uuid.uuid4().hex[:8]}-"


def _unavailable(reason: str, hint: str | None = None) -> NoReturn:
    if in_ci():
        pytest.fail(f"{reason}\n(CI is set, so this fails instead of skipping)", pytrace=False)
    if hint is None:
        hint = f"set {ENDPOINT_ENV} to use your own endpoint, or --ddb-backend=moto"
    pytest.skip(f"{reason} ({hint})" if hint else reason)


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")
