"""TableGateway against moto's in-process DynamoDB, with faults injected through botocore events.

moto never returns UnprocessedItems/UnprocessedKeys or throttles, so ``LeftoverInjector`` makes
a batch call *really* skip some requests (it removes them before the call is sent and reports
them as unprocessed afterwards), and ``fail_with`` answers a call with an error response without
sending it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws

from ddbwrap.errors import (
    ConditionFailedError,
    ItemTooLargeError,
    ServiceError,
    TableNotFoundError,
    ThrottledError,
    TransactionCanceledError,
    UnprocessedItemsError,
    ValidationError,
)
from ddbwrap.gateway import TableGateway
from ddbwrap.retry import RetryPolicy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

REGION = "us-east-1"

# -- fixtures and fault injection --------------------------------------------------------------


_SESSION = boto3.session.Session()  # one session: its loader caches the service model


@pytest.fixture
def client() -> Iterator[DynamoDBClient]:
    with mock_aws():
        yield _SESSION.client("dynamodb", region_name=REGION)


class Sleeps(list[float]):
    """An injectable ``sleep`` that records the pauses instead of taking them."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def gateway(client: DynamoDBClient, sleeps: Sleeps) -> TableGateway:
    return TableGateway(client, batch_retry=RetryPolicy(sleep=sleeps))


def make_table(client: DynamoDBClient, name: str, *, sort_key: bool = False) -> None:
    schema: list[Any] = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attributes: list[Any] = [{"AttributeName": "pk", "AttributeType": "S"}]
    if sort_key:
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attributes.append({"AttributeName": "sk", "AttributeType": "N"})
    client.create_table(
        TableName=name,
        KeySchema=schema,
        AttributeDefinitions=attributes,
        BillingMode="PAY_PER_REQUEST",
    )


def key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}}


def put(pk: str, **attrs: str) -> dict[str, Any]:
    return {"PutRequest": {"Item": {**key(pk), **{k: {"S": v} for k, v in attrs.items()}}}}


def stored_keys(client: DynamoDBClient, table: str) -> set[str]:
    items = client.scan(TableName=table)["Items"]
    return {item["pk"]["S"] for item in items}


class CallCounter:
    """Counts the calls of one operation that reach the point of being sent."""

    def __init__(self, client: DynamoDBClient, operation: str) -> None:
        self.requests: list[dict[str, Any]] = []
        client.meta.events.register(f"before-parameter-build.dynamodb.{operation}", self._record)

    def _record(self, params: dict[str, Any], **_: Any) -> None:
        self.requests.append(dict(params))

    @property
    def count(self) -> int:
        return len(self.requests)


