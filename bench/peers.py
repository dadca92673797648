"""Peer benchmark: ddbwrap against the raw boto3 client, boto3 Table + pydantic, PynamoDB and
dyntastic, on DynamoDB Local and with no network (canned responses).

    python bench/peers.py                     # everything: ~15 minutes on a 2-core machine
    python bench/peers.py --quick             # a quick look (fewer rounds and operations)
    python bench/peers.py --transport canned  # only the no-network transport
    python bench/peers.py --markdown out.md --json out.json
    python bench/peers.py --clock cpu         # this process's CPU time instead of wall time
    python bench/peers.py --contenders ddbwrap  # only the raw-client floor and ddbwrap

Benchmark-only dependencies: ``pip install -r bench/requirements.txt``. DynamoDB Local is
started by the script (``ddbwrap.testing.local.DynamoDBLocal``; ``DDBWRAP_TEST_ENDPOINT`` points
it at your own endpoint instead).

What runs: every contender (see ``bench/peers/contenders.py``) loads 1,000 items into its own
table, then each workload is recorded once against DynamoDB Local (the canned responses of the
no-network transport), checked (right number of items, typed results), and timed:

- on **DynamoDB Local** (the real server on this machine: HTTP, its JVM, everything);
- with **no network**: a botocore ``before-send`` handler answers with the recorded responses,
  so request building, signing, response parsing and the CRC32 check still run. Get, update
  and batch get are recorded once per key (per window of 100 keys) and each request is
  answered with the recording for the keys it asked for (``peers/transport.py``); every
  contender's result is checked once on the replay too, before timing.

Within a round, contenders run one after the other in an order that rotates from round to
round; the garbage collector is paused during each timed loop (as ``timeit`` does). Tables give
the median over rounds of the time per operation (per item for multi-item workloads), the
min-max over rounds, and the ratio of the median to the raw-client floor's median of the same
run. ``--clock cpu`` times with ``time.process_time`` (this process's CPU time, the client's
cost alone: neither DynamoDB Local's JVM nor other jobs on the machine count) instead of
``time.perf_counter``. A memory section streams a 100,000-item query (100 canned pages of
1,000 items) under tracemalloc, and a bytes section compares a view query with a full one.
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
import tracemalloc
import uuid
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers import contenders as cs
from peers.models import TENANT, item_id
from peers.transport import (
    Recorded,
    record_on,
    serve_canned,
    serve_keyed,
    stop_canned,
    stop_recording,
    with_body,
)

from ddbwrap.testing.local import DynamoDBLocal

FLOOR = "raw client"

# workload -> (items per operation, operations per round: canned, local)
WORKLOADS: dict[str, tuple[int, int, int]] = {
    "put": (1, 1000, 150),
    "get": (1, 1000, 150),
    "update": (1, 1000, 150),
    "batch get": (cs.BATCH_GET_KEYS, 40, 8),
    "query 1 page": (cs.QUERY_ITEMS, 5, 2),
    "query pages": (cs.QUERY_ITEMS, 5, 2),
    "scan": (cs.QUERY_ITEMS, 5, 2),
    "batch write": (cs.BATCH_WRITE_ITEMS, 3, 1),
    "query 1 page, view": (cs.QUERY_ITEMS, 5, 2),
}
# workloads whose answers depend on the keys asked: workload -> (keys per recording, the
# recording op(i) is filed under); the replay finds it from the first item id in the request
KEYED: dict[str, tuple[int, Callable[[int], int]]] = {
    "get": (1, lambda i: i % cs.QUERY_ITEMS),
    "update": (1, lambda i: i % cs.QUERY_ITEMS),
    "batch get": (
        cs.BATCH_GET_KEYS,
        lambda i: (i * cs.BATCH_GET_KEYS) % cs.QUERY_ITEMS // cs.BATCH_GET_KEYS,
    ),
}
READS = ("get", "batch get", "query 1 page", "query pages", "scan", "query 1 page, view")
WRITES = ("put", "update", "batch write")
TARGETS = {
    "put": 0.90,
    "get": 0.90,
    "update": 0.90,
    "batch get": 0.90,
    "query 1 page": 0.40,
    "query pages": 0.40,
    "scan": 0.40,
}


# --- timing ---------------------------------------------------------------------------------------

CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter
"""What ``timed`` reads: wall time (default) or this process's CPU time (``--clock cpu``)."""


