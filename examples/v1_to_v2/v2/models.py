"""V2 models: the model's Meta is the single source of truth; views read, DTOs write."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from ddbwrap import GSI, DomainModel
from ddbwrap.read import View
from ddbwrap.write import CreateDTO, UpdateDTO


class PipelineConfig(DomainModel):
    """A pipeline's configuration (same table and items as V1's PipelineConfigRepository)."""

    pipeline_id: str
    tenant_id: str
    name: str
    is_active: bool = True
    tags: list[str] = []
    settings: dict[str, int] = {}
    created_at: datetime
    description: str | None = None
    version: int = 0

    class Meta:
        table_name = "pipeline_config"
        partition_key = "pipeline_id"
        gsis = [
            GSI("tenant-index", partition_key="tenant_id", sort_key="created_at"),
            GSI("active-index", partition_key="is_active"),  # stored as "true"/"false"
        ]
        version_attribute = "version"


class PipelineSummary(View[PipelineConfig]):
    """What listings need: three attributes cross the wire instead of the whole item."""

    pipeline_id: str
    name: str
    is_active: bool


class NewPipeline(CreateDTO[PipelineConfig]):
    pipeline_id: str
    tenant_id: str
    name: str
    created_at: datetime


class RenamePipeline(UpdateDTO[PipelineConfig]):
    name: str


class SetActive(UpdateDTO[PipelineConfig]):
    is_active: bool


class RunStep(BaseModel):
    name: str
    duration_ms: int = 0


class PipelineRun(DomainModel):
    """One run of a pipeline (same table and items as V1's PipelineRunRepository)."""

    pipeline_id: str
    run_id: str
    status: Literal["running", "succeeded", "failed"] = "running"
    started_at: datetime
    finished_at: datetime | None = None
    cost: Decimal = Decimal("0")
    steps: list[RunStep] = []

    class Meta:
        table_name = "pipeline_run_logs"
        partition_key = "pipeline_id"
        sort_key = "run_id"


class FinishRun(UpdateDTO[PipelineRun]):
    status: Literal["running", "succeeded", "failed"]
    finished_at: datetime | None
