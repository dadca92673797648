"""What a model's ``Meta`` may declare: indexes, projections and composite-key templates."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Literal

ProjectionType = Literal["ALL", "KEYS_ONLY", "INCLUDE"]


@dataclass(frozen=True)
class Projection:
    """Which attributes an index copies: ``ALL``, ``KEYS_ONLY``, or ``INCLUDE(*fields)``."""

    type: ProjectionType
    fields: tuple[str, ...] = ()


ALL = Projection("ALL")
KEYS_ONLY = Projection("KEYS_ONLY")


def INCLUDE(*fields: str) -> Projection:  # noqa: N802 - reads like the DynamoDB constant
    """An index projection that copies the keys plus the named model fields."""
    return Projection("INCLUDE", tuple(fields))


@dataclass(frozen=True)
class KeyTemplate:
    """A composite key stored under ``attribute``, rendered from model fields.

    ``KeyTemplate("pk", "TENANT#{tenant_id}#USER#{user_id}")`` stores ``pk`` as a string built
    from the two fields; every read and write that needs this key must supply all of them.

    A rendered key must name one set of field values only, or ``tenant_id="acme"``,
    ``user_id="x#USER#y"`` and ``tenant_id="acme#USER#x"``, ``user_id="y"`` would name the same
    item. So the template's *separators* (every character of its literal text that is not a
    letter or a digit: ``#`` here) may not appear in any value rendered into it: such a value
    is refused with ``KeyValueError`` before anything is sent. Fields must be separated by
    literal text holding at least one separator (checked when the model is defined); then the
    separators of a key are exactly the template's own, and the key reads back unambiguously.
    """

    attribute: str
    pattern: str
    fields: tuple[str, ...] = field(init=False)
    literals: tuple[str, ...] = field(init=False, repr=False, compare=False)
    """The literal text before, between and after the fields (``len(fields) + 1`` parts)."""
    separators: str = field(init=False, repr=False, compare=False)
    """The characters no rendered value may contain: the punctuation of the literal text."""
    formatted: bool = field(init=False, repr=False, compare=False)
    """True when a field carries a format spec or conversion (``{n:05}``, ``{x!r}``)."""
    _shape: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _prefix_shape: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names: list[str] = []
        literals: list[str] = []
        text = ""
        formatted = False
        for literal, name, spec, conversion in string.Formatter().parse(self.pattern):
            text += literal
            if name is not None:
                literals.append(text)
                names.append(name)
                text = ""
                formatted = formatted or bool(spec) or bool(conversion)
        literals.append(text)
        separators = "".join(sorted({c for c in "".join(literals) if not c.isalnum()}))
        set_ = object.__setattr__
        set_(self, "fields", tuple(names))
        set_(self, "literals", tuple(literals))
        set_(self, "separators", separators)
        set_(self, "formatted", formatted)
        value = f"[^{re.escape(separators)}]" if separators else "."
        full = re.escape(literals[0]) + "".join(
            f"{value}+" + re.escape(lit) for lit in literals[1:]
        )
        set_(self, "_shape", re.compile(full, re.DOTALL))
        set_(self, "_prefix_shape", re.compile(_prefix_pattern(literals, value), re.DOTALL))

    def renders(self, text: str, *, prefix: bool = False) -> bool:
        """True when ``text`` is a key this template renders from separator-free values (with
        ``prefix``: the beginning of one)."""
        shape = self._prefix_shape if prefix else self._shape
        return shape.fullmatch(text) is not None


def _prefix_pattern(literals: list[str], value: str) -> str:
    """A regex matching every beginning of a rendered key: literals cut anywhere, the value in
    progress cut anywhere (built from the end, so each part nests the rest)."""
    rest = ""
    for position in range(len(literals) - 1, -1, -1):
        literal = literals[position]
        cut = "|".join(re.escape(literal[:k]) for k in range(len(literal)))
        rest = f"(?:{re.escape(literal)}{rest}|(?:{cut}))" if literal else rest
        if position:
            rest = f"(?:{value}+{rest}|{value}*)"
    return rest


KeySpec = str | KeyTemplate

MAX_KEY_ATTRIBUTES = 4
"""A GSI's partition key and its sort key may each be made of up to this many attributes."""

IndexKeySpec = KeySpec | tuple[str, ...]
"""A GSI key: a field name, a ``KeyTemplate``, or a tuple of up to four field names (a native
multi-attribute key: each field stored as its own attribute, of its own type)."""


@dataclass(frozen=True)
class GSI:
    """A global secondary index declared in ``Meta.gsis``.

    ``partition_key`` and ``sort_key`` are each a field name, a ``KeyTemplate``, or a tuple of
    up to four field names: a *native multi-attribute key* (DynamoDB, since November 2025),
    where every field keeps its own attribute and type, and the index key is made of them in
    order. ``GSI("by-tenant-status", partition_key=("tenant_id", "region"),
    sort_key=("status", "created_at"))``: a query gives every partition field (equality) and
    conditions on a prefix of the sort fields, left to right, the last one may be a range.
    """

    name: str
    partition_key: IndexKeySpec
    sort_key: IndexKeySpec | None = None
    projection: Projection = ALL


@dataclass(frozen=True)
class LSI:
    """A local secondary index declared in ``Meta.lsis`` (same partition key as the table)."""

    name: str
    sort_key: KeySpec
    projection: Projection = ALL
