"""Document paths: strict parsing of ``a.b[2].c`` and resolution against a model.

A path is written with Python field names. Resolution walks the model's pydantic fields (and
the element types of lists, tuples and dicts, through ``Optional`` and unions), translates each
segment to its stored attribute name (the pydantic alias at every level) and fails early, with
a suggestion, when a segment names nothing: a typo must never become a condition that is
silently always false or an update that writes a stray attribute.
"""

from __future__ import annotations

import collections
import collections.abc as cabc
import dataclasses
import datetime as dt
import difflib
import enum
import functools
import inspect
import types
import typing
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from typing_extensions import is_typeddict

from .._redact import loc_text, shown
from ..codec import BY_NAME, plain_data
from ..errors import ValidationError
from ..keys import domain_field_validator
from ..model import schema_of
from ..schema import KeyAttribute

Segment = str | int
"""A map key / attribute name (str) or a list index (int)."""

_UNIONS: tuple[Any, ...] = (Union, types.UnionType)
_MAPPINGS: tuple[Any, ...] = (
    dict,
    cabc.Mapping,
    cabc.MutableMapping,
    collections.defaultdict,
    collections.OrderedDict,
)
_SEQUENCES: tuple[Any, ...] = (list, cabc.Sequence, cabc.MutableSequence)
_SETS: tuple[Any, ...] = (set, frozenset, cabc.Set, cabc.MutableSet)

# Values are written with field names (like paths), and an unknown key in a dict for a nested
# model is a typo, not data to drop. Older pydantic versions lack these options: use what exists.
_VALIDATE_OPTIONS: dict[str, Any] = {
    name: value
    for name, value in {"by_alias": True, "by_name": True, "extra": "forbid"}.items()
    if name in inspect.signature(TypeAdapter.validate_python).parameters
}

Kind = Literal["any", "map", "list", "set", "number", "string", "binary", "bool", "null"]


@dataclass(frozen=True)
class Path:
    """A parsed document path: names (str) and list indexes (int), starting with a name.

    ``foreign``: the path names an attribute the model does not declare (another service's,
    on a shared table), used as written and compared untyped (``Attr.foreign(...)``).
    """

    segments: tuple[Segment, ...]
    foreign: bool = False

    def __post_init__(self) -> None:
        if not self.segments or not isinstance(self.segments[0], str):
            raise ValidationError(
                f"a path must start with an attribute name, got {self.segments!r}"
            )
        for segment in self.segments:
            if isinstance(segment, bool) or not isinstance(segment, (str, int)):
                raise ValidationError(f"path segment {segment!r} is neither a name nor an index")
            if isinstance(segment, str) and not segment:
                raise ValidationError(f"path {self.segments!r} has an empty name segment")
            if isinstance(segment, int) and segment < 0:
                raise ValidationError(f"path {self.segments!r} has a negative list index")

    @classmethod
    def of(cls, *segments: Segment) -> Path:
        """A path from raw segments, for map keys that contain ``.`` or ``[``."""
        return cls(tuple(segments))

    def __str__(self) -> str:
        out = []
        for segment in self.segments:
            if isinstance(segment, int):
                out.append(f"[{segment}]")
            else:
                out.append(("." if out else "") + segment)
        return "".join(out)

    def overlaps(self, other: Path) -> bool:
        """True when one path is the other or lies inside it (``a`` and ``a.b``)."""
        shorter = min(len(self.segments), len(other.segments))
        return self.segments[:shorter] == other.segments[:shorter]


def parse_path(path: str | Path) -> Path:
    """Parse ``name(.name|[index])*`` strictly: no empty names, indexes are plain decimals."""
    if isinstance(path, Path):
        return path
    if not isinstance(path, str):
        raise ValidationError(f"an attribute path must be a str, got {type(path).__name__}")
    return _parse(path)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> Path:
    segments: list[Segment] = []
    i, n = 0, len(text)
    while True:
        j = i
        while j < n and text[j] not in ".[]":
            j += 1
        if j == i:
            where = "at the start" if i == 0 else f"at position {i}"
            raise _bad(text, f"empty attribute name {where}")
        segments.append(text[i:j])
        i = j
        while i < n and text[i] == "[":
            close = text.find("]", i)
            if close < 0:
                raise _bad(text, f"'[' at position {i} is never closed")
            digits = text[i + 1 : close]
            if not (digits.isascii() and digits.isdigit()):
                raise _bad(text, f"list index {digits!r} is not a non-negative integer")
            if len(digits) > 1 and digits[0] == "0":
                raise _bad(text, f"list index {digits!r} has a leading zero")
            segments.append(int(digits))
            i = close + 1
        if i == n:
            return Path(tuple(segments))
        if text[i] != ".":
            raise _bad(text, f"unexpected {text[i]!r} at position {i}")
        i += 1


