"""Steps 1-2 of the migration: the V2 model decides how V1 repositories store items.

``domain_model`` makes the V1 repository write through the V2 model (its versions, GSI
encodings and timestamps), and ``to_domain_model`` shows the V2 model V1 derives by itself.
"""

from __future__ import annotations

from ddbwrap import DomainModel, schema_of
from ddbwrap.v1 import BaseRepository, to_domain_model

from ..v1.models import PipelineConfig as V1PipelineConfig
from ..v1.repositories import PipelineRunRepository
from ..v2.models import PipelineConfig


class VersionedPipelineConfigRepository(BaseRepository[V1PipelineConfig]):
    """V1's repository, storing through the V2 model (so V1 writes bump ``version``)."""

    table_name = "pipeline_config"
    hash_key = "pipeline_id"
    model_class = V1PipelineConfig
    domain_model = PipelineConfig


def derived_run_model() -> type[DomainModel]:
    """The V2 model V1 derives from PipelineRunRepository (what `migrate scaffold` writes)."""
    model = to_domain_model(PipelineRunRepository)
    assert schema_of(model).sort_key is not None
    return model
