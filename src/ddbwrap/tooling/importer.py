"""Models from what exists: a typed ``DomainModel`` module from a live table or a template.

``ddbwrap schema import`` (seed 000, options 1-2; seed 002's code generation) reads what a table
*is* and writes the models that describe it:

- from a live table: ``DescribeTable`` and ``DescribeTimeToLive`` (keys, key types, GSIs and
  LSIs with their projections, billing mode, TTL, stream) plus a bounded, parallel sample of
  its items (Scan segments; never more than ``sample`` items are read) for the other
  attributes and their exact types;
- from a CloudFormation template (JSON or YAML; ``AWS::DynamoDB::Table`` and
  ``AWS::DynamoDB::GlobalTable``): the same structure, without items.

Types follow the codec's storage rules, decided from every sampled value: ``N`` is ``int`` when
every value is whole, else ``Decimal``; a string attribute is ``datetime`` when every value
parses as ISO-8601 with a zone (``date`` for plain dates), a ``Literal[...]`` when it takes few
distinct values (2 to ``literal_max``, each seen twice on average; not for the elements of lists
and sets or the values of dicts), else ``str``; ``BOOL`` is
``bool``; sets, lists and maps are typed by their elements, and a map whose keys form a record
(few, identifier-like, mostly present) becomes a nested model, other maps ``dict[str, ...]``.
An attribute missing from some sampled items is optional (``= None``). Key attributes keep the
exact stored form: a key is a ``datetime`` only when every value is already in the codec's
canonical form (else a write would address another item), ``bool`` when its values are
``"true"``/``"false"``, never a ``Literal``. Stored names that are not pythonic identifiers
become snake_case fields with the stored name as ``alias``.

``Meta`` declares the table, keys, GSIs and LSIs with their projections, TTL, the billing mode
and the stream. The result is source text that passes ``ruff`` and ``mypy --strict``;
:func:`check_round_trip` loads it and decodes every sampled item with the generated models.
"""

from __future__ import annotations

import copy
import json
import keyword
import math
import re
import sys
import textwrap
import threading
import types
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from ddbwrap._engine.threads import in_caller_context
from ddbwrap.codec import codec_for, datetime_text, key_description
from ddbwrap.errors import (
    DdbwrapError,
    MissingDependencyError,
    ValidationError,
)
from ddbwrap.gateway import TableGateway
from ddbwrap.model import DomainModel
from ddbwrap.schema import META_OPTIONS

Item = Mapping[str, Mapping[str, Any]]
Progress = Callable[[str], None]

DEFAULT_SAMPLE = 1000
DEFAULT_SEGMENTS = 4
DEFAULT_LITERAL_MAX = 10
DEFAULT_NAME_TEMPLATE = "{table}-${Stage}"
PAGE_LIMIT = 100
LINE_LENGTH = 100
LITERAL_VALUE_MAX_CHARS = 40
RECORD_MAX_KEYS = 30
"""A map with more distinct keys than this is a ``dict[str, ...]``, not a nested model."""

TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")


# -- what is known about a table -------------------------------------------------------------


@dataclass(frozen=True)
class IndexInfo:
    """A GSI or LSI of a table, with stored attribute names."""

    name: str
    kind: Literal["GSI", "LSI"]
    keys: tuple[tuple[str, str], ...]
    """``(attribute, "HASH" | "RANGE")`` pairs, as in a KeySchema."""
    projection: str = "ALL"
    non_key_attributes: tuple[str, ...] = ()

    @property
    def partition_keys(self) -> list[str]:
        return [a for a, role in self.keys if role == "HASH"]

    @property
    def sort_keys(self) -> list[str]:
        return [a for a, role in self.keys if role == "RANGE"]


@dataclass
class TableInfo:
    """One table's structure (and sampled items) as found: the input of code generation."""

    table: str
    """Logical name: what ``Meta.table_name`` will say (no stage prefix or suffix)."""
    key: tuple[tuple[str, str], ...]
    attribute_types: dict[str, str]
    """AttributeDefinitions: key attribute -> ``S`` | ``N`` | ``B``."""
    indexes: list[IndexInfo] = field(default_factory=list)
    billing_mode: str = "PAY_PER_REQUEST"
    ttl_attribute: str | None = None
    stream: str | None = None
    """The stream view type when the table has a stream."""
    items: list[dict[str, Any]] = field(default_factory=list)
    sampled: bool = False
    """True when ``items`` is a sample of the live table (so attribute types are known)."""
    item_count: int | None = None
    """DynamoDB's (approximate) item count, when known."""
    source: str = ""

    @property
    def partition_key(self) -> str:
        return next(a for a, role in self.key if role == "HASH")

    @property
    def sort_key(self) -> str | None:
        return next((a for a, role in self.key if role == "RANGE"), None)


@dataclass
class ImportOptions:
    """How to name and type the generated models."""

    class_names: Mapping[str, str] = field(default_factory=dict)
    """Class name per table (default: the table's name, singular, in CapWords)."""
    literal_max: int = DEFAULT_LITERAL_MAX
    """A string attribute with at most this many distinct values becomes a ``Literal``
    (0: never)."""
    description: str = ""
    """What the module was imported from (its docstring says it)."""


@dataclass
class ModelClass:
    """One generated table model."""

    table: str
    name: str
    fields: dict[str, str]
    """Stored attribute name -> field name."""
    notes: list[str] = field(default_factory=list)
    """What could not be declared (and why)."""


@dataclass
class GeneratedModule:
    """The generated source and what it was generated from."""

    source: str
    tables: list[TableInfo]
    models: list[ModelClass]

    def model_for(self, table: str) -> ModelClass:
        return next(m for m in self.models if m.table == table)


@dataclass
class RoundTripProblem:
    """A sampled item the generated model does not read back (or whose key it changes)."""

    table: str
    key: str
    message: str


