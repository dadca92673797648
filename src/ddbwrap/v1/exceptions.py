"""V1's generic exceptions, kept catchable while being ddbwrap errors underneath.

V1 code catches ``DynamoDBWrapperError``, ``ItemNotFoundException``, ``ValidationException``,
``ConnectionException``, ``ConditionalCheckFailedException`` and
``ItemAlreadyExistsException``. Each is a subclass of both the V1 root and the matching ddbwrap
class (``ItemNotFoundException`` is an ``ItemNotFoundError``), so ``except DdbwrapError`` and
``except ItemNotFoundError`` catch them too.

Python's ``except`` looks at real base classes only (it never calls ``__subclasscheck__``), so
V1 entry points (repositories and the adapter) run inside :func:`v1_errors`, which re-raises
any ddbwrap error as the V1 class that is also its own class: a ``VersionConflictError`` comes
out as a class deriving from ``ConditionalCheckFailedException`` *and* ``VersionConflictError``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, TypeVar

from ..errors import (
    DOCS_BASE,
    AlreadyExistsError,
    ConditionFailedError,
    CorruptItemError,
    DdbwrapError,
    ItemNotFoundError,
    ServiceError,
    ThrottledError,
    ValidationError,
)

__all__ = [
    "ConditionalCheckFailedException",
    "ConnectionException",
    "DynamoDBWrapperError",
    "ItemAlreadyExistsException",
    "ItemNotFoundException",
    "ValidationException",
    "as_v1_error",
    "v1_errors",
]

E = TypeVar("E", bound=DdbwrapError)


class DynamoDBWrapperError(DdbwrapError):
    """V1's root exception; every error a V1 entry point raises is one (and a DdbwrapError)."""

    _ddb_class: ClassVar[type[DdbwrapError] | None] = None
    """The ddbwrap class a converted error came from (its docs section and code)."""

    @property
    def docs_url(self) -> str:
        """The section of docs/errors.md of the ddbwrap class this error also is."""
        if self._ddb_class is not None:
            return DOCS_BASE + "#" + self._ddb_class.__name__.lower()
        for klass in type(self).__mro__:
            if klass.__module__ == DdbwrapError.__module__:
                return DOCS_BASE + "#" + klass.__name__.lower()
        return super().docs_url  # pragma: no cover - DdbwrapError is always in the MRO


class ItemNotFoundException(DynamoDBWrapperError, ItemNotFoundError):  # noqa: N818 - V1's names
    """V1: the item does not exist (an ``ItemNotFoundError``)."""

    def __init__(
        self,
        message: str | None = None,
        *,
        table: str = "",
        key: Mapping[str, Any] | None = None,
    ) -> None:
        ItemNotFoundError.__init__(self, table, key or {}, message)


class ValidationException(DynamoDBWrapperError, ValidationError):  # noqa: N818 - V1's names
    """V1: a value or an item is invalid (a ``ValidationError``)."""


class ConnectionException(DynamoDBWrapperError, ServiceError):  # noqa: N818 - V1's names
    """V1: DynamoDB or the transport failed (a ``ServiceError``)."""


class ConditionalCheckFailedException(DynamoDBWrapperError, ConditionFailedError):  # noqa: N818 - V1's names
    """V1: a write's condition did not hold (a ``ConditionFailedError``)."""


class ItemAlreadyExistsException(ConditionalCheckFailedException, AlreadyExistsError):  # noqa: N818 - V1's names
    """V1: ``create`` found an item with the same key (an ``AlreadyExistsError``)."""


_V1_CLASSES: tuple[tuple[type[DdbwrapError], type[DynamoDBWrapperError]], ...] = (
    (AlreadyExistsError, ItemAlreadyExistsException),
    (ConditionFailedError, ConditionalCheckFailedException),
    (ItemNotFoundError, ItemNotFoundException),
    (ValidationError, ValidationException),
    (CorruptItemError, ValidationException),
    (ThrottledError, ConnectionException),
    (ServiceError, ConnectionException),
    (DdbwrapError, DynamoDBWrapperError),
)
"""ddbwrap class -> the V1 class its errors become, most specific first."""

_COMBINED: dict[type[DdbwrapError], type[DynamoDBWrapperError]] = {}


def v1_class_for(error_type: type[DdbwrapError]) -> type[DynamoDBWrapperError]:
    """The class a ddbwrap error of ``error_type`` is re-raised as: a subclass of the V1 class
    and of ``error_type`` itself (cached)."""
    if issubclass(error_type, DynamoDBWrapperError):
        return error_type
    combined = _COMBINED.get(error_type)
    if combined is not None:
        return combined
    v1 = next(v1 for v2, v1 in _V1_CLASSES if issubclass(error_type, v2))
    if error_type in v1.__mro__:
        combined = v1
    else:
        combined = type(
            error_type.__name__,
            (v1, error_type),
            {
                "__module__": __name__,
                "__doc__": error_type.__doc__,
                "code": error_type.code,
                "_ddb_class": error_type,
            },
        )
    _COMBINED[error_type] = combined
    return combined


def as_v1_error(error: E) -> E:
    """The same error (message, attributes, cause) as an instance of its V1 class."""
    klass = v1_class_for(type(error))
    if type(error) is klass:
        return error
    converted = klass.__new__(klass)
    converted.args = error.args
    converted.__dict__.update(error.__dict__)
    converted.__cause__ = error.__cause__
    converted.__suppress_context__ = True
    return converted  # type: ignore[return-value]  # klass derives from type(error)


@contextlib.contextmanager
def v1_errors() -> Iterator[None]:
    """Re-raise any ddbwrap error raised inside the block as its V1 class."""
    try:
        yield
    except DynamoDBWrapperError:
        raise
    except DdbwrapError as error:
        converted = as_v1_error(error)
        raise converted.with_traceback(error.__traceback__) from error.__cause__
