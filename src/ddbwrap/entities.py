"""Several entities in one table: how a model's items are told apart, and a registry per table.

A table shared by several models (``Order``, ``OrderLine``, ``Customer``...) holds items of
each, plus items other services write and, when ``Meta.unique_table`` names the table itself,
unique-constraint guard items. A read through one model must return only that model's items,
so every model has an *identity* derived from its ``Meta``:

- its **table-key templates**: an item belongs to the model only when each templated table-key
  attribute is a text that the template renders (``KeyTemplate("sk", "ORDER#{order_id}")``
  matches ``ORDER#o1``, not ``LINE#o1#2`` nor ``ORDER#o1#LINE#2``: values cannot hold the
  template's separators);
- optionally a **discriminator**: ``Meta.entity = Discriminator("kind")`` names a field
  annotated ``Literal["order"]`` (written by the model like any field); an item belongs to the
  model only when that attribute holds one of the Literal's values.

``Meta.entity = KeyPrefix()`` declares that the model shares its table and is told apart by its
key templates alone; ``Discriminator(field)`` that it is told apart by that field (its key
templates are still checked). When a model that declares ``Meta.entity`` is defined, it is
checked against every model already defined for the same table (same logical table name and
same table key schema): two models whose items could be mistaken for each other raise
``ModelDefinitionError`` naming both, right there. Models that declare nothing are not checked
against each other (several models of one table that *are* the same entity, such as a narrow
model next to a full one, stay allowed), but reads through them still skip the items their key
templates do not render. A :class:`~ddbwrap.read.collection.Collection` checks its models
against each other whatever they declare.

No I/O and no import of the read or write layers: the schema layer and the readers use this.
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from .errors import ModelDefinitionError

if TYPE_CHECKING:
    from .meta import KeyTemplate
    from .schema import TableSchema

GUARD_KEY_ATTRIBUTE = "pk"
"""Key attribute of unique-constraint guard items (``ddbwrap.schema.UNIQUE_KEY_ATTRIBUTE``)."""
GUARD_OWNER_ATTRIBUTE = "owner"
GUARD_OWNER_TABLE_ATTRIBUTE = "owner_table"
"""Attributes every guard item carries (``ddbwrap.write.unique``); read items holding both are
guard items, never data."""


@dataclass(frozen=True)
class KeyPrefix:
    """``Meta.entity = KeyPrefix()``: this model shares its table with other models, and its
    items are told apart by the literal text of its table-key templates
    (``KeyTemplate("sk", "ORDER#{order_id}")`` vs ``KeyTemplate("sk", "LINE#{order_id}#{n}")``).

    Nothing is added to the items, so other services writing the table keep their shape.
    """


@dataclass(frozen=True)
class Discriminator:
    """``Meta.entity = Discriminator("kind")``: this model shares its table with other models,
    and its items are told apart by the attribute of field ``kind``, which must be annotated
    with the values that identify the model: ``kind: Literal["order"] = "order"``.

    Use it where the table already has such an attribute (written by every service); the model
    writes it like any other field.
    """

    field: str


EntitySpec = KeyPrefix | Discriminator


# --- identity of one model ---------------------------------------------------------------------


def is_guard(raw: Mapping[str, Any]) -> bool:
    """True for a unique-constraint guard item (``ddbwrap.write.unique``): never data."""
    return GUARD_OWNER_TABLE_ATTRIBUTE in raw and GUARD_OWNER_ATTRIBUTE in raw


def may_hold_guards(schemas: Sequence[TableSchema]) -> bool:
    """False when one of the models stores both guard attributes as fields of its own (then
    an item holding them is data, never taken for a guard item)."""
    guard_attributes = {GUARD_OWNER_ATTRIBUTE, GUARD_OWNER_TABLE_ATTRIBUTE}
    return not any(guard_attributes <= set(s.attribute_fields) for s in schemas)


def _same_value(stored: Mapping[str, Any] | None, wanted: Mapping[str, Any]) -> bool:
    if not stored:
        return False
    if "N" in wanted and "N" in stored:
        try:
            return Decimal(str(stored["N"])) == Decimal(str(wanted["N"]))
        except (InvalidOperation, ValueError):
            return False
    return dict(stored) == dict(wanted)


def literal_attribute_value(value: object) -> dict[str, Any]:
    """The stored form of a ``Literal`` discriminator value (str, int or bool)."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    return {"S": str(value)}


