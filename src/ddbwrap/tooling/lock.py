"""Schema hash and lock file: notice when the models' storage schema changed (seed 002).

The hash covers, per table: the derived CreateTable parameters (keys, attribute definitions,
indexes, projections, billing), TTL, the unique fields, and every stored attribute's DynamoDB
type(s) and whether it is required; as canonical JSON (sorted keys, indexes sorted by name).
It ignores what does not change storage: class names, docstrings, field order, defaults.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ddbwrap.errors import ValidationError

from .attributes import stored_attributes
from .spec import TableSpec, table_specs

LOCK_FORMAT_VERSION = 1
DEFAULT_LOCK_FILE = "ddbwrap.lock"


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
    return {
        "kind": spec.kind,
        "create_table": params,
        "ttl": spec.ttl_attribute,
        "unique": sorted(f"{s.model_name}.{f}" for s in spec.schemas for f in s.unique),
        "attributes": attributes,
    }


def _digest(document: Any) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def table_hashes(models: Sequence[type[BaseModel]]) -> dict[str, str]:
    """The hash of each table's canonical description."""
    return {table: _digest(doc) for table, doc in sorted(canonical_tables(models).items())}


def schema_hash(models: Sequence[type[BaseModel]]) -> str:
    """One hash of every table of ``models``: equal hashes mean equal storage schemas."""
    return _digest(table_hashes(models))


def lock_document(models: Sequence[type[BaseModel]]) -> dict[str, Any]:
    """The lock file's content for ``models`` (generated now)."""
    from ddbwrap import __version__

    specs = table_specs(models)
    hashes = table_hashes(models)
    return {
        "format_version": LOCK_FORMAT_VERSION,
        "schema_hash": _digest(hashes),
        "tables": len(specs),
        "indexes": sum(s.index_count for s in specs),
        "generated_at": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generated_by": f"ddbwrap {__version__}",
        "table_hashes": hashes,
    }


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
    return document


def write_lock(
    path: str | Path, models: Sequence[type[BaseModel]], *, force: bool = False
) -> tuple[dict[str, Any], bool]:
    """Write the lock file; returns (its content, whether it was written).

    When the file already holds the current hash it is left alone (its ``generated_at`` stays),
    unless ``force``.
    """
    current = lock_document(models)
    existing = read_lock(path) if not force else None
    if existing is not None and existing.get("schema_hash") == current["schema_hash"]:
        return existing, False
    Path(path).write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")
    return current, True


@dataclass
class LockCheck:
    """The outcome of comparing the models with a lock file."""

    lock_path: str
    current_hash: str
    locked_hash: str | None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def missing(self) -> bool:
        return self.locked_hash is None

    @property
    def ok(self) -> bool:
        return self.locked_hash == self.current_hash

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "lock": self.lock_path,
            "locked_hash": self.locked_hash,
            "current_hash": self.current_hash,
            "added_tables": self.added,
            "removed_tables": self.removed,
            "changed_tables": self.changed,
        }


def check_lock(path: str | Path, models: Sequence[type[BaseModel]]) -> LockCheck:
    """Compare the models with the lock file at ``path``, table by table."""
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
    return result
