"""Design lint after seed 003's "Critical Production Warnings": each rule has a code, a severity,
the seed's warning text, and a fix. Silence a rule for one model with
``Meta.lint_ignore = ("DDB101",)``, for one source line with ``# noqa: DDB106``, or for a
whole run with ``--ignore``.

Cross-service rules (Entity Boundary, Schema Evolution) use ``Meta.owner``: a model whose
table another service owns (``owner = "pp_api"``) must read tolerantly (DDB111), must not
make attributes required that the owner's items may lack (DDB112, against the schema lock),
and scalar copies of another entity's attributes are flagged (DDB113). ``service`` names the
service running the lint: a table whose owner is that service is its own.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from ddbwrap.annotations import key_scalar_type, strip_optional
from ddbwrap.entities import distinguishable, indistinguishable_message, same_table_keys
from ddbwrap.meta import MAX_KEY_ATTRIBUTES
from ddbwrap.model import schema_of
from ddbwrap.schema import IndexSchema, KeyAttribute, TableSchema

from .attributes import is_unbounded_collection
from .discover import is_table_model
from .findings import Finding, Severity
from .spec import table_specs

LOW_CARDINALITY = 10
"""A key with at most this many distinct values concentrates traffic on few partitions."""
CASCADE_GSIS = 3
MAX_GSIS_WARN = 5
WIDE_ITEM_FIELDS = 12

SEED_WARNINGS = {
    "throttling": "Warning: GSI throttling will affect the entire base table. Consider "
    "dedicated capacity or alternative design.",
    "hot": "Warning: This access pattern may create hot partitions. Consider partition key "
    "sharding strategy.",
    "boundary": "Warning: Mixing data from different services/teams. Consider operational "
    "ownership boundaries.",
    "evolution": "Warning: This denormalization will complicate future schema changes. "
    "Document migration strategy.",
    "debugging": "Warning: Composite keys and denormalized data will increase debugging "
    "difficulty. Ensure adequate logging/monitoring.",
}


@dataclass(frozen=True)
class Rule:
    """A lint rule: its code, severity and one-line title."""

    code: str
    severity: Severity
    title: str


RULES = {
    rule.code: rule
    for rule in (
        Rule("DDB101", Severity.HIGH, "hot partition risk: low-cardinality partition key"),
        Rule("DDB102", Severity.MEDIUM, "GSI throttling cascade"),
        Rule("DDB103", Severity.MEDIUM, "projection ALL on wide items"),
        Rule("DDB104", Severity.MEDIUM, "unbounded list, map or set"),
        Rule("DDB105", Severity.MEDIUM, "too many GSIs"),
        Rule("DDB106", Severity.MEDIUM, "scan in a code path"),
        Rule("DDB107", Severity.INFO, "composite keys"),
        Rule("DDB108", Severity.LOW, "entity boundary: one table, several packages"),
        Rule("DDB109", Severity.MEDIUM, "denormalized entity"),
        Rule("DDB110", Severity.INFO, "GSI key template could be a native multi-attribute key"),
        Rule("DDB111", Severity.MEDIUM, "entity boundary: another service's table, strict reader"),
        Rule("DDB112", Severity.HIGH, "schema evolution: required attribute on a foreign table"),
        Rule("DDB113", Severity.MEDIUM, "scalar denormalized copy of another entity's attribute"),
        Rule("DDB114", Severity.MEDIUM, "several entities in one table that cannot be told apart"),
    )
}

CROSS_SERVICE_CODES = ("DDB108", "DDB109", "DDB111", "DDB112", "DDB113")
"""The Entity Boundary / Schema Evolution rules that ``tables create|ensure`` and ``export``
show as warnings (on stderr; they never change the exit code)."""

DENORMALIZED_MARK = "x-ddbwrap-denormalized"
"""``Field(json_schema_extra={"x-ddbwrap-denormalized": "tenants.name"})`` declares a field a
copy of another table's attribute (DDB113; the exported JSON Schema carries the mark)."""


