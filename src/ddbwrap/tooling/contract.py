"""The migration contract of seed 003 (``migrationContract.json``), derived from the models.

One ``"type": "Table"`` entry per table (unique guard tables included), and with
``gsi_entries`` one ``"type": "GSI"`` entry per GSI. What ``Meta`` cannot say (the source
table of a migration, source columns, denormalization, the access patterns served, a measured
item size) comes from an *overrides* document::

    tables:
      goals:
        source_table: goal
        satisfies: ["Get goal by id", "List a tenant's goals"]
        estimated_item_size_bytes: 900
        attributes:
          tenant_name: {source_table: tenants, source_column: name, denormalized: true,
                        justification: "shown with every goal",
                        join: {local_column: tenant_id, source_column: id}}
        gsis:
          tenant-index: {satisfies: ["List a tenant's goals"]}

Without overrides, ``source_table`` is the table's name, ``source_column`` the field's name,
``satisfies`` is derived from the keys and indexes, and the size is estimated from the types.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from ddbwrap.errors import ValidationError

from .attributes import StoredAttribute, stored_attributes
from .sizes import estimated_item_size
from .spec import TableSpec, table_specs

_TABLE_OVERRIDES = {"source_table", "satisfies", "estimated_item_size_bytes", "attributes", "gsis"}
_ATTRIBUTE_OVERRIDES = {"source_table", "source_column", "denormalized", "justification", "join"}


def migration_contract(
    models: Sequence[type[BaseModel]],
    overrides: Mapping[str, Any] | None = None,
    *,
    gsi_entries: bool = False,
) -> list[dict[str, Any]]:
    """The contract entries of ``models`` (a JSON-ready list), overrides applied."""
    specs = table_specs(models)
    tables = _check_overrides(overrides or {}, specs)
    entries = []
    for spec in specs:
        extra = tables.get(spec.table, {})
        entry = _table_entry(spec, models, extra)
        entries.append(entry)
        if gsi_entries:
            entries.extend(_gsi_entries(spec, entry, extra))
    return entries


def _table_entry(
    spec: TableSpec, models: Sequence[type[BaseModel]], extra: Mapping[str, Any]
) -> dict[str, Any]:
    source = extra.get("source_table") or spec.table
    keys = {k["KeyType"]: k["AttributeName"] for k in spec.params["KeySchema"]}
    entry: dict[str, Any] = {
        "table": spec.table,
        "type": "Table",
        "source_table": source,
        "pk": keys["HASH"],
    }
    if "RANGE" in keys:
        entry["sk"] = keys["RANGE"]
    gsis = [_index_keys(i) for i in spec.gsis]
    if gsis:
        entry["gsis"] = gsis
    owners = spec.owners(models)
    stored = _merged_attributes(owners) if spec.kind == "table" else {}
    if spec.kind == "unique":
        stored = {"pk": StoredAttribute("pk", ("S",), True, key=True)}
    attribute_extra = extra.get("attributes", {})
    entry["attributes"] = {
        name: _attribute(attribute, source, attribute_extra.get(name, {}))
        for name, attribute in stored.items()
    }
    entry["satisfies"] = list(extra.get("satisfies") or _satisfies(spec))
    entry["estimated_item_size_bytes"] = int(
        extra.get("estimated_item_size_bytes") or _estimate(spec, owners)
    )
    return entry


def _gsi_entries(
    spec: TableSpec, table_entry: Mapping[str, Any], extra: Mapping[str, Any]
) -> list[dict[str, Any]]:
    out = []
    for index in spec.gsis:
        keys = _index_keys(index)
        projection = index["Projection"]
        names = set(keys.values()) | {table_entry["pk"], table_entry.get("sk")}
        if projection["ProjectionType"] == "ALL":
            names |= set(table_entry["attributes"])
        names |= set(projection.get("NonKeyAttributes", ()))
        attributes = {
            n: copy.deepcopy(a) for n, a in table_entry["attributes"].items() if n in names
        }
        size = sum(len(n) for n in attributes) + 10 * len(attributes)
        if projection["ProjectionType"] == "ALL":
            size = table_entry["estimated_item_size_bytes"]
        gsi_extra = extra.get("gsis", {}).get(index["IndexName"], {})
        entry = {
            "table": index["IndexName"],
            "type": "GSI",
            "source_table": table_entry["source_table"],
            "pk": keys["pk"],
            **({"sk": keys["sk"]} if "sk" in keys else {}),
            "attributes": attributes,
            "satisfies": list(gsi_extra.get("satisfies") or [f"Query by {keys['pk']}"]),
            "estimated_item_size_bytes": int(gsi_extra.get("estimated_item_size_bytes") or size),
        }
        out.append(entry)
    return out


def _index_keys(index: Mapping[str, Any]) -> dict[str, Any]:
    keys = {k["KeyType"]: k["AttributeName"] for k in index["KeySchema"]}
    out = {"name": index["IndexName"], "pk": keys["HASH"]}
    if "RANGE" in keys:
        out["sk"] = keys["RANGE"]
    return out


def _merged_attributes(models: Sequence[type[BaseModel]]) -> dict[str, StoredAttribute]:
    merged: dict[str, StoredAttribute] = {}
    for model in models:
        for attribute in stored_attributes(model):
            merged.setdefault(attribute.name, attribute)
    return merged


def contract_type(attribute: StoredAttribute) -> str:
    """The ``type`` of an attribute in the contract: its DynamoDB type(s), NULL left out."""
    kinds = [k for k in attribute.types if k != "NULL"] or ["NULL"]
    return "|".join(kinds)


def _attribute(attribute: StoredAttribute, source: str, extra: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": contract_type(attribute),
        "source_table": extra.get("source_table", source),
        "source_column": extra.get("source_column", attribute.field or attribute.name),
    }
    for key in ("denormalized", "justification", "join"):
        if key in extra:
            out[key] = extra[key]
    return out


def _satisfies(spec: TableSpec) -> list[str]:
    keys = {k["KeyType"]: k["AttributeName"] for k in spec.params["KeySchema"]}
    what = " and ".join(spec.models)
    if spec.kind == "unique":
        return [f"Enforce unique values of {what} (guard items written in the same transaction)"]
    patterns = [
        f"Get {what} by {keys['HASH']}" + (f" and {keys['RANGE']}" if "RANGE" in keys else "")
    ]
    if "RANGE" in keys:
        patterns.append(f"Query {what} by {keys['HASH']}, sorted by {keys['RANGE']}")
    for group in (spec.gsis, spec.lsis):
        for index in group:
            ik = {k["KeyType"]: k["AttributeName"] for k in index["KeySchema"]}
            sort = f", sorted by {ik['RANGE']}" if "RANGE" in ik else ""
            patterns.append(f"Query {what} by {ik['HASH']}{sort} ({index['IndexName']})")
    return patterns


def _estimate(spec: TableSpec, models: Sequence[type[BaseModel]]) -> int:
    if spec.kind == "unique":
        return 2 + 64
    return max((estimated_item_size(m) for m in models), default=0)


def _check_overrides(
    overrides: Mapping[str, Any], specs: Sequence[TableSpec]
) -> dict[str, dict[str, Any]]:
    """The per-table overrides, checked: unknown tables, keys or attributes are errors."""
    unknown = set(overrides) - {"tables"}
    if unknown:
        raise ValidationError(f"contract overrides: unknown top-level key(s) {sorted(unknown)}")
    tables = overrides.get("tables") or {}
    if not isinstance(tables, Mapping):
        raise ValidationError("contract overrides: 'tables' must map table names to settings")
    by_name = {s.table: s for s in specs}
    for table, settings in tables.items():
        where = f"contract overrides: tables.{table}"
        spec = by_name.get(table)
        if spec is None:
            raise ValidationError(f"{where}: no model declares this table ({sorted(by_name)})")
        if not isinstance(settings, Mapping) or set(settings) - _TABLE_OVERRIDES:
            raise ValidationError(f"{where}: allowed keys are {sorted(_TABLE_OVERRIDES)}")
        known = _known_attributes(spec)
        for name, attribute in (settings.get("attributes") or {}).items():
            _check_attribute(f"{where}.attributes.{name}", name, attribute, known)
        gsis = {i["IndexName"] for i in spec.gsis}
        for name in settings.get("gsis") or {}:
            if name not in gsis:
                raise ValidationError(f"{where}.gsis: {name!r} is not a GSI of this table")
    return {str(k): dict(v) for k, v in tables.items()}


def _known_attributes(spec: TableSpec) -> set[str]:
    names = {d["AttributeName"] for d in spec.params["AttributeDefinitions"]}
    for schema in spec.schemas:
        names |= set(schema.field_attributes.values())
    return names


def _check_attribute(where: str, name: str, attribute: Any, known: set[str]) -> None:
    if name not in known:
        raise ValidationError(f"{where}: the models store no attribute {name!r}")
    if not isinstance(attribute, Mapping) or set(attribute) - _ATTRIBUTE_OVERRIDES:
        raise ValidationError(f"{where}: allowed keys are {sorted(_ATTRIBUTE_OVERRIDES)}")
    if attribute.get("denormalized"):
        join = attribute.get("join")
        if not attribute.get("justification") or not isinstance(join, Mapping):
            raise ValidationError(
                f"{where}: a denormalized attribute needs a 'justification' and a 'join' "
                "({local_column, source_column}) (seed 003)"
            )
        if set(join) != {"local_column", "source_column"}:
            raise ValidationError(f"{where}.join: needs exactly local_column and source_column")
