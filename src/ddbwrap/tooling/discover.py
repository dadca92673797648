"""Find models by import path: ``app.models`` (module or package) or ``app.models:Goal``.

A *table model* is a ``DomainModel`` subclass with a ``Meta`` (it has a derived schema); the
other pydantic models found next to them (views, DTOs, nested models) are *companions*, which
the JSON Schema and TypeScript exports can include.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import types
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from ddbwrap.errors import DdbwrapError, DiscoveryError
from ddbwrap.schema import TableSchema


@dataclass(frozen=True)
class Discovered:
    """What a set of import paths names, in discovery order, without duplicates."""

    models: tuple[type[BaseModel], ...]
    """DomainModels with a Meta (each has a table schema)."""
    companions: tuple[type[BaseModel], ...]
    """Other pydantic models defined in the same modules (or named explicitly)."""


def is_table_model(cls: object) -> bool:
    """True for a DomainModel class with a Meta (one whose table schema was derived)."""
    return isinstance(cls, type) and isinstance(getattr(cls, "__ddb_schema__", None), TableSchema)


def discover(specs: str | Sequence[str], *, add_cwd: bool = True) -> Discovered:
    """The models named by one or more ``module[:Name[,Name...]]`` specs.

    A module spec finds every pydantic model *defined* in that module, or in any module of
    that package and its subpackages (classes imported from elsewhere are not picked up).
    ``add_cwd`` puts the current directory first on ``sys.path``, like ``python -m`` does.
    """
    if isinstance(specs, str):
        specs = [specs]
    if add_cwd and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    found: dict[type[BaseModel], None] = {}
    for spec in specs:
        for cls in _classes_of(spec):
            found.setdefault(cls, None)
    models = tuple(c for c in found if is_table_model(c))
    companions = tuple(c for c in found if not is_table_model(c))
    return Discovered(models, companions)


def discover_models(specs: str | Sequence[str]) -> list[type[BaseModel]]:
    """The table models named by ``specs``; DiscoveryError when there are none."""
    found = discover(specs)
    if not found.models:
        named = ", ".join([specs] if isinstance(specs, str) else specs)
        raise DiscoveryError(
            f"no DomainModel with a Meta found in {named}; point at the module or package that "
            "defines your models (e.g. app.models or app.models:Goal)"
        )
    return list(found.models)


def _classes_of(spec: str) -> list[type[BaseModel]]:
    module_name, _, names = spec.strip().partition(":")
    if not module_name:
        raise DiscoveryError(f"{spec!r} is not an import path; use module[:Name], e.g. app.models")
    module = _import(module_name)
    if names:
        return [_named_class(module, name.strip()) for name in names.split(",") if name.strip()]
    classes: list[type[BaseModel]] = []
    for mod in _walk(module):
        classes.extend(_defined_in(mod))
    return classes


def _import(name: str) -> types.ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise DiscoveryError(
                f"cannot import {name!r}: no module named {exc.name!r}; run from the project "
                "root or add it to PYTHONPATH"
            ) from exc
        raise DiscoveryError(f"importing {name!r} failed: {exc}") from exc
    except DdbwrapError:
        raise
    except Exception as exc:
        raise DiscoveryError(f"importing {name!r} failed: {type(exc).__name__}: {exc}") from exc


def _walk(module: types.ModuleType) -> Iterable[types.ModuleType]:
    yield module
    path = getattr(module, "__path__", None)
    if path is None:
        return
    for info in sorted(pkgutil.walk_packages(path, module.__name__ + "."), key=lambda i: i.name):
        yield _import(info.name)


def _defined_in(module: types.ModuleType) -> list[type[BaseModel]]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == module.__name__
        and not value.__pydantic_generic_metadata__.get("origin")
        and not value.__pydantic_generic_metadata__.get("parameters")
    ]


def _named_class(module: types.ModuleType, name: str) -> type[BaseModel]:
    value = getattr(module, name, None)
    if value is None:
        raise DiscoveryError(f"module {module.__name__!r} has no attribute {name!r}")
    if not (isinstance(value, type) and issubclass(value, BaseModel)):
        raise DiscoveryError(f"{module.__name__}:{name} is not a pydantic model class")
    return value
