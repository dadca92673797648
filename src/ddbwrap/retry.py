"""The one backoff policy of a gateway: every re-send ddbwrap makes pauses as it says.

It covers requests that failed in a way a retry may cure (throttling, 5xx, a connection that
never opened, a lost or unreadable response: see ``docs/errors.md`` for which writes may be
re-sent), batch leftovers (``UnprocessedItems``/``UnprocessedKeys``), transaction conflicts and
guard-moving writes whose item changed under them. Pauses grow exponentially up to
``max_delay``, with "full jitter" (a uniform draw in ``[0, cap]``) so that many clients backing
off at once do not retry in lock-step.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ddbwrap.errors import ValidationError

__all__ = ["RetryPolicy"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and after which pauses, ddbwrap re-sends.

    ``max_attempts`` counts every send of one batch request, the first included: with the
    default 8, leftovers are re-sent at most 7 times; it also bounds conflict and fresh-read
    retries of writes. ``request_attempts`` counts the attempts of one request that failed as
    a whole (None: what the boto3 client's ``Config(retries=...)`` says, else 10). ``sleep``
    (the sync driver's pause) and ``jitter`` (returns a float in ``[0, 1)``) are injectable so
    tests run instantly and deterministically.
    """

    max_attempts: int = 8
    base_delay: float = 0.05
    max_delay: float = 2.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)
    request_attempts: int | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValidationError(
                f"RetryPolicy.max_attempts must be at least 1 (got {self.max_attempts})"
            )
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValidationError(
                "RetryPolicy delays must not be negative "
                f"(base_delay={self.base_delay}, max_delay={self.max_delay})"
            )
        if self.request_attempts is not None and self.request_attempts < 1:
            raise ValidationError(
                f"RetryPolicy.request_attempts must be at least 1 (got {self.request_attempts})"
            )
        if self.max_delay < self.base_delay:
            raise ValidationError(
                f"RetryPolicy.max_delay ({self.max_delay}) must be at least base_delay "
                f"({self.base_delay})"
            )

    def caps(self, attempts: int | None = None) -> Iterator[float]:
        """The upper bound of each pause: ``min(max_delay, base_delay * 2**n)``, n = 0, 1, ...
        (``attempts - 1`` of them; ``attempts`` defaults to ``max_attempts``)."""
        for retry in range((self.max_attempts if attempts is None else attempts) - 1):
            # Compare the exponent before computing it: 2**n overflows a float for large n.
            if retry >= 64 or self.base_delay * 2**retry >= self.max_delay:
                yield self.max_delay
            else:
                yield self.base_delay * 2**retry

    def delays(self, attempts: int | None = None) -> Iterator[float]:
        """The pause before each re-send (``attempts - 1`` of them), full jitter applied."""
        for cap in self.caps(attempts):
            yield cap * self.jitter()

    def request_delays(self) -> Iterator[float]:
        """The pauses between the attempts of one request (``request_attempts``, else 10)."""
        return self.delays(self.request_attempts or DEFAULT_REQUEST_ATTEMPTS)


DEFAULT_REQUEST_ATTEMPTS = 10
"""Attempts per request when neither the policy nor the boto3 client says."""
