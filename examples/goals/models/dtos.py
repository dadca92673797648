"""Write models of the goals table: what this service may write, with the rules it writes by.

The domain model reads leniently (the .NET API owns the data); these DTOs are strict: a
status, priority or time horizon pp_api does not know, a progress outside 0..100, or metadata
that is not a JSON object never gets written from Python. ddbwrap also validates every DTO
value with ``Goal``'s own rules for that field.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from pydantic import Field, field_validator

from ddbwrap import CreateDTO, UpdateDTO

from .domain_models import GOAL_STATUSES, PRIORITIES, TIME_HORIZONS, Goal


def _one_of(value: str | None, allowed: tuple[str, ...], what: str) -> str | None:
    if value is not None and value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}")
    return value


def _json_object(value: str | None) -> str | None:
    if value is None:
        return value
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"metadata must be JSON text: {exc.msg}") from None
    if not isinstance(parsed, dict):
        raise ValueError("metadata must be a JSON object")
    return value


class CreateGoal(CreateDTO[Goal]):
    """A new goal (``created_at``, ``updated_at`` and ``version`` are set by ddbwrap)."""

    goal_id: str = Field(min_length=1)
    tenant_id: str = Field(min_length=1)
    user_id: str | None = None
    title: str = Field(min_length=1, max_length=200)
    intent: str = Field(min_length=1)
    status: str = "draft"
    priority: str = "medium"
    time_horizon: str = "medium_term"
    target_date: datetime | None = None
    progress_percentage: Decimal = Decimal(0)
    tags: list[str] = []
    metadata_json: str = "{}"
    created_by: str = Field(min_length=1)

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str) -> str | None:
        return _one_of(value, GOAL_STATUSES, "status")

    @field_validator("priority")
    @classmethod
    def _known_priority(cls, value: str) -> str | None:
        return _one_of(value, PRIORITIES, "priority")

    @field_validator("time_horizon")
    @classmethod
    def _known_horizon(cls, value: str) -> str | None:
        return _one_of(value, TIME_HORIZONS, "time_horizon")

    @field_validator("metadata_json")
    @classmethod
    def _metadata_is_an_object(cls, value: str) -> str | None:
        return _json_object(value)


class UpdateGoalProgress(UpdateDTO[Goal]):
    """A progress report: the new percentage and who reported it."""

    progress_percentage: Decimal = Field(ge=0, le=100)
    updated_by: str = Field(min_length=1)  # required here, though optional in Goal


class EditGoal(UpdateDTO[Goal]):
    """An edit of a goal's description; fields left out are not written."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    intent: str | None = Field(default=None, min_length=1)
    status: str | None = None
    priority: str | None = None
    time_horizon: str | None = None
    target_date: datetime | None = None
    tags: list[str] | None = None
    updated_by: str = Field(min_length=1)

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: str | None) -> str | None:
        return _one_of(value, GOAL_STATUSES, "status")

    @field_validator("priority")
    @classmethod
    def _known_priority(cls, value: str | None) -> str | None:
        return _one_of(value, PRIORITIES, "priority")

    @field_validator("time_horizon")
    @classmethod
    def _known_horizon(cls, value: str | None) -> str | None:
        return _one_of(value, TIME_HORIZONS, "time_horizon")
