"""Built expressions sent to real DynamoDB Local through a raw boto3 client.

These check that what the builders produce is not only the text we expect but what DynamoDB
accepts and evaluates as intended: reserved words, aliases on nested paths, increment of a
missing counter, list_append on a missing list, ADD/DELETE on sets, size() filters, and a bool
index key queried as its stored "true".
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import BaseModel, Field

from ddbwrap import GSI, DomainModel, codec_for, schema_of
from ddbwrap.expressions import (
    Attr,
    Placeholders,
    ProjectionExpression,
    Update,
    build_key_condition,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class Retry(BaseModel):
    max_attempts: int = Field(default=3, alias="maxAttempts")


class Settings(BaseModel):
    retries: int = 3
    retry_policy: Retry = Field(default_factory=Retry, alias="retryPolicy")
    limits: dict[str, int] = {}


class Job(DomainModel):
    job_id: str
    name: str
    status: str = "new"
    size: int = 0
    tags: list[str] = []
    labels: set[str] = set()
    settings: Settings = Field(default_factory=Settings, alias="cfg")
    runs: int = 0
    is_active: bool = True

    class Meta:
        table_name = "expr_jobs"
        partition_key = "job_id"
        gsis = [GSI("active-index", partition_key="is_active")]


CODEC = codec_for(Job)


@pytest.fixture
def table(ddb_client: DynamoDBClient) -> Iterator[str]:
    name = f"expr-{uuid.uuid4().hex[:8]}-jobs"
    ddb_client.create_table(**schema_of(Job).create_table_params(table_name=name))
    yield name
    with contextlib.suppress(ddb_client.exceptions.ResourceNotFoundException):
        ddb_client.delete_table(TableName=name)


def put(client: DynamoDBClient, table: str, job: Job, **params: Any) -> None:
    client.put_item(TableName=table, Item=CODEC.encode(job), **params)


def get(client: DynamoDBClient, table: str, job_id: str) -> Job:
    item = client.get_item(TableName=table, Key={"job_id": {"S": job_id}}, ConsistentRead=True)
    return CODEC.decode(item["Item"])


def test_condition_with_reserved_words_on_nested_aliased_paths(
    ddb_client: DynamoDBClient, table: str
) -> None:
    put(ddb_client, table, Job(job_id="j1", name="pipeline", status="new"))
    holds = (
        (Attr("status") == "new")
        & (Attr("settings.retry_policy.max_attempts") >= 3)
        & Attr("name").begins_with("pipe")
        & ~Attr("settings.limits.daily").exists()
    )
    put(ddb_client, table, Job(job_id="j1", name="renamed"), **holds.params(Job))
    assert get(ddb_client, table, "j1").name == "renamed"


def test_condition_that_does_not_hold_is_refused_by_dynamodb(
    ddb_client: DynamoDBClient, table: str
) -> None:
    put(ddb_client, table, Job(job_id="j1", name="pipeline"))
    fails = (Attr("settings.retry_policy.max_attempts") > 3) | (Attr("size") > 0)
    with pytest.raises(ddb_client.exceptions.ConditionalCheckFailedException):
        put(ddb_client, table, Job(job_id="j1", name="renamed"), **fails.params(Job))
    assert get(ddb_client, table, "j1").name == "pipeline"


def test_update_increment_append_remove_add_and_delete(
    ddb_client: DynamoDBClient, table: str
) -> None:
    put(ddb_client, table, Job(job_id="j1", name="n", runs=4, tags=["a"], labels={"x", "y"}))
    update = (
        Update()
        .increment("runs", 2)
        .increment("settings.limits.daily")  # missing map key: counts from 0
        .append("tags", ["b", "c"])
        .remove("status")
        .add("labels", {"w"})
        .decrement("size", 3)
        .set("name", "renamed")
    )
    ddb_client.update_item(TableName=table, Key={"job_id": {"S": "j1"}}, **update.params(Job))
    job = get(ddb_client, table, "j1")
    assert (job.runs, job.settings.limits, job.tags) == (6, {"daily": 1}, ["a", "b", "c"])
    assert (job.status, job.labels, job.size, job.name) == ("new", {"w", "x", "y"}, -3, "renamed")


def test_missing_list_and_counter_are_created_and_a_set_shrinks(
    ddb_client: DynamoDBClient, table: str
) -> None:
    ddb_client.put_item(
        TableName=table,
        Item={"job_id": {"S": "j2"}, "name": {"S": "n"}, "labels": {"SS": ["x", "y"]}},
    )
    update = Update().prepend("tags", ["first"]).delete("labels", {"x"}).increment("runs")
    ddb_client.update_item(TableName=table, Key={"job_id": {"S": "j2"}}, **update.params(Job))
    job = get(ddb_client, table, "j2")
    assert (job.tags, job.labels, job.runs) == (["first"], {"y"}, 1)


def test_filter_on_size_with_projection(ddb_client: DynamoDBClient, table: str) -> None:
    put(ddb_client, table, Job(job_id="small", name="s", tags=["a"]))
    put(ddb_client, table, Job(job_id="big", name="b", tags=["a", "b", "c"]))
    placeholders = Placeholders()
    filter_expression = (Attr("tags").size() > 1).compile(Job, placeholders)
    projection = ProjectionExpression(["job_id", "name"]).compile(Job, placeholders)
    response = ddb_client.scan(
        TableName=table,
        FilterExpression=filter_expression,
        ProjectionExpression=projection,
        **placeholders.params(),
    )
    assert response["Items"] == [{"job_id": {"S": "big"}, "name": {"S": "b"}}]


def test_bool_index_key_query_and_filter_match_the_stored_string(
    ddb_client: DynamoDBClient, table: str
) -> None:
    put(ddb_client, table, Job(job_id="on", name="a", is_active=True))
    put(ddb_client, table, Job(job_id="off", name="b", is_active=False))
    placeholders = Placeholders()
    key = build_key_condition(schema_of(Job), "active-index", True, None, placeholders)
    queried = ddb_client.query(
        TableName=table,
        IndexName="active-index",
        KeyConditionExpression=key,
        **placeholders.params(),
    )
    scanned = ddb_client.scan(
        TableName=table,
        **(Attr("is_active") == False).params(Job, key="FilterExpression"),  # noqa: E712
    )
    assert [i["job_id"]["S"] for i in queried["Items"]] == ["on"]
    assert [i["job_id"]["S"] for i in scanned["Items"]] == ["off"]


def test_mixed_and_or_not_evaluate_as_written(ddb_client: DynamoDBClient, table: str) -> None:
    put(ddb_client, table, Job(job_id="a", name="x", size=3, tags=["t"]))
    put(ddb_client, table, Job(job_id="b", name="y", size=9, tags=["t"]))
    put(ddb_client, table, Job(job_id="c", name="z", size=9))
    condition = (Attr("size").between(0, 5) & (Attr("name") == "x")) | ~(Attr("tags").size() > 0)
    response = ddb_client.scan(TableName=table, **condition.params(Job, key="FilterExpression"))
    assert sorted(i["job_id"]["S"] for i in response["Items"]) == ["a", "c"]
