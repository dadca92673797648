"""pp_api's ``GoalDataModel`` (seed 001) as a ddbwrap model of the shared goals table.

The .NET API owns the table ``purposepath-goals-${Stage}``: it created it, it writes most of
its items, and its ``[DynamoDBProperty("...")]`` names are the stored attribute names. This
model reads and writes those items from Python, so:

- **Stored names are the .NET names.** A field whose Python name differs from the stored one
  says so with a pydantic ``alias`` (``metadata_json`` is stored as ``metadata``); every other
  field name *is* its .NET name. ``Meta`` (keys, the ``tenant_id-index`` GSI) matches the
  deployed table, checked by ``infra/goals-table.yaml`` and ``infra/ddbwrap.lock``.
- **Required as .NET requires, tolerant in values, strict writer.** The fields
  GoalDataModel requires are required here (an item without ``status`` is corrupt, and
  ``schema diff --sample`` flags it); their *values* stay open (a status added in .NET next
  month, a progress figure we would not write still read). The DTOs (``dtos.py``) hold the
  rules and the defaults for what *this* service writes.
- **Numbers are exact.** ``progress_percentage`` is a ``Decimal``: the N text .NET wrote
  (a ``double`` or a ``decimal``) is read digit for digit and written back unchanged, where
  a ``float`` would round a .NET ``decimal`` and could not represent ``33.3333333333333333``.
- **Datetimes are aware.** .NET's DynamoDBContext stores ``DateTime`` as UTC ISO-8601 text
  with milliseconds (``2026-01-15T10:30:00.000Z``); ddbwrap reads it and writes microseconds
  (``2026-01-15T10:30:00.000000Z``), which .NET's ``DateTime.Parse`` reads back.
- **Lists are DynamoDB lists (L).** With ``DynamoDBEntryConversion.V2`` .NET stores
  ``List<string>`` as L, which keeps the order of ``alignment_suggestions``. With V1 (the
  default of SDK v3) it stores a string set (SS): these fields still *read* (pydantic takes a
  set for a list), but V1 cannot read the L that ddbwrap writes back, so declare them
  ``set[str]`` then. ``ddbwrap schema diff --sample`` shows which type the live items hold.
- **Attributes this model does not know are kept.** ddbwrap updates touch only the fields
  they set, so attributes that only .NET knows (say, a new ``goal_type``) survive.
- **Optimistic locking is shared, or it is not locking.** ``version`` follows the protocol
  of the AWS SDK for .NET's ``[DynamoDBVersion]`` (missing or 0 = never versioned; a write
  checks the version it read and adds 1). It protects against .NET writes only once
  GoalDataModel maps ``version`` with ``[DynamoDBVersion]``; until then .NET writes do not
  bump it, so it orders this service's writers only. See ``apis/commands.py`` for which writes
  check it.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from ddbwrap import GSI, DomainModel

GOAL_STATUSES = ("draft", "active", "paused", "completed", "cancelled")
"""Statuses pp_api knows today (the model accepts any string; the DTOs only these)."""

CLOSED_STATUSES = ("completed", "cancelled")
"""A closed goal's progress is final: progress updates are refused (a condition)."""

PRIORITIES = ("low", "medium", "high", "critical")
TIME_HORIZONS = ("short_term", "medium_term", "long_term")


class Goal(DomainModel):
    """A goal of a tenant's user: pp_api's GoalDataModel, stored under pp_api's names."""

    goal_id: str
    tenant_id: str
    user_id: str | None = None
    title: str
    intent: str
    alignment_score: int | None = None
    alignment_explanation: str | None = None
    alignment_suggestions: list[str] | None = None
    # Required as GoalDataModel requires them (seed 001): an item without one is corrupt,
    # and drift against live items can flag it. Values stay open strings (tolerant reader);
    # the defaults a new goal gets are the writer's choice, in CreateGoal.
    status: str
    priority: str
    time_horizon: str
    target_date: datetime | None = None
    progress_percentage: Decimal
    # Tolerant: GoalDataModel defaults tags to an empty list, and .NET omits an empty set.
    tags: list[str] = []
    # The .NET property is a string holding JSON text; the Python name says so, the alias
    # keeps the stored name. Parse it with metadata().
    metadata_json: str = Field(alias="metadata")

    # Audit fields (pp_api's BaseDataModel). ddbwrap sets created_at/updated_at on its own
    # writes (Meta below); the handlers set created_by/updated_by from the caller.
    created_at: datetime
    updated_at: datetime | None = None
    created_by: str
    updated_by: str | None = None

    version: int = 0

    class Meta:
        table_name = "goals"
        # pp_api owns the table: lint checks this model reads it tolerantly (DDB111) and,
        # against infra/ddbwrap.lock, that no attribute pp_api's items lack becomes required
        # here (DDB112); `tables` and `export` repeat those warnings.
        owner = "pp_api"
        partition_key = "goal_id"
        gsis = [GSI("tenant_id-index", partition_key="tenant_id")]  # projection ALL, as deployed
        version_attribute = "version"
        created_at_attribute = "created_at"
        updated_at_attribute = "updated_at"
        # DDB103 (an ALL projection of a wide item) and DDB104 (lists without max_length):
        # the index is pp_api's, deployed as it is (changing it is the owner's call), and
        # bounding the lists here would make reads fail on items .NET may legitimately write.
        lint_ignore = ("DDB103", "DDB104")

    @property
    def is_closed(self) -> bool:
        """True for a completed or cancelled goal."""
        return self.status in CLOSED_STATUSES

    def metadata(self) -> dict[str, Any]:
        """``metadata_json`` parsed: a JSON object (``{}`` when .NET stored an empty string).

        Raises ``ValueError`` when the text is not a JSON object.
        """
        parsed = json.loads(self.metadata_json or "{}")
        if not isinstance(parsed, dict):
            raise ValueError(f"goal {self.goal_id}: metadata is not a JSON object")
        return parsed


MODELS = (Goal,)
