"""``V1Adapter``: V1 call sites on V2 ReadApi/WriteApi objects, against DynamoDB Local."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from examples.v1_to_v2.v1 import handlers as v1_handlers
from examples.v1_to_v2.v1.models import PipelineConfig as V1PipelineConfig
from examples.v1_to_v2.v1.repositories import PipelineConfigRepository
from examples.v1_to_v2.v2.apis import PipelineConfigReadApi
from examples.v1_to_v2.v2.models import PipelineConfig

from ddbwrap import AlreadyExistsError, ItemNotFoundError, TableGateway
from ddbwrap.v1 import (
    ItemAlreadyExistsException,
    ItemNotFoundException,
    V1Adapter,
    as_v1_repository,
)
from ddbwrap.write import WriteApi

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

T0 = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def gateway(ddb_tables: Any) -> TableGateway:
    gateway: TableGateway = ddb_tables(PipelineConfig)
    return gateway


@pytest.fixture
def adapter(gateway: TableGateway) -> V1Adapter[PipelineConfig]:
    return V1Adapter(PipelineConfigReadApi(gateway), WriteApi[PipelineConfig](gateway))


def config(pipeline_id: str, **changes: Any) -> PipelineConfig:
    values: dict[str, Any] = {
        "pipeline_id": pipeline_id,
        "tenant_id": "t1",
        "name": f"pipeline {pipeline_id}",
        "created_at": T0,
    }
    return PipelineConfig(**{**values, **changes})


def test_get_returns_the_v2_item_or_none(adapter: V1Adapter[PipelineConfig]) -> None:
    created = adapter.create(config("p1"))
    assert adapter.get("p1") == created
    assert isinstance(adapter.get("p1"), PipelineConfig)
    assert adapter.get("nope") is None


def test_list_returns_a_list_of_one_partition_of_an_index(
    adapter: V1Adapter[PipelineConfig],
) -> None:
    for number in (2, 0, 1):
        adapter.create(config(f"p{number}", created_at=T0 + timedelta(days=number)))
    found = adapter.list("t1", index_name="tenant-index")
    assert isinstance(found, list)
    assert [c.pipeline_id for c in found] == ["p0", "p1", "p2"]


def test_delete_returns_whether_there_was_an_item(adapter: V1Adapter[PipelineConfig]) -> None:
    adapter.create(config("p1"))
    assert adapter.delete("p1") is True
    assert adapter.delete("p1") is False


def test_update_with_changes_of_a_versioned_model_bumps_the_version(
    adapter: V1Adapter[PipelineConfig],
) -> None:
    adapter.create(config("p1"))
    updated = adapter.update("p1", {"name": "renamed"})
    assert (updated.name, updated.version) == ("renamed", 2)


def test_update_of_a_missing_item_raises_a_v1_and_v2_not_found_error(
    adapter: V1Adapter[PipelineConfig],
) -> None:
    with pytest.raises(ItemNotFoundException) as caught:
        adapter.update("nope", {"name": "x"})
    assert isinstance(caught.value, ItemNotFoundError)


def test_create_of_an_existing_key_raises_a_v1_and_v2_already_exists_error(
    adapter: V1Adapter[PipelineConfig],
) -> None:
    adapter.create(config("p1"))
    with pytest.raises(ItemAlreadyExistsException) as caught:
        adapter.create(config("p1"))
    assert isinstance(caught.value, AlreadyExistsError)


def test_create_accepts_a_v1_model_instance(adapter: V1Adapter[PipelineConfig]) -> None:
    v1_item = V1PipelineConfig(pipeline_id="p1", tenant_id="t1", name="n", created_at=T0)
    created = adapter.create(v1_item)
    assert isinstance(created, PipelineConfig)
    assert (created.pipeline_id, created.name, created.version) == ("p1", "n", 1)


def test_as_v1_repository_builds_an_adapter_over_the_same_apis(gateway: TableGateway) -> None:
    reads, writes = PipelineConfigReadApi(gateway), WriteApi[PipelineConfig](gateway)
    repo = as_v1_repository(reads, writes)
    assert repo.reads is reads and repo.writes is writes


# -- V1 handlers, unchanged, on the repository and on the adapter ------------------------------


RepositoryFactory = Callable[[TableGateway], Any]
FACTORIES: dict[str, RepositoryFactory] = {
    "v1-repository": PipelineConfigRepository,
    "v1-adapter-on-v2": lambda gw: V1Adapter(
        PipelineConfigReadApi(gw), WriteApi[PipelineConfig](gw)
    ),
}


@pytest.mark.parametrize("make", FACTORIES.values(), ids=FACTORIES.keys())
def test_v1_handlers_run_unchanged(gateway: TableGateway, make: RepositoryFactory) -> None:
    repo = make(gateway)
    assert v1_handlers.register_pipeline(repo, "p1", "t1", "first") is not None
    assert v1_handlers.register_pipeline(repo, "p1", "t1", "again") is None
    assert v1_handlers.register_pipeline(repo, "p2", "t1", "second") is not None
    assert v1_handlers.rename_pipeline(repo, "p1", "renamed") is True
    assert v1_handlers.rename_pipeline(repo, "nope", "x") is False
    assert v1_handlers.deactivate_pipeline(repo, "p2") is True
    names = [c["name"] for c in v1_handlers.pipelines_for_tenant(repo, "t1")]
    assert sorted(names) == ["renamed", "second"]
    assert v1_handlers.active_pipeline_ids(repo) == ["p1"]
    assert v1_handlers.count_pipelines(repo) == 2
