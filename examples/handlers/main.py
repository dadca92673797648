"""The goals HTTP handlers answering a scripted client, errors and all.

python -m examples.handlers.main                                       # embedded (moto)
python -m examples.handlers.main --endpoint-url http://localhost:8000  # DynamoDB Local
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ddbwrap import TableGateway
from ddbwrap.tooling import create_tables
from examples.goals.models.domain_models import Goal

from .._backend import run_with_backend
from .app import build_app
from .sessions import CoachingSession
from .web import Request, Response

Say = Callable[[str], Any]


def run(gateway: TableGateway, say: Say = print) -> list[tuple[str, int, str | None]]:
    """Send the script's requests; returns (request, status, error code) for each."""
    create_tables(gateway, [Goal, CoachingSession])
    app = build_app(gateway, cursor_secret="demo-secret-use-your-vault")
    log: list[tuple[str, int, str | None]] = []

    def send(method: str, path: str, body: Any = None, **headers: str) -> Response:
        path, _, query = path.partition("?")
        request = Request(
            method,
            path,
            body=None if body is None else json.dumps(body),
            query=dict(part.split("=", 1) for part in query.split("&") if part),
            headers={k.replace("_", "-"): v for k, v in headers.items()},
            user="coach@acme",
        )
        response = app.handle(request)
        code = response.body.get("code") if response.status >= 400 else None
        shown = f"{method} {path}{'?' + query if query else ''}"
        shown = shown if len(shown) <= 44 else shown[:41] + "..."
        log.append((shown, response.status, code))
        say(f"{shown:<44} -> {response.status} {code or ''}".rstrip())
        return response

    goal = {"tenant_id": "acme", "title": "Ship v2", "intent": "Customers asked", "tags": ["q1"]}
    for n in range(1, 4):
        send("POST", "/goals", {**goal, "goal_id": f"g{n}", "metadata": {"rank": n}})
    etag = send("GET", "/goals/g1").headers["ETag"]
    send("PATCH", "/goals/g1", {"title": "Ship v2.0"}, If_Match=etag)
    send("PATCH", "/goals/g1", {"title": "Ship 2"}, If_Match=etag)  # stale: 412
    send("PATCH", "/goals/g1", {"title": "Ship 2"})  # no If-Match: 428
    send("PUT", "/goals/g1/progress", {"progress_percentage": 42.5})
    send("PATCH", "/goals/g2", {"status": "completed"}, If_Match='"1"')
    send("PUT", "/goals/g2/progress", {"progress_percentage": 50})  # closed: 409
    cursor = send("GET", "/tenants/acme/goals?limit=2").body["cursor"]
    send("GET", f"/tenants/acme/goals?limit=2&cursor={cursor}")
    send("GET", "/tenants/acme/goals?cursor=not-a-cursor")  # 400
    send("GET", "/goals/g404")  # 404
    send("POST", "/goals", {**goal, "goal_id": "g1"})  # exists: 409
    send("POST", "/goals", {**goal, "goal_id": "g9", "status": "someday"})  # 422
    send("POST", "/goals/g1/sessions", {}, Idempotency_Key="5b1f0c4e")
    send("POST", "/goals/g1/sessions", {}, Idempotency_Key="5b1f0c4e")  # retried: 409
    return log


def main(argv: list[str] | None = None) -> int:
    return run_with_backend(run, argv, description=__doc__, prefix="handlers-demo")


if __name__ == "__main__":
    raise SystemExit(main())
