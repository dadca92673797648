"""``AsyncWriteApi[M]``, ``AsyncTransaction``, ``AsyncBatchWriter``: the write side's async
twins, on the same flows.

Each builds exactly what its sync twin builds (``BaseWriteApi``, ``BaseTransaction``,
``BaseBatchWriter``: plans, hooks, checks, the flows of ``ddbwrap.write.flows``) and drives it
with the async driver, so names, arguments, results, errors and the exactly-once rules are the
sync API's. What cancellation leaves behind, per operation, is in ``docs/async.md``.

::

    writes = AsyncWriteApi[User](gateway)
    user = await writes.create(NewUser(user_id="u1", email="ada@example.com", name="Ada"))
    async with AsyncTransaction(gateway) as tx:   # committed when the block ends
        tx.update(User, user, Rename(name="Ada L."))
    async with writes.batch() as batch:            # sent every flush_at (100) writes and on exit
        await batch.put(user)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Literal, TypeVar, overload

from .._engine.steps import Flow, R
from ..errors import DdbwrapError, ValidationError, VersionConflictError
from ..expressions import Condition, Update
from ..keys import KeyLike
from ..model import DomainModel
from ..retry import RetryPolicy
from ..write.api import BaseWriteApi
from ..write.batch import DEFAULT_FLUSH_AT, BaseBatchWriter, BatchEntry
from ..write.dto import CreateDTO, UpdateDTO
from ..write.locking import ExpectedVersion
from ..write.timestamps import Clock, utc_now
from ..write.transaction import BaseTransaction
from .gateway import AsyncTableGateway, require_async_gateway

__all__ = ["AsyncBatchWriter", "AsyncTransaction", "AsyncWriteApi", "retry_on_conflict"]

M = TypeVar("M", bound=DomainModel)
T = TypeVar("T")


class AsyncWriteApi(BaseWriteApi[M]):
    """Create, put, replace, update and delete items of one DomainModel ``M``, awaited.

    Bind the model with ``AsyncWriteApi[M](gateway)`` or by subclassing ``AsyncWriteApi[M]``.
    Instances are stateless apart from their configuration: share one between tasks.
    """

    _api_name = "AsyncWriteApi"
    gateway: AsyncTableGateway

    def __init__(self, gateway: AsyncTableGateway, *, clock: Clock = utc_now) -> None:
        super().__init__(gateway, clock=clock)

    def _checked_gateway(self, gateway: object) -> AsyncTableGateway:
        return require_async_gateway(gateway, type(self).__name__)

    async def _run(self, flow: Flow[R]) -> R:
        """Drive one of this API's flows (the sync API drives the same flows)."""
        return await self.gateway.run(flow)

    # -- create ---------------------------------------------------------------------------

    async def create(self, item: M | CreateDTO[M], *, condition: Condition | None = None) -> M:
        """Store a new item from a CreateDTO or an instance; never overwrites.

        Sets version 1 and created_at = updated_at = now; claims unique values in the same
        transaction. Raises ``AlreadyExistsError`` (naming the key) when the key is taken and
        ``UniqueConstraintError`` when a unique value is.
        """
        return await self._run(self._create(item, condition))

    # -- put / replace --------------------------------------------------------------------

    async def put(
        self,
        item: M,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
    ) -> M:
        """Create or replace the item's model fields (an upsert of the whole model).

        Sent as an UpdateItem, so attributes the model does not know are kept. On a versioned
        model the instance's version is the one expected (0: not stored yet).
        """
        return await self._run(self._put(item, condition, expected_version, must_exist=False))

    async def replace(
        self,
        item: M,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
    ) -> M:
        """Replace the model fields of an existing item (``ItemNotFoundError`` if there is
        none); attributes the model does not know are kept."""
        return await self._run(self._put(item, condition, expected_version, must_exist=True))

    # -- update ---------------------------------------------------------------------------

    async def update(
        self,
        key: KeyLike,
        changes: UpdateDTO[M] | Update,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
        upsert: bool = False,
        idempotent: bool = False,
    ) -> M:
        """Write only the fields ``changes`` sets; return the updated item.

        ``changes`` is an ``UpdateDTO[M]`` (fields the caller set; ``None`` removes) or an
        ``Update()`` builder (counters, list appends, set add/delete). ``key`` is a mapping of
        the key fields or the instance you read (whose version is then the one expected).
        Raises ``ItemNotFoundError`` when there is no such item, unless ``upsert=True``: then
        a missing item is created from the key, the DTO's fields and the model's defaults.
        ``idempotent=True`` sends the write as a one-action transaction with a client token,
        so a lost response is re-sent safely even for counters on an unversioned model
        (twice the write capacity, and the item is read back); without it such a write whose
        response is lost raises ``OutcomeUnknownError``.
        """
        return await self._run(
            self._update(key, changes, condition, expected_version, upsert, idempotent)
        )

    async def modify(
        self,
        key: KeyLike,
        change: Callable[[M], UpdateDTO[M] | Update],
        *,
        condition: Condition | None = None,
        attempts: int = 10,
    ) -> M:
        """Read-modify-write with optimistic locking: read the item (consistently), call
        ``change(item)`` for the changes, write them expecting the version read, and start
        over on ``VersionConflictError`` (at most ``attempts`` times).

        Needs ``Meta.version_attribute``; ``change`` may run several times, so keep it pure.
        A lost response is resolved by the version (never applied twice).
        """
        return await self._run(self._modify(key, change, condition, attempts))

    # -- delete ---------------------------------------------------------------------------

    @overload
    async def delete(
        self,
        key: KeyLike,
        *,
        condition: Condition | None = ...,
        expected_version: ExpectedVersion = ...,
        return_old: Literal[False] = ...,
    ) -> None: ...

    @overload
    async def delete(
        self,
        key: KeyLike,
        *,
        condition: Condition | None = ...,
        expected_version: ExpectedVersion = ...,
        return_old: Literal[True],
    ) -> M | None: ...

    async def delete(
        self,
        key: KeyLike,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
        return_old: bool = False,
    ) -> M | None:
        """Delete an item (deleting a missing item is a no-op) and release its unique guards.

        With ``return_old=True`` returns the item as it was (None if there was none).
        """
        return await self._run(self._delete(key, condition, expected_version, return_old))

    # -- batches --------------------------------------------------------------------------

    def batch(self, *, flush_at: int = DEFAULT_FLUSH_AT) -> AsyncBatchWriter[M]:
        """A batch writer for this model (not atomic, no conditions; see ``BatchWriter``):
        ``async with writes.batch() as batch: await batch.put(item)``."""
        return AsyncBatchWriter(self.gateway, self.model, flush_at=flush_at)


