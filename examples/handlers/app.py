"""The application: the routes, and the APIs built once per process and injected per request."""

from __future__ import annotations

from collections.abc import Sequence

from ddbwrap import TableGateway
from examples.goals.apis.commands import GoalsWriteApi
from examples.goals.apis.queries import GoalsReadApi

from .goals import create_goal, edit_goal, get_goal, list_goals, update_progress
from .sessions import CoachingSessionsWriteApi, start_session
from .web import Handler, Router

ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "/goals/{goal_id}"): get_goal,
    ("POST", "/goals"): create_goal,
    ("PATCH", "/goals/{goal_id}"): edit_goal,
    ("PUT", "/goals/{goal_id}/progress"): update_progress,
    ("GET", "/tenants/{tenant_id}/goals"): list_goals,
    ("POST", "/goals/{goal_id}/sessions"): start_session,
}


def build_app(gateway: TableGateway, *, cursor_secret: str | Sequence[str] | None = None) -> Router:
    """The router with its dependencies. ``cursor_secret`` signs the list cursors: give every
    instance of the service the same one (from your secret store), or a cursor issued by one
    instance is refused by the next (``InvalidCursorError``, a 400)."""
    dependencies = {
        GoalsReadApi: GoalsReadApi(gateway, cursor_secret=cursor_secret),
        GoalsWriteApi: GoalsWriteApi(gateway),
        CoachingSessionsWriteApi: CoachingSessionsWriteApi(gateway),
    }
    return Router(ROUTES, dependencies)
