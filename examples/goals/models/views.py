"""Read models of the goals table: the attributes each screen needs, fetched with a
ProjectionExpression (views may not declare more than the model has)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ddbwrap import View

from .domain_models import Goal


class GoalCard(View[Goal]):
    """A goal in a tenant's goal list."""

    goal_id: str
    title: str
    status: str
    priority: str
    progress_percentage: Decimal
    target_date: datetime | None
