"""Deriving V2 DomainModels from V1 repositories, and V1 repository declarations."""

from __future__ import annotations

import warnings
from datetime import datetime
from typing import Any

import boto3
import pytest
from pydantic import BaseModel, Field

from ddbwrap import GSI, DomainModel, ModelDefinitionError, TableGateway, schema_of
from ddbwrap.v1 import BaseRepository, derive_domain_model, to_domain_model
from ddbwrap.v1.repository import MIGRATION_GUIDE


class Pipeline(BaseModel):
    pipeline_id: str
    tenant_id: str
    name: str = Field(alias="Name")
    is_active: bool = True
    created_at: datetime
    note: str | None = None


class PipelineRepository(BaseRepository[Pipeline]):
    table_name = "pipelines"
    hash_key = "pipeline_id"
    indexes = {"tenant-index": ("tenant_id", "created_at"), "active-index": "is_active"}


def offline_gateway() -> TableGateway:
    """A gateway that is never called (nothing is sent by constructing a repository)."""
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    return TableGateway(client)


def test_the_derived_model_has_the_repository_table_keys_and_indexes() -> None:
    model = to_domain_model(PipelineRepository)
    assert issubclass(model, DomainModel)
    schema = schema_of(model)
    assert (schema.table_name, schema.partition_key.field, schema.sort_key) == (
        "pipelines",
        "pipeline_id",
        None,
    )
    assert schema.index("tenant-index").sort_key is not None
    active = schema.index("active-index").partition_key
    assert (active.type, active.is_bool) == ("S", True)  # stored as "true"/"false"
    assert str(schema.naive_datetime_zone) == "UTC"


def test_the_derived_model_keeps_field_types_defaults_and_aliases() -> None:
    model = to_domain_model(PipelineRepository)
    fields = model.model_fields
    assert list(fields) == list(Pipeline.model_fields)
    assert fields["name"].alias == "Name"
    assert fields["is_active"].default is True
    assert fields["note"].annotation == str | None
    assert model.__name__ == "Pipeline"


def test_the_derived_model_is_built_once_per_repository() -> None:
    assert to_domain_model(PipelineRepository) is to_domain_model(PipelineRepository)


def test_derive_domain_model_takes_a_range_key_and_gsi_objects() -> None:
    model = derive_domain_model(
        Pipeline,
        table_name="by_tenant",
        hash_key="tenant_id",
        range_key="pipeline_id",
        indexes=[GSI("name-index", partition_key="name")],
        naive_datetime_zone=None,
    )
    schema = schema_of(model)
    assert schema.sort_key is not None and schema.sort_key.field == "pipeline_id"
    assert schema.index("name-index").partition_key.attribute == "Name"
    assert schema.naive_datetime_zone is None


def test_the_model_comes_from_the_generic_parameter_or_model_class() -> None:
    class Explicit(BaseRepository[Any]):
        table_name = "t"
        hash_key = "pipeline_id"
        model_class = Pipeline

    assert list(to_domain_model(Explicit).model_fields) == list(Pipeline.model_fields)


def test_a_misspelt_hash_key_fails_at_class_definition_with_a_suggestion() -> None:
    with pytest.raises(ModelDefinitionError, match="did you mean 'pipeline_id'") as caught:

        class Broken(BaseRepository[Pipeline]):
            table_name = "t"
            hash_key = "pipline_id"

    assert (caught.value.model, caught.value.field) == ("Broken", "pipline_id")


def test_an_index_key_that_is_not_a_field_fails_at_class_definition() -> None:
    with pytest.raises(ModelDefinitionError, match="index 'x-index'"):

        class Broken(BaseRepository[Pipeline]):
            table_name = "t"
            hash_key = "pipeline_id"
            indexes = {"x-index": "missing"}


def test_a_key_type_dynamodb_cannot_index_fails_at_class_definition() -> None:
    class WithList(BaseModel):
        item_id: list[str]

    with pytest.raises(ModelDefinitionError, match="cannot index"):

        class Broken(BaseRepository[WithList]):
            table_name = "t"
            hash_key = "item_id"


def test_a_repository_without_a_model_fails_when_derived() -> None:
    class NoModel(BaseRepository[Any]):
        pass

    NoModel.table_name = "t"
    NoModel.hash_key = "id"
    with pytest.raises(ModelDefinitionError, match="declares no model"):
        to_domain_model(NoModel)


class VersionedPipeline(DomainModel):
    pipeline_id: str
    tenant_id: str
    name: str = Field(alias="Name")
    is_active: bool = True
    created_at: datetime
    note: str | None = None
    version: int = 0

    class Meta:
        table_name = "pipelines"
        partition_key = "pipeline_id"
        version_attribute = "version"


def test_a_declared_domain_model_is_used_as_is() -> None:
    class Bridged(BaseRepository[Pipeline]):
        table_name = "pipelines"
        hash_key = "pipeline_id"
        domain_model = VersionedPipeline

    assert to_domain_model(Bridged) is VersionedPipeline


def test_a_domain_model_that_disagrees_with_the_repository_fails_at_definition() -> None:
    with pytest.raises(ModelDefinitionError, match="table_name 'other'"):

        class Bridged(BaseRepository[Pipeline]):
            table_name = "other"
            hash_key = "pipeline_id"
            domain_model = VersionedPipeline


def test_a_domain_model_lacking_a_v1_field_fails_at_definition() -> None:
    class Wider(BaseModel):
        pipeline_id: str
        extra: int = 0

    with pytest.raises(ModelDefinitionError, match="'extra' is not in VersionedPipeline"):

        class Bridged(BaseRepository[Wider]):
            table_name = "pipelines"
            hash_key = "pipeline_id"
            domain_model = VersionedPipeline


def test_a_model_that_is_a_domain_model_already_is_used_as_is() -> None:
    class Direct(BaseRepository[VersionedPipeline]):
        table_name = "pipelines"
        hash_key = "pipeline_id"

    assert to_domain_model(Direct) is VersionedPipeline


def test_each_repository_class_warns_once_pointing_to_the_migration_guide() -> None:
    class First(BaseRepository[Pipeline]):
        table_name = "pipelines"
        hash_key = "pipeline_id"

    class Second(BaseRepository[Pipeline]):
        table_name = "pipelines"
        hash_key = "pipeline_id"

    gateway = offline_gateway()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        First(gateway)
        First(gateway)
        Second(gateway)
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert [str(w.message).split(" ")[0] for w in deprecations] == ["First", "Second"]
    assert MIGRATION_GUIDE in str(deprecations[0].message)
    assert "docs/migration.md" in MIGRATION_GUIDE
    assert deprecations[0].filename == __file__  # points at the caller
