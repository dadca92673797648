"""Schema hash and lock file: what changed in the models' storage schema, with history (seed 002).

The hash covers, per table: the derived CreateTable parameters (keys, attribute definitions,
indexes, projections, billing), TTL, the stream (when there is one), the unique fields, and every
stored attribute's DynamoDB type(s) and whether it is required; as canonical JSON (sorted keys,
indexes sorted by name). It ignores what does not change storage: class names, docstrings, field
order, defaults.

The lock file (JSON, ``format_version`` 1) holds the hash, the per-table hashes, a record of every
table and attribute (``schema``: stored name, DynamoDB types, key role, index membership,
optionality, TTL, stream) and the ``history``: one entry per locked version with its hash, time
and the list of changes from the version before, each classified for the readers and writers
on other services as ``breaking``, ``additive`` or ``neutral``. ``schema`` and ``history`` are
additions older ddbwrap versions ignore; a lock file written before them is read (and checked
table by table) and migrated by the next :func:`write_lock`.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from ddbwrap.errors import ValidationError

from .attributes import stored_attributes
from .spec import TableSpec, table_specs

LOCK_FORMAT_VERSION = 1
DEFAULT_LOCK_FILE = "ddbwrap.lock"

Impact = Literal["breaking", "additive", "neutral"]
IMPACTS: tuple[Impact, ...] = ("neutral", "additive", "breaking")
"""From least to most severe."""
FAIL_ON = ("breaking", "additive", "any")

_STREAM_WIDEST = "NEW_AND_OLD_IMAGES"
_ELEMENT_ORDER = ("table", "kind", "key", "attribute", "index", "ttl", "stream", "unique")


# -- canonical description and hashes -----------------------------------------------------------


def canonical_tables(models: Sequence[type[BaseModel]]) -> dict[str, dict[str, Any]]:
    """The hashed description of every table, by logical name."""
    out = {}
    for spec in table_specs(models):
        out[spec.table] = _canonical(spec, models)
    return out


def _canonical(spec: TableSpec, models: Sequence[type[BaseModel]]) -> dict[str, Any]:
    params = json.loads(json.dumps(spec.params))
    for group in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if group in params:
            params[group] = sorted(params[group], key=lambda i: i["IndexName"])
            for index in params[group]:
                projection = index["Projection"]
                if "NonKeyAttributes" in projection:
                    projection["NonKeyAttributes"] = sorted(projection["NonKeyAttributes"])
    attributes: dict[str, Any] = {}
    if spec.kind == "table":
        for model in spec.owners(models):
            for attribute in stored_attributes(model):
                attributes.setdefault(
                    attribute.name,
                    {"types": list(attribute.types), "required": attribute.required},
                )
    document = {
        "kind": spec.kind,
        "create_table": params,
        "ttl": spec.ttl_attribute,
        "unique": sorted(f"{s.model_name}.{f}" for s in spec.schemas for f in s.unique),
        "attributes": attributes,
    }
    stream = stream_of(spec)
    if stream is not None and "StreamSpecification" not in params:
        document["stream"] = stream  # (hashed once; tables without a stream keep their hash)
    return document


def stream_of(spec: TableSpec) -> str | None:
    """The stream view type a table's models declare (``Meta.stream``), None for no stream."""
    specification = spec.params.get("StreamSpecification") or {}
    if specification.get("StreamViewType"):
        return str(specification["StreamViewType"])
    for schema in spec.schemas:
        view = getattr(schema, "stream_view_type", None)
        if view:
            return str(view)
    return None


def _digest(document: Any) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def table_hashes(models: Sequence[type[BaseModel]]) -> dict[str, str]:
    """The hash of each table's canonical description."""
    return {table: _digest(doc) for table, doc in sorted(canonical_tables(models).items())}


def schema_hash(models: Sequence[type[BaseModel]]) -> str:
    """One hash of every table of ``models``: equal hashes mean equal storage schemas."""
    return _digest(table_hashes(models))


# -- the per-table and per-attribute record ------------------------------------------------------


def schema_records(models: Sequence[type[BaseModel]]) -> dict[str, dict[str, Any]]:
    """What the lock records of every table (by logical name): its key, indexes, billing mode,
    TTL, stream, unique fields, and each stored attribute's types, optionality, key role and
    index membership."""
    canonical = canonical_tables(models)
    return {table: _record(canonical[table]) for table in sorted(canonical)}


