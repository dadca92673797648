"""``WriteApi[M]``: the command half of CQRS for one domain model.

::

    writes = WriteApi[User](gateway)                  # or: class UserWrites(WriteApi[User])
    user = writes.create(NewUser(user_id="u1", email="ada@example.com", name="Ada"))
    user = writes.update(user, Rename(name="Ada L."))  # version taken from the instance
    writes.delete(user)

Each method builds a plan (``ddbwrap.write.requests``), sends it through the gateway and
decodes the answer as ``M``. A failed condition becomes the precise ddbwrap error:
``AlreadyExistsError``, ``ItemNotFoundError``, ``VersionConflictError``,
``UniqueConstraintError`` or ``ConditionFailedError`` (naming the write, table, key and
condition, with the current item decoded). Writes that move unique guards read the item first
(consistently) and are retried when it changed in between; transactions cancelled by a
conflicting transaction are retried with backoff.
"""

from __future__ import annotations

import logging
import random
import time
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, Generic, Literal, TypeVar, cast, overload

from pydantic import ValidationError as PydanticValidationError

from ..codec import Item, codec_for
from ..errors import (
    AlreadyExistsError,
    ConditionFailedError,
    ItemNotFoundError,
    ModelDefinitionError,
    ServiceError,
    TransactionCanceledError,
    ValidationError,
)
from ..expressions import Condition, Update
from ..gateway import TableGateway, require_gateway
from ..keys import KeyLike
from ..model import DomainModel, schema_of
from .batch import DEFAULT_FLUSH_AT, BatchWriter
from .dto import CreateDTO, UpdateDTO
from .locking import ANY_VERSION, ExpectedVersion, retry_on_conflict
from .requests import (
    UNREAD,
    Current,
    Params,
    StaleUniqueValueError,
    WritePlan,
    create_plan,
    current_item_request,
    delete_plan,
    explain_failure,
    first_failure,
    key_values,
    put_plan,
    unique_fields_changed,
    update_plan,
    validation_details,
    wire_key,
)
from .timestamps import Clock, checked_now, utc_now
from .transaction import map_cancellation

M = TypeVar("M", bound=DomainModel)
R = TypeVar("R")

logger = logging.getLogger("ddbwrap.write")

_BOUND: dict[tuple[type, type], type] = {}

CONFLICT_RETRIES = 8
"""Attempts for a write whose transaction is cancelled by a conflicting transaction."""
STALE_RETRIES = 8
"""Attempts for a guard-moving write whose item changed between its read and its write."""


