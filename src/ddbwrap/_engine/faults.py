"""Failed attempts that a retry may cure, as transports report them.

A transport raises ``AttemptError`` for an attempt that failed in a way a later attempt may not:
throttling, a 5xx, a connection that never opened, a lost or unreadable response. Anything
else it raises as the final ``DdbwrapError``. ``maybe_applied`` says whether DynamoDB may have
applied the request anyway: a flow may re-send such a request only when doing so twice is
harmless, and must otherwise decide the outcome (or raise ``OutcomeUnknownError``).
"""

from __future__ import annotations

from typing import Literal

from ..errors import DdbwrapError, ServiceError

FaultKind = Literal["throttled", "unavailable", "not_sent", "lost", "corrupt"]

MAYBE_APPLIED: frozenset[str] = frozenset({"unavailable", "lost", "corrupt"})
"""Kinds after which the request may have been applied (5xx, lost response, bad body)."""


class AttemptError(Exception):
    """One failed attempt that may be retried; ``error`` is raised once retries run out."""

    def __init__(self, kind: FaultKind, error: DdbwrapError) -> None:
        super().__init__(str(error))
        self.kind: FaultKind = kind
        self.error = error

    @property
    def maybe_applied(self) -> bool:
        """True when DynamoDB may have applied the request although this attempt failed."""
        return self.kind in MAYBE_APPLIED


def attempt_error(kind: FaultKind, message: str, *, aws_code: str | None = None) -> AttemptError:
    """A ``AttemptError`` whose final error is a ``ServiceError`` with ``message``."""
    return AttemptError(kind, ServiceError(message, aws_code=aws_code))
