"""Work handed to threads runs in the caller's context.

A thread starts with an empty ``contextvars`` context, so the OpenTelemetry span in force where
the work was asked for (the parent of its spans) and a redaction setting would be lost there;
asyncio tasks copy the context on their own. ``in_caller_context`` gives the thread a copy.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import ParamSpec, TypeVar

_P = ParamSpec("_P")
_R = TypeVar("_R")


def in_caller_context(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """``function`` for worker threads: each call runs in its own copy of the context of the
    thread that called ``in_caller_context`` (a context is entered by one thread at a time)."""
    caller = contextvars.copy_context()

    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        return caller.copy().run(function, *args, **kwargs)

    return run
