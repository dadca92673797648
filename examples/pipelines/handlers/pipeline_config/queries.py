"""Queries of the pipeline_config domain."""

from __future__ import annotations

from ddbwrap import Page, ReadApi

from ...models.domain_models import PipelineConfig
from ...models.views import PipelineSummary


class PipelineConfigReadApi(ReadApi[PipelineConfig]):
    def active_for_tenant(
        self, tenant_id: str, *, limit: int = 50, cursor: str | None = None
    ) -> Page[PipelineSummary]:
        """The tenant's active pipelines, as summaries (one GSI query, projected)."""
        return self.query(
            index="tenant-active-index",
            tenant_id=tenant_id,
            is_active=True,
            view=PipelineSummary,
            limit=limit,
            cursor=cursor,
        )