def lint_models(
    models: Sequence[type[BaseModel]],
    *,
    ignore: Iterable[str] = (),
    service: str | None = None,
    lock: str | None = None,
) -> list[Finding]:
    """Design warnings for ``models``, minus ignored codes and each model's ``lint_ignore``.

    ``service``: the service running the lint (a table whose ``Meta.owner`` is this service is
    its own). ``lock``: a schema lock file; with it, attributes made required on another
    service's table since the locked version are reported (DDB112).
    """
    skip = set(ignore)
    findings: list[Finding] = []
    overloaded = _overloaded_gsis(models)
    for model in models:
        schema = schema_of(model)
        silenced = skip | set(schema.lint_ignore)
        checks = [
            _model_findings(model, schema),
            _boundary_reader_findings(model, schema, service),
            _copy_findings(model, schema, models, service),
        ]
        for finding in (f for group in checks for f in group):
            if finding.code in silenced:
                continue
            if finding.code == "DDB110" and (schema.table_name, finding.subject) in overloaded:
                continue  # several entities share the GSI: the template's text tells them apart
            findings.append(finding)
    findings += [f for f in _boundary_findings(models) if f.code not in skip]
    findings += [f for f in _entity_findings(models) if f.code not in skip]
    if lock is not None:
        findings += [f for f in _evolution_findings(models, lock, service) if f.code not in skip]
    return findings


def cross_service_warnings(
    models: Sequence[type[BaseModel]], *, service: str | None = None
) -> list[Finding]:
    """The Entity Boundary and Schema Evolution findings of ``models`` (``CROSS_SERVICE_CODES``
    minus each model's ``lint_ignore``): what ``tables`` and ``export`` warn about."""
    return [f for f in lint_models(models, service=service) if f.code in CROSS_SERVICE_CODES]


def foreign_owner(schema: TableSchema, service: str | None = None) -> str | None:
    """The owning service of ``schema``'s table when it is another service, else None."""
    owner = schema.owner
    return owner if owner is not None and owner != service else None


def _boundary_reader_findings(
    model: type[BaseModel], schema: TableSchema, service: str | None
) -> Iterable[Finding]:
    """DDB111: a model of another service's table that is not a tolerant reader. ddbwrap
    writes the whole model (WriteApi), so every model is on the write path; the owner's items
    must still read after the owner adds an attribute or a value."""
    owner = foreign_owner(schema, service)
    if owner is None:
        return
    name = schema.model_name
    problems: list[tuple[str, str | None]] = []
    if model.model_config.get("extra") == "forbid":
        problems.append(
            (
                "model_config extra='forbid': an item with an attribute "
                f"{owner} adds later no longer reads",
                None,
            )
        )
    keys = _key_fields(schema)
    for field, info in model.model_fields.items():
        if field in keys:
            continue  # a key's values are the table's design, agreed on with the owner
        closed = _values(info.annotation)
        if closed is not None and not _is_bool(info.annotation):
            problems.append(
                (
                    f"field {field!r} accepts only {closed} values: an item with a value "
                    f"{owner} adds later no longer reads",
                    field,
                )
            )
    if schema.versioning is not None:
        problems.append(
            (
                f"writes stamp {schema.versioning.attribute!r} (Meta.schema_version), an "
                f"attribute {owner} does not write or expect",
                None,
            )
        )
    for message, subject in problems:
        yield _finding(
            "DDB111",
            name,
            f"table {schema.table_name!r} is owned by {owner} (Meta.owner) and this model "
            f"reads and writes it, but {message}. {SEED_WARNINGS['boundary']}",
            "read tolerantly: keep extra='ignore' (the default), declare open values as str "
            "and put the allowed values in the DTOs this service writes (examples/goals does), "
            "and leave stamps off the owner's table; or Meta.lint_ignore = ('DDB111',) when "
            f"{owner} agreed to the contract",
            subject=subject,
        )


def _evolution_findings(
    models: Sequence[type[BaseModel]], lock: str, service: str | None
) -> Iterable[Finding]:
    """DDB112: an attribute made required (added as required, or optional before) on a table
    another service owns, since the version in the lock file."""
    from .lock import check_lock

    owners = {}
    silenced: dict[str, set[str]] = {}
    for model in models:
        schema = schema_of(model)
        owner = foreign_owner(schema, service)
        if owner is not None:
            owners[schema.table_name] = (owner, schema.model_name)
            silenced.setdefault(schema.table_name, set()).update(schema.lint_ignore)
    if not owners:
        return
    for change in check_lock(lock, models).changes:
        if change.table not in owners or "DDB112" in silenced.get(change.table, ()):
            continue
        after = change.after if isinstance(change.after, Mapping) else {}
        before = change.before if isinstance(change.before, Mapping) else {}
        if change.element != "attribute" or not after.get("required"):
            continue
        if before and before.get("required"):
            continue
        owner, model_name = owners[change.table]
        what = "added as required" if not before else "made required (it was optional)"
        yield _finding(
            "DDB112",
            model_name,
            f"attribute {change.name!r} of table {change.table!r}, owned by {owner}, is {what} "
            f"since the locked version: the items {owner} writes lack it, and every read of "
            f"them fails. {SEED_WARNINGS['evolution']}",
            f"give the field a default (or make it Optional) until {owner} writes it and the "
            "existing items are backfilled (ddbwrap migrate data), then lock the schema",
            subject=change.name,
        )


