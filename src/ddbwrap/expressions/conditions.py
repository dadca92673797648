"""Condition and filter expressions: ``Attr("status") == "active"`` and friends.

Builders are model-free values: ``Attr("settings.retries") > 3`` parses and checks its path
syntax at once, but field names, aliases and value encoding are settled by ``compile(model,
placeholders)``, which is when an unknown field becomes a ``ValidationError``.

Condition values are encoded by their runtime type, like the codec stores them (a datetime
becomes the stored UTC string, a bool index key ``"true"``); they are not coerced to the field's
type, since ``contains``, ``begins_with`` and ``size()`` take parts of a value, not a whole one.

Conditions combine with ``&`` (AND), ``|`` (OR) and ``~`` (NOT). Python's ``and``/``or``/
``not`` and chained comparisons (``1 < Attr("x") < 5``) would silently drop half of the
condition, so a condition refuses to be used as a truth value. Mind Python's precedence:
``&`` binds tighter than ``==``, so write ``(Attr("a") == 1) & (Attr("b") == 2)``.

``Attr`` and ``Size`` define ``==`` to build a condition, so they are deliberately unhashable
(``__hash__ = None``): an identity hash would let a dict or set lookup call ``==``, get a
condition back and fail in a confusing way. Use the path string as a dict key instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from ..errors import ValidationError
from ._context import Context
from .paths import Path, ResolvedPath, parse_path
from .placeholders import Placeholders

ATTRIBUTE_TYPES = frozenset({"S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"})
MAX_IN_OPERANDS = 100


@dataclass(frozen=True)
class _PathRef:
    """An attribute path used as an operand."""

    path: Path


@dataclass(frozen=True)
class _SizeRef:
    """``size(path)`` used as an operand."""

    path: Path


_Operand = _PathRef | _SizeRef


# --- the operator table --------------------------------------------------------------------


def _check_in(args: tuple[Any, ...]) -> str | None:
    if not 1 <= len(args) <= MAX_IN_OPERANDS:
        return f"IN takes 1 to {MAX_IN_OPERANDS} values (DynamoDB's limit), got {len(args)}"
    return None


def _check_prefix(args: tuple[Any, ...]) -> str | None:
    if not isinstance(args[0], (str, bytes, Mapping)):  # a mapping: the start of a key template
        return f"begins_with needs a str or bytes prefix, got {type(args[0]).__name__}"
    return None


def _check_type(args: tuple[Any, ...]) -> str | None:
    if args[0] not in ATTRIBUTE_TYPES:
        return (
            f"attribute_type must be one of {', '.join(sorted(ATTRIBUTE_TYPES))}, got {args[0]!r}"
        )
    return None


@dataclass(frozen=True)
class _Operator:
    """One DynamoDB condition operator.

    ``template`` is filled with ``subject`` (the rendered path or ``size(path)``), the rendered
    arguments ``{0}``, ``{1}``… and ``values`` (all arguments, comma separated); ``arity`` is the
    number of arguments (None: variadic); ``size_ok`` allows ``size(path)`` as the subject;
    ``refs_ok`` allows other attributes as arguments; ``encoding`` says how values are encoded:
    like the subject's stored value (``"attribute"``) or as an attribute type name (``"type"``).
    """

    template: str
    arity: int | None = 1
    size_ok: bool = True
    refs_ok: bool = True
    encoding: Literal["attribute", "type"] = "attribute"
    check: Callable[[tuple[Any, ...]], str | None] | None = None

    @property
    def infix(self) -> bool:
        return self.template.startswith("{subject} ")


OPERATORS: Mapping[str, _Operator] = {
    "eq": _Operator("{subject} = {0}"),
    "ne": _Operator("{subject} <> {0}"),
    "lt": _Operator("{subject} < {0}"),
    "le": _Operator("{subject} <= {0}"),
    "gt": _Operator("{subject} > {0}"),
    "ge": _Operator("{subject} >= {0}"),
    "between": _Operator("{subject} BETWEEN {0} AND {1}", arity=2),
    "in": _Operator("{subject} IN ({values})", arity=None, check=_check_in),
    "begins_with": _Operator(
        "begins_with({subject}, {0})", size_ok=False, refs_ok=False, check=_check_prefix
    ),
    "contains": _Operator("contains({subject}, {0})", size_ok=False, refs_ok=False),
    "exists": _Operator("attribute_exists({subject})", arity=0, size_ok=False),
    "not_exists": _Operator("attribute_not_exists({subject})", arity=0, size_ok=False),
    "attribute_type": _Operator(
        "attribute_type({subject}, {0})",
        size_ok=False,
        refs_ok=False,
        encoding="type",
        check=_check_type,
    ),
}
"""Every condition operator DynamoDB has, by ddbwrap's name for it."""


