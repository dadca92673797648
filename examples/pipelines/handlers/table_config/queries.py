"""Queries of the table_config domain."""

from __future__ import annotations

from ddbwrap import Page, ReadApi

from ...models.domain_models import TableConfig
from ...models.views import TableConfigSummary


class TableConfigReadApi(ReadApi[TableConfig]):
    def for_pipeline(self, pipeline_id: str) -> Page[TableConfigSummary]:
        """Every table a pipeline copies (one partition, projected)."""
        return self.query(pipeline_id=pipeline_id, view=TableConfigSummary)
