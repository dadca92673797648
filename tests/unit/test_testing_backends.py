"""The plugin's backend choice (``--ddb-backend=local|moto|endpoint``) and the probe of a given
endpoint: fast, and a short account of a non-DynamoDB answer."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest

from ddbwrap.testing import local
from ddbwrap.testing.local import ENDPOINT_ENV, DynamoDBLocal, DynamoDBLocalError, free_port
from ddbwrap.testing.plugin import BACKEND_ENV

pytest_plugins = ["pytester"]

HTML = "<!DOCTYPE html>\n<html><head><title>Welcome to nginx!</title></head><body>{}</body></html>"


class _HtmlHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = HTML.format("lorem ipsum " * 500).encode()
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def html_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HtmlHandler)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (ENDPOINT_ENV, BACKEND_ENV, "CI"):
        monkeypatch.delenv(name, raising=False)


def test_a_non_dynamodb_endpoint_is_summarised_not_dumped(html_endpoint: str) -> None:
    started = time.monotonic()
    with pytest.raises(DynamoDBLocalError) as raised:
        DynamoDBLocal(use_env_endpoint=False).adopt(html_endpoint)
    message = str(raised.value)
    assert time.monotonic() - started < 5
    assert "answered ListTables, but not as DynamoDB does" in message
    assert "HTTP 404, text/html, 'Welcome to nginx!'" in message
    assert "lorem" not in message and "<html>" not in message
    assert len(message) < 400


def test_an_unreachable_endpoint_fails_within_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, f"http://127.0.0.1:{free_port()}")
    started = time.monotonic()
    with pytest.raises(DynamoDBLocalError, match=r"did not answer ListTables .* within 5 s"):
        DynamoDBLocal().start()  # the default start timeout is 60 s: not for a given endpoint
    assert time.monotonic() - started < 15


MOTO_TESTS = """
from ddbwrap import DomainModel, ReadApi, WriteApi


class Note(DomainModel):
    note_id: str
    text: str

    class Meta:
        table_name = "notes"
        partition_key = "note_id"


def test_reads_back(ddb_tables, ddb_backend):
    assert ddb_backend.name == "moto"
    gateway = ddb_tables(Note)
    WriteApi[Note](gateway).create(Note(note_id="n1", text="hi"))
    assert ReadApi[Note](gateway).get(note_id="n1") == Note(note_id="n1", text="hi")


def test_tables_are_per_test(ddb_client, ddb_gateway):
    assert ddb_client.list_tables()["TableNames"] == []


import pytest


@pytest.mark.not_on_moto("moto differs here")
def test_skipped_on_moto(ddb_client):
    raise AssertionError("runs only on DynamoDB Local")
"""


def test_the_moto_backend_runs_the_fixtures_in_process(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(MOTO_TESTS)
    result = pytester.runpytest("-p", "no:hypothesispytest", "--ddb-backend=moto", "-rs")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "ddbwrap: integration tests use moto*",
            "ddbwrap: 3 integration tests ran against moto * (in-process) (2 passed, 0 failed, "
            "1 skipped)",
            "*not on moto: moto differs here",
        ]
    )


def test_the_backend_can_come_from_the_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BACKEND_ENV, "moto")
    pytester.makepyfile(MOTO_TESTS)
    pytester.runpytest("-p", "no:hypothesispytest").assert_outcomes(passed=2, skipped=1)


def test_without_moto_the_moto_backend_says_what_to_install(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "moto", None)  # import moto fails, in the inner session too
    pytester.makepyfile("def test_t(ddb_client):\n    pass\n")
    result = pytester.runpytest("-p", "no:hypothesispytest", "--ddb-backend=moto", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*needs moto, which is not installed: pip install 'ddbwrap?demo?'*"]
    )
    assert "DDBWRAP_TEST_ENDPOINT" not in result.stdout.str()


def test_the_endpoint_backend_needs_an_endpoint(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_t(ddb_client):\n    pass\n")
    result = pytester.runpytest("-p", "no:hypothesispytest", "--ddb-backend=endpoint", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*--ddb-backend=endpoint needs an endpoint*"])


def test_the_endpoint_backend_fails_fast_on_a_web_page(
    pytester: pytest.Pytester, html_endpoint: str
) -> None:
    pytester.makepyfile("def test_t(ddb_client):\n    pass\n")
    result = pytester.runpytest(
        "-p", "no:hypothesispytest", "--ddb-backend=endpoint", f"--ddb-endpoint={html_endpoint}",
        "-rs",
    )  # fmt: skip
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*the endpoint is not available*'Welcome to nginx!'*"])


def test_an_unknown_backend_in_the_environment_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BACKEND_ENV, "dynalite")
    pytester.makepyfile("def test_t():\n    pass\n")
    result = pytester.runpytest("-p", "no:hypothesispytest")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*DDBWRAP_TEST_BACKEND='dynalite': expected one of local, moto, endpoint*"]
    )


def test_the_endpoint_option_is_used_and_named_in_the_summary(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No endpoint runs: the probe is replaced (for the inner session, which runs in-process).
    monkeypatch.setattr(local, "_wait_until_ready", lambda *args, **kwargs: None)
    pytester.makepyfile("def test_t(ddb_endpoint):\n    assert ddb_endpoint == 'http://x.test:1'\n")
    result = pytester.runpytest(
        "-p", "no:hypothesispytest", "--ddb-backend=endpoint", "--ddb-endpoint=http://x.test:1"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["ddbwrap: 1 integration test ran against the endpoint http://x.test:1 (1 passed*"]
    )
