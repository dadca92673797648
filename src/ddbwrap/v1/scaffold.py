"""``ddbwrap migrate scaffold MODULE:Repository``: V2 source code to start a migration from.

From a V1 repository class, writes one Python module with:

- the V2 ``DomainModel`` (the V1 model's fields, types, defaults and aliases, and a ``Meta``
  with the repository's table, keys and indexes), plus V2 versions of nested V1 models;
- a ``View`` with the key fields and a few others (a read model: trim it to what a handler
  needs);
- a ``CreateDTO`` with every field and an ``UpdateDTO`` with every non-key field, optional;
- a ``ReadApi`` subclass with one query method per index (and per partition when the table
  has a sort key) and a ``WriteApi`` subclass.

The module stores items exactly as the V1 repository does (it is generated from the same
derived schema), type-checks with ``mypy --strict``, and is meant to be edited: validators and
constraints of the V1 model are not copied (the header says so).
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib
import keyword
import math
import os
import re
import sys
import types
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..errors import DOCS_ROOT, DdbwrapError
from ..meta import ALL, Projection
from ..model import DomainModel, schema_of
from ..schema import IndexSchema, KeyAttribute, TableSchema
from .bridge import to_domain_model

__all__ = ["ScaffoldError", "load_repository", "scaffold_source"]

MIGRATION_DOCS = DOCS_ROOT + "migration.md"

_UNION_ORIGINS: tuple[Any, ...] = (Union, types.UnionType)
_SIMPLE: dict[type, tuple[str, str | None]] = {
    str: ("str", None),
    int: ("int", None),
    float: ("float", None),
    bool: ("bool", None),
    bytes: ("bytes", None),
    Decimal: ("Decimal", "from decimal import Decimal"),
    dt.datetime: ("datetime", "from datetime import datetime"),
    dt.date: ("date", "from datetime import date"),
    dt.time: ("time", "from datetime import time"),
    dt.timedelta: ("timedelta", "from datetime import timedelta"),
    uuid.UUID: ("UUID", "from uuid import UUID"),
}
_CONTAINERS = {list: "list", set: "set", frozenset: "frozenset", dict: "dict", tuple: "tuple"}
_FACTORIES: dict[Any, str] = {list: "list", dict: "dict", set: "set", tuple: "tuple"}


class ScaffoldError(DdbwrapError):
    """The repository cannot be loaded or its model cannot be written as source."""

    code = "ddbwrap.v1.scaffold"

    @property
    def docs_url(self) -> str:
        """The migration guide's section on scaffolding."""
        return MIGRATION_DOCS + "#step-2-generate-the-v2-model-ddbwrap-migrate-scaffold"


def load_repository(spec: str) -> type[Any]:
    """The repository class named ``module:ClassName`` (the current directory is importable,
    as with ``python -m``)."""
    module_name, _, name = spec.partition(":")
    if not module_name or not name:
        raise ScaffoldError(
            f"{spec!r} is not MODULE:Repository, e.g. app.repositories:PipelineRepository"
        )
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ScaffoldError(
            f"cannot import {module_name!r}: {exc}; run from the project root or add it to "
            "PYTHONPATH"
        ) from exc
    value = getattr(module, name, None)
    if not isinstance(value, type):
        raise ScaffoldError(f"module {module_name!r} has no class {name!r}")
    return value


def scaffold_source(repository: type[Any], *, origin: str | None = None) -> str:
    """The V2 module for a V1 repository class, as source text."""
    domain = to_domain_model(repository)
    origin = origin or f"{repository.__module__}:{repository.__qualname__}"
    return _Writer(domain, origin).module()