class _ConflictError(Exception):
    """Internal: a transaction was cancelled only because another one held its items."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class WriteApi(Generic[M]):
    """Create, put, replace, update and delete items of one DomainModel ``M``.

    Bind the model with ``WriteApi[M](gateway)`` or by subclassing ``WriteApi[M]``. Instances
    are stateless apart from their configuration and safe to share between threads.
    """

    __ddb_model__: ClassVar[type[DomainModel] | None] = None

    def __class_getitem__(cls, params: Any) -> Any:
        alias = super().__class_getitem__(params)  # type: ignore[misc]
        if not isinstance(params, type):
            return alias  # a TypeVar: a generic subclass, bound later
        if not issubclass(params, DomainModel):
            raise ModelDefinitionError(
                f"{cls.__name__}[{params.__name__}]",
                f"{params.__name__} is not a DomainModel; WriteApi writes DomainModel subclasses",
            )
        key = (cls, params)
        bound = _BOUND.get(key)
        if bound is None:

            def body(namespace: dict[str, Any]) -> None:
                namespace["__ddb_model__"] = params
                namespace["__module__"] = cls.__module__
                namespace["__qualname__"] = f"{cls.__qualname__}[{params.__name__}]"

            made = types.new_class(f"{cls.__name__}[{params.__name__}]", (alias,), {}, body)
            bound = _BOUND.setdefault(key, made)  # threads racing here agree on one class
        return bound

    def __init__(
        self,
        gateway: TableGateway,
        *,
        clock: Clock = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        model = type(self).__ddb_model__
        if model is None:
            raise ModelDefinitionError(
                type(self).__name__,
                "is not bound to a model: use WriteApi[YourModel](gateway) or subclass "
                "WriteApi[YourModel]",
            )
        schema_of(model)
        self.gateway = require_gateway(gateway, type(self).__name__)
        self._clock = clock
        self._sleep = sleep

    @property
    def model(self) -> type[M]:
        """The domain model this API writes."""
        return cast("type[M]", type(self).__ddb_model__)

    # -- create ---------------------------------------------------------------------------

    def create(self, item: M | CreateDTO[M], *, condition: Condition | None = None) -> M:
        """Store a new item from a CreateDTO or an instance; never overwrites.

        Sets version 1 and created_at = updated_at = now; claims unique values in the same
        transaction. Raises ``AlreadyExistsError`` (naming the key) when the key is taken and
        ``UniqueConstraintError`` when a unique value is.
        """
        plan = create_plan(self.model, item, now=self._now(), condition=condition)
        self._execute(plan)
        assert plan.item is not None
        return plan.item

    # -- put / replace --------------------------------------------------------------------

    def put(
        self,
        item: M,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
    ) -> M:
        """Create or replace the item's model fields (an upsert of the whole model).

        Sent as an UpdateItem, so attributes the model does not know are kept. On a versioned
        model the instance's version is the one expected (0: not stored yet).
        """
        return self._put(item, condition, expected_version, must_exist=False)

    def replace(
        self,
        item: M,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
    ) -> M:
        """Replace the model fields of an existing item (``ItemNotFoundError`` if there is
        none); attributes the model does not know are kept."""
        return self._put(item, condition, expected_version, must_exist=True)

    def _put(
        self,
        item: M,
        condition: Condition | None,
        expected_version: ExpectedVersion,
        *,
        must_exist: bool,
    ) -> M:
        def attempt(current: Current) -> M:
            plan = put_plan(
                self.model,
                item,
                now=self._now(),
                condition=condition,
                expected_version=expected_version,
                must_exist=must_exist,
                current=current,
            )
            return self._stored_after(plan, self._execute(plan))

        if not schema_of(self.model).unique:
            return attempt(UNREAD)
        missing = "replace" if must_exist else None
        return self._on_fresh_read("put", item, attempt, missing=missing)

    # -- update ---------------------------------------------------------------------------

    def update(
        self,
        key: KeyLike,
        changes: UpdateDTO[M] | Update,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
        upsert: bool = False,
    ) -> M:
        """Write only the fields ``changes`` sets; return the updated item.

        ``changes`` is an ``UpdateDTO[M]`` (fields the caller set; ``None`` removes) or an
        ``Update()`` builder (counters, list appends, set add/delete). ``key`` is a mapping of
        the key fields or the instance you read (whose version is then the one expected).
        Raises ``ItemNotFoundError`` when there is no such item, unless ``upsert=True``: then
        a missing item is created from the key, the DTO's fields and the model's defaults.
        """
        if upsert and isinstance(changes, UpdateDTO):
            return self._upsert(key, changes, condition, expected_version)

        def attempt(current: Current) -> M:
            plan = update_plan(
                self.model,
                key,
                changes,
                now=self._now(),
                condition=condition,
                expected_version=expected_version,
                must_exist=not upsert,
                current=current,
            )
            return self._stored_after(plan, self._execute(plan))

        if not unique_fields_changed(self.model, changes):
            return attempt(UNREAD)
        return self._on_fresh_read("update", key, attempt, missing="update")

    def _upsert(
        self,
        key: KeyLike,
        changes: UpdateDTO[M],
        condition: Condition | None,
        expected_version: ExpectedVersion,
    ) -> M:
        for _ in self._fresh_reads():
            try:
                return self.update(
                    key, changes, condition=condition, expected_version=expected_version
                )
            except ItemNotFoundError:
                if expected_version not in (None, 0, ANY_VERSION):
                    raise
            instance = self._new_from(key, changes)
            try:
                return self.create(instance, condition=condition)
            except AlreadyExistsError:
                continue  # created meanwhile: update it
        raise self._kept_changing("upsert")

    def _new_from(self, key: KeyLike, changes: UpdateDTO[M]) -> M:
        """The item an upsert creates: key + the fields set + the model's defaults."""
        values = {**key_values(self.model, key), **changes.changes()}
        schema = schema_of(self.model)
        now = self._now()
        for name in (schema.created_at_field, schema.updated_at_field):
            if name:
                values[name] = now
        try:
            return self.model.model_validate(values)
        except PydanticValidationError as exc:
            raise ValidationError(
                f"upsert: the item does not exist and cannot be created from the key and the "
                f"fields set ({validation_details(exc)}); set the missing fields or give them "
                "defaults",
                model=self.model.__name__,
            ) from None

    def modify(
        self,
        key: KeyLike,
        change: Callable[[M], UpdateDTO[M] | Update],
        *,
        condition: Condition | None = None,
        attempts: int = 10,
    ) -> M:
        """Read-modify-write with optimistic locking: read the item (consistently), call
        ``change(item)`` for the changes, write them expecting the version read, and start
        over on ``VersionConflictError`` (at most ``attempts`` times).

        Needs ``Meta.version_attribute``; ``change`` may run several times, so keep it pure.
        """
        if schema_of(self.model).version_field is None:
            raise ValidationError(
                "modify needs optimistic locking: declare Meta.version_attribute (without it "
                "a concurrent write between the read and the update would be lost)",
                model=self.model.__name__,
            )
        codec = codec_for(self.model)

        def attempt() -> M:
            current = self._read(key)
            if current is None:
                raise self._not_found("modify", wire_key(self.model, key))
            item = codec.decode(current)
            return self.update(item, change(item), condition=condition)

        return retry_on_conflict(attempt, attempts=attempts, sleep=self._sleep)

    # -- delete ---------------------------------------------------------------------------

    @overload
    def delete(
        self,
        key: KeyLike,
        *,
        condition: Condition | None = ...,
        expected_version: ExpectedVersion = ...,
        return_old: Literal[False] = ...,
    ) -> None: ...

    @overload
    def delete(
        self,
        key: KeyLike,
        *,
        condition: Condition | None = ...,
        expected_version: ExpectedVersion = ...,
        return_old: Literal[True],
    ) -> M | None: ...

    def delete(
        self,
        key: KeyLike,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
        return_old: bool = False,
    ) -> M | None:
        """Delete an item (deleting a missing item is a no-op) and release its unique guards.

        With ``return_old=True`` returns the item as it was (None if there was none).
        """
        def attempt(current: Current) -> M | None:
            plan = delete_plan(
                self.model,
                key,
                condition=condition,
                expected_version=expected_version,
                return_old=return_old,
                current=current,
            )
            response = self._execute(plan)
            read = current if isinstance(current, Mapping) else None
            old = response.get("Attributes") or read
            return codec_for(self.model).decode(old) if return_old and old else None

        if not schema_of(self.model).unique:
            return attempt(UNREAD)
        return self._on_fresh_read("delete", key, attempt)

    # -- batches --------------------------------------------------------------------------

    def batch(self, *, flush_at: int = DEFAULT_FLUSH_AT) -> BatchWriter[M]:
        """A batch writer for this model (not atomic, no conditions; see ``BatchWriter``)."""
        return BatchWriter(self.gateway, self.model, flush_at=flush_at)

    # -- plumbing -------------------------------------------------------------------------

    def _now(self) -> Any:
        return checked_now(self._clock)

    def _read(self, key: KeyLike) -> Item | None:
        """The stored item, read consistently (None when there is none)."""
        return self._read_wire(wire_key(self.model, key))

    def _read_wire(self, wkey: Item) -> Item | None:
        response = self.gateway.get_item(current_item_request(self.model, wkey))
        item: Item | None = response.get("Item")
        return item

    def _on_fresh_read(
        self,
        operation: str,
        key: KeyLike,
        attempt: Callable[[Current], R],
        *,
        missing: str | None = None,
    ) -> R:
        """``attempt(stored item)`` for a write that moves unique guards: read the item, write,
        and start over when it changed in between. ``missing``: the operation that needs the
        item (its ``ItemNotFoundError``); None when a missing item is fine."""
        for _ in self._fresh_reads():
            current = self._read(key)
            if missing is not None and current is None:
                raise self._not_found(missing, wire_key(self.model, key))
            try:
                return attempt(current)
            except StaleUniqueValueError:
                continue
        raise self._kept_changing(operation)

    def _fresh_reads(self) -> Iterator[int]:
        for attempt in range(STALE_RETRIES):
            if attempt:
                self._backoff(attempt)
            yield attempt

    def _backoff(self, attempt: int) -> None:
        self._sleep(random.uniform(0, min(0.2, 0.005 * 2**attempt)))

    def _execute(self, plan: WritePlan[M]) -> Params:
        """Send a plan; retry transaction conflicts; turn failed conditions into errors."""
        error: Exception | None = None
        for attempt in range(CONFLICT_RETRIES):
            if attempt:
                self._backoff(attempt)
            try:
                return self._send(plan)
            except _ConflictError as conflict:
                error = conflict.error
        assert error is not None
        raise error

    def _send(self, plan: WritePlan[M]) -> Params:
        ((operation, params),) = plan.requests()
        logger.debug(
            "%s model=%s table=%s actions=%d",
            plan.operation,
            plan.model.__name__,
            plan.main.table,
            len(plan.actions),
        )
        try:
            if operation == "TransactWriteItems":
                return self.gateway.transact_write(params["TransactItems"])
            if operation == "PutItem":
                return self.gateway.put_item(params)
            if operation == "UpdateItem":
                return self.gateway.update_item(params)
            return self.gateway.delete_item(params)
        except ConditionFailedError as exc:
            raise explain_failure(plan.main, exc.item) from exc
        except TransactionCanceledError as exc:
            failed = [(r.index, r.item) for r in exc.reasons if r.code == "ConditionalCheckFailed"]
            if failed:
                raise first_failure(plan.actions, failed) from exc
            mapped = map_cancellation(plan.actions, exc)
            if any(r.code == "TransactionConflict" for r in exc.reasons):
                raise _ConflictError(mapped) from exc
            raise mapped from exc
        except ServiceError as exc:
            if exc.aws_code == "TransactionConflictException":
                raise _ConflictError(exc) from exc
            raise

    def _stored_after(self, plan: WritePlan[M], response: Params) -> M:
        """The item after a write: ALL_NEW of a single request, else read back."""
        codec = codec_for(self.model)
        attributes = response.get("Attributes")
        if attributes is None:
            attributes = self._read_wire(plan.key) if plan.transactional else None
            if not isinstance(attributes, Mapping):
                raise self._not_found(plan.operation, plan.key, after=True)
        return codec.decode(attributes)

    def _not_found(self, operation: str, wkey: Item, *, after: bool = False) -> ItemNotFoundError:
        schema = schema_of(self.model)
        plain = codec_for(self.model).key_values(wkey)
        why = (
            "was deleted right after it was written"
            if after
            else "does not exist; nothing was written (create it first, or pass upsert=True)"
        )
        return ItemNotFoundError(
            schema.table_name,
            plain,
            f"{operation} of {self.model.__name__} {plain!r} in table {schema.table_name!r}: "
            f"the item {why}",
        )

    def _kept_changing(self, operation: str) -> ConditionFailedError:
        schema = schema_of(self.model)
        return ConditionFailedError(
            f"{operation} of {self.model.__name__} in table {schema.table_name!r}: the item's "
            f"unique fields kept changing under the write ({STALE_RETRIES} attempts); nothing "
            "was written. Retry later",
            table=schema.table_name,
        )
