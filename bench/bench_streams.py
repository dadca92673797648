"""Stream decoding benchmark: records decoded per second, ddbwrap's StreamDecoder against boto3's
TypeDeserializer + pydantic on the same records.

    python bench/bench_streams.py                  # 7 rounds x 20 batches of 1,000 records
    python bench/bench_streams.py --rounds 3 --batches 5

The records are the goal records DynamoDB Local streamed for the suite's fixtures
(tests/fixtures/streams: inserts, modifies with both images, a remove; a ~10-attribute item
with an alias, a set, an exact number, bytes, two datetimes), repeated with other ids and
sequence numbers into batches of 1,000. Contenders:

- ``ddbwrap StreamDecoder.decode``: a whole batch into ``Change[Goal]`` objects (kind, keys,
  old/new as validated ``Goal`` instances, sequence number, aware creation time, TTL flag;
  the field diff is computed when read, so it is timed in its own row), once on the
  botocore-parsed GetRecords form and once on the Lambda event JSON (base64 binaries, epoch
  seconds).
- ``boto3 TypeDeserializer+model_validate``: what a consumer writes by hand without ddbwrap:
  ``TypeDeserializer`` on each attribute of the keys and both images, ``Binary`` unwrapped into
  bytes, ``model_validate`` of each image, the creation time made aware UTC, the kind and the
  sequence number read. No diff, no error reporting per record, no guard skipping.

Before timing, both contenders must produce the same instances from the same records. They run
interleaved within each round (order reversed every other round), with the garbage collector
paused during each timed loop; the table gives records per second (median and min-max over
rounds) and each contender's ratio to ddbwrap's GetRecords row.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import gc
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pydantic
from boto3.dynamodb.types import Binary, TypeDeserializer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.streams.load import fixture, get_records
from tests.fixtures.streams.models import PREFIX, Goal

from ddbwrap.streams import StreamDecoder

BATCH = 1000
DESERIALIZER = TypeDeserializer()
UTC = dt.timezone.utc


def batches() -> tuple[str, dict[str, Any], dict[str, Any]]:
    """``(stream_arn, GetRecords response, Lambda event)`` of BATCH goal records each."""
    arn, response = get_records("stream_goals")
    lambda_records = [
        r
        for r in fixture("lambda_event_local.json")["Records"]
        if "stream_goals/" in r["eventSourceARN"]
    ]
    parsed: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for number in range(BATCH):
        index = number % len(response["Records"])
        goal_id = f"g{number // len(response['Records'])}"
        sequence = f"{number + 1:021d}"
        for source, out in ((response["Records"][index], parsed), (lambda_records[index], events)):
            record = copy.deepcopy(source)
            body = record["dynamodb"]
            body["SequenceNumber"] = sequence
            for image in ("Keys", "NewImage", "OldImage"):
                if image in body:
                    body[image]["GoalId"] = {"S": goal_id}
            out.append(record)
    return arn, {"Records": parsed}, {"Records": events}


def boto3_decode(response: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The by-hand consumer: TypeDeserializer, then model_validate."""

    def plain(image: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for name, av in image.items():
            value = DESERIALIZER.deserialize(av)
            out[name] = value.value if isinstance(value, Binary) else value
        return out

    changes = []
    for record in response["Records"]:
        body = record["dynamodb"]
        keys = plain(body["Keys"])
        new = Goal.model_validate(plain(body["NewImage"])) if "NewImage" in body else None
        old = Goal.model_validate(plain(body["OldImage"])) if "OldImage" in body else None
        created = body["ApproximateCreationDateTime"].astimezone(UTC)
        identity = record.get("userIdentity") or {}
        by_ttl = identity.get("PrincipalId") == "dynamodb.amazonaws.com"
        kind = record["eventName"].lower()
        changes.append((kind, keys, old, new, body["SequenceNumber"], created, by_ttl))
    return changes


def time_per_record(fn: Callable[[], object], batches_: int) -> float:
    """Records per second of ``fn`` (one batch of BATCH records per call), gc paused."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(batches_):
            fn()
        elapsed = time.perf_counter() - start
    finally:
        if gc_was_enabled:
            gc.enable()
    return batches_ * BATCH / elapsed


def contenders() -> dict[str, Callable[[], object]]:
    arn, response, event = batches()
    decoder = StreamDecoder(table_prefix=PREFIX)
    decoder.register(Goal)

    ours = decoder.decode(response, stream_arn=arn)
    from_lambda = decoder.decode(event)
    theirs = boto3_decode(response)
    assert ours.report.changes == from_lambda.report.changes == BATCH, ours.report
    assert [(c.kind, c.old, c.new) for c in ours.changes] == [(t[0], t[2], t[3]) for t in theirs]
    assert [(c.old, c.new) for c in from_lambda.changes] == [(c.old, c.new) for c in ours.changes]

    def decode_and_diff() -> None:
        for change in decoder.decode(response, stream_arn=arn).changes:
            _ = change.diff

    return {
        "ddbwrap StreamDecoder.decode (GetRecords)": lambda: decoder.decode(
            response, stream_arn=arn
        ),
        "ddbwrap StreamDecoder.decode (Lambda event JSON)": lambda: decoder.decode(event),
        "ddbwrap decode + Change.diff of every record": decode_and_diff,
        "boto3 TypeDeserializer+model_validate (GetRecords)": lambda: boto3_decode(response),
    }


def run(rounds: int, batches_: int) -> dict[str, list[float]]:
    runs = contenders()
    results: dict[str, list[float]] = {name: [] for name in runs}
    for fn in runs.values():  # warm caches (codec plans, pydantic validators)
        time_per_record(fn, 1)
    for r in range(rounds):
        order = list(runs.items())
        if r % 2:
            order.reverse()
        for name, fn in order:
            results[name].append(time_per_record(fn, batches_))
        print(f"  round {r + 1}/{rounds} done", file=sys.stderr)
    return results


def table(results: dict[str, list[float]]) -> str:
    baseline = statistics.median(results["ddbwrap StreamDecoder.decode (GetRecords)"])
    lines = [
        "| contender | median records/s | min-max records/s | vs ddbwrap |",
        "|---|---:|---:|---:|",
    ]
    for name, rates in results.items():
        median = statistics.median(rates)
        lines.append(
            f"| {name} | {median:,.0f} | {min(rates):,.0f}-{max(rates):,.0f} "
            f"| {median / baseline:.2f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds (default 7)")
    parser.add_argument(
        "--batches", type=int, default=20, help=f"batches of {BATCH} records per round"
    )
    args = parser.parse_args(argv)
    print(
        f"Python {platform.python_version()}, pydantic {pydantic.VERSION}, "
        f"boto3 {boto3.__version__}; {args.rounds} rounds x {args.batches} batches of "
        f"{BATCH} records, interleaved",
        file=sys.stderr,
    )
    print(table(run(args.rounds, args.batches)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
