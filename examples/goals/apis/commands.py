"""Commands of the goals table, and which of them check the version.

``version`` is only as good as the writers that maintain it (see ``models/domain_models.py``).
So each command says what it protects:

- ``update_progress`` writes without the version check (``ANY_VERSION``). A progress report
  is an absolute value that does not derive from the rest of the goal: it must not fail
  because pp_api recomputed the alignment score a moment ago, and of two reports the later one
  is right. It touches only ``progress_percentage``, ``updated_by``, ``updated_at`` and
  ``version`` (still incremented), and it is conditioned on what it *does* depend on, which
  holds whichever service wrote last: the goal is not closed (``ConditionFailedError``).
- ``edit`` checks the version the caller read (an HTTP ``If-Match``): a title or intent edited
  from a stale copy would silently undo someone else's edit (``VersionConflictError``).
- ``create_goal`` never overwrites (``AlreadyExistsError``).
"""

from __future__ import annotations

from ddbwrap import ANY_VERSION, Attr, WriteApi

from ..models.domain_models import CLOSED_STATUSES, Goal
from ..models.dtos import CreateGoal, EditGoal, UpdateGoalProgress

GOAL_IS_OPEN = ~Attr("status").is_in(CLOSED_STATUSES)
"""Progress can change while a goal is not completed or cancelled."""


class GoalsWriteApi(WriteApi[Goal]):
    """Writes of the shared goals table (only the attributes each write sets are touched)."""

    def create_goal(self, dto: CreateGoal) -> Goal:
        """Create a goal; refuses a goal_id that exists."""
        return self.create(dto)

    def update_progress(self, goal_id: str, dto: UpdateGoalProgress) -> Goal:
        """Record a progress report on an open goal (no version check, see the module doc)."""
        return self.update(
            {"goal_id": goal_id}, dto, expected_version=ANY_VERSION, condition=GOAL_IS_OPEN
        )

    def edit(self, goal_id: str, dto: EditGoal, *, expected_version: int) -> Goal:
        """Apply an edit made on the copy of version ``expected_version``."""
        return self.update({"goal_id": goal_id}, dto, expected_version=expected_version)
