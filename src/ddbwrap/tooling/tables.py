"""Create, ensure, describe and delete the tables of a set of models through a TableGateway.

Tables get their GSIs, LSIs and billing mode from ``CreateTable``, then TTL with
``UpdateTimeToLive`` once ACTIVE; unique guard tables are created alongside. ``ensure`` is
idempotent: it creates what is missing, enables TTL where it is off, and reports the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ddbwrap.errors import ServiceError, TableNotFoundError
from ddbwrap.gateway import TableGateway

from .drift import LiveTable, compare, fetch_live
from .findings import Finding
from .spec import TableSpec, table_specs

Progress = Callable[[str], None]


@dataclass
class TableResult:
    """What one command did to (or found about) one table."""

    table: str
    physical: str
    kind: str
    action: str
    """created | exists | ok | differs | deleted | absent | described | missing"""
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    live: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "table": self.table,
            "physical_name": self.physical,
            "kind": self.kind,
            "action": self.action,
        }
        if self.notes:
            out["notes"] = self.notes
        if self.findings:
            out["findings"] = [f.as_dict() for f in self.findings]
        if self.live is not None:
            out["live"] = self.live
        return out


def create_tables(
    gateway: TableGateway, models: Sequence[type[BaseModel]], progress: Progress | None = None
) -> list[TableResult]:
    """Create every table of ``models``; a table that exists already is reported, not changed."""
    results = []
    created = []
    for spec in table_specs(models):
        result = _result(gateway, spec, "created")
        if _create(gateway, spec, progress):
            created.append((spec, result))
        else:
            result.action = "exists"
            result.notes.append("not changed; `tables ensure` compares it with the models")
        results.append(result)
    _finish(gateway, created, progress)
    return results


def ensure_tables(
    gateway: TableGateway, models: Sequence[type[BaseModel]], progress: Progress | None = None
) -> list[TableResult]:
    """Create missing tables and GSIs, enable missing TTL; report every other difference."""
    results = []
    created = []
    for spec in table_specs(models):
        if progress:
            progress(f"checking {gateway.physical_table_name(spec.table)}")
        live = fetch_live(gateway, spec.table)
        result = _result(gateway, spec, "ok")
        if live is None:
            result.action = "created"
            if _create(gateway, spec, progress):
                created.append((spec, result))
            results.append(result)
            continue
        findings = compare(spec, live)
        added = _add_missing_gsis(gateway, spec, findings, progress)
        if added:
            result.notes.append(f"created GSI(s) {', '.join(added)} (DynamoDB backfills them)")
            findings = [f for f in findings if not (f.code == "DDB204" and f.subject in added)]
        if spec.ttl_attribute and live.ttl_attribute is None and spec.kind == "table":
            _enable_ttl(gateway, spec, progress)
            result.notes.append(f"enabled TTL on {spec.ttl_attribute!r}")
            findings = [f for f in findings if f.code != "DDB210"]
        result.findings = findings
        if findings:
            result.action = "differs"
        results.append(result)
    _finish(gateway, created, progress)
    return results


def _add_missing_gsis(
    gateway: TableGateway, spec: TableSpec, findings: Sequence[Finding], progress: Progress | None
) -> list[str]:
    """Create each declared GSI the live table lacks, one UpdateTable at a time (DynamoDB's
    rule), waiting for each to be ACTIVE; returns the names created."""
    missing = {f.subject for f in findings if f.code == "DDB204"}
    definitions = {d["AttributeName"]: d for d in spec.params["AttributeDefinitions"]}
    added = []
    for index in spec.gsis:
        name = index["IndexName"]
        if name not in missing:
            continue
        keys = [k["AttributeName"] for k in index["KeySchema"]]
        if progress:
            progress(f"creating GSI {name} on {gateway.physical_table_name(spec.table)}")
        gateway.wait_until_active(spec.table)  # an index still being deleted blocks the create
        gateway.update_table(
            {
                "TableName": spec.table,
                "AttributeDefinitions": [definitions[k] for k in keys],
                "GlobalSecondaryIndexUpdates": [{"Create": index}],
            }
        )
        gateway.wait_until_active(spec.table)
        added.append(name)
    return added


def describe_tables(
    gateway: TableGateway, models: Sequence[type[BaseModel]], progress: Progress | None = None
) -> list[TableResult]:
    """The live state of every table of ``models`` (a summary), with its drift findings."""
    results = []
    for spec in table_specs(models):
        if progress:
            progress(f"describing {spec.table}")
        live = fetch_live(gateway, spec.table)
        result = _result(gateway, spec, "described" if live else "missing")
        result.findings = compare(spec, live)
        if live is not None:
            result.live = summarize(live)
        results.append(result)
    return results


def delete_tables(
    gateway: TableGateway, models: Sequence[type[BaseModel]], progress: Progress | None = None
) -> list[TableResult]:
    """Delete every table of ``models`` (guard tables included); absent tables are reported."""
    results = []
    for spec in table_specs(models):
        result = _result(gateway, spec, "deleted")
        if progress:
            progress(f"deleting {result.physical}")
        try:
            gateway.delete_table(spec.table)
        except TableNotFoundError:
            result.action = "absent"
        results.append(result)
    return results


def summarize(live: LiveTable) -> dict[str, Any]:
    """The parts of a table description worth showing: status, keys, indexes, billing, TTL."""
    desc = live.description

    def keys(schema: Sequence[dict[str, str]]) -> dict[str, str]:
        return {k["KeyType"]: k["AttributeName"] for k in schema}

    def indexes(group: str) -> list[dict[str, Any]]:
        return [
            {
                "name": i["IndexName"],
                "keys": keys(i["KeySchema"]),
                "projection": i.get("Projection", {}).get("ProjectionType"),
                **({"status": i["IndexStatus"]} if "IndexStatus" in i else {}),
            }
            for i in desc.get(group, None) or ()
        ]

    return {
        "status": desc.get("TableStatus"),
        "item_count": desc.get("ItemCount"),
        "keys": keys(desc.get("KeySchema", [])),
        "attribute_types": {
            d["AttributeName"]: d["AttributeType"] for d in desc.get("AttributeDefinitions", [])
        },
        "gsis": indexes("GlobalSecondaryIndexes"),
        "lsis": indexes("LocalSecondaryIndexes"),
        "billing_mode": live.billing_mode,
        "ttl": live.ttl_attribute,
    }


def _result(gateway: TableGateway, spec: TableSpec, action: str) -> TableResult:
    return TableResult(spec.table, gateway.physical_table_name(spec.table), spec.kind, action)


def _create(gateway: TableGateway, spec: TableSpec, progress: Progress | None) -> bool:
    """CreateTable; False when the table exists already."""
    if progress:
        progress(f"creating {gateway.physical_table_name(spec.table)}")
    try:
        gateway.create_table(spec.params)
    except ServiceError as exc:
        if exc.aws_code == "ResourceInUseException":
            return False
        raise
    return True


def _finish(
    gateway: TableGateway,
    created: Sequence[tuple[TableSpec, TableResult]],
    progress: Progress | None,
) -> None:
    """Wait for new tables to be ACTIVE, then enable their TTL."""
    for spec, result in created:
        if progress:
            progress(f"waiting for {result.physical} to be ACTIVE")
        gateway.wait_until_active(spec.table)
        if spec.ttl_attribute and spec.kind == "table":
            _enable_ttl(gateway, spec, progress)
            result.notes.append(f"TTL on {spec.ttl_attribute!r}")


def _enable_ttl(gateway: TableGateway, spec: TableSpec, progress: Progress | None) -> None:
    assert spec.ttl_attribute is not None
    if progress:
        progress(f"enabling TTL on {spec.table}.{spec.ttl_attribute}")
    gateway.update_time_to_live(spec.table, spec.ttl_attribute, True)
