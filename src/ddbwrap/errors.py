"""The ddbwrap exception hierarchy: one root, one class per failure, messages that say what to do.

Every error carries a namespaced ``code`` (``"ddbwrap.<area>.<what>"``) and a ``docs_url``
pointing at the section of ``docs/errors.md`` that explains it. botocore exceptions never
escape the public API; when one caused an error it is kept as ``__cause__``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ._redact import loc_text, shown, shown_mapping

DOCS_ROOT = "https://github.com/ddbwrap/ddbwrap/blob/v0.1.0/docs/"
"""The docs as GitHub renders them at this release's tag (no docs site is published): a link in
an error message shows the page of the version installed. Bumped with ``__version__`` (a test
checks that they agree)."""

DOCS_BASE = DOCS_ROOT + "errors.md"


class DdbwrapError(Exception):
    """Root of every error raised by ddbwrap."""

    code: str = "ddbwrap.error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def docs_url(self) -> str:
        """Link to the docs section that explains this error and how to fix it."""
        return DOCS_BASE + "#" + type(self).__name__.lower()

    def __str__(self) -> str:
        return f"{self.message} [{self.code}] (see {self.docs_url})"


class ModelDefinitionError(DdbwrapError, TypeError):
    """A model, view or DTO declaration is invalid; raised at class-definition time."""

    code = "ddbwrap.model.definition"

    def __init__(self, model: str, message: str, *, field: str | None = None) -> None:
        where = f"{model}.{field}" if field else model
        super().__init__(f"{where}: {message}")
        self.model = model
        self.field = field


class ValidationError(DdbwrapError, ValueError):
    """A value, key or request argument was refused before anything was sent."""

    code = "ddbwrap.validation"

    def __init__(
        self, message: str, *, model: str | None = None, field: str | None = None
    ) -> None:
        where = ".".join(part for part in (model, field) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.model = model
        self.field = field


class ItemTooLargeError(ValidationError):
    """An item is over DynamoDB's 400 KB limit; refused before sending."""

    code = "ddbwrap.validation.item_too_large"


class KeyValueError(ValidationError):
    """A value rendered into a key template contains one of the template's separators, or a
    key text given as is is not a key the template renders; refused before sending. The
    message names the model, the field and the separator, never the value."""

    code = "ddbwrap.validation.key_value"

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        field: str | None = None,
        attribute: str | None = None,
        template: str | None = None,
    ) -> None:
        super().__init__(message, model=model, field=field)
        self.attribute = attribute
        self.template = template


class InvalidCursorError(ValidationError):
    """A pagination cursor is malformed, tampered with, or belongs to another query."""

    code = "ddbwrap.read.invalid_cursor"


class ItemNotFoundError(DdbwrapError, LookupError):
    """The item asked for does not exist."""

    code = "ddbwrap.item.not_found"

    def __init__(self, table: str, key: Mapping[str, Any], message: str | None = None) -> None:
        super().__init__(
            message
            or f"no item with key {shown_mapping(key)} in table {table!r}; "
            "check the key, or use the variant that returns None"
        )
        self.table = table
        self.key = dict(key)


class CorruptItemError(DdbwrapError):
    """A stored item does not validate against its model (often written by another service)."""

    code = "ddbwrap.item.corrupt"

    def __init__(
        self,
        model: str,
        table: str,
        key: Mapping[str, Any],
        errors: Sequence[Mapping[str, Any]],
    ) -> None:
        details = "; ".join(
            f"{loc_text(e.get('loc', ()))}: {e.get('msg', '')}" for e in errors
        )
        super().__init__(
            f"item {shown_mapping(key)} in table {table!r} does not match model {model}: "
            f"{details}; fix the item or relax the model (read with on_corrupt='skip' to list "
            "all of them)"
        )
        self.model = model
        self.table = table
        self.key = dict(key)
        self.errors = list(errors)


_T = TypeVar("_T")


