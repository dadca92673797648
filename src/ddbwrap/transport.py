"""The transport seam: what a ``TableGateway`` sends each call through.

A transport makes **one attempt** of one DynamoDB call, with physical table names, and returns
the raw response. ddbwrap's flows do the rest (retries with the gateway's ``RetryPolicy``,
paging, batch leftovers, resolving writes whose response was lost). A failed attempt raises
``AttemptError`` when a retry may cure it, saying whether the request may have been applied
(``kind``: ``throttled``, ``not_sent``, ``unavailable``, ``lost``, ``corrupt``), or the final
``DdbwrapError`` (a failed condition, a validation error...); never a botocore exception.

- ``DirectTransport``: over a boto3 DynamoDB client, ddbwrap's data-plane calls sent without
  botocore's per-call machinery (what ``TableGateway(client)`` builds by default; see
  ``docs/architecture.md#transports``), everything else through botocore;
- ``BotocoreTransport``: every call through the boto3 client (``transport="botocore"``, or
  ``DDBWRAP_TRANSPORT=botocore``);
- ``ddbwrap.testing.ScriptedTransport``: answers and faults scripted per call, for tests.

A transport whose ``reads_items`` is true also takes ``call(operation, params, items=reader)``
for a Query, Scan or BatchGetItem: the reader turns the answer's body into model instances
(the direct transports; see ``docs/architecture.md#transports``). Others get raw items. One
with ``call_many`` sends several attempts at once (the requests of a batch); one whose
``serializes_writes`` is true takes batch puts already in JSON (``fastpath.SerializedWrite``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Protocol, TypeGuard, runtime_checkable

from ._engine.botocore import BotocoreTransport
from ._engine.direct import TRANSPORT_ENV, DirectTransport
from ._engine.faults import MAYBE_APPLIED, AttemptError, FaultKind
from ._engine.steps import Outcome, Params

if TYPE_CHECKING:
    from ._page_decoder import BodyReader

__all__ = [
    "MAYBE_APPLIED",
    "TRANSPORT_ENV",
    "AttemptError",
    "BotocoreTransport",
    "DirectTransport",
    "FaultKind",
    "Params",
    "Transport",
]


@runtime_checkable
class Transport(Protocol):
    """One attempt of one DynamoDB call (``operation`` as in the API: ``"GetItem"``...)."""

    def call(self, operation: str, params: Params) -> Params: ...


class ItemReadingTransport(Protocol):
    """A transport that reads a Query, Scan or BatchGetItem answer's items with ``items``."""

    reads_items: Literal[True]

    def call(self, operation: str, params: Params, items: BodyReader | None = None) -> Params: ...


def reads_items(transport: object) -> TypeGuard[ItemReadingTransport]:
    """True for a transport that takes the body reader (``reads_items = True``)."""
    return getattr(transport, "reads_items", False) is True


class ManyCallsTransport(Protocol):
    """A transport that sends several attempts at once from the calling thread; each outcome is
    what ``call`` returns or raises for that request (``steps.Calls``)."""

    def call_many(
        self, requests: Sequence[tuple[str, Params, BodyReader | None]]
    ) -> list[Outcome]: ...


def sends_at_once(transport: object) -> TypeGuard[ManyCallsTransport]:
    """True for a transport with ``call_many``."""
    return callable(getattr(transport, "call_many", None))


def serializes_writes(transport: object) -> bool:
    """True for a transport that takes batch puts already in JSON (``serializes_writes =
    True``)."""
    return getattr(transport, "serializes_writes", False) is True
