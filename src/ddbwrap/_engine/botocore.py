"""The transport over a boto3 DynamoDB client: one attempt per call, every failure classified.

For ddbwrap's own calls botocore makes exactly one attempt: its retry handler is wrapped so
that, inside ``BotocoreTransport.call``, any failure (error status, exception, or a 2xx whose
body fails its CRC32 check or is not a JSON object) stops botocore and surfaces here, where it
becomes an ``AttemptError`` (may be retried; says whether the request may have been applied)
or a final ``DdbwrapError``. Retries, backoff and the resolution of lost write responses are
the flows' job. The same client used directly by your code keeps botocore's own retries.
"""

from __future__ import annotations

import sys
import threading
import weakref
import zlib
from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ProxyConnectionError,
)

from .. import fastpath
from ..errors import ServiceError, ThrottledError, ValidationError
from .faults import AttemptError, FaultKind, attempt_error
from .steps import Params
from .translate import THROTTLING_CODES, translate_error

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

RETRYABLE_CODES = THROTTLING_CODES | {
    "TransactionConflictException",
    "TransactionInProgressException",
}
"""4xx codes after which nothing was applied and the same request may be sent again."""

NEVER_SENT = (EndpointConnectionError, ConnectTimeoutError, ProxyConnectionError)
"""Connection failures before the request left: safe to send again. Any other connection or
HTTP error (a read timeout, a connection closed, a TLS error) may come after DynamoDB applied it."""

_OWN: ContextVar[bool] = ContextVar("ddbwrap_own_call", default=False)


class _StopAttemptsError(Exception):
    """Raised by the wrapped retry handler to end botocore's attempt loop for a ddbwrap call."""

    def __init__(
        self, status: int | None, parsed: Any, caught: BaseException | None, problem: str = ""
    ) -> None:
        super().__init__(problem or "attempt failed")
        self.status = status
        self.parsed = parsed
        self.caught = caught
        self.problem = problem


class BotocoreTransport:
    """Sends one attempt of a DynamoDB request through a boto3 client (thread-safe)."""

    def __init__(self, client: DynamoDBClient, *, fast_path: bool | None = None) -> None:
        check_client(client)
        self.client = client
        if fast_path is None:
            fast_path = fastpath.fast_path_from_environment()
        self.fast_path = bool(fast_path) and fastpath.install(client)
        _install_attempt_hook(client)
        self.endpoint_url = str(client.meta.endpoint_url)
        self._methods: dict[str, Any] = {
            operation: getattr(client, name)
            for name, operation in client.meta.method_to_api_mapping.items()
        }

    def call(self, operation: str, params: Params) -> Params:
        """One attempt of ``operation``; a failure raises ``AttemptError`` or a ``DdbwrapError``."""
        method = self._methods[operation]
        if operation == "BatchWriteItem":
            params = fastpath.materialized(params)
        own = _OWN.set(True)
        fast = fastpath._ACTIVE.set(self.fast_path)
        try:
            response: Params = method(**params)
            return response
        except _StopAttemptsError as attempt:
            failure = _failure(operation, params, attempt, self.endpoint_url)
        except ClientError as exc:  # answered without sending (a before-call handler)
            failure = error_response(operation, params, exc, endpoint=self.endpoint_url)
        except BotoCoreError as exc:
            failure = exception(operation, params, exc, endpoint=self.endpoint_url)
        finally:
            fastpath._ACTIVE.reset(fast)
            _OWN.reset(own)
        error = failure.error if isinstance(failure, AttemptError) else failure
        raise failure from error.__cause__


# -- classification: pure functions every transport shares ------------------------------------


def _failure(
    operation: str, params: Params, attempt: _StopAttemptsError, endpoint: str
) -> Exception:
    if attempt.caught is not None:
        return exception(operation, params, attempt.caught, endpoint=endpoint)
    if attempt.problem:
        return unreadable(operation, params, attempt.problem)
    parsed = attempt.parsed if isinstance(attempt.parsed, Mapping) else {}
    error = ClientError(dict(parsed), operation)  # type: ignore[arg-type]
    return error_response(operation, params, error, status=attempt.status, endpoint=endpoint)