def check_on_corrupt(value: _T, owner: str) -> _T:
    """``value`` when it is an ``on_corrupt`` policy (``"raise"``, ``"skip"``, a callable that
    takes the ``CorruptItemError``) or None (not set here); else a ``ValidationError``."""
    if value is None or callable(value) or (isinstance(value, str) and value in _ON_CORRUPT):
        return value
    raise ValidationError(
        f"{owner}: on_corrupt must be 'raise', 'skip' or a callable that takes the "
        f"CorruptItemError (to report and skip), not {value!r}"
    )


_ON_CORRUPT = ("raise", "skip")


def on_corrupt_in_force(call: Any, own: Any, gateway: object, owner: str) -> Any:
    """The ``on_corrupt`` policy a read follows: the call's (checked), else the reading API's
    own, else its gateway's, else ``"raise"``."""
    if call is not None:
        return check_on_corrupt(call, owner)
    if own is not None:
        return own
    gateway_default = getattr(gateway, "on_corrupt", None)
    return gateway_default if gateway_default is not None else "raise"


class ForeignItemError(DdbwrapError):
    """An item read back has other key values than the ones asked for; it is not returned.
    ``attributes`` names the stored attributes that differ (their values are not kept)."""

    code = "ddbwrap.read.foreign_item"

    def __init__(self, model: str, attributes: Sequence[str], message: str | None = None) -> None:
        super().__init__(
            message
            or f"{model}: an item read back differs from the key asked for in "
            f"{', '.join(repr(a) for a in attributes)}, so it is not returned; the request "
            "and the response do not match (a proxy, a stub or a cache in between, or an item "
            "whose fields disagree with its key). Check what sits between the service and "
            "DynamoDB, and the item's key attributes"
        )
        self.model = model
        self.attributes = list(attributes)


class ConditionFailedError(DdbwrapError):
    """A write's condition did not hold; ``item`` is the current item when DynamoDB returned it."""

    code = "ddbwrap.write.condition_failed"

    def __init__(
        self,
        message: str,
        *,
        table: str | None = None,
        key: Mapping[str, Any] | None = None,
        condition: str | None = None,
        item: Any = None,
    ) -> None:
        super().__init__(message)
        self.table = table
        self.key = dict(key) if key is not None else None
        self.condition = condition
        self.item = item


class AlreadyExistsError(ConditionFailedError):
    """``create`` refused to overwrite an item that already exists."""

    code = "ddbwrap.write.already_exists"


class VersionConflictError(ConditionFailedError):
    """An optimistic-locking write found another version than the one it read."""

    code = "ddbwrap.write.version_conflict"

    def __init__(
        self,
        message: str,
        *,
        expected: int | None,
        current: int | None,
        table: str | None = None,
        key: Mapping[str, Any] | None = None,
        item: Any = None,
    ) -> None:
        super().__init__(message, table=table, key=key, item=item)
        self.expected = expected
        self.current = current


class UniqueConstraintError(ConditionFailedError):
    """Another item already holds a value declared unique in ``Meta.unique``. The value is on
    ``.value``; the message shows it only when redaction is explicitly off
    (``DDBWRAP_REDACT_VALUES=0`` or ``TableGateway(..., redact_values=False)``): unique values
    are typically personal (emails, user names)."""

    code = "ddbwrap.write.unique_constraint"

    def __init__(self, model: str, field: str, value: Any) -> None:
        super().__init__(
            f"{model}.{field}: value {shown(value, unique=True)} is already taken by another "
            "item; choose another value or update the item that holds it"
        )
        self.model = model
        self.field = field
        self.value = value


