"""V2 read and write APIs: access patterns get names; a scan is called a scan."""

from __future__ import annotations

from collections.abc import Iterator

from ddbwrap.read import Page, ReadApi
from ddbwrap.write import WriteApi

from .models import PipelineConfig, PipelineRun, PipelineSummary


class PipelineConfigReadApi(ReadApi[PipelineConfig]):
    def for_tenant(self, tenant_id: str) -> Iterator[PipelineConfig]:
        return self.query_all(index="tenant-index", tenant_id=tenant_id)

    def active(self) -> Iterator[PipelineSummary]:
        return self.query_all(index="active-index", is_active=True, view=PipelineSummary)


class PipelineRunReadApi(ReadApi[PipelineRun]):
    def history(self, pipeline_id: str, *, limit: int = 50) -> Page[PipelineRun]:
        return self.query(pipeline_id=pipeline_id, descending=True, limit=limit)


PipelineConfigWriteApi = WriteApi[PipelineConfig]
PipelineRunWriteApi = WriteApi[PipelineRun]
