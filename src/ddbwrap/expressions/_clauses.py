"""The one update/condition engine: expression parts kept as data, rendered once per request.

Every write expression ddbwrap sends is built from these values: an ``Update()`` builder
resolves to ``UpdateAction``s (``Update.clauses(model)``), the write side adds its own actions
and ``AttributeCheck``s (version, timestamps, unique guards: ``ddbwrap.write.hooks``) and the
caller's condition (``CallerCondition``), and ``WriteExpression.render`` turns all of them into
``UpdateExpression``/``ConditionExpression`` text with ONE ``Placeholders``, exactly once.

Placeholders are allocated in the order the parts were contributed (update actions first, then
conditions), and the update text groups the actions by clause in ``SET, REMOVE, ADD, DELETE``
order, keeping their order within a clause. Paths are *stored* paths (attribute names as
stored, list indexes as ints) and values are already encoded AttributeValues, so rendering
never looks at a model again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from functools import partial
from typing import Any, Literal, NamedTuple, cast

from pydantic import BaseModel

from ..codec import AttributeValue, EncodedItem
from .conditions import Condition
from .paths import Segment
from .placeholders import NAMES_KEY, VALUES_KEY, Placeholders

Clause = Literal["SET", "REMOVE", "ADD", "DELETE"]
CLAUSES: tuple[Clause, ...] = ("SET", "REMOVE", "ADD", "DELETE")

Form = Literal[
    "set",
    "set_if_not_exists",
    "increment",
    "decrement",
    "append",
    "prepend",
    "remove",
    "add",
    "delete",
]
"""What an update action does; the ``Update()`` method of the same name builds it."""

StoredPath = tuple[Segment, ...]


class FormSpec(NamedTuple):
    """How one form renders: its clause, its text from the rendered path, constant and value
    (in that order of placeholder allocation: path names, constant, value), and the constant
    (``if_not_exists`` default: 0 for counters, an empty list for appends)."""

    clause: Clause
    text: Callable[[str, str, str], str]
    constant: AttributeValue | None = None

    @property
    def template(self) -> str:
        """The text with ``{path}``, ``{zero}``/``{empty}`` (the constant) and ``{0}`` (the
        value) in place: ``{path} = if_not_exists({path}, {zero}) + {0}``."""
        constant = "{zero}" if self.constant == {"N": "0"} else "{empty}"
        return self.text("{path}", constant, "{0}")


FORMS: Mapping[Form, FormSpec] = {
    "set": FormSpec("SET", lambda p, c, v: f"{p} = {v}"),
    "set_if_not_exists": FormSpec("SET", lambda p, c, v: f"{p} = if_not_exists({p}, {v})"),
    "increment": FormSpec(
        "SET", lambda p, c, v: f"{p} = if_not_exists({p}, {c}) + {v}", {"N": "0"}
    ),
    "decrement": FormSpec(
        "SET", lambda p, c, v: f"{p} = if_not_exists({p}, {c}) - {v}", {"N": "0"}
    ),
    "append": FormSpec(
        "SET", lambda p, c, v: f"{p} = list_append(if_not_exists({p}, {c}), {v})", {"L": []}
    ),
    "prepend": FormSpec(
        "SET", lambda p, c, v: f"{p} = list_append({v}, if_not_exists({p}, {c}))", {"L": []}
    ),
    "remove": FormSpec("REMOVE", lambda p, c, v: p),
    "add": FormSpec("ADD", lambda p, c, v: f"{p} {v}"),
    "delete": FormSpec("DELETE", lambda p, c, v: f"{p} {v}"),
}
"""Every update form, with the text it renders to."""

RELATIVE_FORMS: frozenset[Form] = frozenset(
    {"increment", "decrement", "append", "prepend", "add", "delete"}
)
"""Forms whose result depends on the stored value: applying them twice is not applying once."""


def render_path(path: StoredPath, placeholders: Placeholders) -> str:
    """``#n0.#n1[2]``: every name through a placeholder, indexes as digits."""
    head, *rest = path
    text = placeholders.name(str(head))
    for segment in rest:
        text += f"[{segment}]" if isinstance(segment, int) else f".{placeholders.name(segment)}"
    return text


class UpdateAction(NamedTuple):
    """One SET/REMOVE/ADD/DELETE action: a form, a stored path and its encoded value."""

    form: Form
    path: StoredPath
    value: AttributeValue | None = None

    @property
    def clause(self) -> Clause:
        return FORMS[self.form].clause

    @property
    def attribute(self) -> str:
        """The top-level attribute the action writes."""
        return str(self.path[0])

    @property
    def relative(self) -> bool:
        """True when what it stores depends on what is stored: a counter, an append, a set
        ADD/DELETE, or any action on a list element (an index beyond the end appends; REMOVE
        of an element shifts the rest)."""
        return self.form in RELATIVE_FORMS or any(isinstance(s, int) for s in self.path)