# --- conditions ----------------------------------------------------------------------------


class Condition:
    """A condition or filter expression; combine with ``&``, ``|`` and ``~``."""

    __slots__ = ()

    def __and__(self, other: Condition) -> Condition:
        if not isinstance(other, Condition):
            return NotImplemented
        return And.of(self, other)

    def __or__(self, other: Condition) -> Condition:
        if not isinstance(other, Condition):
            return NotImplemented
        return Or.of(self, other)

    def __invert__(self) -> Condition:
        return Not(self)

    def __bool__(self) -> bool:
        raise TypeError(
            "a ddbwrap condition has no truth value: combine conditions with & (and), | (or) "
            "and ~ (not), and write a range as Attr(...).between(lo, hi), not a chained "
            "comparison"
        )

    def compile(self, model: type[BaseModel], placeholders: Placeholders) -> str:
        """The expression text for ``model``; names and values go into ``placeholders``."""
        return self._render(Context(model, placeholders))

    def params(self, model: type[BaseModel], *, key: str = "ConditionExpression") -> dict[str, Any]:
        """The request fragment this condition sends (a dry run); ``key="FilterExpression"``
        for a filter."""
        placeholders = Placeholders()
        return {key: self.compile(model, placeholders), **placeholders.params()}

    def _render(self, ctx: Context) -> str:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def _atomic(self) -> bool:
        """True when the rendering needs no parentheses under NOT."""
        return False


@dataclass(frozen=True, eq=True)
class Comparison(Condition):
    """One operator applied to a subject (a path or ``size(path)``) and its arguments."""

    op: str
    subject: _Operand
    args: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        operator = OPERATORS[self.op]
        if operator.arity is not None and len(self.args) != operator.arity:
            raise ValidationError(
                f"{self.op} takes {operator.arity} value(s), got {len(self.args)}"
            )
        if isinstance(self.subject, _SizeRef) and not operator.size_ok:
            raise ValidationError(
                f"{self.op} cannot be applied to size(); compare the size instead"
            )
        if not operator.refs_ok and any(isinstance(a, (_PathRef, _SizeRef)) for a in self.args):
            raise ValidationError(f"{self.op} takes a value, not another attribute")
        problem = operator.check(self.args) if operator.check else None
        if problem:
            raise ValidationError(f"{problem} (path {str(self.subject.path)!r})")

    def _render(self, ctx: Context) -> str:
        operator = OPERATORS[self.op]
        subject, target = _operand(ctx, self.subject)
        rendered = [self._argument(ctx, operator, a, target) for a in self.args]
        if self.op == "between":
            _check_bounds(ctx, self.args, target, self.subject.path)
        return operator.template.format(*rendered, subject=subject, values=", ".join(rendered))

    def _argument(
        self, ctx: Context, operator: _Operator, arg: Any, target: ResolvedPath | None
    ) -> str:
        if isinstance(arg, (_PathRef, _SizeRef)):
            return _operand(ctx, arg)[0]
        if operator.encoding == "type":
            return ctx.raw_value({"S": arg})
        return ctx.value(arg, target, f"{self.op} value", op=self.op)

    def _atomic(self) -> bool:
        return not OPERATORS[self.op].infix