class EntityMatcher:
    """Tells whether a raw item (wire form) is an item of one model."""

    __slots__ = ("_checks", "discriminator", "matches", "model", "templates", "trivial", "values")

    def __init__(self, schema: TableSchema) -> None:
        self.model = schema.model_name
        self.templates: tuple[tuple[str, KeyTemplate], ...] = tuple(
            (key.attribute, key.template)
            for key in schema.key_attributes
            if key.template is not None and any(key.template.literals)
        )
        self.discriminator: str | None = None
        self.values: tuple[dict[str, Any], ...] = ()
        if schema.discriminator is not None:
            self.discriminator, raw_values = schema.discriminator
            self.values = tuple(literal_attribute_value(v) for v in raw_values)
        self.trivial = not self.templates and self.discriminator is None
        """True when nothing but the table tells this model's items apart."""
        # (attribute, literal prefix, the template's full-match function, texts known to
        # match: a query's items share their partition key, so it is matched once), per item
        self._checks: tuple[tuple[str, str, Callable[[str], object], set[str]], ...] = tuple(
            (attribute, template.literals[0], _full_match(template), set())
            for attribute, template in self.templates
        )
        self.matches: Callable[[Mapping[str, Any]], bool] = (
            self._keys_and_discriminator if self.discriminator is not None else self.keys_match
        )
        """``matches(raw)``: True when ``raw`` is an item of this model: its key templates
        render its keys and its discriminator (if any) holds one of the model's values."""

    def keys_match(self, raw: Mapping[str, Any]) -> bool:
        """True when every templated table-key attribute of ``raw`` is rendered by its
        template (what an index entry projecting only keys can tell)."""
        for attribute, prefix, full_match, known in self._checks:
            av = raw.get(attribute)
            text = av.get("S") if av is not None else None
            if text in known:
                continue
            if type(text) is not str or not text.startswith(prefix) or full_match(text) is None:
                return False
            if len(known) < _KNOWN_TEXTS:
                known.add(text)
        return True

    def _keys_and_discriminator(self, raw: Mapping[str, Any]) -> bool:
        if self._checks and not self.keys_match(raw):
            return False
        stored = raw.get(self.discriminator)  # type: ignore[arg-type]
        return any(_same_value(stored, value) for value in self.values)


_KNOWN_TEXTS = 64
"""How many matching key texts a matcher remembers per attribute (partition keys, mostly)."""


def _full_match(template: KeyTemplate) -> Callable[[str], object]:
    """``template.renders`` as a function returning None for no match, without its layers: the
    compiled shape's ``fullmatch`` when the template has one."""
    shape = getattr(template, "_shape", None)
    if isinstance(shape, re.Pattern):
        return shape.fullmatch
    return lambda text: True if template.renders(text) else None


def matcher_of(schema: TableSchema) -> EntityMatcher:
    """The matcher of a model's schema (build it once per reader)."""
    return EntityMatcher(schema)


def belongs_to(schema: TableSchema, raw: Mapping[str, Any]) -> bool:
    """True when ``raw`` is an item of the model of ``schema`` (not a guard item, not another
    entity's item); for one-off checks (readers build a matcher once)."""
    if may_hold_guards([schema]) and is_guard(raw):
        return False
    return EntityMatcher(schema).matches(raw)


# --- telling two models apart -------------------------------------------------------------------


def _separator_signature(template: KeyTemplate) -> str:
    return "".join(c for c in "".join(template.literals) if c in template.separators)


def templates_disjoint(a: KeyTemplate, b: KeyTemplate) -> bool:
    """True when no text is rendered by both templates (a sufficient check, not a complete
    one): their literal prefixes (or suffixes) differ, or they have the same separators in a
    different sequence (values never hold a separator, so a rendered key shows exactly its
    template's sequence: ``ORDER#{id}`` vs ``ORDER#{id}#LINE#{n}``)."""
    prefix_a, prefix_b = a.literals[0], b.literals[0]
    if not (prefix_a.startswith(prefix_b) or prefix_b.startswith(prefix_a)):
        return True
    suffix_a, suffix_b = a.literals[-1], b.literals[-1]
    if not (suffix_a.endswith(suffix_b) or suffix_b.endswith(suffix_a)):
        return True
    if set(a.separators) == set(b.separators) and a.separators:
        return _separator_signature(a) != _separator_signature(b)
    return False


def same_table_keys(a: TableSchema, b: TableSchema) -> bool:
    """True when two models declare the same table key attributes and types (a requirement for
    sharing one physical table)."""

    def shape(schema: TableSchema) -> tuple[tuple[str, str], ...]:
        return tuple((k.attribute, k.type) for k in schema.key_attributes)

    return a.table_name == b.table_name and shape(a) == shape(b)


