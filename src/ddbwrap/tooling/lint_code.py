"""Lint of source code: find Scan calls (``.scan(``, ``scan_all``, ``scan_pages``...) by AST.

A Scan reads the whole table: in a request path its latency and cost grow with the table.
Only calls are reported (not definitions or strings); silence one with ``# noqa: DDB106``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ddbwrap.errors import ValidationError

from .findings import Finding, Severity

SCAN_NAMES = frozenset({"scan", "scan_all", "scan_pages", "parallel_scan", "scan_iter"})
SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", "build", "dist"})
_NOQA = re.compile(r"#\s*noqa\b(?::\s*(?P<codes>[A-Z0-9, ]+))?", re.IGNORECASE)


def python_files(paths: Sequence[str | Path]) -> Iterator[Path]:
    """Every ``.py`` file under ``paths`` (files or directories), skipping virtualenvs etc."""
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            yield path
        elif path.is_dir():
            for file in sorted(path.rglob("*.py")):
                parts = file.relative_to(path).parts[:-1]
                if not any(p in SKIPPED_DIRS or p.startswith(".") for p in parts):
                    yield file
        else:
            raise ValidationError(f"lint path {str(path)!r} does not exist")


def scan_calls(source: str, filename: str = "<source>") -> list[tuple[int, str]]:
    """``(line, call text)`` of every scan-like call in ``source`` that is not silenced."""
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as exc:
        raise ValidationError(f"{filename}:{exc.lineno}: cannot parse: {exc.msg}") from exc
    lines = source.splitlines()
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node.func)
        if name not in SCAN_NAMES:
            continue
        line = lines[node.lineno - 1] if node.lineno <= len(lines) else ""
        if _silenced(line):
            continue
        found.append((node.lineno, ast.get_source_segment(source, node.func) or name))
    return sorted(found)


def lint_paths(paths: Sequence[str | Path], *, ignore: Iterable[str] = ()) -> list[Finding]:
    """DDB106 findings for the scan calls in the Python files under ``paths``."""
    if "DDB106" in set(ignore):
        return []
    findings = []
    for file in python_files(paths):
        source = file.read_text(encoding="utf-8", errors="replace")
        for line, call in scan_calls(source, str(file)):
            findings.append(
                Finding(
                    Severity.MEDIUM,
                    "DDB106",
                    f"`{call}(...)` scans the whole table: its latency and cost grow with the "
                    "table, and it competes with every other reader for capacity",
                    "query a key or an index designed for this access pattern; if the scan is "
                    "an offline job, mark the line with `# noqa: DDB106`",
                    location=f"{file}:{line}",
                )
            )
    return findings


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name) and func.id in ("scan_all", "parallel_scan"):
        return func.id
    return None


def _silenced(line: str) -> bool:
    match = _NOQA.search(line)
    if match is None:
        return False
    codes = match.group("codes")
    return codes is None or "DDB106" in codes.upper()