def _bad(text: str, why: str) -> ValidationError:
    return ValidationError(
        f"invalid attribute path {text!r}: {why}; write paths like 'settings.retries', "
        "'tags[0]' or 'a.b[2].c'"
    )


@dataclass(frozen=True)
class ResolvedPath:
    """A path checked against a model: stored names per segment and the leaf's type."""

    model: type[BaseModel]
    path: Path
    stored: tuple[Segment, ...]
    annotation: Any
    """The leaf's annotation (with field constraints) for value validation; ``Any`` if unknown."""
    kinds: frozenset[Kind]
    """What the leaf can hold: ``{"number"}``, ``{"list", "null"}``, ``{"any"}``..."""
    key: KeyAttribute | None
    """The table/index key stored at this path (top-level key attributes only)."""

    @property
    def model_name(self) -> str:
        return self.model.__name__

    def accepts(self, *kinds: Kind) -> bool:
        """True when the leaf may hold one of ``kinds`` (always true for an untyped leaf)."""
        return "any" in self.kinds or not self.kinds.isdisjoint(kinds)

    @property
    def typed(self) -> bool:
        """False for an untyped leaf (``Any``, a foreign attribute): any value may be there."""
        return "any" not in self.kinds

    @functools.cached_property
    def _adapter(self) -> TypeAdapter[Any] | None:
        if self.annotation is Any:
            return None
        return TypeAdapter(self.annotation)

    @functools.cached_property
    def bare(self) -> Any:
        """The leaf's type without its constraints (``max_length``, ``ge``...): what a value
        compared with the leaf (``<``, ``between``) must be, though not a value it may hold."""
        annotation = self.annotation
        while get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        return annotation

    @functools.cached_property
    def _bare_adapter(self) -> TypeAdapter[Any] | None:
        return None if self.bare is Any else TypeAdapter(self.bare)

    @functools.cached_property
    def element(self) -> Any:
        """The element type when the leaf is a list, tuple or set (for ``contains``); None
        when it cannot hold elements."""
        found: list[Any] = []
        for t in _candidates(self.annotation):
            origin = get_origin(t) or t
            args = get_args(t)
            if _is_any(t) or t in (list, tuple, set, frozenset):
                return Any
            if origin is tuple:
                found.extend(a for a in args if a is not Ellipsis)
            elif origin is not str and (origin in _SEQUENCES or origin in _SETS):
                found.append(args[0] if args else Any)
        if not found:
            return None
        if any(_is_any(f) for f in found):
            return Any
        return found[0] if len(found) == 1 else Union[tuple(found)]  # noqa: UP007

    @functools.cached_property
    def element_kinds(self) -> frozenset[Kind]:
        """What an element of the leaf can hold (``{"any"}`` when untyped or not a list)."""
        element = self.element
        if element is None or element is Any:
            return frozenset({"any"})
        return frozenset(k for c in _candidates(element) for k in _kinds(c))

    @property
    def type_text(self) -> str:
        """The leaf's type for messages: ``int``, ``datetime | None``, ``list[str]``."""
        names = ("None" if c is type(None) else _describe(c) for c in _candidates(self.bare))
        return " | ".join(names)

    @functools.cached_property
    def _element_adapter(self) -> TypeAdapter[Any] | None:
        element = self.element
        return None if element is None or element is Any else TypeAdapter(element)

    def validate(self, value: Any, what: str) -> Any:
        """``value`` validated (and coerced) as the leaf's type, or a ValidationError."""
        return self._validate_with(self._adapter, value, what)

    def validate_bare(self, value: Any, what: str) -> Any:
        """``value`` validated as the leaf's type without its constraints (see ``bare``)."""
        return self._validate_with(self._bare_adapter, value, what)

    def validate_element(self, value: Any, what: str) -> Any:
        """``value`` validated as an element of the leaf (a list, tuple or set)."""
        return self._validate_with(self._element_adapter, value, what)

    def _validate_with(self, adapter: TypeAdapter[Any] | None, value: Any, what: str) -> Any:
        if adapter is None:
            return value
        try:
            return adapter.validate_python(plain_data(value), **_VALIDATE_OPTIONS)
        except PydanticValidationError as exc:
            details = "; ".join(
                (loc_text(e["loc"]) + ": " if e["loc"] else "") + e["msg"]
                for e in exc.errors(include_url=False)
            )
            raise self.error(
                f"{what} {shown(value)} is not valid for this field: {details}"
            ) from None

    def validate_whole(self, value: Any, what: str) -> Any:
        """Like ``validate``, but a whole top-level field value goes through the model's own
        rules for that field (its ``field_validator``s too), as a DTO value would. Nested
        models in ``value`` are validated as plain data: one built with ``model_construct``
        is checked like any other value."""
        segments = self.path.segments
        if len(segments) != 1 or segments[0] not in self.model.model_fields:
            return self.validate(value, what)
        try:
            return domain_field_validator(self.model, str(segments[0]))(
                plain_data(value), **BY_NAME
            )
        except PydanticValidationError as exc:
            details = "; ".join(
                (loc_text(e["loc"]) + ": " if e["loc"] else "") + e["msg"]
                for e in exc.errors(include_url=False)
            )
            raise self.error(
                f"{what} {shown(value)} is not valid for this field: {details}"
            ) from None

    def error(self, message: str) -> ValidationError:
        return ValidationError(message, model=self.model_name, field=str(self.path))