make_action = cast(
    "Callable[[tuple[Form, StoredPath, AttributeValue | None]], UpdateAction]",
    partial(tuple.__new__, UpdateAction),
)
"""``UpdateAction`` from a ``(form, path, value)`` tuple without the Python-level ``__new__``
(a third of the cost): for the loops that build one per attribute (a put's item, a DTO)."""


def render_updates(actions: Iterable[UpdateAction], placeholders: Placeholders) -> str:
    """``SET a, b REMOVE c ADD d DELETE e``: each action's placeholders in action order (its
    path's names, the form's constant, its value), its text in its clause's group."""
    name, value = placeholders.name, placeholders.value
    sets: list[str] = []
    others: dict[Clause, list[str]] = {}
    for form, path, av in actions:
        # a stored path starts with an attribute name; most are just that
        text = name(path[0]) if len(path) == 1 else render_path(path, placeholders)  # type: ignore[arg-type]
        if form == "set":
            sets.append(f"{text} = {value(av)}")  # type: ignore[arg-type]  # set has a value
        elif av is None:  # REMOVE, the one form without a value
            others.setdefault("REMOVE", []).append(text)
        else:
            spec = FORMS[form]
            constant = value(spec.constant) if spec.constant is not None else ""
            group = sets if spec.clause == "SET" else others.setdefault(spec.clause, [])
            group.append(spec.text(text, constant, value(av)))
    clauses = [f"SET {', '.join(sets)}"] if sets else []
    if others:
        clauses += [f"{c} {', '.join(others[c])}" for c in CLAUSES if c in others]
    return " ".join(clauses)


# --- conditions -----------------------------------------------------------------------------

Test = Literal[
    "exists",
    "not_exists",
    "equals",
    "missing_or_equals",
    "missing_or_null",
    "not_exists_or_expired",
    "exists_and_live",
]
"""``not_exists_or_expired`` / ``exists_and_live``: the existence test of a model with a TTL
attribute (``ttl``), where an item whose TTL is at or before ``value`` (now, epoch seconds
``{"N": ...}``) counts as gone (see ``ddbwrap.write.requests.expiry_checks``)."""

_NULL_TYPE: AttributeValue = {"S": "NULL"}


class AttributeCheck(NamedTuple):
    """A condition ddbwrap itself puts on one top-level stored attribute."""

    test: Test
    attribute: str
    value: AttributeValue | None = None
    ttl: str | None = None
    """The TTL attribute of an ``*_expired`` / ``*_live`` test."""

    def render(self, placeholders: Placeholders) -> str:
        name = placeholders.name(self.attribute)
        test = self.test
        if self.ttl is not None and self.value is not None:
            ttl, now = placeholders.name(self.ttl), placeholders.value(self.value)
            if test == "not_exists_or_expired":
                return f"(attribute_not_exists({name}) OR {ttl} <= {now})"
            if test == "exists_and_live":
                return (
                    f"(attribute_exists({name}) AND (attribute_not_exists({ttl}) OR {ttl} > {now}))"
                )
        if test == "exists":
            return f"attribute_exists({name})"
        if test == "not_exists":
            return f"attribute_not_exists({name})"
        if test == "missing_or_null":
            null = placeholders.value(_NULL_TYPE)
            return f"(attribute_not_exists({name}) OR attribute_type({name}, {null}))"
        assert self.value is not None
        value = placeholders.value(self.value)
        if test == "equals":
            return f"{name} = {value}"
        return f"(attribute_not_exists({name}) OR {name} = {value})"

    def bound_values(self) -> tuple[AttributeValue, ...]:
        """The values ``render`` binds, in its order."""
        first = (self.value,) if self.ttl is not None and self.value is not None else ()
        if first and self.test in ("not_exists_or_expired", "exists_and_live"):
            return first
        if self.test in ("exists", "not_exists"):
            return first
        if self.test == "missing_or_null":
            return (*first, _NULL_TYPE)
        assert self.value is not None
        return (*first, self.value)

    def holds_on(self, stored: AttributeValue | None) -> bool:
        """Whether it holds on an item whose attribute is ``stored`` (None: missing)."""
        test = self.test
        if test in ("exists", "exists_and_live"):
            return stored is not None
        if stored is None:
            return test != "equals"
        if test in ("not_exists", "not_exists_or_expired"):
            return False
        if test == "missing_or_null":
            return "NULL" in stored
        assert self.value is not None
        return same_value(stored, self.value)


class CallerCondition(NamedTuple):
    """The caller's own ``condition=``, compiled against its model when rendered."""

    condition: Condition
    model: type[BaseModel]

    def render(self, placeholders: Placeholders) -> str:
        return f"({self.condition.compile(self.model, placeholders)})"


