"""The benchmark's own virtual environment (standard library only: it runs before anything).

dynamoxy needs Python >= 3.12 and ddbwrap supports 3.10, so the peer benchmark runs on an
interpreter of its own: ``$DDBWRAP_BENCH_VENV``, or ``~/.cache/ddbwrap/bench-venv-py3.X`` for
the newest Python 3.12+ found (``python3.13``, ``python3.12``, pyenv's versions). It holds
ddbwrap installed editable from this repository (with its ``async`` extra, aiobotocore, and its
``fast`` extra, orjson, when it has one) and
``bench/requirements.txt``; it is (re)built when either file changes. ``bench/peers.py``
re-executes itself there unless given ``--no-venv``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO / "bench" / "requirements.txt"
MARKER = "DDBWRAP_BENCH_IN_VENV"


def _version(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()
        return int(out[0]), int(out[1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def find_python() -> tuple[str, tuple[int, int]]:
    """The newest Python >= 3.12 on this machine."""
    candidates = [shutil.which(f"python3.{minor}") for minor in (14, 13, 12)]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if pyenv.is_dir():
        candidates += [str(p / "bin" / "python") for p in sorted(pyenv.glob("3.1[2-9]*"))]
    if sys.version_info >= (3, 12):
        candidates.append(sys.executable)
    found = []
    for python in filter(None, candidates):
        version = _version(python)
        if version is not None and version >= (3, 12):
            found.append((version, python))
    if not found:
        raise SystemExit(
            "the peer benchmark needs Python >= 3.12 (dynamoxy): install one (e.g. pyenv install "
            "3.13) or run with --no-venv in an environment you prepared yourself"
        )
    version, python = max(found)
    return python, version


def extras() -> list[str]:
    """ddbwrap's extras the benchmark installs: ``async`` (aiobotocore), and ``fast`` (orjson,
    what the direct transport parses JSON with when present) when pyproject.toml has it."""
    text = (REPO / "pyproject.toml").read_text()
    return ["async", *(["fast"] if re.search(r"^fast\s*=", text, re.MULTILINE) else [])]


def _stamp() -> str:
    digest = hashlib.sha256()
    for path in (REQUIREMENTS, REPO / "pyproject.toml"):
        digest.update(path.read_bytes())
    digest.update(",".join(extras()).encode())
    return digest.hexdigest()


def ensure() -> Path:
    """The venv's python, created or updated as needed."""
    python, version = find_python()
    home = Path(
        os.environ.get("DDBWRAP_BENCH_VENV")
        or Path.home() / ".cache" / "ddbwrap" / f"bench-venv-py{version[0]}.{version[1]}"
    )
    target = home / "bin" / "python"
    stamp = home / ".ddbwrap-bench-stamp"
    wanted = _stamp()
    if target.exists() and stamp.exists() and stamp.read_text() == wanted:
        return target
    print(f"preparing the benchmark venv {home} (Python {version[0]}.{version[1]})", flush=True)
    if not target.exists():
        subprocess.run([python, "-m", "venv", str(home)], check=True)
    subprocess.run(
        [str(target), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=False
    )
    subprocess.run(
        [
            str(target),
            "-m",
            "pip",
            "install",
            "--quiet",
            "-e",
            f"{REPO}[{','.join(extras())}]",
            "-r",
            str(REQUIREMENTS),
        ],
        check=True,
    )
    stamp.write_text(wanted)
    return target


def reexec(argv: list[str]) -> None:
    """Run this script again in the benchmark venv (never returns), unless already there."""
    if os.environ.get(MARKER):
        return
    python = ensure()
    env = {**os.environ, MARKER: "1"}
    script = str(Path(argv[0]).resolve())
    os.execve(str(python), [str(python), script, *argv[1:]], env)
