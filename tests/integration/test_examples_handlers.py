"""The FastAPI-style handlers example on DynamoDB Local: each ddbwrap error reaches the client
as the HTTP status of the one mapping table, with ``code``, ``message`` and ``docs_url``.

Throttling is the one fault DynamoDB Local never produces: it is injected with a botocore
``before-send`` handler on a client of its own (so no other test sees it).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.config import Config
from examples.goals.models.domain_models import Goal
from examples.handlers.app import build_app
from examples.handlers.main import main, run
from examples.handlers.sessions import CoachingSession
from examples.handlers.web import SERVER_ERROR_MESSAGE, Request, Response, Router

from ddbwrap import TableGateway
from ddbwrap.errors import DOCS_BASE
from ddbwrap.testing.local import client_for

DOCS = DOCS_BASE
GOAL = {"goal_id": "g1", "tenant_id": "acme", "title": "Ship v2", "intent": "Customers asked"}


@pytest.fixture
def gateway(ddb_tables: Any) -> TableGateway:
    gateway: TableGateway = ddb_tables(Goal, CoachingSession)
    return gateway


@pytest.fixture
def app(gateway: TableGateway) -> Router:
    return build_app(gateway, cursor_secret="test-secret-0123456789")


def send(
    app: Router, method: str, path: str, body: Any = None, query: dict[str, str] | None = None,
    **headers: str,
) -> Response:  # fmt: skip
    return app.handle(
        Request(
            method,
            path,
            body=None if body is None else body if isinstance(body, str) else json.dumps(body),
            query=query or {},
            headers={name.replace("_", "-"): value for name, value in headers.items()},
            user="coach@acme",
        )
    )


def error(response: Response, status: int) -> dict[str, Any]:
    """The error body of ``response``, checked to have the status and the three keys."""
    assert response.status == status, response.body
    body: dict[str, Any] = response.body
    assert {"code", "message", "docs_url"} <= set(body)
    assert body["message"]
    return body


def create(app: Router, **fields: Any) -> Response:
    response = send(app, "POST", "/goals", {**GOAL, **fields})
    assert response.status == 201, response.body
    return response


# -- the happy paths the errors are measured against -----------------------------------------


def test_handlers_example_runs_end_to_end_on_dynamodb_local(ddb_gateway: TableGateway) -> None:
    lines: list[str] = []
    log = run(ddb_gateway, say=lines.append)
    statuses = [status for _, status, _ in log]
    assert statuses == [
        201, 201, 201, 200, 200, 412, 428, 200, 200, 409, 200, 200, 400, 404, 409, 422, 201, 409,
    ]  # fmt: skip
    assert len(lines) == len(log)


def test_handlers_main_runs_on_the_embedded_backend(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "embedded in-process DynamoDB (moto)" in out
    assert "-> 409 ddbwrap.write.unique_constraint" in out


def test_get_goal_answers_the_goal_with_its_version_as_etag(app: Router) -> None:
    create(app, metadata={"rank": 1})
    response = send(app, "GET", "/goals/g1")
    assert response.status == 200
    assert response.headers["ETag"] == '"1"'
    assert (response.body["title"], response.body["metadata"]) == ("Ship v2", {"rank": 1})


def test_a_metadata_object_is_stored_as_json_text_under_dotnets_name(
    app: Router, gateway: TableGateway
) -> None:
    create(app, metadata={"weight": 1.5, "tags": ["a"]})
    raw = gateway.get_item({"TableName": "goals", "Key": {"goal_id": {"S": "g1"}}})["Item"]
    assert json.loads(raw["metadata"]["S"]) == {"weight": 1.5, "tags": ["a"]}
    assert "metadata_json" not in raw


def test_list_pages_follow_the_cursor(app: Router) -> None:
    for n in range(5):
        create(app, goal_id=f"g{n}")
    first = send(app, "GET", "/tenants/acme/goals", query={"limit": "3"})
    rest = send(app, "GET", "/tenants/acme/goals", query={"cursor": first.body["cursor"]})
    ids = [card["goal_id"] for card in first.body["items"] + rest.body["items"]]
    assert sorted(ids) == [f"g{n}" for n in range(5)]
    assert rest.body["cursor"] is None


def test_a_progress_number_in_json_is_stored_exactly(app: Router, gateway: TableGateway) -> None:
    create(app)
    exact = "33.33333333333333333333333333333333333"  # 37 digits: a float would round it
    response = send(app, "PUT", "/goals/g1/progress", f'{{"progress_percentage": {exact}}}')
    assert response.status == 200
    raw = gateway.get_item({"TableName": "goals", "Key": {"goal_id": {"S": "g1"}}})["Item"]
    assert raw["progress_percentage"] == {"N": exact}
    assert Decimal(response.body["progress_percentage"]) == Decimal(exact)


# -- one test per row of ERROR_STATUS ---------------------------------------------------------


def test_item_not_found_is_404(app: Router) -> None:
    body = error(send(app, "GET", "/goals/g404"), 404)
    assert body["code"] == "ddbwrap.item.not_found"
    assert body["docs_url"] == DOCS + "#itemnotfounderror"
    assert "g404" in body["message"]


def test_already_exists_is_409(app: Router) -> None:
    create(app)
    body = error(send(app, "POST", "/goals", GOAL), 409)
    assert body["code"] == "ddbwrap.write.already_exists"
    assert body["docs_url"] == DOCS + "#alreadyexistserror"


def test_unique_constraint_is_409(app: Router) -> None:
    create(app)
    started = send(app, "POST", "/goals/g1/sessions", {}, Idempotency_Key="k-1")
    assert started.status == 201
    body = error(send(app, "POST", "/goals/g1/sessions", {}, Idempotency_Key="k-1"), 409)
    assert body["code"] == "ddbwrap.write.unique_constraint"
    assert body["docs_url"] == DOCS + "#uniqueconstrainterror"


def test_version_conflict_is_412(app: Router) -> None:
    etag = create(app).headers["ETag"]
    assert send(app, "PATCH", "/goals/g1", {"title": "first"}, If_Match=etag).status == 200
    body = error(send(app, "PATCH", "/goals/g1", {"title": "second"}, If_Match=etag), 412)
    assert body["code"] == "ddbwrap.write.version_conflict"
    assert body["docs_url"] == DOCS + "#versionconflicterror"
    assert send(app, "GET", "/goals/g1").body["title"] == "first"


def test_condition_failed_is_409(app: Router) -> None:
    create(app, status="completed")
    body = error(send(app, "PUT", "/goals/g1/progress", {"progress_percentage": 99}), 409)
    assert body["code"] == "ddbwrap.write.condition_failed"
    assert body["docs_url"] == DOCS + "#conditionfailederror"


def test_a_body_the_dto_refuses_is_422_with_pydantics_details(app: Router) -> None:
    body = error(send(app, "POST", "/goals", {**GOAL, "status": "someday"}), 422)
    assert body["code"] == "request.validation"
    assert body["docs_url"].startswith("https://errors.pydantic.dev/")
    assert [e["loc"] for e in body["errors"]] == [["status"]]
    assert "status must be one of" in body["message"]


def test_a_value_ddbwrap_refuses_is_422(app: Router) -> None:
    naive = {**GOAL, "target_date": "2026-12-31T00:00:00"}  # no time zone
    body = error(send(app, "POST", "/goals", naive), 422)
    assert body["code"] == "ddbwrap.validation"
    assert body["docs_url"] == DOCS + "#validationerror"
    assert "naive datetime" in body["message"]
    assert send(app, "GET", "/goals/g1").status == 404  # nothing was written


def test_invalid_cursor_is_400(app: Router) -> None:
    response = send(app, "GET", "/tenants/acme/goals", query={"cursor": "bm90LWEtY3Vyc29y"})
    body = error(response, 400)
    assert body["code"] == "ddbwrap.read.invalid_cursor"
    assert body["docs_url"] == DOCS + "#invalidcursorerror"


def test_throttling_past_the_retries_is_503_with_retry_after(ddb_endpoint: str) -> None:
    client = client_for(ddb_endpoint, config=Config(retries={"total_max_attempts": 1}))

    def throttle(**_: Any) -> Any:
        body = b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"x"}'
        return AWSResponse(ddb_endpoint, 400, HTTPHeaders(), _Raw(body))

    client.meta.events.register("before-send.dynamodb", throttle)
    app = build_app(TableGateway(client, table_prefix="throttled-"))
    response = send(app, "GET", "/goals/g1")
    body = error(response, 503)
    assert body["code"] == "ddbwrap.service.throttled"
    assert body["docs_url"] == DOCS + "#throttlederror"
    assert response.headers["Retry-After"] == "1"


def test_other_ddbwrap_errors_are_500_without_internals(ddb_client: Any) -> None:
    app = build_app(TableGateway(ddb_client, table_prefix="no-such-stage-"))
    body = error(send(app, "GET", "/goals/g1"), 500)
    assert body["code"] == "ddbwrap.service.table_not_found"
    assert body["docs_url"] == DOCS + "#tablenotfounderror"
    assert body["message"] == SERVER_ERROR_MESSAGE  # the table's name stays in the logs


def test_a_corrupt_item_is_500(app: Router, gateway: TableGateway) -> None:
    gateway.put_item({"TableName": "goals", "Item": {"goal_id": {"S": "g1"}}})  # no title...
    body = error(send(app, "GET", "/goals/g1"), 500)
    assert body["code"] == "ddbwrap.item.corrupt"
    assert body["docs_url"] == DOCS + "#corruptitemerror"


# -- the router's own answers -----------------------------------------------------------------


def test_an_edit_without_if_match_is_428(app: Router) -> None:
    create(app)
    body = error(send(app, "PATCH", "/goals/g1", {"title": "blind"}), 428)
    assert body["code"] == "http.if_match_required"


def test_an_unknown_route_is_404(app: Router) -> None:
    assert error(send(app, "GET", "/nothing/here"), 404)["code"] == "http.not_found"


def test_errors_outside_the_table_propagate() -> None:
    def broken(request: Request) -> Response:
        raise RuntimeError("a bug")

    router = Router({("GET", "/broken"): broken}, {})
    with pytest.raises(RuntimeError, match="a bug"):
        router.handle(Request("GET", "/broken"))


def test_a_handler_asking_for_an_unprovided_api_is_refused_at_startup() -> None:
    def needs(request: Request, gateway: TableGateway) -> Response:
        return Response(200)

    with pytest.raises(TypeError, match="nothing provides gateway"):
        Router({("GET", "/x"): needs}, {})


class _Raw:
    """The minimal raw HTTP body botocore reads from an AWSResponse."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body
