"""The async transport seam, and its implementation over an aiobotocore client.

``AiobotocoreTransport`` is ``BotocoreTransport``'s twin: one attempt per call (aiobotocore's
retry handler is wrapped exactly as botocore's is, so any failure stops it and surfaces here),
every failure classified by the same functions (``ddbwrap._engine.botocore``: throttling and
5xx, connections that never opened, lost and unreadable responses, CRC32 mismatches), and the
same fast path (``ddbwrap.fastpath``: request checks and response parsing hook into
aiobotocore's events as they do into botocore's).

Any sync ``Transport`` (``ddbwrap.testing.ScriptedTransport``, say) is accepted where an async
one is expected: ``as_async`` wraps it.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeGuard, runtime_checkable

from botocore.exceptions import BotoCoreError, ClientError

from .. import fastpath
from .._engine.botocore import (
    _OWN,
    _AttemptHook,
    _failure,
    _StopAttemptsError,
    error_response,
    exception,
)
from .._engine.faults import AttemptError
from .._engine.steps import Params
from ..errors import ValidationError
from ..transport import reads_items

if TYPE_CHECKING:
    from .._page_decoder import BodyReader

__all__ = ["AiobotocoreTransport", "AsyncTransport", "as_async", "check_async_client"]


@runtime_checkable
class AsyncTransport(Protocol):
    """One attempt of one DynamoDB call, awaited (see ``ddbwrap.transport.Transport``)."""

    async def call(self, operation: str, params: Params) -> Params: ...


class AsyncItemReadingTransport(Protocol):
    """An async transport that reads a Query, Scan or BatchGetItem answer's items with
    ``items`` (see ``ddbwrap.transport.ItemReadingTransport``)."""

    reads_items: Literal[True]

    async def call(
        self, operation: str, params: Params, items: BodyReader | None = None
    ) -> Params: ...


def reads_items_async(transport: object) -> TypeGuard[AsyncItemReadingTransport]:
    """True for an async transport that takes the body reader (``reads_items = True``)."""
    return reads_items(transport)


class _SyncTransport:
    """A sync transport seen as an async one (its calls run on the event loop's thread)."""

    def __init__(self, transport: Any) -> None:
        self.transport = transport
        self.endpoint_url = getattr(transport, "endpoint_url", "")
        self.fast_path = bool(getattr(transport, "fast_path", False))
        self.client = getattr(transport, "client", None)

    async def call(self, operation: str, params: Params) -> Params:
        response: Params = self.transport.call(operation, params)
        return response


def as_async(transport: Any) -> AsyncTransport:
    """``transport`` itself when its ``call`` is a coroutine function, else an async wrapper."""
    if inspect.iscoroutinefunction(getattr(transport, "call", None)):
        found: AsyncTransport = transport
        return found
    if not callable(getattr(transport, "call", None)):
        raise ValidationError(
            f"a transport needs a call(operation, params) method, got {type(transport).__name__}"
        )
    return _SyncTransport(transport)


_LOST = (OSError, asyncio.TimeoutError)
"""Failures below botocore's own exceptions (the body read by aiohttp after the request was
sent): the response is lost. aiohttp's own ``ClientError`` joins them once it is imported."""


def _lost_errors() -> tuple[type[BaseException], ...]:
    try:
        import aiohttp
    except ImportError:  # pragma: no cover - aiobotocore depends on it
        return _LOST
    return (*_LOST, aiohttp.ClientError)


class AiobotocoreTransport:
    """Sends one attempt of a DynamoDB request through an aiobotocore client.

    The client stays the caller's: it must be open (``async with session.create_client(...)``)
    while calls are made, and closing it is the caller's job (``AsyncTableGateway`` closes the
    clients it opened itself).
    """

    def __init__(self, client: Any, *, fast_path: bool | None = None) -> None:
        check_async_client(client)
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
        self._lost = _lost_errors()

    async def call(self, operation: str, params: Params) -> Params:
        """One attempt of ``operation``; a failure raises ``AttemptError`` or a ``DdbwrapError``."""
        method = self._methods[operation]
        if operation == "BatchWriteItem":
            params = fastpath.materialized(params)
        own = _OWN.set(True)
        fast = fastpath._ACTIVE.set(self.fast_path)
        try:
            response: Params = await method(**params)
            return response
        except _StopAttemptsError as attempt:
            failure = _failure(operation, params, attempt, self.endpoint_url)
        except ClientError as exc:  # answered without sending (a before-call handler)
            failure = error_response(operation, params, exc, endpoint=self.endpoint_url)
        except BotoCoreError as exc:
            failure = exception(operation, params, exc, endpoint=self.endpoint_url)
        except self._lost as exc:  # the body read failed: sent, no answer
            failure = exception(operation, params, exc, endpoint=self.endpoint_url)
        finally:
            fastpath._ACTIVE.reset(fast)
            _OWN.reset(own)
        error = failure.error if isinstance(failure, AttemptError) else failure
        raise failure from error.__cause__


# -- the attempt hook ---------------------------------------------------------------------------


class _Answer:
    """What the attempt hook reads of an aiobotocore response, with its body already read."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, content: bytes, headers: Mapping[str, Any]) -> None:
        self.status_code = status_code
        self.content = content
        self.headers = headers


class _AioAttemptHook:
    """``_AttemptHook`` for aiobotocore: its response body is an awaitable property there.

    aiobotocore has read the body before ``needs-retry`` is emitted, so the hook takes it from
    the response's cache synchronously (no coroutine per call); other clients' calls go to the
    wrapped handler, whose coroutine aiobotocore's emitter awaits.
    """

    __slots__ = ("_hook",)

    def __init__(self, original: Any) -> None:
        self._hook = _AttemptHook(original)

    def __call__(self, response: Any = None, caught_exception: Any = None, **kwargs: Any) -> Any:
        if response is not None and _OWN.get():
            http, parsed = response
            if http.status_code < 300:
                body = getattr(http, "_content", None)
                if type(body) is not bytes:
                    return self._read(http, parsed, caught_exception, kwargs)
                response = (_Answer(http.status_code, body, http.headers), parsed)
        return self._hook(response=response, caught_exception=caught_exception, **kwargs)

    async def _read(
        self, http: Any, parsed: Any, caught_exception: Any, kwargs: dict[str, Any]
    ) -> Any:
        body = await http.content
        answer = (_Answer(http.status_code, body, http.headers), parsed)
        return self._hook(response=answer, caught_exception=caught_exception, **kwargs)


_HOOKED: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _install_attempt_hook(client: Any) -> None:
    """Wrap the client's retry handler once, as ``BotocoreTransport`` does for botocore's."""
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
            events.register(event, _AioAttemptHook(original), unique_id=unique_id)
        else:
            events.register_first(event, _AioAttemptHook(None), unique_id="ddbwrap-attempt")
        _HOOKED[client] = True


def check_async_client(client: object) -> None:
    """Refuse anything but an aiobotocore DynamoDB client (a boto3 client is a common slip)."""
    meta = getattr(client, "meta", None)
    service = getattr(getattr(meta, "service_model", None), "service_name", None)
    method = getattr(client, "_make_api_call", None)
    if service != "dynamodb" or not inspect.iscoroutinefunction(method):
        raise ValidationError(
            f"AsyncTableGateway needs an aiobotocore DynamoDB client, got "
            f"{type(client).__name__}; use `async with AsyncTableGateway.from_environment() as "
            "gateway` or AsyncTableGateway(client) inside `async with "
            "aiobotocore.session.get_session().create_client('dynamodb') as client` (a boto3 "
            "client belongs to the sync TableGateway)"
        )
