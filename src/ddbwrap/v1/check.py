"""``ddbwrap migrate check``: find the V1 usages left in a code base, with their V2 replacements.

The source is parsed (``ast``), never imported or run. Reported, one usage each:

- ``import``: a name imported from ``ddbwrap.v1`` (or the module itself);
- ``repository-class``: a class deriving from ``BaseRepository`` (directly or through another
  repository class found in the scanned files);
- ``repository-instance``: a repository class instantiated;
- ``repository-call``: ``get``/``list``/``list_all``/``create``/``update``/``delete`` called on
  a repository instance (a name assigned from a repository class, or annotated with one; an
  attribute such as ``self.repo`` likewise), on a repository class, or on ``self``/``super()``
  inside a repository class;
- ``exception``: a V1 exception named in code (``except``, ``raise``, ``isinstance``...);
- ``timezone``: a V1 timezone helper named in code;
- ``reference``: any other ``ddbwrap.v1`` name used in code (a shim, an annotation);
- ``pydantic-v1``: pydantic v1 idioms that V2 models replace: ``pydantic.v1`` imports,
  ``class Config``, ``@validator``/``@root_validator``, and ``.dict()``, ``.parse_obj()``,
  ``.parse_raw()``, ``.from_orm()``, ``.update_forward_refs()`` calls.
"""

from __future__ import annotations

import ast
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "EXCEPTIONS",
    "KINDS",
    "REPOSITORY_METHODS",
    "TIMEZONE_HELPERS",
    "Report",
    "Usage",
    "check_paths",
    "check_sources",
]

V1_MODULE = "ddbwrap.v1"

KINDS = (
    "import",
    "repository-class",
    "repository-instance",
    "repository-call",
    "exception",
    "timezone",
    "reference",
    "pydantic-v1",
)

EXCEPTIONS: dict[str, str] = {
    "DynamoDBWrapperError": "ddbwrap.DdbwrapError",
    "ItemNotFoundException": "ddbwrap.ItemNotFoundError (reads.require(...) raises it)",
    "ValidationException": "ddbwrap.ValidationError (a bad stored item: CorruptItemError)",
    "ConnectionException": "ddbwrap.ServiceError (throttling: ThrottledError)",
    "ConditionalCheckFailedException": "ddbwrap.ConditionFailedError",
    "ItemAlreadyExistsException": "ddbwrap.AlreadyExistsError",
}

TIMEZONE_HELPERS: dict[str, str] = {
    "now_utc": "datetime.now(timezone.utc)",
    "to_utc": "dt.astimezone(timezone.utc) (naive values: Meta.naive_datetime_zone)",
    "to_user_timezone": "dt.astimezone(ZoneInfo(tz_name))",
    "parse_datetime": "datetime.fromisoformat(text) (or let the model's datetime field parse it)",
    "format_datetime": "dt.astimezone(ZoneInfo(tz_name)).isoformat()",
    "ensure_timezone_aware": "dt if dt.tzinfo else dt.replace(tzinfo=ZoneInfo(tz_name))",
    "get_timezone": "zoneinfo.ZoneInfo(tz_name)",
    "is_valid_timezone": "tz_name in zoneinfo.available_timezones()",
    "to_epoch_seconds": "int(dt.timestamp()) (a TTL field: Meta.ttl_attribute does it)",
    "from_epoch_seconds": "datetime.fromtimestamp(seconds, timezone.utc)",
    "to_storage_string": "not needed: conditions and key conditions encode datetimes",
    "UTC": "datetime.timezone.utc",
}

REPOSITORY_METHODS: dict[str, str] = {
    "get": "reads.get(**key) -> M | None (reads.require(**key) raises ItemNotFoundError)",
    "list": "reads.query_all(hash_field=value, sort=..., index=...) (reads.query(..., "
    "limit=, cursor=) for one Page)",
    "list_all": "reads.scan_all() (an explicit Scan; prefer a query on an index)",
    "create": "writes.create(CreateDTO or M) (raises AlreadyExistsError)",
    "update": "writes.update(key, UpdateDTO) for some fields, writes.replace(item) for all",
    "delete": "writes.delete(key) (return_old=True to learn whether it existed)",
}