@dataclass(frozen=True, eq=True)
class And(Condition):
    """All of ``parts`` hold."""

    parts: tuple[Condition, ...]

    @staticmethod
    def of(*conditions: Condition) -> Condition:
        parts: list[Condition] = []
        for c in conditions:
            parts.extend(c.parts if isinstance(c, And) else (c,))
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def _render(self, ctx: Context) -> str:
        return " AND ".join(_grouped(ctx, p, Or) for p in self.parts)


@dataclass(frozen=True, eq=True)
class Or(Condition):
    """At least one of ``parts`` holds."""

    parts: tuple[Condition, ...]

    @staticmethod
    def of(*conditions: Condition) -> Condition:
        parts: list[Condition] = []
        for c in conditions:
            parts.extend(c.parts if isinstance(c, Or) else (c,))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def _render(self, ctx: Context) -> str:
        return " OR ".join(_grouped(ctx, p, And) for p in self.parts)


@dataclass(frozen=True, eq=True)
class Not(Condition):
    """``inner`` does not hold."""

    inner: Condition

    def __invert__(self) -> Condition:
        return self.inner

    def _render(self, ctx: Context) -> str:
        text = self.inner._render(ctx)
        return f"NOT {text}" if self.inner._atomic() else f"NOT ({text})"

    def _atomic(self) -> bool:
        return True


def _grouped(ctx: Context, part: Condition, other: type[Condition]) -> str:
    """Parenthesise an AND inside an OR and vice versa: explicit, whatever the precedence."""
    text = part._render(ctx)
    return f"({text})" if isinstance(part, other) else text


def all_of(*conditions: Condition) -> Condition:
    """``c1 & c2 & …``, for a list built at run time (at least one condition)."""
    if not conditions:
        raise ValidationError("all_of() needs at least one condition")
    return And.of(*conditions)


def any_of(*conditions: Condition) -> Condition:
    """``c1 | c2 | …``, for a list built at run time (at least one condition)."""
    if not conditions:
        raise ValidationError("any_of() needs at least one condition")
    return Or.of(*conditions)


def _operand(ctx: Context, operand: _Operand) -> tuple[str, ResolvedPath | None]:
    """Rendered operand, and the path whose stored form values compare against (None for
    ``size()``, which is a plain number)."""
    resolved = ctx.resolve(operand.path)
    text = ctx.path(resolved)
    if isinstance(operand, _SizeRef):
        return f"size({text})", None
    return text, resolved


def _check_bounds(
    ctx: Context, args: tuple[Any, ...], target: ResolvedPath | None, path: Path
) -> None:
    """DynamoDB refuses ``BETWEEN lo AND hi`` with lo > hi; say so before sending."""
    if any(isinstance(a, (_PathRef, _SizeRef)) for a in args):
        return
    low, high = (ctx.encode(a, target, "between bound", op="between") for a in args)
    if not (low and high) or low.keys() != high.keys():
        return
    kind = next(iter(low))
    if kind == "N":
        out_of_order = Decimal(low["N"]) > Decimal(high["N"])
    elif kind in ("S", "B"):
        out_of_order = low[kind] > high[kind]
    else:
        return
    if out_of_order:
        raise ValidationError(
            f"between({args[0]!r}, {args[1]!r}): the lower bound is above the upper bound; "
            "DynamoDB rejects such a range",
            model=ctx.schema.model_name,
            field=str(path),
        )


# --- operands ------------------------------------------------------------------------------


def _arg(value: Any) -> Any:
    if isinstance(value, Attr):
        return _PathRef(value.path)
    if isinstance(value, Size):
        return _SizeRef(value.path)
    return value