ConditionPart = AttributeCheck | CallerCondition


class WriteExpression(NamedTuple):
    """The update actions and condition parts of one item-level write, as data."""

    updates: tuple[UpdateAction, ...] = ()
    conditions: tuple[ConditionPart, ...] = ()

    def render(self, params: dict[str, Any], *, update: bool) -> dict[str, Any]:
        """Add the request fragment to ``params`` and return it: ``UpdateExpression`` (when
        ``update``), ``ConditionExpression`` (when there are conditions) and the placeholder
        maps, all from one ``Placeholders``.

        The text and names depend only on the write's shape (forms, paths, tests; not values),
        so a shape rendered before reuses them and binds this write's values in their order."""
        shape = self._shape(update)
        known = _RENDERED.get(shape) if shape is not None else None
        if known is not None:
            fragment, slots = known
            params.update(fragment)
            if NAMES_KEY in fragment:
                params[NAMES_KEY] = dict(fragment[NAMES_KEY])
            if slots:
                params[VALUES_KEY] = EncodedItem(zip(slots, self._values(update), strict=True))
            return params
        placeholders = Placeholders()
        fragment = {}
        if update:
            fragment["UpdateExpression"] = render_updates(self.updates, placeholders)
        if self.conditions:
            fragment["ConditionExpression"] = " AND ".join(
                [part.render(placeholders) for part in self.conditions]
            )
        maps = placeholders.params()
        params.update(fragment)
        params.update(maps)
        bound = maps.get(VALUES_KEY, {})
        if (
            shape is not None
            and len(_RENDERED) < _RENDERED_MAX
            and [id(v) for v in bound.values()] == [id(v) for v in self._values(update)]
        ):  # kept only when the values are bound in the order _values gives
            if NAMES_KEY in maps:  # a copy: the caller owns the map in params
                fragment[NAMES_KEY] = dict(maps[NAMES_KEY])
            _RENDERED[shape] = (fragment, tuple(bound))
        return params

    def _shape(self, update: bool) -> tuple[Any, ...] | None:
        """What the rendered text and names depend on; None when a part is the caller's own
        condition (compiled from its model each time)."""
        checks = []
        for part in self.conditions:
            if not isinstance(part, AttributeCheck):
                return None
            checks.append((part.test, part.attribute, part.value is None, part.ttl))
        actions = [(form, path, av is None) for form, path, av in self.updates] if update else ()
        return (tuple(actions), tuple(checks))

    def _values(self, update: bool) -> list[AttributeValue]:
        """The values ``render`` binds, in the order it binds them: each action's constant
        and value, then each condition's."""
        values: list[AttributeValue] = []
        if update:
            for form, _, av in self.updates:
                if av is None:
                    continue
                if form != "set" and (constant := FORMS[form].constant) is not None:
                    values.append(constant)
                values.append(av)
        for part in self.conditions:
            values.extend(part.bound_values())  # type: ignore[union-attr]  # checks only
        return values


_RENDERED: dict[tuple[Any, ...], tuple[dict[str, Any], tuple[str, ...]]] = {}
"""Each write shape rendered so far: its request fragment (text, names) and value slots."""
_RENDERED_MAX = 4096


# --- comparing stored values ----------------------------------------------------------------


def _canonical(av: Mapping[str, Any]) -> tuple[str, Any]:
    """A comparable form of an AttributeValue: numbers as Decimals, sets as frozensets,
    binaries as bytes, so that what DynamoDB returns equals what was sent (``1.50`` comes
    back as ``1.5``, set elements in any order)."""
    ((tag, raw),) = av.items()
    if tag == "N":
        return tag, Decimal(raw)
    if tag == "B":
        return tag, bytes(raw)
    if tag in ("SS", "NS", "BS"):
        element = {"SS": str, "NS": Decimal, "BS": bytes}[tag]
        return tag, frozenset(element(v) for v in raw)
    if tag == "L":
        return tag, [_canonical(v) for v in raw]
    if tag == "M":
        return tag, {k: _canonical(v) for k, v in raw.items()}
    return tag, raw


def same_value(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """True when two AttributeValues store the same value."""
    return _canonical(a) == _canonical(b)


def value_at(item: Mapping[str, Any], path: Sequence[Segment]) -> AttributeValue | None:
    """The AttributeValue stored at ``path`` in a wire item, or None when it is missing."""
    node: Any = item.get(str(path[0]))
    for segment in path[1:]:
        if node is None:
            return None
        if isinstance(segment, int):
            elements = node.get("L")
            node = elements[segment] if elements is not None and segment < len(elements) else None
        else:
            members = node.get("M")
            node = members.get(segment) if members is not None else None
    return node if node is None else dict(node)