OTHER_NAMES: dict[str, str] = {
    "BaseRepository": "a DomainModel with a Meta + ReadApi[M] / WriteApi[M] "
    "(`ddbwrap migrate scaffold module:Repository` writes them)",
    "V1Adapter": "the ReadApi/WriteApi it wraps (move the call site to them)",
    "as_v1_repository": "the ReadApi/WriteApi it wraps (move the call site to them)",
    "RepositoryLike": "ReadApi[M] / WriteApi[M] (move the call site to them)",
    "to_domain_model": "the V2 DomainModel itself (`ddbwrap migrate scaffold` writes it)",
    "derive_domain_model": "the V2 DomainModel itself (`ddbwrap migrate scaffold` writes it)",
    "v1_errors": "nothing: V2 raises ddbwrap errors directly",
    "as_v1_error": "nothing: V2 raises ddbwrap errors directly",
    "MIGRATION_GUIDE": "docs/migration.md",
    "Filters": "ddbwrap.Attr conditions (filter=Attr('status') == 'active')",
    "scaffold_source": "the generated V2 module",
    "check_paths": "nothing once the count is 0",
    "Usage": "nothing once the count is 0",
}

V1_NAMES: dict[str, str] = {**EXCEPTIONS, **TIMEZONE_HELPERS, **OTHER_NAMES}

_V1_SHAPED = frozenset({"V1Adapter", "as_v1_repository", "RepositoryLike"})
"""ddbwrap.v1 names whose instances have the V1 repository's methods."""

PYDANTIC_METHODS: dict[str, str] = {
    "dict": ".model_dump()",
    "parse_obj": ".model_validate(data)",
    "parse_raw": ".model_validate_json(text)",
    "from_orm": ".model_validate(obj, from_attributes=True)",
    "update_forward_refs": ".model_rebuild()",
}

PYDANTIC_DECORATORS: dict[str, str] = {
    "validator": "@field_validator (pydantic v2)",
    "root_validator": "@model_validator (pydantic v2)",
}

_SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".venv", "venv", "__pycache__", "node_modules", "site-packages", ".tox"}
)


