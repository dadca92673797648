"""Parallel scans: the segments of a scan read at once, one thread each (sync).

Each segment's pages flow runs in its own thread and hands its raw pages over a bounded queue
(two pages per segment at most, so memory stays bounded however fast DynamoDB answers); the
consumer decodes them in its own frame and yields the items, in no particular order. A failure
in any segment is raised to the consumer; leaving the iterator early stops every thread. Each
thread runs in a copy of the consumer's context, so that its spans are children of the caller's
and the redaction setting in force there holds in it.
``ddbwrap.aio.parallel`` is the same with tasks.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .._engine.steps import Flow
from .._engine.threads import in_caller_context
from ..gateway import TableGateway

_STOP = object()
"""A segment's last entry in the queue: its scan is complete."""


def parallel_items(
    gateway: TableGateway, flows: Sequence[Flow[None]], decode: Callable[[Any], list[Any]]
) -> Iterator[Any]:
    """The items of every segment's ``flows`` (which emit raw pages), each page decoded by
    ``decode``."""
    pages: queue.Queue[Any] = queue.Queue(maxsize=2 * len(flows))
    stop = threading.Event()

    def put(entry: object) -> bool:
        while not stop.is_set():
            try:
                pages.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work(flow: Flow[None]) -> None:
        try:
            for raw_items in gateway.iterate(flow):
                if not put(raw_items):
                    return
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(exc)
            return
        put(_STOP)

    run = in_caller_context(work)
    threads = [
        threading.Thread(target=run, args=(flow,), name=f"ddbwrap-scan-{i}", daemon=True)
        for i, flow in enumerate(flows)
    ]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            entry = pages.get()
            if entry is _STOP:
                running -= 1
            elif isinstance(entry, BaseException):
                raise entry
            else:
                yield from decode(entry)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
