"""Every Python code block in docs/ runs, top to bottom per page, against DynamoDB Local.

A page's blocks share one namespace, seeded with ``gateway``: a TableGateway on DynamoDB Local
with a table prefix unique to the page, so pages cannot see each other's tables.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks(page: Path) -> list[str]:
    return BLOCK.findall(page.read_text(encoding="utf-8"))


PAGES = sorted(p for p in DOCS.rglob("*.md") if python_blocks(p))


def test_docs_have_python_examples() -> None:
    assert len(PAGES) >= 2, f"expected runnable examples in docs/, found pages: {PAGES}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_docs_page_examples_run(
    page: Path, ddb_gateway: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real module: pydantic looks the defining module up in sys.modules (generic models).
    module = types.ModuleType(f"docs_{page.stem}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace: dict[str, Any] = module.__dict__
    namespace["gateway"] = ddb_gateway
    for number, block in enumerate(python_blocks(page), start=1):
        # dont_inherit: this file's `from __future__ import annotations` must not leak in.
        code = compile(
            block, f"{page.relative_to(DOCS)} [block {number}]", "exec", dont_inherit=True
        )
        exec(code, namespace)