@dataclass(frozen=True)
class Usage:
    """One V1 usage: where, what, and what replaces it in V2."""

    path: str
    line: int
    column: int
    kind: str
    symbol: str
    code: str
    replacement: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Report:
    """The usages found in the scanned files."""

    usages: tuple[Usage, ...]
    files_scanned: int
    errors: tuple[str, ...] = ()
    """Files that could not be read or parsed (with the reason)."""

    @property
    def count(self) -> int:
        return len(self.usages)

    def by_kind(self) -> dict[str, int]:
        """Usages per kind, every kind listed."""
        counts = Counter(u.kind for u in self.usages)
        return {kind: counts.get(kind, 0) for kind in KINDS}

    def files_with_usages(self) -> list[str]:
        return sorted({u.path for u in self.usages})

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-able data (``--format json``)."""
        return {
            "count": self.count,
            "files_scanned": self.files_scanned,
            "files_with_usages": len(self.files_with_usages()),
            "by_kind": self.by_kind(),
            "usages": [u.to_dict() for u in self.usages],
            "errors": list(self.errors),
        }

    def to_text(self) -> str:
        """The report for people: one usage per entry, then a summary line."""
        lines = []
        for u in self.usages:
            lines.append(f"{u.path}:{u.line}:{u.column}: {u.kind} {u.symbol}: {u.code}")
            lines.append(f"    V2: {u.replacement}")
        lines.extend(f"error: {e}" for e in self.errors)
        kinds = ", ".join(f"{k} {n}" for k, n in self.by_kind().items() if n)
        files = len(self.files_with_usages())
        summary = (
            f"{self.count} V1 usage{'s' if self.count != 1 else ''} in {files} "
            f"file{'s' if files != 1 else ''} ({self.files_scanned} scanned)"
        )
        lines.append(summary + (f": {kinds}" if kinds else ""))
        return "\n".join(lines) + "\n"

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2) + "\n"


def python_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The ``.py`` files of ``paths`` (files, or directories walked in name order)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*.py")):
                if not _SKIPPED_DIRS.intersection(child.relative_to(path).parts[:-1]):
                    yield child
        else:
            yield path


def check_paths(paths: Sequence[str | Path]) -> Report:
    """Scan files and directories for V1 usages."""
    sources: list[tuple[str, str]] = []
    errors: list[str] = []
    for path in python_files(paths):
        try:
            sources.append((str(path), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{path}: cannot read: {exc}")
    report = check_sources(sources)
    return Report(report.usages, report.files_scanned, tuple(errors) + report.errors)


def check_sources(sources: Sequence[tuple[str, str]]) -> Report:
    """Scan ``(path, source)`` pairs; repository classes are followed across them."""
    trees: list[tuple[str, str, ast.Module]] = []
    errors: list[str] = []
    for path, source in sources:
        try:
            trees.append((path, source, ast.parse(source, filename=path)))
        except SyntaxError as exc:
            errors.append(f"{path}:{exc.lineno}: cannot parse: {exc.msg}")
    repositories = _repository_classes(tree for _, _, tree in trees)
    usages: list[Usage] = []
    for path, source, tree in trees:
        usages.extend(_FileChecker(path, source, tree, repositories).run())
    return Report(tuple(usages), len(sources), tuple(errors))


# --- pass 1: repository classes, across files ---------------------------------------------


def _repository_classes(trees: Iterable[ast.Module]) -> frozenset[str]:
    """Names of classes deriving from BaseRepository, directly or through one another."""
    bases_of: dict[str, set[str]] = {}
    direct: set[str] = set()
    for tree in trees:
        imports = _Imports.of(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                names = bases_of.setdefault(node.name, set())
                for base in node.bases:
                    target = base.value if isinstance(base, ast.Subscript) else base
                    if imports.v1_symbol(target) == "BaseRepository":
                        direct.add(node.name)
                    elif (last := _last_name(target)) is not None:
                        names.add(last)
    found = set(direct)
    changed = True
    while changed:
        changed = False
        for name, bases in bases_of.items():
            if name not in found and bases & found:
                found.add(name)
                changed = True
    return frozenset(found)


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of names, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


@dataclass
class _Imports:
    """What one module imported from ``ddbwrap.v1`` and pydantic."""

    names: dict[str, str] = field(default_factory=dict)
    """Local name -> V1 symbol (``from ddbwrap.v1 import X as Y``)."""
    modules: set[str] = field(default_factory=set)
    """Local dotted names bound to ``ddbwrap.v1`` or one of its submodules."""
    star: bool = False
    pydantic_names: set[str] = field(default_factory=set)
    """Local names of pydantic's ``validator``/``root_validator``."""

    @classmethod
    def of(cls, tree: ast.Module) -> _Imports:
        imports = cls()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                module = node.module
                if _is_v1_module(module):
                    for alias in node.names:
                        if alias.name == "*":
                            imports.star = True
                        elif _is_v1_module(f"{module}.{alias.name}"):
                            if alias.name not in V1_NAMES:
                                imports.modules.add(alias.asname or alias.name)
                            else:
                                imports.names[alias.asname or alias.name] = alias.name
                        else:
                            imports.names[alias.asname or alias.name] = alias.name
                elif module == "ddbwrap":
                    for alias in node.names:
                        if alias.name == "v1":
                            imports.modules.add(alias.asname or "v1")
                elif module == "pydantic" or module.startswith("pydantic."):
                    for alias in node.names:
                        if alias.name in PYDANTIC_DECORATORS:
                            imports.pydantic_names.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if _is_v1_module(alias.name):
                        imports.modules.add(alias.asname or alias.name)
        return imports

    def v1_symbol(self, node: ast.expr) -> str | None:
        """The ``ddbwrap.v1`` name an expression refers to, if any."""
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            if self.star and node.id in V1_NAMES:
                return node.id
            return None
        if isinstance(node, ast.Attribute) and node.attr in V1_NAMES:
            head = _dotted(node.value)
            if head is not None and (head in self.modules or _is_v1_module(head)):
                return node.attr
        return None