# -- live tables -----------------------------------------------------------------------------


def sample_items(
    gateway: TableGateway, table: str, limit: int, *, segments: int = DEFAULT_SEGMENTS
) -> list[dict[str, Any]]:
    """Up to ``limit`` raw items of a logical table: a parallel Scan of ``segments`` segments.

    Each segment first reads its share (``limit / segments``), so the sample is spread over the
    key space; the quota a short segment leaves is then shared by the segments that have more.
    Quota is reserved before each request (``Limit``), so no more than ``limit`` items are ever
    read. Items come back ordered by segment.
    """
    if limit <= 0:
        return []
    segments = max(1, min(segments, limit))
    page = max(1, min(PAGE_LIMIT, math.ceil(limit / segments)))
    lock = threading.Lock()
    spare = [limit]
    found: list[list[dict[str, Any]]] = [[] for _ in range(segments)]
    requests: list[dict[str, Any] | None] = [
        {"TableName": table, **({"Segment": s, "TotalSegments": segments} if segments > 1 else {})}
        for s in range(segments)
    ]

    def reserve(wanted: int) -> int:
        with lock:
            granted = min(wanted, spare[0])
            spare[0] -= granted
            return granted

    def release(unused: int) -> None:
        with lock:
            spare[0] += unused

    def read(segment: int, allowance: int | None) -> None:
        """Read pages of ``segment`` until it ends, ``allowance`` items were read (None: until
        the shared quota is spent)."""
        taken = 0
        while requests[segment] is not None and (allowance is None or taken < allowance):
            want = reserve(min(page, allowance - taken) if allowance is not None else page)
            if want <= 0:
                return
            request = requests[segment]
            assert request is not None
            response = gateway.scan({**request, "Limit": want})
            items = list(response.get("Items", ()))
            release(want - len(items))
            found[segment].extend(items)
            taken += len(items)
            last = response.get("LastEvaluatedKey")
            requests[segment] = {**request, "ExclusiveStartKey": last} if last else None

    shares = [limit // segments + (1 if s < limit % segments else 0) for s in range(segments)]
    _in_parallel(read, [(s, shares[s]) for s in range(segments)])
    _in_parallel(read, [(s, None) for s in range(segments) if requests[s] is not None])
    return [item for part in found for item in part][:limit]


def _in_parallel(
    work: Callable[[int, int | None], None], calls: list[tuple[int, int | None]]
) -> None:
    if len(calls) <= 1:
        for call in calls:
            work(*call)
        return
    run = in_caller_context(work)
    with ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="ddbwrap-scan") as pool:
        for future in [pool.submit(run, *call) for call in calls]:
            future.result()


def describe_live_table(
    gateway: TableGateway,
    table: str,
    *,
    sample: int = DEFAULT_SAMPLE,
    segments: int = DEFAULT_SEGMENTS,
    progress: Progress | None = None,
) -> TableInfo:
    """A live table's structure (DescribeTable, DescribeTimeToLive) and up to ``sample`` items.

    Raises ``TableNotFoundError`` when the table does not exist.
    """
    if progress:
        progress(f"describing {table}")
    description = gateway.describe_table(table)["Table"]
    ttl = gateway.describe_time_to_live(table).get("TimeToLiveDescription", {})
    info = table_info_from_description(table, description, ttl)
    info.source = f"table {description.get('TableName', table)!r} at {gateway.endpoint_url}"
    if sample > 0:
        if progress:
            progress(f"sampling up to {sample} items of {table} ({segments} segments)")
        info.items = sample_items(gateway, table, sample, segments=segments)
        info.sampled = True
    return info


def table_info_from_description(
    table: str, description: Mapping[str, Any], ttl: Mapping[str, Any] | None = None
) -> TableInfo:
    """A TableInfo from a DescribeTable ``Table`` (and a ``TimeToLiveDescription``)."""
    indexes: list[IndexInfo] = []
    for group, kind in (("GlobalSecondaryIndexes", "GSI"), ("LocalSecondaryIndexes", "LSI")):
        for index in description.get(group) or ():
            if index.get("IndexStatus") == "DELETING":
                continue
            indexes.append(_index_info(index, kind))  # type: ignore[arg-type]
    ttl = ttl or {}
    ttl_attribute = (
        str(ttl["AttributeName"])
        if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and ttl.get("AttributeName")
        else None
    )
    stream = description.get("StreamSpecification") or {}
    return TableInfo(
        table=table,
        key=_key_pairs(description["KeySchema"]),
        attribute_types={
            d["AttributeName"]: d["AttributeType"]
            for d in description.get("AttributeDefinitions", ())
        },
        indexes=indexes,
        billing_mode=str(
            (description.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED"
        ),
        ttl_attribute=ttl_attribute,
        stream=str(stream["StreamViewType"]) if stream.get("StreamEnabled") else None,
        item_count=description.get("ItemCount"),
    )


def _index_info(index: Mapping[str, Any], kind: Literal["GSI", "LSI"]) -> IndexInfo:
    projection = index.get("Projection") or {}
    return IndexInfo(
        name=str(index["IndexName"]),
        kind=kind,
        keys=_key_pairs(index["KeySchema"]),
        projection=str(projection.get("ProjectionType", "ALL")),
        non_key_attributes=tuple(projection.get("NonKeyAttributes") or ()),
    )


def _key_pairs(schema: Iterable[Mapping[str, Any]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(k["AttributeName"]), str(k["KeyType"])) for k in schema)


def import_live(
    gateway: TableGateway,
    tables: Sequence[str],
    *,
    sample: int = DEFAULT_SAMPLE,
    segments: int = DEFAULT_SEGMENTS,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
) -> GeneratedModule:
    """Generate the models of live ``tables`` (logical names) from their structure and a
    sample of up to ``sample`` items each."""
    infos = [
        describe_live_table(gateway, t, sample=sample, segments=segments, progress=progress)
        for t in tables
    ]
    options = options or ImportOptions()
    if not options.description:
        options = copy.copy(options)
        options.description = f"the live tables at {gateway.endpoint_url}"
    return generate_module(infos, options)


# -- CloudFormation --------------------------------------------------------------------------


def load_cloudformation(text: str, *, name: str = "template") -> dict[str, Any]:
    """A CloudFormation template (JSON, or YAML with PyYAML) as data; short-form intrinsic tags
    (``!Sub``, ``!Ref``, ``!GetAtt``, ``!If``, ...) load as their long form (``{"Fn::Sub": ...}``).
    """
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"{name} is not valid JSON: {exc}") from exc
    else:
        document = _load_cloudformation_yaml(text, name)
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise ValidationError(f"{name} is not a CloudFormation template (no Resources)")
    return document


