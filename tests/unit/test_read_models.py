"""View declarations and how ReadApi finds its model: checked at class definition."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

import boto3
import pytest
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError

from ddbwrap import DomainModel
from ddbwrap.errors import CorruptItemError, ModelDefinitionError, ValidationError
from ddbwrap.gateway import TableGateway
from ddbwrap.read import Page, ReadApi, View
from ddbwrap.read.requests import decode
from ddbwrap.read.view import view_attributes, view_domain


class Pipeline(DomainModel):
    pipeline_id: str
    name: str = Field(alias="Name")
    retries: int = 0
    note: str | None = None
    created_at: datetime

    class Meta:
        table_name = "pipelines"
        partition_key = "pipeline_id"


class Summary(View[Pipeline]):
    pipeline_id: str
    name: str


class Labelled(DomainModel):
    item_id: str
    labels: set[str]
    scores: frozenset[int] | None = None

    class Meta:
        table_name = "labelled"
        partition_key = "item_id"


@pytest.fixture(scope="module")
def gateway() -> TableGateway:
    client = boto3.client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="unit",
        aws_secret_access_key="unit",
    )
    return TableGateway(client)


# --- views -----------------------------------------------------------------------------------


def test_view_knows_its_domain_model() -> None:
    assert view_domain(Summary) is Pipeline


def test_view_maps_fields_to_the_domain_stored_names() -> None:
    assert dict(view_attributes(Summary)) == {"pipeline_id": "pipeline_id", "name": "Name"}


def test_view_with_an_unknown_field_is_refused_at_definition() -> None:
    with pytest.raises(ModelDefinitionError, match="did you mean 'retries'"):

        class Bad(View[Pipeline]):
            retry: int


def test_view_with_an_incompatible_type_is_refused_at_definition() -> None:
    with pytest.raises(ModelDefinitionError, match="retries"):

        class Bad(View[Pipeline]):
            retries: str


def test_view_may_not_make_an_optional_field_required() -> None:
    with pytest.raises(ModelDefinitionError, match="note"):

        class Bad(View[Pipeline]):
            note: str


def test_view_of_a_plain_pydantic_model_is_refused() -> None:
    class Plain(BaseModel):
        x: int

    with pytest.raises(ModelDefinitionError):

        class Bad(View[Plain]):  # type: ignore[type-var]
            x: int


def test_view_without_a_domain_model_is_refused() -> None:
    with pytest.raises(ModelDefinitionError, match="must name its domain model"):

        class Bad(View[Any]):
            x: int


def test_views_are_frozen() -> None:
    summary = Summary(pipeline_id="p1", name="n")
    with pytest.raises(PydanticValidationError):
        summary.name = "other"  # type: ignore[misc]


def test_view_decodes_a_raw_item_by_stored_names() -> None:
    item = {"pipeline_id": {"S": "p1"}, "Name": {"S": "n"}, "retries": {"N": "3"}}
    assert decode(Pipeline, Summary, item) == Summary(pipeline_id="p1", name="n")


def test_view_field_falls_back_to_the_domain_default() -> None:
    class Retries(View[Pipeline]):
        pipeline_id: str
        retries: int

    assert decode(Pipeline, Retries, {"pipeline_id": {"S": "p1"}}) == Retries(
        pipeline_id="p1", retries=0
    )


def test_view_reads_a_missing_set_as_empty_like_the_model() -> None:
    """Empty sets are not stored (DynamoDB refuses them), so an item without the attribute
    holds an empty set: the view reads it as the model does."""

    class Labels(View[Labelled]):
        item_id: str
        labels: set[str]
        scores: frozenset[int] | None = None

    item = {"item_id": {"S": "i1"}}
    model = decode(Labelled, None, item)
    assert (model.labels, model.scores) == (set(), frozenset())
    assert decode(Labelled, Labels, item) == Labels(
        item_id="i1", labels=set(), scores=frozenset()
    )


def test_view_decode_failure_names_view_table_and_key() -> None:
    with pytest.raises(CorruptItemError) as error:
        decode(Pipeline, Summary, {"pipeline_id": {"S": "p1"}})
    assert (error.value.model, error.value.table) == ("Summary", "pipelines")
    assert error.value.key == {"pipeline_id": "p1"}


# --- ReadApi model discovery -----------------------------------------------------------------


def test_read_api_subscript_is_a_class_bound_to_the_model(gateway: TableGateway) -> None:
    assert ReadApi[Pipeline](gateway).model is Pipeline


def test_read_api_subscript_is_cached() -> None:
    assert ReadApi[Pipeline] is ReadApi[Pipeline]


def test_read_api_subclass_finds_its_model(gateway: TableGateway) -> None:
    class PipelineReads(ReadApi[Pipeline]):
        def named(self, pipeline_id: str) -> Summary | None:
            return self.get(pipeline_id=pipeline_id, view=Summary)

    assert PipelineReads(gateway).model is Pipeline


def test_generic_read_api_subclass_binds_later(gateway: TableGateway) -> None:
    M = TypeVar("M", bound=DomainModel)

    class AuditedReads(ReadApi[M], Generic[M]):
        pass

    assert AuditedReads[Pipeline](gateway).model is Pipeline


def test_read_api_without_a_model_is_refused(gateway: TableGateway) -> None:
    with pytest.raises(ModelDefinitionError, match=r"ReadApi\[YourModel\]"):
        ReadApi(gateway)


def test_read_api_of_a_non_domain_model_is_refused() -> None:
    with pytest.raises(ModelDefinitionError, match="must be a DomainModel"):

        class Bad(ReadApi[int]):  # type: ignore[type-var]
            pass


def test_read_api_instances_are_read_apis(gateway: TableGateway) -> None:
    assert isinstance(ReadApi[Pipeline](gateway), ReadApi)


def test_page_is_frozen() -> None:
    page: Page[int] = Page(items=(1, 2))
    with pytest.raises(AttributeError):
        page.cursor = "x"  # type: ignore[misc]


def test_page_iterates_its_items() -> None:
    assert list(Page(items=(1, 2))) == [1, 2]


def test_page_without_capacity_reports_none() -> None:
    assert Page[Any](items=()).capacity_units is None


def test_read_api_refuses_something_that_is_not_a_gateway() -> None:
    with pytest.raises(ValidationError, match="needs a TableGateway, got dict"):
        ReadApi[Pipeline]({})  # type: ignore[arg-type]
