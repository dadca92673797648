"""``ScriptedTransport``: a transport whose answers and faults a test scripts, call by call.

::

    transport = ScriptedTransport(backend=BotocoreTransport(client))   # moto or DynamoDB Local
    transport.script("UpdateItem", lose_response())   # applied, then the response is lost
    gateway = TableGateway(transport)
    writes = WriteApi[Counter](gateway)
    writes.update({"id": "c1"}, Update().increment("hits"))   # OutcomeUnknownError
    assert transport.count("UpdateItem") == 1                    # never re-sent blindly

Each scripted outcome is used once, by the first call that matches its operation (and its
``when`` predicate on the request); calls nothing matches go to ``backend`` unchanged (or fail
the test when there is none). Faults are classified by the same code as the real transport, so
a flow meets exactly the errors it would meet in production: DynamoDB Local never throttles,
never returns unprocessed items and never loses a response, but a scripted transport does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from .._engine.botocore import body_problem, error_response, exception, unreadable
from ..transport import Params, Transport

__all__ = [
    "Outcome",
    "ScriptedCall",
    "ScriptedTransport",
    "corrupt_body",
    "crc_mismatch",
    "empty_body",
    "error",
    "lose_response",
    "passthrough",
    "read_timeout",
    "refuse_connection",
    "respond",
    "server_error",
    "throttle",
    "unprocessed",
]

Backend = Callable[[], Params]
"""Sends the call to the backend (applies it) and returns the backend's response."""


@dataclass(frozen=True)
class Outcome:
    """What one scripted call does: ``run(operation, params, backend)`` returns or raises."""

    name: str
    run: Callable[[str, Params, Backend], Params] = field(repr=False)
    applies: bool
    """Whether the request reaches the backend (so it is applied) before the outcome."""


@dataclass(frozen=True)
class ScriptedCall:
    """One call the transport received: what was asked, what it did, whether it applied it."""

    operation: str
    params: Params
    outcome: str
    """The outcome's name (``"backend"`` for an unscripted call)."""
    applied: bool


@dataclass
class _Entry:
    operation: str | None
    outcome: Outcome
    when: Callable[[Params], bool] | None


class ScriptedTransport:
    """Answers calls as scripted, else through ``backend``; records every call (thread-safe)."""

    def __init__(self, backend: Transport | None = None, *, endpoint: str = "scripted") -> None:
        self.backend = backend
        self.endpoint_url = getattr(backend, "endpoint_url", endpoint)
        self.fast_path = bool(getattr(backend, "fast_path", False))
        self.client = getattr(backend, "client", None)
        self.calls: list[ScriptedCall] = []
        self._script: list[_Entry] = []
        self._lock = threading.Lock()

    def script(
        self,
        operation: str | None,
        *outcomes: Outcome,
        when: Callable[[Params], bool] | None = None,
    ) -> ScriptedTransport:
        """Queue ``outcomes`` for the next calls of ``operation`` (None: any operation), in
        order, each used once; ``when`` further selects the calls by their parameters."""
        with self._lock:
            self._script.extend(_Entry(operation, outcome, when) for outcome in outcomes)
        return self

    def pending(self) -> list[str]:
        """The names of the outcomes no call has used yet."""
        with self._lock:
            return [entry.outcome.name for entry in self._script]

    def count(self, operation: str | None = None, *, applied: bool | None = None) -> int:
        """How many calls of ``operation`` (None: all) were made (``applied``: that applied)."""
        return sum(
            1
            for c in self.calls
            if (operation is None or c.operation == operation)
            and (applied is None or c.applied == applied)
        )

    def call(self, operation: str, params: Params) -> Params:
        outcome = self._next(operation, params)
        if outcome is None:
            self._record(operation, params, "backend", True)
            return self._backend(operation, params)()
        applied = [False]

        def backend() -> Params:
            applied[0] = True
            return self._backend(operation, params)()

        try:
            return outcome.run(operation, params, backend)
        finally:
            self._record(operation, params, outcome.name, applied[0])

    def _next(self, operation: str, params: Params) -> Outcome | None:
        with self._lock:
            for index, entry in enumerate(self._script):
                if entry.operation not in (None, operation):
                    continue
                if entry.when is not None and not entry.when(params):
                    continue
                del self._script[index]
                return entry.outcome
        return None

    def _backend(self, operation: str, params: Params) -> Backend:
        backend = self.backend
        if backend is None:

            def missing() -> Params:
                raise AssertionError(
                    f"ScriptedTransport: {operation} was not scripted and there is no backend; "
                    "script it (transport.script(...)) or pass backend=BotocoreTransport(client)"
                )

            return missing
        return lambda: backend.call(operation, params)

    def _record(self, operation: str, params: Params, outcome: str, applied: bool) -> None:
        with self._lock:
            self.calls.append(ScriptedCall(operation, params, outcome, applied))


# -- outcomes ----------------------------------------------------------------------------------


def passthrough() -> Outcome:
    """The call goes to the backend as if unscripted (to skip matching calls in a script)."""
    return Outcome("passthrough", lambda operation, params, backend: backend(), applies=True)


def respond(response: Mapping[str, Any]) -> Outcome:
    """Answer with ``response`` (raw, physical table names) without reaching the backend."""
    return Outcome("respond", lambda operation, params, backend: dict(response), applies=False)