def resolve(model: type[BaseModel], path: str | Path) -> ResolvedPath:
    """Resolve ``path`` against ``model``; a ValidationError names the model, path and fix."""
    return _resolve(model, parse_path(path))


@functools.lru_cache(maxsize=4096)
def _resolve(model: type[BaseModel], path: Path) -> ResolvedPath:
    _check_names(model, path)
    if path.foreign:
        return _foreign(model, path)
    schema = schema_of(model)
    first = path.segments[0]
    assert isinstance(first, str)
    info = model.model_fields.get(first)
    key: KeyAttribute | None = None
    if info is not None:
        stored: list[Segment] = [schema.field_attributes[first]]
        annotation = _field_annotation(info.annotation, info.metadata)
        candidates = _candidates(info.annotation)
    elif first in schema.index_key_attributes and schema.index_key_attributes[first].template:
        # A composite key attribute (KeyTemplate): not a field, but a real stored string.
        stored, annotation, candidates = [first], str, (str,)
    else:
        raise _unknown(model, path, first, model.__name__, [model])
    if len(path.segments) == 1:
        key = schema.index_key_attributes.get(str(stored[0]))
    for position, segment in enumerate(path.segments[1:], start=1):
        prefix = str(Path(path.segments[:position]))
        if isinstance(segment, int):
            annotation, candidates = _index(model, path, prefix, candidates, segment)
            stored.append(segment)
        else:
            name, annotation, candidates = _member(model, path, prefix, candidates, segment)
            stored.append(name)
    kinds = frozenset(k for c in candidates for k in _kinds(c))
    return ResolvedPath(model, path, tuple(stored), annotation, kinds, key)


def safe_text(path: Path) -> str:
    """``str(path)`` that can always be printed or logged: text that is not valid Unicode (a
    lone surrogate) is written as its escape (``\\ud800``)."""
    text = str(path)
    return text if text.isascii() else text.encode("utf-8", "backslashreplace").decode("utf-8")


def _check_names(model: type[BaseModel], path: Path) -> None:
    """Refuse a name DynamoDB cannot store: text that is not valid Unicode. An item holding
    such a map key cannot be read back (DynamoDB Local fails every later read of it), so it
    is refused before sending, as it is in values."""
    for position, segment in enumerate(path.segments):
        if not isinstance(segment, str) or segment.isascii():
            continue
        try:
            segment.encode()
        except UnicodeEncodeError as exc:
            raise ValidationError(
                f"path segment {position} has a lone surrogate (U+{ord(segment[exc.start]):04X} "
                f"at position {exc.start}), which is not valid Unicode; DynamoDB stores names "
                "as UTF-8, and an item holding such a name could not be read back. Clean the "
                "name first (e.g. decode bytes with errors='replace')",
                model=model.__name__,
                field=safe_text(path),
            ) from None