class _Writer:
    def __init__(self, domain: type[DomainModel], origin: str) -> None:
        self.domain = domain
        self.schema: TableSchema = schema_of(domain)
        self.origin = origin
        self.name = domain.__name__
        self.imports: set[str] = set()
        self.ddbwrap: set[str] = {"DomainModel"}
        self.nested: dict[type[BaseModel], str] = {}
        self.nested_code: list[str] = []
        self.todos: list[str] = []

    # -- the module --------------------------------------------------------------------------

    def module(self) -> str:
        model = self.model_class()
        view = self.view_class()
        create = self.create_dto()
        update = self.update_dto()
        reads = self.read_api()
        writes = self.write_api()
        names = [
            *self.nested.values(),
            self.name,
            f"{self.name}Summary",
            f"New{self.name}",
            f"{self.name}Update",
            f"{self.name}ReadApi",
            f"{self.name}WriteApi",
        ]
        header = [
            f'"""V2 model, view, DTOs and APIs of {self.name}, scaffolded from the V1 repository',
            f"{self.origin} by `ddbwrap migrate scaffold`.",
            "",
            "Items are stored exactly as the V1 repository stores them. Review before use: the",
            "V1 model's validators and constraints are not copied, the view holds the key fields",
            "and a few others (keep what your handlers need), and the query methods are named",
            'after the indexes."""',
        ]
        body = "\n\n\n".join([*self.nested_code, model, view, create, update, reads, writes])
        todos = "".join(f"# TODO: {t}\n" for t in self.todos)
        return (
            "\n".join(header)
            + "\n\n"
            + self.import_block()
            + "\n"
            + (todos + "\n" if todos else "")
            + _all(names)
            + "\n\n"
            + body
            + "\n"
        )

    def import_block(self) -> str:
        plain = sorted(i for i in self.imports if i.startswith("import "))
        froms: dict[str, set[str]] = {}
        for line in self.imports:
            if line.startswith("from "):
                module, _, names = line[5:].partition(" import ")
                froms.setdefault(module, set()).update(n.strip() for n in names.split(","))
        froms.setdefault("ddbwrap", set()).update(self.ddbwrap)
        known = ("pydantic", "pydantic_core", "ddbwrap", "typing_extensions")
        stdlib = sorted(m for m in froms if m.split(".")[0] in sys.stdlib_module_names)
        third = sorted(m for m in froms if m.split(".")[0] in known)
        local = sorted(m for m in froms if m not in stdlib and m not in third)
        blocks = [
            "from __future__ import annotations",
            "\n".join(plain + [_from(m, froms[m]) for m in stdlib]),
            "\n".join(_from(m, froms[m]) for m in third),
            "\n".join(_from(m, froms[m]) for m in local),
        ]
        return "\n\n".join(b for b in blocks if b) + "\n"

    # -- classes -----------------------------------------------------------------------------

    def model_class(self) -> str:
        lines = [f"class {self.name}(DomainModel):"]
        doc = f"The {self.name} table item (from V1 {self.origin})."
        lines.append(f'    """{doc}"""')
        lines.append("")
        for name, info in self.domain.model_fields.items():
            lines.append("    " + self.field_line(name, info, alias=True))
        lines.append("")
        lines.extend("    " + line for line in self.meta_lines())
        return "\n".join(lines)

    def meta_lines(self) -> list[str]:
        schema = self.schema
        lines = ["class Meta:", f"    table_name = {_q(schema.table_name)}"]
        lines.append(f"    partition_key = {self.key_spec(schema.partition_key)}")
        if schema.sort_key is not None:
            lines.append(f"    sort_key = {self.key_spec(schema.sort_key)}")
        if schema.gsis:
            self.ddbwrap.add("GSI")
            lines.append("    gsis = [")
            lines.extend(f"        {self.index_spec(i)}," for i in schema.gsis)
            lines.append("    ]")
        if schema.lsis:
            self.ddbwrap.add("LSI")
            lines.append("    lsis = [")
            lines.extend(f"        {self.index_spec(i)}," for i in schema.lsis)
            lines.append("    ]")
        options = {
            "version_attribute": schema.version_field,
            "ttl_attribute": schema.ttl_field,
            "created_at_attribute": schema.created_at_field,
            "updated_at_attribute": schema.updated_at_field,
        }
        lines.extend(f"    {k} = {_q(v)}" for k, v in options.items() if v)
        if schema.unique:
            lines.append(f"    unique = ({''.join(_q(u) + ', ' for u in schema.unique)})")
        if schema.naive_datetime_zone is not None:
            lines.append(f"    naive_datetime_zone = {_q(str(schema.naive_datetime_zone))}")
        if schema.store_none:
            lines.append("    store_none = True  # None stored as NULL, as V1 did")
        if schema.billing_mode != "PAY_PER_REQUEST":
            lines.append(f"    billing_mode = {_q(schema.billing_mode)}")
        return lines

    def key_spec(self, key: KeyAttribute) -> str:
        if key.template is not None:
            self.ddbwrap.add("KeyTemplate")
            return f"KeyTemplate({_q(key.attribute)}, {_q(key.template.pattern)})"
        return _q(key.field or "")

    def index_spec(self, index: IndexSchema) -> str:
        parts = [_q(index.name)]
        if index.kind == "GSI":
            parts.append(f"partition_key={self.key_spec(index.partition_key)}")
        if index.sort_key is not None:
            parts.append(f"sort_key={self.key_spec(index.sort_key)}")
        if index.projection != ALL:
            parts.append(f"projection={self.projection(index.projection)}")
        return f"{index.kind}({', '.join(parts)})"

    def projection(self, projection: Projection) -> str:
        if projection.type == "INCLUDE":
            self.ddbwrap.add("INCLUDE")
            return f"INCLUDE({', '.join(_q(f) for f in projection.fields)})"
        self.ddbwrap.add(projection.type)
        return projection.type

    def view_class(self) -> str:
        self.imports.add("from ddbwrap.read import View")
        fields = self.view_fields()
        lines = [
            f"class {self.name}Summary(View[{self.name}]):",
            f'    """A read model of {self.name}: reads send a ProjectionExpression, so only these'
            '\n    fields cross the wire. Keep the ones your handlers need."""',
            "",
        ]
        lines.extend(
            "    " + self.field_line(n, self.domain.model_fields[n], alias=False) for n in fields
        )
        return "\n".join(lines)

    def view_fields(self) -> list[str]:
        keys = [f for k in self.schema.index_key_attributes.values() for f in k.fields]
        chosen = list(dict.fromkeys(keys))
        for name, info in self.domain.model_fields.items():
            if len(chosen) >= len(keys) + 3:
                break
            if name not in chosen and _is_scalar(info.annotation):
                chosen.append(name)
        order = list(self.domain.model_fields)
        return sorted(chosen, key=order.index)

    def create_dto(self) -> str:
        self.imports.add("from ddbwrap.write import CreateDTO")
        managed = self.managed()
        lines = [
            f"class New{self.name}(CreateDTO[{self.name}]):",
            f'    """What a caller supplies to create a {self.name}."""',
            "",
        ]
        for name, info in self.domain.model_fields.items():
            if name not in managed:
                lines.append("    " + self.field_line(name, info, alias=False))
        return "\n".join(lines)

    def update_dto(self) -> str:
        self.imports.add("from ddbwrap.write import UpdateDTO")
        excluded = self.managed() | set(self.schema.key_fields)
        for key in self.schema.index_key_attributes.values():
            if key.template is not None and set(key.template.fields) & excluded:
                excluded |= set(key.template.fields)
        lines = [
            f"class {self.name}Update(UpdateDTO[{self.name}]):",
            f'    """A partial update of a {self.name}: only the fields a caller sets are written'
            '\n    (None removes an optional attribute)."""',
            "",
        ]
        names = [n for n in self.domain.model_fields if n not in excluded]
        for name in names:
            annotation = self.annotation(self.domain.model_fields[name].annotation)
            if not _optional_text(annotation):
                annotation += " | None"
            lines.append(f"    {name}: {annotation} = None")
        if not names:
            lines.append("    pass")
        return "\n".join(lines)

    def read_api(self) -> str:
        self.imports.add("from ddbwrap.read import Page, ReadApi")
        lines = [
            f"class {self.name}ReadApi(ReadApi[{self.name}]):",
            f'    """Queries of {self.name}, one per access pattern (named after the indexes)."""',
        ]
        methods = []
        if self.schema.sort_key is not None:
            methods.append(self.query_method(None, self.schema.partition_key))
        for index in self.schema.gsis:
            methods.append(self.query_method(index, index.partition_key))
        for index in self.schema.lsis:
            methods.append(self.query_method(index, index.partition_key))
        if methods:
            self.imports.add("from ddbwrap.expressions import SortCondition")
        for method in methods:
            lines.append("")
            lines.extend("    " + line if line else "" for line in method)
        return "\n".join(lines)

    def query_method(self, index: IndexSchema | None, key: KeyAttribute) -> list[str]:
        name = "by_" + _identifier(index.name) if index else "for_" + "_and_".join(key.fields)
        params = [
            f"{f}: {self.annotation(_strip_none(self.domain.model_fields[f].annotation))}"
            for f in key.fields
        ]
        where = f"index {index.name}" if index else "the table"
        index_arg = f"index={_q(index.name)}, " if index else ""
        values = ", ".join(f"{f}={f}" for f in key.fields)
        return [
            f"def {name}(",
            f"    self, {', '.join(params)}, *, sort: SortCondition | None = None,",
            "    limit: int | None = None, cursor: str | None = None",
            f") -> Page[{self.name}]:",
            f'    """One page of the items with this {", ".join(key.fields)} ({where})."""',
            "    return self.query(",
            f"        {index_arg}sort=sort, limit=limit, cursor=cursor, {values}",
            "    )",
        ]

    def write_api(self) -> str:
        self.imports.add("from ddbwrap.write import WriteApi")
        return "\n".join(
            [
                f"class {self.name}WriteApi(WriteApi[{self.name}]):",
                f'    """Commands of {self.name}: create, put, replace, update, delete."""',
            ]
        )

    def managed(self) -> set[str]:
        schema = self.schema
        return {
            f
            for f in (schema.version_field, schema.created_at_field, schema.updated_at_field)
            if f is not None
        }

    # -- fields ------------------------------------------------------------------------------

    def field_line(self, name: str, info: FieldInfo, *, alias: bool) -> str:
        annotation = self.annotation(info.annotation)
        kwargs: list[str] = []
        default: str | None = None
        factory = info.default_factory
        if factory is not None:
            rendered = self.factory(factory)
            if rendered is None:
                self.todos.append(f"{self.name}.{name}: its default factory was not copied")
                annotation, default = _nullable(annotation), "None"
            else:
                kwargs.append(f"default_factory={rendered}")
        elif not info.is_required():
            default = self.value(info.default)
            if default is None:
                self.todos.append(
                    f"{self.name}.{name}: its default {info.default!r} was not copied"
                )
                annotation, default = _nullable(annotation), "None"
        if alias and info.alias and info.alias != name:
            kwargs.append(f"alias={_q(info.alias)}")
        if info.description:
            kwargs.append(f"description={_q(info.description)}")
        if kwargs:
            self.imports.add("from pydantic import Field")
            if default is not None:
                kwargs.insert(0, f"default={default}")
            return f"{name}: {annotation} = Field({', '.join(kwargs)})"
        return f"{name}: {annotation}" + (f" = {default}" if default is not None else "")

    def value(self, value: object) -> str | None:
        """Source text of a default value, or None when it cannot be written."""
        if isinstance(value, enum.Enum):
            return f"{self.annotation(type(value))}.{value.name}"
        if isinstance(value, str):
            return _q(value)
        if value is None or isinstance(value, (bool, int, bytes)):
            return repr(value)
        if isinstance(value, float):
            return repr(value) if math.isfinite(value) else None
        if isinstance(value, Decimal):
            self.imports.add("from decimal import Decimal")
            return f"Decimal({_q(str(value))})"
        if isinstance(value, (list, tuple, set, frozenset)):
            items = [self.value(v) for v in value]
            if any(i is None for i in items):
                return None
            if isinstance(value, list):
                return "[" + ", ".join(i for i in items if i) + "]"
            if isinstance(value, tuple):
                trailing = "," if len(items) == 1 else ""
                return "(" + ", ".join(i for i in items if i) + trailing + ")"
            inner = ", ".join(sorted(i for i in items if i))
            text = "{" + inner + "}" if inner else "set()"
            return text if isinstance(value, set) else f"frozenset({text})"
        if isinstance(value, dict):
            pairs = [(self.value(k), self.value(v)) for k, v in value.items()]
            if any(k is None or v is None for k, v in pairs):
                return None
            return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
        return None

    def factory(self, factory: Callable[..., Any]) -> str | None:
        if factory in _FACTORIES:
            return _FACTORIES[factory]
        module = getattr(factory, "__module__", None)
        qualname = getattr(factory, "__qualname__", "")
        if not module or "<" in qualname or module == "__main__":
            return None
        top = qualname.split(".")[0]
        self.imports.add(f"from {module} import {top}")
        return qualname

    # -- annotations -------------------------------------------------------------------------

    def annotation(self, annotation: Any) -> str:
        """Source text of an annotation (imports recorded, nested models generated)."""
        if annotation is None or annotation is type(None):
            return "None"
        if annotation is Any:
            self.imports.add("from typing import Any")
            return "Any"
        origin = get_origin(annotation)
        args = get_args(annotation)
        if origin in _UNION_ORIGINS:
            parts = [self.annotation(a) for a in args if a is not type(None)]
            if type(None) in args:
                parts.append("None")
            return " | ".join(parts)
        if origin is Literal:
            self.imports.add("from typing import Literal")
            return f"Literal[{', '.join(self.value(a) or repr(a) for a in args)}]"
        if origin in _CONTAINERS:
            name = _CONTAINERS[origin]
            if not args:
                return name
            if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
                return f"tuple[{self.annotation(args[0])}, ...]"
            return f"{name}[{', '.join(self.annotation(a) for a in args)}]"
        if origin is not None:
            self.imports.add("from typing import Any")
            self.todos.append(f"the annotation {annotation!r} was written as Any")
            return "Any"
        if annotation in _SIMPLE:
            text, line = _SIMPLE[annotation]
            if line:
                self.imports.add(line)
            return text
        if isinstance(annotation, type) and annotation in _CONTAINERS:
            return _CONTAINERS[annotation]
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return self.nested_model(annotation)
        if isinstance(annotation, type) and annotation.__module__ not in ("__main__", "builtins"):
            top = annotation.__qualname__.split(".")[0]
            self.imports.add(f"from {annotation.__module__} import {top}")
            return annotation.__qualname__
        self.imports.add("from typing import Any")
        self.todos.append(f"the annotation {annotation!r} was written as Any")
        return "Any"

    def nested_model(self, model: type[BaseModel]) -> str:
        known = self.nested.get(model)
        if known is not None:
            return known
        name = model.__name__
        taken = set(self.nested.values()) | {self.name}
        while name in taken:
            name += "_"
        self.nested[model] = name
        self.imports.add("from pydantic import BaseModel")
        lines = [f"class {name}(BaseModel):"]
        lines.append(f'    """{(model.__doc__ or name).strip().splitlines()[0]}"""')
        lines.append("")
        fields = [self.field_line(n, i, alias=True) for n, i in model.model_fields.items()]
        if any(i.alias and i.alias != n for n, i in model.model_fields.items()):
            self.imports.add("from pydantic import ConfigDict")
            lines.append("    model_config = ConfigDict(populate_by_name=True)")
            lines.append("")
        lines.extend("    " + f for f in fields or ["pass"])
        self.nested_code.append("\n".join(lines))
        return name