_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


def _copy_findings(
    model: type[BaseModel],
    schema: TableSchema,
    models: Sequence[type[BaseModel]],
    service: str | None,
) -> Iterable[Finding]:
    """DDB113: a scalar field that copies an attribute of another table's entity: declared
    with ``x-ddbwrap-denormalized``, or named ``<entity>_<field>`` after another model's
    non-key field (``author_name`` for ``Author.name``)."""
    others: dict[str, type[BaseModel]] = {}
    for other in models:
        other_schema = schema_of(other)
        if other is model or other_schema.table_name == schema.table_name:
            continue
        for prefix in _entity_names(other, other_schema):
            others.setdefault(prefix, other)
    for field, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        declared = extra.get(DENORMALIZED_MARK)
        source: str | None = None
        if isinstance(declared, str) and declared:
            source = declared
        else:
            for prefix, other in others.items():
                rest = field[len(prefix) + 1 :] if field.startswith(prefix + "_") else ""
                other_schema = schema_of(other)
                if rest and rest in other.model_fields and rest not in _key_fields(other_schema):
                    source = f"{other_schema.table_name}.{other_schema.field_attributes[rest]}"
                    break
        if source is None or _embedded_table_model(info.annotation) is not None:
            continue  # DDB109 reports embedded entities
        owner = foreign_owner(schema, service)
        boundary = f" {SEED_WARNINGS['boundary']}" if owner else ""
        yield _finding(
            "DDB113",
            schema.model_name,
            f"field {field!r} is a denormalized copy of {source}: every change of the source "
            "must be written here too, and a change of its type or meaning migrates both. "
            f"{SEED_WARNINGS['evolution']}{boundary}",
            "document who keeps the copy in sync and how it migrates (the contract's "
            "denormalized/justification/join), or read the source by its key; silence with "
            "Meta.lint_ignore = ('DDB113',) once documented",
            subject=field,
        )


def _entity_names(model: type[BaseModel], schema: TableSchema) -> set[str]:
    snake = _SNAKE.sub("_", model.__name__).lower()
    table = schema.table_name.lower().replace("-", "_")
    names = {snake, table}
    if table.endswith("s"):
        names.add(table[:-1])
    return {n for n in names if n}


def _key_fields(schema: TableSchema) -> set[str]:
    return set(schema.key_fields) | {
        k.field for k in schema.index_key_attributes.values() if k.field
    }


def _is_bool(annotation: Any) -> bool:
    annotation = strip_optional(annotation)
    return isinstance(annotation, type) and issubclass(annotation, bool)


def _overloaded_gsis(models: Sequence[type[BaseModel]]) -> set[tuple[str, str]]:
    """(table, GSI) pairs declared by more than one of ``models`` (an overloaded index)."""
    seen: dict[tuple[str, str], set[str]] = {}
    for model in models:
        schema = schema_of(model)
        for index in schema.gsis:
            seen.setdefault((schema.table_name, index.name), set()).add(schema.model_name)
    return {pair for pair, owners in seen.items() if len(owners) > 1}


def _finding(code: str, model: str, message: str, fix: str, subject: str | None = None) -> Finding:
    rule = RULES[code]
    return Finding(rule.severity, code, message, fix, model=model, subject=subject)