class AsyncTransaction(BaseTransaction):
    """Collects write actions across models and sends them as one TransactWriteItems, awaited:
    ``async with AsyncTransaction(gateway) as tx: ...`` commits when the block ends.

    Adding actions (``create``, ``put``, ``replace``, ``update``, ``delete``, ``check``) is
    plain, synchronous and sends nothing, as in ``Transaction``; only ``commit()`` is awaited.
    """

    gateway: AsyncTableGateway

    def __init__(
        self,
        gateway: AsyncTableGateway,
        *,
        client_request_token: str | None = None,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(gateway, client_request_token=client_request_token, clock=clock)

    def _checked_gateway(self, gateway: object) -> AsyncTableGateway:
        return require_async_gateway(gateway, "AsyncTransaction")

    async def commit(self) -> None:
        """Send the transaction (nothing to send is a no-op); all actions happen or none.

        As ``Transaction.commit``: one token and one body for every re-send, and after an
        ``OutcomeUnknownError``, a service error or a cancellation, ``await commit()`` again
        re-sends the same request (applied at most once, for 10 minutes).
        """
        await self.gateway.run(self._commit_flow())

    async def __aenter__(self) -> AsyncTransaction:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None and not self._committed:
            await self.commit()


class AsyncBatchWriter(BaseBatchWriter[M]):
    """Queues puts/deletes of ``model`` and sends them with BatchWriteItem on ``flush``/exit,
    awaited (``BatchWriter``'s twin: ``put``/``delete`` are awaited because reaching
    ``flush_at`` flushes).

    Cancelled during a flush, the writer counts in ``written`` what DynamoDB confirmed and
    puts the rest back in the queue (a request in flight may have been applied: puts and
    deletes are idempotent, so flushing again is safe); leaving the ``async with`` block by the
    cancellation then drops them, as any exception does.
    """

    gateway: AsyncTableGateway

    def __init__(
        self, gateway: AsyncTableGateway, model: type[M], *, flush_at: int = DEFAULT_FLUSH_AT
    ) -> None:
        super().__init__(
            require_async_gateway(gateway, "AsyncBatchWriter"), model, flush_at=flush_at
        )

    async def put(self, item: M) -> None:
        """Queue a put of the whole item (it replaces any stored item with this key)."""
        await self._add(self._put_entry(item))

    async def delete(self, key: KeyLike) -> None:
        """Queue a delete by key (a mapping of the key fields, or an instance)."""
        await self._add(self._delete_entry(key))

    async def _add(self, entry: BatchEntry[M]) -> None:
        identity = self._identity(entry)
        if identity in self._pending:
            await self._flush(unsent=entry)
        if self._queue(entry, identity):
            await self._flush()

    async def flush(self) -> None:
        """Send every queued write (see ``BatchWriter.flush``)."""
        await self._flush()

    async def _flush(self, unsent: BatchEntry[M] | None = None) -> None:
        started = self._take()
        if started is None:
            return
        entries, confirmed, flow = started
        try:
            await self.gateway.run(flow)
        except DdbwrapError as exc:
            raise self._failed(entries, confirmed, exc, unsent) from exc
        except BaseException:  # cancelled: what was not confirmed goes back in the queue
            self._requeue(self._unconfirmed(entries, confirmed))
            raise
        self.written += len(entries)

    async def __aenter__(self) -> AsyncBatchWriter[M]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            await self.flush()
        else:
            self._drop_pending()


async def retry_on_conflict(
    attempt: Callable[[], Awaitable[T]],
    *,
    attempts: int = 10,
    base_delay: float = 0.005,
    max_delay: float = 0.2,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """``ddbwrap.retry_on_conflict`` awaited: ``await attempt()`` until it does not raise
    ``VersionConflictError`` (at most ``attempts`` times), pausing with ``RetryPolicy``'s
    backoff; the last conflict propagates. (``AsyncWriteApi.modify`` does this for you.)"""
    if attempts < 1:
        raise ValidationError(f"retry_on_conflict: attempts must be at least 1, got {attempts}")
    delays = RetryPolicy(max_attempts=attempts, base_delay=base_delay, max_delay=max_delay).delays()
    while True:
        try:
            return await attempt()
        except VersionConflictError:
            delay = next(delays, None)
            if delay is None:
                raise
            await sleep(delay)
