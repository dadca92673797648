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
import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from ddbwrap.errors import ValidationError

from .attributes import StoredAttribute, stored_attributes
from .findings import Finding, Severity
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
        names = {k["AttributeName"] for k in index["KeySchema"]}
        names |= {table_entry["pk"], table_entry.get("sk")}
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
            "satisfies": list(gsi_extra.get("satisfies") or [f"Query by {_show_key(keys['pk'])}"]),
            "estimated_item_size_bytes": int(gsi_extra.get("estimated_item_size_bytes") or size),
        }
        out.append(entry)
    return out


def _index_keys(index: Mapping[str, Any]) -> dict[str, Any]:
    """Name, pk and sk of an index: an attribute name, or a list of them for a native
    multi-attribute key."""
    out: dict[str, Any] = {"name": index["IndexName"]}
    for kind, name in (("HASH", "pk"), ("RANGE", "sk")):
        names = [k["AttributeName"] for k in index["KeySchema"] if k["KeyType"] == kind]
        if names:
            out[name] = names[0] if len(names) == 1 else names
    return out


def _show_key(key: str | list[str]) -> str:
    return key if isinstance(key, str) else " + ".join(key)


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
            ik = _index_keys(index)
            sort = f", sorted by {_show_key(ik['sk'])}" if "sk" in ik else ""
            patterns.append(f"Query {what} by {_show_key(ik['pk'])}{sort} ({index['IndexName']})")
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
        _check_table_values(where, settings)
        known = _known_attributes(spec)
        for name, attribute in (settings.get("attributes") or {}).items():
            _check_attribute(f"{where}.attributes.{name}", name, attribute, known)
        gsis = {i["IndexName"] for i in spec.gsis}
        for name in settings.get("gsis") or {}:
            if name not in gsis:
                raise ValidationError(f"{where}.gsis: {name!r} is not a GSI of this table")
    return {str(k): dict(v) for k, v in tables.items()}


def _check_table_values(where: str, settings: Mapping[str, Any]) -> None:
    """Seed 003's value types: a non-null source table, texts, a number of bytes."""
    if "source_table" in settings and not (
        isinstance(settings["source_table"], str) and settings["source_table"]
    ):
        raise ValidationError(f"{where}.source_table: must be a non-empty string (seed 003)")
    satisfies = settings.get("satisfies")
    if satisfies is not None and not (
        isinstance(satisfies, list) and all(isinstance(p, str) and p for p in satisfies)
    ):
        raise ValidationError(f"{where}.satisfies: must be a list of access-pattern texts")
    if "estimated_item_size_bytes" in settings and not _positive_integer(
        settings["estimated_item_size_bytes"]
    ):
        raise ValidationError(
            f"{where}.estimated_item_size_bytes: must be a positive integer number of bytes, "
            f"not {json_text(settings['estimated_item_size_bytes'])}"
        )
    for name, gsi in (settings.get("gsis") or {}).items():
        if isinstance(gsi, Mapping):
            _check_table_values(f"{where}.gsis.{name}", gsi)


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


# -- the seed-003 structure, checked strictly (``ddbwrap contract check``) ----------------------

SEED_TYPES = ("S", "N", "B")
"""The attribute types seed 003 allows: ``S`` (string), ``N`` (number), ``B`` (binary)."""
EXTENSION_TYPES = ("BOOL", "NULL", "L", "M", "SS", "NS", "BS", "*")
"""The other types ``ddbwrap export contract`` writes (``A|B`` for a union, ``*`` for any);
accepted by ``contract check --allow-extensions``."""
_ENTRY_KEYS = (
    "table",
    "type",
    "source_table",
    "pk",
    "sk",
    "gsis",
    "attributes",
    "satisfies",
    "estimated_item_size_bytes",
)
_GSI_KEYS = ("name", "pk", "sk")
_ATTRIBUTE_KEYS = ("type", *sorted(_ATTRIBUTE_OVERRIDES))
_REQUIRED_KEYS = ("table", "type", "source_table", "pk", "attributes")
_ALLOW_EXTENSIONS = (
    "pass --allow-extensions if every reader of the contract accepts ddbwrap's extensions "
    "(docs/tooling.md, `ddbwrap contract check`)"
)
_EXTENSIONS_FIX = "keep to seed 003's structure, or " + _ALLOW_EXTENSIONS


