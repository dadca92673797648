"""Micro-benchmark of the engine: what driving a call through a flow costs, in µs.

    python bench/bench_engine.py               # 7 repeats, ~10 s
    python bench/bench_engine.py --repeat 3    # a quick look

Rows, each against its baseline (same process, interleaved, gc paused as ``timeit`` does):

- **driver + one-call flow**: ``drive.run`` of a generator that yields one ``Call`` and returns
  the answer, against calling the same send function directly; and ``drive.run`` of
  ``flows.call`` (the retried call every single request of ddbwrap goes through). The
  difference is the engine's cost per call (issue 11 asks that a driver step cost < 2 µs);
- **TableGateway.get_item over a canned transport** (a transport whose ``call`` returns a fixed
  dict: no botocore, no I/O) against calling that transport directly: the gateway's whole
  per-call cost (checks, the flow, the driver, logical -> physical table names);
- **ReadApi.get over the canned transport**: ddbwrap's whole client-side work for one typed
  get minus botocore (request building, the flow, the returned-key check, decoding), with
  ``ItemCodec.decode`` of the same item beside it;
- **body_problem**: the check ddbwrap runs on every 2xx body of its own calls (CRC32 of the body
  against ``x-amz-crc32``, then "is it a JSON object"), on a 1 KB and a 1 MB body, with
  ``zlib.crc32`` alone beside it (botocore's standard retry mode computed the same CRC32 for
  every DynamoDB response before the engine; ddbwrap now does it instead, not as well).

The table gives, per operation, the median and the min over the repeats, and the extra cost
against the row's baseline (median minus baseline median).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers.models import TENANT, Item, item_id, values

from ddbwrap import ReadApi, TableGateway
from ddbwrap._engine import drive, flows
from ddbwrap._engine.botocore import body_problem
from ddbwrap._engine.steps import Call, Flow, Params
from ddbwrap.codec import codec_for
from ddbwrap.retry import RetryPolicy


class CannedTransport:
    """A transport answering every call with one fixed response (no botocore, no I/O)."""

    def __init__(self, response: Params) -> None:
        self.response = response

    def call(self, operation: str, params: Params) -> Params:
        return self.response


def timed(fn: Callable[[], Any], n: int) -> float:
    """µs per call of ``fn`` over ``n`` calls, gc paused."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        began = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - began) / n * 1e6
    finally:
        if enabled:
            gc.enable()