def _model_findings(model: type[BaseModel], schema: TableSchema) -> Iterable[Finding]:
    name = schema.model_name
    partition_keys = [("table", (schema.partition_key,))] + [
        (g.name, g.partition_keys) for g in schema.gsis
    ]
    for where, keys in partition_keys:
        values = _cardinality(model, keys)
        key = keys[0]
        if values is not None:
            shown = "+".join(k.attribute for k in keys)
            yield _finding(
                "DDB101",
                name,
                f"the {'table' if where == 'table' else f'GSI {where!r}'} partition key "
                f"{shown!r} has at most {values} distinct values, so all its items and "
                f"traffic share {values} partition(s). {SEED_WARNINGS['hot']}",
                "add a high-cardinality part (e.g. KeyTemplate('gsi_pk', '{status}#{shard}') "
                "with a shard number), or make the index sparse (Optional key, None when not "
                "needed)",
                subject=where if where != "table" else key.attribute,
            )
    yield from _gsi_findings(model, schema)
    yield from _native_key_findings(model, schema)
    for field, info in model.model_fields.items():
        if is_unbounded_collection(info.annotation, info.metadata):
            yield _finding(
                "DDB104",
                name,
                f"field {field!r} is a collection without max_length: its items grow with it "
                "toward DynamoDB's 400 KB item limit, and every write pays for the whole item "
                "(seed 003: item size trajectory)",
                "bound it (Field(max_length=N)), or store its elements as separate items under "
                "the same partition key",
                subject=field,
            )
        embedded = _embedded_table_model(info.annotation)
        if embedded is not None:
            yield _finding(
                "DDB109",
                name,
                f"field {field!r} embeds {embedded.__name__}, the entity of table "
                f"{schema_of(embedded).table_name!r}: a denormalized copy. "
                f"{SEED_WARNINGS['evolution']}",
                "store its key and read it from its table, or document how the copy is kept in "
                "sync and migrated",
                subject=field,
            )
    if any(k.template is not None for k in schema.index_key_attributes.values()):
        templates = sorted(
            k.attribute for k in schema.index_key_attributes.values() if k.template is not None
        )
        yield _finding(
            "DDB107",
            name,
            f"composite key attribute(s) {', '.join(templates)}. {SEED_WARNINGS['debugging']}",
            "log the rendered keys with each request id; keep templates readable (ENTITY#{id})",
            subject=templates[0],
        )


def _gsi_findings(model: type[BaseModel], schema: TableSchema) -> Iterable[Finding]:
    name = schema.model_name
    gsis = schema.gsis
    provisioned_all = schema.billing_mode == "PROVISIONED" and any(
        g.projection.type == "ALL" for g in gsis
    )
    if len(gsis) >= CASCADE_GSIS or provisioned_all:
        why = (
            f"{len(gsis)} GSIs: every write to the table is also written to each of them"
            if len(gsis) >= CASCADE_GSIS
            else "a provisioned table whose GSIs project ALL: each write costs the GSI as much "
            "as the table"
        )
        yield _finding(
            "DDB102",
            name,
            f"{why}. {SEED_WARNINGS['throttling']}",
            "drop GSIs no access pattern needs, project KEYS_ONLY/INCLUDE, use on-demand "
            "billing or give each GSI its own capacity",
        )
    if len(gsis) > MAX_GSIS_WARN:
        yield _finding(
            "DDB105",
            name,
            f"{len(gsis)} GSIs (more than {MAX_GSIS_WARN}): each multiplies write cost and "
            "storage, and each can throttle the table",
            "serve several access patterns with one overloaded GSI (generic key attributes), "
            "or move rarely used patterns to a separate table",
        )
    wide = len(model.model_fields) > WIDE_ITEM_FIELDS or any(
        is_unbounded_collection(i.annotation, i.metadata) for i in model.model_fields.values()
    )
    for index in schema.indexes:
        if wide and index.projection.type == "ALL":
            yield _wide_projection(name, index, len(model.model_fields))


def _native_key_findings(model: type[BaseModel], schema: TableSchema) -> Iterable[Finding]:
    """DDB110: a GSI key that is a KeyTemplate concatenating fields the item stores anyway
    could be a native multi-attribute key (DynamoDB, November 2025): no synthetic attribute to
    write, backfill or parse, and each part keeps its own type."""
    for index in schema.gsis:
        parts: dict[str, tuple[str, ...]] = {}
        for role, keys in (("partition_key", index.partition_keys), ("sort_key", index.sort_keys)):
            fields = tuple(f for k in keys for f in k.fields)
            if fields:
                parts[role] = fields
        templates = [k for k in index.key_attributes if k.template is not None]
        if not templates or not _native_ready(model, schema, parts):
            continue
        declared = ", ".join(
            f"{role}=" + (repr(fields[0]) if len(fields) == 1 else repr(fields))
            for role, fields in parts.items()
        )
        patterns = ", ".join(
            f"{k.attribute}={k.template.pattern!r}" for k in templates if k.template
        )
        yield _finding(
            "DDB110",
            schema.model_name,
            f"GSI {index.name!r} keys on {patterns}: text that only concatenates fields every "
            "item stores anyway. A native multi-attribute key indexes those attributes "
            "directly, each with its own type, with no synthetic attribute to write, backfill "
            "or parse",
            f"declare GSI({index.name!r}, {declared}) (a new index name if the table is live: "
            "DynamoDB builds it from the attributes the items already hold), switch the "
            "queries to it, then drop the old one; keep the template where other services "
            "query the rendered key",
            subject=index.name,
        )