def contract_structure_findings(
    contract: Sequence[Any], *, allow_extensions: bool = False
) -> list[Finding]:
    """Findings for every way ``contract`` departs from the
    seed-003 structure, each naming its JSON path (``$[0].attributes.title.join``) and the fix.

    Codes: DDB401 an entry that cannot be read at all; DDB409 a value missing, null or of the
    wrong JSON type (numbers where numbers are due); DDB410 a denormalized attribute without
    ``justification`` or ``join {local_column, source_column}``; DDB411 a seed extension
    (DynamoDB types other than S/N/B, multi-attribute key lists, unknown keys), accepted with
    ``allow_extensions``; DDB412 an attribute type that is no DynamoDB type at all.
    """
    return _Structure(allow_extensions).check(contract)


class _Structure:
    def __init__(self, allow_extensions: bool) -> None:
        self.allow = allow_extensions
        self.findings: list[Finding] = []

    def add(self, severity: str, code: str, path: str, message: str, fix: str) -> None:
        self.findings.append(Finding(Severity[severity], code, message, fix, location=path))

    def check(self, contract: Sequence[Any]) -> list[Finding]:
        for number, entry in enumerate(contract):
            self.entry(f"$[{number}]", entry)
        return self.findings

    def entry(self, path: str, entry: Any) -> None:
        if not isinstance(entry, Mapping):
            self.add(
                "HIGH",
                "DDB401",
                path,
                f"entry is {_json_kind(entry)}, not an object",
                "each element of the array is one table or GSI object (seed 003)",
            )
            return
        missing = [k for k in _REQUIRED_KEYS if k not in entry]
        if missing:
            self.add(
                "HIGH",
                "DDB401",
                path,
                f"entry has no {', '.join(missing)}",
                f"add {', '.join(repr(k) for k in missing)} (seed 003 requires them; "
                "`ddbwrap export contract` writes a complete entry)",
            )
        self.unknown_keys(path, entry, _ENTRY_KEYS)
        self.string(path, entry, "table", "the DynamoDB table (or GSI) name")
        kind = entry.get("type")
        if "type" in entry and kind not in ("Table", "GSI"):
            self.add(
                "HIGH",
                "DDB401",
                f"{path}.type",
                f"type is {json_text(kind)}",
                'use "Table" or "GSI"',
            )
        self.string(
            path,
            entry,
            "source_table",
            'the primary source table of the migration (seed 003: "cannot be NULL")',
        )
        self.key(path, entry, "pk", required=True)
        self.key(path, entry, "sk", required=False)
        gsis = entry.get("gsis")
        if "gsis" in entry:
            if not isinstance(gsis, list):
                self.add(
                    "HIGH",
                    "DDB409",
                    f"{path}.gsis",
                    f"gsis is {_json_kind(gsis)}",
                    'make it an array of {"name", "pk", "sk"} objects, or leave it out',
                )
            else:
                for number, gsi in enumerate(gsis):
                    self.gsi(f"{path}.gsis[{number}]", gsi)
        attributes = entry.get("attributes")
        if "attributes" in entry:
            if not isinstance(attributes, Mapping):
                self.add(
                    "HIGH",
                    "DDB401",
                    f"{path}.attributes",
                    f"attributes is {_json_kind(attributes)}",
                    "make it an object mapping each attribute name to its description",
                )
            else:
                for name, attribute in attributes.items():
                    self.attribute(f"{path}.attributes{_member(str(name))}", attribute)
        satisfies = entry.get("satisfies")
        if "satisfies" in entry and not (
            isinstance(satisfies, list) and all(isinstance(s, str) and s for s in satisfies)
        ):
            self.add(
                "MEDIUM",
                "DDB409",
                f"{path}.satisfies",
                f"satisfies is {_json_kind(satisfies)}, not an array of access-pattern texts",
                'list the access patterns as strings: ["Get goal by id"]',
            )
        size = entry.get("estimated_item_size_bytes")
        if "estimated_item_size_bytes" in entry and not _positive_integer(size):
            self.add(
                "MEDIUM",
                "DDB409",
                f"{path}.estimated_item_size_bytes",
                f"estimated_item_size_bytes is {json_text(size)}, not a number of bytes",
                "write a positive integer number (not a string): 900",
            )

    def string(self, path: str, entry: Mapping[str, Any], key: str, what: str) -> None:
        if key not in entry:
            return
        value = entry[key]
        if not isinstance(value, str) or not value:
            self.add(
                "HIGH",
                "DDB409",
                f"{path}.{key}",
                f"{key} is {json_text(value)}",
                f"write {what} as a non-empty string",
            )

    def key(self, path: str, entry: Mapping[str, Any], key: str, *, required: bool) -> None:
        if key not in entry:
            return
        value = entry[key]
        if isinstance(value, str) and value:
            return
        if (
            isinstance(value, list)
            and 1 < len(value) <= 4
            and all(isinstance(v, str) and v for v in value)
        ):
            if not self.allow:
                self.add(
                    "MEDIUM",
                    "DDB411",
                    f"{path}.{key}",
                    f"{key} is a list {json_text(value)} (a native multi-attribute key): an "
                    "extension of seed 003, where a key is one attribute name",
                    _EXTENSIONS_FIX,
                )
            return
        if value is None and not required:
            self.add(
                "LOW",
                "DDB409",
                f"{path}.{key}",
                f"{key} is null",
                f"leave {key!r} out when there is none (seed 003: optional)",
            )
            return
        self.add(
            "HIGH",
            "DDB409",
            f"{path}.{key}",
            f"{key} is {json_text(value)}",
            f"write the {'partition' if key == 'pk' else 'sort'} key attribute name as a "
            "non-empty string",
        )

    def gsi(self, path: str, gsi: Any) -> None:
        if not isinstance(gsi, Mapping):
            self.add(
                "HIGH",
                "DDB409",
                path,
                f"GSI is {_json_kind(gsi)}",
                'write {"name": ..., "pk": ..., "sk": ...}',
            )
            return
        for key in ("name", "pk"):
            if key not in gsi:
                self.add(
                    "HIGH",
                    "DDB409",
                    f"{path}.{key}",
                    f"the GSI has no {key!r}",
                    f"add {key!r} (seed 003: name and pk are required, sk is optional)",
                )
        self.string(path, gsi, "name", "the index name")
        self.key(path, gsi, "pk", required=True)
        self.key(path, gsi, "sk", required=False)
        self.unknown_keys(path, gsi, _GSI_KEYS)

    def attribute(self, path: str, attribute: Any) -> None:
        if not isinstance(attribute, Mapping):
            self.add(
                "HIGH",
                "DDB409",
                path,
                f"attribute is {_json_kind(attribute)}",
                'describe it as an object: {"type": "S", "source_table": ..., '
                '"source_column": ...}',
            )
            return
        self.unknown_keys(path, attribute, _ATTRIBUTE_KEYS)
        if "type" not in attribute:
            self.add(
                "HIGH",
                "DDB409",
                f"{path}.type",
                "the attribute has no type",
                'add its DynamoDB type: "S", "N" or "B" (seed 003)',
            )
        else:
            self.type(f"{path}.type", attribute["type"])
        for key in ("source_table", "source_column"):
            if key in attribute:
                self.string(path, attribute, key, f"the MySQL {key.replace('_', ' ')}")
        denormalized = attribute.get("denormalized")
        if "denormalized" in attribute and not isinstance(denormalized, bool):
            self.add(
                "HIGH",
                "DDB409",
                f"{path}.denormalized",
                f"denormalized is {json_text(denormalized)}, not a boolean",
                "write true or false (a JSON boolean, not a string), or leave it out",
            )
        if denormalized is True:
            self.denormalized(path, attribute)

    def denormalized(self, path: str, attribute: Mapping[str, Any]) -> None:
        justification = attribute.get("justification")
        if not isinstance(justification, str) or not justification.strip():
            self.add(
                "HIGH",
                "DDB410",
                f"{path}.justification",
                "a denormalized attribute without a justification"
                + ("" if justification is None else f" (it is {json_text(justification)})"),
                'add "justification": why the copy is worth its cost (seed 003: required '
                "if denormalized is true)",
            )
        join = attribute.get("join")
        if not isinstance(join, Mapping):
            self.add(
                "HIGH",
                "DDB410",
                f"{path}.join",
                "a denormalized attribute without a join"
                + ("" if join is None else f" (it is {_json_kind(join)})"),
                'add "join": {"local_column": <join column of the primary source table>, '
                '"source_column": <join column of the denormalized source table>}',
            )
            return
        for key in ("local_column", "source_column"):
            value = join.get(key)
            if not isinstance(value, str) or not value:
                self.add(
                    "HIGH",
                    "DDB410",
                    f"{path}.join.{key}",
                    f"join.{key} is {json_text(value) if key in join else 'missing'}",
                    f"name the join column {_JOIN_SIDES[key]} as a non-empty string",
                )
        extra = sorted(set(join) - {"local_column", "source_column"})
        if extra:
            self.add(
                "MEDIUM",
                "DDB410",
                f"{path}.join",
                f"join has key(s) {', '.join(map(str, extra))} besides local_column and "
                "source_column",
                "keep exactly local_column and source_column (seed 003)",
            )

    def type(self, path: str, value: Any) -> None:
        if not isinstance(value, str) or not value:
            self.add(
                "HIGH",
                "DDB409",
                path,
                f"type is {json_text(value)}",
                'write the DynamoDB type as a string: "S", "N" or "B"',
            )
            return
        parts = value.split("|")
        unknown = [p for p in parts if p not in SEED_TYPES + EXTENSION_TYPES]
        if unknown:
            self.add(
                "HIGH",
                "DDB412",
                path,
                f"type {value!r} is not a DynamoDB type ({', '.join(map(repr, unknown))})",
                'use "S" (string), "N" (number) or "B" (binary), as seed 003 says',
            )
            return
        if (len(parts) > 1 or parts[0] not in SEED_TYPES) and not self.allow:
            self.add(
                "MEDIUM",
                "DDB411",
                path,
                f"type {value!r} is not one of seed 003's types S, N, B",
                _EXTENSIONS_FIX,
            )

    def unknown_keys(self, path: str, value: Mapping[str, Any], known: Sequence[str]) -> None:
        extra = [str(k) for k in value if k not in known]
        if extra and not self.allow:
            self.add(
                "LOW",
                "DDB411",
                path,
                f"key(s) {', '.join(map(repr, extra))} are not part of seed 003's structure",
                f"remove them (known keys: {', '.join(known)}), or " + _ALLOW_EXTENSIONS,
            )


_JOIN_SIDES = {
    "local_column": "in the primary source table",
    "source_column": "in the denormalized source table",
}


def _member(name: str) -> str:
    """``.name`` or ``["odd name"]``: a JSON path step."""
    return f".{name}" if name.isidentifier() else f"[{json_text(name)}]"


def _positive_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float) and value.is_integer():
        return value > 0
    return isinstance(value, int) and value > 0


def json_text(value: Any) -> str:
    """A value as JSON text, shortened (for messages)."""
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    for kind, name in (
        (bool, "a boolean"),
        (str, "a string"),
        ((int, float), "a number"),
        (list, "an array"),
        (Mapping, "an object"),
    ):
        if isinstance(value, kind):
            return name
    return type(value).__name__
