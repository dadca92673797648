"""docs/reference.md names every public name: each ``__all__`` entry of the public modules (in
that module's ``## `module` `` section), the operators of ``Attr``, ``Size`` and ``Update``, the
pytest plugin's fixtures with their types, and every ``ddbwrap`` command.

A name counts as documented in a section when a code span there starts with it (``ReadApi[M]``,
``ddbwrap.ReadApi``, ``transact_get(...)``); a method when a code span holds ``.name``. A
failure lists every missing name by module, so a name added anywhere is one table row away.
"""

from __future__ import annotations

import importlib
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ddbwrap.cli.docs import commands

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference.md"
MODULES = ["ddbwrap", "ddbwrap.aio", "ddbwrap.streams", "ddbwrap.testing", "ddbwrap.transport"]
CODE_SPAN = re.compile(r"`([^`\n]+)`")
SECTION = re.compile(r"^## `([\w.]+)`\n(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)


@cache
def sections() -> dict[str, str]:
    return {m.group(1): m.group(2) for m in SECTION.finditer(REFERENCE.read_text("utf-8"))}


def spans(text: str) -> list[str]:
    return CODE_SPAN.findall(text)


def names_in(text: str) -> set[str]:
    """Names a code span starts with (after an optional dotted module path)."""
    found: set[str] = set()
    for span in spans(text):
        match = re.match(r"(?:await\s+)?(?:[a-z_][\w]*\.)*(\w+)", span)
        if match:
            found.add(match.group(1))
    return found


def public_names(module_name: str) -> list[str]:
    module = importlib.import_module(module_name)
    return sorted(getattr(module, "__all__", []))


def missing_report(missing: dict[str, list[str]], where: str) -> str:
    lines = [f"not in docs/reference.md ({where}):"]
    lines += [f"  {section}: {', '.join(names)}" for section, names in missing.items() if names]
    lines.append("add a row (| `Name` | what it is |) to the section's table")
    return "\n".join(lines)


def test_every_public_module_has_a_section() -> None:
    assert sorted(set(MODULES) - set(sections())) == []


def test_every_public_name_is_in_its_module_section() -> None:
    missing: dict[str, list[str]] = {}
    for module in MODULES:
        documented = names_in(sections().get(module, ""))
        missing[module] = [n for n in public_names(module) if n not in documented]
    if any(missing.values()):
        pytest.fail(missing_report(missing, "the module's ## section"), pytrace=False)


def public_methods(cls: type) -> list[str]:
    return sorted(n for n in vars(cls) if not n.startswith("_"))


@pytest.mark.parametrize(("owner", "cls_path"), [
    ("Attr", "ddbwrap.expressions.conditions.Attr"),
    ("Size", "ddbwrap.expressions.conditions.Size"),
    ("Update", "ddbwrap.expressions.updates.Update"),
])  # fmt: skip
def test_every_operator_is_in_the_reference(owner: str, cls_path: str) -> None:
    module, _, name = cls_path.rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    text = "\n".join(spans(sections()["ddbwrap"]))
    missing = [m for m in public_methods(cls) if not re.search(rf"\.{m}\b", text)]
    if missing:
        pytest.fail(missing_report({owner: missing}, "the conditions and updates tables"), False)


def fixtures() -> dict[str, tuple[str, str]]:
    """The plugin's fixtures: name -> (scope, return type with Iterator[...] unwrapped)."""
    from ddbwrap.testing import plugin

    found: dict[str, tuple[str, str]] = {}
    for name, obj in vars(plugin).items():
        marker: Any = getattr(obj, "_fixture_function_marker", None)  # pytest >= 8.4
        function: Any = obj._get_wrapped_function() if marker is not None else obj
        marker = marker or getattr(obj, "_pytestfixturefunction", None)  # older pytest
        if marker is None:
            continue
        annotation = str(function.__annotations__.get("return", ""))
        annotation = re.sub(r"^(?:Iterator|Generator)\[(\w+).*\]$", r"\1", annotation)
        found[name] = (str(marker.scope), annotation)
    return found


def test_the_plugin_fixtures_are_found() -> None:
    assert {"ddb_backend", "ddb_endpoint", "ddb_client", "ddb_gateway", "ddb_tables"} <= set(
        fixtures()
    )


def test_every_fixture_is_in_the_reference_with_its_type() -> None:
    rows = [line for line in sections()["ddbwrap.testing"].splitlines() if line.startswith("|")]
    missing: list[str] = []
    for name, (_, annotation) in sorted(fixtures().items()):
        row = next((r for r in rows if r.startswith(f"| `{name}` |")), None)
        if row is None or f"`{annotation}`" not in row:
            missing.append(f"{name} ({annotation})")
    if missing:
        pytest.fail(missing_report({"pytest fixtures": missing}, "the fixtures table"), False)


def test_every_command_is_in_the_reference() -> None:
    documented = set(spans(REFERENCE.read_text("utf-8")))
    missing = [
        " ".join(["ddbwrap", *c]) for c in commands() if " ".join(["ddbwrap", *c]) not in documented
    ]
    if missing:
        pytest.fail(missing_report({"commands": missing}, "the command table"), pytrace=False)