def error(
    code: str, message: str = "", *, status: int = 400, item: Params | None = None
) -> Outcome:
    """Answer with DynamoDB error ``code`` (e.g. ``"ConditionalCheckFailedException"``, with
    the stored ``item`` as ``ALL_OLD`` would return it); nothing applied."""

    def run(operation: str, params: Params, backend: Backend) -> Params:
        raise error_response(
            operation, params, _client_error(operation, code, message, status, item)
        )

    return Outcome(f"error({code})", run, applies=False)


def throttle(code: str = "ProvisionedThroughputExceededException") -> Outcome:
    """A throttling error (nothing applied): retried with the gateway's backoff."""
    outcome = error(code, "scripted throttling")
    return Outcome(f"throttle({code})", outcome.run, applies=False)


def server_error(
    status: int = 500, code: str = "InternalServerError", *, applied: bool = False
) -> Outcome:
    """A 5xx answer; ``applied=True``: the backend applied the request first (as DynamoDB may)."""

    def run(operation: str, params: Params, backend: Backend) -> Params:
        if applied:
            backend()
        raise error_response(
            operation, params, _client_error(operation, code, "scripted", status, None)
        )

    return Outcome(f"server_error({status})", run, applies=applied)


def lose_response() -> Outcome:
    """The backend applies the request, then the connection closes before the answer."""
    return _after_backend(
        "lose_response",
        lambda: ConnectionClosedError(endpoint_url="scripted://connection-closed"),
    )


def read_timeout(*, applied: bool = True) -> Outcome:
    """No answer within the read timeout (``applied``: the backend applied it meanwhile)."""

    def make() -> Exception:
        return ReadTimeoutError(endpoint_url="scripted://read-timeout")

    if applied:
        return _after_backend("read_timeout", make)

    def run(operation: str, params: Params, backend: Backend) -> Params:
        raise exception(operation, params, make())

    return Outcome("read_timeout(unapplied)", run, applies=False)


def refuse_connection() -> Outcome:
    """The connection never opens: nothing sent, nothing applied."""

    def run(operation: str, params: Params, backend: Backend) -> Params:
        raise exception(operation, params, EndpointConnectionError(endpoint_url="scripted://"))

    return Outcome("refuse_connection", run, applies=False)


def empty_body() -> Outcome:
    """The backend applies the request; the 2xx answer has an empty body."""
    return _unreadable("empty_body", b"", {})


def corrupt_body(body: bytes = b"<html>502 Bad Gateway</html>") -> Outcome:
    """The backend applies the request; the 2xx answer is not JSON (or truncated)."""
    return _unreadable("corrupt_body", body, {})


def crc_mismatch() -> Outcome:
    """The backend applies the request; the 2xx body fails its ``x-amz-crc32`` check."""
    return _unreadable("crc_mismatch", b"{}", {"x-amz-crc32": "1"})


def unprocessed(fraction: float = 1.0) -> Outcome:
    """A batch call whose last ``fraction`` of requests DynamoDB leaves unprocessed: those are
    withheld from the backend and returned as ``UnprocessedItems``/``UnprocessedKeys``."""

    def run(operation: str, params: Params, backend: Backend) -> Params:
        items = params["RequestItems"]
        flat = [(t, r) for t, entry in items.items() for r in _requests(operation, entry)]
        keep = len(flat) - int(len(flat) * fraction)
        sent, left = flat[:keep], flat[keep:]
        response: Params = {}
        if sent:
            params["RequestItems"] = _group(operation, items, sent)
            try:
                response = dict(backend())
            finally:
                params["RequestItems"] = items
        member = "UnprocessedKeys" if operation == "BatchGetItem" else "UnprocessedItems"
        response[member] = _group(operation, items, left)
        return response

    return Outcome(f"unprocessed({fraction:g})", run, applies=True)


def _after_backend(name: str, make: Callable[[], Exception]) -> Outcome:
    def run(operation: str, params: Params, backend: Backend) -> Params:
        backend()
        raise exception(operation, params, make())

    return Outcome(name, run, applies=True)


def _unreadable(name: str, body: bytes, headers: Mapping[str, str]) -> Outcome:
    problem = body_problem(body, headers)

    def run(operation: str, params: Params, backend: Backend) -> Params:
        backend()
        raise unreadable(operation, params, problem)

    return Outcome(name, run, applies=True)


def _client_error(
    operation: str, code: str, message: str, status: int, item: Params | None
) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    if item is not None:
        response["Item"] = item
    return ClientError(response, operation)  # type: ignore[arg-type]


def _requests(operation: str, entry: Any) -> list[Any]:
    return list(entry["Keys"]) if operation == "BatchGetItem" else list(entry)


def _group(operation: str, items: Mapping[str, Any], pairs: list[tuple[str, Any]]) -> Params:
    grouped: Params = {}
    for table, request in pairs:
        if operation == "BatchGetItem":
            entry = grouped.setdefault(
                table, {**{k: v for k, v in items[table].items() if k != "Keys"}, "Keys": []}
            )
            entry["Keys"].append(request)
        else:
            grouped.setdefault(table, []).append(request)
    return grouped
