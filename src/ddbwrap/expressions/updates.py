"""Update expressions: an immutable builder of SET / REMOVE / ADD / DELETE actions.

``Update().set("name", "x").increment("runs", 1).remove("legacy")`` — each method returns a
new ``Update``. Values are validated against the field's type (pydantic, with the field's
constraints) and encoded like the codec stores them when ``clauses(model)`` resolves the actions
into data (``UpdateAction``s: form, stored path, encoded value); ``compile(model, placeholders)``
renders that data. The write side merges the same data with its own actions (version, timestamps)
and renders the whole request once: there is one update engine, ``expressions._clauses``.

Rules, and why:

- Two actions on the same or overlapping paths (``a`` and ``a.b``, ``tags[0]`` twice) are
  refused when the second is added: DynamoDB rejects such an expression ("Two document paths
  overlap with each other"), so it is better to fail where the mistake is written.
- ``increment``/``decrement`` compile to ``SET #p = if_not_exists(#p, :zero) + :amount``
  (``-`` for decrement): a missing number counts as 0, as with ``ADD``, but the SET form says
  so explicitly, decrements without negating the amount, and is the form AWS recommends over
  ADD. Use ``add()`` when you want ``ADD`` itself.
- ``append``/``prepend`` compile to ``list_append`` around ``if_not_exists(#p, :empty)``, so
  appending to a missing list creates it.
- ``set(path, None)`` on a top-level field becomes ``REMOVE``, like the codec omits a None
  field, unless the field stores None as NULL (``Meta.store_none``, ``StoreNull()``, a default
  that is not None); inside a list, map or nested model it stores NULL. An index key attribute
  and an empty set (which DynamoDB cannot store) are always REMOVEd.
- The table's key attributes, and the fields a table key template is built from, cannot be
  updated (DynamoDB refuses to change a primary key; delete and re-create the item).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel

from .._redact import shown
from ..codec import AttributeValue, codec_for
from ..errors import ValidationError
from ._clauses import CLAUSES, FORMS, Clause, Form, UpdateAction, render_updates
from ._context import Context
from .paths import Kind, Path, ResolvedPath, parse_path
from .placeholders import Placeholders

__all__ = ["CLAUSES", "UPDATE_OPERATORS", "Clause", "Update", "UpdateAction"]


@dataclass(frozen=True)
class _UpdateOperator:
    """One update action of the builder: its form (``ddbwrap.expressions._clauses.FORMS``
    says how it renders), the field kinds it applies to, and how the value is checked: against
    the field type (``"field"``), as a bare number, or not at all."""

    form: Form
    kinds: tuple[Kind, ...] = ()
    value: Literal["field", "number", "none"] = "field"

    @property
    def clause(self) -> Clause:
        return FORMS[self.form].clause

    @property
    def template(self) -> str:
        return FORMS[self.form].template


UPDATE_OPERATORS: Mapping[str, _UpdateOperator] = {
    "set": _UpdateOperator("set"),
    "set_if_not_exists": _UpdateOperator("set_if_not_exists"),
    "increment": _UpdateOperator("increment", ("number",), "number"),
    "decrement": _UpdateOperator("decrement", ("number",), "number"),
    "append": _UpdateOperator("append", ("list",)),
    "prepend": _UpdateOperator("prepend", ("list",)),
    "remove": _UpdateOperator("remove", value="none"),
    "add": _UpdateOperator("add", ("number", "set")),
    "delete": _UpdateOperator("delete", ("set",)),
}
"""Every update action ddbwrap builds, by method name."""

_NO_VALUE = object()
_WHOLE_VALUE = frozenset({"set", "set_if_not_exists"})
"""Operations whose value becomes the field's whole value: checked by the model's own rules."""


class _Step(NamedTuple):
    """What an action does on one model, worked out once per (model, method, path): the
    resolved path (checked: not a key, a kind the method applies to), how its value is checked
    and encoded, and whether None is omitted. Only the value is handled per call."""

    form: Form
    target: ResolvedPath
    check: Callable[[Any, str], Any] | None
    """The value's check against the field (its own rules for a whole field), if any."""
    omits_none: bool
    """None is not stored (a REMOVE): an index key, or a top-level field without NULL."""
    codec_field: str | None
    """The top-level field written, whose untyped parts may not hold an empty set."""
    encode: Callable[[Any, str], AttributeValue | None]


