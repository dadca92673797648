"""Parallel scans, async: the segments of a scan read at once, one task each.

``ddbwrap.read.parallel``'s twin: each segment's pages flow runs in its own task and hands its
raw pages over a bounded queue (two pages per segment at most); the consumer decodes them and
yields the items, in no particular order. A failure in any segment is raised to the consumer;
leaving the iterator early cancels every task.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from .._engine.steps import Flow
from .drive import close
from .gateway import AsyncTableGateway

_STOP = object()
"""A segment's last entry in the queue: its scan is complete."""


async def parallel_items(
    gateway: AsyncTableGateway, flows: Sequence[Flow[None]], decode: Callable[[Any], list[Any]]
) -> AsyncIterator[Any]:
    """The items of every segment's ``flows`` (which emit raw pages), each page decoded by
    ``decode``."""
    pages: asyncio.Queue[Any] = asyncio.Queue(maxsize=2 * len(flows))

    async def work(flow: Flow[None]) -> None:
        segment = gateway.iterate(flow)
        try:
            async for raw_items in segment:
                await pages.put(raw_items)
                del raw_items
        except Exception as exc:  # handed to the consumer, which re-raises it
            await pages.put(exc)
            return
        finally:
            await close(segment)
        await pages.put(_STOP)

    tasks = [asyncio.ensure_future(work(flow)) for flow in flows]
    running = len(tasks)
    try:
        while running:
            entry = await pages.get()
            if entry is _STOP:
                running -= 1
            elif isinstance(entry, BaseException):
                raise entry
            else:
                for item in decode(entry):
                    yield item
            del entry
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
