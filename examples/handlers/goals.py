"""The goals endpoints: plain functions taking the request and the APIs they need.

With FastAPI the same functions would be declared with ``Depends``::

    @app.get("/goals/{goal_id}")
    def get_goal(goal_id: str, reads: GoalsReadApi = Depends(goals_read_api)) -> dict: ...

Here ``Router`` (``web.py``) injects them by type. The handlers do no error handling of their
own: ddbwrap's errors reach the router, which maps them to statuses in one table.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, Field

from examples.goals.apis.commands import GoalsWriteApi
from examples.goals.apis.queries import GoalsReadApi
from examples.goals.models.domain_models import Goal
from examples.goals.models.dtos import CreateGoal, EditGoal, UpdateGoalProgress

from .web import HttpError, Request, Response


class ListQuery(BaseModel):
    """``?limit=&cursor=`` of a list endpoint (a bad value is a 422, like a bad body)."""

    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = None


def goal_json(goal: Goal) -> dict[str, Any]:
    """A goal as the API shows it: metadata as a JSON object, numbers as exact strings."""
    body = goal.model_dump(mode="json", exclude={"metadata_json"})
    try:
        body["metadata"] = goal.metadata()
    except ValueError:
        body["metadata"] = goal.metadata_json  # .NET stored something else: show it as is
    return body


def etag(goal: Goal) -> str:
    return f'"{goal.version}"'


def get_goal(request: Request, reads: GoalsReadApi) -> Response:
    """``GET /goals/{goal_id}``: the goal, with its version as the ETag."""
    goal = reads.require(goal_id=request.path_params["goal_id"])
    return Response(200, goal_json(goal), {"ETag": etag(goal)})


def list_goals(request: Request, reads: GoalsReadApi) -> Response:
    """``GET /tenants/{tenant_id}/goals?limit=&cursor=``: one page of goal cards."""
    query = ListQuery.model_validate(request.query)
    page = reads.for_tenant(
        request.path_params["tenant_id"], limit=query.limit, cursor=query.cursor
    )
    items = [card.model_dump(mode="json") for card in page.items]
    return Response(200, {"items": items, "cursor": page.cursor})


def create_goal(request: Request, writes: GoalsWriteApi) -> Response:
    """``POST /goals``: create a goal (its ``metadata`` is a JSON object in the body)."""
    payload = request.json()
    if not isinstance(payload, dict):
        raise HttpError(400, "http.body_not_object", "the body must be a JSON object")
    if "metadata" in payload:  # stored as JSON text (.NET's string property)
        payload["metadata_json"] = json.dumps(payload.pop("metadata"), default=float)
    goal = writes.create_goal(CreateGoal.model_validate({**payload, "created_by": request.user}))
    return Response(
        201, goal_json(goal), {"ETag": etag(goal), "Location": f"/goals/{goal.goal_id}"}
    )


def update_progress(request: Request, writes: GoalsWriteApi) -> Response:
    """``PUT /goals/{goal_id}/progress`` ``{"progress_percentage": 42.5}``: no If-Match
    needed (a progress report does not depend on the rest of the goal)."""
    payload = request.json()
    dto = UpdateGoalProgress.model_validate(
        {**payload, "updated_by": request.user} if isinstance(payload, dict) else payload
    )
    goal = writes.update_progress(request.path_params["goal_id"], dto)
    return Response(200, goal_json(goal), {"ETag": etag(goal)})


def edit_goal(request: Request, writes: GoalsWriteApi) -> Response:
    """``PATCH /goals/{goal_id}`` with ``If-Match: "<version>"`` (the ETag the client read)."""
    if_match = request.header("If-Match")
    if if_match is None:
        raise HttpError(
            428,
            "http.if_match_required",
            'send If-Match with the ETag of the goal you edited (GET it first), e.g. If-Match: "3"',
        )
    try:
        expected = int(if_match.removeprefix("W/").strip('"'))
    except ValueError:
        raise HttpError(
            412, "http.precondition_failed", f"If-Match {if_match} is not an ETag of this API"
        ) from None
    payload = request.json()
    dto = EditGoal.model_validate(
        {**payload, "updated_by": request.user} if isinstance(payload, dict) else payload
    )
    goal = writes.edit(request.path_params["goal_id"], dto, expected_version=expected)
    return Response(200, goal_json(goal), {"ETag": etag(goal)})