def _record(canonical: Mapping[str, Any]) -> dict[str, Any]:
    params = canonical["create_table"]
    types = {d["AttributeName"]: d["AttributeType"] for d in params["AttributeDefinitions"]}

    def keys(schema: Sequence[Mapping[str, str]]) -> dict[str, Any]:
        """partition/sort: {name, type}; a list of them for a native multi-attribute key."""
        out: dict[str, Any] = {}
        for role, kind in (("partition", "HASH"), ("sort", "RANGE")):
            names = [k["AttributeName"] for k in schema if k["KeyType"] == kind]
            parts = [{"name": n, "type": types.get(n)} for n in names]
            out[role] = (parts[0] if len(parts) == 1 else parts) if parts else None
        return out

    indexes: dict[str, Any] = {}
    for group, kind in (("GlobalSecondaryIndexes", "GSI"), ("LocalSecondaryIndexes", "LSI")):
        for index in params.get(group, ()):
            projection = index["Projection"]
            entry = {"type": kind, **keys(index["KeySchema"])}
            entry["projection"] = projection["ProjectionType"]
            if projection["ProjectionType"] == "INCLUDE":
                entry["attributes"] = sorted(projection.get("NonKeyAttributes", ()))
            indexes[index["IndexName"]] = entry
    record: dict[str, Any] = {
        "kind": canonical["kind"],
        "key": keys(params["KeySchema"]),
        "billing_mode": params["BillingMode"],
        "ttl": canonical["ttl"],
        "stream": (params.get("StreamSpecification") or {}).get("StreamViewType")
        or canonical.get("stream"),
        "unique": list(canonical["unique"]),
        "indexes": dict(sorted(indexes.items())),
        "attributes": {
            name: {"type": "|".join(a["types"]), "required": a["required"]}
            for name, a in sorted(canonical["attributes"].items())
        },
    }
    _derive(record)
    return record


def _derive(record: dict[str, Any]) -> None:
    """(Re)compute each attribute's key role, index membership and TTL flag from the table."""
    roles = {key["name"]: role for role, key in record["key"].items() if key is not None}
    memberships: dict[str, dict[str, str]] = {}
    for name, index in record["indexes"].items():
        for role in ("partition", "sort"):
            for part in _key_parts(index.get(role)):
                memberships.setdefault(part["name"], {})[name] = role
        for attribute in index.get("attributes", ()):
            memberships.setdefault(attribute, {}).setdefault(name, "projected")
    for name, attribute in record["attributes"].items():
        core = {"type": attribute["type"], "required": attribute["required"]}
        if name in roles:
            core["key"] = roles[name]
        if name in memberships:
            core["indexes"] = dict(sorted(memberships[name].items()))
        if name == record.get("ttl"):
            core["ttl"] = True
        record["attributes"][name] = core


# -- changes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaChange:
    """One difference between two locked schemas, classified for other services.

    ``element`` is what changed (``table``, ``kind``, ``key``, ``attribute``, ``index``,
    ``ttl``, ``stream``, ``billing_mode``, ``unique``), ``name`` the attribute or index;
    ``before``/``after`` its record in each version (None: absent), so a change can be undone.
    """

    table: str
    element: str
    name: str | None
    action: Literal["added", "removed", "changed"]
    impact: Impact
    message: str
    affects: tuple[str, ...] = ()
    """Who a breaking change breaks: ``readers`` and/or ``writers`` on other services."""
    before: Any = None
    after: Any = None
    exact: bool = True
    """False when the change was not recorded in detail (a lock file from before records)."""

    @property
    def subject(self) -> str:
        return f"{self.table}.{self.name}" if self.name else self.table

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "table": self.table,
            "element": self.element,
            "name": self.name,
            "action": self.action,
            "impact": self.impact,
            "message": self.message,
        }
        if self.affects:
            out["affects"] = list(self.affects)
        out["before"] = self.before
        out["after"] = self.after
        if not self.exact:
            out["exact"] = False
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SchemaChange:
        return cls(
            table=str(data["table"]),
            element=str(data["element"]),
            name=data.get("name"),
            action=data["action"],
            impact=data["impact"],
            message=str(data.get("message", "")),
            affects=tuple(data.get("affects", ())),
            before=data.get("before"),
            after=data.get("after"),
            exact=bool(data.get("exact", True)),
        )