def _foreign(model: type[BaseModel], path: Path) -> ResolvedPath:
    """An attribute the model does not declare (``Attr.foreign``): stored as named, untyped.
    A name the model does declare is refused: its values are checked through ``Attr``."""
    schema = schema_of(model)
    first = path.segments[0]
    declared = None
    if first in model.model_fields:
        declared = f"field {first!r}"
    elif first in schema.attribute_fields:
        declared = f"the stored name of field {schema.attribute_fields[str(first)]!r}"
    elif first in schema.index_key_attributes:
        declared = "a key attribute of the table or an index"
    if declared is not None:
        raise ValidationError(
            f"Attr.foreign({str(path)!r}): {first!r} is {declared} of {model.__name__}, so it "
            f"is not foreign; use Attr({str(Path(path.segments))!r}), which checks the value "
            "against the field's type",
            model=model.__name__,
            field=str(path),
        )
    return ResolvedPath(model, path, path.segments, Any, frozenset({"any"}), None)


def _field_annotation(annotation: Any, metadata: list[Any]) -> Any:
    """The annotation to validate values with: the field's type plus its constraints."""
    if metadata:
        params = (annotation, *metadata)
        return Annotated[params]
    return annotation


def _candidates(annotation: Any) -> tuple[Any, ...]:
    """The concrete types an annotation allows: unions flattened, Annotated unwrapped."""
    out: list[Any] = []
    stack = [annotation]
    while stack:
        current = stack.pop(0)
        origin = get_origin(current)
        if origin is Annotated:
            stack.insert(0, get_args(current)[0])
        elif origin in _UNIONS:
            stack[0:0] = list(get_args(current))
        elif _type_alias_value(current) is not None:
            stack.insert(0, _type_alias_value(current))
        else:
            out.append(current)
    return tuple(out)


def _type_alias_value(annotation: Any) -> Any:
    alias_type = getattr(typing, "TypeAliasType", None)
    if alias_type is not None and isinstance(annotation, alias_type):
        return annotation.__value__
    return None


def _is_any(t: Any) -> bool:
    return t is Any or t is object or isinstance(t, typing.TypeVar)


def _is_model(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, BaseModel)


def _member(
    model: type[BaseModel], path: Path, prefix: str, candidates: tuple[Any, ...], name: str
) -> tuple[str, Any, tuple[Any, ...]]:
    """Step into ``.name`` of each candidate type; keep those that have such a member."""
    found: list[tuple[str, Any, Any]] = []
    models: list[Any] = []
    for t in candidates:
        origin = get_origin(t) or t
        if _is_any(t):
            found.append((name, Any, Any))
        elif _is_model(t):
            info = t.model_fields.get(name)
            if info is None:
                models.append(t)
            else:
                found.append(
                    (
                        info.alias or name,
                        _field_annotation(info.annotation, info.metadata),
                        info.annotation,
                    )
                )
        elif origin in _MAPPINGS:
            args = get_args(t)
            value = args[1] if len(args) == 2 else Any
            found.append((name, value, value))
        elif is_typeddict(t) or dataclasses.is_dataclass(t):
            hints = typing.get_type_hints(t, include_extras=True)
            if name in hints:
                found.append((name, hints[name], hints[name]))
            else:
                models.append(t)
    if not found:
        if models:
            raise _unknown(model, path, name, f"{_describe(models[0])} (at {prefix!r})", models)
        raise ValidationError(
            f"{prefix!r} is {_describe_all(candidates)}, which has no named members; "
            "only nested models and dicts can be followed by '.name'",
            model=model.__name__,
            field=str(path),
        )
    names = {stored for stored, _, _ in found}
    if len(names) > 1:
        raise ValidationError(
            f"segment {name!r} is stored under different names in the members of the union "
            f"at {prefix!r} ({', '.join(sorted(names))}); give the models the same alias",
            model=model.__name__,
            field=str(path),
        )
    return _combine(names.pop(), found)