def _q(text: str) -> str:
    """A string literal, double-quoted when that needs no escaping."""
    literal = repr(text)
    if literal.startswith("'") and '"' not in text:
        return '"' + literal[1:-1] + '"'
    return literal


def _all(names: list[str]) -> str:
    quoted = [_q(n) for n in sorted(names)]
    line = f"__all__ = [{', '.join(quoted)}]\n"
    if len(line) <= 100:
        return line
    return "__all__ = [\n" + "".join(f"    {q},\n" for q in quoted) + "]\n"


def _from(module: str, names: set[str]) -> str:
    """One ``from`` import, names in isort's order (CONSTANTS, Classes, functions)."""

    def order(name: str) -> tuple[int, str]:
        kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
        return kind, name.lower()

    line = f"from {module} import {', '.join(sorted(names, key=order))}"
    if len(line) <= 100:
        return line
    inner = "".join(f"    {n},\n" for n in sorted(names, key=order))
    return f"from {module} import (\n{inner})"


def _identifier(text: str) -> str:
    name = re.sub(r"\W+", "_", text).strip("_").lower() or "index"
    if name[0].isdigit() or keyword.iskeyword(name):
        name = "_" + name
    return name


def _is_scalar(annotation: Any) -> bool:
    annotation = _strip_none(annotation)
    return isinstance(annotation, type) and (
        annotation in _SIMPLE or issubclass(annotation, enum.Enum)
    )


def _strip_none(annotation: Any) -> Any:
    if get_origin(annotation) in _UNION_ORIGINS:
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _optional_text(annotation: str) -> bool:
    return annotation in ("None", "Any") or annotation.endswith("| None")


def _nullable(annotation: str) -> str:
    return annotation if _optional_text(annotation) else f"{annotation} | None"
