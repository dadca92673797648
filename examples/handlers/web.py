"""A web framework's worth of HTTP, in plain Python: request and response, a dict router that
injects dependencies by type (as FastAPI's ``Depends`` would), and the one table that maps
ddbwrap's errors to HTTP statuses.

Every error response has the same JSON body::

    {"code": "ddbwrap.item.not_found", "message": "...", "docs_url": "https://..."}

``code`` and ``docs_url`` come from the ddbwrap error (``DdbwrapError.code`` and
``.docs_url``), so a client, a log search or an on-call engineer lands on the section of the
docs that says what happened and what to do.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, get_type_hints

import pydantic

from ddbwrap import (
    AlreadyExistsError,
    ConditionFailedError,
    DdbwrapError,
    InvalidCursorError,
    ItemNotFoundError,
    ThrottledError,
    UniqueConstraintError,
    ValidationError,
    VersionConflictError,
)

logger = logging.getLogger(__name__)

ERROR_STATUS: Mapping[type[Exception], int] = {
    ItemNotFoundError: 404,
    AlreadyExistsError: 409,
    UniqueConstraintError: 409,
    VersionConflictError: 412,  # the If-Match the client sent is not the current version
    ConditionFailedError: 409,
    InvalidCursorError: 400,
    ValidationError: 422,  # ddbwrap refused a value before sending it (a naive datetime...)
    pydantic.ValidationError: 422,  # the request body does not validate as the DTO
    ThrottledError: 503,
    DdbwrapError: 500,  # anything else ddbwrap raises: CorruptItemError, TableNotFoundError...
}
"""ddbwrap's errors -> HTTP statuses. The most specific class wins: the exception's own class,
then its bases in MRO order (so ``InvalidCursorError``, a ``ValidationError``, is a 400)."""

RETRY_AFTER_SECONDS = 1
"""``Retry-After`` of a 503: DynamoDB throttled past botocore's retries; back off a little."""

SERVER_ERROR_MESSAGE = "the server failed to handle this request; the error has been logged"
"""What a 5xx says: ddbwrap's messages name tables and keys, which are for the logs."""


def status_for(error: Exception) -> int | None:
    """The HTTP status of ``error`` from :data:`ERROR_STATUS`; None for anything else."""
    for klass in type(error).__mro__:
        status = ERROR_STATUS.get(klass)
        if status is not None:
            return status
    return None


@dataclass
class Request:
    method: str
    path: str
    body: str | bytes | None = None
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    user: str = "anonymous"
    """The authenticated caller (an auth middleware would set it)."""
    path_params: dict[str, str] = field(default_factory=dict)
    """Filled in by the router from the route's ``{name}`` segments."""

    def header(self, name: str) -> str | None:
        """A header, case-insensitively."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    def json(self) -> Any:
        """The body as JSON, numbers with a fraction as exact ``Decimal``s (never floats)."""
        try:
            return json.loads(self.body or "", parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise HttpError(400, "http.malformed_json", f"the body is not JSON: {exc}") from None


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """The body as JSON text (a Decimal as a string, as pydantic's JSON mode writes it)."""
        return json.dumps(self.body, default=str)


class HttpError(Exception):
    """An HTTP error the handlers raise themselves (a missing header, an unknown route)."""

    def __init__(self, status: int, code: str, message: str, docs_url: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.docs_url = status, code, message, docs_url


def error_response(error: Exception) -> Response | None:
    """The response for ``error``; None when it is not one we map (a bug: let it propagate)."""
    if isinstance(error, HttpError):
        return _error(error.status, error.code, error.message, error.docs_url)
    status = status_for(error)
    if status is None:
        return None
    if isinstance(error, pydantic.ValidationError):
        details = error.errors(include_url=True, include_context=False, include_input=False)
        message = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in details
        )
        response = _error(status, "request.validation", message, details[0].get("url"))
        response.body["errors"] = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in details]
        return response
    assert isinstance(error, DdbwrapError)
    if status >= 500:
        logger.error("%s: %s", type(error).__name__, error, exc_info=error)
        response = _error(status, error.code, SERVER_ERROR_MESSAGE, error.docs_url)
        if status == 503:
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return _error(status, error.code, error.message, error.docs_url)


def _error(status: int, code: str, message: str, docs_url: str | None) -> Response:
    return Response(status, {"code": code, "message": message, "docs_url": docs_url})


Handler = Callable[..., Response]
_PARAM = re.compile(r"^\{(\w+)\}$")


@dataclass(frozen=True)
class _Route:
    method: str
    segments: tuple[str, ...]
    call: Callable[[Request], Response]


class Router:
    """``{("GET", "/goals/{goal_id}"): get_goal, ...}`` with dependencies injected by type.

    A handler takes the ``Request`` and any of the ``dependencies`` by their annotated type
    (``def get_goal(request: Request, reads: GoalsReadApi) -> Response``). A handler that asks
    for a type nobody provides is refused when the router is built, not on the first request.
    """

    def __init__(
        self, routes: Mapping[tuple[str, str], Handler], dependencies: Mapping[type, object]
    ) -> None:
        self._routes = [
            _Route(method, tuple(path.strip("/").split("/")), _inject(handler, dependencies))
            for (method, path), handler in routes.items()
        ]

    def handle(self, request: Request) -> Response:
        """Route, call, and turn the errors of :data:`ERROR_STATUS` into responses."""
        try:
            route, params = self._match(request)
            request.path_params = params
            return route.call(request)
        except Exception as error:
            response = error_response(error)
            if response is None:
                raise
            return response

    def _match(self, request: Request) -> tuple[_Route, dict[str, str]]:
        parts = tuple(request.path.split("?")[0].strip("/").split("/"))
        allowed = []
        for route in self._routes:
            params = _bind(route.segments, parts)
            if params is None:
                continue
            if route.method == request.method:
                return route, params
            allowed.append(route.method)
        if allowed:
            raise HttpError(405, "http.method_not_allowed", f"use {', '.join(allowed)}")
        raise HttpError(404, "http.not_found", f"no route for {request.path}")


def _bind(pattern: tuple[str, ...], parts: tuple[str, ...]) -> dict[str, str] | None:
    if len(pattern) != len(parts):
        return None
    params = {}
    for expected, actual in zip(pattern, parts, strict=True):
        match = _PARAM.match(expected)
        if match and actual:
            params[match.group(1)] = actual
        elif expected != actual:
            return None
    return params


def _inject(handler: Handler, dependencies: Mapping[type, object]) -> Callable[[Request], Response]:
    hints = get_type_hints(handler)
    arguments: dict[str, object] = {}
    request_name = None
    for name in inspect.signature(handler).parameters:
        wanted = hints.get(name)
        if wanted is Request:
            request_name = name
        elif isinstance(wanted, type) and wanted in dependencies:
            arguments[name] = dependencies[wanted]
        else:
            raise TypeError(f"{handler.__name__}: nothing provides {name}: {wanted!r}")
    if request_name is None:
        raise TypeError(f"{handler.__name__} must take a Request")

    def call(request: Request) -> Response:
        return handler(**{request_name: request}, **arguments)

    return call