_FINE_CODES = ("None", "")
_THROTTLED_CODES = frozenset(
    {"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
)
_INVALID_CODES = frozenset({"ValidationError", "ItemCollectionSizeLimitExceeded"})


@dataclass(frozen=True)
class CancellationReason:
    """Why one action of a cancelled transaction failed (``code`` is DynamoDB's, e.g.
    ``ConditionalCheckFailed``; ``"None"`` means that action was fine).

    A transaction written with ddbwrap (``Transaction``) maps each reason back to its action:
    ``operation``, ``model``, ``table``, ``key`` (plain values), ``action``; ``item`` is then the
    current item decoded as the model. ``error`` is the ddbwrap error the failure means, set on
    every failed reason (``ConditionFailedError`` and its subclasses, ``ThrottledError``,
    ``ValidationError``, else ``ServiceError``), None on the actions that were fine.
    """

    index: int
    code: str
    message: str | None = None
    description: str | None = None
    item: Any = None
    operation: str = ""
    model: type[Any] | None = None
    table: str = ""
    key: Mapping[str, Any] | None = None
    action: Any = None
    error: DdbwrapError | None = None

    def __post_init__(self) -> None:
        if self.error is None and self.code not in _FINE_CODES:
            object.__setattr__(self, "error", _reason_error(self.code, self.message))


def _reason_error(code: str, message: str | None) -> DdbwrapError:
    text = f"transaction action {code}" + (f": {message}" if message else "")
    if code == "ConditionalCheckFailed":
        return ConditionFailedError(text)
    if code in _THROTTLED_CODES:
        return ThrottledError(text)
    if code in _INVALID_CODES:
        return ValidationError(text)
    return ServiceError(text, aws_code=code)


if TYPE_CHECKING:

    class FailedCancellationReason(CancellationReason):
        """A reason of an action that failed: its ``error`` is always set."""

        error: DdbwrapError

else:
    FailedCancellationReason = CancellationReason


class TransactionCanceledError(DdbwrapError):
    """A transaction was cancelled; ``reasons`` has one entry per action, in order."""

    code = "ddbwrap.write.transaction_canceled"

    def __init__(self, message: str, reasons: Sequence[CancellationReason]) -> None:
        super().__init__(message)
        self.reasons = list(reasons)

    @property
    def failed(self) -> list[FailedCancellationReason]:
        """The reasons of the actions that actually failed (each with its ``error``)."""
        return cast(
            "list[FailedCancellationReason]",
            [r for r in self.reasons if r.code not in _FINE_CODES],
        )


class ThrottledError(DdbwrapError):
    """DynamoDB kept throttling after botocore's retries were spent."""

    code = "ddbwrap.service.throttled"


class UnprocessedItemsError(DdbwrapError):
    """A batch read or write ran out of its retry budget; ``unprocessed`` lists exactly what
    was not read or written (nothing is dropped silently)."""

    code = "ddbwrap.batch.unprocessed"

    def __init__(self, message: str, unprocessed: Sequence[Any]) -> None:
        super().__init__(message)
        self.unprocessed = list(unprocessed)


class TableNotFoundError(DdbwrapError):
    """The table (or index) does not exist at this endpoint."""

    code = "ddbwrap.service.table_not_found"


class ServiceError(DdbwrapError):
    """Any other error DynamoDB or the transport reported; ``aws_code`` is DynamoDB's code."""

    code = "ddbwrap.service.error"

    def __init__(self, message: str, *, aws_code: str | None = None) -> None:
        super().__init__(message)
        self.aws_code = aws_code


class OutcomeUnknownError(ServiceError):
    """A write may or may not have been applied: its response was lost (timeout, closed
    connection, 5xx, corrupt body) and ddbwrap could not decide which without risking a
    second application. Nothing was re-sent blindly; read the item and decide."""

    code = "ddbwrap.write.outcome_unknown"


# --- tooling --------------------------------------------------------------------------------


class DiscoveryError(DdbwrapError):
    """An import path names nothing importable, or no model where models were expected."""

    code = "ddbwrap.tooling.discovery"


class MissingDependencyError(DdbwrapError):
    """An optional dependency needed for this feature is not installed."""

    code = "ddbwrap.tooling.missing_dependency"


class ContractFormatError(ValidationError):
    """The contract file is not JSON, or not a list of entries."""

    code = "ddbwrap.tooling.contract_format"
