"""Drift: compare the tables the models declare with live tables (DescribeTable, TTL).

Severities: a missing table or a different table key is CRITICAL (nothing works); a missing
index or a key attribute of another type is HIGH (some reads fail); a different projection or
billing mode, or TTL not as declared, is MEDIUM; an index (or, when asked, a table) the models do
not know is LOW.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ddbwrap.errors import TableNotFoundError
from ddbwrap.gateway import TableGateway

from .findings import Finding, Severity
from .spec import TableSpec, table_specs

Progress = Callable[[str], None]

ENSURE_FIX = "create it: ddbwrap tables ensure MODELS (or deploy the CloudFormation export)"


@dataclass
class LiveTable:
    """What DynamoDB says about one table (None fields: not fetched or not there)."""

    description: Mapping[str, Any]
    ttl: Mapping[str, Any] = field(default_factory=dict)

    @property
    def billing_mode(self) -> str:
        summary = self.description.get("BillingModeSummary") or {}
        return str(summary.get("BillingMode") or "PROVISIONED")

    @property
    def ttl_attribute(self) -> str | None:
        """The TTL attribute when TTL is enabled (or being enabled), else None."""
        status = self.ttl.get("TimeToLiveStatus")
        if status in ("ENABLED", "ENABLING"):
            return str(self.ttl.get("AttributeName"))
        return None


def fetch_live(gateway: TableGateway, table: str) -> LiveTable | None:
    """The live state of a logical table, or None when it does not exist."""
    try:
        description = gateway.describe_table(table)["Table"]
    except TableNotFoundError:
        return None
    ttl = gateway.describe_time_to_live(table).get("TimeToLiveDescription", {})
    return LiveTable(description, ttl)


def compare(spec: TableSpec, live: LiveTable | None) -> list[Finding]:
    """Every difference between one declared table and its live state."""
    if live is None:
        what = "unique guard table" if spec.kind == "unique" else "table"
        return [
            _finding(
                spec,
                Severity.CRITICAL,
                "DDB201",
                f"{what} does not exist (declared by {', '.join(spec.models)})",
                ENSURE_FIX,
            )
        ]
    desc = live.description
    key_findings = _compare_keys(spec, desc)
    if any(f.severity is Severity.CRITICAL for f in key_findings):
        return key_findings
    findings = key_findings
    findings += _compare_indexes(spec, desc, "GlobalSecondaryIndexes", "GSI")
    findings += _compare_indexes(spec, desc, "LocalSecondaryIndexes", "LSI")
    findings += _compare_billing(spec, live)
    findings += _compare_ttl(spec, live)
    return findings


def _compare_keys(spec: TableSpec, desc: Mapping[str, Any]) -> list[Finding]:
    want, have = spec.params["KeySchema"], desc.get("KeySchema", [])
    if _key_pairs(want) != _key_pairs(have):
        return [
            _finding(
                spec,
                Severity.CRITICAL,
                "DDB202",
                f"key schema is {_show_keys(have)}, the models declare {_show_keys(want)}",
                "a table's key cannot be changed: create a table with the declared key and "
                "migrate the items, or change Meta to match the live table",
            )
        ]
    return _compare_types(spec, desc, {k["AttributeName"] for k in want}, table_key=True)


def _compare_types(
    spec: TableSpec, desc: Mapping[str, Any], names: Iterable[str], *, table_key: bool
) -> list[Finding]:
    want = {d["AttributeName"]: d["AttributeType"] for d in spec.params["AttributeDefinitions"]}
    have = {d["AttributeName"]: d["AttributeType"] for d in desc.get("AttributeDefinitions", [])}
    findings = []
    for name in sorted(names):
        if name in have and name in want and have[name] != want[name]:
            findings.append(
                _finding(
                    spec,
                    Severity.CRITICAL if table_key else Severity.HIGH,
                    "DDB203",
                    f"key attribute {name!r} is {have[name]} in the table, the models store "
                    f"it as {want[name]}",
                    "change the field's type in the model to match, or recreate the "
                    + ("table" if table_key else "index")
                    + " and migrate the items",
                    subject=name,
                )
            )
    return findings


def _compare_indexes(
    spec: TableSpec, desc: Mapping[str, Any], group: str, kind: str
) -> list[Finding]:
    want = {i["IndexName"]: i for i in spec.params.get(group, ())}
    have = {  # an index being deleted is as good as gone
        i["IndexName"]: i for i in desc.get(group, None) or () if i.get("IndexStatus") != "DELETING"
    }
    findings: list[Finding] = []
    for name, index in want.items():
        live = have.get(name)
        if live is None:
            findings.append(_missing_index(spec, index, kind, _physical(spec, desc)))
            continue
        if _key_pairs(index["KeySchema"]) != _key_pairs(live.get("KeySchema", [])):
            findings.append(
                _finding(
                    spec,
                    Severity.HIGH,
                    "DDB205",
                    f"{kind} {name!r} has key {_show_keys(live.get('KeySchema', []))}, the "
                    f"models declare {_show_keys(index['KeySchema'])}",
                    f"delete the {kind} and create it with the declared key"
                    if kind == "GSI"
                    else "an LSI cannot be changed: recreate the table and migrate the items",
                    subject=name,
                )
            )
            continue
        keys = {k["AttributeName"] for k in index["KeySchema"]}
        findings += _compare_types(spec, desc, keys, table_key=False)
        findings += _compare_projection(spec, kind, index, live)
    for name in sorted(set(have) - set(want)):
        findings.append(
            _finding(
                spec,
                Severity.LOW,
                "DDB208",
                f"{kind} {name!r} exists in the table but no model declares it",
                "declare it in Meta if ddbwrap should use it; leave it if another service does",
                subject=name,
            )
        )
    return findings


def _missing_index(spec: TableSpec, index: Mapping[str, Any], kind: str, physical: str) -> Finding:
    if kind == "LSI":
        return _finding(
            spec,
            Severity.HIGH,
            "DDB207",
            f"LSI {index['IndexName']!r} does not exist",
            "LSIs can only be created with the table: recreate the table and migrate the items",
            subject=index["IndexName"],
        )
    keys = {k["AttributeName"] for k in index["KeySchema"]}
    definitions = [d for d in spec.params["AttributeDefinitions"] if d["AttributeName"] in keys]
    create = {k: v for k, v in index.items() if k != "ProvisionedThroughput"}
    command = (
        f"aws dynamodb update-table --table-name {physical} --attribute-definitions "
        f"'{json.dumps(definitions)}' --global-secondary-index-updates "
        f"'{json.dumps([{'Create': create}])}'"
    )
    return _finding(
        spec,
        Severity.HIGH,
        "DDB204",
        f"GSI {index['IndexName']!r} does not exist; queries on it fail",
        f"create it (DynamoDB backfills it): {command}",
        subject=index["IndexName"],
    )


def _compare_projection(
    spec: TableSpec, kind: str, index: Mapping[str, Any], live: Mapping[str, Any]
) -> list[Finding]:
    want, have = _projection(index), _projection(live)
    if want == have:
        return []
    return [
        _finding(
            spec,
            Severity.MEDIUM,
            "DDB206",
            f"{kind} {index['IndexName']!r} projects {_show_projection(have)}, the models "
            f"declare {_show_projection(want)}",
            "a projection cannot be changed in place: create a new index with the declared "
            "projection, switch reads to it, then delete the old one",
            subject=index["IndexName"],
        )
    ]


def _compare_billing(spec: TableSpec, live: LiveTable) -> list[Finding]:
    want = spec.params["BillingMode"]
    if live.billing_mode == want:
        return []
    return [
        _finding(
            spec,
            Severity.MEDIUM,
            "DDB209",
            f"billing mode is {live.billing_mode}, the models declare {want}",
            f"aws dynamodb update-table --table-name {_physical(spec, live.description)} "
            f"--billing-mode {want}, or "
            "set Meta.billing_mode to match",
        )
    ]


def _compare_ttl(spec: TableSpec, live: LiveTable) -> list[Finding]:
    want, have = spec.ttl_attribute, live.ttl_attribute
    if want == have or spec.kind == "unique":
        return []
    if have is None:
        return [
            _finding(
                spec,
                Severity.MEDIUM,
                "DDB210",
                f"TTL is not enabled; items are never expired by {want!r}",
                f"ddbwrap tables ensure MODELS enables it (UpdateTimeToLive on {want!r})",
                subject=want,
            )
        ]
    if want is None:
        return [
            _finding(
                spec,
                Severity.MEDIUM,
                "DDB212",
                f"TTL is enabled on {have!r}, which no model declares as Meta.ttl_attribute",
                "declare Meta.ttl_attribute, or disable TTL if nothing should expire",
                subject=have,
            )
        ]
    return [
        _finding(
            spec,
            Severity.HIGH,
            "DDB211",
            f"TTL is enabled on {have!r}, the models declare {want!r}; items may expire by "
            "the wrong attribute",
            "disable TTL, wait for it to be disabled (up to an hour), then enable it on "
            f"{want!r}; or change Meta.ttl_attribute",
            subject=have,
        )
    ]


def structure_findings(
    gateway: TableGateway, specs: Sequence[TableSpec], progress: Progress | None = None
) -> tuple[list[Finding], dict[str, LiveTable | None]]:
    """Compare every spec with its live table; also return what was fetched, by table."""
    findings: list[Finding] = []
    fetched: dict[str, LiveTable | None] = {}
    for number, spec in enumerate(specs, 1):
        if progress:
            progress(f"[{number}/{len(specs)}] describing {spec.table}")
        fetched[spec.table] = live = fetch_live(gateway, spec.table)
        findings += compare(spec, live)
    return findings, fetched


def uncovered_findings(
    gateway: TableGateway, specs: Sequence[TableSpec], *, prefix: str = "", suffix: str = ""
) -> list[Finding]:
    """A LOW finding (DDB220) for each live table no model covers (ListTables: the tables with
    the gateway's prefix and suffix), among those whose logical name starts with ``prefix`` and
    ends with ``suffix``."""
    covered = {spec.table for spec in specs}
    return [
        Finding(
            Severity.LOW,
            "DDB220",
            f"table {table!r} exists but no model covers it",
            f"import it (ddbwrap schema import {table} -o models.py) if this service uses it; "
            "leave it if another service owns it",
            table=table,
        )
        for table in sorted(gateway.list_tables())
        if table not in covered and table.startswith(prefix) and table.endswith(suffix)
    ]


def diff_tables(
    gateway: TableGateway,
    models: Sequence[type[BaseModel]],
    *,
    sample: int = 0,
    progress: Progress | None = None,
    uncovered: bool = False,
    prefix: str = "",
    suffix: str = "",
) -> list[Finding]:
    """Drift findings of ``models`` against the gateway's live tables (and ``sample`` items);
    with ``uncovered``, also the live tables no model covers (see :func:`uncovered_findings`)."""
    from .drift_items import sample_findings

    specs = table_specs(models)
    findings, fetched = structure_findings(gateway, specs, progress)
    if uncovered:
        if progress:
            progress("listing the tables no model covers")
        findings += uncovered_findings(gateway, specs, prefix=prefix, suffix=suffix)
    if sample > 0:
        by_table = {s.table: s for s in specs if s.kind == "table"}
        for table, spec in by_table.items():
            if fetched.get(table) is None:
                continue
            findings += sample_findings(gateway, table, spec.owners(models), sample, progress)
    return findings


def _finding(
    spec: TableSpec,
    severity: Severity,
    code: str,
    message: str,
    fix: str,
    *,
    subject: str | None = None,
) -> Finding:
    return Finding(severity, code, message, fix, table=spec.table, subject=subject)


def _physical(spec: TableSpec, desc: Mapping[str, Any]) -> str:
    """The table's name at the endpoint (for commands in fixes)."""
    return str(desc.get("TableName") or f"<{spec.table}>")


def _key_pairs(schema: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in schema]


def _show_keys(schema: Iterable[Mapping[str, Any]]) -> str:
    return "(" + ", ".join(f"{n} {t}" for n, t in _key_pairs(schema)) + ")"


def _projection(index: Mapping[str, Any]) -> tuple[str, frozenset[str]]:
    projection = index.get("Projection") or {}
    return (
        str(projection.get("ProjectionType", "ALL")),
        frozenset(projection.get("NonKeyAttributes") or ()),
    )


def _show_projection(projection: tuple[str, frozenset[str]]) -> str:
    kind, names = projection
    return f"INCLUDE({', '.join(sorted(names))})" if kind == "INCLUDE" else kind
