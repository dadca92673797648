"""docs/coming-from.md shows other libraries' code without running it: the docs test runs the
```python blocks only (tests/integration/test_docs_examples.py), so the PynamoDB, dyntastic and
boto3 versions are ```py blocks (highlighted the same), and every ```python block is ddbwrap's."""

from __future__ import annotations

import re
from pathlib import Path

from tests.integration.test_docs_examples import python_blocks

PAGE = Path(__file__).resolve().parents[2] / "docs" / "coming-from.md"
SHOWN = re.compile(r"^```py\n(.*?)^```", re.MULTILINE | re.DOTALL)


def test_the_other_libraries_are_shown_not_run() -> None:
    text = PAGE.read_text(encoding="utf-8")
    shown = SHOWN.findall(text)
    for library in ("pynamodb", "dyntastic", "boto3"):
        assert any(f"from {library}" in b or f"import {library}" in b for b in shown), library
        assert not any(library in b for b in python_blocks(PAGE)), f"{library} code would run"


def test_the_ddbwrap_version_runs() -> None:
    blocks = python_blocks(PAGE)
    assert blocks and all("ddbwrap" in b for b in blocks)


def test_the_page_is_in_the_nav() -> None:
    assert "coming-from.md" in (PAGE.parents[1] / "mkdocs.yml").read_text(encoding="utf-8")
