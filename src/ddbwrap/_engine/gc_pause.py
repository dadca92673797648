"""The cyclic garbage collector paused while a large answer is parsed and decoded.

Parsing and decoding a page of items allocates tens of thousands of dicts, lists and strings
and no reference cycle, yet every 700 allocations start a collection that walks them for
nothing: measured, a third of the CPU of a 1,000-item query. ``paused()`` turns collection off
for the block and back on after it. A thread that finds it off already (another thread's
block, or the service's own choice) leaves it alone, so it is never left off by ddbwrap.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

LARGE_BODY = 32 * 1024
"""Bodies from this size on are parsed with the collector paused (smaller ones allocate too
little to start a collection)."""

MANY_ITEMS = 32
"""Pages from this many items on are decoded with the collector paused."""


@contextmanager
def paused() -> Iterator[None]:
    """The block runs with the cyclic collector off (when it was on)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def read(body: bytes, reader: Callable[[bytes], T]) -> T:
    """``reader(body)``, with the collector paused when the body is ``LARGE_BODY`` or more (a
    smaller one allocates too little to start a collection, and the pause would cost more)."""
    if len(body) < LARGE_BODY:
        return reader(body)
    with paused():
        return reader(body)
