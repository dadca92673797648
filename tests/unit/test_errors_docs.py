"""Every ddbwrap error class is explained in docs/errors.md, and every ``docs_url`` lands on a
section that exists.

The classes are found the way a user would meet them: every module of the ``ddbwrap`` package
is imported and every ``DdbwrapError`` subclass defined at module level in it is collected, so
a class added anywhere (the tooling, the V1 layer...) without a section fails here. Anchors
are computed by Python-Markdown's ``toc`` extension, as the docs site builds them.
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
from ddbwrap.errors import DOCS_BASE, DdbwrapError

DOCS = Path(__file__).resolve().parents[2] / "docs"
ERRORS_PAGE = DOCS / "errors.md"
SITE_PATH = urlsplit(DOCS_BASE).path.rsplit("/", 2)[0] + "/"  # "/en/latest/"


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


def docs_url_of(cls: type[DdbwrapError]) -> str:
    """``docs_url`` of an instance (a property; it does not depend on the constructor's
    arguments, which differ from class to class)."""
    url: str = cls.__new__(cls).docs_url
    return url


def page_and_fragment(url: str) -> tuple[Path, str]:
    """The docs page a docs URL points at (``.../errors/#x`` -> docs/errors.md) and its
    fragment."""
    parts = urlsplit(url)
    assert url.startswith(DOCS_BASE.rsplit("errors/", 1)[0]), f"not a ddbwrap docs URL: {url}"
    page = parts.path.removeprefix(SITE_PATH).strip("/") or "index"
    return DOCS / f"{page}.md", parts.fragment


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
    assert fragment in anchors(page), f"{page.name} has no section #{fragment}"


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
