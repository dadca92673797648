"""Peer benchmark: ddbwrap (botocore and direct transports) against the raw boto3 client, raw
aiobotocore, boto3 Table + pydantic, PynamoDB, dyntastic, pydynox and dynamoxy, on DynamoDB Local
and on a replay server (no DynamoDB), client CPU per operation.

    python bench/peers.py --runs 3 --write-docs   # the table of docs/performance.md (~10 min)
    python bench/peers.py --quick                 # a quick look (fewer operations, 3 runs)
    python bench/peers.py --transport stub        # only the replay server
    python bench/peers.py --contenders ddbwrap "ddbwrap direct" pydynox
    python bench/peers.py --markdown out.md --json out.json
    python bench/peers.py --profile               # where a direct-transport get/query goes
    python bench/peers.py --transport stub --replay-latency 10  # a server 10 ms away

The script runs in a virtual environment of its own on Python >= 3.12 (dynamoxy needs it):
``bench/peers/environment.py`` builds it (ddbwrap from this repository, editable, and
``bench/requirements.txt``) and the script re-executes itself there; ``--no-venv`` runs in the
current interpreter instead (missing peers are skipped). DynamoDB Local is started by the script
(``ddbwrap.testing.local.DynamoDBLocal``; ``DDBWRAP_TEST_ENDPOINT`` points it at your own).

What runs: every contender (``bench/peers/contenders.py``) loads 1,000 items of 15 attributes into
its own table, and each workload is checked (right count, typed results, the very items whose
keys were asked for) and timed:

- on **DynamoDB Local** (the real server on this machine);
- on the **replay server** (``bench/peers/stub.py``): a separate process on loopback that first
  records every contender's requests against DynamoDB Local, then answers them with the
  recordings, each request with the answer to the keys it asked for (a GetItem for its key, a
  batch get for its window of 100 keys, a query page for its ExclusiveStartKey): no DynamoDB, no
  JVM, and a client that does not go through botocore (pydynox, dynamoxy, ddbwrap's direct
  transport) is answered as well as one that does. Every contender's result is checked on the
  replay too, before timing.

``--runs N`` (3 by default) are N interleaved runs in one process: in each run every contender
does the workload once, in an order that rotates from run to run; the garbage collector is paused
during each timed loop (as ``timeit`` does). The clock is this process's CPU time
(``time.process_time``: the client's own cost; neither DynamoDB Local's JVM, nor the replay
server, nor the machine's other jobs count) unless ``--clock wall``. Tables give each figure's
median over the runs and its min-max; a contender's ratio is its median over the raw boto3
client's median in the same run. The async section runs 64 GetItems in flight (``asyncio``) per
contender with an async API: CPU per get against raw aiobotocore, and gets per second (wall).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--transport", choices=["both", "stub", "local"], default="both")
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs (3)")
    parser.add_argument("--quick", action="store_true", help="a fifth of the operations")
    parser.add_argument("--workloads", nargs="*", default=None, help="a subset of workloads")
    parser.add_argument(
        "--contenders", nargs="*", default=None, help="a subset (the raw client always runs)"
    )
    parser.add_argument(
        "--clock", choices=["cpu", "wall"], default="cpu", help="this process's CPU or wall time"
    )
    parser.add_argument("--no-async", action="store_true", help="skip the 64-in-flight section")
    parser.add_argument(
        "--replay-latency",
        type=float,
        default=0.0,
        metavar="MS",
        help="the replay server waits MS milliseconds before each answer (0)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile a get and a 1,000-item query (direct)"
    )
    parser.add_argument(
        "--write-docs",
        action="store_true",
        help="replace the generated blocks of docs/performance.md",
    )
    parser.add_argument("--markdown", type=Path, default=None, help="write the tables here too")
    parser.add_argument("--json", type=Path, default=None, help="write raw figures here")
    parser.add_argument("--no-venv", action="store_true", help="run in this interpreter")
    args = parser.parse_args(argv)
    if args.replay_latency < 0:
        parser.error(f"--replay-latency takes milliseconds >= 0, got {args.replay_latency:g}")
    if args.replay_latency and args.write_docs:
        parser.error("--write-docs writes the figures without latency; drop --replay-latency")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if not args.no_venv:
        from peers import environment

        environment.reexec(sys.argv)
    from peers import harness

    return harness.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
