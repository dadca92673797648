"""Design lint after seed 003's "Critical Production Warnings": each rule has a code, a severity,
the seed's warning text, and a fix. Silence a rule for one model with
``Meta.lint_ignore = ("DDB101",)``, for one source line with ``# noqa: DDB106``, or for a
whole run with ``--ignore``.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from ddbwrap.annotations import strip_optional
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
    )
}


def lint_models(models: Sequence[type[BaseModel]], *, ignore: Iterable[str] = ()) -> list[Finding]:
    """Design warnings for ``models``, minus ignored codes and each model's ``lint_ignore``."""
    skip = set(ignore)
    findings: list[Finding] = []
    for model in models:
        schema = schema_of(model)
        silenced = skip | set(schema.lint_ignore)
        for finding in _model_findings(model, schema):
            if finding.code not in silenced:
                findings.append(finding)
    findings += [f for f in _boundary_findings(models) if f.code not in skip]
    return findings


def _finding(code: str, model: str, message: str, fix: str, subject: str | None = None) -> Finding:
    rule = RULES[code]
    return Finding(rule.severity, code, message, fix, model=model, subject=subject)


def _model_findings(model: type[BaseModel], schema: TableSchema) -> Iterable[Finding]:
    name = schema.model_name
    partition_keys = [("table", schema.partition_key)] + [
        (g.name, g.partition_key) for g in schema.gsis
    ]
    for where, key in partition_keys:
        values = _cardinality(model, key)
        if values is not None:
            yield _finding(
                "DDB101",
                name,
                f"the {'table' if where == 'table' else f'GSI {where!r}'} partition key "
                f"{key.attribute!r} has at most {values} distinct values, so all its items and "
                f"traffic share {values} partition(s). {SEED_WARNINGS['hot']}",
                "add a high-cardinality part (e.g. KeyTemplate('gsi_pk', '{status}#{shard}') "
                "with a shard number), or make the index sparse (Optional key, None when not "
                "needed)",
                subject=where if where != "table" else key.attribute,
            )
    yield from _gsi_findings(model, schema)
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


def _cardinality(model: type[BaseModel], key: KeyAttribute) -> int | None:
    """The number of distinct values of a key, when small; None when high or unknown."""
    total = 1
    for field in key.fields:
        count = _values(model.model_fields[field].annotation)
        if count is None:
            return None
        total *= count
    return total if key.fields and total <= LOW_CARDINALITY else None


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
