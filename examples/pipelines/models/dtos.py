"""Write models: validated with the domain models' own field rules."""

from __future__ import annotations

from typing import Literal

from ddbwrap import CreateDTO, UpdateDTO

from .domain_models import PipelineConfig, TableConfig


class CreatePipeline(CreateDTO[PipelineConfig]):
    pipeline_id: str
    tenant_id: str
    name: str
    source: str
    destination: str
    owner: str
    schedule: str = "0 * * * *"
    tags: list[str] = []


class UpdatePipeline(UpdateDTO[PipelineConfig]):
    name: str | None = None
    description: str | None = None
    schedule: str | None = None
    is_active: bool | None = None


class CreateTableConfig(CreateDTO[TableConfig]):
    pipeline_id: str
    table_name: str
    source_schema: str
    target_table: str
    columns: list[str] = []
    load_type: Literal["full", "incremental"] = "full"


class ToggleTable(UpdateDTO[TableConfig]):
    is_enabled: bool