@functools.lru_cache(maxsize=4096)
def _step(model: type[BaseModel], op: str, path: Path) -> _Step:
    ctx = Context(model, Placeholders())
    operator = UPDATE_OPERATORS[op]
    target = ctx.resolve(path)
    _check_target(ctx, target, op, operator)
    check: Callable[[Any, str], Any] | None = None
    if op in _WHOLE_VALUE:
        check = target.validate_whole
    elif operator.value == "field":
        check = target.validate
    field = ctx.schema.attribute_fields.get(str(target.stored[0]))
    omits_none = target.key is not None or _omits_none(ctx, target)
    return _Step(operator.form, target, check, omits_none, field, ctx.encoder(target))


@dataclass(frozen=True)
class _Action:
    op: str
    path: Path
    value: Any = _NO_VALUE

    def resolve(self, model: type[BaseModel]) -> UpdateAction:
        """The action as data: the stored path and the value validated and encoded."""
        step = _step(model, self.op, self.path)
        target = step.target
        if step.form == "remove":
            return UpdateAction("remove", target.stored)
        what = f"{self.op} value"
        value = self.value if step.check is None else step.check(self.value, what)
        omitted = value is None and step.omits_none
        if step.codec_field is not None and value is not None:  # an empty set inside Any
            codec_for(model).check_empty_sets(
                step.codec_field, value, nested=len(target.stored) > 1
            )
        encoded = None if omitted else step.encode(value, what)
        if encoded is None:
            if self.op == "set":
                return UpdateAction("remove", target.stored)  # what the codec does: omitted
            raise target.error(
                f"{self.op} value {shown(value)} has no stored form (an empty set or a key set to "
                "None); use remove() instead"
            )
        return UpdateAction(step.form, target.stored, encoded)


def _omits_none(ctx: Context, target: ResolvedPath) -> bool:
    """True for a top-level field whose None is omitted (the default; not ``null_fields``)."""
    if len(target.stored) != 1:
        return False  # inside a list, map or nested model None stays NULL
    field = ctx.schema.attribute_fields.get(str(target.stored[0]))
    return field is not None and field not in codec_for(ctx.model).null_fields


def _check_target(ctx: Context, target: ResolvedPath, op: str, operator: _UpdateOperator) -> None:
    first = target.path.segments[0]
    in_key = target.key is not None and target.key in ctx.schema.key_attributes
    if in_key or first in ctx.schema.key_fields:
        raise target.error(
            "is part of the table's primary key, which DynamoDB does not let an update change; "
            "delete the item and create it with the new key"
        )
    if operator.kinds and not target.accepts(*operator.kinds):
        raise target.error(
            f"{op} needs a {' or '.join(operator.kinds)} field, but this one holds "
            f"{' | '.join(sorted(target.kinds))}"
        )