def measure(cases: dict[str, tuple[Callable[[], Any], int]], repeat: int) -> dict[str, list[float]]:
    """Each case ``repeat`` times, interleaved (order reversed every other repeat)."""
    names = list(cases)
    for name in names:  # warm-up: caches, imports, specialisation
        fn, n = cases[name]
        timed(fn, max(1, n // 10))
    results: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeat):
        for name in names if r % 2 == 0 else reversed(names):
            fn, n = cases[name]
            results[name].append(timed(fn, n))
    return results


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the call counts")
    parser.add_argument("--json", type=Path, default=None, help="write raw figures here")
    args = parser.parse_args(argv)

    def count(n: int) -> int:
        return max(1, int(n * args.scale))

    answer: Params = {"ConsumedCapacity": {"TableName": "items", "CapacityUnits": 0.5}}
    policy = RetryPolicy()

    def send(step: Call) -> Params:
        return answer

    def sleep(seconds: float) -> None:
        raise AssertionError("no pause expected")

    def one_call() -> Flow[Params]:
        response: Params = yield Call("GetItem", {"TableName": "items"})
        return response

    def two_calls() -> Flow[Params]:
        yield Call("GetItem", {"TableName": "items"})
        response: Params = yield Call("GetItem", {"TableName": "items"})
        return response

    call_step = Call("GetItem", {"TableName": "items"})

    # the canned transport answers GetItem with the benchmark's 15-attribute item
    codec = codec_for(Item)
    stored = codec.encode(Item(**values(7)))
    get_answer: Params = {"Item": stored}
    transport = CannedTransport(get_answer)
    gateway = TableGateway(transport, table_prefix="bench-")
    reads = ReadApi[Item](gateway)
    key = {"tenant_id": {"S": TENANT}, "item_id": {"S": item_id(7)}}
    get_params = {"TableName": "items", "Key": key}
    physical = {"TableName": "bench-items", "Key": key}
    assert gateway.get_item(get_params) == get_answer
    found = reads.get(tenant_id=TENANT, item_id=item_id(7))
    assert found is not None and found.item_id == item_id(7)

    small = json.dumps({"Item": stored}, separators=(",", ":")).encode()
    small = small + b" " * max(0, 1024 - len(small))  # 1 KB, still a JSON object
    large_items = {"Items": [stored] * 2000}
    large = json.dumps(large_items, separators=(",", ":")).encode()[: 1 << 20]
    large = large[: large.rfind(b"}")] + b"}"  # ~1 MB that ends like an object
    crc = {b: {"x-amz-crc32": str(zlib.crc32(b) & 0xFFFFFFFF)} for b in (small, large)}
    assert body_problem(small, crc[small]) == "" and body_problem(large, crc[large]) == ""

    groups: list[tuple[str, str, dict[str, tuple[Callable[[], Any], int]]]] = [
        (
            "driver",
            "direct send(step)",
            {
                "direct send(step)": (lambda: send(call_step), count(400_000)),
                "drive.run(one-call flow)": (
                    lambda: drive.run(one_call(), send, sleep),
                    count(200_000),
                ),
                "drive.run(two-call flow)": (
                    lambda: drive.run(two_calls(), send, sleep),
                    count(100_000),
                ),
                "drive.run(flows.call)": (
                    lambda: drive.run(flows.call(policy, "GetItem", get_params), send, sleep),
                    count(200_000),
                ),
            },
        ),
        (
            "gateway",
            "transport.call (direct)",
            {
                "transport.call (direct)": (
                    lambda: transport.call("GetItem", physical),
                    count(400_000),
                ),
                "TableGateway.get_item": (lambda: gateway.get_item(get_params), count(100_000)),
                "ItemCodec.decode (same item)": (lambda: codec.decode(stored), count(50_000)),
                "ReadApi.get": (
                    lambda: reads.get(tenant_id=TENANT, item_id=item_id(7)),
                    count(20_000),
                ),
            },
        ),
        (
            "body 1 KB",
            "zlib.crc32 1 KB",
            {
                "zlib.crc32 1 KB": (lambda: zlib.crc32(small), count(200_000)),
                "body_problem 1 KB": (lambda: body_problem(small, crc[small]), count(200_000)),
            },
        ),
        (
            "body 1 MB",
            "zlib.crc32 1 MB",
            {
                "zlib.crc32 1 MB": (lambda: zlib.crc32(large), count(300)),
                "body_problem 1 MB": (lambda: body_problem(large, crc[large]), count(300)),
            },
        ),
    ]

    header = (
        f"Python {platform.python_version()}, ddbwrap {metadata.version('ddbwrap')}, "
        f"botocore {metadata.version('botocore')}, pydantic {metadata.version('pydantic')}; "
        f"{args.repeat} repeats; load average {', '.join(f'{x:.2f}' for x in _load())}"
    )
    print(f"# ddbwrap engine micro-benchmark\n\n{header}\n")
    print("| operation | median µs | min µs | extra vs baseline µs |")
    print("|---|---:|---:|---:|")
    report: dict[str, Any] = {"versions": header, "rows": {}}
    for _, base, cases in groups:
        results = measure(cases, args.repeat)
        base_median = statistics.median(results[base])
        for name, figures in results.items():
            median = statistics.median(figures)
            extra = "" if name == base else f"{median - base_median:+.2f}"
            if name.startswith(("ItemCodec", "ReadApi")):
                extra = ""  # not the same work as the baseline: shown for scale
            print(f"| {name} | {median:.2f} | {min(figures):.2f} | {extra} |")
            report["rows"][name] = {"median": median, "min": min(figures), "base": base}
    rows = report["rows"]
    step = rows["drive.run(two-call flow)"]["median"] - rows["drive.run(one-call flow)"]["median"]
    engine = rows["drive.run(flows.call)"]["median"] - rows["direct send(step)"]["median"]
    gateway_cost = (
        rows["TableGateway.get_item"]["median"] - rows["transport.call (direct)"]["median"]
    )
    report["derived"] = {"driver_step": step, "flows_call": engine, "gateway_get": gateway_cost}
    print(
        f"\none more driver step (two-call minus one-call flow): {step:.2f} µs; "
        f"drive.run(flows.call) over a direct call: {engine:+.2f} µs; "
        f"TableGateway.get_item over the transport: {gateway_cost:+.2f} µs\n"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


def _load() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


if __name__ == "__main__":
    raise SystemExit(main())