def _index(
    model: type[BaseModel], path: Path, prefix: str, candidates: tuple[Any, ...], index: int
) -> tuple[Any, tuple[Any, ...]]:
    """Step into ``[index]`` of each candidate list/tuple type."""
    found: list[tuple[str, Any, Any]] = []
    for t in candidates:
        origin = get_origin(t) or t
        args = get_args(t)
        if _is_any(t) or t in (list, tuple):
            found.append(("", Any, Any))
        elif origin in _SEQUENCES and origin is not str:
            element = args[0] if args else Any
            found.append(("", element, element))
        elif origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                found.append(("", args[0], args[0]))
            elif index < len(args):
                found.append(("", args[index], args[index]))
    if not found:
        fixed = [t for t in candidates if get_origin(t) is tuple]
        why = (
            f"index {index} is out of range for {_describe_all(tuple(fixed))}"
            if fixed
            else f"{prefix!r} is {_describe_all(candidates)}, not a list; only list and tuple "
            "fields can be indexed with [n]"
        )
        raise ValidationError(why, model=model.__name__, field=str(path))
    _, annotation, flat = _combine("", found)
    return annotation, flat


def _combine(stored: str, found: list[tuple[str, Any, Any]]) -> tuple[str, Any, tuple[Any, ...]]:
    annotations = [a for _, a, _ in found]
    if any(a is Any for a in annotations):
        annotation: Any = Any
    elif len(annotations) == 1:
        annotation = annotations[0]
    else:
        annotation = Union[tuple(annotations)]  # noqa: UP007 - built from a runtime tuple
    flat = tuple(c for _, _, raw in found for c in _candidates(raw))
    return stored, annotation, flat


def _unknown(
    model: type[BaseModel], path: Path, name: str, owner: str, containers: list[Any]
) -> ValidationError:
    known: list[str] = []
    aliases: dict[str, str] = {}
    for container in containers:
        if _is_model(container):
            for field_name, info in container.model_fields.items():
                known.append(field_name)
                if info.alias:
                    aliases[info.alias] = field_name
        else:
            known.extend(typing.get_type_hints(container))
    if name in aliases:
        hint = f"; {name!r} is the stored name of field {aliases[name]!r}: use the field name"
    else:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
    return ValidationError(
        f"{owner} has no field {name!r} (in path {str(path)!r}){hint}",
        model=model.__name__,
        field=str(path),
    )


def kinds_of(t: Any) -> tuple[Kind, ...]:
    """What DynamoDB type(s) values of the Python type ``t`` are stored as (``("any",)`` when
    it cannot say)."""
    return _kinds(t)


def _kinds(t: Any) -> tuple[Kind, ...]:
    """What DynamoDB type(s) a Python type is stored as, as far as update rules care."""
    if _is_any(t):
        return ("any",)
    if t is None or t is type(None):
        return ("null",)
    origin = get_origin(t)
    if origin is Literal:
        return tuple(k for v in get_args(t) for k in _kinds(type(v)))
    if origin is not None:
        if origin in _MAPPINGS:
            return ("map",)
        if origin in _SETS:
            return ("set",)
        if origin in _SEQUENCES or origin is tuple:
            return ("list",)
        return ("any",)
    if not isinstance(t, type):
        return ("any",)
    if issubclass(t, enum.Enum):
        return tuple({k for m in t for k in _kinds(type(m.value))})
    for bases, kind in _SCALAR_KINDS:
        if issubclass(t, bases):
            return (kind,)
    if _is_model(t) or is_typeddict(t) or dataclasses.is_dataclass(t):
        return ("map",)
    return ("any",)


_SCALAR_KINDS: tuple[tuple[tuple[type, ...], Kind], ...] = (
    ((bool,), "bool"),
    ((int, float, Decimal), "number"),
    ((str, dt.date, dt.time, uuid.UUID), "string"),
    ((bytes, bytearray), "binary"),
    ((list, tuple), "list"),
    ((set, frozenset), "set"),
    ((dict,), "map"),
)


def _describe(t: Any) -> str:
    if isinstance(t, type):
        return t.__name__
    return repr(t).replace("typing.", "")


def _describe_all(candidates: tuple[Any, ...]) -> str:
    names = [_describe(c) for c in candidates if c is not type(None)]
    return "a " + " | ".join(names) if names else "None"