def timed(op: Callable[[int], Any], start: int, n: int) -> float:
    """Seconds for ``op(start) ... op(start + n - 1)``, gc paused."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        began = clock()
        for i in range(start, start + n):
            op(i)
        return clock() - began
    finally:
        if enabled:
            gc.enable()


def run_rounds(
    contenders: list[cs.Contender],
    workload: str,
    rounds: int,
    n: int,
    per: int,
    first_round: int,
    before: Callable[[cs.Contender], None] | None = None,
    after: Callable[[cs.Contender], None] | None = None,
) -> dict[str, list[float]]:
    """Microseconds per item, one figure per round, per contender (interleaved, rotating)."""
    results: dict[str, list[float]] = {c.name: [] for c in contenders}
    for r in range(rounds):
        order = contenders[r % len(contenders) :] + contenders[: r % len(contenders)]
        if r % 2:
            order.reverse()
        for c in order:
            op = c.ops.get(workload)
            if op is None:
                continue
            round_id = first_round + r
            prepare = c.prepare.get(workload)
            if prepare is not None:
                prepare(round_id)
            if before is not None:
                before(c)
            try:
                seconds = timed(op, round_id * n, n)
            finally:
                if after is not None:
                    after(c)
            results[c.name].append(seconds / (n * per) * 1e6)
    return {name: values for name, values in results.items() if values}


# --- checks ---------------------------------------------------------------------------------------


def _item_id(item: Any) -> str:
    """The ``item_id`` of what a contender returned (AttributeValues, a dict, or a model)."""
    if isinstance(item, dict):
        value = item["item_id"]
        return str(value["S"] if isinstance(value, dict) else value)
    return str(item.item_id)


def check(name: str, workload: str, result: Any, i: int = 0) -> None:
    """The workload did its job (so no contender is fast because it did nothing), for the
    keys ``op(i)`` asked for."""
    expected = {
        "batch get": cs.BATCH_GET_KEYS,
        "query 1 page": cs.QUERY_ITEMS,
        "query pages": cs.QUERY_ITEMS,
        "scan": cs.QUERY_ITEMS,
        "query 1 page, view": cs.QUERY_ITEMS,
    }.get(workload)
    if expected is not None:
        count = len(list(result))
        if count != expected:
            raise AssertionError(f"{name} {workload}: {count} items, expected {expected}")
    if workload in ("get", "update") and result is None:
        raise AssertionError(f"{name} {workload}: no item")
    if name != FLOOR and workload in ("get", "update", "query 1 page"):
        sample = result if workload != "query 1 page" else next(iter(result))
        if isinstance(sample, dict):
            raise AssertionError(f"{name} {workload}: an untyped dict came back")
    if workload in ("get", "update") and _item_id(result) != item_id(i % cs.QUERY_ITEMS):
        raise AssertionError(f"{name} {workload}: {_item_id(result)} for op({i})")
    if workload == "batch get":
        start = (i * cs.BATCH_GET_KEYS) % cs.QUERY_ITEMS
        asked = {item_id(k) for k in range(start, start + cs.BATCH_GET_KEYS)}
        if {_item_id(x) for x in result} != asked:
            raise AssertionError(f"{name} {workload}: not the items op({i}) asked for")


# --- the pure codec -------------------------------------------------------------------------------


def codec_section(env: cs.Env, rounds: int, n: int) -> dict[str, dict[str, dict[str, Any]]]:
    """Encode (model instance to item) and decode (item to model instance), per item."""
    ops = cs.codec_ops(env)
    names = list(ops)
    rows = {}
    for direction in ("encode", "decode"):
        results: dict[str, list[float]] = {}
        for r in range(rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                op = ops[name].get(direction)
                if op is not None:
                    results.setdefault(name, []).append(timed(op, 0, n) / n * 1e6)
        rows[direction] = summarise(results, base="ddbwrap")
    return rows


# --- reporting ------------------------------------------------------------------------------------


def summarise(results: dict[str, list[float]], base: str = FLOOR) -> dict[str, dict[str, Any]]:
    """Median, min, max and ratio of the median to ``base``'s median; in the JSON also every
    round's figure and ``paired``: the median over rounds of the ratio to ``base`` within the
    round (less sensitive to a load that changes during the run)."""
    floor = statistics.median(results[base]) if base in results else None
    out: dict[str, dict[str, Any]] = {}
    for name, values in results.items():
        median = statistics.median(values)
        paired = float("nan")
        if base in results and len(results[base]) == len(values):
            paired = statistics.median(v / b for v, b in zip(values, results[base], strict=True))
        out[name] = {
            "median": median,
            "min": min(values),
            "max": max(values),
            "ratio": median / floor if floor else float("nan"),
            "paired": paired,
            "values": values,
        }
    return out


def table(
    title: str,
    rows: dict[str, dict[str, dict[str, Any]]],
    per_item: set[str],
    base: str = "floor",
) -> str:
    lines = [
        f"### {title}",
        "",
        f"| workload | contender | median µs | min-max µs | vs {base} |",
        "|---|---|---:|---:|---:|",
    ]
    for workload, contenders in rows.items():
        unit = " /item" if workload in per_item else ""
        for name, s in contenders.items():
            lines.append(
                f"| {workload}{unit} | {name} | {s['median']:.1f} | "
                f"{s['min']:.1f}-{s['max']:.1f} | "
                + ("-" if s["ratio"] != s["ratio"] else f"{s['ratio']:.2f}x")
                + " |"
            )
    return "\n".join(lines)


def versions() -> str:
    names = ["ddbwrap", "boto3", "botocore", "pydantic", "pynamodb", "dyntastic"]
    parts = [f"Python {platform.python_version()}"]
    for name in names:
        try:
            parts.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            parts.append(f"{name} (not installed)")
    return ", ".join(parts)


def targets_section(report: dict[str, Any]) -> str:
    """Issue 7's targets against this run: ratios to the floor (no network), and peers."""
    canned = report.get("canned", {})
    local = report.get("local", {})
    lines = [
        "### Targets (ratios to the raw-client floor; no network, DynamoDB Local beside)",
        "",
        "| workload | target | ddbwrap, no network | DynamoDB Local | met | ahead of every peer |",
        "|---|---:|---:|---:|---|---|",
    ]
    peers = ("boto3 Table + pydantic", "PynamoDB", "dyntastic")
    for workload in [w for w in WORKLOADS if w in canned or w in local]:
        if FLOOR not in canned.get(workload, local.get(workload, {})):
            continue  # the view query: compared for bytes, not against the floor
        target = TARGETS.get(workload)
        ours = canned.get(workload, {}).get("ddbwrap")
        theirs = local.get(workload, {}).get("ddbwrap")
        ahead = []
        for rows in (canned.get(workload), local.get(workload)):
            present = [rows[p]["median"] for p in peers if rows and p in rows]
            if rows and "ddbwrap" in rows and present:
                ahead.append(rows["ddbwrap"]["median"] < min(present))
        met = "" if target is None or ours is None else ("yes" if ours["ratio"] <= target else "NO")
        cells = [
            workload,
            "" if target is None else f"<= {target:.2f}x",
            "" if ours is None else f"{ours['ratio']:.3f}x",
            "" if theirs is None else f"{theirs['ratio']:.2f}x",
            met,
            ("yes" if all(ahead) else "NO") if ahead else "",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) if len(lines) > 4 else ""


