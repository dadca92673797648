"""mypy --strict must type stream handlers: a handler registered for ``Goal`` receives
``Change[Goal]`` (run: ``mypy tests/typing``).

Also collected by pytest, where the one test runs mypy on this file (so the suite notices a
typing regression) and the functions below are only type-checked, never called.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typing_extensions import assert_type

from ddbwrap import DomainModel, Transaction, View
from ddbwrap.gateway import TableGateway
from ddbwrap.streams import (
    BatchResponse,
    Change,
    ChangeKind,
    DecodedBatch,
    Outbox,
    OutboxEvent,
    OutboxItem,
    OutboxMessage,
    Projection,
    ProjectionOutcome,
    RouterResult,
    StreamDecoder,
    StreamPoller,
    StreamRouter,
)


class Goal(DomainModel):
    goal_id: str
    title: str
    created_at: datetime

    class Meta:
        table_name = "typing_stream_goals"
        partition_key = "goal_id"
        stream = "NEW_AND_OLD_IMAGES"


class GoalTitle(View[Goal]):
    goal_id: str
    title: str


class Tenant(DomainModel):
    tenant_id: str

    class Meta:
        table_name = "typing_stream_tenants"
        partition_key = "tenant_id"


class GoalCard(DomainModel):
    goal_id: str
    title: str

    class Meta:
        table_name = "typing_goal_cards"
        partition_key = "goal_id"


class Placed(OutboxEvent):
    order_id: str


class OutboxRecord(OutboxItem):
    class Meta:
        table_name = "typing_outbox"
        partition_key = "event_id"
        stream = "NEW_IMAGE"


def check_outbox_types(gateway: TableGateway, router: StreamRouter) -> None:
    outbox = Outbox(OutboxRecord)
    assert_type(outbox, Outbox[OutboxRecord])
    with Transaction(gateway) as tx:
        assert_type(outbox.add(tx, Placed(order_id="o1"), key="k"), OutboxRecord)

    @outbox.on(router, Placed)
    def publish(message: OutboxMessage[Placed]) -> None:
        assert_type(message.event, Placed)
        assert_type(message.event.order_id, str)
        assert_type(message.event_id, str)

    outbox.add_handler(router, Placed, lambda m: assert_type(m.event, Placed))


def check_stream_types(gateway: TableGateway, event: Mapping[str, Any]) -> None:
    router = StreamRouter(gateway)

    @router.on(Goal, "insert", "modify")
    def goal_saved(change: Change[Goal]) -> None:
        assert_type(change.kind, ChangeKind)
        assert_type(change.model, type[Goal])
        assert_type(change.new, Goal | None)
        assert_type(change.old, Goal | None)
        assert_type(change.item, Goal | None)
        assert_type(change.keys, Mapping[str, Any])
        assert_type(change.diff, Mapping[str, tuple[Any, Any]])
        assert_type(change.sequence_number, str)
        assert_type(change.approximate_creation_time, datetime | None)
        assert_type(change.by_ttl, bool)

    assert_type(goal_saved, Callable[[Change[Goal]], None])  # the decorator keeps the type

    @router.on(GoalTitle)
    def title_changed(change: Change[GoalTitle]) -> int:
        assert change.new is not None
        assert_type(change.new.title, str)
        return 1

    assert_type(title_changed(Change.__new__(Change)), int)

    # the handler's parameter is inferred from the model
    router.add(Goal, lambda change: assert_type(change.new, Goal | None))
    router.add(Tenant, lambda change: assert_type(change, Change[Tenant]), "remove")

    assert_type(router(event, None), BatchResponse)
    assert_type(router.handle(event), BatchResponse)
    result = router.process(event)
    assert_type(result, RouterResult)
    assert_type(result.response["batchItemFailures"][0]["itemIdentifier"], str)

    decoder = StreamDecoder(gateway)
    decoder.register(Goal)
    batch = decoder.decode(event)
    assert_type(batch, DecodedBatch)
    assert_type(batch.of(Goal), list[Change[Goal]])
    assert_type(batch.of(GoalTitle), list[Change[GoalTitle]])

    cards = Projection(
        gateway, Goal, GoalCard, lambda goal: GoalCard(goal_id=goal.goal_id, title=goal.title)
    )
    assert_type(cards, Projection[Goal, GoalCard])
    assert_type(cards.apply(batch.of(Goal)[0]), ProjectionOutcome)
    assert_type(cards.get(goal_id="g1"), GoalCard | None)

    poller = StreamPoller(gateway, [Goal])
    assert_type(poller.drain(router), list[RouterResult])


def check_stream_type_errors(gateway: TableGateway) -> None:
    """Mistakes that mypy must report (each line carries the error it expects)."""
    router = StreamRouter(gateway)

    @router.on(Goal)  # type: ignore[arg-type]
    def wrong_model(change: Change[Tenant]) -> None: ...

    router.on(Goal, "upsert")  # type: ignore[arg-type]
    cards = Projection(gateway, Goal, GoalCard, lambda goal: goal)  # type: ignore[arg-type,return-value]
    tenants: Change[Tenant] = Change.__new__(Change)
    Projection(gateway, Goal, GoalCard, lambda g: None).apply(tenants)  # type: ignore[arg-type]
    del cards


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(sys.platform == "win32", reason="mypy run is POSIX-only here")
def test_stream_handler_types_are_inferred_by_mypy() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(Path(__file__))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
