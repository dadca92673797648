"""Queries of the goals table."""

from __future__ import annotations

from ddbwrap import Page, ReadApi

from ..models.domain_models import Goal
from ..models.views import GoalCard


class GoalsReadApi(ReadApi[Goal]):
    """Reads of the shared goals table; ``get``/``require(goal_id=...)`` come with ReadApi."""

    def for_tenant(
        self, tenant_id: str, *, limit: int = 20, cursor: str | None = None
    ) -> Page[GoalCard]:
        """One page of the tenant's goals as cards (a query of ``tenant_id-index``).

        The index has no sort key (it is pp_api's, as deployed), so the order is DynamoDB's;
        pass ``page.cursor`` back for the next page.
        """
        return self.query(
            index="tenant_id-index", tenant_id=tenant_id, view=GoalCard, limit=limit, cursor=cursor
        )
