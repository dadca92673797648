"""Condition and filter expressions: ``Attr("status") == "active"`` and friends.

Builders are model-free values: ``Attr("settings.retries") > 3`` parses and checks its path
syntax at once, but field names, aliases and value encoding are settled by ``compile(model,
placeholders)``, which is when an unknown field becomes a ``ValidationError``.

Condition values are checked against the field's type when the condition is compiled, since a
value of another type than the stored one never matches in DynamoDB (``Attr("size") == "5"`` on
an ``int`` field would silently match nothing): a value of another kind (a str for a number, a
number for a str, a str for a bool...) is a ``ValidationError`` naming the model, the field and
the type it holds. A value of the right kind is converted through the field's type, then
encoded like the codec stores it (a datetime becomes the stored UTC string, a bool index key
``"true"``, ``"active"`` the enum member's stored value, a dict for a nested model the model's
map with its stored names): ``==``, ``!=`` and ``is_in`` values must be values the field may hold
(its constraints and validators apply: a value it can never hold never matches), ``<``, ``<=``,
``>``, ``>=`` and ``between`` values must be of its type (constraints do not apply: ``x < 200``
is a fine test of a field limited to 150). ``contains`` takes a substring of a string field or
an element of a list or set field (checked as an element), ``begins_with`` a str prefix of a
string field (or bytes of a binary one), ``size()`` a number.

An attribute the model does not declare (another service's, on a shared table) is named with
``Attr.foreign("legacy_flag")``: its path is used as written and its values are encoded by their
own type, unchecked. A name the model declares is refused there (use ``Attr``).

Conditions combine with ``&`` (AND), ``|`` (OR) and ``~`` (NOT). Python's ``and``/``or``/
``not`` and chained comparisons (``1 < Attr("x") < 5``) would silently drop half of the
condition, so a condition refuses to be used as a truth value. Mind Python's precedence:
``&`` binds tighter than ``==``, so write ``(Attr("a") == 1) & (Attr("b") == 2)``.

``Attr`` and ``Size`` define ``==`` to build a condition, so they are deliberately unhashable
(``__hash__ = None``): an identity hash would let a dict or set lookup call ``==``, get a
condition back and fail in a confusing way. Use the path string as a dict key instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel

from .._redact import shown
from ..errors import ValidationError
from ._context import Context
from .paths import Kind, Path, ResolvedPath, kinds_of, parse_path
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
        args = self.args
        if operator.encoding == "attribute":
            args = tuple(
                a if isinstance(a, (_PathRef, _SizeRef)) else _typed(ctx, self.op, a, target)
                for a in args
            )
        rendered = [self._argument(ctx, operator, a, target) for a in args]
        if self.op == "between":
            _check_bounds(ctx, args, target, self.subject.path)
        return operator.template.format(*rendered, subject=subject, values=", ".join(rendered))

    def _argument(
        self, ctx: Context, operator: _Operator, arg: Any, target: ResolvedPath | None
    ) -> str:
        if isinstance(arg, (_PathRef, _SizeRef)):
            text, other = _operand(ctx, arg)
            _check_comparable(ctx, self.op, self.subject, target, arg, other)
            return text
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
    resolved = ctx.resolve(operand.path, foreign_ok=True)
    text = ctx.path(resolved)
    if isinstance(operand, _SizeRef):
        return f"size({text})", None
    return text, resolved


# --- values checked against the field's type ------------------------------------------------

_WHOLE_OPS = frozenset({"eq", "ne", "in"})
"""Operators whose value must be one the field may hold (constraints and validators apply)."""


def _value_kinds(value: Any) -> tuple[Kind, ...] | None:
    """How the codec would store ``value`` (None: a type it cannot say, left to the encoder)."""
    kinds = kinds_of(type(value))
    return None if "any" in kinds else kinds


def _typed(ctx: Context, op: str, value: Any, target: ResolvedPath | None) -> Any:
    """``value`` checked against the type of the field it is compared with, and converted
    through it (see the module notes); returned as is where there is nothing to check."""
    if target is None or not target.typed:
        return value  # size() (its numbers are checked by Size), Any, Attr.foreign
    key = target.key
    if key is not None and key.template is not None:
        return value  # a composite key: a mapping of its fields or a key text (Context.encode)
    if value is None or (isinstance(value, (set, frozenset)) and not value):
        return value  # NULL, the None of a key, an empty set: Context.encode says what they are
    kinds = _value_kinds(value)
    if kinds is None:
        return value  # a type the codec cannot store: Context.encode says so
    if ctx.is_ttl(target):
        return _ttl_value(ctx, op, value, target)
    what = f"{op} value"
    if op == "begins_with":
        if not target.accepts(*kinds) or not (target.accepts("string", "binary")):
            raise _mismatch(op, value, target, "a string (or binary) attribute's prefix")
        return value
    if op == "contains":
        if isinstance(value, str) and target.accepts("string"):
            return value  # a substring
        if target.element is None:
            raise _mismatch(op, value, target, "a substring of a string or an element of a list")
        element_kinds = target.element_kinds
        if "any" in element_kinds:
            return value
        if element_kinds.isdisjoint(kinds):
            raise _mismatch(op, value, target, "an element of the list or set", element=True)
        return target.validate_element(value, what)
    if not target.accepts(*kinds):
        raise _mismatch(op, value, target, "a value of the field's type")
    if op in _WHOLE_OPS:
        return target.validate_whole(value, what)
    if "number" in kinds:
        return value  # any number compares by value with a number field
    return target.validate_bare(value, what)


def _ttl_value(ctx: Context, op: str, value: Any, target: ResolvedPath) -> Any:
    """The TTL attribute is stored as epoch seconds: compared with a datetime or an int."""
    if op in ("begins_with", "contains") or isinstance(value, bool):
        ok = False
    else:
        ok = isinstance(value, (int, dt.datetime))
    if not ok:
        raise target.error(
            f"{op} compares the TTL attribute (stored as epoch seconds, a number) with "
            f"{_a(type(value).__name__)} ({shown(value)}), which would match nothing; compare it "
            "with a datetime or epoch seconds (an int)"
        )
    return value


def _mismatch(
    op: str, value: Any, target: ResolvedPath, expected: str, *, element: bool = False
) -> ValidationError:
    holds = (
        f"it holds {target.type_text}"
        if not element
        else f"its elements are {' | '.join(sorted(target.element_kinds))}s"
    )
    return target.error(
        f"{op} takes {expected}, not {_a(type(value).__name__)} ({shown(value)}): {holds}, "
        "and DynamoDB never matches values of another type, so this condition would "
        f"silently match nothing. Pass a value of the field's type; for an attribute the "
        f"model does not declare (another service's), use Attr.foreign({str(target.path)!r})"
    )


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def _check_comparable(
    ctx: Context,
    op: str,
    subject: _Operand,
    target: ResolvedPath | None,
    other_ref: _Operand,
    other: ResolvedPath | None,
) -> None:
    """Two attributes compared must be able to hold the same kind of value."""
    left: frozenset[Kind] = frozenset({"number"}) if target is None else target.kinds
    right: frozenset[Kind] = frozenset({"number"}) if other is None else other.kinds
    if "any" in left or "any" in right or not left.isdisjoint(right):
        return
    raise ValidationError(
        f"{op} compares {_ref_text(subject)} ({' | '.join(sorted(left))}) with "
        f"{_ref_text(other_ref)} ({' | '.join(sorted(right))}): they never hold the same type "
        "of value, so the condition would silently match nothing",
        model=ctx.schema.model_name,
        field=str(subject.path),
    )


def _ref_text(ref: _Operand) -> str:
    text = f"Attr({str(ref.path)!r})"
    return text + ".size()" if isinstance(ref, _SizeRef) else text


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
            f"between({shown(args[0])}, {shown(args[1])}): the lower bound is above the upper "
            "bound; "
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
    """An attribute of the model, by Python field path: ``Attr("settings.retries")``.

    Values compared with it are checked against the field's type when the condition is
    compiled (see the module notes). ``Attr.foreign("name")`` names an attribute the model does
    not declare.
    """

    __slots__ = ()

    def __init__(self, path: str | Path) -> None:
        self.path = parse_path(path)

    @classmethod
    def foreign(cls, path: str | Path) -> Attr:
        """An attribute the model does not declare, e.g. one another service writes to a shared
        table: ``Attr.foreign("legacy_flag") == "x"``. Its path is used as written (stored
        names, not field names), its values are encoded by their own type and not checked, so
        a value of the wrong type silently matches nothing, as in plain DynamoDB. A name the
        model declares is refused when the condition is compiled (use ``Attr``, which checks).
        """
        return cls(Path(parse_path(path).segments, foreign=True))

    def _ref(self) -> _Operand:
        return _PathRef(self.path)

    def __repr__(self) -> str:
        if self.path.foreign:
            return f"Attr.foreign({str(self.path)!r})"
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
                    f"not {type(value).__name__} {shown(value)}"
                )
        return super()._compare(op, *values)

    def __repr__(self) -> str:
        return f"Attr({str(self.path)!r}).size()"