def _is_v1_module(name: str) -> bool:
    return name == V1_MODULE or name.startswith(V1_MODULE + ".")


# --- pass 2: usages in one file ---------------------------------------------------------


class _FileChecker(ast.NodeVisitor):
    def __init__(
        self, path: str, source: str, tree: ast.Module, repositories: frozenset[str]
    ) -> None:
        self.path = path
        self.lines = source.splitlines()
        self.tree = tree
        self.imports = _Imports.of(tree)
        self.repositories = repositories
        self.usages: list[Usage] = []
        self.classes: list[ast.ClassDef] = []
        self.skip: set[int] = set()
        self.instances: set[str] = set()
        self.factories: set[str] = set()

    def run(self) -> list[Usage]:
        self._collect_instances()
        self.visit(self.tree)
        self.usages.sort(key=lambda u: (u.line, u.column))
        return self.usages

    # what refers to a repository

    def is_repository_class(self, node: ast.expr) -> bool:
        target = node.value if isinstance(node, ast.Subscript) else node
        if self.imports.v1_symbol(target) == "BaseRepository":
            return True
        return _last_name(target) in self.repositories and isinstance(
            target, (ast.Name, ast.Attribute)
        )

    def is_repository_type(self, node: ast.expr) -> bool:
        """A repository class, or a V1-shaped type (``V1Adapter``, ``RepositoryLike``)."""
        target = node.value if isinstance(node, ast.Subscript) else node
        return self.is_repository_class(node) or self.imports.v1_symbol(target) in _V1_SHAPED

    def mentions_repository(self, annotation: ast.expr | None) -> bool:
        if annotation is None:
            return False
        for node in ast.walk(annotation):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                try:  # a string annotation, whole or nested: Optional["Repo"]
                    parsed = ast.parse(node.value, mode="eval").body
                except SyntaxError:
                    continue
                if self.mentions_repository(parsed):
                    return True
            elif isinstance(node, (ast.Name, ast.Attribute)) and self.is_repository_type(node):
                return True
        return False

    def makes_repository(self, value: ast.expr | None) -> bool:
        """A call that returns a repository (or an adapter)."""
        if not isinstance(value, ast.Call):
            return False
        func = value.func
        return (
            self.is_repository_class(func)
            or self.imports.v1_symbol(func) in _V1_SHAPED
            or _dotted(func) in self.factories
        )

    def instantiates_repository(self, value: ast.Call) -> bool:
        """A repository class called (the ``repository-instance`` usage)."""
        return self.is_repository_class(value.func)

    def _collect_instances(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                self.mentions_repository(node.returns)
            ):
                self.factories.add(node.name)
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign) and self.makes_repository(node.value):
                self.instances.update(k for t in node.targets if (k := _dotted(t)) is not None)
            elif isinstance(node, ast.AnnAssign):
                key = _dotted(node.target)
                if key and (
                    self.mentions_repository(node.annotation) or self.makes_repository(node.value)
                ):
                    self.instances.update({key, f"self.{key}"})
            elif isinstance(node, ast.arg) and self.mentions_repository(node.annotation):
                self.instances.add(node.arg)

    # visiting

    def add(self, node: ast.AST, kind: str, symbol: str, replacement: str) -> None:
        line = getattr(node, "lineno", 1)
        code = self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""
        column = getattr(node, "col_offset", 0) + 1
        self.usages.append(Usage(self.path, line, column, kind, symbol, code, replacement))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level == 0 and _is_v1_module(module):
            for alias in node.names:
                self.add(alias, "import", alias.name, _import_replacement(alias.name))
        elif node.level == 0 and module == "ddbwrap":
            for alias in node.names:
                if alias.name == "v1":
                    self.add(alias, "import", V1_MODULE, "the ddbwrap top-level API")
        elif node.level == 0 and (module == "pydantic.v1" or module.startswith("pydantic.v1.")):
            for alias in node.names:
                self.add(alias, "pydantic-v1", f"{module}.{alias.name}", "pydantic v2 (pydantic)")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if _is_v1_module(alias.name):
                self.add(alias, "import", alias.name, "the ddbwrap top-level API")
            elif alias.name == "pydantic.v1" or alias.name.startswith("pydantic.v1."):
                self.add(alias, "pydantic-v1", alias.name, "pydantic v2 (pydantic)")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if any(self.is_repository_class(base) for base in node.bases):
            self.add(
                node,
                "repository-class",
                node.name,
                "a DomainModel with a Meta (table, keys, GSIs) + ReadApi[M] / WriteApi[M]; "
                f"`ddbwrap migrate scaffold module:{node.name}` writes them",
            )
            for base in node.bases:  # the base is part of this usage
                self.skip.update(id(n) for n in ast.walk(base))
        if self.classes and node.name == "Config":
            self.add(node, "pydantic-v1", "class Config", "model_config = ConfigDict(...)")
        for decorator in node.decorator_list:
            self.visit(decorator)
        for base in node.bases:
            self.visit(base)
        for keyword in node.keywords:
            self.visit(keyword)
        self.classes.append(node)
        for statement in node.body:
            self.visit(statement)
        self.classes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._decorators(node.decorator_list)
        self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._decorators(node.decorator_list)
        self.generic_visit(node)

    def _decorators(self, decorators: list[ast.expr]) -> None:
        for decorator in decorators:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = _last_name(target)
            if name in PYDANTIC_DECORATORS and (
                isinstance(target, ast.Attribute) or name in self.imports.pydantic_names
            ):
                self.add(decorator, "pydantic-v1", f"@{name}", PYDANTIC_DECORATORS[name])

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if self.instantiates_repository(node) and id(func) not in self.skip:
            symbol = _dotted(func) or "repository"
            self.add(
                node,
                "repository-instance",
                symbol,
                "ReadApi[M](gateway) and WriteApi[M](gateway) (or V1Adapter over them while "
                "call sites move)",
            )
            self.skip.update(id(n) for n in ast.walk(func))
        if isinstance(func, ast.Attribute):
            method = func.attr
            if method in REPOSITORY_METHODS and self.is_repository_receiver(func.value):
                self.add(node, "repository-call", method, REPOSITORY_METHODS[method])
            elif method in PYDANTIC_METHODS and not (method == "dict" and node.args):
                self.add(node, "pydantic-v1", f".{method}()", PYDANTIC_METHODS[method])
        self.generic_visit(node)

    def is_repository_receiver(self, receiver: ast.expr) -> bool:
        key = _dotted(receiver)
        if key is not None and key in self.instances:
            return True
        if self.makes_repository(receiver) or self.is_repository_class(receiver):
            return True
        inside = bool(self.classes) and any(
            self.is_repository_class(b) for b in self.classes[-1].bases
        )
        if inside and key == "self":
            return True
        return (
            inside
            and isinstance(receiver, ast.Call)
            and isinstance(receiver.func, ast.Name)
            and receiver.func.id == "super"
        )

    def visit_Name(self, node: ast.Name) -> None:
        self._reference(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if not self._reference(node):
            self.generic_visit(node)

    def _reference(self, node: ast.Name | ast.Attribute) -> bool:
        if id(node) in self.skip or not isinstance(node.ctx, ast.Load):
            return False
        symbol = self.imports.v1_symbol(node)
        if symbol is None:
            return False
        if symbol in EXCEPTIONS:
            self.add(node, "exception", symbol, EXCEPTIONS[symbol])
        elif symbol in TIMEZONE_HELPERS:
            self.add(node, "timezone", symbol, TIMEZONE_HELPERS[symbol])
        else:
            self.add(node, "reference", symbol, OTHER_NAMES.get(symbol, "the V2 API"))
        return True


def _import_replacement(name: str) -> str:
    if name in V1_NAMES:
        return V1_NAMES[name]
    return "the ddbwrap top-level API"
