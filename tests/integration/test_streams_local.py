"""Streams on DynamoDB Local: writes through WriteApi (creates, updates, a unique-guard move, a
transaction, a batch, deletes) stream records that the poller and the router decode into exactly
the expected typed changes; guard items are skipped; a failing handler makes exactly its record
a batch item failure; a projection replayed twice and out of order equals one clean pass."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any

import pytest
from tests.fixtures.streams import scenario
from tests.fixtures.streams.expected import GOAL_CHANGES, assert_goal_changes
from tests.fixtures.streams.load import fixture, get_records, parse_get_records
from tests.fixtures.streams.models import (
    PREFIX,
    Goal,
    Order,
    OrderLine,
    Task,
    order_entity,
)

from ddbwrap import DomainModel, TableGateway, Transaction, TransactionCanceledError
from ddbwrap.streams import (
    Change,
    Outbox,
    OutboxEvent,
    OutboxItem,
    OutboxMessage,
    Projection,
    StreamPoller,
    StreamRouter,
)
from ddbwrap.testing.plugin import TableFactory


@pytest.fixture
def streamed(ddb_tables: TableFactory) -> TableGateway:
    """The fixture tables (streams from Meta.stream, plus one on the guard table), written by
    the scenario."""
    gateway = ddb_tables(*scenario.MODELS)
    scenario.enable_guard_stream(gateway)
    scenario.run(gateway)
    return gateway


def make_router(gateway: TableGateway) -> tuple[StreamRouter, list[Change[Any]]]:
    router = StreamRouter(gateway)
    seen: list[Change[Any]] = []
    for model in (Goal, Task, Order, OrderLine):
        router.add(model, seen.append)
    router.discriminate("stream_orders", order_entity)
    return router, seen


def test_create_tables_enables_the_stream_meta_declares(streamed: TableGateway) -> None:
    for model, view_type in [(Goal, "NEW_AND_OLD_IMAGES"), (Task, "KEYS_ONLY")]:
        table = streamed.describe_table(model.__ddb_schema__.table_name)["Table"]  # type: ignore[union-attr]
        assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": view_type}
        assert table["LatestStreamArn"]


def test_writes_stream_exactly_the_expected_typed_changes(streamed: TableGateway) -> None:
    router, seen = make_router(streamed)
    poller = StreamPoller(streamed, ["stream_goals", "stream_tasks", "stream_orders"])
    results = poller.drain(router)
    assert all(r.response == {"batchItemFailures": []} for r in results)
    assert_goal_changes([c for c in seen if c.model is Goal])
    assert [(c.kind, dict(c.keys)) for c in seen if c.model is Task] == [
        ("insert", {"tenant_id": "acme", "task_id": "t1"}),
        ("insert", {"tenant_id": "acme", "task_id": "t2"}),
        ("insert", {"tenant_id": "globex", "task_id": "t3"}),
        ("remove", {"tenant_id": "acme", "task_id": "t1"}),
    ]
    assert [(c.kind, c.model, c.new) for c in seen if c.table == "stream_orders"] == [
        ("insert", Order, Order(order_id="o1", customer="c1", total=Decimal("19.90"))),
        ("insert", OrderLine, OrderLine(order_id="o1", line_no=1, sku="sku-1")),
        ("modify", OrderLine, OrderLine(order_id="o1", line_no=1, sku="sku-1", quantity=3)),
    ]
    # Sequence numbers increase within a shard; creation times are aware UTC datetimes.
    goals = [c for c in seen if c.model is Goal]
    assert [int(c.sequence_number) for c in goals] == sorted(int(c.sequence_number) for c in goals)
    assert all(c.approximate_creation_time and c.approximate_creation_time.tzinfo for c in goals)
    assert poller.drain(router) == []  # nothing delivered twice


def test_the_live_stream_decodes_like_the_golden_fixtures(streamed: TableGateway) -> None:
    """The recorded fixtures are what DynamoDB Local streams for these writes today."""
    router, live = make_router(streamed)
    StreamPoller(streamed, ["stream_goals", "stream_tasks", "stream_orders"]).drain(router)
    golden_router, golden = make_router(TableGateway(streamed.client, table_prefix=PREFIX))
    for table in ("stream_goals", "stream_tasks", "stream_orders"):
        arn, response = get_records(table)
        golden_router.process(response, stream_arn=arn)

    def shape(change: Change[Any]) -> tuple[Any, ...]:
        return (change.kind, change.model, change.table, dict(change.keys), change.old, change.new)

    assert [shape(c) for c in live] == [shape(c) for c in golden]


def test_guard_items_are_skipped_and_counted(streamed: TableGateway) -> None:
    router, seen = make_router(streamed)
    results = StreamPoller(streamed, ["stream_goals-unique"]).drain(router)
    reports = [r.decoded.report for r in results]
    assert sum(r.guard_items for r in reports) == sum(r.records for r in reports) == 5
    assert seen == []


def test_partial_batch_failures_are_exactly_the_failing_records(streamed: TableGateway) -> None:
    router, seen = make_router(streamed)
    fail_once: set[str] = set()

    @router.on(Goal, "modify")
    def flaky(change: Change[Goal]) -> None:
        if change.diff.get("email") and change.sequence_number not in fail_once:
            fail_once.add(change.sequence_number)
            raise RuntimeError("the mail service is down")

    @router.on(Task, "insert")
    def task_flaky(change: Change[Task]) -> None:
        if change.keys["task_id"] == "t2" and "t2" not in fail_once:
            fail_once.add("t2")
            raise RuntimeError("the task service is down")

    poller = StreamPoller(streamed, ["stream_goals", "stream_tasks"])
    (goals, tasks) = poller.feed(router)
    email_change = next(c for c in seen if c.model is Goal and "email" in c.diff)
    t2 = next(c for c in seen if c.model is Task and c.keys["task_id"] == "t2")
    assert goals.response == {
        "batchItemFailures": [{"itemIdentifier": email_change.sequence_number}]
    }
    assert tasks.response == {"batchItemFailures": [{"itemIdentifier": t2.sequence_number}]}
    assert len(goals.not_processed) == 2 and len(tasks.not_processed) == 2
    assert [c.keys for c in seen if c.model is Goal] == [{"goal_id": "g1"}] * 3
    before = len(seen)
    retried = poller.drain(router)  # Lambda's retry: from the failed records on
    assert all(r.response == {"batchItemFailures": []} for r in retried)
    again = seen[before:]
    first_goal_again = next(c for c in again if c.model is Goal)
    assert first_goal_again.sequence_number == email_change.sequence_number
    assert [c.keys["task_id"] for c in again if c.model is Task] == ["t2", "t3", "t1"]
    goals_seen = [c for c in seen if c.model is Goal]
    assert len(goals_seen) == len(GOAL_CHANGES) + 1  # only the failed record came twice


def test_a_ttl_remove_record_is_flagged(streamed: TableGateway) -> None:
    """DynamoDB Local's TTL process is not observable on demand: its REMOVE record, as Lambda
    delivers it for a TTL deletion, is the live record with the documented userIdentity."""
    poller = StreamPoller(streamed, ["stream_goals"])
    records = poller.records()
    remove = next(r for r in records if r["eventName"] == "REMOVE")
    wire = json.loads(json.dumps(remove, default=str))  # as Lambda's JSON would carry it
    wire["dynamodb"]["ApproximateCreationDateTime"] = 1795339800
    wire["dynamodb"]["OldImage"]["attachment"] = {"B": "AAH+IGJpbmFyeQ=="}
    wire["eventSourceARN"] = poller.stream_arn("stream_goals")
    wire["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    router, seen = make_router(streamed)
    assert router.handle({"Records": [wire]}) == {"batchItemFailures": []}
    (change,) = seen
    assert change.kind == "remove" and change.by_ttl and change.keys == {"goal_id": "g1"}
    assert change.old == GOAL_CHANGES[-1][2]


# --- projections -------------------------------------------------------------------------------


class GoalCard(DomainModel):
    goal_id: str
    title: str
    progress: Decimal
    email: str

    class Meta:
        table_name = "goal_cards"
        partition_key = "goal_id"


class ReplayedCard(DomainModel):
    goal_id: str
    title: str
    progress: Decimal
    email: str

    class Meta:
        table_name = "goal_cards_replayed"
        partition_key = "goal_id"


def scan(gateway: TableGateway, table: str) -> list[dict[str, Any]]:
    items = gateway.scan({"TableName": table, "ConsistentRead": True})["Items"]
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


def test_a_projection_replayed_twice_out_of_order_equals_one_clean_pass(
    ddb_tables: TableFactory, streamed: TableGateway
) -> None:
    ddb_tables(GoalCard, ReplayedCard)
    clean = Projection(
        streamed,
        Goal,
        GoalCard,
        lambda g: GoalCard(goal_id=g.goal_id, title=g.title, progress=g.progress, email=g.email),
    )
    replayed = Projection(
        streamed,
        Goal,
        ReplayedCard,
        lambda g: ReplayedCard(
            goal_id=g.goal_id, title=g.title, progress=g.progress, email=g.email
        ),
    )
    router = StreamRouter(streamed)
    changes: list[Change[Goal]] = []

    @router.on(Goal)
    def project(change: Change[Goal]) -> None:  # the clean pass: as the stream delivers
        changes.append(change)
        clean.apply(change)

    StreamPoller(streamed, [Goal]).drain(router)
    assert [c.kind for c in changes] == ["insert", "modify", "modify", "insert", "remove"]

    shuffled = random.Random(15)
    outcomes: list[str] = []
    for _ in range(2):  # replayed twice, each time in another order
        order = changes[:]
        shuffled.shuffle(order)
        outcomes += replayed.apply_all(order)
    assert outcomes.count("stale") >= 5  # the second replay changed nothing
    outcomes += replayed.apply_all(reversed(changes))
    assert outcomes[-5:] == ["stale"] * 5

    assert scan(streamed, "goal_cards") == scan(streamed, "goal_cards_replayed")
    assert clean.get(goal_id="g1") is None  # removed: a tombstone
    assert clean.get(goal_id="g2") == GoalCard(
        goal_id="g2", title="Write docs", progress=Decimal("0"), email="grace@example.com"
    )
    # a full replay from the start of the stream (a new poller at TRIM_HORIZON) converges too
    StreamPoller(streamed, [Goal]).drain(router)
    assert scan(streamed, "goal_cards") == scan(streamed, "goal_cards_replayed")


def test_projection_deletes_instead_of_tombstones(
    ddb_tables: TableFactory, streamed: TableGateway
) -> None:
    ddb_tables(GoalCard)
    cards = Projection(
        streamed,
        Goal,
        GoalCard,
        lambda g: GoalCard(goal_id=g.goal_id, title=g.title, progress=g.progress, email=g.email),
        on_remove="delete",
    )
    arn = StreamPoller(streamed, [Goal]).stream_arn("stream_goals")
    router = StreamRouter(streamed)
    router.add(Goal, cards.apply)
    records = StreamPoller(streamed, [Goal]).records()
    router.process(records, stream_arn=arn)
    assert [item["goal_id"]["S"] for item in scan(streamed, "goal_cards")] == ["g2"]


def test_golden_get_records_fixture_parses_like_botocore(streamed: TableGateway) -> None:
    """The recorded wire bodies parse into the same shape the poller gets from botocore."""
    live = StreamPoller(streamed, ["stream_goals"]).records()
    recorded = parse_get_records(fixture("local_get_records.json")["stream_goals"]["body"])
    assert [set(r) for r in live] == [set(r) for r in recorded["Records"]]
    assert [set(r["dynamodb"]) for r in live] == [set(r["dynamodb"]) for r in recorded["Records"]]
    assert type(live[0]["dynamodb"]["ApproximateCreationDateTime"]) is type(
        recorded["Records"][0]["dynamodb"]["ApproximateCreationDateTime"]
    )


# --- the outbox --------------------------------------------------------------------------------


class PlacedOrder(DomainModel):
    order_id: str
    total: Decimal

    class Meta:
        table_name = "outbox_orders"
        partition_key = "order_id"


class OrderPlaced(OutboxEvent):
    order_id: str
    total: Decimal


class OutboxRecord(OutboxItem):
    class Meta:
        table_name = "outbox"
        partition_key = "event_id"
        ttl_attribute = "expires_at"
        stream = "NEW_IMAGE"


def test_the_outbox_publishes_exactly_the_committed_events(ddb_tables: TableFactory) -> None:
    gateway = ddb_tables(PlacedOrder, OutboxRecord)
    outbox = Outbox(OutboxRecord, retention=dt.timedelta(days=7))

    def place(order_id: str, key: str) -> None:
        with Transaction(gateway) as tx:
            tx.create(PlacedOrder(order_id=order_id, total=Decimal("9.90")))
            outbox.add(tx, OrderPlaced(order_id=order_id, total=Decimal("9.90")), key=key)

    place("o1", "o1-placed")
    with pytest.raises(TransactionCanceledError):
        place("o1", "o1-placed-again")  # the order exists: no event either
    with pytest.raises(TransactionCanceledError):
        place("o2", "o1-placed")  # the event key is taken: no order either
    place("o3", "o3-placed")

    router = StreamRouter(gateway)
    published: list[tuple[str, str, Decimal]] = []

    @outbox.on(router, OrderPlaced)
    def publish(message: OutboxMessage[OrderPlaced]) -> None:
        published.append((message.event_id, message.event.order_id, message.event.total))

    results = StreamPoller(gateway, [OutboxRecord]).drain(router)
    assert all(r.response == {"batchItemFailures": []} for r in results)
    assert published == [
        ("o1-placed", "o1", Decimal("9.90")),
        ("o3-placed", "o3", Decimal("9.90")),
    ]