def unreadable(operation: str, params: Params, problem: str) -> AttemptError:
    """A 2xx whose body is not DynamoDB's answer (``body_problem``): maybe applied."""
    return attempt_error(
        "corrupt", f"{_where(operation, params)}: the response was unreadable ({problem})"
    )


def error_response(
    operation: str,
    params: Params,
    exc: ClientError,
    *,
    status: int | None = None,
    endpoint: str | None = None,
) -> Exception:
    """An error answer: ``AttemptError`` when a retry may cure it (throttling, 5xx), else the
    final ddbwrap error (a failed condition, a validation error...)."""
    translated = translate_error(
        exc, operation=operation, table=_tables(params), request=params, endpoint=endpoint
    )
    translated.__cause__ = exc
    code = str(exc.response.get("Error", {}).get("Code") or "")
    if status is None:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in RETRYABLE_CODES or isinstance(translated, ThrottledError):
        return AttemptError("throttled", translated)
    if isinstance(status, int) and status >= 500:
        return AttemptError("unavailable", translated)
    return translated


def exception(
    operation: str, params: Params, exc: BaseException, *, endpoint: str | None = None
) -> Exception:
    """An exception instead of an answer: never sent (``not_sent``), refused before sending
    (the final error), or sent with no answer (``lost``: maybe applied)."""
    if isinstance(exc, NEVER_SENT) and not _failed_after_connecting(exc):  # never opened
        error = translate_error(exc, operation=operation, table=_tables(params), endpoint=endpoint)
        error.__cause__ = exc
        return AttemptError("not_sent", error)
    if isinstance(exc, BotoCoreError) and not isinstance(exc, (ConnectionError, HTTPClientError)):
        error = translate_error(exc, operation=operation, table=_tables(params), endpoint=endpoint)
        error.__cause__ = exc
        return error  # nothing was sent: a malformed request, no credentials...
    kind: FaultKind = "lost"
    failure = ServiceError(
        f"{_where(operation, params)}: the request was sent but no response arrived "
        f"({type(exc).__name__}: {exc})"
    )
    failure.__cause__ = exc
    return AttemptError(kind, failure)


def _failed_after_connecting(exc: BaseException) -> bool:
    """Whether a "could not connect" error wraps a failure of an open connection.

    aiobotocore reports every aiohttp ``ClientConnectionError`` as ``EndpointConnectionError``,
    a connection reset after the request was sent (``ClientOSError``) included: only aiohttp's
    ``ClientConnectorError`` means the connection never opened."""
    aiohttp = sys.modules.get("aiohttp")  # not imported: not an aiohttp failure
    cause = getattr(exc, "kwargs", {}).get("error")
    return (
        aiohttp is not None
        and isinstance(cause, aiohttp.ClientConnectionError)
        and not isinstance(cause, aiohttp.ClientConnectorError)
    )


def _where(operation: str, params: Mapping[str, Any]) -> str:
    return f"{operation} on table {_tables(params)!r}"


def _tables(params: Mapping[str, Any]) -> str:
    """The physical table name(s) a request is for, for messages."""
    table = params.get("TableName")
    if isinstance(table, str):
        return table
    items = params.get("RequestItems")
    if isinstance(items, Mapping):
        return ",".join(sorted(items))
    actions = params.get("TransactItems")
    if isinstance(actions, list):
        return ",".join(
            sorted(
                {
                    str(action.get("TableName"))
                    for item in actions
                    if isinstance(item, Mapping)
                    for action in item.values()
                    if isinstance(action, Mapping)
                }
            )
        )
    return "*"


# -- the attempt hook ---------------------------------------------------------------------


