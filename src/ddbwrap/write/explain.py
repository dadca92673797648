"""``writes.explain``: the requests a ``WriteApi`` would send, built and returned unsent.

Each method has the signature of the write it explains and builds its plan with the same
builders, so ``writes.explain.update(...)`` is exactly what ``writes.update(...)`` sends when
nothing fails: the write's own request (a TransactWriteItems with its unique guards, or for
``idempotent=True``), led by the consistent GetItem of the stored item when the write reads it
first (it moves unique guards), and followed by the GetItem that reads the item back when an
update or put is sent as a transaction (which returns no item). A write that reads first is
computed from what it reads: pass that as ``current`` (the stored item as a model instance, or
None for none). Left out: the ``ClientRequestToken`` each TransactWriteItems send adds, and
what a failure leads to (an upsert's create after its update found nothing, re-reads after a
conflict).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from ..codec import codec_for
from ..errors import ValidationError
from ..expressions import Condition, Update
from ..keys import KeyLike
from ..model import DomainModel
from .dto import CreateDTO, UpdateDTO
from .hooks import _Unread
from .locking import ExpectedVersion
from .requests import (
    UNREAD,
    Current,
    Params,
    WritePlan,
    create_plan,
    current_item_request,
    delete_plan,
    new_instance,
    put_plan,
    reads_current,
    update_plan,
    wire_key,
)

__all__ = ["Requests", "WriteExplain"]

M = TypeVar("M", bound=DomainModel)

Requests = list[tuple[str, Params]]
"""``[(operation, params)]`` in the order they are sent."""


class WriteExplain(Generic[M]):
    """The requests a WriteApi would send, built without sending anything."""

    def __init__(self, model: type[M], now: Callable[[], Any]) -> None:
        self._model = model
        self._now = now

    def create(
        self,
        item: M | CreateDTO[M],
        *,
        condition: Condition | None = None,
        current: M | _Unread | None = UNREAD,
    ) -> Requests:
        """What ``writes.create(...)`` sends (``current``: see the module docstring; only a
        model with a TTL and unique fields reads the stored item first)."""
        now = self._now()
        instance = new_instance(self._model, item, now)
        stored = self._current("create", instance, current, reads_current(self._model, "create"))
        plan = create_plan(self._model, instance, now=now, condition=condition, current=stored)
        return self._requests(instance, stored, plan)

    def put(
        self,
        item: M,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
        current: M | _Unread | None = UNREAD,
    ) -> Requests:
        """What ``writes.put(...)`` sends."""
        return self._put(item, condition, expected_version, current, must_exist=False)

    def replace(
        self,
        item: M,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
        current: M | _Unread | None = UNREAD,
    ) -> Requests:
        """What ``writes.replace(...)`` sends."""
        return self._put(item, condition, expected_version, current, must_exist=True)

    def update(
        self,
        key: KeyLike,
        changes: UpdateDTO[M] | Update,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
        upsert: bool = False,
        idempotent: bool = False,
        current: M | _Unread | None = UNREAD,
    ) -> Requests:
        """What ``writes.update(...)`` sends first (an upsert that finds no item then creates
        it: see ``create``)."""
        stored = self._current(
            "update", key, current, reads_current(self._model, "update", changes)
        )
        plan = update_plan(
            self._model,
            key,
            changes,
            now=self._now(),
            condition=condition,
            expected_version=expected_version,
            must_exist=not upsert,
            current=stored,
        )
        return self._requests(key, stored, plan, idempotent=idempotent, reads_back=True)

    def delete(
        self,
        key: KeyLike,
        *,
        condition: Condition | None = None,
        expected_version: ExpectedVersion = None,
        return_old: bool = False,
        current: M | _Unread | None = UNREAD,
    ) -> Requests:
        """What ``writes.delete(...)`` sends."""
        stored = self._current("delete", key, current, reads_current(self._model, "delete"))
        plan = delete_plan(
            self._model,
            key,
            condition=condition,
            expected_version=expected_version,
            return_old=return_old,
            current=stored,
        )
        return self._requests(key, stored, plan)

    def _put(
        self,
        item: M,
        condition: Condition | None,
        expected_version: ExpectedVersion,
        current: M | _Unread | None,
        *,
        must_exist: bool,
    ) -> Requests:
        stored = self._current("put", item, current, reads_current(self._model, "put"))
        plan = put_plan(
            self._model,
            item,
            now=self._now(),
            condition=condition,
            expected_version=expected_version,
            must_exist=must_exist,
            current=stored,
        )
        return self._requests(item, stored, plan, reads_back=True)

    def _current(
        self, operation: str, key: KeyLike, current: M | _Unread | None, reads: bool
    ) -> Current:
        """The stored item the write is computed from, raw; UNREAD when it reads nothing."""
        if not reads:
            return UNREAD
        if current is UNREAD:
            raise ValidationError(
                f"writes.explain.{operation}: this write reads the stored item first (it moves "
                f"unique guards), and what it sends depends on it; pass current= the stored "
                f"{self._model.__name__} (or None when there is none)",
                model=self._model.__name__,
            )
        if current is None:
            return None
        if not isinstance(current, self._model):
            raise ValidationError(
                f"writes.explain.{operation}: current= takes a {self._model.__name__} or None, "
                f"not {type(current).__name__}",
                model=self._model.__name__,
            )
        codec = codec_for(self._model)
        if codec.key_of(current) != wire_key(self._model, key):
            raise ValidationError(
                f"writes.explain.{operation}: current= is another item than the one written "
                f"(its key is {codec.key_values(codec.key_of(current))})",
                model=self._model.__name__,
            )
        return codec.encode(current)

    def _requests(
        self,
        key: KeyLike,
        stored: Current,
        plan: WritePlan[M],
        *,
        idempotent: bool = False,
        reads_back: bool = False,
    ) -> Requests:
        """The read of the stored item (when the write reads it), the write, and the read
        back of a write that returns the item but is sent as a transaction (which returns
        none)."""
        read = [("GetItem", current_item_request(self._model, wire_key(self._model, key)))]
        before = read if stored is not UNREAD else []
        after = read if reads_back and (plan.transactional or idempotent) else []
        return [*before, *plan.requests(idempotent=idempotent), *after]