def _native_ready(
    model: type[BaseModel], schema: TableSchema, parts: dict[str, tuple[str, ...]]
) -> bool:
    """True when the fields of each key are at most four, each named once, and each stored
    under its own attribute with a type DynamoDB can index."""
    every = [f for fields in parts.values() for f in fields]
    if len(set(every)) != len(every) or any(len(f) > MAX_KEY_ATTRIBUTES for f in parts.values()):
        return False
    for field in every:
        info = model.model_fields.get(field)
        if info is None or field not in schema.field_attributes:
            return False
        if key_scalar_type(info.annotation) is None:
            return False
    return True


def _wide_projection(name: str, index: IndexSchema, fields: int) -> Finding:
    return _finding(
        "DDB103",
        name,
        f"{index.kind} {index.name!r} projects ALL of a wide item ({fields} fields or unbounded "
        "collections): every write copies the whole item into the index",
        "project KEYS_ONLY, or INCLUDE(...) only the fields the index's views read",
        subject=index.name,
    )


def _boundary_findings(models: Sequence[type[BaseModel]]) -> Iterable[Finding]:
    for spec in table_specs(models):
        owners = spec.owners(models)
        packages = sorted({m.__module__.rsplit(".", 1)[0] for m in owners})
        if spec.kind == "table" and len(packages) > 1:
            yield Finding(
                RULES["DDB108"].severity,
                "DDB108",
                f"models from packages {', '.join(packages)} share this table. "
                f"{SEED_WARNINGS['boundary']}",
                "give each service (team) its own table, or document who owns which items",
                table=spec.table,
            )
        declared = {schema_of(m).owner for m in owners}
        if spec.kind == "table" and len(declared) > 1:
            shown = sorted(o or "this service (no Meta.owner)" for o in declared)
            yield Finding(
                RULES["DDB108"].severity,
                "DDB108",
                f"the models of this table disagree on its owner ({', '.join(shown)}). "
                f"{SEED_WARNINGS['boundary']}",
                "give every model of the table the same Meta.owner (the service that deploys "
                "and migrates it)",
                table=spec.table,
            )


def _entity_findings(models: Sequence[type[BaseModel]]) -> Iterable[Finding]:
    """DDB114: two models of one table whose items nothing tells apart, so a read through one
    returns the other's items as its own (or fails on them)."""
    for spec in table_specs(models):
        if spec.kind != "table":
            continue
        owners = list(dict.fromkeys(spec.owners(models)))
        for position, later in enumerate(owners):
            for earlier in owners[:position]:
                a, b = schema_of(earlier), schema_of(later)
                if not same_table_keys(a, b) or distinguishable(a, b):
                    continue
                if "DDB114" in b.lint_ignore:
                    continue
                yield _finding(
                    "DDB114",
                    later.__name__,
                    f"{later.__name__} {indistinguishable_message(earlier.__name__, spec.table)}",
                    "declare Meta.entity on both models (KeyPrefix() with distinct key-template "
                    "text, or Discriminator('<field>')), or read them as one Collection",
                    subject=earlier.__name__,
                )


def _cardinality(model: type[BaseModel], keys: tuple[KeyAttribute, ...]) -> int | None:
    """The number of distinct values of a key (of all its attributes), when small; None when
    high or unknown."""
    total = 1
    fields = [f for key in keys for f in key.fields]
    for field in fields:
        count = _values(model.model_fields[field].annotation)
        if count is None:
            return None
        total *= count
    return total if fields and total <= LOW_CARDINALITY else None


def _values(annotation: Any) -> int | None:
    annotation = strip_optional(annotation)
    if get_origin(annotation) is Literal:
        return len(get_args(annotation))
    if isinstance(annotation, type):
        if issubclass(annotation, bool):
            return 2
        if issubclass(annotation, enum.Enum):
            return len(annotation)
    return None


def _embedded_table_model(annotation: Any) -> type[BaseModel] | None:
    if is_table_model(annotation):
        return annotation  # type: ignore[no-any-return]
    for arg in get_args(annotation):
        found = _embedded_table_model(arg)
        if found is not None:
            return found
    return None
