"""Finding models by import path: modules, packages (walked), ``module:Name``; clear errors."""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ddbwrap.errors import DiscoveryError
from ddbwrap.tooling.discover import discover, discover_models

MODEL = """
from pydantic import BaseModel
from ddbwrap import DomainModel

class {name}(DomainModel):
    {key}: str

    class Meta:
        table_name = "{table}"
        partition_key = "{key}"

class {name}Note(BaseModel):
    text: str
"""


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh package ``pkg_<hex>`` with a module, a subpackage and a re-export."""
    name = f"pkg_{uuid.uuid4().hex[:8]}"
    root = tmp_path / name
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("from .goals import Goal  # re-export\n")
    (root / "goals.py").write_text(MODEL.format(name="Goal", key="goal_id", table="goals"))
    (root / "sub" / "__init__.py").write_text("")
    (root / "sub" / "tasks.py").write_text(
        MODEL.format(name="Task", key="task_id", table="tasks")
        + "\nfrom ddbwrap import DomainModel as Imported  # not defined here\n"
    )
    (root / "plain.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def names(classes: object) -> list[str]:
    return [c.__name__ for c in classes]  # type: ignore[attr-defined]


def test_a_package_is_walked_with_its_subpackages(package: str) -> None:
    assert names(discover_models(package)) == ["Goal", "Task"]


def test_a_module_gives_only_its_own_models(package: str) -> None:
    assert names(discover_models(f"{package}.sub.tasks")) == ["Task"]


def test_re_exports_are_not_counted_twice(package: str) -> None:
    assert names(discover_models([package, f"{package}.goals"])) == ["Goal", "Task"]


def test_module_colon_name_picks_classes(package: str) -> None:
    assert names(discover_models(f"{package}.goals:Goal")) == ["Goal"]


def test_other_pydantic_models_are_companions(package: str) -> None:
    found = discover(package)
    assert names(found.companions) == ["GoalNote", "TaskNote"]


def test_a_missing_module_is_a_clear_error() -> None:
    with pytest.raises(DiscoveryError, match="no module named 'no_such_pkg_x'"):
        discover_models("no_such_pkg_x.models")


def test_a_missing_class_is_a_clear_error(package: str) -> None:
    with pytest.raises(DiscoveryError, match="has no attribute 'Nope'"):
        discover_models(f"{package}.goals:Nope")


def test_a_module_without_models_is_an_error(package: str) -> None:
    with pytest.raises(DiscoveryError, match="no DomainModel with a Meta"):
        discover_models(f"{package}.plain")


def test_a_module_that_fails_to_import_names_the_cause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"broken_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent("raise RuntimeError('boom')\n"))
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(DiscoveryError, match="RuntimeError: boom"):
        discover_models(name)


def test_a_bad_model_declaration_surfaces_as_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ddbwrap.errors import ModelDefinitionError

    name = f"badmodel_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(
        MODEL.format(name="Bad", key="bad_id", table="bad").replace(
            'partition_key = "bad_id"', 'partition_key = "nope"'
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModelDefinitionError, match="does not exist"):
        discover_models(name)
