"""Commands of the pipeline_run_logs domain."""

from __future__ import annotations

from ddbwrap import WriteApi

from ...models.domain_models import PipelineRunLog


class PipelineRunLogWriteApi(WriteApi[PipelineRunLog]):
    def import_runs(self, runs: list[PipelineRunLog]) -> int:
        """Bulk-load historical runs (batch writes: not atomic, retried until all stored)."""
        with self.batch() as batch:
            for run in runs:
                batch.put(run)
        return len(runs)
