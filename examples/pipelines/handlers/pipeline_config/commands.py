"""Commands of the pipeline_config domain."""

from __future__ import annotations

from ddbwrap import ANY_VERSION, Transaction, Update, WriteApi

from ...models.domain_models import PipelineConfig, PipelineRunLog
from ...models.dtos import CreatePipeline, UpdatePipeline


class PipelineConfigWriteApi(WriteApi[PipelineConfig]):
    def register(self, dto: CreatePipeline) -> PipelineConfig:
        """Create a pipeline; refuses an id that exists."""
        return self.create(dto)

    def change(self, pipeline: PipelineConfig, dto: UpdatePipeline) -> PipelineConfig:
        """Apply a partial update to the version of ``pipeline`` the caller read."""
        return self.update(pipeline, dto)

    def record_run(self, run: PipelineRunLog) -> None:
        """Store a run log and the pipeline's last-run fields in one transaction."""
        with Transaction(self.gateway) as tx:
            tx.create(run)
            tx.update(
                PipelineConfig,
                {"pipeline_id": run.pipeline_id},
                Update()
                .set("last_run_id", run.run_id)
                .set("last_run_status", run.status.value)
                .set("last_run_at", run.started_at),
                expected_version=ANY_VERSION,  # denormalised run fields: no lock
            )