def body_problem(body: bytes, headers: Mapping[str, Any]) -> str:
    """Why a 2xx body is not a DynamoDB answer ("" when it is): CRC32 mismatch, not JSON."""
    checksum = headers.get("x-amz-crc32")
    if checksum is not None:
        try:
            expected = int(checksum)
        except ValueError:
            return "malformed x-amz-crc32 header"
        if zlib.crc32(body) & 0xFFFFFFFF != expected:
            return "CRC32 checksum mismatch"
    if body[:1] == b"{" and body[-1:] == b"}":  # as DynamoDB writes it: no copy to strip
        return ""
    stripped = body.strip()
    if not stripped:
        return "empty body"
    if stripped[:1] != b"{" or stripped[-1:] != b"}":
        return "body is not a JSON object"
    return ""


class _AttemptHook:
    """Stands in for botocore's ``needs-retry`` handler (which it calls for other calls)."""

    __slots__ = ("_original",)

    def __init__(self, original: Any) -> None:
        self._original = original

    def __call__(self, response: Any = None, caught_exception: Any = None, **kwargs: Any) -> Any:
        if not _OWN.get():
            if self._original is None:
                return None
            return self._original(response=response, caught_exception=caught_exception, **kwargs)
        if caught_exception is not None:
            raise _StopAttemptsError(None, None, caught_exception)
        if response is None:
            return None
        http, parsed = response
        status = http.status_code
        if status >= 300:
            raise _StopAttemptsError(status, parsed, None)
        problem = body_problem(http.content, http.headers) or _unparsed(http.content, parsed)
        if problem:
            raise _StopAttemptsError(status, parsed, None, problem)
        return None


INVALID_JSON = "body is not valid DynamoDB JSON"
"""The problem of a 2xx body that looks like a JSON object but does not parse as an answer."""


def _unparsed(body: bytes, parsed: Any) -> str:
    """``INVALID_JSON`` when botocore's parser gave nothing for a body that is not ``{}``.

    botocore's JSON parser reads a body it cannot decode as ``{"message": <body>}``, which the
    output shape then drops: a truncated answer that happens to end in ``}`` would pass as an
    empty response. Only such an empty result is checked (a real empty answer is ``{}``)."""
    if not isinstance(parsed, Mapping) or any(name != "ResponseMetadata" for name in parsed):
        return ""
    if body.strip() == b"{}":
        return ""
    try:
        fastpath.loads(body)
    except ValueError:
        return INVALID_JSON
    return ""


_HOOKED: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _install_attempt_hook(client: Any) -> None:
    """Wrap the client's retry handler once (see the module docstring)."""
    with _LOCK:
        if _HOOKED.get(client):
            return
        events = client.meta.events
        service = client.meta.service_model.service_id.hyphenize()
        event, unique_id = f"needs-retry.{service}", f"retry-config-{service}"
        emitter = getattr(events, "_emitter", events)
        entry = getattr(emitter, "_unique_id_handlers", {}).get(unique_id)
        original = entry.get("handler") if isinstance(entry, dict) else None
        if original is not None:
            events.unregister(event, unique_id=unique_id)
            events.register(event, _AttemptHook(original), unique_id=unique_id)
        else:
            events.register_first(event, _AttemptHook(None), unique_id="ddbwrap-attempt")
        _HOOKED[client] = True


def request_attempts(client: Any) -> int | None:
    """The attempts per request the client is configured with (botocore's retries), if any."""
    retries = getattr(getattr(client, "meta", None), "config", None)
    settings = getattr(retries, "retries", None) or {}
    if "total_max_attempts" in settings:
        return int(settings["total_max_attempts"])
    if "max_attempts" in settings:
        return int(settings["max_attempts"]) + 1
    return None


def check_client(client: object) -> None:
    """Refuse anything but a boto3 DynamoDB *client* (a resource or a Table is a common slip)."""
    meta = getattr(client, "meta", None)
    service = getattr(getattr(meta, "service_model", None), "service_name", None)
    if service != "dynamodb":
        raise ValidationError(
            f"TableGateway needs a boto3 DynamoDB client, got {type(client).__name__}; use "
            "TableGateway(boto3.client('dynamodb')) or TableGateway.from_environment() "
            "(a boto3 resource or Table is not a client: pass resource.meta.client)"
        )


__all__ = [
    "BotocoreTransport",
    "body_problem",
    "check_client",
    "error_response",
    "exception",
    "request_attempts",
    "unreadable",
]