def diff_schemas(
    old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]
) -> list[SchemaChange]:
    """Every change from the ``old`` records (:func:`schema_records`) to the ``new`` ones."""
    changes: list[SchemaChange] = []
    for table in sorted(set(old) | set(new)):
        before, after = old.get(table), new.get(table)
        if before is None:
            assert after is not None
            changes.append(_table_added(table, after))
        elif after is None:
            changes.append(_table_removed(table, before))
        else:
            changes += _table_changes(table, before, after)
    return sorted(changes, key=_change_order)


def _change_order(change: SchemaChange) -> tuple[str, int, str]:
    return (
        change.table,
        _ELEMENT_ORDER.index(change.element)
        if change.element in _ELEMENT_ORDER
        else len(_ELEMENT_ORDER),
        change.name or "",
    )


def _table_added(table: str, after: Mapping[str, Any]) -> SchemaChange:
    what = "unique guard table" if after.get("kind") == "unique" else "table"
    return SchemaChange(
        table,
        "table",
        None,
        "added",
        "additive",
        f"new {what} {_show_key(after['key'])}",
        after=copy.deepcopy(dict(after)),
    )


def _table_removed(table: str, before: Mapping[str, Any]) -> SchemaChange:
    return SchemaChange(
        table,
        "table",
        None,
        "removed",
        "breaking",
        "table removed from the models: services still using it are on their own",
        ("readers", "writers"),
        before=copy.deepcopy(dict(before)),
    )


