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
conflicting transaction are retried with backoff. Every write is applied exactly once or raises
``OutcomeUnknownError`` (see ``ddbwrap.write.flows``).

Each method builds its plan and runs one flow of ``ddbwrap.write.flows`` on the gateway, so
``ddbwrap.aio.AsyncWriteApi`` runs the very same flows: ``BaseWriteApi`` (the model binding and
every write's flow) is shared by both, and each facade only drives the flows (``self._run``).
"""

from __future__ import annotations

import logging
import types
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, Literal, TypeVar, cast, overload

from pydantic import ValidationError as PydanticValidationError

from .._engine.steps import Flow, Sleep
from .._redact import follows_gateway_setting, shown_mapping
from ..codec import Item, codec_for
from ..errors import (
    AlreadyExistsError,
    ConditionFailedError,
    ItemNotFoundError,
    ModelDefinitionError,
    ValidationError,
    VersionConflictError,
)
from ..expressions import Condition, Update
from ..gateway import TableGateway, require_gateway
from ..keys import KeyLike
from ..model import DomainModel, schema_of
from . import flows
from .batch import DEFAULT_FLUSH_AT, BatchWriter
from .dto import CreateDTO, UpdateDTO
from .explain import WriteExplain
from .locking import ANY_VERSION, ExpectedVersion
from .requests import (
    UNREAD,
    Current,
    WritePlan,
    create_plan,
    delete_plan,
    key_values,
    new_instance,
    put_plan,
    reads_current,
    update_plan,
    validation_details,
    wire_key,
)
from .timestamps import Clock, checked_now, utc_now

M = TypeVar("M", bound=DomainModel)
R = TypeVar("R")

logger = logging.getLogger("ddbwrap.write")

_BOUND: dict[tuple[type, type], type] = {}


class BaseWriteApi(Generic[M]):
    """What ``WriteApi`` and ``ddbwrap.aio.AsyncWriteApi`` share (internal: subclass those).

    The model binding (``WriteApi[M]``, subclasses) and, for every write, the checked plan and
    the flow that applies it; the facades drive the flows.
    """

    __ddb_model__: ClassVar[type[DomainModel] | None] = None
    _api_name: ClassVar[str] = "WriteApi"
    gateway: Any

    def __class_getitem__(cls, params: Any) -> Any:
        alias = super().__class_getitem__(params)  # type: ignore[misc]
        if not isinstance(params, type):
            return alias  # a TypeVar: a generic subclass, bound later
        if not issubclass(params, DomainModel):
            raise ModelDefinitionError(
                f"{cls.__name__}[{params.__name__}]",
                f"{params.__name__} is not a DomainModel; {cls.__name__} writes DomainModel "
                "subclasses",
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

    def __init__(self, gateway: Any, *, clock: Clock = utc_now) -> None:
        model = type(self).__ddb_model__
        if model is None:
            api = self._api_name
            raise ModelDefinitionError(
                type(self).__name__,
                f"is not bound to a model: use {api}[YourModel](gateway) or subclass "
                f"{api}[YourModel]",
            )
        schema_of(model)
        self.gateway = self._checked_gateway(gateway)
        self._clock = clock

    def _checked_gateway(self, gateway: object) -> Any:
        """``gateway`` when it is the kind of gateway this facade drives (else an error)."""
        raise NotImplementedError

    @property
    def model(self) -> type[M]:
        """The domain model this API writes."""
        return cast("type[M]", type(self).__ddb_model__)

    @property
    def explain(self) -> WriteExplain[M]:
        """Pure request builders with the signatures of the writes: ``writes.explain.update(...)``
        returns the requests that ``writes.update(...)`` would send, sending nothing."""
        return WriteExplain(self.model, self._now)

    # -- the flow of every write (checked when built; run by the facade) --------------------

    @follows_gateway_setting
    def _create(self, item: M | CreateDTO[M], condition: Condition | None) -> Flow[M]:
        if reads_current(self.model, "create"):  # an expired item's guards are released
            instance = new_instance(self.model, item, self._now())
            return self._fresh(
                "create", instance, lambda current: self._create_once(instance, condition, current)
            )
        return self._create_once(item, condition, UNREAD)

    def _create_once(
        self, item: M | CreateDTO[M], condition: Condition | None, current: Current
    ) -> Flow[M]:
        plan = create_plan(self.model, item, now=self._now(), condition=condition, current=current)
        yield from flows.send(self.gateway.retry, plan)
        assert plan.item is not None
        return plan.item

    @follows_gateway_setting
    def _put(
        self,
        item: M,
        condition: Condition | None,
        expected_version: ExpectedVersion,
        *,
        must_exist: bool,
    ) -> Flow[M]:
        def attempt(current: Current) -> Flow[M]:
            plan = put_plan(
                self.model,
                item,
                now=self._now(),
                condition=condition,
                expected_version=expected_version,
                must_exist=must_exist,
                current=current,
            )
            return self._write(plan)

        if not reads_current(self.model, "put"):
            return attempt(UNREAD)
        missing = "replace" if must_exist else None
        return self._fresh("put", item, attempt, missing=missing)

    @follows_gateway_setting
    def _update(
        self,
        key: KeyLike,
        changes: UpdateDTO[M] | Update,
        condition: Condition | None,
        expected_version: ExpectedVersion,
        upsert: bool,
        idempotent: bool = False,
    ) -> Flow[M]:
        if upsert and isinstance(changes, UpdateDTO):
            return self._upsert(key, changes, condition, expected_version)

        def attempt(current: Current) -> Flow[M]:
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
            return self._write(plan, idempotent=idempotent)

        if not reads_current(self.model, "update", changes):
            return attempt(UNREAD)
        return self._fresh("update", key, attempt, missing="update")

    def _upsert(
        self,
        key: KeyLike,
        changes: UpdateDTO[M],
        condition: Condition | None,
        expected_version: ExpectedVersion,
    ) -> Flow[M]:
        delays = self.gateway.retry.delays()
        while True:
            try:
                return (yield from self._update(key, changes, condition, expected_version, False))
            except ItemNotFoundError:
                if expected_version not in (None, 0, ANY_VERSION):
                    raise
            instance = self._new_from(key, changes)
            try:
                return (yield from self._create(instance, condition))
            except AlreadyExistsError:
                delay = next(delays, None)  # created meanwhile: update it
                if delay is None:
                    raise self._kept_changing("upsert") from None
                yield Sleep(delay)

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

    @follows_gateway_setting
    def _modify(
        self,
        key: KeyLike,
        change: Callable[[M], UpdateDTO[M] | Update],
        condition: Condition | None,
        attempts: int,
    ) -> Flow[M]:
        """The read-modify-write loop of ``modify`` (checked now)."""
        if schema_of(self.model).version_field is None:
            raise ValidationError(
                "modify needs optimistic locking: declare Meta.version_attribute (without it "
                "a concurrent write between the read and the update would be lost)",
                model=self.model.__name__,
            )
        if attempts < 1:
            raise ValidationError(f"modify: attempts must be at least 1, got {attempts}")
        codec = codec_for(self.model)
        wkey = wire_key(self.model, key)

        def attempt() -> Flow[M]:
            current = yield from flows.read_current(self.gateway.retry, self.model, wkey)
            if current is None:
                raise self._not_found("modify", wkey)
            item = codec.decode(current)
            return (yield from self._update(item, change(item), condition, None, False))

        return flows.conflict_retries(self.gateway.retry, attempts, attempt, VersionConflictError)

    @follows_gateway_setting
    def _delete(
        self,
        key: KeyLike,
        condition: Condition | None,
        expected_version: ExpectedVersion,
        return_old: bool,
    ) -> Flow[M | None]:
        def attempt(current: Current) -> Flow[M | None]:
            plan = delete_plan(
                self.model,
                key,
                condition=condition,
                expected_version=expected_version,
                return_old=return_old,
                current=current,
            )
            response = yield from flows.send(self.gateway.retry, plan)
            read = current if isinstance(current, Mapping) else None
            old = response.get("Attributes") or read
            return codec_for(self.model).decode(old) if return_old and old else None

        if not reads_current(self.model, "delete"):
            return attempt(UNREAD)
        return self._fresh("delete", key, attempt)

    def _now(self) -> Any:
        return checked_now(self._clock)

    def _write(self, plan: WritePlan[M], *, idempotent: bool = False) -> Flow[M]:
        """Send ``plan`` and return the item as stored after it."""
        response = yield from flows.send(self.gateway.retry, plan, idempotent=idempotent)
        attributes = yield from flows.stored_after(self.gateway.retry, plan, response)
        if not isinstance(attributes, Mapping):
            raise self._not_found(plan.operation, plan.key, after=True)
        return codec_for(self.model).decode(attributes)

    def _fresh(
        self,
        operation: str,
        key: KeyLike,
        attempt: Callable[[Current], Flow[R]],
        *,
        missing: str | None = None,
    ) -> Flow[R]:
        """``attempt(stored item)`` for a write that moves unique guards (``flows.fresh``).
        ``missing``: the operation that needs the item (its ``ItemNotFoundError``); None when
        a missing item is fine."""
        wkey = wire_key(self.model, key)
        return flows.fresh(
            self.gateway.retry,
            self.model,
            wkey,
            attempt,
            missing=None if missing is None else (lambda: self._not_found(missing, wkey)),
            kept_changing=lambda: self._kept_changing(operation),
        )

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
            f"{operation} of {self.model.__name__} {shown_mapping(plain)} in table "
            f"{schema.table_name!r}: "
            f"the item {why}",
        )

    def _kept_changing(self, operation: str) -> ConditionFailedError:
        schema = schema_of(self.model)
        return ConditionFailedError(
            f"{operation} of {self.model.__name__} in table {schema.table_name!r}: the item "
            f"kept changing under the write ({self.gateway.retry.max_attempts} attempts); "
            "nothing was written. Retry later",
            table=schema.table_name,
        )


class WriteApi(BaseWriteApi[M]):
    """Create, put, replace, update and delete items of one DomainModel ``M``.

    Bind the model with ``WriteApi[M](gateway)`` or by subclassing ``WriteApi[M]``. Instances
    are stateless apart from their configuration and safe to share between threads.
    """

    gateway: TableGateway

    def __init__(self, gateway: TableGateway, *, clock: Clock = utc_now) -> None:
        super().__init__(gateway, clock=clock)

    def _checked_gateway(self, gateway: object) -> TableGateway:
        return require_gateway(gateway, type(self).__name__)

    def _run(self, flow: Flow[R]) -> R:
        """Drive one of this API's flows (the async API drives the same flows)."""
        return self.gateway.run(flow)

    # -- create ---------------------------------------------------------------------------

    def create(self, item: M | CreateDTO[M], *, condition: Condition | None = None) -> M:
        """Store a new item from a CreateDTO or an instance; never overwrites.

        Sets version 1 and created_at = updated_at = now; claims unique values in the same
        transaction. Raises ``AlreadyExistsError`` (naming the key) when the key is taken and
        ``UniqueConstraintError`` when a unique value is.
        """
        return self._run(self._create(item, condition))

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
        return self._run(self._put(item, condition, expected_version, must_exist=False))

    def replace(
        self,
        item: M,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
    ) -> M:
        """Replace the model fields of an existing item (``ItemNotFoundError`` if there is
        none); attributes the model does not know are kept."""
        return self._run(self._put(item, condition, expected_version, must_exist=True))

    # -- update ---------------------------------------------------------------------------

    def update(
        self,
        key: KeyLike,
        changes: UpdateDTO[M] | Update,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
        upsert: bool = False,
        idempotent: bool = False,
    ) -> M:
        """Write only the fields ``changes`` sets; return the updated item.

        ``changes`` is an ``UpdateDTO[M]`` (fields the caller set; ``None`` removes) or an
        ``Update()`` builder (counters, list appends, set add/delete). ``key`` is a mapping of
        the key fields or the instance you read (whose version is then the one expected).
        Raises ``ItemNotFoundError`` when there is no such item, unless ``upsert=True``: then
        a missing item is created from the key, the DTO's fields and the model's defaults.
        ``idempotent=True`` sends the write as a one-action transaction with a client token,
        so a lost response is re-sent safely even for counters on an unversioned model
        (twice the write capacity, and the item is read back); without it such a write whose
        response is lost raises ``OutcomeUnknownError``.
        """
        return self._run(
            self._update(key, changes, condition, expected_version, upsert, idempotent)
        )

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
        A lost response is resolved by the version (never applied twice).
        """
        return self._run(self._modify(key, change, condition, attempts))

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
        return self._run(self._delete(key, condition, expected_version, return_old))

    # -- batches --------------------------------------------------------------------------

    def batch(self, *, flush_at: int = DEFAULT_FLUSH_AT) -> BatchWriter[M]:
        """A batch writer for this model (not atomic, no conditions; see ``BatchWriter``)."""
        return BatchWriter(self.gateway, self.model, flush_at=flush_at)
