"""Queries of the pipeline_run_logs domain."""

from __future__ import annotations

from datetime import datetime

from ddbwrap import Page, ReadApi, between

from ...models.domain_models import PipelineRunLog
from ...models.views import RunLogSummary


class PipelineRunLogReadApi(ReadApi[PipelineRunLog]):
    def runs_between(
        self,
        pipeline_id: str,
        start: datetime,
        end: datetime,
        *,
        limit: int = 25,
        cursor: str | None = None,
    ) -> Page[RunLogSummary]:
        """A pipeline's runs in a time range, newest first (sort key on the start time)."""
        return self.query(
            pipeline_id=pipeline_id,
            sort=between(start, end),
            descending=True,
            view=RunLogSummary,
            limit=limit,
            cursor=cursor,
        )
