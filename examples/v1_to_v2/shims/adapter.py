"""Step 3 of the migration: V1 handler bodies running on the V2 APIs, one handler at a time.

The handler bodies are V1's, unchanged; only their annotations moved from the V1 repository
to ``V1Adapter[M]`` (or ``RepositoryLike[...]`` for code that must take both for a while).
"""

from __future__ import annotations

from typing import Any

from ddbwrap import TableGateway
from ddbwrap.v1 import ItemNotFoundException, RepositoryLike, V1Adapter
from ddbwrap.write import WriteApi

from ..v2.apis import PipelineConfigReadApi
from ..v2.models import PipelineConfig


def config_repository(gateway: TableGateway) -> V1Adapter[PipelineConfig]:
    """A V1-shaped repository over the V2 ReadApi and WriteApi."""
    return V1Adapter(PipelineConfigReadApi(gateway), WriteApi[PipelineConfig](gateway))


def rename_pipeline(repo: V1Adapter[PipelineConfig], pipeline_id: str, name: str) -> bool:
    """V1's body: ``update(key, changes)``, ``except ItemNotFoundException``."""
    try:
        repo.update(pipeline_id, {"name": name})
    except ItemNotFoundException:
        return False
    return True


def pipeline_names(repo: RepositoryLike[Any], tenant_id: str) -> list[str]:
    """Takes a V1 repository or an adapter while both are in use."""
    return [config.name for config in repo.list(tenant_id, index_name="tenant-index")]


def tenant_names_both_ways(gateway: TableGateway, tenant_id: str) -> tuple[list[str], list[str]]:
    """The same V1 call site on the V1 repository and on the adapter: same answer."""
    from ..v1.repositories import PipelineConfigRepository

    return (
        pipeline_names(PipelineConfigRepository(gateway), tenant_id),
        pipeline_names(config_repository(gateway), tenant_id),
    )
