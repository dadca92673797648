"""V1 repositories: the table, keys and indexes are declared on the repository."""

from __future__ import annotations

from ddbwrap.v1 import BaseRepository

from .models import PipelineConfig, PipelineRun


class PipelineConfigRepository(BaseRepository[PipelineConfig]):
    table_name = "pipeline_config"
    hash_key = "pipeline_id"
    range_key = None
    model_class = PipelineConfig
    indexes = {"tenant-index": ("tenant_id", "created_at"), "active-index": "is_active"}


class PipelineRunRepository(BaseRepository[PipelineRun]):
    table_name = "pipeline_run_logs"
    hash_key = "pipeline_id"
    range_key = "run_id"
    model_class = PipelineRun