class Update:
    """An immutable update expression builder; every method returns a new ``Update``."""

    __slots__ = ("_actions",)

    def __init__(self, actions: tuple[_Action, ...] = ()) -> None:
        self._actions = actions

    def _with(self, op: str, path: str | Path, value: Any = _NO_VALUE) -> Update:
        action = _Action(op, parse_path(path), value)
        for existing in self._actions:
            if existing.path.overlaps(action.path):
                raise ValidationError(
                    f"Update: {op}({str(action.path)!r}) overlaps {existing.op}"
                    f"({str(existing.path)!r}), already in this update; DynamoDB rejects an "
                    "update in which two actions touch the same or overlapping paths "
                    '("Two document paths overlap with each other"). Combine them into one '
                    "action, or send two updates"
                )
        return Update((*self._actions, action))

    def set(self, path: str | Path, value: Any) -> Update:
        """``SET path = value`` (None REMOVEs a top-level field unless it stores NULL; see the
        module notes)."""
        return self._with("set", path, value)

    def set_if_not_exists(self, path: str | Path, value: Any) -> Update:
        """``SET path = if_not_exists(path, value)``: set only when the attribute is missing."""
        return self._with("set_if_not_exists", path, value)

    def remove(self, path: str | Path) -> Update:
        """``REMOVE path``: delete the attribute (or list element)."""
        return self._with("remove", path)

    def add(self, path: str | Path, value: Any) -> Update:
        """``ADD path value``: add to a number, or add elements to a set (created if missing)."""
        if not (_is_number(value) or (isinstance(value, (set, frozenset)) and value)):
            raise ValidationError(
                f"add({str(path)!r}, ...) takes a number or a non-empty set, got {shown(value)}; "
                "use append() for lists"
            )
        return self._with("add", path, value)

    def delete(self, path: str | Path, value: AbstractSet[Any]) -> Update:
        """``DELETE path value``: remove ``value``'s elements from a set attribute."""
        if not isinstance(value, (set, frozenset)) or not value:
            raise ValidationError(
                f"delete({str(path)!r}, ...) takes a non-empty set of elements to remove, got "
                f"{shown(value)}; use remove() to delete the whole attribute"
            )
        return self._with("delete", path, value)

    def increment(self, path: str | Path, amount: int | float | Decimal = 1) -> Update:
        """``SET path = if_not_exists(path, 0) + amount`` (a missing number counts as 0)."""
        return self._with("increment", path, _number(path, "increment", amount))

    def decrement(self, path: str | Path, amount: int | float | Decimal = 1) -> Update:
        """``SET path = if_not_exists(path, 0) - amount`` (a missing number counts as 0)."""
        return self._with("decrement", path, _number(path, "decrement", amount))

    def append(self, path: str | Path, values: list[Any] | tuple[Any, ...]) -> Update:
        """Append ``values`` to a list, creating the list when it is missing."""
        return self._with("append", path, _elements(path, "append", values))

    def prepend(self, path: str | Path, values: list[Any] | tuple[Any, ...]) -> Update:
        """Put ``values`` in front of a list, creating the list when it is missing."""
        return self._with("prepend", path, _elements(path, "prepend", values))

    def merge(self, other: Update) -> Update:
        """This update's actions followed by ``other``'s (overlaps are refused as usual)."""
        merged = self
        for action in other._actions:
            merged = merged._with(action.op, action.path, action.value)
        return merged

    @property
    def paths(self) -> tuple[Path, ...]:
        """The paths this update touches, in order."""
        return tuple(a.path for a in self._actions)

    def __len__(self) -> int:
        return len(self._actions)

    def __repr__(self) -> str:
        actions = ", ".join(f"{a.op}({str(a.path)!r})" for a in self._actions)
        return f"Update({actions})"

    def clauses(self, model: type[BaseModel]) -> tuple[UpdateAction, ...]:
        """The actions as data for ``model`` (paths resolved, values checked and encoded), in
        order; the write side merges them with its own before rendering once."""
        if not self._actions:
            raise ValidationError("an empty Update has nothing to send; add at least one action")
        return tuple([action.resolve(model) for action in self._actions])

    def compile(self, model: type[BaseModel], placeholders: Placeholders) -> str:
        """The ``UpdateExpression`` for ``model``; names and values go into ``placeholders``."""
        return render_updates(self.clauses(model), placeholders)

    def params(self, model: type[BaseModel]) -> dict[str, Any]:
        """The request fragment this update sends (a dry run)."""
        placeholders = Placeholders()
        return {"UpdateExpression": self.compile(model, placeholders), **placeholders.params()}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def _number(path: str | Path, op: str, amount: Any) -> Any:
    if not _is_number(amount):
        raise ValidationError(f"{op}({str(path)!r}, ...) takes a number, got {shown(amount)}")
    return amount


def _elements(path: str | Path, op: str, values: Any) -> list[Any]:
    if not isinstance(values, (list, tuple)):
        raise ValidationError(
            f"{op}({str(path)!r}, ...) takes a list of elements, got {type(values).__name__}; "
            f"write {op}({str(path)!r}, [element])"
        )
    return list(values)