def _table_changes(
    table: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[SchemaChange]:
    changes: list[SchemaChange] = []
    if before["kind"] != after["kind"]:
        changes.append(
            SchemaChange(
                table,
                "kind",
                None,
                "changed",
                "breaking",
                f"table kind changed from {before['kind']} to {after['kind']}",
                ("readers", "writers"),
                before["kind"],
                after["kind"],
            )
        )
    if before["key"] != after["key"]:
        changes.append(
            SchemaChange(
                table,
                "key",
                None,
                "changed",
                "breaking",
                f"table key changed from {_show_key(before['key'])} to {_show_key(after['key'])}"
                ": every item moves; a new table and a data migration are needed",
                ("readers", "writers"),
                copy.deepcopy(before["key"]),
                copy.deepcopy(after["key"]),
            )
        )
    changes += _attribute_changes(table, before["attributes"], after["attributes"])
    changes += _index_changes(table, before["indexes"], after["indexes"])
    changes += _setting_changes(table, before, after)
    return changes


def _attribute_changes(
    table: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[SchemaChange]:
    changes = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        old_core, new_core = _core(old), _core(new)
        if old_core == new_core:
            continue
        if old_core is None:
            assert new_core is not None
            types = new_core["type"]
            if new_core["required"]:
                changes.append(
                    SchemaChange(
                        table,
                        "attribute",
                        name,
                        "added",
                        "breaking",
                        f"new required attribute {name!r} ({types}): items other services "
                        "write without it no longer read here; give it a default or backfill "
                        "it first",
                        ("writers",),
                        None,
                        new_core,
                    )
                )
            else:
                changes.append(
                    SchemaChange(
                        table,
                        "attribute",
                        name,
                        "added",
                        "additive",
                        f"new optional attribute {name!r} ({types})",
                        (),
                        None,
                        new_core,
                    )
                )
            continue
        if new_core is None:
            changes.append(
                SchemaChange(
                    table,
                    "attribute",
                    name,
                    "removed",
                    "breaking",
                    f"attribute {name!r} ({old_core['type']}, "
                    f"{'required' if old_core['required'] else 'optional'}) removed: new items "
                    "lack it, so readers on other services that need it fail",
                    ("readers",),
                    old_core,
                    None,
                )
            )
            continue
        changes.append(_attribute_changed(table, name, old_core, new_core))
    return changes


def _core(record: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {"type": str(record["type"]), "required": bool(record["required"])}


def _attribute_changed(
    table: str, name: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> SchemaChange:
    gained = sorted(set(new["type"].split("|")) - set(old["type"].split("|")))
    lost = sorted(set(old["type"].split("|")) - set(new["type"].split("|")))
    affects: list[str] = []
    parts: list[str] = []
    if gained or lost:
        parts.append(f"type {old['type']} -> {new['type']}")
        if gained:
            affects.append("readers")  # they may now meet values of the new type(s)
        if lost:
            affects.append("writers")  # their values of the old type(s) no longer read here
    if old["required"] != new["required"]:
        if new["required"]:
            parts.append("now required")
            if "writers" not in affects:
                affects.append("writers")
        else:
            parts.append("now optional")
    impact: Impact = "breaking" if affects else "additive"
    what = "; ".join(parts)
    if impact == "breaking":
        message = f"attribute {name!r}: {what}; breaks {' and '.join(affects)} on other services"
    else:
        message = f"attribute {name!r}: {what} (writers may now leave it out)"
    return SchemaChange(
        table, "attribute", name, "changed", impact, message, tuple(affects), dict(old), dict(new)
    )


def _index_changes(
    table: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[SchemaChange]:
    changes = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if old is None:
            assert new is not None
            if new["type"] == "LSI":
                changes.append(
                    SchemaChange(
                        table,
                        "index",
                        name,
                        "added",
                        "breaking",
                        f"new LSI {name!r} {_show_key(new)}: an LSI can only be created with "
                        "its table, so the table must be recreated and its items copied",
                        ("readers", "writers"),
                        None,
                        copy.deepcopy(dict(new)),
                    )
                )
            else:
                changes.append(
                    SchemaChange(
                        table,
                        "index",
                        name,
                        "added",
                        "additive",
                        f"new GSI {name!r} {_show_key(new)} projecting {_show_projection(new)}",
                        (),
                        None,
                        copy.deepcopy(dict(new)),
                    )
                )
            continue
        if new is None:
            changes.append(
                SchemaChange(
                    table,
                    "index",
                    name,
                    "removed",
                    "breaking",
                    f"{old['type']} {name!r} removed: queries on it by other services fail",
                    ("readers",),
                    copy.deepcopy(dict(old)),
                    None,
                )
            )
            continue
        same_key = (old["type"], old["partition"], old["sort"]) == (
            new["type"],
            new["partition"],
            new["sort"],
        )
        if same_key and _projects_at_least(new, old):
            message = (
                f"{new['type']} {name!r} projects more: {_show_projection(old)} -> "
                f"{_show_projection(new)}"
            )
            impact: Impact = "additive"
            affects: tuple[str, ...] = ()
        elif same_key:
            message = (
                f"{new['type']} {name!r} projects less: {_show_projection(old)} -> "
                f"{_show_projection(new)}; readers of the dropped attributes on it fail"
            )
            impact, affects = "breaking", ("readers",)
        else:
            message = (
                f"{old['type']} {name!r} key changed from {_show_key(old)} to {_show_key(new)}"
                + (
                    ": an LSI cannot change, the table must be recreated"
                    if "LSI" in (old["type"], new["type"])
                    else ": queries on it change meaning"
                )
            )
            impact, affects = "breaking", ("readers",)
        changes.append(
            SchemaChange(
                table,
                "index",
                name,
                "changed",
                impact,
                message,
                affects,
                copy.deepcopy(dict(old)),
                copy.deepcopy(dict(new)),
            )
        )
    return changes


def _projects_at_least(new: Mapping[str, Any], old: Mapping[str, Any]) -> bool:
    if new["projection"] == "ALL":
        return True
    if old["projection"] == "ALL":
        return False
    return set(old.get("attributes", ())) <= set(new.get("attributes", ()))


def _setting_changes(
    table: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[SchemaChange]:
    changes = []
    old, new = before.get("ttl"), after.get("ttl")
    if old != new:
        if new is None:
            changes.append(
                SchemaChange(
                    table,
                    "ttl",
                    None,
                    "removed",
                    "additive",
                    f"TTL on {old!r} removed from the models: items no longer expire by it",
                    (),
                    old,
                    new,
                )
            )
        else:
            changes.append(
                SchemaChange(
                    table,
                    "ttl",
                    None,
                    "added" if old is None else "changed",
                    "breaking",
                    f"items now expire by {new!r}"
                    + (f" instead of {old!r}" if old else "")
                    + ": readers on other services lose items they may still expect",
                    ("readers",),
                    old,
                    new,
                )
            )
    old, new = before.get("stream"), after.get("stream")
    if old != new:
        if old is None:
            changes.append(
                SchemaChange(
                    table,
                    "stream",
                    None,
                    "added",
                    "additive",
                    f"stream added ({new})",
                    (),
                    old,
                    new,
                )
            )
        elif new is None:
            changes.append(
                SchemaChange(
                    table,
                    "stream",
                    None,
                    "removed",
                    "breaking",
                    f"stream ({old}) removed: its consumers stop receiving changes",
                    ("readers",),
                    old,
                    new,
                )
            )
        else:
            widened = new == _STREAM_WIDEST
            changes.append(
                SchemaChange(
                    table,
                    "stream",
                    None,
                    "changed",
                    "additive" if widened else "breaking",
                    f"stream view {old} -> {new}"
                    + ("" if widened else ": consumers lose the images they read"),
                    () if widened else ("readers",),
                    old,
                    new,
                )
            )
    old, new = before.get("billing_mode"), after.get("billing_mode")
    if old != new:
        changes.append(
            SchemaChange(
                table,
                "billing_mode",
                None,
                "changed",
                "neutral",
                f"billing mode {old} -> {new} (cost and capacity, not the data)",
                (),
                old,
                new,
            )
        )
    old, new = before.get("unique") or [], after.get("unique") or []
    if old != new:
        added = sorted(set(new) - set(old))
        impact: Impact = "breaking" if added else "additive"
        message = (
            f"unique fields {', '.join(added)} added: writers on other services do not write "
            "the guard items, so uniqueness holds only among this service's writes"
            if added
            else f"unique fields {', '.join(sorted(set(old) - set(new)))} no longer guarded"
        )
        changes.append(
            SchemaChange(
                table,
                "unique",
                None,
                "changed",
                impact,
                message,
                ("writers",) if added else (),
                list(old),
                list(new),
            )
        )
    return changes


def _show_key(record: Mapping[str, Any]) -> str:
    parts = [
        f"{part['name']} {part.get('type') or '?'}"
        for role in ("partition", "sort")
        for part in _key_parts(record.get(role))
    ]
    return "(" + ", ".join(parts) + ")"


def _key_parts(key: Any) -> list[Mapping[str, Any]]:
    """The attributes of a recorded key: none, one, or several (multi-attribute)."""
    if not key:
        return []
    return list(key) if isinstance(key, list) else [key]


def _show_projection(index: Mapping[str, Any]) -> str:
    if index["projection"] == "INCLUDE":
        return f"INCLUDE({', '.join(index.get('attributes', ()))})"
    return str(index["projection"])


def worst(changes: Sequence[SchemaChange]) -> Impact | None:
    """The most severe impact among ``changes`` (None for none)."""
    if not changes:
        return None
    return max((c.impact for c in changes), key=IMPACTS.index)


def counts(changes: Sequence[SchemaChange]) -> dict[str, int]:
    """``{"breaking": n, "additive": n, "neutral": n}``."""
    return {impact: sum(c.impact == impact for c in changes) for impact in reversed(IMPACTS)}


def _opaque_changes(
    old_hashes: Mapping[str, str], new_records: Mapping[str, Any], new_hashes: Mapping[str, str]
) -> list[SchemaChange]:
    """Table-level changes when the old version has no records (or records show nothing)."""
    changes = []
    for table in sorted(set(old_hashes) | set(new_hashes)):
        if table not in old_hashes:
            changes.append(_table_added(table, new_records[table]))
        elif table not in new_hashes:
            changes.append(
                SchemaChange(
                    table,
                    "table",
                    None,
                    "removed",
                    "breaking",
                    "table removed from the models",
                    ("readers", "writers"),
                    exact=False,
                )
            )
        elif old_hashes[table] != new_hashes[table]:
            changes.append(
                SchemaChange(
                    table,
                    "table",
                    None,
                    "changed",
                    "breaking",
                    "table changed; the lock file has no attribute records of the version "
                    "before, so what changed is unknown (counted as breaking)",
                    ("readers", "writers"),
                    exact=False,
                )
            )
    return changes


# -- the lock file -------------------------------------------------------------------------------


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _generated_by() -> str:
    from ddbwrap import __version__

    return f"ddbwrap {__version__}"


def lock_document(
    models: Sequence[type[BaseModel]], *, now: str | None = None, message: str | None = None
) -> dict[str, Any]:
    """The lock file's content for ``models`` as a first version (generated now)."""
    hashes = table_hashes(models)
    records = schema_records(models)
    entry = _entry(1, hashes, now or _now(), [], message)
    return _document(models, hashes, records, [entry], entry["locked_at"])


def _document(
    models: Sequence[type[BaseModel]],
    hashes: Mapping[str, str],
    records: Mapping[str, Any],
    history: list[dict[str, Any]],
    generated_at: str,
) -> dict[str, Any]:
    specs = table_specs(models)
    return {
        "format_version": LOCK_FORMAT_VERSION,
        "schema_hash": _digest(dict(hashes)),
        "tables": len(specs),
        "indexes": sum(s.index_count for s in specs),
        "generated_at": generated_at,
        "generated_by": _generated_by(),
        "table_hashes": dict(hashes),
        "version": history[-1]["version"],
        "schema": dict(records),
        "history": history,
    }


def _entry(
    version: int,
    hashes: Mapping[str, str],
    locked_at: str,
    changes: Sequence[SchemaChange] | None,
    message: str | None,
    *,
    locked_by: str | None = None,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "version": version,
        "schema_hash": _digest(dict(hashes)),
        "locked_at": locked_at,
        "locked_by": locked_by or _generated_by(),
    }
    if message:
        entry["message"] = message
    entry["table_hashes"] = dict(hashes)
    if changes is None:
        entry["changes"] = None  # written before ddbwrap recorded changes
    else:
        entry["summary"] = counts(changes)
        entry["changes"] = [c.as_dict() for c in changes]
    return entry


def read_lock(path: str | Path) -> dict[str, Any] | None:
    """The lock file's content, None when it does not exist; ValidationError when unreadable."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValidationError(f"lock file {str(path)!r} cannot be read: {exc}") from exc
    if not isinstance(document, dict) or "schema_hash" not in document:
        raise ValidationError(f"{str(path)!r} is not a ddbwrap lock file (no schema_hash)")
    version = document.get("format_version")
    if version != LOCK_FORMAT_VERSION:
        raise ValidationError(
            f"lock file {str(path)!r} has format_version {version!r}; this ddbwrap writes "
            f"{LOCK_FORMAT_VERSION}: regenerate it with `ddbwrap schema lock`"
        )
    history = document.get("history")
    if history is not None and (
        not isinstance(history, list)
        or not all(isinstance(e, dict) and isinstance(e.get("version"), int) for e in history)
        or not isinstance(document.get("schema"), dict)
    ):
        raise ValidationError(
            f"lock file {str(path)!r} has a malformed history or schema; restore it from "
            "version control (or delete it and run `ddbwrap schema lock`)"
        )
    return document


def has_history(document: Mapping[str, Any]) -> bool:
    """True for a lock file with attribute records and history (else: written before them)."""
    return isinstance(document.get("history"), list) and isinstance(document.get("schema"), dict)


@dataclass
class LockWrite:
    """What :func:`write_lock` did."""

    document: dict[str, Any]
    written: bool
    action: Literal["created", "locked", "migrated", "rewritten", "unchanged"]
    changes: list[SchemaChange] = field(default_factory=list)


def lock(
    path: str | Path,
    models: Sequence[type[BaseModel]],
    *,
    force: bool = False,
    message: str | None = None,
    now: str | None = None,
) -> LockWrite:
    """Lock the models' schema into ``path``, adding a version to its history when it changed.

    - no file: version 1;
    - the hash changed: a new version with the changes from the last one;
    - the same hash: the file is left alone (no churn in commits), unless ``force`` (rewritten,
      same version) or it predates attribute records and history (migrated: its version
      becomes version 1 of the history);
    - a lock file from before attribute records whose hash differs: its version becomes
      version 1 (no records), the models version 2 with table-level changes.
    """
    now = now or _now()
    try:
        existing = read_lock(path)
    except ValidationError:
        if not force:
            raise
        existing = None
    hashes = table_hashes(models)
    records = schema_records(models)
    current_hash = _digest(hashes)
    if existing is None:
        document = lock_document(models, now=now, message=message)
        return _write(path, LockWrite(document, True, "created"))
    same = existing.get("schema_hash") == current_hash
    if not has_history(existing):
        old_hashes = dict(existing.get("table_hashes") or {})
        first = _entry(
            1,
            old_hashes,
            str(existing.get("generated_at") or now),
            [] if same else None,
            None,
            locked_by=str(existing.get("generated_by") or "ddbwrap"),
        )
        first["schema_hash"] = existing["schema_hash"]
        first["migrated"] = True
        if same:
            document = _document(models, hashes, records, [first], first["locked_at"])
            return _write(path, LockWrite(document, True, "migrated"))
        changes = _opaque_changes(old_hashes, records, hashes)
        history = [first, _entry(2, hashes, now, changes, message)]
        document = _document(models, hashes, records, history, now)
        return _write(path, LockWrite(document, True, "migrated", changes))
    history = [dict(e) for e in existing["history"]]
    if same:
        if not force:
            return LockWrite(existing, False, "unchanged")
        document = _document(models, hashes, records, history, now)
        return _write(path, LockWrite(document, True, "rewritten"))
    changes = diff_schemas(existing["schema"], records) or _opaque_changes(
        existing.get("table_hashes") or {}, records, hashes
    )
    version = max(e["version"] for e in history) + 1 if history else 1
    history.append(_entry(version, hashes, now, changes, message))
    document = _document(models, hashes, records, history, now)
    return _write(path, LockWrite(document, True, "locked", changes))


def _write(path: str | Path, result: LockWrite) -> LockWrite:
    Path(path).write_text(dumps(result.document), encoding="utf-8")
    return result


LINE_WIDTH = 100


def dumps(document: Any) -> str:
    """The lock file's JSON: indented, with every object or array that fits in one line of
    ``LINE_WIDTH`` on one line (one attribute, index or change per line: diffs show what
    changed)."""
    return _render(document, 0, 0) + "\n"


def _render(value: Any, level: int, used: int) -> str:
    flat = json.dumps(value, separators=(", ", ": "))
    if (
        not isinstance(value, (dict, list))
        or not value
        or 2 * level + used + len(flat) < LINE_WIDTH
    ):
        return flat
    pad = "  " * (level + 1)
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            name = json.dumps(key) + ": "
            parts.append(pad + name + _render(item, level + 1, len(name)))
        return "{\n" + ",\n".join(parts) + "\n" + "  " * level + "}"
    parts = [pad + _render(item, level + 1, 0) for item in value]
    return "[\n" + ",\n".join(parts) + "\n" + "  " * level + "]"


def write_lock(
    path: str | Path,
    models: Sequence[type[BaseModel]],
    *,
    force: bool = False,
    message: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """Write the lock file; returns (its content, whether it was written). See :func:`lock`."""
    result = lock(path, models, force=force, message=message)
    return result.document, result.written


# -- checking ------------------------------------------------------------------------------------


@dataclass
class LockCheck:
    """The outcome of comparing the models with a lock file."""

    lock_path: str
    current_hash: str
    locked_hash: str | None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    changes: list[SchemaChange] = field(default_factory=list)
    """Attribute-level changes from the locked version to the models, classified."""
    locked_version: int | None = None
    attribute_level: bool = True
    """False when the lock file predates attribute records (changes are per table only)."""

    @property
    def missing(self) -> bool:
        return self.locked_hash is None

    @property
    def ok(self) -> bool:
        return self.locked_hash == self.current_hash

    @property
    def worst(self) -> Impact | None:
        return worst(self.changes)

    def fails(self, fail_on: str = "any") -> bool:
        """True when the check should fail: no lock file, or a change at or above ``fail_on``
        (``breaking``, ``additive``, or ``any``: any change, including a stale lock)."""
        if self.missing:
            return True
        if self.ok:
            return False
        if fail_on == "any":
            return True
        threshold = IMPACTS.index(fail_on)
        return any(IMPACTS.index(c.impact) >= threshold for c in self.changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "lock": self.lock_path,
            "locked_hash": self.locked_hash,
            "locked_version": self.locked_version,
            "current_hash": self.current_hash,
            "added_tables": self.added,
            "removed_tables": self.removed,
            "changed_tables": self.changed,
            "attribute_level": self.attribute_level,
            "counts": counts(self.changes),
            "changes": [c.as_dict() for c in self.changes],
        }


def check_lock(path: str | Path, models: Sequence[type[BaseModel]]) -> LockCheck:
    """Compare the models with the lock file at ``path``, table by table and attribute by
    attribute (when the lock file records attributes)."""
    current = table_hashes(models)
    result = LockCheck(str(path), _digest(current), None)
    existing = read_lock(path)
    if existing is None:
        return result
    result.locked_hash = str(existing["schema_hash"])
    locked: Mapping[str, str] = existing.get("table_hashes") or {}
    result.added = sorted(set(current) - set(locked))
    result.removed = sorted(set(locked) - set(current))
    result.changed = sorted(t for t in set(current) & set(locked) if current[t] != locked[t])
    result.attribute_level = has_history(existing)
    if has_history(existing):
        result.locked_version = int(existing.get("version") or existing["history"][-1]["version"])
    if result.ok:
        return result
    records = schema_records(models)
    if result.attribute_level:
        result.changes = diff_schemas(existing["schema"], records)
    if not result.changes:
        result.changes = _opaque_changes(locked, records, current)
    return result


# -- history -------------------------------------------------------------------------------------


def lock_history(path: str | Path) -> list[dict[str, Any]]:
    """The history entries of a lock file, oldest first (a lock file from before history: one
    entry for its only version, without changes)."""
    document = read_lock(path)
    if document is None:
        raise ValidationError(f"lock file {str(path)!r} does not exist")
    return _history_of(document)


def _history_of(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    if has_history(document):
        return sorted((dict(e) for e in document["history"]), key=lambda e: int(e["version"]))
    return [
        {
            "version": 1,
            "schema_hash": document["schema_hash"],
            "locked_at": document.get("generated_at"),
            "locked_by": document.get("generated_by"),
            "table_hashes": dict(document.get("table_hashes") or {}),
            "changes": None,
            "migrated": True,
        }
    ]


def find_version(history: Sequence[Mapping[str, Any]], wanted: str) -> Mapping[str, Any]:
    """The history entry named by ``wanted``: a version number or (a prefix of) its hash."""
    text = wanted.strip()
    if text.isdigit():
        for entry in history:
            if int(entry["version"]) == int(text):
                return entry
    else:
        digest = text.removeprefix("sha256:").lower()
        matches = [
            e for e in history if str(e["schema_hash"]).removeprefix("sha256:").startswith(digest)
        ]
        if len(digest) >= 4 and len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ValidationError(f"hash prefix {wanted!r} names {len(matches)} versions")
    known = ", ".join(str(e["version"]) for e in history)
    raise ValidationError(f"no locked version {wanted!r} (versions: {known})")


def restored_document(document: Mapping[str, Any], wanted: str) -> dict[str, Any]:
    """The lock file as it was when version ``wanted`` was locked (history up to it).

    Its attribute records are rebuilt by undoing the later versions' changes; when one of those
    was not recorded in detail (a lock file from before records), the restored lock holds the
    hashes only, which ``schema check`` still verifies table by table.
    """
    history = _history_of(document)
    entry = find_version(history, wanted)
    version = int(entry["version"])
    later = [e for e in history if int(e["version"]) > version]
    schema: dict[str, Any] | None = (
        copy.deepcopy(dict(document["schema"])) if has_history(document) else None
    )
    for newer in reversed(later):
        changes = newer.get("changes")
        if schema is None or changes is None:
            schema = None
            break
        parsed = [SchemaChange.from_dict(c) for c in changes]
        if not all(c.exact for c in parsed):
            schema = None
            break
        for change in reversed(parsed):
            _undo(schema, change)
    hashes = dict(entry.get("table_hashes") or {})
    out: dict[str, Any] = {
        "format_version": LOCK_FORMAT_VERSION,
        "schema_hash": entry["schema_hash"],
        "tables": len(hashes),
    }
    if schema is not None:
        out["indexes"] = sum(len(r.get("indexes", {})) for r in schema.values())
    out["generated_at"] = entry.get("locked_at")
    out["generated_by"] = entry.get("locked_by")
    out["table_hashes"] = hashes
    if schema is not None:
        out["version"] = version
        out["schema"] = dict(sorted(schema.items()))
        out["history"] = [e for e in history if int(e["version"]) <= version]
    out["restored_from"] = {"version": version, "at": _now()}
    return out


def _undo(schema: dict[str, Any], change: SchemaChange) -> None:
    table = change.table
    if change.element == "table":
        if change.before is None:
            schema.pop(table, None)
        else:
            schema[table] = copy.deepcopy(change.before)
            _derive(schema[table])
        return
    record = schema[table]
    if change.element in ("attribute", "index"):
        group = record["attributes" if change.element == "attribute" else "indexes"]
        assert change.name is not None
        if change.before is None:
            group.pop(change.name, None)
        else:
            group[change.name] = copy.deepcopy(change.before)
        record["attributes" if change.element == "attribute" else "indexes"] = dict(
            sorted(group.items())
        )
    else:
        record[change.element] = copy.deepcopy(change.before)
    _derive(record)


def restore_lock(path: str | Path, wanted: str, output: str | Path) -> dict[str, Any]:
    """Write the lock file ``path`` as it was at version ``wanted`` into ``output``."""
    document = read_lock(path)
    if document is None:
        raise ValidationError(f"lock file {str(path)!r} does not exist")
    restored = restored_document(document, wanted)
    Path(output).write_text(dumps(restored), encoding="utf-8")
    return restored
