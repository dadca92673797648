"""Backoff policy for re-sending the leftovers of batch requests.

Throttled *requests* are retried by botocore (``Config(retries=...)``). A batch request that
succeeds but leaves ``UnprocessedItems``/``UnprocessedKeys`` is not an error to botocore, so the
gateway re-sends the leftovers itself, pausing between attempts as this policy says: exponential
growth capped at ``max_delay``, with "full jitter" (a uniform draw in ``[0, cap]``) so that many
clients backing off at once do not retry in lock-step.
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
    """How often, and after which pauses, a batch's leftovers are re-sent.

    ``max_attempts`` counts every send of one batch request, the first included: with the
    default 8, leftovers are re-sent at most 7 times. ``sleep`` and ``jitter`` (returns a float
    in ``[0, 1)``) are injectable so tests run instantly and deterministically.
    """

    max_attempts: int = 8
    base_delay: float = 0.05
    max_delay: float = 2.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False, compare=False)

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
        if self.max_delay < self.base_delay:
            raise ValidationError(
                f"RetryPolicy.max_delay ({self.max_delay}) must be at least base_delay "
                f"({self.base_delay})"
            )

    def caps(self) -> Iterator[float]:
        """The upper bound of each pause: ``min(max_delay, base_delay * 2**n)``, n = 0, 1, ..."""
        for retry in range(self.max_attempts - 1):
            # Compare the exponent before computing it: 2**n overflows a float for large n.
            if retry >= 64 or self.base_delay * 2**retry >= self.max_delay:
                yield self.max_delay
            else:
                yield self.base_delay * 2**retry

    def delays(self) -> Iterator[float]:
        """The pause before each re-send (``max_attempts - 1`` of them), full jitter applied."""
        for cap in self.caps():
            yield cap * self.jitter()