class _Comparable:
    """Comparison operators shared by ``Attr`` and ``Size``."""

    __slots__ = ("path",)
    __hash__ = None  # type: ignore[assignment]

    path: Path

    def _ref(self) -> _Operand:  # pragma: no cover - overridden
        raise NotImplementedError

    def _compare(self, op: str, *values: Any) -> Condition:
        return Comparison(op, self._ref(), tuple(_arg(v) for v in values))

    def __eq__(self, value: object) -> Condition:  # type: ignore[override]
        return self._compare("eq", value)

    def __ne__(self, value: object) -> Condition:  # type: ignore[override]
        return self._compare("ne", value)

    def __lt__(self, value: Any) -> Condition:
        return self._compare("lt", value)

    def __le__(self, value: Any) -> Condition:
        return self._compare("le", value)

    def __gt__(self, value: Any) -> Condition:
        return self._compare("gt", value)

    def __ge__(self, value: Any) -> Condition:
        return self._compare("ge", value)

    def eq(self, value: Any) -> Condition:
        """``path = value`` (same as ``==``)."""
        return self._compare("eq", value)

    def ne(self, value: Any) -> Condition:
        """``path <> value`` (same as ``!=``)."""
        return self._compare("ne", value)

    def lt(self, value: Any) -> Condition:
        return self._compare("lt", value)

    def le(self, value: Any) -> Condition:
        return self._compare("le", value)

    def gt(self, value: Any) -> Condition:
        return self._compare("gt", value)

    def ge(self, value: Any) -> Condition:
        return self._compare("ge", value)

    def between(self, low: Any, high: Any) -> Condition:
        """``low <= x <= high`` (both bounds included)."""
        return self._compare("between", low, high)


class Attr(_Comparable):
    """An attribute of the model, by Python field path: ``Attr("settings.retries")``."""

    __slots__ = ()

    def __init__(self, path: str | Path) -> None:
        self.path = parse_path(path)

    def _ref(self) -> _Operand:
        return _PathRef(self.path)

    def __repr__(self) -> str:
        return f"Attr({str(self.path)!r})"

    def begins_with(self, prefix: str | bytes | Mapping[str, Any]) -> Condition:
        """The string or binary attribute starts with ``prefix``; on a composite key attribute
        (``KeyTemplate``) ``prefix`` may be a mapping of the template's first fields, rendered
        through the literal that follows the last one (``{"tenant_id": "t1"}`` -> ``T#t1#``)."""
        return self._compare("begins_with", prefix)

    def contains(self, value: Any) -> Condition:
        """A string contains a substring, or a list/set contains an element."""
        return self._compare("contains", value)

    def is_in(self, values: Iterable[Any]) -> Condition:
        """The attribute equals one of ``values`` (1 to 100 of them)."""
        if isinstance(values, (str, bytes, Mapping)):
            raise ValidationError(
                f"is_in() takes a list of values, not a {type(values).__name__} "
                f"(path {str(self.path)!r}); write is_in([value])"
            )
        return self._compare("in", *values)

    def exists(self) -> Condition:
        """The attribute is present (``attribute_exists``)."""
        return self._compare("exists")

    def not_exists(self) -> Condition:
        """The attribute is absent (``attribute_not_exists``)."""
        return self._compare("not_exists")

    def attribute_type(self, type_name: str) -> Condition:
        """The attribute is stored as ``type_name``: S, SS, N, NS, B, BS, BOOL, NULL, L or M."""
        return self._compare("attribute_type", type_name)

    def size(self) -> Size:
        """``size(path)``: string length, binary length, or number of elements."""
        return Size(self.path)


class Size(_Comparable):
    """``size(path)``, an operand that supports comparisons and ``between``."""

    __slots__ = ()

    def __init__(self, path: str | Path) -> None:
        self.path = parse_path(path)

    def _ref(self) -> _Operand:
        return _SizeRef(self.path)

    def _compare(self, op: str, *values: Any) -> Condition:
        for value in values:
            if not isinstance(value, (int, float, Decimal, Attr, Size)) or isinstance(value, bool):
                raise ValidationError(
                    f"size({str(self.path)!r}) is a number; compare it with a number, "
                    f"not {type(value).__name__} {value!r}"
                )
        return super()._compare(op, *values)

    def __repr__(self) -> str:
        return f"Attr({str(self.path)!r}).size()"
