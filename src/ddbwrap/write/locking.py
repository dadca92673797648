"""Optimistic locking with ``Meta.version_attribute`` (like the AWS SDK's VersionedRecordExtension).

Rules, in one place:

- ``create`` stores version 1. An instance that was never saved has the model's default
  (usually 0), so "version 0" means "not stored yet (or stored by someone who does not
  version it)".
- Every other write (``put``, ``replace``, ``update``, ``delete``) must say which version it
  read: ``expected_version=n``, or the ``version`` of the instance it is given. It is sent as
  the condition ``version = n`` (for 0: the attribute is missing or 0), and every write that
  stores the item adds 1. A stale write raises ``VersionConflictError(expected, current)``.
- ``expected_version=ANY_VERSION`` opts out explicitly (a blind write that still adds 1).
  Leaving the version out on a versioned model is an error, not a silent last-writer-wins.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from typing import Literal, TypeVar

from pydantic import BaseModel

from ..errors import ValidationError, VersionConflictError
from ..retry import RetryPolicy
from ..schema import TableSchema

T = TypeVar("T")


class AnyVersion(enum.Enum):
    """The type of ``ANY_VERSION``."""

    ANY = "any"

    def __repr__(self) -> str:
        return "ANY_VERSION"


ANY_VERSION = AnyVersion.ANY
"""Pass as ``expected_version`` to write a versioned item without checking its version."""

ExpectedVersion = int | Literal[AnyVersion.ANY] | None
"""What a write may be told about the version it read: a number, ANY_VERSION, or nothing."""


def resolve_expected(
    schema: TableSchema,
    expected: ExpectedVersion,
    instance: BaseModel | None,
    operation: str,
) -> int | None:
    """The version a write must find (None: do not check), or a ValidationError.

    An explicit ``expected`` wins over the ``instance``'s version field.
    """
    field = schema.version_field
    if field is None:
        if expected is not None and expected is not ANY_VERSION:
            raise ValidationError(
                f"{operation}: expected_version was given but the model has no "
                "Meta.version_attribute",
                model=schema.model_name,
            )
        return None
    if expected is ANY_VERSION:
        return None
    if expected is None and instance is not None:
        expected = getattr(instance, field)
    if expected is None:
        raise ValidationError(
            f"{operation}: {schema.model_name} is versioned (Meta.version_attribute = "
            f"{field!r}); pass expected_version= (the version you read), the instance you "
            "read, or expected_version=ANY_VERSION to skip the check",
            model=schema.model_name,
            field=field,
        )
    if isinstance(expected, bool) or not isinstance(expected, int) or expected < 0:
        raise ValidationError(
            f"{operation}: expected_version must be a non-negative int, got {expected!r}",
            model=schema.model_name,
            field=field,
        )
    return expected


def retry_on_conflict(
    attempt: Callable[[], T],
    *,
    attempts: int = 10,
    base_delay: float = 0.005,
    max_delay: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``attempt()`` until it does not raise ``VersionConflictError`` (at most ``attempts``
    times), pausing with the jittered exponential backoff of ``RetryPolicy`` (the one backoff
    formula ddbwrap uses); the last conflict propagates.

    ``attempt`` must re-read the item each time: retrying a write with the same stale version
    can never succeed. (``WriteApi.modify`` does this for you.)
    """
    if attempts < 1:
        raise ValidationError(f"retry_on_conflict: attempts must be at least 1, got {attempts}")
    delays = RetryPolicy(
        max_attempts=attempts, base_delay=base_delay, max_delay=max_delay, sleep=sleep
    ).delays()
    while True:
        try:
            return attempt()
        except VersionConflictError:
            delay = next(delays, None)
            if delay is None:
                raise
            sleep(delay)
