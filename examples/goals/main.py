"""pp_ai's side of the goals table it shares with the .NET API (seed 001), end to end.

python -m examples.goals.main                                       # embedded (moto)
python -m examples.goals.main --endpoint-url http://localhost:8000  # DynamoDB Local
DDBWRAP_DEMO_ENDPOINT=aws python -m examples.goals.main             # AWS, from the env
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from ddbwrap import AlreadyExistsError, ConditionFailedError, TableGateway, VersionConflictError
from ddbwrap.tooling import create_tables

from .._backend import LABEL_WIDTH, run_with_backend
from .apis.commands import GoalsWriteApi
from .apis.queries import GoalsReadApi
from .dotnet import dotnet_goal_item, put_as_dotnet, raw_goal
from .models.domain_models import MODELS
from .models.dtos import CreateGoal, EditGoal, UpdateGoalProgress

T0 = datetime(2026, 1, 15, 10, 30, tzinfo=timezone.utc)
ONE_THIRD = Decimal("33.33333333333333333333333333333333333")  # 37 digits, kept exactly

Say = Callable[[str], Any]


def run(gateway: TableGateway, say: Say = print) -> dict[str, Any]:
    """Run the scenario on ``gateway``; returns the figures it printed."""
    reads, writes = GoalsReadApi(gateway), GoalsWriteApi(gateway)
    figures: dict[str, Any] = {}

    def line(label: str, text: str) -> None:
        say(f"{label:<{LABEL_WIDTH}}{text}")

    figures["tables"] = [r.table for r in create_tables(gateway, MODELS)]
    line("tables", f"created {', '.join(figures['tables'])} from Goal's Meta")

    # pp_api (.NET) writes a goal: its names, its datetime format, an attribute we do not know.
    put_as_dotnet(
        gateway,
        dotnet_goal_item(
            "g-dotnet",
            "acme",
            title="Grow recurring revenue",
            intent="Reach 1M ARR",
            created_at=T0,
            progress="12.5",
            tags=("revenue", "2026"),
            metadata='{"source": "pp_api"}',
            extra={"goal_type": {"S": "business"}},
        ),
    )
    dotnet = reads.require(goal_id="g-dotnet")
    figures["dotnet_read"] = (dotnet.progress_percentage, dotnet.created_at, dotnet.metadata())
    line(
        ".NET item",
        f"read as Goal: progress {dotnet.progress_percentage}, created_at "
        f"{dotnet.created_at}, metadata {dotnet.metadata()} (stored as 'metadata')",
    )

    for n in range(1, 6):
        writes.create_goal(
            CreateGoal(
                goal_id=f"g-acme-{n}",
                tenant_id="acme",
                user_id=f"u{n}",
                title=f"Goal {n}",
                intent=f"Why goal {n} matters",
                status="active",
                tags=["q1"],
                created_by="pp_ai",
            )
        )
    writes.create_goal(
        CreateGoal(
            goal_id="g-globex-1",
            tenant_id="globex",
            title="Hire",
            intent="Grow",
            created_by="pp_ai",
        )
    )
    line("create", "6 goals created from validated CreateGoal DTOs (5 acme, 1 globex)")

    pages, cursor = [], None
    while True:
        page = reads.for_tenant("acme", limit=4, cursor=cursor)
        pages.append(len(page.items))
        cursor = page.cursor
        if cursor is None:
            break
    figures["pages"] = pages
    line("query", f"acme's goals as GoalCards, 4 per page: pages of {pages} (tenant_id-index)")

    updated = writes.update_progress(
        "g-dotnet", UpdateGoalProgress(progress_percentage=ONE_THIRD, updated_by="pp_ai")
    )
    raw = raw_goal(gateway, "g-dotnet")
    figures["kept"] = (raw["goal_type"], raw["created_at"], raw["progress_percentage"])
    line(
        "progress",
        f"g-dotnet at {updated.progress_percentage}% (stored as N "
        f"{raw['progress_percentage']['N']}, every digit); untouched: .NET's goal_type "
        f"{raw['goal_type']['S']!r} and created_at {raw['created_at']['S']}",
    )

    _refusals(reads, writes, figures, line)
    return figures


def _refusals(
    reads: GoalsReadApi,
    writes: GoalsWriteApi,
    figures: dict[str, Any],
    line: Callable[[str, str], None],
) -> None:
    closed = reads.require(goal_id="g-acme-5")
    writes.edit(
        "g-acme-5", EditGoal(status="completed", updated_by="u5"), expected_version=closed.version
    )
    try:
        writes.update_progress(
            "g-acme-5", UpdateGoalProgress(progress_percentage=Decimal(90), updated_by="pp_ai")
        )
    except ConditionFailedError:
        figures["closed_refused"] = True
        line("condition", "progress on a completed goal refused (ConditionFailedError)")

    alice = reads.require(goal_id="g-acme-1")
    bob = reads.require(goal_id="g-acme-1")
    writes.edit(
        "g-acme-1",
        EditGoal(title="Alice's title", updated_by="alice"),
        expected_version=alice.version,
    )
    try:
        writes.edit(
            "g-acme-1",
            EditGoal(title="Bob's title", updated_by="bob"),
            expected_version=bob.version,
        )
    except VersionConflictError as conflict:
        figures["conflict"] = (conflict.expected, conflict.current)
        line(
            "conflict",
            f"bob's edit of a stale copy refused (read version {conflict.expected}, "
            f"current {conflict.current}): re-read, re-apply, retry",
        )
    try:
        writes.create_goal(
            CreateGoal(
                goal_id="g-dotnet", tenant_id="acme", title="x", intent="y", created_by="pp_ai"
            )
        )
    except AlreadyExistsError:
        figures["duplicate_refused"] = True
        line("create", "a second g-dotnet refused: create never overwrites (AlreadyExistsError)")


def main(argv: list[str] | None = None) -> int:
    return run_with_backend(run, argv, description=__doc__, prefix="goals-demo")


if __name__ == "__main__":
    raise SystemExit(main())
