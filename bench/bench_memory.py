"""Peak memory of streaming a long query on the direct transport, sync and async.

    python bench/bench_memory.py                 # 100,000 items: 100 pages of 1,000
    python bench/bench_memory.py --pages 10      # a quick look

A canned HTTP server in a separate process answers every Query with a page of 1,000 items of
the peer benchmark's 15-attribute item (``bench/peers/models.py``, about 0.69 MB of JSON per
page) and a ``LastEvaluatedKey`` naming the next page, until the last. The client streams the
whole result (``ReadApi.query_all`` / ``AsyncReadApi.query_all`` on ``transport="direct"``),
counting the items and dropping each one; the figure to compare is the peak while holding one
decoded page (``query(...).items``). Each scenario runs in a fresh process, measured twice: its
peak resident memory above the warmed-up process (every allocation, pydantic-core's parse of
the body in Rust included) and its peak under ``tracemalloc`` (Python's allocator only). Issue
16's target: the streaming peak stays flat with the number of items and at most one decoded
page.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peers.models import TENANT, Item, values

from ddbwrap import ReadApi, TableGateway
from ddbwrap.aio import AsyncReadApi, AsyncTableGateway
from ddbwrap.codec import codec_for

PAGE = 1000

def start_server(workdir: Path, pages: int) -> tuple[subprocess.Popen[bytes], str]:
    """The canned server, answering ``pages`` pages; its endpoint URL."""
    codec = codec_for(Item)
    items = [codec.encode(Item(**values(i))) for i in range(PAGE)]
    (workdir / "items.json").write_bytes(orjson.dumps(items))
    port_file = workdir / "port"
    server = Path(__file__).resolve().parent / "canned_pages.py"
    command = [sys.executable, str(server), str(workdir / "items.json"), str(pages), TENANT]
    process = subprocess.Popen([*command, str(port_file)])
    for _ in range(200):
        if port_file.exists() and port_file.read_text():
            return process, f"http://127.0.0.1:{port_file.read_text()}"
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("the canned server did not start")


def peak_mb(run: Callable[[], int]) -> tuple[float, int]:
    """(peak traced MB above the start, what ``run`` returned)."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        result = run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - base) / 1e6, result


SCENARIOS = {
    "page": "one decoded page held (query(...).items)",
    "sync": "streaming {items:,} items, sync",
    "async": "streaming {items:,} items, async",
}


def resident_peak_mb(reset: bool = False) -> float:
    """This process's peak resident memory (Linux: ``VmHWM``), MB; ``reset`` first lowers the
    peak to the memory resident now (``/proc/self/clear_refs``)."""
    if reset:
        Path("/proc/self/clear_refs").write_text("5")
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1e3
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(scenario: str, endpoint: str) -> int:
    """Run one scenario in this (fresh) process: its peak resident memory above the warmed-up
    process (every allocation: pydantic-core's and orjson's in Rust and C too), then its peak
    under tracemalloc (Python's allocator only); printed as JSON."""
    import boto3
    from aiobotocore.session import get_session

    credentials = {
        "region_name": "us-east-1",
        "aws_access_key_id": "bench",
        "aws_secret_access_key": "bench",
    }
    client = boto3.client("dynamodb", endpoint_url=endpoint, **credentials)
    secret = "bench-cursor-secret-0123456789abcdef"
    reads = ReadApi[Item](TableGateway(client, transport="direct"), cursor_secret=secret)
    runner = asyncio.Runner()
    opened = get_session().create_client("dynamodb", endpoint_url=endpoint, **credentials)
    aclient = runner.run(opened.__aenter__())
    agateway = AsyncTableGateway(aclient, transport="direct")
    areads = AsyncReadApi[Item](agateway, cursor_secret=secret)

    def one_page() -> int:
        return len(reads.query(tenant_id=TENANT).items)

    def stream() -> int:
        return sum(1 for _ in reads.query_all(tenant_id=TENANT))

    async def count_async() -> int:
        count = 0
        async for _ in areads.query_all(tenant_id=TENANT):
            count += 1
        return count

    async def warm_async() -> int:  # compiled once (codec, readers, checks): not measured
        return len((await areads.query(tenant_id=TENANT, limit=2)).items)

    runner.run(warm_async())
    reads.query(tenant_id=TENANT, limit=2)
    run = {"page": one_page, "sync": stream, "async": lambda: runner.run(count_async())}[scenario]
    gc.collect()
    before = resident_peak_mb(reset=True)
    began = time.perf_counter()
    count = run()
    seconds = time.perf_counter() - began
    rss = resident_peak_mb() - before
    traced, _ = peak_mb(run)
    runner.run(opened.__aexit__(None, None, None))
    runner.close()
    print(orjson.dumps({"count": count, "rss": rss, "traced": traced, "seconds": seconds}).decode())
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=100, help="pages of 1,000 items (100)")
    parser.add_argument("--child", choices=SCENARIOS, help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.endpoint)
    workdir = Path(subprocess.check_output(["mktemp", "-d"]).decode().strip())
    process, endpoint = start_server(workdir, args.pages)
    try:
        rows: list[tuple[str, dict[str, float]]] = []
        for scenario, template in SCENARIOS.items():
            command = [sys.executable, __file__, "--child", scenario, "--endpoint", endpoint]
            figures = orjson.loads(subprocess.check_output(command).splitlines()[-1])
            label = template.format(items=args.pages * PAGE)
            took = f"{figures['count']:,} items in {figures['seconds']:.1f} s"
            print(f"  {label}: {took}", flush=True)
            rows.append((label, figures))
        print("\n| what | items | peak resident MB | peak MB (tracemalloc) |")
        print("|---|---:|---:|---:|")
        for label, f in rows:
            print(f"| {label} | {f['count']:,} | {f['rss']:.2f} | {f['traced']:.2f} |")
        held = rows[0][1]["rss"]
        worst = max(figures["rss"] for _, figures in rows[1:])
        print(f"\nstreaming peak {worst:.2f} MB resident, {worst / held:.2f}x one decoded page's")
        return 0
    finally:
        process.kill()


if __name__ == "__main__":
    raise SystemExit(main())