# --- main -----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:  # noqa: PLR0915
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transport", choices=["both", "canned", "local"], default="both")
    parser.add_argument("--rounds", type=int, default=None, help="5 (3 with --quick)")
    parser.add_argument("--quick", action="store_true", help="3 rounds, a fifth of the operations")
    parser.add_argument("--workloads", nargs="*", default=None, help="a subset of workloads")
    parser.add_argument(
        "--contenders", nargs="*", default=None, help="a subset (the raw client always runs)"
    )
    parser.add_argument("--stream-pages", type=int, default=100, help="pages of 1,000 items")
    parser.add_argument("--markdown", type=Path, default=None, help="write the tables here too")
    parser.add_argument("--json", type=Path, default=None, help="write raw figures here")
    parser.add_argument(
        "--clock", choices=list(CLOCKS), default="wall", help="wall time or this process's CPU"
    )
    args = parser.parse_args(argv)
    global clock  # noqa: PLW0603
    clock = CLOCKS[args.clock]
    rounds = args.rounds if args.rounds is not None else (3 if args.quick else 5)
    scale = 0.2 if args.quick else 1.0
    workloads = {
        w: spec for w, spec in WORKLOADS.items() if args.workloads is None or w in args.workloads
    }

    with DynamoDBLocal() as server:
        env = cs.Env(server.endpoint_url, run=uuid.uuid4().hex[:6])
        print(f"# ddbwrap peer benchmark\n\n{versions()}; DynamoDB Local {server.version}")
        print(f"endpoint {server.endpoint_url}, {rounds} rounds, {args.clock} clock", flush=True)
        print(f"load average at start {os.getloadavg()}\n", flush=True)
        contenders = [
            cs.raw_contender(env),
            cs.ddbwrap_contender(env, fast_path=True, load=True),
            cs.ddbwrap_contender(env, fast_path=False, load=False),
            cs.boto3_contender(env),
            cs.pynamodb_contender(env),
            cs.dyntastic_contender(env),
        ]
        if args.contenders is not None:
            unknown = set(args.contenders) - {c.name for c in contenders}
            if unknown:
                parser.error(f"unknown contenders {sorted(unknown)}")
            chosen_names = {FLOOR, *args.contenders}
            loads_for_both = contenders[1]  # the two ddbwrap contenders share one table
            if any(name.startswith("ddbwrap") for name in chosen_names):
                chosen_names.add(loads_for_both.name)
            contenders = [c for c in contenders if c.name in chosen_names]
        for c in contenders:
            if c.load is not None:
                c.load()
        recorded: dict[tuple[str, str], list[Recorded]] = {}
        keyed: dict[tuple[str, str], dict[int, list[Recorded]]] = {}
        report: dict[str, Any] = {
            "versions": versions(),
            "rounds": rounds,
            "clock": args.clock,
            "load_at_start": os.getloadavg(),
        }
        sections = []
        if args.workloads is None or "codec" in args.workloads:
            codec_rows = codec_section(env, rounds, max(200, int(5000 * scale)))
            report["codec"] = codec_rows
            title = "Pure codec (model <-> AttributeValues, no I/O)"
            sections.append(table(title, codec_rows, set(), "ddbwrap"))
            print(sections[-1] + "\n", flush=True)
        per_item = {w for w, (per, _, _) in workloads.items() if per > 1}
        canned_rows: dict[str, Any] = {}
        local_rows: dict[str, Any] = {}
        # reads first, writes after: the read workloads see exactly the 1,000 loaded items
        for group in (READS, WRITES):
            chosen = [w for w in workloads if w in group]
            for workload in chosen:
                for c in contenders:
                    op = c.ops.get(workload)
                    if op is None:
                        continue
                    prepare = c.prepare.get(workload)
                    if prepare is not None:
                        prepare(0)
                    recorder = record_on(c.client)
                    try:
                        result = op(0)
                    finally:
                        stop_recording(c.client)
                    check(c.name, workload, result)
                    recorded[(c.name, workload)] = recorder.responses
                    if workload in KEYED and args.transport in ("both", "canned"):
                        # the canned rounds' op(i): i in [n, n * (rounds + 1)), first_round 1
                        n = max(1, int(workloads[workload][1] * scale))
                        keyed[(c.name, workload)] = record_keys(
                            c, workload, range(n, n * (rounds + 1)), recorder.responses
                        )
            if args.transport in ("both", "canned"):
                for workload in chosen:
                    per, n_canned, _ = workloads[workload]
                    n = max(1, int(n_canned * scale))

                    def before(c: cs.Contender, workload: str = workload) -> None:
                        if workload in KEYED:
                            group = KEYED[workload][0]
                            serve_keyed(c.client, keyed[(c.name, workload)], group)
                        else:
                            serve_canned(c.client, recorded[(c.name, workload)])

                    def after(c: cs.Contender) -> None:
                        stop_canned(c.client)

                    for c in contenders:  # the replay does the job too, for the keys asked
                        op = c.ops.get(workload)
                        if op is None:
                            continue
                        prepare = c.prepare.get(workload)
                        if prepare is not None:
                            prepare(1)
                        before(c)
                        try:
                            result = op(n)
                        finally:
                            after(c)
                        check(c.name, workload, result, n)
                    results = run_rounds(contenders, workload, rounds, n, per, 1, before, after)
                    canned_rows[workload] = summarise(results)
                    print(f"  canned {workload}: done", file=sys.stderr, flush=True)
            if args.transport in ("both", "local"):
                for workload in chosen:
                    per, _, n_local = workloads[workload]
                    n = max(1, int(n_local * scale))
                    results = run_rounds(contenders, workload, rounds, n, per, 1000)
                    local_rows[workload] = summarise(results)
                    print(f"  local {workload}: done", file=sys.stderr, flush=True)
        order = list(workloads)
        if canned_rows:
            rows = {w: canned_rows[w] for w in order if w in canned_rows}
            report["canned"] = rows
            sections.append(table("No network (canned DynamoDB Local responses)", rows, per_item))
            print(sections[-1] + "\n", flush=True)
        if local_rows:
            rows = {w: local_rows[w] for w in order if w in local_rows}
            report["local"] = rows
            sections.append(table("DynamoDB Local", rows, per_item))
            print(sections[-1] + "\n", flush=True)

        # bytes: a view query against the full query, from the recorded bodies
        full = recorded.get(("ddbwrap", "query 1 page"))
        view = recorded.get(("ddbwrap", "query 1 page, view"))
        if full and view:
            full_bytes = sum(len(r.body) for r in full)
            view_bytes = sum(len(r.body) for r in view)
            saved = 1 - view_bytes / full_bytes
            report["bytes"] = {"full": full_bytes, "view": view_bytes, "saved": saved}
            text = (
                "### Bytes: a view query (4 of 15 fields) against the full query, 1,000 items\n\n"
                f"full {full_bytes:,} bytes, view {view_bytes:,} bytes: {saved:.0%} fewer"
            )
            sections.append(text)
            print(text + "\n", flush=True)

        if "query 1 page" in workloads and args.stream_pages:
            page = recorded[(FLOOR, "query 1 page")][0]
            memory = memory_rows(contenders, env, recorded, args.stream_pages)
            report["memory"] = memory
            lines = [
                f"### Memory: streaming {args.stream_pages * cs.QUERY_ITEMS:,} items "
                f"({args.stream_pages} canned pages of 1,000; one page body "
                f"{len(page.body) / 1e6:.2f} MB)",
                "",
                "| contender | peak while streaming MB | peak holding one decoded page MB |",
                "|---|---:|---:|",
            ]
            for row in memory:
                lines.append(
                    f"| {row['contender']} | {row['peak_stream_mb']:.2f} | "
                    f"{row['peak_one_page_mb']:.2f} |"
                )
            sections.append("\n".join(lines))
            print(sections[-1] + "\n", flush=True)

    report["load_at_end"] = os.getloadavg()
    print(f"load average at end {report['load_at_end']}\n", flush=True)
    verdict = targets_section(report)
    if verdict:
        sections.append(verdict)
        print(verdict + "\n", flush=True)
    if args.markdown is not None:
        args.markdown.write_text("\n\n".join(sections) + "\n")
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