def distinguishable(a: TableSchema, b: TableSchema) -> bool:
    """True when no item can be an item of both models (see :func:`templates_disjoint`)."""
    if a.discriminator is not None and b.discriminator is not None:
        attribute_a, values_a = a.discriminator
        attribute_b, values_b = b.discriminator
        if attribute_a == attribute_b and not set(values_a) & set(values_b):
            return True
    templates_b = {k.attribute: k.template for k in b.key_attributes}
    for key in a.key_attributes:
        other = templates_b.get(key.attribute)
        if (
            key.template is not None
            and other is not None
            and templates_disjoint(key.template, other)
        ):
            return True
    return False


def indistinguishable_message(other: str, table: str) -> str:
    return (
        f"shares table {table!r} with model {other}, but their items cannot be told apart: "
        f"a read through one would return the other's items. Give them table-key templates "
        f"with different literal text (sort_key=KeyTemplate('sk', 'ORDER#{{order_id}}') vs "
        f"KeyTemplate('sk', 'LINE#{{order_id}}#{{line_no}}')) and declare "
        f"Meta.entity = KeyPrefix(), or a discriminator field with different values "
        f"(kind: Literal['order'] = 'order' with Meta.entity = Discriminator('kind'))"
    )


def check_distinguishable(schemas: Sequence[TableSchema]) -> None:
    """Raise ``ModelDefinitionError`` unless every two of ``schemas`` (models of one table,
    e.g. of a collection) can be told apart."""
    for position, later in enumerate(schemas):
        for earlier in schemas[:position]:
            if earlier.model_name == later.model_name:
                raise ModelDefinitionError(
                    later.model_name, "is given twice; list each model of a collection once"
                )
            if not same_table_keys(earlier, later):
                raise ModelDefinitionError(
                    later.model_name,
                    f"does not share a table with {earlier.model_name}: tables "
                    f"{later.table_name!r} and {earlier.table_name!r} (or their table keys) "
                    "differ; a collection reads the models of one table",
                )
            if not distinguishable(earlier, later):
                raise ModelDefinitionError(
                    later.model_name,
                    indistinguishable_message(earlier.model_name, later.table_name),
                )


# --- the registry of models per table -------------------------------------------------------


_REGISTRY: dict[str, list[tuple[weakref.ref[type], TableSchema]]] = {}
"""Logical table name -> its models (held weakly: a model nobody uses any more, such as one
defined inside a test function, leaves the registry) and their schemas."""
_LOCK = threading.Lock()


def register(model: type, schema: TableSchema) -> None:
    """Record a newly defined model of ``schema.table_name`` and check it against the others.

    A model with the name of one already recorded for the table replaces it (a redefinition:
    a reloaded module, a test); a subclass that inherits its parent's ``Meta`` is its parent's
    entity and is not recorded. When either of two models of the same table key schema
    declares ``Meta.entity`` and their items cannot be told apart, ``ModelDefinitionError``
    names both.
    """
    with _LOCK:
        entries = _REGISTRY.setdefault(schema.table_name, [])
        others = [
            (ref, s)
            for ref, s in entries
            if s.model_name != schema.model_name and ref() is not None
        ]
        for ref, other in others:
            other_model = ref()
            if other_model is None:
                continue
            if issubclass(model, other_model) or issubclass(other_model, model):
                continue
            if schema.entity is None and other.entity is None:
                continue
            if not same_table_keys(schema, other) or distinguishable(schema, other):
                continue
            raise ModelDefinitionError(
                schema.model_name,
                indistinguishable_message(other.model_name, schema.table_name),
            )
        others.append((weakref.ref(model), schema))
        entries[:] = others


def models_of(table_name: str) -> tuple[type, ...]:
    """The models defined so far for the logical table ``table_name`` (latest definitions,
    those still alive)."""
    with _LOCK:
        found = (ref() for ref, _ in _REGISTRY.get(table_name, ()))
        return tuple(model for model in found if model is not None)


def resolver(
    schemas: Sequence[TableSchema],
) -> Callable[[Mapping[str, Any]], int]:
    """A function telling which of ``schemas`` a raw item belongs to: its position, -1 for a
    guard item, -2 for an item of none of them (the first match wins; collections check that
    at most one can match)."""
    matchers = [matcher_of(s) for s in schemas]
    guards = may_hold_guards(schemas)

    def which(raw: Mapping[str, Any]) -> int:
        if guards and is_guard(raw):
            return -1
        for position, matcher in enumerate(matchers):
            if matcher.matches(raw):
                return position
        return -2

    return which


__all__ = [
    "Discriminator",
    "EntityMatcher",
    "EntitySpec",
    "KeyPrefix",
    "belongs_to",
    "check_distinguishable",
    "distinguishable",
    "is_guard",
    "matcher_of",
    "models_of",
    "register",
    "templates_disjoint",
]