def _load_cloudformation_yaml(text: str, name: str) -> Any:
    try:
        import yaml
    except ImportError as exc:
        raise MissingDependencyError(
            f"reading the YAML template {name} needs PyYAML: pip install 'ddbwrap[yaml]' "
            "(or convert it to JSON)"
        ) from exc

    class Loader(yaml.SafeLoader):
        pass

    def intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
        key = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if suffix == "GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {key: value}

    Loader.add_multi_constructor("!", intrinsic)
    try:
        return yaml.load(text, Loader=Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ValidationError(f"{name} is not valid YAML: {exc}") from exc


class _UnresolvedError(Exception):
    """A template value that depends on something only a deployment knows."""


def tables_from_cloudformation(
    template: Mapping[str, Any],
    *,
    name_template: str = DEFAULT_NAME_TEMPLATE,
    parameters: Mapping[str, str] | None = None,
    source: str = "template",
) -> list[TableInfo]:
    """The ``AWS::DynamoDB::Table`` and ``AWS::DynamoDB::GlobalTable`` resources of a template.

    ``name_template`` maps a ``TableName`` back to a logical name: ``{table}`` marks the
    logical name, ``${Param}`` the substitutions (the default, ``{table}-${Stage}``, is what
    ``ddbwrap export cloudformation`` writes by default). Parameters resolve to ``parameters``
    or their ``Default``; a value no deployment-free reading can resolve (``!If``, ``!ImportValue``)
    is refused where it matters (keys) and ignored elsewhere.
    """
    values = {
        name: str(spec["Default"])
        for name, spec in (template.get("Parameters") or {}).items()
        if isinstance(spec, Mapping) and "Default" in spec
    }
    values.update(parameters or {})
    out: list[TableInfo] = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        if not isinstance(resource, Mapping) or resource.get("Type") not in TABLE_TYPES:
            continue
        props = resource.get("Properties") or {}
        where = f"{source} resource {logical_id}"
        try:
            out.append(_table_from_properties(logical_id, props, values, name_template, where))
        except (_UnresolvedError, KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"{where}: cannot read its table: {exc}") from exc
    return out


def _table_from_properties(
    logical_id: str,
    props: Mapping[str, Any],
    values: Mapping[str, str],
    name_template: str,
    where: str,
) -> TableInfo:
    resolve = _Resolver(values)
    key = _key_pairs(resolve(props["KeySchema"]))
    types_ = {
        str(d["AttributeName"]): str(d["AttributeType"])
        for d in resolve(props.get("AttributeDefinitions") or [])
    }
    indexes = [
        _index_info(resolve(i), kind)  # type: ignore[arg-type]
        for group, kind in (("GlobalSecondaryIndexes", "GSI"), ("LocalSecondaryIndexes", "LSI"))
        for i in resolve.optional(props.get(group)) or ()
    ]
    ttl_spec = resolve.optional(props.get("TimeToLiveSpecification")) or {}
    enabled = ttl_spec.get("Enabled")
    ttl = (
        str(ttl_spec["AttributeName"])
        if ttl_spec.get("AttributeName") and enabled in (True, "true", "True")
        else None
    )
    stream_spec = resolve.optional(props.get("StreamSpecification")) or {}
    billing = resolve.optional(props.get("BillingMode")) or "PROVISIONED"
    return TableInfo(
        table=_logical_name(logical_id, props.get("TableName"), name_template),
        key=key,
        attribute_types=types_,
        indexes=indexes,
        billing_mode=str(billing),
        ttl_attribute=ttl,
        stream=str(stream_spec["StreamViewType"]) if stream_spec.get("StreamViewType") else None,
        source=where,
    )


class _Resolver:
    """Resolves the intrinsic functions a table definition may use, from parameter values."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, Mapping):
            if len(value) == 1:
                ((name, arg),) = value.items()
                if name == "Ref":
                    if arg in self.values:
                        return self.values[arg]
                    raise _UnresolvedError(f"!Ref {arg} has no value (pass --parameter {arg}=...)")
                if name == "Fn::Sub":
                    return self.sub(arg)
                if name == "Fn::Join":
                    separator, parts = arg
                    return str(separator).join(str(self(p)) for p in parts)
                if str(name).startswith("Fn::"):
                    raise _UnresolvedError(f"{name} cannot be resolved without deploying")
            return {k: self(v) for k, v in value.items()}
        return value

    def optional(self, value: Any) -> Any:
        try:
            return self(value)
        except _UnresolvedError:
            return None

    def sub(self, arg: Any) -> str:
        text, local = (arg[0], arg[1]) if isinstance(arg, list) else (arg, {})
        lookup = {**self.values, **{k: str(self(v)) for k, v in local.items()}}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in lookup:
                return lookup[name]
            raise _UnresolvedError(f"${{{name}}} has no value (pass --parameter {name}=...)")

        return re.sub(r"\$\{([^}]+)\}", replace, str(text))


def _logical_name(logical_id: str, table_name: Any, name_template: str) -> str:
    """The logical table name of a TableName (``${...}`` kept) under ``name_template``."""
    raw = _raw_name(table_name)
    if raw is None:
        base = logical_id[: -len("Table")] if logical_id.endswith("Table") else logical_id
        return _snake(base) or logical_id
    parts = name_template.split("{table}")
    if len(parts) == 2:
        pattern = re.escape(parts[0]) + r"(?P<table>.+?)" + re.escape(parts[1])
        match = re.fullmatch(pattern, raw)
        if match:
            return match.group("table")
    if "${" not in raw:
        return raw
    stripped = re.sub(r"\$\{[^}]*\}", "", raw).strip("-_.")
    return stripped or logical_id


def _raw_name(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and len(value) == 1:
        ((name, arg),) = value.items()
        if name == "Fn::Sub":
            return str(arg[0] if isinstance(arg, list) else arg)
        if name == "Ref":
            return "${" + str(arg) + "}"
        if name == "Fn::Join":
            separator, parts = arg
            return str(separator).join(_raw_name(p) or "" for p in parts)
    return None


def import_cloudformation(
    path_or_text: str | Path,
    *,
    name_template: str = DEFAULT_NAME_TEMPLATE,
    parameters: Mapping[str, str] | None = None,
    options: ImportOptions | None = None,
) -> GeneratedModule:
    """Generate the models of a template's tables: a file (a ``Path``, or a ``str`` that is not
    a template's text, i.e. does not mention ``Resources``), or the template's text."""
    if isinstance(path_or_text, Path) or "Resources" not in path_or_text:
        path = Path(path_or_text)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValidationError(f"cannot read {str(path)!r}: {exc.strerror}") from exc
        name = path.name
    else:
        text, name = str(path_or_text), "(text)"
    template = load_cloudformation(text, name=name)
    infos = tables_from_cloudformation(
        template, name_template=name_template, parameters=parameters, source=name
    )
    if not infos:
        raise ValidationError(f"{name} declares no AWS::DynamoDB::Table or ::GlobalTable")
    options = options or ImportOptions()
    if not options.description:
        options = copy.copy(options)
        options.description = f"the CloudFormation template {name}"
    return generate_module(infos, options)


# -- what the sampled values say ---------------------------------------------------------------

_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME_ADAPTER: TypeAdapter[datetime] = TypeAdapter(datetime)
_DATE_ADAPTER: TypeAdapter[date] = TypeAdapter(date)


class _Shape:
    """Everything the sampled values of one attribute (or element, or map entry) say."""

    def __init__(self, distinct_cap: int) -> None:
        self.cap = distinct_cap
        self.present = 0
        self.nulls = 0
        self.strings = 0
        self.distinct: set[str] | None = set()
        self.all_datetime = True
        self.all_canonical_datetime = True
        self.all_date = True
        self.all_bool_text = True
        self.literal_safe = True
        self.numbers = 0
        self.decimals = 0
        self.bools = 0
        self.binaries = 0
        self.sets: Counter[str] = Counter()
        self.number_set_decimal = False
        self.lists = 0
        self.elements: _Shape | None = None
        self.maps = 0
        self.map_keys: Counter[str] = Counter()
        self.entries: dict[str, _Shape] = {}
        self.values: _Shape | None = None

    def child(self) -> _Shape:
        return _Shape(self.cap)

    def add(self, av: Mapping[str, Any]) -> None:
        self.present += 1
        for tag, raw in av.items():
            self._add(tag, raw)
            break
        else:  # an empty AttributeValue: nothing to learn from it
            self.nulls += 1

    def _add(self, tag: str, raw: Any) -> None:
        if tag == "NULL":
            self.nulls += 1
        elif tag == "S":
            self._add_string(str(raw))
        elif tag == "N":
            self.numbers += 1
            self.decimals += _is_decimal(str(raw))
        elif tag == "BOOL":
            self.bools += 1
        elif tag == "B":
            self.binaries += 1
        elif tag in ("SS", "NS", "BS"):
            self.sets[tag] += 1
            if tag == "NS":
                self.number_set_decimal |= any(_is_decimal(str(v)) for v in raw)
        elif tag == "L":
            self.lists += 1
            if self.elements is None:
                self.elements = self.child()
            for element in raw:
                self.elements.add(element)
        elif tag == "M":
            self.maps += 1
            if self.values is None:
                self.values = self.child()
            for name, value in raw.items():
                self.map_keys[name] += 1
                self.entries.setdefault(name, self.child()).add(value)
                self.values.add(value)

    def _add_string(self, text: str) -> None:
        self.strings += 1
        if self.distinct is not None:
            self.distinct.add(text)
            if len(self.distinct) > self.cap:
                self.distinct = None
        if (
            len(text) > LITERAL_VALUE_MAX_CHARS
            or not text.isprintable()
            or not text.strip()
            or any(c in text for c in '[],"\\')
        ):
            self.literal_safe = False
        if text not in ("true", "false"):
            self.all_bool_text = False
        if self.all_datetime:
            parsed = _parse_datetime(text)
            if parsed is None:
                self.all_datetime = self.all_canonical_datetime = False
            elif datetime_text(parsed) != text:
                self.all_canonical_datetime = False
        if self.all_date and not (_DATE.fullmatch(text) and _valid_date(text)):
            self.all_date = False

    @property
    def only_nulls(self) -> bool:
        return self.present == self.nulls


def _is_decimal(text: str) -> bool:
    return "." in text or "e" in text or "E" in text


def _parse_datetime(text: str) -> datetime | None:
    if not _DATETIME.fullmatch(text):
        return None
    try:
        value = _DATETIME_ADAPTER.validate_python(text)
    except PydanticValidationError:
        return None
    return value if value.tzinfo is not None else None


def _valid_date(text: str) -> bool:
    try:
        _DATE_ADAPTER.validate_python(text)
    except PydanticValidationError:
        return False
    return True


# -- code generation ---------------------------------------------------------------------------

_RESERVED = frozenset(
    {"date", "datetime", "str", "int", "bool", "bytes", "set", "list", "dict", "l", "none"}
)
"""Field names that would shadow a name the generated annotations use (or read ambiguously)."""


def generate_module(
    tables: Sequence[TableInfo], options: ImportOptions | None = None
) -> GeneratedModule:
    """Source text of a module with one ``DomainModel`` per table (and its nested models)."""
    return _Generator(options or ImportOptions()).module(tables)


class _Generator:
    def __init__(self, options: ImportOptions) -> None:
        self.options = options
        self.imports: dict[str, set[str]] = {}
        self.class_names: set[str] = set()
        self.blocks: list[str] = []

    # module ------------------------------------------------------------------------------

    def module(self, tables: Sequence[TableInfo]) -> GeneratedModule:
        models = [self.table_model(info) for info in tables]
        self.use("ddbwrap", "DomainModel")
        header = self.header(tables)
        text = header + "\n\n" + self.import_lines() + "\n\n\n" + "\n\n\n".join(self.blocks)
        text += "\n\n\n__all__ = [" + ", ".join(_py_str(m.name) for m in models) + "]\n"
        if len(text.splitlines()[-1]) > LINE_LENGTH:
            names = "".join(f"    {_py_str(m.name)},\n" for m in models)
            text = text[: text.rindex("__all__")] + "__all__ = [\n" + names + "]\n"
        return GeneratedModule(text, list(tables), models)

    def header(self, tables: Sequence[TableInfo]) -> str:
        source = self.options.description or "existing tables"
        source = source.replace("\\", "/").replace('"', "'")
        sampled = [t for t in tables if t.sampled]
        first = f"DomainModels of {len(tables)} table(s), imported by ddbwrap from {source}."
        body = (
            "Generated by `ddbwrap schema import`: review before use. "
            + (
                "Types come from a sample of the items (counts in each class docstring): a value "
                "no sampled item held is not in a Literal, an attribute no sampled item held has "
                "no field (ddbwrap keeps such attributes on update), and an attribute some "
                "sampled items lacked is optional. "
                if sampled
                else "A template has no items: only the key, index and TTL attributes are "
                "declared; add the others (ddbwrap keeps undeclared attributes on update). "
            )
            + "Stored names that are not pythonic field names are kept as aliases."
        )
        text = "\n".join(_wrap(first, LINE_LENGTH - 3))
        text += "\n\n" + "\n".join(_wrap(body, LINE_LENGTH - 4))
        return '"""' + text + '\n"""'

    def use(self, module: str, name: str) -> str:
        self.imports.setdefault(module, set()).add(name)
        return name

    def import_lines(self) -> str:
        stdlib = [m for m in ("datetime", "decimal", "typing") if m in self.imports]
        third = [m for m in ("ddbwrap", "pydantic") if m in self.imports]
        groups = []
        for modules in (stdlib, third):
            lines = [
                f"from {m} import {', '.join(sorted(self.imports[m], key=_isort_key))}"
                for m in modules
            ]
            if lines:
                groups.append("\n".join(lines))
        return "\n\n".join(groups)

    def class_name(self, wanted: str) -> str:
        name, number = wanted, 2
        while name in self.class_names:
            name, number = f"{wanted}{number}", number + 1
        self.class_names.add(name)
        return name

    # table models ------------------------------------------------------------------------

    def table_model(self, info: TableInfo) -> ModelClass:
        name = self.class_name(
            self.options.class_names.get(info.table) or _class_name(info.table, singular=True)
        )
        total = len(info.items)
        root = _Shape(max(self.options.literal_max, 1))
        for item in info.items:
            for attribute, value in item.items():
                root.entries.setdefault(attribute, root.child()).add(value)
        key_roles = self.key_roles(info)
        notes: list[str] = []
        declarable = [i for i in info.indexes if self.declarable(info, i, notes)]
        names = sorted(
            set(root.entries)
            | set(key_roles)
            | {a for i in declarable for a in i.non_key_attributes}
            | ({info.ttl_attribute} if info.ttl_attribute else set()),
            key=lambda a: (key_roles.get(a, 9), a),
        )
        fields = _field_names(names, DomainModel)
        ttl = info.ttl_attribute
        ttl_ok = ttl is not None and self.ttl_ok(root.entries.get(ttl))
        if ttl is not None and not ttl_ok:
            notes.append(
                f"TTL is on {ttl!r}, whose sampled values are not all whole epoch seconds; "
                "Meta.ttl_attribute needs a datetime or int field"
            )
        lines = []
        for attribute in names:
            shape = root.entries.get(attribute)
            lines += self.field_lines(
                name,
                attribute,
                fields[attribute],
                shape,
                total=total,
                sampled=info.sampled,
                key_role=key_roles.get(attribute),
                key_type=info.attribute_types.get(attribute),
                ttl=ttl_ok and attribute == ttl,
            )
        doc = self.class_doc(info)
        meta = self.meta_lines(info, fields, declarable, ttl if ttl_ok else None, notes)
        body = [*doc, "", *lines, "", *meta]
        self.blocks.append(f"class {name}(DomainModel):\n" + "\n".join(body))
        return ModelClass(info.table, name, fields, notes)

    def class_doc(self, info: TableInfo) -> list[str]:
        if info.sampled:
            counted = ""
            if info.item_count is not None:
                counted = f" (DynamoDB counted about {info.item_count})"
            what = f"{len(info.items)} sampled item(s){counted}"
        else:
            what = "its key, index and TTL attributes only (no items were read)"
        text = f"Items of table {info.table!r}, from {info.source or 'its description'}: {what}."
        return _docstring(text)

    @staticmethod
    def key_roles(info: TableInfo) -> dict[str, int]:
        """Sort order of key attributes: table key first, then index keys."""
        roles: dict[str, int] = {}
        for attribute, role in info.key:
            roles[attribute] = 0 if role == "HASH" else 1
        for index in info.indexes:
            for attribute, _ in index.keys:
                roles.setdefault(attribute, 2)
        return roles

    @staticmethod
    def declarable(info: TableInfo, index: IndexInfo, notes: list[str]) -> bool:
        """Whether ddbwrap's GSI/LSI can declare ``index`` (else a note says why not)."""
        why = ""
        if index.kind == "LSI" and (len(index.partition_keys) != 1 or len(index.sort_keys) > 1):
            keys = ", ".join(a for a, _ in index.keys)
            why = f"has a multi-attribute key ({keys}), which LSI(...) cannot declare"
        elif index.kind == "GSI" and list(index.keys) == list(info.key):
            why = "has the table's own key"
        elif index.kind == "LSI" and (not index.sort_keys or index.sort_keys[0] == info.sort_key):
            why = "uses the table's own sort key"
        if why:
            notes.append(f"{index.kind} {index.name!r} {why}; it is left out of Meta")
        return not why

    @staticmethod
    def ttl_ok(shape: _Shape | None) -> bool:
        if shape is None:
            return True
        other = shape.strings + shape.bools + shape.binaries + shape.lists + shape.maps
        return not other and not shape.sets and not shape.decimals

    def field_lines(
        self,
        owner: str,
        attribute: str,
        name: str,
        shape: _Shape | None,
        *,
        total: int,
        sampled: bool,
        key_role: int | None,
        key_type: str | None,
        ttl: bool,
    ) -> list[str]:
        table_key = key_role in (0, 1)
        comment = ""
        if ttl:
            annotation = self.use("datetime", "datetime")
            nullable = shape is not None and shape.nulls > 0
        elif key_type is not None:
            annotation = self.key_annotation(key_type, shape)
            nullable = False
        elif shape is None or shape.only_nulls:
            annotation = self.use("typing", "Any")
            nullable = False
            if shape is not None:
                comment = "only NULL in the sample"
            else:
                comment = "never sampled" if sampled else "projected by an index; type unknown"
        else:
            hint = owner + _class_name(attribute, singular=False)
            annotation = self.annotation(shape, hint, f"{owner}.{attribute}")
            nullable = shape.nulls > 0
        present = shape.present if shape is not None else 0
        unknown = not sampled or total == 0  # no item says it is always there
        missing = not table_key and (present < total or unknown or annotation == "Any")
        is_set = annotation.startswith("set[")
        if (nullable or missing) and annotation != "Any" and not is_set:
            annotation += " | None"
        default: str | None = None
        if is_set:
            default = "set"
        elif missing:
            default = "None"
            if sampled and shape is not None and not comment:
                comment = f"in {present} of {total} sampled items"
        return _field_line(self, name, attribute, annotation, default, comment)

    def key_annotation(self, key_type: str, shape: _Shape | None) -> str:
        if key_type == "B":
            return "bytes"
        if key_type == "N":
            if shape is not None and shape.numbers and not shape.decimals:
                return "int"
            return self.use("decimal", "Decimal")
        if shape is not None and shape.strings:
            if shape.all_bool_text:
                return "bool"
            if shape.all_datetime and shape.all_canonical_datetime:
                return self.use("datetime", "datetime")
            if shape.all_date:
                return self.use("datetime", "date")
        return "str"

    def annotation(self, shape: _Shape, hint: str, where: str, *, literal: bool = True) -> str:
        """The type of the non-NULL sampled values of ``shape`` (None left to the caller); a
        ``Literal`` only for an attribute or a nested model's field (``literal``), not for the
        elements of a list or set or the values of a dict (tags, names: open sets)."""
        parts: list[str] = []
        if shape.strings:
            parts.append(self.string_annotation(shape, literal=literal))
        if shape.numbers:
            parts.append(self.use("decimal", "Decimal") if shape.decimals else "int")
        if shape.bools:
            parts.append("bool")
        if shape.binaries:
            parts.append("bytes")
        if shape.sets["SS"]:
            parts.append("set[str]")
        if shape.sets["NS"]:
            inner = self.use("decimal", "Decimal") if shape.number_set_decimal else "int"
            parts.append(f"set[{inner}]")
        if shape.sets["BS"]:
            parts.append("set[bytes]")
        if shape.lists:
            element = self.element_annotation(shape.elements, _singular(hint), f"{where}[]")
            parts.append(f"list[{element}]")
        if shape.maps:
            parts.append(self.map_annotation(shape, hint, where))
        return " | ".join(parts) if parts else self.use("typing", "Any")

    def element_annotation(self, shape: _Shape | None, hint: str, where: str) -> str:
        if shape is None or shape.present == 0 or shape.only_nulls:
            return self.use("typing", "Any")
        inner = self.annotation(shape, hint, where, literal=False)
        return inner + " | None" if shape.nulls and inner != "Any" else inner

    def string_annotation(self, shape: _Shape, *, literal: bool = True) -> str:
        if shape.all_datetime:
            return self.use("datetime", "datetime")
        if shape.all_date:
            return self.use("datetime", "date")
        distinct = shape.distinct
        limit = self.options.literal_max
        if (
            literal
            and distinct is not None
            and shape.literal_safe
            and 2 <= len(distinct) <= limit
            and shape.strings >= 2 * len(distinct)
        ):
            self.use("typing", "Literal")
            return "Literal[" + ", ".join(_py_str(v) for v in sorted(distinct)) + "]"
        return "str"

    def map_annotation(self, shape: _Shape, hint: str, where: str) -> str:
        keys = shape.map_keys
        record = (
            0 < len(keys) <= RECORD_MAX_KEYS
            and all(_IDENTIFIER.fullmatch(k) for k in keys)
            and (shape.maps == 1 or sum(keys.values()) >= 0.5 * len(keys) * shape.maps)
        )
        if record:
            return self.nested_model(shape, hint, where)
        values = self.element_annotation(shape.values, _singular(hint), f"{where}{{}}")
        return f"dict[str, {values}]"

    def nested_model(self, shape: _Shape, hint: str, where: str) -> str:
        name = self.class_name(hint)
        self.use("pydantic", "BaseModel")
        attributes = sorted(shape.entries)
        fields = _field_names(attributes, BaseModel)
        text = f"The map in {where} ({shape.maps} sampled, {len(attributes)} distinct keys)."
        lines = _docstring(text)
        if any(fields[a] != a for a in attributes):
            self.use("pydantic", "ConfigDict")
            lines += ["", "    model_config = ConfigDict(populate_by_name=True)"]
        lines.append("")
        for attribute in attributes:
            entry = shape.entries[attribute]
            if entry.only_nulls:
                annotation, nullable = self.use("typing", "Any"), False
            else:
                hint = name + _class_name(attribute, singular=False)
                annotation = self.annotation(entry, hint, f"{where}.{attribute}")
                nullable = entry.nulls > 0
            missing = entry.present < shape.maps or annotation == "Any"
            is_set = annotation.startswith("set[")
            if (nullable or missing) and annotation != "Any" and not is_set:
                annotation += " | None"
            default = "set" if is_set else ("None" if missing else None)
            lines += _field_line(self, fields[attribute], attribute, annotation, default, "")
        self.blocks.append(f"class {name}(BaseModel):\n" + "\n".join(lines))
        return name

    # Meta --------------------------------------------------------------------------------

    def meta_lines(
        self,
        info: TableInfo,
        fields: Mapping[str, str],
        indexes: Sequence[IndexInfo],
        ttl: str | None,
        notes: Sequence[str],
    ) -> list[str]:
        lines = ["    class Meta:", f"        table_name = {_py_str(info.table)}"]
        lines.append(f"        partition_key = {_py_str(fields[info.partition_key])}")
        if info.sort_key:
            lines.append(f"        sort_key = {_py_str(fields[info.sort_key])}")
        for kind, group in (("GSI", "gsis"), ("LSI", "lsis")):
            calls = [self.index_call(i, fields) for i in indexes if i.kind == kind]
            if calls:
                lines += _tuple_assignment(group, calls, "        ")
        if ttl:
            lines.append(f"        ttl_attribute = {_py_str(fields[ttl])}")
        if info.billing_mode == "PROVISIONED":
            lines.append('        billing_mode = "PROVISIONED"')
        if info.stream and "stream" in META_OPTIONS:
            lines.append(f"        stream = {_py_str(info.stream)}")
        elif info.stream:
            lines.append(f"        # the table has a stream ({info.stream})")
        for note in notes:
            wrapped = _wrap(note, LINE_LENGTH - 10)
            lines += [f"        # {w}" for w in wrapped]
        return lines

    def index_call(self, index: IndexInfo, fields: Mapping[str, str]) -> list[str]:
        kind = self.use("ddbwrap", index.kind)
        args = [_py_str(index.name)]
        if index.kind == "GSI":
            args.append(f"partition_key={_key_arg(index.partition_keys, fields)}")
        if index.sort_keys:
            args.append(f"sort_key={_key_arg(index.sort_keys, fields)}")
        if index.projection == "KEYS_ONLY":
            args.append(f"projection={self.use('ddbwrap', 'KEYS_ONLY')}")
        elif index.projection == "INCLUDE":
            include = self.use("ddbwrap", "INCLUDE")
            names = ", ".join(_py_str(fields[a]) for a in index.non_key_attributes)
            args.append(f"projection={include}({names})")
        return [kind, *args]


def _key_arg(names: Sequence[str], fields: Mapping[str, str]) -> str:
    """One field name, or a tuple of them for a native multi-attribute GSI key."""
    if len(names) == 1:
        return _py_str(fields[names[0]])
    return "(" + ", ".join(_py_str(fields[n]) for n in names) + ")"


def _field_line(
    gen: _Generator,
    name: str,
    attribute: str,
    annotation: str,
    default: str | None,
    comment: str,
) -> list[str]:
    """``name: annotation [= default]`` (with ``Field(...)`` for an alias or a set)."""
    alias = attribute if name != attribute else None
    value = ""
    if alias is not None or default == "set":
        args = []
        if default == "set":
            args.append("default_factory=set")
        elif default is not None:
            args.append(f"default={default}")
        if alias is not None:
            args.append(f"alias={_py_str(alias)}")
        value = f" = {gen.use('pydantic', 'Field')}({', '.join(args)})"
    elif default is not None:
        value = f" = {default}"
    line = f"    {name}: {annotation}{value}"
    if comment and len(line) + len(comment) + 4 <= LINE_LENGTH:
        line += f"  # {comment}"
    if len(line) <= LINE_LENGTH:
        return [line]
    if annotation.startswith("Literal["):
        inside, _, rest = annotation[len("Literal[") :].partition("]")
        return [
            f"    {name}: Literal[",
            *(f"        {v}," for v in inside.split(", ")),
            f"    ]{rest}{value}",
        ]
    return [line + "  # noqa: E501"]


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters, broken at spaces (names keep their hyphens)."""
    return textwrap.wrap(text, width, break_on_hyphens=False)


def _docstring(text: str, indent: str = "    ") -> list[str]:
    """The lines of a docstring holding ``text`` (a plain string literal when it has quotes,
    backslashes or unprintable characters)."""
    if _py_str(text) != f'"{text}"':
        literal = f"{indent}{_py_str(text)}"
        return [literal + ("  # noqa: E501" if len(literal) > LINE_LENGTH else "")]
    wrapped = _wrap(text, LINE_LENGTH - len(indent) - 4)
    if len(wrapped) == 1 and len(indent) + len(wrapped[0]) + 6 <= LINE_LENGTH:
        return [f'{indent}"""{wrapped[0]}"""']
    return [f'{indent}"""{wrapped[0]}', *(f"{indent}{w}" for w in wrapped[1:]), f'{indent}"""']


def _tuple_assignment(name: str, calls: Sequence[list[str]], indent: str) -> list[str]:
    rendered = [f"{c[0]}({', '.join(c[1:])})" for c in calls]
    one = f"{indent}{name} = ({', '.join(rendered)}{',' if len(rendered) == 1 else ''})"
    if len(one) <= LINE_LENGTH:
        return [one]
    lines = [f"{indent}{name} = ("]
    inner = indent + "    "
    for call, text in zip(calls, rendered, strict=True):
        if len(inner) + len(text) + 1 <= LINE_LENGTH:
            lines.append(f"{inner}{text},")
        else:
            lines.append(f"{inner}{call[0]}(")
            lines += [f"{inner}    {arg}," for arg in call[1:]]
            lines.append(f"{inner}),")
    lines.append(f"{indent})")
    return lines


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _snake(name: str) -> str:
    text = re.sub(r"[^0-9A-Za-z]+", "_", name)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    return re.sub(r"_+", "_", text).strip("_").lower()


def _field_names(attributes: Iterable[str], base: type[BaseModel]) -> dict[str, str]:
    """A pythonic, unique field name for every stored attribute name."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for attribute in attributes:
        name = _snake(attribute) or "field"
        if name[0].isdigit():
            name = f"f_{name}"
        if name.startswith(("model_validate", "model_dump")) or name == "model_config":
            name = f"f_{name}"
        if keyword.iskeyword(name) or name in _RESERVED or hasattr(base, name):
            name += "_"
        unique, number = name, 2
        while unique in taken:
            unique, number = f"{name}_{number}", number + 1
        taken.add(unique)
        out[attribute] = unique
    return out


def _class_name(table: str, *, singular: bool) -> str:
    words = [w for w in re.split(r"[^0-9A-Za-z]+", _snake(table)) if w]
    if singular and words:
        words[-1] = _singular(words[-1])
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Item"
    return f"T{name}" if name[0].isdigit() else name


def _singular(word: str) -> str:
    lower = word.lower()
    if lower.endswith("ies") and len(word) > 4:
        return word[:-3] + ("Y" if word[-3:].isupper() else "y")
    if lower.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's isort order inside one import: CONSTANTS, then Classes, then functions."""
    if name.isupper():
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)