class LeftoverInjector:
    """Makes BatchWriteItem/BatchGetItem skip the last ``plan[n]`` requests of call n.

    The skipped requests are removed before the call is sent (so they really are not written
    or read) and come back as ``UnprocessedItems``/``UnprocessedKeys``, as DynamoDB does.
    Calls beyond the plan skip ``then`` requests.
    """

    def __init__(
        self, client: DynamoDBClient, operation: str, plan: list[int], then: int = 0
    ) -> None:
        self.operation = operation
        self.plan = list(plan)
        self.then = then
        self.calls = 0
        self.sent: list[int] = []
        events = client.meta.events
        events.register(f"before-parameter-build.dynamodb.{operation}", self._drop)
        events.register(f"before-call.dynamodb.{operation}", self._short_circuit)
        events.register(f"after-call.dynamodb.{operation}", self._report)

    def _flat(self, request_items: dict[str, Any]) -> list[tuple[str, Any]]:
        if self.operation == "BatchGetItem":
            return [(t, k) for t, spec in request_items.items() for k in spec["Keys"]]
        return [(t, r) for t, requests in request_items.items() for r in requests]

    def _drop(self, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        drop = self.plan[self.calls] if self.calls < len(self.plan) else self.then
        self.calls += 1
        flat = self._flat(params["RequestItems"])
        keep, dropped = flat[: max(len(flat) - drop, 0)], flat[max(len(flat) - drop, 0) :]
        self.sent.append(len(flat))
        context["dropped"] = dropped
        context["options"] = {
            t: {k: v for k, v in spec.items() if k != "Keys"}
            for t, spec in params["RequestItems"].items()
            if isinstance(spec, dict)
        }
        if not keep:
            context["short_circuit"] = True
            return
        rebuilt: dict[str, Any] = {}
        for table, entry in keep:
            if self.operation == "BatchGetItem":
                target = rebuilt.setdefault(table, {**context["options"][table], "Keys": []})
                target["Keys"].append(entry)
            else:
                rebuilt.setdefault(table, []).append(entry)
        params["RequestItems"] = rebuilt

    def _short_circuit(self, context: dict[str, Any], **_: Any) -> Any:
        if not context.get("short_circuit"):
            return None
        empty: dict[str, Any] = {"ResponseMetadata": {"HTTPStatusCode": 200}}
        empty["Responses" if self.operation == "BatchGetItem" else "UnprocessedItems"] = {}
        return AWSResponse("http://injected", 200, HTTPHeaders(), None), empty

    def _report(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        dropped = context.get("dropped") or []
        if not dropped:
            return
        if self.operation == "BatchGetItem":
            unprocessed: dict[str, Any] = {}
            for table, k in dropped:
                target = unprocessed.setdefault(table, {**context["options"][table], "Keys": []})
                target["Keys"].append(k)
            parsed["UnprocessedKeys"] = unprocessed
        else:
            items: dict[str, list[Any]] = {}
            for table, request in dropped:
                items.setdefault(table, []).append(request)
            parsed["UnprocessedItems"] = items


def fail_with(
    client: DynamoDBClient, operation: str, code: str, times: int = 1_000_000
) -> list[int]:
    """Answer the next ``times`` calls of ``operation`` with error ``code``, unsent.

    Returns a one-element list holding the number of calls answered so far.
    """
    answered = [0]

    def handler(**_: Any) -> Any:
        if answered[0] >= times:
            return None
        answered[0] += 1
        body = {
            "Error": {"Code": code, "Message": f"injected {code}"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return AWSResponse("http://injected", 400, HTTPHeaders(), None), body

    client.meta.events.register(f"before-call.dynamodb.{operation}", handler)
    return answered


# -- table names -------------------------------------------------------------------------------


def test_physical_table_name_is_prefix_plus_name_plus_suffix(client: DynamoDBClient) -> None:
    gateway = TableGateway(client, table_prefix="purposepath-", table_suffix="-dev")
    assert gateway.physical_table_name("goals") == "purposepath-goals-dev"


def test_empty_table_name_is_refused(client: DynamoDBClient) -> None:
    with pytest.raises(ValidationError):
        TableGateway(client, table_prefix="p-").physical_table_name("")


def test_item_requests_go_to_the_physical_table(client: DynamoDBClient) -> None:
    make_table(client, "p-goals-dev")
    gateway = TableGateway(client, table_prefix="p-", table_suffix="-dev")
    gateway.put_item({"TableName": "goals", "Item": key("a")})
    assert stored_keys(client, "p-goals-dev") == {"a"}
    assert gateway.get_item({"TableName": "goals", "Key": key("a")})["Item"] == key("a")


def test_callers_params_are_not_mutated(client: DynamoDBClient) -> None:
    make_table(client, "p-goals")
    gateway = TableGateway(client, table_prefix="p-")
    params = {"TableName": "goals", "Item": key("a")}
    gateway.put_item(params)
    assert params == {"TableName": "goals", "Item": key("a")}


def test_list_tables_returns_only_this_gateways_tables_by_logical_name(
    client: DynamoDBClient,
) -> None:
    for name in ("p-goals-dev", "p-users-dev", "p-goals-prod", "other-goals-dev", "p--dev"):
        make_table(client, name)
    gateway = TableGateway(client, table_prefix="p-", table_suffix="-dev")
    assert sorted(gateway.list_tables()) == ["goals", "users"]


def test_list_tables_follows_pagination(client: DynamoDBClient) -> None:
    for index in range(105):  # ListTables returns at most 100 names per page
        make_table(client, f"p-t{index:03d}")
    gateway = TableGateway(client, table_prefix="p-")
    assert len(gateway.list_tables()) == 105


def test_batch_responses_are_mapped_back_to_logical_names(client: DynamoDBClient) -> None:
    make_table(client, "p-goals-dev")
    make_table(client, "p-users-dev")
    gateway = TableGateway(client, table_prefix="p-", table_suffix="-dev")
    gateway.batch_write({"goals": [put("g1")], "users": [put("u1"), put("u2")]})
    result = gateway.batch_get(
        {"goals": {"Keys": [key("g1")]}, "users": {"Keys": [key("u1"), key("u2")]}}
    )
    assert set(result) == {"goals", "users"}
    assert [item["pk"]["S"] for item in result["goals"]] == ["g1"]
    assert sorted(item["pk"]["S"] for item in result["users"]) == ["u1", "u2"]


def test_unprocessed_batch_requests_are_reported_by_logical_name(
    client: DynamoDBClient, sleeps: Sleeps
) -> None:
    make_table(client, "p-goals-dev")
    gateway = TableGateway(
        client,
        table_prefix="p-",
        table_suffix="-dev",
        batch_retry=RetryPolicy(max_attempts=2, sleep=sleeps),
    )
    LeftoverInjector(client, "BatchWriteItem", plan=[], then=1)
    with pytest.raises(UnprocessedItemsError) as caught:
        gateway.batch_write({"goals": [put("a"), put("b")]})
    assert [table for table, _ in caught.value.unprocessed] == ["goals"]


def test_transact_write_maps_every_actions_table_name(client: DynamoDBClient) -> None:
    make_table(client, "p-goals")
    make_table(client, "p-users")
    gateway = TableGateway(client, table_prefix="p-")
    gateway.transact_write(
        [
            {"Put": {"TableName": "goals", "Item": key("g")}},
            {"Put": {"TableName": "users", "Item": key("u")}},
        ]
    )
    assert stored_keys(client, "p-goals") == {"g"}
    assert stored_keys(client, "p-users") == {"u"}


# -- from_environment --------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_RETRY_MODE",
        "AWS_MAX_ATTEMPTS",
        "AWS_PROFILE",
        "DDBWRAP_TABLE_PREFIX",
        "DDBWRAP_TABLE_SUFFIX",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return monkeypatch


def test_from_environment_uses_the_dynamodb_endpoint_variable(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    clean_env.setenv("AWS_ENDPOINT_URL", "http://generic.invalid:1")
    clean_env.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://localhost:8000")
    gateway = TableGateway.from_environment()
    assert gateway.client.meta.endpoint_url == "http://localhost:8000"


def test_from_environment_reads_aws_region_which_botocore_ignores(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("AWS_REGION", "ap-southeast-2")
    assert TableGateway.from_environment().client.meta.region_name == "ap-southeast-2"


def test_from_environment_without_region_raises_service_error(
    clean_env: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ServiceError, match="AWS_REGION"):
        TableGateway.from_environment()


def test_from_environment_reads_prefix_and_suffix(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    clean_env.setenv("DDBWRAP_TABLE_PREFIX", "purposepath-")
    clean_env.setenv("DDBWRAP_TABLE_SUFFIX", "-staging")
    gateway = TableGateway.from_environment()
    assert gateway.physical_table_name("goals") == "purposepath-goals-staging"


def test_from_environment_explicit_prefix_wins_over_environment(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    clean_env.setenv("DDBWRAP_TABLE_PREFIX", "env-")
    gateway = TableGateway.from_environment(table_prefix="", table_suffix="-x")
    assert gateway.physical_table_name("goals") == "goals-x"


def test_from_environment_configures_botocore_retries(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    clean_env.setenv("AWS_RETRY_MODE", "adaptive")
    gateway = TableGateway.from_environment(max_attempts=4)
    retries = gateway.client.meta.config.retries  # type: ignore[attr-defined]
    assert retries == {"mode": "adaptive", "total_max_attempts": 4}


def test_botocore_retries_throttling_before_throttled_error_surfaces(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    clean_env.setattr(time, "sleep", lambda _: None)  # botocore's own backoff
    gateway = TableGateway.from_environment(endpoint_url="http://localhost:1", max_attempts=3)
    sends = [0]

    def throttle(**_: Any) -> Any:
        sends[0] += 1
        body = (
            b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",'
            b'"message":"slow down"}'
        )
        return AWSResponse("http://localhost:1", 400, HTTPHeaders(), _Raw(body))

    gateway.client.meta.events.register("before-send.dynamodb.GetItem", throttle)
    with pytest.raises(ThrottledError):
        gateway.get_item({"TableName": "goals", "Key": key("a")})
    assert sends[0] == 3


class _Raw:
    """The minimal raw HTTP body botocore reads from an AWSResponse."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


# -- single-item operations --------------------------------------------------------------------


def test_get_item_returns_the_raw_item(client: DynamoDBClient, gateway: TableGateway) -> None:
    make_table(client, "goals")
    client.put_item(TableName="goals", Item={**key("a"), "n": {"N": "1.50"}})
    response = gateway.get_item({"TableName": "goals", "Key": key("a")})
    assert response["Item"] == {**key("a"), "n": {"N": "1.50"}}


def test_get_item_of_a_missing_item_has_no_item(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    assert "Item" not in gateway.get_item({"TableName": "goals", "Key": key("nope")})


def test_update_item_returns_the_requested_attributes(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    gateway.put_item({"TableName": "goals", "Item": {**key("a"), "n": {"N": "1"}}})
    response = gateway.update_item(
        {
            "TableName": "goals",
            "Key": key("a"),
            "UpdateExpression": "SET #n = #n + :one",
            "ExpressionAttributeNames": {"#n": "n"},
            "ExpressionAttributeValues": {":one": {"N": "1"}},
            "ReturnValues": "ALL_NEW",
        }
    )
    assert response["Attributes"]["n"] == {"N": "2"}


def test_delete_item_removes_the_item(client: DynamoDBClient, gateway: TableGateway) -> None:
    make_table(client, "goals")
    gateway.put_item({"TableName": "goals", "Item": key("a")})
    gateway.delete_item({"TableName": "goals", "Key": key("a")})
    assert stored_keys(client, "goals") == set()


def _fill_sorted(client: DynamoDBClient, count: int) -> None:
    make_table(client, "events", sort_key=True)
    for sk in range(count):
        client.put_item(TableName="events", Item={**key("p"), "sk": {"N": str(sk)}})


def test_query_returns_one_page_and_its_last_evaluated_key(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    _fill_sorted(client, 5)
    page = gateway.query(
        {
            "TableName": "events",
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "p"}},
            "Limit": 2,
        }
    )
    assert [item["sk"]["N"] for item in page["Items"]] == ["0", "1"]
    assert page["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "1"}}


def test_query_pages_follows_last_evaluated_key_lazily(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    _fill_sorted(client, 5)
    calls = CallCounter(client, "Query")
    pages = gateway.query_pages(
        {
            "TableName": "events",
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "p"}},
            "Limit": 2,
        }
    )
    first = next(pages)
    assert calls.count == 1
    rest = list(pages)
    items = [item["sk"]["N"] for page in (first, *rest) for item in page["Items"]]
    assert items == ["0", "1", "2", "3", "4"]
    assert calls.requests[1]["ExclusiveStartKey"] == {"pk": {"S": "p"}, "sk": {"N": "1"}}


def test_scan_pages_yields_every_item(client: DynamoDBClient, gateway: TableGateway) -> None:
    _fill_sorted(client, 7)
    pages = list(gateway.scan_pages({"TableName": "events", "Limit": 3}))
    assert sum(page["Count"] for page in pages) == 7
    assert len(pages) >= 3


def test_scan_returns_one_page(client: DynamoDBClient, gateway: TableGateway) -> None:
    _fill_sorted(client, 7)
    assert gateway.scan({"TableName": "events", "Limit": 3})["Count"] == 3


# -- batches -----------------------------------------------------------------------------------


def test_batch_write_sends_chunks_of_at_most_25(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    calls = CallCounter(client, "BatchWriteItem")
    gateway.batch_write({"goals": [put(f"k{i}") for i in range(60)]})
    sizes = [len(request["RequestItems"]["goals"]) for request in calls.requests]
    assert sizes == [25, 25, 10]
    assert len(stored_keys(client, "goals")) == 60


def test_batch_write_deletes(client: DynamoDBClient, gateway: TableGateway) -> None:
    make_table(client, "goals")
    gateway.batch_write({"goals": [put("a"), put("b")]})
    gateway.batch_write({"goals": [{"DeleteRequest": {"Key": key("a")}}]})
    assert stored_keys(client, "goals") == {"b"}


def test_batch_write_of_nothing_sends_nothing(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    calls = CallCounter(client, "BatchWriteItem")
    gateway.batch_write({"goals": []})
    assert calls.count == 0


def test_batch_write_refuses_a_request_that_is_not_put_or_delete(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    with pytest.raises(ValidationError, match="PutRequest"):
        gateway.batch_write({"goals": [{"UpdateRequest": {}}]})


def test_batch_get_sends_requests_of_at_most_100_keys_over_all_tables(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    make_table(client, "users")
    gateway.batch_write({"goals": [put(f"g{i}") for i in range(150)]})
    gateway.batch_write({"users": [put(f"u{i}") for i in range(100)]})
    calls = CallCounter(client, "BatchGetItem")
    result = gateway.batch_get(
        {
            "goals": {"Keys": [key(f"g{i}") for i in range(150)]},
            "users": {"Keys": [key(f"u{i}") for i in range(100)]},
        }
    )
    sizes = [
        sum(len(spec["Keys"]) for spec in request["RequestItems"].values())
        for request in calls.requests
    ]
    assert sizes == [100, 100, 50]
    assert (len(result["goals"]), len(result["users"])) == (150, 100)


def test_batch_get_applies_each_tables_projection(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    gateway.batch_write({"goals": [put("a", name="x", secret="y")]})
    result = gateway.batch_get(
        {
            "goals": {
                "Keys": [key("a")],
                "ProjectionExpression": "#n",
                "ExpressionAttributeNames": {"#n": "name"},
            }
        }
    )
    assert result["goals"] == [{"name": {"S": "x"}}]


def test_batch_get_returns_an_entry_for_every_table_asked_for(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    assert gateway.batch_get({"goals": {"Keys": [key("missing")]}}) == {"goals": []}


def test_batch_write_retries_unprocessed_items_until_all_are_written(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    injector = LeftoverInjector(client, "BatchWriteItem", plan=[10, 4, 1])
    gateway.batch_write({"goals": [put(f"k{i}") for i in range(25)]})
    assert injector.sent == [25, 10, 4, 1]
    assert stored_keys(client, "goals") == {f"k{i}" for i in range(25)}


def test_batch_write_out_of_budget_lists_exactly_the_unwritten_requests(
    client: DynamoDBClient, sleeps: Sleeps
) -> None:
    make_table(client, "goals")
    gateway = TableGateway(client, batch_retry=RetryPolicy(max_attempts=3, sleep=sleeps))
    # 60 requests = chunks of 25, 25, 10; every call leaves its last 2 unprocessed, so the
    # first chunk writes 23 and then makes no progress; chunks 2 and 3 are never sent.
    LeftoverInjector(client, "BatchWriteItem", plan=[], then=2)
    requests = [put(f"k{i:02d}") for i in range(60)]
    with pytest.raises(UnprocessedItemsError) as caught:
        gateway.batch_write({"goals": requests})
    missing = caught.value.unprocessed
    assert missing == [("goals", request) for request in requests[23:]]
    assert stored_keys(client, "goals") == {f"k{i:02d}" for i in range(23)}
    assert len(sleeps) == 2


def test_batch_get_retries_unprocessed_keys_until_all_are_read(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    gateway.batch_write({"goals": [put(f"k{i}") for i in range(40)]})
    injector = LeftoverInjector(client, "BatchGetItem", plan=[30, 5])
    result = gateway.batch_get({"goals": {"Keys": [key(f"k{i}") for i in range(40)]}})
    assert injector.sent == [40, 30, 5]
    assert sorted(item["pk"]["S"] for item in result["goals"]) == sorted(f"k{i}" for i in range(40))


def test_batch_get_keeps_the_projection_when_retrying_unprocessed_keys(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    gateway.batch_write({"goals": [put("a", name="x", secret="y"), put("b", name="z")]})
    LeftoverInjector(client, "BatchGetItem", plan=[1])
    result = gateway.batch_get(
        {
            "goals": {
                "Keys": [key("a"), key("b")],
                "ProjectionExpression": "#n",
                "ExpressionAttributeNames": {"#n": "name"},
            }
        }
    )
    assert sorted(item["name"]["S"] for item in result["goals"]) == ["x", "z"]
    assert all(set(item) == {"name"} for item in result["goals"])


def test_batch_get_out_of_budget_lists_exactly_the_unread_keys(
    client: DynamoDBClient, sleeps: Sleeps
) -> None:
    make_table(client, "goals")
    make_table(client, "users")
    gateway = TableGateway(client, batch_retry=RetryPolicy(max_attempts=2, sleep=sleeps))
    gateway.batch_write({"goals": [put(f"g{i:03d}") for i in range(120)]})
    LeftoverInjector(client, "BatchGetItem", plan=[], then=3)
    goal_keys = [key(f"g{i:03d}") for i in range(120)]
    user_keys = [key("u1")]
    with pytest.raises(UnprocessedItemsError) as caught:
        gateway.batch_get({"goals": {"Keys": goal_keys}, "users": {"Keys": user_keys}})
    # Two requests, sent at once: goals g000-g099, then g100-g119 and the user key; the last 3
    # keys of each stay unprocessed after both attempts.
    expected = [("goals", k) for k in goal_keys[97:100] + goal_keys[118:]] + [
        ("users", user_keys[0])
    ]
    assert caught.value.unprocessed == expected


def test_batch_write_throttled_as_a_whole_is_retried_as_unprocessed(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    answered = fail_with(client, "BatchWriteItem", "ProvisionedThroughputExceededException", 2)
    gateway.batch_write({"goals": [put("a"), put("b")]})
    assert answered[0] == 2
    assert stored_keys(client, "goals") == {"a", "b"}


def test_batch_write_throttled_out_of_budget_keeps_the_throttling_as_cause(
    client: DynamoDBClient, sleeps: Sleeps
) -> None:
    make_table(client, "goals")
    gateway = TableGateway(client, batch_retry=RetryPolicy(max_attempts=2, sleep=sleeps))
    fail_with(client, "BatchWriteItem", "ThrottlingException")
    with pytest.raises(UnprocessedItemsError) as caught:
        gateway.batch_write({"goals": [put("a")]})
    assert caught.value.unprocessed == [("goals", put("a"))]
    assert isinstance(caught.value.__cause__, ThrottledError)


def test_batch_backoff_delays_grow_and_are_bounded(client: DynamoDBClient, sleeps: Sleeps) -> None:
    make_table(client, "goals")
    policy = RetryPolicy(
        max_attempts=7, base_delay=0.1, max_delay=0.5, sleep=sleeps, jitter=lambda: 1.0
    )
    gateway = TableGateway(client, batch_retry=policy)
    LeftoverInjector(client, "BatchWriteItem", plan=[1] * 6)
    gateway.batch_write({"goals": [put("a"), put("b")]})
    assert sleeps == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5, 0.5])


def test_each_batch_chunk_gets_its_own_retry_budget(client: DynamoDBClient, sleeps: Sleeps) -> None:
    make_table(client, "goals")
    gateway = TableGateway(client, batch_retry=RetryPolicy(max_attempts=2, sleep=sleeps))
    # Chunk 1: 1 leftover, retried once and written; chunk 2 likewise.
    LeftoverInjector(client, "BatchWriteItem", plan=[1, 0, 1, 0])
    gateway.batch_write({"goals": [put(f"k{i:02d}") for i in range(30)]})
    assert len(stored_keys(client, "goals")) == 30


# -- RetryPolicy -------------------------------------------------------------------------------


def test_retry_policy_yields_one_delay_per_retry() -> None:
    assert len(list(RetryPolicy(max_attempts=5).delays())) == 4


def test_retry_policy_uses_full_jitter() -> None:
    policy = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=10.0, jitter=lambda: 0.5)
    assert list(policy.delays()) == [0.5, 1.0, 2.0]


@pytest.mark.parametrize(
    "settings",
    [{"max_attempts": 0}, {"base_delay": -1.0}, {"base_delay": 3.0, "max_delay": 2.0}],
)
def test_retry_policy_refuses_nonsense_settings(settings: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        RetryPolicy(**settings)


@given(
    max_attempts=st.integers(1, 200),
    base_delay=st.floats(0, 5, allow_nan=False),
    extra=st.floats(0, 60, allow_nan=False),
)
def test_retry_policy_delays_stay_within_growing_bounded_caps(
    max_attempts: int, base_delay: float, extra: float
) -> None:
    policy = RetryPolicy(
        max_attempts=max_attempts, base_delay=base_delay, max_delay=base_delay + extra
    )
    caps = list(policy.caps())
    delays = list(policy.delays())
    assert len(delays) == max_attempts - 1
    assert caps == sorted(caps)
    assert all(0 <= d <= c <= policy.max_delay for d, c in zip(delays, caps, strict=True))


# -- error mapping -----------------------------------------------------------------------------


def test_condition_failure_carries_the_current_item(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    client.put_item(TableName="goals", Item={**key("a"), "v": {"N": "3"}})
    with pytest.raises(ConditionFailedError) as caught:
        gateway.put_item(
            {
                "TableName": "goals",
                "Item": key("a"),
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        )
    assert caught.value.item == {**key("a"), "v": {"N": "3"}}
    assert caught.value.condition == "attribute_not_exists(pk)"
    assert isinstance(caught.value.__cause__, ClientError)


def test_condition_failure_without_return_values_has_no_item(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    client.put_item(TableName="goals", Item=key("a"))
    with pytest.raises(ConditionFailedError) as caught:
        gateway.delete_item(
            {"TableName": "goals", "Key": key("a"), "ConditionExpression": "attribute_exists(x)"}
        )
    assert caught.value.item is None
    assert caught.value.key == key("a")


def test_missing_table_is_table_not_found_naming_the_physical_table(
    client: DynamoDBClient,
) -> None:
    gateway = TableGateway(client, table_prefix="pp-", table_suffix="-dev")
    with pytest.raises(TableNotFoundError) as caught:
        gateway.get_item({"TableName": "goals", "Key": key("a")})
    assert "'pp-goals-dev'" in str(caught.value)
    assert "prefix" in str(caught.value)
    assert isinstance(caught.value.__cause__, ClientError)


def test_cancelled_transaction_has_one_reason_per_action_with_the_item(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    client.put_item(TableName="goals", Item={**key("taken"), "v": {"N": "1"}})
    with pytest.raises(TransactionCanceledError) as caught:
        gateway.transact_write(
            [
                {"Put": {"TableName": "goals", "Item": key("new")}},
                {
                    "Put": {
                        "TableName": "goals",
                        "Item": key("taken"),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    reasons = caught.value.reasons
    assert [(r.index, r.code) for r in reasons] == [(0, "None"), (1, "ConditionalCheckFailed")]
    assert reasons[1].item == {**key("taken"), "v": {"N": "1"}}
    assert [r.index for r in caught.value.failed] == [1]
    assert "action 1 (Put on 'goals')" in str(caught.value)


def test_cancelled_transaction_without_item_request_has_no_item(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    client.put_item(TableName="goals", Item=key("taken"))
    with pytest.raises(TransactionCanceledError) as caught:
        gateway.transact_write(
            [
                {
                    "ConditionCheck": {
                        "TableName": "goals",
                        "Key": key("taken"),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            ],
            return_cancellation_reasons_items=False,
        )
    assert caught.value.reasons[0].code == "ConditionalCheckFailed"
    assert caught.value.reasons[0].item is None


def test_validation_exception_is_validation_error_with_dynamodbs_message(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    with pytest.raises(ValidationError, match="Invalid UpdateExpression") as caught:
        gateway.update_item({"TableName": "goals", "Key": key("a"), "UpdateExpression": "SET"})
    assert isinstance(caught.value.__cause__, ClientError)


def test_oversized_item_is_item_too_large_error(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    with pytest.raises(ItemTooLargeError):
        gateway.put_item({"TableName": "goals", "Item": {**key("a"), "b": {"S": "x" * 410_000}}})


@pytest.mark.parametrize(
    "code",
    ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"],
)
def test_throttling_codes_are_throttled_error(
    client: DynamoDBClient, gateway: TableGateway, code: str
) -> None:
    fail_with(client, "GetItem", code)
    with pytest.raises(ThrottledError, match=code) as caught:
        gateway.get_item({"TableName": "goals", "Key": key("a")})
    assert isinstance(caught.value.__cause__, ClientError)


@pytest.mark.parametrize(
    "code",
    [
        "TransactionConflictException",
        "TransactionInProgressException",
        "IdempotentParameterMismatchException",
        "InternalServerError",
        "SomethingNewException",
    ],
)
def test_other_service_errors_are_service_error_with_aws_code(
    client: DynamoDBClient, gateway: TableGateway, code: str
) -> None:
    fail_with(client, "TransactWriteItems", code)
    with pytest.raises(ServiceError) as caught:
        gateway.transact_write([{"Put": {"TableName": "goals", "Item": key("a")}}])
    assert caught.value.aws_code == code
    assert isinstance(caught.value.__cause__, ClientError)


def test_connection_failure_is_service_error_naming_the_endpoint(
    clean_env: pytest.MonkeyPatch,
) -> None:
    client = boto3.client(
        "dynamodb",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(ServiceError, match=r"127\.0\.0\.1:9") as caught:
        TableGateway(client).get_item({"TableName": "goals", "Key": key("a")})
    assert isinstance(caught.value.__cause__, BotoCoreError)


def test_missing_credentials_are_service_error(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.delenv("AWS_ACCESS_KEY_ID")
    clean_env.delenv("AWS_SECRET_ACCESS_KEY")
    client = boto3.session.Session().client(
        "dynamodb", region_name=REGION, endpoint_url="http://127.0.0.1:9"
    )
    with pytest.raises(ServiceError, match="credentials") as caught:
        TableGateway(client).get_item({"TableName": "goals", "Key": key("a")})
    assert isinstance(caught.value.__cause__, BotoCoreError)


def test_malformed_parameters_are_validation_error_before_sending(gateway: TableGateway) -> None:
    with pytest.raises(ValidationError, match="not sent") as caught:
        gateway.get_item({"TableName": "goals", "Key": "not a key"})
    assert isinstance(caught.value.__cause__, BotoCoreError)


def test_params_without_table_name_are_refused(gateway: TableGateway) -> None:
    with pytest.raises(ValidationError, match="TableName"):
        gateway.get_item({"Key": key("a")})


# -- transactions ------------------------------------------------------------------------------


def test_more_than_100_transact_writes_are_refused_before_sending(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    calls = CallCounter(client, "TransactWriteItems")
    items = [{"Put": {"TableName": "goals", "Item": key(str(i))}} for i in range(101)]
    with pytest.raises(ValidationError, match="at most 100"):
        gateway.transact_write(items)
    assert calls.count == 0


def test_more_than_100_transact_gets_are_refused_before_sending(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    calls = CallCounter(client, "TransactGetItems")
    items = [{"Get": {"TableName": "goals", "Key": key(str(i))}} for i in range(101)]
    with pytest.raises(ValidationError, match="at most 100"):
        gateway.transact_get(items)
    assert calls.count == 0


def test_transact_write_asks_conditional_actions_for_the_old_item(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    calls = CallCounter(client, "TransactWriteItems")
    gateway.transact_write(
        [
            {"Put": {"TableName": "goals", "Item": key("a")}},
            {
                "Put": {
                    "TableName": "goals",
                    "Item": key("b"),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Delete": {
                    "TableName": "goals",
                    "Key": key("c"),
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "NONE",
                }
            },
        ]
    )
    sent = [next(iter(action.values())) for action in calls.requests[0]["TransactItems"]]
    assert [a.get("ReturnValuesOnConditionCheckFailure") for a in sent] == [
        None,
        "ALL_OLD",
        "NONE",
    ]


def test_transact_write_passes_the_client_request_token(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    calls = CallCounter(client, "TransactWriteItems")
    gateway.transact_write(
        [{"Put": {"TableName": "goals", "Item": key("a")}}], client_request_token="tok-1"
    )
    assert calls.requests[0]["ClientRequestToken"] == "tok-1"


def test_transact_get_returns_items_in_request_order(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    gateway.batch_write({"goals": [put("a"), put("b")]})
    response = gateway.transact_get(
        [
            {"Get": {"TableName": "goals", "Key": key("b")}},
            {"Get": {"TableName": "goals", "Key": key("a")}},
        ]
    )
    assert [entry["Item"]["pk"]["S"] for entry in response["Responses"]] == ["b", "a"]


def test_transact_write_refuses_an_unknown_action(gateway: TableGateway) -> None:
    with pytest.raises(ValidationError, match="action 0"):
        gateway.transact_write([{"Upsert": {"TableName": "goals"}}])


# -- tables ------------------------------------------------------------------------------------


def _create_params() -> dict[str, Any]:
    return {
        "TableName": "goals",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    }


def test_create_describe_and_delete_table_by_logical_name(client: DynamoDBClient) -> None:
    gateway = TableGateway(client, table_prefix="p-")
    created = gateway.create_table(_create_params())
    assert created["TableDescription"]["TableName"] == "p-goals"
    assert gateway.describe_table("goals")["Table"]["TableName"] == "p-goals"
    gateway.delete_table("goals")
    assert client.list_tables()["TableNames"] == []


def test_wait_until_active_returns_the_active_description(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    gateway.create_table(_create_params())
    assert gateway.wait_until_active("goals")["Table"]["TableStatus"] == "ACTIVE"


def test_time_to_live_is_updated_and_described(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    gateway.create_table(_create_params())
    gateway.update_time_to_live("goals", "expires_at")
    description = gateway.describe_time_to_live("goals")["TimeToLiveDescription"]
    assert description == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_describe_table_is_never_called_implicitly(
    client: DynamoDBClient, gateway: TableGateway
) -> None:
    make_table(client, "goals")
    describes = CallCounter(client, "DescribeTable")
    gateway.put_item({"TableName": "goals", "Item": key("a")})
    gateway.get_item({"TableName": "goals", "Key": key("a")})
    gateway.batch_write({"goals": [put("b")]})
    gateway.batch_get({"goals": {"Keys": [key("a")]}})
    list(gateway.scan_pages({"TableName": "goals"}))
    gateway.transact_write([{"Put": {"TableName": "goals", "Item": key("c")}}])
    assert describes.count == 0


# -- logging -----------------------------------------------------------------------------------


def test_each_call_logs_one_debug_line_with_operation_table_and_duration(
    client: DynamoDBClient, caplog: pytest.LogCaptureFixture
) -> None:
    make_table(client, "p-goals")
    gateway = TableGateway(client, table_prefix="p-")
    with caplog.at_level(logging.DEBUG, logger="ddbwrap.gateway"):
        gateway.get_item({"TableName": "goals", "Key": key("a")})
    records = [r for r in caplog.records if r.name == "ddbwrap.gateway"]
    assert len(records) == 1
    assert records[0].levelno == logging.DEBUG
    assert records[0].getMessage().startswith("GetItem table=p-goals ms=")


def test_consumed_capacity_is_logged_when_returned(
    client: DynamoDBClient, gateway: TableGateway, caplog: pytest.LogCaptureFixture
) -> None:
    make_table(client, "goals")
    with caplog.at_level(logging.DEBUG, logger="ddbwrap.gateway"):
        gateway.put_item(
            {"TableName": "goals", "Item": key("a"), "ReturnConsumedCapacity": "TOTAL"}
        )
    assert "capacity=goals:1.0" in caplog.text


def test_logs_never_contain_item_values_or_keys(
    client: DynamoDBClient, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    make_table(client, "goals")
    gateway = TableGateway(client, batch_retry=RetryPolicy(max_attempts=2, sleep=sleeps))
    secret_key, secret_value = "KEY-7f3a9c", "VALUE-c0ffee"
    item = {"pk": {"S": secret_key}, "data": {"S": secret_value}}
    with caplog.at_level(logging.DEBUG, logger="ddbwrap"):
        gateway.put_item({"TableName": "goals", "Item": item, "ReturnConsumedCapacity": "TOTAL"})
        gateway.get_item({"TableName": "goals", "Key": {"pk": {"S": secret_key}}})
        gateway.query(
            {
                "TableName": "goals",
                "KeyConditionExpression": "pk = :k",
                "ExpressionAttributeValues": {":k": {"S": secret_key}},
            }
        )
        gateway.batch_get({"goals": {"Keys": [{"pk": {"S": secret_key}}]}})
        with pytest.raises(ConditionFailedError):
            gateway.put_item(
                {
                    "TableName": "goals",
                    "Item": item,
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            )
        LeftoverInjector(client, "BatchWriteItem", plan=[], then=1)
        with pytest.raises(UnprocessedItemsError):
            gateway.batch_write({"goals": [{"PutRequest": {"Item": item}}]})
    assert len(caplog.records) >= 7
    assert secret_key not in caplog.text
    assert secret_value not in caplog.text


def test_from_environment_refuses_an_unknown_retry_mode(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with pytest.raises(ServiceError, match="eager"):
        TableGateway.from_environment(retry_mode="eager")


def test_gateway_refuses_a_boto3_resource_with_a_hint() -> None:
    resource = boto3.resource("dynamodb", region_name="us-east-1")
    with pytest.raises(ValidationError, match=r"resource\.meta\.client"):
        TableGateway(resource)  # type: ignore[arg-type]


def test_gateway_refuses_a_client_of_another_service() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    with pytest.raises(ValidationError, match="needs a boto3 DynamoDB client"):
        TableGateway(s3)  # type: ignore[arg-type]
