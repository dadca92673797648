"""Instructions per operation, ddbwrap against the raw client, counted by callgrind.

    python bench/bench_instructions.py                                  # this checkout
    python bench/bench_instructions.py --src /tmp/before/src --src src  # before / after
    python bench/bench_instructions.py --components --src ... --src ...  # parts of a call

A shared machine's load moves every timing by more than the few percent a change of ddbwrap
is judged by (issue 11: each workload's ratio to the raw-client floor within 3%). Instruction
counts do not move with the load: this script runs each workload over canned responses (no
server, no network: a botocore ``before-send`` handler answers, so everything botocore and
ddbwrap do around the wire runs) under ``valgrind --tool=callgrind``, with the garbage
collector off and ``PYTHONHASHSEED=0``, and counts the instructions of each measured loop
alone (collection is switched on only inside one ``exec`` per loop, and dumped after it).

``--components`` counts parts of a call instead: ``TableGateway.get_item`` / ``put_item`` over a
botocore client with canned answers (the gateway, the engine and botocore, no model), building a
create's plan (``write.requests.create_plan``) and ``ItemCodec.encode`` of the same item.

Per workload it prints the instructions per operation of the raw client (the floor), of
ddbwrap (fast path on) and of ddbwrap with the fast path off, and their ratios to the floor;
with two ``--src`` (each a ``src`` directory of a ddbwrap checkout, run side by side) the
change of each ratio from the first to the second. Instructions are not time (cache misses,
branch mispredictions and the collector are not in them); a difference under ~0.5% is noise
(the raw client itself moves that much between two processes). Needs valgrind (Debian:
``apt-get install valgrind``); a run takes 10-30 minutes (Python is ~50x slower under it).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ORDER_MARK = "bench-instructions-order: "

# workload -> operations per measured loop (each loop is one exec)
LOOPS = {
    "get": 20,
    "put": 20,
    "update": 20,
    "batch get": 4,
    "query 1 page": 2,
    "query pages": 2,
    "scan": 2,
    "batch write": 3,
}
UNITS = {
    "batch get": "100 keys",
    "query 1 page": "1,000 items",
    "query pages": "10 pages of 100",
    "scan": "10 pages of 100",
    "batch write": "100 items",
}


def child(components: bool = False) -> None:  # noqa: PLR0915
    """Set everything up, warm up, then run each loop inside its own ``exec``."""
    sys.path.insert(0, str(HERE.parent))
    import boto3
    from peers import contenders as cs
    from peers.models import TENANT, Item, item_id, values
    from peers.transport import Recorded, serve_canned, stop_canned

    from ddbwrap import ReadApi, TableGateway, WriteApi
    from ddbwrap.codec import codec_for
    from ddbwrap.expressions import Update

    def recorded(body: dict[str, Any]) -> Recorded:
        raw = json.dumps(body, separators=(",", ":")).encode()
        headers = {
            "x-amzn-requestid": "R" * 52,
            "content-type": "application/x-amz-json-1.0",
            "x-amz-crc32": str(zlib.crc32(raw) & 0xFFFFFFFF),
            "content-length": str(len(raw)),
        }
        return Recorded(200, headers, raw, "")

    def client() -> Any:
        session = boto3.session.Session(
            aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
        )
        return session.client("dynamodb", endpoint_url="http://127.0.0.1:9", config=cs.CONFIG)

    codec = codec_for(Item)
    raw_items = [cs.raw_av_item(cs._plain_for_raw(values(i))) for i in range(1000)]
    ddb_items = [codec.encode(Item(**values(i))) for i in range(1000)]
    rawc, ddbc, offc = client(), client(), client()
    # the botocore transport, explicitly: these counts are about botocore's path (the canned
    # answers are botocore hooks, which the direct transport would step aside for anyway)
    import inspect

    botocore = (
        {"transport": "botocore"}
        if "transport" in inspect.signature(TableGateway.__init__).parameters
        else {}
    )
    on = TableGateway(ddbc, table_prefix="bench-", **botocore)
    off = TableGateway(offc, table_prefix="bench-", fast_path=False, **botocore)
    apis = {"ddbwrap": (ReadApi[Item](on), WriteApi[Item](on), ddbc)}
    apis["ddbwrap (fast path off)"] = (ReadApi[Item](off), WriteApi[Item](off), offc)
    key7 = {"tenant_id": {"S": TENANT}, "item_id": {"S": item_id(7)}}
    raw_keys = [{"tenant_id": {"S": TENANT}, "item_id": {"S": item_id(k)}} for k in range(100)]
    keys = [{"tenant_id": TENANT, "item_id": item_id(k)} for k in range(100)]
    puts = [Item(**values(i, "put", "x-")) for i in range(1000)]
    raw_puts = [cs._plain_for_raw(values(i, "put", "x-")) for i in range(1000)]
    query = {
        "TableName": "t",
        "KeyConditionExpression": "#p = :p",
        "ExpressionAttributeNames": {"#p": "tenant_id"},
        "ExpressionAttributeValues": {":p": {"S": TENANT}},
    }

    def pages(items: list[dict[str, Any]]) -> list[Recorded]:
        out = []
        for p in range(10):
            chunk = items[p * 100 : (p + 1) * 100]
            body: dict[str, Any] = {"Items": chunk, "Count": 100, "ScannedCount": 100}
            if p < 9:
                last = chunk[-1]
                body["LastEvaluatedKey"] = {k: last[k] for k in ("tenant_id", "item_id")}
            out.append(recorded(body))
        return out

    def paged(method: Callable[..., Any], args: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        while True:
            response = method(**args)
            out.extend(response["Items"])
            last = response.get("LastEvaluatedKey")
            if not last:
                return out
            args = {**args, "ExclusiveStartKey": last}

    def raw_batch_write(i: int) -> None:
        for s in range(0, 100, 25):
            chunk = [{"PutRequest": {"Item": cs.raw_av_item(v)}} for v in raw_puts[s : s + 25]]
            rawc.batch_write_item(RequestItems={"t": chunk})

    update_args = {
        "UpdateExpression": "SET #n = :n, #c = if_not_exists(#c, :zero) + :one",
        "ExpressionAttributeNames": {"#n": "name", "#c": "run_count"},
        "ReturnValues": "ALL_NEW",
    }
    raw_ops: dict[str, tuple[Callable[[int], Any], list[Recorded]]] = {
        "get": (
            lambda i: rawc.get_item(TableName="t", Key=key7)["Item"],
            [recorded({"Item": raw_items[7]})],
        ),
        "put": (
            lambda i: rawc.put_item(TableName="t", Item=cs.raw_av_item(raw_puts[i % 1000])),
            [recorded({})],
        ),
        "update": (
            lambda i: rawc.update_item(
                TableName="t",
                Key=key7,
                ExpressionAttributeValues={
                    ":n": {"S": f"renamed-{i}"},
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                },
                **update_args,
            )["Attributes"],
            [recorded({"Attributes": raw_items[7]})],
        ),
        "batch get": (
            lambda i: rawc.batch_get_item(RequestItems={"t": {"Keys": raw_keys}})["Responses"],
            [recorded({"Responses": {"t": raw_items[:100]}, "UnprocessedKeys": {}})],
        ),
        "query 1 page": (
            lambda i: rawc.query(**query)["Items"],
            [recorded({"Items": raw_items, "Count": 1000, "ScannedCount": 1000})],
        ),
        "query pages": (lambda i: paged(rawc.query, {**query, "Limit": 100}), pages(raw_items)),
        "scan": (lambda i: paged(rawc.scan, {"TableName": "t"}), pages(raw_items)),
        "batch write": (raw_batch_write, [recorded({"UnprocessedItems": {}})]),
    }

    def ddbwrap_ops(name: str) -> dict[str, tuple[Callable[[int], Any], list[Recorded]]]:
        reads, writes, _ = apis[name]

        def batch_write(i: int) -> None:
            with writes.batch() as batch:
                for item in puts[:100]:
                    batch.put(item)

        key = {"tenant_id": TENANT, "item_id": item_id(7)}
        return {
            "get": (
                lambda i: reads.get(tenant_id=TENANT, item_id=item_id(7)),
                [recorded({"Item": ddb_items[7]})],
            ),
            "put": (lambda i: writes.create(puts[i % 1000]), [recorded({})]),
            "update": (
                lambda i: writes.update(
                    key, Update().set("name", f"renamed-{i}").increment("run_count")
                ),
                [recorded({"Attributes": ddb_items[7]})],
            ),
            "batch get": (
                lambda i: reads.batch_get(keys).items,
                [recorded({"Responses": {"bench-items": ddb_items[:100]}, "UnprocessedKeys": {}})],
            ),
            "query 1 page": (
                lambda i: reads.query(tenant_id=TENANT).items,
                [recorded({"Items": ddb_items, "Count": 1000, "ScannedCount": 1000})],
            ),
            "query pages": (
                lambda i: list(reads.query_all(tenant_id=TENANT, page_size=100)),
                pages(ddb_items),
            ),
            "scan": (lambda i: list(reads.scan_all()), pages(ddb_items)),
            "batch write": (batch_write, [recorded({"UnprocessedItems": {}})]),
        }

    plan: list[tuple[str, str, Any, Callable[[int], Any], list[Recorded]]] = []
    if components:
        import datetime as dt

        from ddbwrap.write.requests import create_plan

        now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
        put = {
            "TableName": "items",
            "Item": ddb_items[7],
            "ConditionExpression": "attribute_not_exists(#p)",
            "ExpressionAttributeNames": {"#p": "tenant_id"},
        }
        plan = [
            (
                "TableGateway.get_item",
                "ddbwrap",
                ddbc,
                lambda i: on.get_item({"TableName": "items", "Key": key7}),
                [recorded({"Item": ddb_items[7]})],
            ),
            ("TableGateway.put_item", "ddbwrap", ddbc, lambda i: on.put_item(put), [recorded({})]),
            (
                "write.requests.create_plan",
                "ddbwrap",
                ddbc,
                lambda i: create_plan(Item, puts[i % 1000], now=now),
                [recorded({})],
            ),
            ("ItemCodec.encode", "ddbwrap", ddbc, lambda i: codec.encode(puts[i % 1000]), []),
        ]
    by_contender = {"raw client": (rawc, raw_ops)}
    for name in apis:
        by_contender[name] = (apis[name][2], ddbwrap_ops(name))
    for workload in LOOPS if not components else ():
        for name, (c, ops) in by_contender.items():
            op, responses = ops[workload]
            plan.append((workload, name, c, op, responses))

    code = compile("for i in range(n): op(i)", "measured", "exec")
    gc.disable()
    for _, _, c, op, responses in plan:  # warm-up: imports, caches (not counted)
        if responses:
            serve_canned(c, responses)
        for i in range(3):
            op(i)
        stop_canned(c)
    order = []
    for workload, name, c, op, responses in plan:
        n = LOOPS.get(workload, 20)
        if responses:
            serve_canned(c, responses)
        exec(code, {"op": op, "n": n})  # counted: see the module docstring
        stop_canned(c)
        order.append((workload, name, n))
    print(ORDER_MARK + json.dumps(order), flush=True)


def count(src: str | None, out: Path, components: bool) -> dict[tuple[str, str], float]:
    """Run the child under callgrind with ``src`` first on the path; instructions per op."""
    env = dict(os.environ, PYTHONHASHSEED="0")
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([src, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    out.mkdir(parents=True, exist_ok=True)
    command = [
        "valgrind",
        "--tool=callgrind",
        "--collect-atstart=no",
        "--toggle-collect=builtin_exec",
        "--dump-after=builtin_exec",
        f"--callgrind-out-file={out}/cg.%p",
        sys.executable,
        str(HERE),
        "--child",
        *(["--components"] if components else []),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    marks = [line for line in done.stdout.splitlines() if line.startswith(ORDER_MARK)]
    if done.returncode != 0 or not marks:
        raise SystemExit(
            f"callgrind run failed ({src}):\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
        )
    order = json.loads(marks[-1][len(ORDER_MARK) :])
    dumps = sorted(
        (p for p in out.iterdir() if re.fullmatch(r"cg\.\d+\.\d+", p.name)),
        key=lambda p: int(p.name.rsplit(".", 1)[1]),
    )[-len(order) :]  # the last dumps are the measured loops, in order
    figures = {}
    for (workload, name, n), dump in zip(order, dumps, strict=True):
        found = re.search(r"^summary: (\d+)", dump.read_text(), re.MULTILINE)
        assert found is not None, dump
        figures[(workload, name)] = int(found.group(1)) / n
    return figures


def ratio(figures: dict[tuple[str, str], float], workload: str, name: str) -> float:
    return figures[(workload, name)] / figures[(workload, "raw client")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--src", action="append", default=None, help="a ddbwrap src/ directory (up to two)"
    )
    parser.add_argument("--json", type=Path, default=None, help="write the counts here")
    parser.add_argument("--components", action="store_true", help="parts of a call instead")
    args = parser.parse_args(argv)
    if args.child:
        child(args.components)
        return 0
    sources: list[str | None] = list(args.src) if args.src else [None]
    if len(sources) > 2:
        parser.error("at most two --src")
    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as tmp:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(len(sources)) as pool:
            futures = [
                pool.submit(count, s, Path(tmp) / str(k), args.components)
                for k, s in enumerate(sources)
            ]
            results = [f.result() for f in futures]
    if args.components:
        labels = [s or "this checkout" for s in sources]
        print("# Instructions per call (callgrind; canned responses, gc off)\n")
        print(
            "| part of a call | " + " | ".join(labels) + (" | change |" if len(labels) == 2 else "")
        )
        print("|---|" + "---:|" * (len(labels) + (len(labels) == 2)))
        for key in results[0]:
            cells = [f"{r[key] / 1e3:.1f} k" for r in results]
            if len(results) == 2:
                cells.append(f"{(results[1][key] - results[0][key]) / 1e3:+.1f} k")
            print(f"| {key[0]} | " + " | ".join(cells) + " |")
        print()
        if args.json is not None:
            args.json.write_text(
                json.dumps([{f"{w}": v for (w, _), v in r.items()} for r in results], indent=2)
            )
        return 0
    names = ("raw client", "ddbwrap", "ddbwrap (fast path off)")
    labels = [s or "this checkout" for s in sources]
    print("# Instructions per operation (callgrind; canned responses, gc off)\n")
    for label, figures in zip(labels, results, strict=True):
        print(f"**{label}**\n")
        print("| workload | raw client | ddbwrap | fast path off | ddbwrap / raw | off / raw |")
        print("|---|---:|---:|---:|---:|---:|")
        for workload in LOOPS:
            raw, on, off = (figures[(workload, n)] for n in names)
            unit = f" ({UNITS[workload]})" if workload in UNITS else ""
            print(
                f"| {workload}{unit} | {raw / 1e6:.3f} M | {on / 1e6:.3f} M | {off / 1e6:.3f} M "
                f"| {on / raw:.3f} | {off / raw:.3f} |"
            )
        print()
    if len(results) == 2:
        first, second = results
        print(f"**change of the ratio to the floor, {labels[0]} -> {labels[1]}**\n")
        print("| workload | ddbwrap | fast path off | ddbwrap instructions per op |")
        print("|---|---:|---:|---:|")
        for workload in LOOPS:
            on = ratio(second, workload, "ddbwrap") / ratio(first, workload, "ddbwrap") - 1
            off = (
                ratio(second, workload, "ddbwrap (fast path off)")
                / ratio(first, workload, "ddbwrap (fast path off)")
                - 1
            )
            delta = second[(workload, "ddbwrap")] - first[(workload, "ddbwrap")]
            print(f"| {workload} | {on:+.1%} | {off:+.1%} | {delta / 1e3:+.1f} k |")
        print()
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                [
                    {"src": label, "per_op": {f"{w} / {n}": v for (w, n), v in fig.items()}}
                    for label, fig in zip(labels, results, strict=True)
                ],
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
