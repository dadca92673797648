"""The Lambda router: handlers per model and kind, and the partial batch response.

AWS Lambda (ReportBatchItemFailures) checkpoints at the lowest sequence number reported and
retries every record from there, so the router stops a shard at its first failure and reports
that record alone; records of other shards go on.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.fixtures.streams.load import fixture, get_records
from tests.fixtures.streams.models import (
    PREFIX,
    Goal,
    GoalCard,
    Order,
    OrderLine,
    Task,
    order_entity,
)

from ddbwrap.streams import Change, StreamRecordError, StreamRouter


def goal_sequences(event: dict[str, Any]) -> list[str]:
    return [
        r["dynamodb"]["SequenceNumber"]
        for r in event["Records"]
        if "stream_goals/" in r["eventSourceARN"]
    ]


def make_router(**options: Any) -> tuple[StreamRouter, list[tuple[str, str, str]]]:
    router = StreamRouter(table_prefix=PREFIX, **options)
    seen: list[tuple[str, str, str]] = []

    @router.on(Goal, "insert", "modify")
    def goal_saved(change: Change[Goal]) -> None:
        assert change.new is not None
        seen.append(("goal saved", change.new.goal_id, change.sequence_number))

    @router.on(Goal, "remove")
    def goal_removed(change: Change[Goal]) -> None:
        seen.append(("goal removed", change.keys["goal_id"], change.sequence_number))

    @router.on(Task)
    def task_changed(change: Change[Task]) -> None:
        seen.append((f"task {change.kind}", change.keys["task_id"], change.sequence_number))

    router.register(Order)
    router.register(OrderLine, discriminator=order_entity)
    return router, seen


def test_every_record_reaches_its_handlers_and_nothing_fails() -> None:
    router, seen = make_router()
    event = fixture("lambda_event_local.json")
    response = router(event, None)
    assert response == {"batchItemFailures": []}
    json.dumps(response)  # what Lambda serialises
    sequences = goal_sequences(event)
    assert [s for s in seen if s[0].startswith("goal")] == [
        ("goal saved", "g1", sequences[0]),
        ("goal saved", "g1", sequences[1]),
        ("goal saved", "g1", sequences[2]),
        ("goal saved", "g2", sequences[3]),
        ("goal removed", "g1", sequences[4]),
    ]
    assert [s[:2] for s in seen if s[0].startswith("task")] == [
        ("task insert", "t1"),
        ("task insert", "t2"),
        ("task insert", "t3"),
        ("task remove", "t1"),
    ]
    result = router.process(event)
    assert result.handled == 12 and result.decoded.report.guard_items == 5
    assert result.failures == () and result.not_processed == ()


def test_a_failing_handler_stops_its_shard_and_is_reported_alone() -> None:
    router, seen = make_router()
    event = fixture("lambda_event_local.json")
    sequences = goal_sequences(event)
    failing = sequences[1]

    @router.on(Goal, "modify")
    def flaky(change: Change[Goal]) -> None:
        if change.sequence_number == failing:
            raise RuntimeError("downstream is down")

    result = router.process(event)
    assert router.handle(fixture("lambda_event_local.json")) == {
        "batchItemFailures": [{"itemIdentifier": failing}]
    }
    assert result.response == {"batchItemFailures": [{"itemIdentifier": failing}]}
    (failure,) = result.failures
    assert isinstance(failure.error, RuntimeError)
    assert failure.handler is not None and failure.handler.endswith("flaky")
    assert result.not_processed == tuple(sequences[2:])  # left for Lambda's retry
    goal_seen = [s for s in seen if s[0].startswith("goal")][:3]
    # the first goal handler ran for the failed record (handlers of a record run in order);
    # nothing after it in the shard ran
    assert goal_seen == [
        ("goal saved", "g1", sequences[0]),
        ("goal saved", "g1", sequences[1]),
        ("goal saved", "g1", sequences[0]),
    ]
    # records of other shards (the other tables' streams) were all processed
    assert len([s for s in seen if s[0].startswith("task")]) == 8


def test_one_failure_per_shard() -> None:
    router, _ = make_router()

    @router.on(Goal, "insert")
    def goal_fails(change: Change[Goal]) -> None:
        raise ValueError("no")

    @router.on(Task, "remove")
    def task_fails(change: Change[Task]) -> None:
        raise ValueError("no")

    event = fixture("lambda_event_local.json")
    failures = router.handle(event)["batchItemFailures"]
    goal_first = goal_sequences(event)[0]
    task_remove = [
        r["dynamodb"]["SequenceNumber"]
        for r in event["Records"]
        if "stream_tasks/" in r["eventSourceARN"] and r["eventName"] == "REMOVE"
    ]
    assert failures == [{"itemIdentifier": goal_first}, {"itemIdentifier": task_remove[0]}]


def test_a_malformed_record_is_a_failure_by_default() -> None:
    router, seen = make_router()
    event = fixture("lambda_event_local.json")
    event["Records"][2]["dynamodb"]["NewImage"]["version"] = {"S": "three"}
    bad = event["Records"][2]["dynamodb"]["SequenceNumber"]
    result = router.process(event)
    assert result.response == {"batchItemFailures": [{"itemIdentifier": bad}]}
    assert isinstance(result.failures[0].error, StreamRecordError)
    assert result.failures[0].handler is None
    assert len([s for s in seen if s[0].startswith("goal")]) == 2


def test_a_malformed_record_can_be_skipped() -> None:
    router, seen = make_router(on_malformed="skip")
    event = fixture("lambda_event_local.json")
    event["Records"][2]["dynamodb"]["NewImage"]["version"] = {"S": "three"}
    assert router.handle(event) == {"batchItemFailures": []}
    assert len([s for s in seen if s[0].startswith("goal")]) == 4


def test_a_failing_record_without_a_sequence_number_fails_the_whole_batch() -> None:
    router, _ = make_router()
    event = fixture("lambda_event_local.json")
    del event["Records"][0]["dynamodb"]["SequenceNumber"]
    with pytest.raises(StreamRecordError, match="SequenceNumber"):
        router.handle(event)


def test_kinesis_failures_are_reported_by_kinesis_sequence_number() -> None:
    router, _ = make_router()

    @router.on(Goal, "remove")
    def fails(change: Change[Goal]) -> None:
        raise RuntimeError("no")

    event = fixture("kinesis_event_local.json")
    last = event["Records"][-1]["kinesis"]["sequenceNumber"]
    assert router.handle(event) == {"batchItemFailures": [{"itemIdentifier": last}]}


def test_get_records_batches_need_their_stream() -> None:
    router, seen = make_router()
    arn, response = get_records("stream_goals")
    result = router.process(response, stream_arn=arn, shard="shardId-1")
    assert result.failures == () and len(seen) == 5


def test_handlers_of_a_view() -> None:
    router = StreamRouter(table_prefix=PREFIX)
    titles: list[str] = []

    @router.on(GoalCard, "modify")
    def card(change: Change[GoalCard]) -> None:
        if "title" in change.diff:
            assert change.new is not None
            titles.append(change.new.title)

    assert router.handle(fixture("lambda_event_local.json")) == {"batchItemFailures": []}
    assert titles == ["Ship typed streams"]


def test_unknown_kinds_are_refused() -> None:
    router = StreamRouter()
    with pytest.raises(ValueError, match="unknown change kind"):
        router.add(Goal, print, "upsert")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="on_malformed"):
        StreamRouter(on_malformed="ignore")  # type: ignore[arg-type]
