"""``ddbwrap.aio``: the async API, at parity with the sync one and on the same engine.

Install with ``pip install 'ddbwrap[async]'`` (aiobotocore). Every class here is the async twin
of a sync one, with the same names, arguments, results, errors and dry runs (``explain``,
``params()``), because it builds the same requests and runs the same flows, only with the async
driver: ``AsyncTableGateway`` (``TableGateway``), ``AsyncReadApi[M]`` (``ReadApi[M]``),
``AsyncWriteApi[M]`` (``WriteApi[M]``), ``AsyncTransaction`` (``Transaction``),
``AsyncBatchWriter`` (``BatchWriter``), ``transact_get`` and ``retry_on_conflict``.

::

    from ddbwrap.aio import AsyncReadApi, AsyncTableGateway, AsyncWriteApi

    async with AsyncTableGateway.from_environment() as gateway:
        reads, writes = AsyncReadApi[Goal](gateway), AsyncWriteApi[Goal](gateway)
        goal = await reads.get(goal_id="g1")                   # Goal | None
        async for goal in reads.query_all(tenant_id="t1"):     # one page in memory at a time
            ...

``import ddbwrap`` never imports this package (nor asyncio or aiobotocore); aiobotocore itself
is imported only when a gateway makes its client. See ``docs/async.md``.
"""

from __future__ import annotations

from .collection import AsyncCollection
from .gateway import AsyncTableGateway
from .read import AsyncReadApi
from .transact import transact_get
from .transport import AiobotocoreTransport, AsyncTransport
from .write import AsyncBatchWriter, AsyncTransaction, AsyncWriteApi, retry_on_conflict

Transaction = AsyncTransaction
"""``AsyncTransaction`` under the sync name (``from ddbwrap.aio import Transaction``)."""

__all__ = [
    "AiobotocoreTransport",
    "AsyncBatchWriter",
    "AsyncCollection",
    "AsyncReadApi",
    "AsyncTableGateway",
    "AsyncTransaction",
    "AsyncTransport",
    "AsyncWriteApi",
    "Transaction",
    "retry_on_conflict",
    "transact_get",
]