def record_keys(
    c: cs.Contender, workload: str, indices: range, first: list[Recorded]
) -> dict[int, list[Recorded]]:
    """The responses of ``op(i)`` against the server for every key ``indices`` ask for (one
    ``i`` per key), filed by key; ``first`` is what ``op(0)`` got."""
    op = c.ops[workload]
    key_of = KEYED[workload][1]
    by_key = {key_of(0): first}
    for i in indices:
        key = key_of(i)
        if key in by_key:
            continue
        recorder = record_on(c.client)
        try:
            result = op(i)
        finally:
            stop_recording(c.client)
        check(c.name, workload, result, i)
        by_key[key] = recorder.responses
    return by_key


def memory_rows(
    contenders: list[cs.Contender],
    env: cs.Env,
    recorded: dict[tuple[str, str], list[Recorded]],
    pages: int,
) -> list[dict[str, Any]]:
    """Peak traced memory streaming ``pages`` pages, and holding one decoded page."""
    rows = []
    for c in contenders:
        stream = c.stream
        if stream is None:
            continue
        page = recorded[(c.name, "query 1 page")][0]
        body = json.loads(page.body)
        last_key = {"tenant_id": {"S": TENANT}, "item_id": body["Items"][-1]["item_id"]}
        middle = with_body(page, {**body, "LastEvaluatedKey": last_key})
        final = with_body(page, body)

        def measure(
            responses: list[Recorded], fn: Callable[[], Any], client: Any = c.client
        ) -> tuple[float, Any]:
            serve_canned(client, responses)
            try:
                fn()  # warm-up: imports and caches are not what is measured
                gc.collect()
                tracemalloc.start()
                try:
                    base = tracemalloc.get_traced_memory()[0]
                    tracemalloc.reset_peak()
                    result = fn()
                    peak = tracemalloc.get_traced_memory()[1] - base
                finally:
                    tracemalloc.stop()
            finally:
                stop_canned(client)
            return peak / 1e6, result

        sequence = [middle] * (pages - 1) + [final]
        streamed, count = measure(sequence, lambda s=stream: s())  # type: ignore[misc]
        one_page, _ = measure([final], lambda op=c.ops["query 1 page"]: len(list(op(0))))
        if count != pages * cs.QUERY_ITEMS:
            raise AssertionError(f"{c.name}: streamed {count} items")
        rows.append(
            {
                "contender": c.name,
                "items": count,
                "peak_stream_mb": streamed,
                "peak_one_page_mb": one_page,
            }
        )
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
