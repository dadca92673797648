"""Every ddbwrap error class is explained in docs/errors.md, and every ``docs_url`` lands on a
section that exists.

The classes are found the way a user would meet them: every module of the ``ddbwrap`` package
is imported and every ``DdbwrapError`` subclass defined at module level in it is collected, so
a class added anywhere (the tooling, the V1 layer...) without a section fails here.

The links point at the docs as GitHub renders them at the release's tag (``DOCS_ROOT``), so an
anchor must exist under GitHub's heading-id rules; it must also exist in the mkdocs build
(Python-Markdown's ``toc`` extension), so the same fragment works on a built site.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import sys
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import markdown
import pytest

import ddbwrap
from ddbwrap.errors import DOCS_BASE, DOCS_ROOT, DdbwrapError

DOCS = Path(__file__).resolve().parents[2] / "docs"
ERRORS_PAGE = DOCS / "errors.md"
REPOSITORY = "https://github.com/ddbwrap/ddbwrap"


def error_classes() -> list[type[DdbwrapError]]:
    """DdbwrapError and its subclasses defined at module level anywhere in ``ddbwrap``."""
    for info in pkgutil.walk_packages(ddbwrap.__path__, "ddbwrap."):
        if info.name.rsplit(".", 1)[-1] != "__main__":  # ddbwrap.cli.__main__ runs the CLI
            importlib.import_module(info.name)
    found: dict[type[DdbwrapError], None] = {}
    pending: list[type[DdbwrapError]] = [DdbwrapError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        module = sys.modules.get(cls.__module__)
        # Module level only: the V1 layer also builds classes on the fly (a V1 class combined
        # with the ddbwrap class it converts); those are not classes anyone imports.
        if cls.__module__.startswith("ddbwrap") and getattr(module, cls.__qualname__, None) is cls:
            found[cls] = None
    return sorted(found, key=lambda c: c.__name__)


CLASSES = error_classes()


@cache
def anchors(page: Path) -> frozenset[str]:
    """The ids of the headings of a docs page, as the site renders them."""
    md = markdown.Markdown(extensions=["toc", "tables", "admonition", "pymdownx.superfences"])
    md.convert(page.read_text(encoding="utf-8"))
    ids: set[str] = set()
    pending = list(md.toc_tokens)  # type: ignore[attr-defined]
    while pending:
        token = pending.pop()
        ids.add(token["id"])
        pending.extend(token["children"])
    return frozenset(ids)


def _heading_text(markdown_text: str) -> str:
    """A heading's text as GitHub renders it: no code backticks, emphasis or link targets."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown_text)
    return re.sub(r"[`*]", "", text).strip()


@cache
def github_anchors(page: Path) -> frozenset[str]:
    """The ids GitHub gives the headings of a page: lower case, punctuation but ``-`` and ``_``
    dropped, each space a ``-`` (not collapsed), ``-1``, ``-2``... for repeats."""
    ids: set[str] = set()
    seen: dict[str, int] = {}
    in_fence = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
            continue
        match = None if in_fence else re.match(r"^#{1,6} (.+?)#*$", line)
        if match is None:
            continue
        slug = re.sub(r"[^\w\- ]", "", _heading_text(match.group(1)).lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        ids.add(slug if count == 0 else f"{slug}-{count}")
    return frozenset(ids)


def docs_url_of(cls: type[DdbwrapError]) -> str:
    """``docs_url`` of an instance (a property; it does not depend on the constructor's
    arguments, which differ from class to class)."""
    url: str = cls.__new__(cls).docs_url
    return url


def page_and_fragment(url: str) -> tuple[Path, str]:
    """The docs page a docs URL points at (``.../docs/errors.md#x`` -> docs/errors.md) and its
    fragment."""
    assert url.startswith(DOCS_ROOT), f"not a ddbwrap docs URL: {url}"
    parts = urlsplit(url)
    return DOCS / parts.path.removeprefix(urlsplit(DOCS_ROOT).path), parts.fragment


def test_docs_links_point_at_the_repository_at_this_version() -> None:
    assert f"{REPOSITORY}/blob/v{ddbwrap.__version__}/docs/" == DOCS_ROOT
    assert DOCS_BASE == DOCS_ROOT + "errors.md"


def test_the_repository_is_the_one_the_project_metadata_names() -> None:
    pyproject = (DOCS.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert f'Repository = "{REPOSITORY}"' in pyproject
    assert f'version = "{ddbwrap.__version__}"' in pyproject


def test_github_anchor_rules() -> None:
    page = DOCS / "tooling.md"
    assert "ddbwrap-schema-hash--lock--check--log--restore" in github_anchors(page)
    assert "exit-codes" in github_anchors(page)


def test_the_walk_finds_the_errors_of_every_layer() -> None:
    names = {cls.__name__ for cls in CLASSES}
    assert {
        "DdbwrapError", "ItemNotFoundError", "StaleUniqueValueError", "DiscoveryError",
        "MissingDependencyError", "ContractFormatError", "ScaffoldError",
        "DynamoDBWrapperError", "ItemNotFoundException",
    } <= names  # fmt: skip


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_every_error_class_has_a_section_in_errors_md(cls: type[DdbwrapError]) -> None:
    assert cls.__name__.lower() in anchors(ERRORS_PAGE), (
        f"docs/errors.md has no section for {cls.__module__}.{cls.__name__}: add a "
        f"'## {cls.__name__}' section saying why it occurs and what to do"
    )


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_every_docs_url_lands_on_an_existing_section(cls: type[DdbwrapError]) -> None:
    page, fragment = page_and_fragment(docs_url_of(cls))
    assert page.is_file(), f"{cls.__name__}.docs_url names a page that does not exist: {page}"
    assert fragment in github_anchors(page), f"{page.name} has no section #{fragment} on GitHub"
    assert fragment in anchors(page), f"{page.name} has no section #{fragment} in the site"


@pytest.mark.parametrize("cls", [c for c in CLASSES if c.__module__ == "ddbwrap.errors"],
                         ids=lambda cls: cls.__name__)  # fmt: skip
def test_the_docs_url_of_an_error_is_its_own_section(cls: type[DdbwrapError]) -> None:
    assert docs_url_of(cls) == f"{DOCS_BASE}#{cls.__name__.lower()}"


def test_every_error_section_names_a_class_ddbwrap_defines() -> None:
    headings = re.findall(
        r"^#{2,3} (\w+(?:Error|Exception))$", ERRORS_PAGE.read_text("utf-8"), re.M
    )
    assert headings, "no error sections found in docs/errors.md"
    assert sorted(set(headings) - {cls.__name__ for cls in CLASSES}) == []
