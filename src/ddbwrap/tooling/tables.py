"""Create, ensure, describe and delete the tables of a set of models through a TableGateway.

Tables get their GSIs, LSIs and billing mode from ``CreateTable``, then TTL with
``UpdateTimeToLive`` once ACTIVE; unique guard tables are created alongside. ``ensure`` is
idempotent: it creates what is missing, enables TTL where it is off, and reports the rest.

Waiting (``wait_for_table``) polls DescribeTable until the table and every GSI are ACTIVE,
reporting each index that is still building with its ``IndexStatus`` and whether DynamoDB is
still backfilling it; after ``timeout`` seconds it stops waiting (the build goes on in
DynamoDB) and says what is still building. ``ensure(wait=False)`` requests the builds and
returns at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from ddbwrap.errors import ServiceError, TableNotFoundError
from ddbwrap.gateway import TableGateway

from .drift import LiveTable, compare, fetch_live
from .findings import Finding
from .spec import TableSpec, table_specs

Progress = Callable[[str], None]

DEFAULT_TIMEOUT = 1800.0
"""Seconds ``ensure`` waits for tables and index builds (a backfill of a big table takes long)."""
POLL_INTERVAL = 5.0
"""Longest pause between two DescribeTable calls while waiting."""
REPORT_EVERY = 30.0
"""Seconds between two progress lines when nothing changed."""


@dataclass(frozen=True)
class Building:
    """What is not ACTIVE yet in a table description."""

    table_status: str
    indexes: tuple[tuple[str, str, bool], ...]
    """(GSI name, IndexStatus, Backfilling) of each GSI that is not ACTIVE."""

    @property
    def done(self) -> bool:
        return self.table_status == "ACTIVE" and not self.indexes

    def describe(self) -> str:
        """``table ACTIVE; GSI owner-index CREATING (backfilling)``"""
        parts = [f"table {self.table_status}"]
        parts += [
            f"GSI {name} {status}" + (" (backfilling)" if backfilling else "")
            for name, status, backfilling in self.indexes
        ]
        return "; ".join(parts)

    def still_building(self) -> str:
        """What a timeout message names: the indexes still building, or the table."""
        if self.indexes:
            return ", ".join(
                f"GSI {name!r} ({status}{', backfilling' if backfilling else ''})"
                for name, status, backfilling in self.indexes
            )
        return f"the table itself ({self.table_status})"


def building(description: Mapping[str, Any]) -> Building:
    """The parts of a DescribeTable ``Table`` that are not ACTIVE."""
    indexes = tuple(
        (str(i.get("IndexName")), str(i.get("IndexStatus")), bool(i.get("Backfilling")))
        for i in description.get("GlobalSecondaryIndexes", None) or ()
        if i.get("IndexStatus") != "ACTIVE"
    )
    return Building(str(description.get("TableStatus")), indexes)


class WaitTimeoutError(Exception):
    """Raised by ``wait_for_table`` when its timeout passed; ``building`` says what is left."""

    def __init__(self, physical: str, waited: float, state: Building) -> None:
        self.physical = physical
        self.waited = waited
        self.building = state
        table = (
            f"table {physical!r} is ACTIVE, but"
            if state.table_status == "ACTIVE"
            else f"table {physical!r}:"
        )
        super().__init__(
            f"{table} {state.still_building()} still building after {waited:.0f} s. DynamoDB "
            "goes on building it: follow it with `ddbwrap tables describe`, or run "
            "`ddbwrap tables ensure --timeout SECONDS` to wait longer"
        )


def wait_for_table(
    gateway: TableGateway,
    table: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    progress: Progress | None = None,
    poll_interval: float = POLL_INTERVAL,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """Poll DescribeTable until the table and all its GSIs are ACTIVE; the description.

    Progress lines name each index still building, its IndexStatus and backfill state (one
    when that changes, and every ``REPORT_EVERY`` s otherwise). Raises ``WaitTimeoutError`` after
    ``timeout`` s, naming what is still building. ``sleep`` and ``clock`` default to
    ``time.sleep`` and ``time.monotonic``.
    """
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    physical = gateway.physical_table_name(table)
    start = clock()
    delay = min(0.05, poll_interval)
    last_shown: str | None = None
    last_time = start
    while True:
        description = dict(gateway.describe_table(table).get("Table", {}))
        state = building(description)
        if state.done:
            return description
        now = clock()
        waited = now - start
        shown = state.describe()
        if progress and (shown != last_shown or now - last_time >= REPORT_EVERY):
            progress(f"waiting for {physical}: {shown} ({waited:.0f} s)")
            last_shown, last_time = shown, now
        if waited >= timeout:
            raise WaitTimeoutError(physical, waited, state)
        pause = min(delay, max(timeout - waited, 0.0))
        sleep(pause)
        delay = min(delay * 2, poll_interval)


@dataclass
class TableResult:
    """What one command did to (or found about) one table."""

    table: str
    physical: str
    kind: str
    action: str
    """created | exists | ok | differs | building | deleted | absent | described | missing

    ``building``: a table or GSI build that was still running when the wait ended (its
    timeout), or that ``ensure(wait=False)`` left running; the notes say what is building."""
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
    gateway: TableGateway,
    models: Sequence[type[BaseModel]],
    progress: Progress | None = None,
    *,
    wait: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[TableResult]:
    """Create missing tables and GSIs, enable missing TTL; report every other difference.

    With ``wait`` (the default) each GSI build is followed until the index is ACTIVE (at most
    ``timeout`` s per wait; a table still building then is reported with action
    ``building``). Without it the first missing GSI of each table is requested and the call
    returns (DynamoDB builds one index of a table at a time: run it again for the next).
    """
    results = []
    created = []
    waiter = _Waiter(gateway, progress, wait, timeout)
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
        added = _add_missing_gsis(gateway, spec, findings, progress, waiter, result, live)
        if added:
            result.notes.append(f"created GSI(s) {', '.join(added)} (DynamoDB backfills them)")
            findings = [f for f in findings if not (f.code == "DDB204" and f.subject in added)]
        if spec.ttl_attribute and live.ttl_attribute is None and spec.kind == "table":
            _enable_ttl(gateway, spec, progress)
            result.notes.append(f"enabled TTL on {spec.ttl_attribute!r}")
            findings = [f for f in findings if f.code != "DDB210"]
        started_earlier = not added and not building(live.description).done
        if started_earlier and result.action != "building":  # say, by an earlier --no-wait
            if wait:
                waiter.wait(spec.table, result)
            else:
                waiter.not_waiting(spec.table, result)
        result.findings = findings
        if findings and result.action == "ok":
            result.action = "differs"
        results.append(result)
    _finish(gateway, created, progress, waiter)
    return results


class _Waiter:
    """Waits for builds (or, with ``wait=False``, notes them) and records timeouts on results."""

    def __init__(
        self, gateway: TableGateway, progress: Progress | None, wait: bool, timeout: float
    ) -> None:
        self.gateway, self.progress, self.enabled, self.timeout = gateway, progress, wait, timeout

    def wait(self, table: str, result: TableResult) -> bool:
        """True when the table and its GSIs are ACTIVE; False (result noted) otherwise."""
        if not self.enabled:
            return False
        try:
            wait_for_table(self.gateway, table, timeout=self.timeout, progress=self.progress)
        except WaitTimeoutError as exc:
            result.action = "building"
            result.notes.append(str(exc))
            return False
        return True

    def not_waiting(self, table: str, result: TableResult) -> None:
        """``--no-wait``: say what DynamoDB is building now."""
        state = building(dict(self.gateway.describe_table(table).get("Table", {})))
        if not state.done:
            if result.action != "created":
                result.action = "building"
            result.notes.append(
                f"not waiting: {state.still_building()} building; `ddbwrap tables describe` "
                "shows its state"
            )


def _add_missing_gsis(
    gateway: TableGateway,
    spec: TableSpec,
    findings: Sequence[Finding],
    progress: Progress | None,
    waiter: _Waiter,
    result: TableResult,
    live: LiveTable,
) -> list[str]:
    """Create each declared GSI the live table lacks, one UpdateTable at a time (DynamoDB's
    rule), waiting for each build to finish; returns the names created."""
    missing = [
        i["IndexName"]
        for i in spec.gsis
        if i["IndexName"] in {f.subject for f in findings if f.code == "DDB204"}
    ]
    definitions = {d["AttributeName"]: d for d in spec.params["AttributeDefinitions"]}
    indexes = {i["IndexName"]: i for i in spec.gsis}
    added: list[str] = []
    busy = not building(live.description).done
    for name in missing:
        if busy and (result.action == "building" or not waiter.wait(spec.table, result)):
            # an index still building (or being deleted) blocks the next create
            left = ", ".join(n for n in missing if n not in added)
            result.notes.append(
                f"GSI(s) {left} not created yet: DynamoDB builds one index of a table at a "
                "time; run `ddbwrap tables ensure` again once the current build is ACTIVE"
            )
            break
        index = indexes[name]
        keys = [k["AttributeName"] for k in index["KeySchema"]]
        if progress:
            progress(f"creating GSI {name} on {gateway.physical_table_name(spec.table)}")
        gateway.update_table(
            {
                "TableName": spec.table,
                "AttributeDefinitions": [definitions[k] for k in keys],
                "GlobalSecondaryIndexUpdates": [{"Create": index}],
            }
        )
        added.append(name)
        busy = True
    if added:
        if waiter.enabled:
            if result.action != "building":  # a wait that timed out is not repeated
                waiter.wait(spec.table, result)
        else:
            waiter.not_waiting(spec.table, result)
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

    def keys(schema: Sequence[dict[str, str]]) -> dict[str, str | list[str]]:
        """HASH/RANGE -> the attribute name; a list of names for a multi-attribute key."""
        out: dict[str, str | list[str]] = {}
        for kind in ("HASH", "RANGE"):
            names = [k["AttributeName"] for k in schema if k["KeyType"] == kind]
            if names:
                out[kind] = names[0] if len(names) == 1 else names
        return out

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
    waiter: _Waiter | None = None,
) -> None:
    """Wait for new tables to be ACTIVE, then enable their TTL."""
    waiter = waiter or _Waiter(gateway, progress, True, DEFAULT_TIMEOUT)
    for spec, result in created:
        if progress:
            progress(f"waiting for {result.physical} to be ACTIVE")
        if not waiter.enabled:
            waiter.not_waiting(spec.table, result)
            if result.notes:
                result.notes.append("TTL is enabled by the next `tables ensure`")
                continue  # TTL needs an ACTIVE table
        elif not waiter.wait(spec.table, result):
            continue
        if spec.ttl_attribute and spec.kind == "table":
            _enable_ttl(gateway, spec, progress)
            result.notes.append(f"TTL on {spec.ttl_attribute!r}")


def _enable_ttl(gateway: TableGateway, spec: TableSpec, progress: Progress | None) -> None:
    assert spec.ttl_attribute is not None
    if progress:
        progress(f"enabling TTL on {spec.table}.{spec.ttl_attribute}")
    gateway.update_time_to_live(spec.table, spec.ttl_attribute, True)
