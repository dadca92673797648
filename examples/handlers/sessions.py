"""pp_ai's own coaching sessions (a table only this service writes), to show a unique value.

A client starts a session with an ``Idempotency-Key`` header; the key is declared unique
(``Meta.unique``), so a retried request cannot start a second session: ddbwrap claims the key
with a guard item in the same transaction as the session, and a second claim raises
``UniqueConstraintError`` (a 409). Guard items only work when every writer maintains them,
which is why this lives in a table pp_ai owns and not in the shared goals table.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from ddbwrap import CreateDTO, DomainModel, WriteApi
from examples.goals.apis.queries import GoalsReadApi

from .web import HttpError, Request, Response


class CoachingSession(DomainModel):
    session_id: str
    goal_id: str
    tenant_id: str
    user_id: str
    idempotency_key: str
    started_at: datetime | None = None

    class Meta:
        table_name = "coaching_sessions"
        partition_key = "session_id"
        unique = ("idempotency_key",)  # guard items in "coaching_sessions-unique"
        created_at_attribute = "started_at"


class StartSession(CreateDTO[CoachingSession]):
    session_id: str
    goal_id: str
    tenant_id: str
    user_id: str
    idempotency_key: str


class CoachingSessionsWriteApi(WriteApi[CoachingSession]):
    def start(self, dto: StartSession) -> CoachingSession:
        """Start a session; a reused idempotency key raises UniqueConstraintError."""
        return self.create(dto)


def start_session(
    request: Request, goals: GoalsReadApi, sessions: CoachingSessionsWriteApi
) -> Response:
    """``POST /goals/{goal_id}/sessions`` with an ``Idempotency-Key`` header."""
    key = request.header("Idempotency-Key")
    if not key:
        raise HttpError(
            400, "http.idempotency_key_missing", "send an Idempotency-Key header (a UUID)"
        )
    goal = goals.require(goal_id=request.path_params["goal_id"])
    session = sessions.start(
        StartSession(
            session_id=str(uuid.uuid4()),
            goal_id=goal.goal_id,
            tenant_id=goal.tenant_id,
            user_id=request.user,
            idempotency_key=key,
        )
    )
    return Response(
        201,
        session.model_dump(mode="json"),
        {"Location": f"/sessions/{session.session_id}"},
    )
