"""Codec benchmark: ddbwrap's ItemCodec against boto3's TypeSerializer/TypeDeserializer.

    python bench/bench_codec.py                 # 7 rounds x 20,000 items per contender
    python bench/bench_codec.py --rounds 3 --n 2000

The item is a realistic ~15-attribute pipeline configuration (ids, text, a bool GSI key, int
counters, a Decimal, a float, two datetimes, a list, a dict, a set, a nested model, an unset
optional, an enum). Contenders run interleaved within each round, so a slow moment of the shared
machine hurts all of them alike; the table reports the median and the min-max over rounds of the
time per item, and each contender's ratio to ddbwrap's median.

The boto3 contenders do the equivalent job by hand, the way a service without ddbwrap would:
``model_dump()`` with floats turned into Decimal, datetimes into ISO strings, enums into their
values and the bool index key into "true"/"false", then ``TypeSerializer``; and
``TypeDeserializer`` then ``model_validate``. "bare" rows time boto3 alone on an already-plain
dict (no model on either side), the floor of what boto3 costs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import gc
import platform
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import boto3
import pydantic
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from pydantic import BaseModel, Field

from ddbwrap import GSI, DomainModel, ItemCodec


class Status(str, enum.Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"


class Schedule(BaseModel):
    cron: str
    timezone: str = "UTC"
    enabled: bool = True
    max_parallel: int = 4


class PipelineConfig(DomainModel):
    pipeline_id: str
    tenant_id: str
    name: str
    description: str
    is_active: bool = True
    run_count: int = 0
    failure_count: int = 0
    cost_limit: Decimal
    success_rate: float
    created_at: dt.datetime
    updated_at: dt.datetime
    tags: list[str] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)
    owners: set[str] = Field(default_factory=set)
    schedule: Schedule
    archived_at: dt.datetime | None = None
    status: Status = Status.DRAFT

    class Meta:
        table_name = "pipeline_config"
        partition_key = "pipeline_id"
        gsis = [
            GSI("tenant-index", partition_key="tenant_id", sort_key="created_at"),
            GSI("active-index", partition_key="is_active"),
        ]


def sample() -> PipelineConfig:
    return PipelineConfig(
        pipeline_id="pl-7f3c2a90-5b1e-4d8a-9c61-2e0f4b7a1d33",
        tenant_id="tenant-0042",
        name="nightly-embeddings-refresh",
        description="Recomputes document embeddings for every workspace that changed today.",
        is_active=True,
        run_count=18_342,
        failure_count=17,
        cost_limit=Decimal("1250.75"),
        success_rate=0.99907,
        created_at=dt.datetime(2025, 3, 14, 9, 26, 53, 589_793, tzinfo=dt.timezone.utc),
        updated_at=dt.datetime(
            2026, 1, 2, 3, 4, 5, 600_000, tzinfo=dt.timezone(dt.timedelta(hours=2))
        ),
        tags=["ml", "embeddings", "nightly", "tier-1"],
        settings={"batch_size": 256, "model": "text-embed-3", "retries": 3, "dry_run": False},
        owners={"alice@example.com", "bob@example.com"},
        schedule=Schedule(cron="0 2 * * *", timezone="Europe/Paris"),
        archived_at=None,
        status=Status.ACTIVE,
    )


# --- the boto3 way, by hand ----------------------------------------------------------------

SERIALIZER = TypeSerializer()
DESERIALIZER = TypeDeserializer()
BOOL_KEYS = frozenset({"is_active"})


def _plain(value: Any) -> Any:
    """What a hand-written service does before TypeSerializer: no floats, no datetimes."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def boto3_encode(instance: PipelineConfig) -> dict[str, Any]:
    plain = _plain(instance.model_dump())
    for name in BOOL_KEYS:
        plain[name] = "true" if plain[name] else "false"
    return {k: SERIALIZER.serialize(v) for k, v in plain.items()}


def boto3_decode(item: dict[str, Any]) -> PipelineConfig:
    plain = {k: DESERIALIZER.deserialize(v) for k, v in item.items()}
    return PipelineConfig.model_validate(plain)


# --- the harness ---------------------------------------------------------------------------


def time_per_item(fn: Callable[[], object], n: int) -> float:
    """Microseconds per call of ``fn`` over ``n`` calls (gc paused, as timeit does)."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
    finally:
        if gc_was_enabled:
            gc.enable()
    return elapsed / n * 1e6


def contenders() -> dict[str, Callable[[], object]]:
    codec = ItemCodec(PipelineConfig)
    instance = sample()
    ours = codec.encode(instance)
    theirs = boto3_encode(instance)
    plain = _plain(instance.model_dump())
    plain_item = {k: SERIALIZER.serialize(v) for k, v in plain.items()}

    # Every contender must do its job correctly before it is timed.
    assert codec.decode(ours) == instance, "ddbwrap round trip differs"
    assert boto3_decode(theirs) == instance, "boto3 round trip differs"
    assert set(ours) == set(theirs), "the two encoders store different attributes"

    return {
        "encode  ddbwrap ItemCodec.encode": lambda: codec.encode(instance),
        "encode  boto3 model_dump+TypeSerializer": lambda: boto3_encode(instance),
        "encode  boto3 bare TypeSerializer (plain dict)": lambda: {
            k: SERIALIZER.serialize(v) for k, v in plain.items()
        },
        "decode  ddbwrap ItemCodec.decode": lambda: codec.decode(ours),
        "decode  boto3 TypeDeserializer+model_validate": lambda: boto3_decode(theirs),
        "decode  boto3 bare TypeDeserializer (plain dict)": lambda: {
            k: DESERIALIZER.deserialize(v) for k, v in plain_item.items()
        },
    }


def run(rounds: int, n: int) -> dict[str, list[float]]:
    runs = contenders()
    results: dict[str, list[float]] = {name: [] for name in runs}
    for fn in runs.values():  # warm caches (codec plans, pydantic validators)
        time_per_item(fn, min(n, 1000))
    for r in range(rounds):
        order = list(runs.items())
        if r % 2:  # alternate the order so no contender always runs first
            order.reverse()
        for name, fn in order:
            results[name].append(time_per_item(fn, n))
        print(f"  round {r + 1}/{rounds} done", file=sys.stderr)
    return results


def table(results: dict[str, list[float]]) -> str:
    baseline = {
        "encode": statistics.median(results["encode  ddbwrap ItemCodec.encode"]),
        "decode": statistics.median(results["decode  ddbwrap ItemCodec.decode"]),
    }
    lines = [
        "| contender | median µs/item | min-max µs/item | vs ddbwrap |",
        "|---|---:|---:|---:|",
    ]
    for name, times in results.items():
        direction, label = name.split("  ", 1)
        median = statistics.median(times)
        ratio = median / baseline[direction]
        lines.append(
            f"| {direction}: {label} | {median:.2f} | {min(times):.2f}-{max(times):.2f} "
            f"| {ratio:.2f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds (default 7)")
    parser.add_argument("--n", type=int, default=20_000, help="items per contender per round")
    args = parser.parse_args(argv)
    print(
        f"Python {platform.python_version()}, pydantic {pydantic.VERSION}, "
        f"boto3 {boto3.__version__}; {args.rounds} rounds x {args.n} items, interleaved",
        file=sys.stderr,
    )
    print(table(run(args.rounds, args.n)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