def _py_str(text: str) -> str:
    """A double-quoted Python string literal of ``text`` (escapes for anything unprintable)."""
    out = ['"']
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char.isascii() and char.isprintable():
            out.append(char)
        else:
            out.append(char.encode("unicode_escape").decode("ascii"))
    out.append('"')
    return "".join(out)


# -- checking the result -----------------------------------------------------------------------


def load_generated(source: str, module_name: str | None = None) -> types.ModuleType:
    """Execute generated source as a module (registered in ``sys.modules``, as pydantic wants)."""
    name = module_name or f"ddbwrap_imported_{uuid.uuid4().hex[:12]}"
    module = types.ModuleType(name)
    sys.modules[name] = module
    try:
        exec(compile(source, f"<{name}>", "exec"), module.__dict__)  # our own output
    except BaseException:
        del sys.modules[name]
        raise
    return module


def check_round_trip(generated: GeneratedModule) -> list[RoundTripProblem]:
    """Decode every sampled item with its generated model and rebuild its key from the result;
    the problems (an item the model rejects, or a key that would address another item)."""
    module = load_generated(generated.source)
    try:
        problems: list[RoundTripProblem] = []
        for info in generated.tables:
            model = getattr(module, generated.model_for(info.table).name)
            codec = codec_for(model)
            for item in info.items:
                key = {a: item[a] for a, _ in info.key if a in item}
                where = key_description(key)
                try:
                    instance = codec.decode(item)
                    rebuilt = codec.key_of(instance)
                except DdbwrapError as exc:  # CorruptItemError, KeyValueError
                    problems.append(RoundTripProblem(info.table, where, str(exc)))
                    continue
                if rebuilt != key:
                    problems.append(
                        RoundTripProblem(
                            info.table, where, f"the model rebuilds its key as {rebuilt!r}"
                        )
                    )
        return problems
    finally:
        sys.modules.pop(module.__name__, None)


def live_tables(gateway: TableGateway) -> list[str]:
    """The logical names of the tables at the gateway's endpoint (its prefix and suffix)."""
    return sorted(gateway.list_tables())


__all__ = [
    "DEFAULT_NAME_TEMPLATE",
    "DEFAULT_SAMPLE",
    "DEFAULT_SEGMENTS",
    "GeneratedModule",
    "ImportOptions",
    "IndexInfo",
    "ModelClass",
    "RoundTripProblem",
    "TableInfo",
    "check_round_trip",
    "describe_live_table",
    "generate_module",
    "import_cloudformation",
    "import_live",
    "live_tables",
    "load_cloudformation",
    "load_generated",
    "sample_items",
    "table_info_from_description",
    "tables_from_cloudformation",
]
