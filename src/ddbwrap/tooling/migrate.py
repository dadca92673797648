"""Data migrations: a resumable, rate-limited backfill over a table (``ddbwrap migrate data``).

A ``Backfill`` scans a model's table in parallel segments and applies a *job* to every item of
the model: the job returns the item as it should be stored, and the backfill writes the
difference with one conditional UpdateItem (SET what changed, REMOVE what is gone), so that:

- an item a live writer changed since it was scanned is not clobbered: the write requires the
  model's version attribute (``Meta.version_attribute``, then bumped) to be unchanged, or — for
  a model without one — every attribute it changes to still hold the value it was computed
  from; when the condition fails, the item is read again (consistently) and the job re-applied,
  up to ``max_reapply`` times;
- a deleted item is not brought back (``attribute_exists`` on the partition key);
- it never exceeds a consumed-capacity budget (``read_units``/``write_units`` per second,
  measured from ``ReturnConsumedCapacity``): each request reserves its estimated cost before it
  is sent and is settled to what DynamoDB reports, so at every moment the units consumed are at
  most ``rate * elapsed`` plus what the last requests cost beyond their estimates;
- it can stop and resume: the checkpoint (a JSON file, ``CHECKPOINT_FORMAT``) holds, per scan
  segment, the key of the last item handled and the counts; a run with the same checkpoint
  continues after that key. A hard kill loses at most the progress since the last save (every
  page and every ``save_every`` items); items handled again are handled by an idempotent job
  (all built-in jobs are: an item already migrated needs no change), so each item is changed
  exactly once.

Jobs (``Job``): ``UpcastJob`` (the default for a model with ``Meta.schema_version``: run the
upcasters and stamp the current version, storing the item as the current model writes it),
``RenameJob`` (a stored attribute gets a new name), ``IndexJob`` (add the key attributes a new
GSI needs, rendered by the model), ``TransformJob`` (a function of the plain item, like an
upcaster). Items of other models sharing the table (``Meta.entity``) and unique guard items are
left alone.

The checkpoint format is meant for workers on other machines, too: segment ``i`` of ``N`` is an
independent unit of work (``Backfill(..., segments=N, only_segments=[i])``), its ``position`` is a
Scan ``ExclusiveStartKey`` in DynamoDB JSON, as a Step Functions distributed map or an AWS Batch
array job would pass it to each worker (see docs/tooling.md, "Data migrations").
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from .._engine import flows
from .._engine.threads import in_caller_context
from ..codec import ItemCodec, codec_for, decode_item, decode_value, item_size
from ..errors import (
    ConditionFailedError,
    CorruptItemError,
    DdbwrapError,
    OutcomeUnknownError,
    ValidationError,
)
from ..expressions._clauses import AttributeCheck, UpdateAction, WriteExpression, same_value
from ..gateway import TableGateway
from ..model import DomainModel, schema_of
from ..upcast import encode_plain

__all__ = [
    "CHECKPOINT_FORMAT",
    "Backfill",
    "BackfillReport",
    "CapacityBudget",
    "Checkpoint",
    "Failure",
    "IndexJob",
    "Job",
    "Progress",
    "RenameJob",
    "TransformJob",
    "UpcastJob",
    "backfill",
    "default_job",
]

CHECKPOINT_FORMAT = "ddbwrap.backfill/1"

Item = dict[str, Any]
RawItem = Mapping[str, Mapping[str, Any]]
Outcome = Literal["changed", "skipped", "failed", "other"]


# --- jobs -------------------------------------------------------------------------------------


class Job(Protocol):
    """What a backfill does to each item: ``apply`` returns the item (wire form) as it should be
    stored, or None when it needs no change. It must be idempotent (applied to its own result
    it returns None) and must not change the key attributes."""

    def describe(self) -> dict[str, Any]:
        """What the job is (JSON): a checkpoint is only resumed by the same job."""
        ...

    def apply(self, item: RawItem) -> Item | None: ...


def _declared(codec: ItemCodec[Any]) -> frozenset[str]:
    schema = codec.schema
    return frozenset(schema.field_attributes.values()) | frozenset(schema.index_key_attributes)


class UpcastJob:
    """Bring items of older schema versions to the current one: upcast (``Meta.upcasters``),
    validate as the model, store as the model writes it (attributes the model does not declare
    are kept, those the upcasters dropped are removed) and stamp ``Meta.schema_version``."""

    def __init__(self, model: type[DomainModel]) -> None:
        schema = schema_of(model)
        if schema.versioning is None:
            raise ValidationError(
                "the upcast job needs Meta.schema_version and Meta.schema_version_attribute; "
                "declare them, or choose another job (rename, index, transform)",
                model=schema.model_name,
            )
        self.model = model
        self.codec = codec_for(model)
        self.versioning = schema.versioning

    def describe(self) -> dict[str, Any]:
        return {"job": "upcast", "to_version": self.versioning.version}

    def apply(self, item: RawItem) -> Item | None:
        versioning = self.versioning
        version = versioning.stored_version(item)
        if version is not None and version >= versioning.version:
            return None  # current (or written by newer code)
        codec = self.codec
        instance = codec.decode(item)  # upcasts on the way (CorruptItemError: failed)
        upcast = codec._upcast
        upcasted = upcast(item) if upcast is not None else item
        declared = _declared(codec)
        new: Item = {a: dict(av) for a, av in upcasted.items() if a not in declared}
        new.update(codec.encode(instance))
        new[versioning.attribute] = versioning.stamp
        return new


class RenameJob:
    """Store attribute ``old`` under ``new``. An item that already has ``new`` (written since
    by code that knows the new name) keeps it, and ``old`` is removed."""

    def __init__(self, old: str, new: str) -> None:
        if not old or not new or old == new:
            raise ValidationError(
                f"rename needs two different attribute names, got {old!r}, {new!r}"
            )
        self.old, self.new = old, new

    def describe(self) -> dict[str, Any]:
        return {"job": "rename", "from": self.old, "to": self.new}

    def apply(self, item: RawItem) -> Item | None:
        if self.old not in item:
            return None
        new = {a: dict(av) for a, av in item.items() if a != self.old}
        new.setdefault(self.new, dict(item[self.old]))
        return new


class IndexJob:
    """Give every item the key attributes of index ``index`` as the model renders them (a GSI
    added to a model whose items do not carry its key yet, a key template, a bool stored as
    ``"true"``/``"false"``)."""

    def __init__(self, model: type[DomainModel], index: str) -> None:
        self.codec = codec_for(model)
        self.index = self.codec.schema.index(index)

    def describe(self) -> dict[str, Any]:
        return {"job": "index", "index": self.index.name}

    def apply(self, item: RawItem) -> Item | None:
        codec = self.codec
        encoded = codec.encode(codec.decode(item))
        changes = {
            key.attribute: encoded[key.attribute]
            for key in self.index.key_attributes
            if key.attribute in encoded
            and (
                key.attribute not in item
                or not same_value(item[key.attribute], encoded[key.attribute])
            )
        }
        if not changes:
            return None
        return {**{a: dict(av) for a, av in item.items()}, **changes}


class TransformJob:
    """A function of the plain item (every stored attribute by stored name, decoded like an
    upcaster's input) returning the item to store, or None for no change. Declared fields are
    encoded as the model stores them, other attributes as plain values."""

    def __init__(
        self,
        model: type[DomainModel],
        function: Callable[[dict[str, Any]], dict[str, Any] | None],
        name: str | None = None,
    ) -> None:
        self.codec = codec_for(model)
        self.function = function
        self.name = name or f"{function.__module__}:{function.__qualname__}"

    def describe(self) -> dict[str, Any]:
        return {"job": "transform", "function": self.name}

    def apply(self, item: RawItem) -> Item | None:
        result = self.function(decode_item(item))
        if result is None:
            return None
        return encode_plain(self.codec, result)


def default_job(model: type[DomainModel]) -> Job:
    """The upcast job of a model with ``Meta.schema_version``; an error for any other model."""
    return UpcastJob(model)


# --- capacity ---------------------------------------------------------------------------------


class CapacityBudget:
    """Units per second a run may consume (None: unlimited), shared by every segment.

    ``reserve(estimate)`` waits until ``consumed + reserved + estimate <= rate * elapsed``,
    then books the estimate; ``settle`` replaces it by what DynamoDB reported. So at every
    moment the units consumed are at most ``rate * elapsed``, plus what requests cost beyond
    their estimates (the next requests wait for that, too).
    """

    def __init__(
        self,
        rate: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValidationError(f"a capacity budget must be positive, got {rate}")
        self.rate = rate
        self.clock = clock
        self.sleep = sleep
        self.consumed = 0.0
        self.reserved = 0.0
        self.started = clock()
        self.lock = threading.Lock()

    def reserve(self, estimate: float) -> float:
        """Wait until ``estimate`` fits the budget and book it; returns the booking."""
        if self.rate is None:
            return estimate
        while True:
            with self.lock:
                allowed = self.rate * (self.clock() - self.started)
                needed = self.consumed + self.reserved + estimate
                if needed <= allowed:
                    self.reserved += estimate
                    return estimate
                wait = (needed - allowed) / self.rate
            self.sleep(min(max(wait, 0.001), 5.0))

    def settle(self, booked: float, actual: float) -> None:
        with self.lock:
            self.reserved -= booked
            self.consumed += actual


def _units(response: Mapping[str, Any], kind: str) -> float | None:
    capacity = response.get("ConsumedCapacity")
    if isinstance(capacity, list):
        capacity = capacity[0] if capacity else None
    if not isinstance(capacity, Mapping):
        return None
    units = capacity.get(f"{kind}CapacityUnits", capacity.get("CapacityUnits"))
    return float(units) if units is not None else None


# --- checkpoint -------------------------------------------------------------------------------


def _to_json_key(key: RawItem) -> dict[str, Any]:
    """A key in DynamoDB JSON (binary values base64, as the AWS APIs and CLI write them)."""
    out: dict[str, Any] = {}
    for name, av in key.items():
        ((tag, value),) = av.items()
        out[name] = {tag: base64.b64encode(bytes(value)).decode("ascii") if tag == "B" else value}
    return out


def _from_json_key(key: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, av in key.items():
        ((tag, value),) = av.items()
        out[name] = {tag: base64.b64decode(value) if tag == "B" else value}
    return out


@dataclass
class SegmentState:
    """One scan segment's progress: ``position`` (the ExclusiveStartKey to resume from, wire
    form), whether it is done, and its counts."""

    segment: int
    position: dict[str, Any] | None = None
    done: bool = False
    scanned: int = 0
    changed: int = 0
    skipped: int = 0
    failed: int = 0
    other: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "segment": self.segment,
            "position": None if self.position is None else _to_json_key(self.position),
            "done": self.done,
            "scanned": self.scanned,
            "changed": self.changed,
            "skipped": self.skipped,
            "failed": self.failed,
            "other": self.other,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SegmentState:
        position = data.get("position")
        return cls(
            segment=int(data["segment"]),
            position=None if position is None else _from_json_key(position),
            done=bool(data.get("done", False)),
            scanned=int(data.get("scanned", 0)),
            changed=int(data.get("changed", 0)),
            skipped=int(data.get("skipped", 0)),
            failed=int(data.get("failed", 0)),
            other=int(data.get("other", 0)),
        )


@dataclass(frozen=True)
class Failure:
    """An item the backfill could not migrate: its key (plain values) and why (never a value)."""

    key: dict[str, Any]
    reason: str
    segment: int

    def to_json(self) -> dict[str, Any]:
        return {"segment": self.segment, "key": _plain_json(self.key), "reason": self.reason}


def _plain_json(key: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in key.items():
        if isinstance(value, bytes):
            out[name] = base64.b64encode(value).decode("ascii")
        elif isinstance(value, (int, str)):
            out[name] = value
        else:
            out[name] = str(value)
    return out


class Checkpoint:
    """The JSON file a run saves its progress to (format ``ddbwrap.backfill/1``)::

        {"format": "ddbwrap.backfill/1", "table": "people", "job": {"job": "upcast", ...},
         "total_segments": 4, "updated_at": "2026-...Z",
         "segments": [{"segment": 0, "position": {"person_id": {"S": "p17"}}, "done": false,
                       "scanned": 120, "changed": 100, "skipped": 20, "failed": 0,
                       "other": 0}, ...],
         "failures": [{"segment": 0, "key": {"person_id": "p9"}, "reason": "..."}]}

    ``position`` is DynamoDB JSON, usable as Scan's ``ExclusiveStartKey`` with ``Segment`` and
    ``TotalSegments``; null means the segment starts from its beginning. Saved atomically
    (written next to the file, then renamed over it).
    """

    def __init__(
        self, path: str | os.PathLike[str] | None, table: str, job: Mapping[str, Any], total: int
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.table = table
        self.job = dict(job)
        self.total = total
        self.segments: dict[int, SegmentState] = {i: SegmentState(i) for i in range(total)}
        self.failures: list[Failure] = []
        self.lock = threading.Lock()
        self.resumed = False

    def load(self) -> None:
        """Continue from the file when it exists; refuse one of another table, job or split."""
        if self.path is None or not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValidationError(f"cannot read checkpoint {str(self.path)!r}: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
            raise ValidationError(
                f"{str(self.path)!r} is not a ddbwrap backfill checkpoint ({CHECKPOINT_FORMAT})"
            )
        mine = {"table": self.table, "job": self.job, "total_segments": self.total}
        theirs = {k: data.get(k) for k in mine}
        if theirs != mine:
            raise ValidationError(
                f"checkpoint {str(self.path)!r} belongs to another run ({json.dumps(theirs)}; "
                f"this one is {json.dumps(mine)}); pass another checkpoint file, or delete it "
                "to start over"
            )
        for entry in data.get("segments", []):
            state = SegmentState.from_json(entry)
            if state.segment in self.segments:
                self.segments[state.segment] = state
        self.failures = [
            Failure(dict(f["key"]), str(f["reason"]), int(f["segment"]))
            for f in data.get("failures", [])
        ]
        self.resumed = True

    def to_json(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "table": self.table,
            "job": self.job,
            "total_segments": self.total,
            "updated_at": dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z"),
            "segments": [self.segments[i].to_json() for i in sorted(self.segments)],
            "failures": [f.to_json() for f in self.failures],
        }

    def save(self) -> None:
        if self.path is None:
            return
        with self.lock:
            text = json.dumps(self.to_json(), indent=2) + "\n"
            temporary = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, self.path)


# --- progress and report ----------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """A snapshot for a progress display."""

    scanned: int
    changed: int
    skipped: int
    failed: int
    elapsed: float
    total: int | None
    """The table's approximate item count (DescribeTable, updated by AWS every ~6 hours)."""

    @property
    def rate(self) -> float:
        """Items scanned per second in this run."""
        return self.scanned / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left, from the rate and the approximate item count (None: unknown)."""
        if not self.total or self.rate <= 0:
            return None
        return max(self.total - self.scanned, 0) / self.rate


@dataclass
class BackfillReport:
    """What a run did. ``failures`` name keys, never values."""

    table: str
    job: dict[str, Any]
    dry_run: bool
    complete: bool
    scanned: int = 0
    changed: int = 0
    skipped: int = 0
    failed: int = 0
    other: int = 0
    """Items of other models sharing the table, and unique guard items: left alone."""
    reapplied: int = 0
    """Writes whose condition failed (a live writer changed the item) and were re-applied."""
    consumed_read: float = 0.0
    consumed_write: float = 0.0
    elapsed: float = 0.0
    failures: list[Failure] = field(default_factory=list)
    checkpoint: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "job": self.job,
            "dry_run": self.dry_run,
            "complete": self.complete,
            "scanned": self.scanned,
            "changed": self.changed,
            "skipped": self.skipped,
            "failed": self.failed,
            "other": self.other,
            "reapplied": self.reapplied,
            "consumed_read_units": round(self.consumed_read, 3),
            "consumed_write_units": round(self.consumed_write, 3),
            "elapsed_seconds": round(self.elapsed, 3),
            "failures": [f.to_json() for f in self.failures],
            "checkpoint": self.checkpoint,
        }

    def to_text(self) -> str:
        verb = "would change" if self.dry_run else "changed"
        state = "complete" if self.complete else "stopped (resume with the same checkpoint)"
        lines = [
            f"backfill of table {self.table!r} ({_job_text(self.job)}): {state}"
            + (" [dry run: nothing written]" if self.dry_run else ""),
            f"  scanned {self.scanned}, {verb} {self.changed}, skipped {self.skipped} "
            f"(already migrated), failed {self.failed}, other items {self.other}"
            + (f", re-applied after a live write {self.reapplied}" if self.reapplied else ""),
            f"  consumed {self.consumed_read:.1f} read and {self.consumed_write:.1f} write units "
            f"in {self.elapsed:.1f} s",
        ]
        for failure in self.failures[:50]:
            lines.append(f"  failed {json.dumps(_plain_json(failure.key))}: {failure.reason}")
        if len(self.failures) > 50:
            lines.append(f"  ... and {len(self.failures) - 50} more (--format json lists all)")
        if self.checkpoint:
            lines.append(f"  checkpoint: {self.checkpoint}")
        return "\n".join(lines) + "\n"


def _job_text(job: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in job.items())


# --- the run ----------------------------------------------------------------------------------


class Backfill:
    """A resumable, rate-limited backfill of ``model``'s table (see the module docstring).

    ``segments``: parallel scan segments (``TotalSegments``); ``only_segments``: run these
    segments only (a worker of a distributed run); ``workers``: threads (default: one per
    segment run); ``checkpoint``: the JSON file to resume from and save to (None: no file);
    ``read_units``/``write_units``: the budget per second (None: unlimited); ``dry_run``:
    scan and count, write nothing (and save no checkpoint); ``max_reapply``: re-reads after a
    failed condition before the item counts as failed; ``stop``: set it to stop after the items
    in hand (the checkpoint is saved); ``on_item(key, outcome)``: called after each item;
    ``progress(snapshot)``: called at most every ``progress_every`` seconds.
    """

    def __init__(
        self,
        gateway: TableGateway,
        model: type[DomainModel],
        job: Job | None = None,
        *,
        segments: int = 4,
        only_segments: Sequence[int] | None = None,
        workers: int | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        read_units: float | None = None,
        write_units: float | None = None,
        dry_run: bool = False,
        page_size: int | None = None,
        max_reapply: int = 5,
        save_every: int = 100,
        stop: threading.Event | None = None,
        on_item: Callable[[dict[str, Any], Outcome], None] | None = None,
        progress: Callable[[Progress], None] | None = None,
        progress_every: float = 1.0,
        total_items: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 1 <= segments <= 1_000_000:
            raise ValidationError(f"segments must be from 1 to 1000000, got {segments}")
        self.gateway = gateway
        self.model = model
        self.schema = schema_of(model)
        self.codec = codec_for(model)
        self.job: Job = job if job is not None else default_job(model)
        self.segments = segments
        chosen = list(range(segments)) if only_segments is None else sorted(set(only_segments))
        for segment in chosen:
            if not 0 <= segment < segments:
                raise ValidationError(f"segment {segment} is not in 0..{segments - 1}")
        self.only = chosen
        self.workers = max(1, workers or len(chosen) or 1)
        self.dry_run = dry_run
        self.page_size = page_size
        self.max_reapply = max_reapply
        self.save_every = max(1, save_every)
        self.stop = stop or threading.Event()
        self.on_item = on_item
        self.progress = progress
        self.progress_every = progress_every
        self.total_items = total_items
        self.clock = clock
        self.reads = CapacityBudget(read_units, clock=clock, sleep=sleep)
        self.writes = CapacityBudget(write_units, clock=clock, sleep=sleep)
        self.checkpoint = Checkpoint(
            None if dry_run else checkpoint, self.schema.table_name, self.job.describe(), segments
        )
        self._lock = threading.Lock()
        self._reapplied = 0
        self._per_item_read = 0.25  # read units one scanned item costs (learned as pages come)
        self._last_progress = 0.0
        self._started = clock()
        self._base: tuple[int, ...] = (0, 0, 0, 0)
        try:
            from ..entities import is_guard, matcher_of

            matcher = matcher_of(self.schema)
            self._mine: Callable[[RawItem], bool] = lambda raw: (
                not is_guard(raw) and matcher.matches(raw)
            )
        except ImportError:  # pragma: no cover - older layouts without entities
            self._mine = lambda raw: True
        self._versioned = self.schema.version_attribute

    # -- public ----------------------------------------------------------------------------------

    def run(self) -> BackfillReport:
        """Run (or resume) the backfill to its end, or until ``stop`` is set."""
        self.checkpoint.load()
        states = self.checkpoint.segments
        self._base = tuple(
            sum(getattr(states[i], name) for i in self.only)
            for name in ("scanned", "changed", "skipped", "failed")
        )
        self._started = self.clock()
        pending = [i for i in self.only if not states[i].done]
        errors: list[BaseException] = []
        interrupted = False
        if pending:
            segment = in_caller_context(self._segment)
            with ThreadPoolExecutor(max_workers=min(self.workers, len(pending))) as pool:
                futures = [pool.submit(segment, states[i]) for i in pending]
                for future in futures:
                    try:
                        exc = future.exception()
                    except KeyboardInterrupt:  # Ctrl-C: finish the items in hand, save
                        interrupted = True
                        self.stop.set()
                        exc = future.exception()
                    if exc is not None:
                        errors.append(exc)
                        self.stop.set()
        self.checkpoint.save()
        if interrupted:
            raise KeyboardInterrupt
        self._report_progress(force=True)
        if errors:
            raise errors[0]
        return self.report()

    def report(self) -> BackfillReport:
        states = [self.checkpoint.segments[i] for i in self.only]
        return BackfillReport(
            table=self.schema.table_name,
            job=self.job.describe(),
            dry_run=self.dry_run,
            complete=all(s.done for s in states),
            scanned=sum(s.scanned for s in states),
            changed=sum(s.changed for s in states),
            skipped=sum(s.skipped for s in states),
            failed=sum(s.failed for s in states),
            other=sum(s.other for s in states),
            reapplied=self._reapplied,
            consumed_read=self.reads.consumed,
            consumed_write=self.writes.consumed,
            elapsed=self.clock() - self._started,
            failures=[f for f in self.checkpoint.failures if f.segment in self.only],
            checkpoint=None if self.checkpoint.path is None else str(self.checkpoint.path),
        )

    # -- one segment -----------------------------------------------------------------------------

    def _segment(self, state: SegmentState) -> None:
        since_save = 0
        while not self.stop.is_set():
            params: dict[str, Any] = {
                "TableName": self.schema.table_name,
                "ReturnConsumedCapacity": "TOTAL",
            }
            if self.segments > 1:
                params["Segment"] = state.segment
                params["TotalSegments"] = self.segments
            limit = self._page_limit()
            if limit is not None:
                params["Limit"] = limit
            if state.position is not None:
                params["ExclusiveStartKey"] = state.position
            estimate = (limit or 100) * self._per_item_read
            booked = self.reads.reserve(estimate)
            try:
                page = self.gateway.run(flows.call(self.gateway.retry, "Scan", params))
            except BaseException:
                self.reads.settle(booked, 0.0)
                raise
            units = _units(page, "Read")
            self.reads.settle(booked, estimate if units is None else units)
            items = page.get("Items", [])
            if items and units is not None:
                with self._lock:
                    self._per_item_read = max(units / len(items), 0.01)
            for raw in items:
                if self.stop.is_set():
                    break
                outcome = self._item(raw, state.segment)
                key = {k.attribute: raw[k.attribute] for k in self.schema.key_attributes}
                with self._lock:
                    state.scanned += 1
                    setattr(state, outcome, getattr(state, outcome) + 1)
                    state.position = key
                if self.on_item is not None:
                    self.on_item(self.codec.key_values(raw), outcome)
                since_save += 1
                if since_save >= self.save_every:
                    self.checkpoint.save()
                    since_save = 0
                self._report_progress()
            else:
                if not page.get("LastEvaluatedKey"):
                    with self._lock:
                        state.done = True
                    self.checkpoint.save()
                    return
                with self._lock:
                    state.position = dict(page["LastEvaluatedKey"])
                self.checkpoint.save()
                since_save = 0
                continue
            break  # stopped inside the page
        self.checkpoint.save()

    def _page_limit(self) -> int | None:
        if self.reads.rate is None:
            return self.page_size
        per_second = int(self.reads.rate / max(self._per_item_read, 0.01))
        limit = max(1, min(per_second, 1000))
        return min(limit, self.page_size) if self.page_size else limit

    def _item(self, raw: RawItem, segment: int) -> Outcome:
        if not self._mine(raw):
            return "other"
        current: RawItem | None = raw
        for _attempt in range(self.max_reapply + 1):
            if current is None:
                return "skipped"  # deleted since it was scanned
            try:
                new = self.job.apply(current)
            except CorruptItemError as exc:
                fields = sorted({_loc(e) for e in exc.errors if _loc(e)})
                return self._fail(
                    current,
                    segment,
                    f"does not read as {self.schema.model_name}"
                    + (f" (fields: {', '.join(fields)})" if fields else ""),
                )
            except DdbwrapError as exc:
                return self._fail(current, segment, f"{type(exc).__name__} [{exc.code}]")
            except Exception as exc:  # the user's transform
                return self._fail(current, segment, f"the job raised {type(exc).__name__}")
            if new is None:
                return "skipped"
            plan = self._changes(current, new)
            if isinstance(plan, str):
                return self._fail(current, segment, plan)
            if plan is None:
                return "skipped"
            if self.dry_run:
                return "changed"
            params, sets, removes = plan
            booked = self.writes.reserve(self._write_estimate(current, new))
            try:
                response = self.gateway.run(
                    flows.call(self.gateway.retry, "UpdateItem", params, idempotent=False)
                )
            except ConditionFailedError:
                self.writes.settle(booked, booked)  # a failed condition is billed, too
                with self._lock:
                    self._reapplied += 1
                current = self._reread(current)
                continue
            except OutcomeUnknownError:
                self.writes.settle(booked, booked)
                stored = self._reread(current)
                if stored is not None and _shows(stored, sets, removes):
                    return "changed"
                current = stored
                continue
            except DdbwrapError as exc:
                self.writes.settle(booked, 0.0)
                return self._fail(current, segment, f"{type(exc).__name__} [{exc.code}]")
            units = _units(response, "Write")
            self.writes.settle(booked, booked if units is None else units)
            return "changed"
        return self._fail(
            raw,
            segment,
            f"changed by other writers {self.max_reapply + 1} times while being migrated; "
            "run the backfill again to retry it",
        )

    def _fail(self, raw: RawItem, segment: int, reason: str) -> Outcome:
        failure = Failure(self.codec.key_values(raw), reason, segment)
        with self._lock:
            self.checkpoint.failures.append(failure)
        return "failed"

    def _write_estimate(self, old: RawItem, new: RawItem) -> float:
        size = max(item_size(old), item_size(new))
        return math.ceil(max(size, 1) / 1024) * (1 + len(self.schema.gsis))

    def _reread(self, raw: RawItem) -> RawItem | None:
        key = {k.attribute: raw[k.attribute] for k in self.schema.key_attributes}
        params = {
            "TableName": self.schema.table_name,
            "Key": key,
            "ConsistentRead": True,
            "ReturnConsumedCapacity": "TOTAL",
        }
        booked = self.reads.reserve(1.0)
        response = self.gateway.run(flows.call(self.gateway.retry, "GetItem", params))
        units = _units(response, "Read")
        self.reads.settle(booked, booked if units is None else units)
        item: RawItem | None = response.get("Item")
        return item

    def _changes(
        self, old: RawItem, new: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], list[str]] | str | None:
        """The conditional UpdateItem turning ``old`` into ``new``; None: nothing to change;
        a str: why it cannot be written."""
        schema = self.schema
        keys = {k.attribute for k in schema.key_attributes}
        for attribute in keys:
            if attribute not in new or not same_value(old[attribute], new[attribute]):
                return (
                    f"the job changes key attribute {attribute!r}; a backfill cannot move an "
                    "item to another key"
                )
        sets = {
            a: av
            for a, av in new.items()
            if a not in keys and (a not in old or not same_value(old[a], av))
        }
        removes = sorted(a for a in old if a not in new and a not in keys)
        version = self._versioned
        if version is not None:
            sets.pop(version, None)
            if version in removes:
                removes.remove(version)
        if not sets and not removes:
            return None
        pk = schema.partition_key.attribute
        conditions: list[AttributeCheck] = [AttributeCheck("exists", pk)]
        if version is not None:
            stored = old.get(version)
            number = int(decode_value(stored)) if stored is not None and "N" in stored else None
            conditions.append(
                AttributeCheck("equals", version, dict(stored))
                if stored is not None
                else AttributeCheck("not_exists", version)
            )
            sets[version] = {"N": str((number or 0) + 1)}
        else:
            for attribute in (*sets, *removes):
                before = old.get(attribute)
                conditions.append(
                    AttributeCheck("not_exists", attribute)
                    if before is None
                    else AttributeCheck("equals", attribute, dict(before))
                )
        updates = tuple(UpdateAction("set", (a,), av) for a, av in sets.items()) + tuple(
            UpdateAction("remove", (a,)) for a in removes
        )
        params: dict[str, Any] = {
            "TableName": schema.table_name,
            "Key": {a: dict(old[a]) for a in keys},
            "ReturnConsumedCapacity": "TOTAL",
        }
        WriteExpression(updates, tuple(conditions)).render(params, update=True)
        return params, sets, removes

    # -- progress --------------------------------------------------------------------------------

    def snapshot(self) -> Progress:
        states = [self.checkpoint.segments[i] for i in self.only]
        base = self._base
        return Progress(
            scanned=sum(s.scanned for s in states) - base[0],
            changed=sum(s.changed for s in states),
            skipped=sum(s.skipped for s in states),
            failed=sum(s.failed for s in states),
            elapsed=self.clock() - self._started,
            total=None if self.total_items is None else max(self.total_items - base[0], 0),
        )

    def _report_progress(self, *, force: bool = False) -> None:
        if self.progress is None:
            return
        now = self.clock()
        with self._lock:
            if not force and now - self._last_progress < self.progress_every:
                return
            self._last_progress = now
        self.progress(self.snapshot())


def _loc(error: Mapping[str, Any]) -> str:
    loc = error.get("loc") or ()
    return str(loc[0]) if loc else ""


def _shows(stored: RawItem, sets: Mapping[str, Any], removes: Iterable[str]) -> bool:
    """The stored item holds what the write would have left (it was applied, or is as if)."""
    for attribute, av in sets.items():
        found = stored.get(attribute)
        if found is None or not same_value(found, av):
            return False
    return all(a not in stored for a in removes)


def backfill(
    gateway: TableGateway, model: type[DomainModel], job: Job | None = None, **options: Any
) -> BackfillReport:
    """``Backfill(gateway, model, job, **options).run()``: the default job upcasts and stamps."""
    return Backfill(gateway, model, job, **options).run()
