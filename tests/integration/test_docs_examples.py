"""Every Python code block in docs/ runs, top to bottom per page, against DynamoDB Local.

A page's blocks share one namespace, seeded with ``gateway``: a TableGateway on DynamoDB Local
with a table prefix unique to the page, so pages cannot see each other's tables. Only blocks
tagged ```python run: code that is shown and not run (other libraries' code in
docs/coming-from.md) is tagged ```py.
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
# Pages that need what moto does not reproduce (docs/testing.md): skipped on --ddb-backend=moto.
NOT_ON_MOTO = {
    "architecture.md": "idempotent retries need ClientRequestToken, which moto ignores",
    "transactions.md": "idempotent retries need ClientRequestToken, which moto ignores",
    "async.md": "aiobotocore does not run under moto's in-process mock",
}


def test_docs_have_python_examples() -> None:
    assert len(PAGES) >= 2, f"expected runnable examples in docs/, found pages: {PAGES}"


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(
            page,
            id=str(page.relative_to(DOCS)),
            marks=[pytest.mark.not_on_moto(NOT_ON_MOTO[page.name])]
            if page.name in NOT_ON_MOTO
            else [],
        )
        for page in PAGES
    ],
)
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


TYPED_PAGES = ("transactions.md",)
"""Pages whose code, as written, must also pass ``mypy --strict`` (the examples users copy)."""


@pytest.mark.parametrize("name", TYPED_PAGES)
def test_docs_page_examples_pass_mypy_strict(name: str, tmp_path: Path) -> None:
    import subprocess

    page = DOCS / name
    # the hidden setup of the page, as a declaration: `gateway` is a TableGateway
    source = "from ddbwrap import TableGateway\n\ngateway: TableGateway\n\n" + "\n".join(
        python_blocks(page)
    )
    checked = tmp_path / f"docs_{page.stem}.py"
    checked.write_text(source, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(checked)],
        cwd=DOCS.parent,  # the project's mypy configuration (pydantic plugin)
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
