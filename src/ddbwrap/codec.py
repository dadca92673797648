"""Python values <-> DynamoDB AttributeValues: the hot path, dispatched on exact type.

Storage rules (documented in docs/concepts.md):
- datetimes are stored in UTC as fixed-width ISO-8601 (``2026-11-22T00:21:25.000000Z``), which
  sorts by instant; naive datetimes are refused unless the model sets ``naive_datetime_zone``;
- numbers are exact: ints and Decimals keep every digit, floats use their shortest repr; NaN,
  Infinity, more than 38 significant digits, or a magnitude outside 1E-130..<1E+126 are refused;
- booleans used as table or index keys are stored as ``"true"``/``"false"`` (keys cannot be BOOL);
- empty sets are omitted (DynamoDB rejects them) and read back as empty sets; inside a list, a map
  or a nested model, where omitting would lose the entry, an empty set is stored as an empty list
  (which a typed field reads back as a set; inside an untyped part, ``dict[str, Any]``, it is
  refused, since it would read back as a list);
- a ``None`` field is omitted from the item (an update REMOVEs it), so that a GSI added later on
  the field never meets a NULL key; ``Meta.store_none = True`` (every field) or an
  ``Annotated[..., StoreNull()]`` marker stores NULL instead, as does a field whose default is
  not None (a missing attribute would read back as that default). Index keys are never NULL; a
  table key can never be None or empty. Inside lists, maps and nested models None stays NULL.
  Reads treat a missing attribute and a NULL one alike (a NULL in a field that does not accept
  None reads as missing: its default);
- a naive datetime *read* from an item (written by another service without an offset) is taken
  to be in ``Meta.naive_datetime_zone`` (UTC when undeclared) and returned aware, in UTC;
- values nest at most 32 levels, counted like DynamoDB does: the item is level 1, so a top-level
  attribute may hold 31 nested lists/maps (sets are not a level);
- an item is at most 400 KB, counted like DynamoDB does (see ``item_size``).
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import marshal
import math
import typing
import uuid
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from decimal import Decimal
from typing import Any, Generic, TypeVar, get_args, get_origin

from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from ._redact import loc_text, redacting, shown, shown_text
from .annotations import is_optional, stores_null, strip_optional
from .errors import CorruptItemError, ItemTooLargeError, KeyValueError, ValidationError
from .meta import KeyTemplate
from .model import schema_of
from .schema import KeyAttribute, TableSchema
from .upcast import item_upcaster

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]


class EncodedItem(dict[str, AttributeValue]):
    """An item ``ItemCodec.encode`` built (or the ``ExpressionAttributeValues`` of an
    expression, whose values the codec encoded): every value a well-formed AttributeValue by
    construction, so the direct transport's request check (``fastpath``) takes it as it is
    instead of walking it again."""

    __slots__ = ()


class EncodedWrite(dict[str, Any]):
    """A batch write request around an ``EncodedItem`` (``{"PutRequest": {"Item": item}}``,
    ``{"DeleteRequest": {"Key": key}}``): well-formed by construction, taken as it is by the
    request check like the item."""

    __slots__ = ()


def encoded_write(kind: str, member: str, item: Mapping[str, Any]) -> dict[str, Any]:
    """The WriteRequest ``{kind: {member: item}}``, marked ``EncodedWrite`` when ``item`` is an
    ``EncodedItem`` (an item hooks added attributes to is checked as sent)."""
    request = {kind: {member: item}}
    return EncodedWrite(request) if type(item) is EncodedItem else request


M = TypeVar("M", bound=BaseModel)
B = TypeVar("B", bound=BaseModel)

MAX_ITEM_BYTES = 400 * 1024
MAX_DEPTH = 32
"""DynamoDB's nesting limit in levels; the item itself is level 1 (measured on DynamoDB Local)."""
MAX_DIGITS = 38
_INT_LIMIT = 10**MAX_DIGITS
_UTC = dt.timezone.utc
_NULL: AttributeValue = {"NULL": True}
_MINUTE = dt.timedelta(minutes=1)

Encoder = Callable[[Any, int, "dt.tzinfo | None"], "AttributeValue | None"]


def encode_value(value: object, *, zone: dt.tzinfo | None = None) -> AttributeValue | None:
    """The AttributeValue of a top-level attribute's ``value``, or None when it must be omitted
    (an empty set)."""
    return _encode(value, 1, zone)


def _encode(value: Any, depth: int, zone: dt.tzinfo | None) -> AttributeValue | None:
    encoder = _ENCODERS.get(type(value))
    if encoder is None:
        encoder = _resolve_encoder(type(value))
    return encoder(value, depth, zone)


def _str(value: str, depth: int, zone: dt.tzinfo | None) -> AttributeValue:
    if not value.isascii():
        check_text(value)
    return {"S": value}


def check_text(value: str) -> str:
    """``value`` itself when it is valid Unicode (so encodable as UTF-8, as DynamoDB stores
    text); a lone surrogate, e.g. from bytes decoded with ``surrogateescape``, is refused."""
    try:
        value.encode()
    except UnicodeEncodeError as exc:
        raise ValidationError(
            f"text has a lone surrogate (U+{ord(value[exc.start]):04X} at position "
            f"{exc.start}), which is not valid Unicode; DynamoDB stores UTF-8: clean it first "
            "(e.g. decode bytes with errors='replace')"
        ) from None
    return value


def _bool(value: bool, depth: int, zone: dt.tzinfo | None) -> AttributeValue:
    return {"BOOL": value}


def _none(value: None, depth: int, zone: dt.tzinfo | None) -> AttributeValue:
    return _NULL


def _int(value: int, depth: int, zone: dt.tzinfo | None) -> AttributeValue:
    if -_INT_LIMIT < value < _INT_LIMIT:
        return {"N": str(value)}
    return {"N": number_text(Decimal(value))}


def _float(value: float, depth: int, zone: dt.tzinfo | None) -> AttributeValue:
    return {"N": float_text(value)}


def _decimal(value: Decimal, depth: int, zone: dt.tzinfo | None) -> AttributeValue:
    return {"N": number_text(value)}


def _bytes(value: bytes, depth: int, zone: dt.tzinfo | None) -> AttributeValue:
    return {"B": bytes(value)}


def _datetime(value: dt.datetime, depth: int, zone: dt.tzinfo | None) -> AttributeValue:
    return {"S": datetime_text(value, zone)}


def _date(value: dt.date, depth: int, zone: dt.tzinfo | None) -> AttributeValue:
    return {"S": value.isoformat()}


def _time(value: dt.time, depth: int, zone: dt.tzinfo | None) -> AttributeValue:
    if value.tzinfo is not None:
        offset = value.utcoffset()
        if offset is None:
            raise ValidationError(
                f"time {shown_text(str(value))} has a time zone without a fixed offset "
                f"({value.tzinfo}), which isoformat would silently drop; use a fixed-offset "
                "timezone or a naive time"
            )
        if offset % _MINUTE:
            raise ValidationError(
                f"time {shown_text(str(value))} has a UTC offset of {offset}, which ISO-8601 "
                "cannot write; offsets must be whole minutes"
            )
    return {"S": value.isoformat()}


def _uuid(value: uuid.UUID, depth: int, zone: dt.tzinfo | None) -> AttributeValue:
    return {"S": str(value)}


def _list(value: list[Any] | tuple[Any, ...], depth: int, zone: dt.tzinfo | None) -> AttributeValue:
    if depth >= MAX_DEPTH:
        raise _too_deep()
    depth += 1
    out: list[AttributeValue] = []
    for element in value:
        if type(element) is str and element.isascii():
            out.append({"S": element})
            continue
        av = _encode(element, depth, zone)
        out.append({"L": []} if av is None else av)  # an empty set
    return {"L": out}


def _dict(value: Mapping[Any, Any], depth: int, zone: dt.tzinfo | None) -> AttributeValue:
    if depth >= MAX_DEPTH:
        raise _too_deep()
    depth += 1
    out: dict[str, AttributeValue] = {}
    for raw_key, element in value.items():
        key = raw_key if type(raw_key) is str and raw_key.isascii() else _map_key(raw_key)
        if not key:
            raise ValidationError("map keys cannot be empty strings (DynamoDB refuses them)")
        if type(element) is str and element.isascii():
            out[key] = {"S": element}
            continue
        av = _encode(element, depth, zone)
        out[key] = {"L": []} if av is None else av  # an empty set: keep the entry
    return {"M": out}


def _map_key(raw_key: object) -> str:
    key = raw_key.value if isinstance(raw_key, enum.Enum) else raw_key
    if not isinstance(key, str):
        raise ValidationError(f"map keys must be strings, got {type(key).__name__} {shown(key)}")
    return key if key.isascii() else check_text(key)


def _set(
    value: set[Any] | frozenset[Any], depth: int, zone: dt.tzinfo | None
) -> AttributeValue | None:
    if not value:
        return None
    types = {type(v) for v in value}
    if len(types) == 1:  # the common case, without a per-member issubclass
        only = next(iter(types))
        if only is str:
            return {"SS": [v if v.isascii() else check_text(v) for v in value]}
        if only is int:
            return {"NS": [_encode_number(v) for v in value]}
        if only is bytes:
            return {"BS": list(value)}
    kinds = {_set_kind(t) for t in types}
    if len(kinds) != 1 or None in kinds:
        names = sorted({type(v).__name__ for v in value})
        raise ValidationError(
            f"a set must hold only strings, only numbers or only bytes; got {', '.join(names)}"
        )
    kind = kinds.pop()
    if kind == "SS":
        texts = [v.value if isinstance(v, enum.Enum) else v for v in value]
        return {"SS": [t if t.isascii() else check_text(t) for t in texts]}
    if kind == "BS":
        return {"BS": [bytes(v) for v in value]}
    return {"NS": [_encode_number(v) for v in value]}


def _set_kind(t: type) -> str | None:
    if issubclass(t, bool):
        return None
    if issubclass(t, enum.Enum):
        return "SS" if issubclass(t, str) else None
    if issubclass(t, str):
        return "SS"
    if issubclass(t, (int, float, Decimal)):
        return "NS"
    if issubclass(t, (bytes, bytearray)):
        return "BS"
    return None


def _encode_number(value: int | float | Decimal) -> str:
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, int) and -_INT_LIMIT < value < _INT_LIMIT:
        return str(value)
    return number_text(Decimal(value))


def _model(value: BaseModel, depth: int, zone: dt.tzinfo | None) -> AttributeValue:
    if depth >= MAX_DEPTH:
        raise _too_deep()
    depth += 1
    out: dict[str, AttributeValue] = {}
    fields = value.__dict__
    for name, attribute in _attribute_plan(type(value)):
        field_value = fields[name]
        if type(field_value) is str and field_value.isascii():
            out[attribute] = {"S": field_value}
            continue
        av = _encode(field_value, depth, zone)
        out[attribute] = {"L": []} if av is None else av  # an empty set: keep the field
    return {"M": out}


def _enum(value: enum.Enum, depth: int, zone: dt.tzinfo | None) -> AttributeValue | None:
    return _encode(value.value, depth, zone)


_ENCODERS: dict[type, Encoder] = {
    str: _str,
    bool: _bool,
    type(None): _none,
    int: _int,
    float: _float,
    Decimal: _decimal,
    bytes: _bytes,
    bytearray: _bytes,
    dt.datetime: _datetime,
    dt.date: _date,
    dt.time: _time,
    uuid.UUID: _uuid,
    list: _list,
    tuple: _list,
    dict: _dict,
    set: _set,
    frozenset: _set,
}

_BY_BASE: tuple[tuple[type, Encoder], ...] = (
    (enum.Enum, _enum),
    (BaseModel, _model),
    (bool, _bool),
    (str, _str),
    (int, _int),
    (float, _float),
    (Decimal, _decimal),
    (dt.datetime, _datetime),
    (dt.date, _date),
    (uuid.UUID, _uuid),
    (bytes, _bytes),
    (list, _list),
    (tuple, _list),
    (dict, _dict),
    (Mapping, _dict),
    (set, _set),
    (frozenset, _set),
)


def _resolve_encoder(t: type) -> Encoder:
    """Find (and cache) the encoder of a subclass: enums, nested models, str subclasses..."""
    for base, encoder in _BY_BASE:
        if issubclass(t, base):
            _ENCODERS[t] = encoder
            return encoder
    raise ValidationError(
        f"values of type {t.__name__} cannot be stored in DynamoDB; use str, int, Decimal, "
        "float, bool, bytes, datetime, date, UUID, Enum, list, dict, set or a pydantic model"
    )


_PLANS: dict[type[BaseModel], tuple[tuple[str, str], ...]] = {}


def _attribute_plan(model: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    plan = _PLANS.get(model)
    if plan is None:
        plan = tuple((name, info.alias or name) for name, info in model.model_fields.items())
        _PLANS[model] = plan
    return plan


def _too_deep() -> ValidationError:
    return ValidationError(
        f"value is nested more than {MAX_DEPTH} levels deep, DynamoDB's limit; flatten it"
    )


# --- numbers, datetimes and keys -----------------------------------------------------------


def float_text(value: float) -> str:
    """The exact text of a float (its shortest repr), after DynamoDB's range checks."""
    if not math.isfinite(value):
        raise ValidationError(f"{value!r} cannot be stored: DynamoDB numbers must be finite")
    magnitude = abs(value)
    if magnitude and not 1e-130 <= magnitude < 1e126:
        raise ValidationError(
            f"{shown(value)} is outside DynamoDB's number range (1E-130 to 9.99E+125 in "
            "magnitude)"
        )
    return repr(value)


def number_text(value: Decimal) -> str:
    """The text of a Decimal after DynamoDB's checks: finite, <= 38 digits, in range."""
    if not value.is_finite():
        raise ValidationError(f"{value!r} cannot be stored: DynamoDB numbers must be finite")
    if not value:
        return "0"
    text = str(value)
    if len(text) <= MAX_DIGITS and "E" not in text:  # few digits, no exponent: in range
        return text
    digits = value.as_tuple().digits
    significant = len(digits)
    while significant > 1 and digits[significant - 1] == 0:
        significant -= 1
    if significant > MAX_DIGITS:
        raise ValidationError(
            f"{shown_text(str(value))} has {significant} significant digits; DynamoDB keeps at "
            f"most {MAX_DIGITS}"
        )
    adjusted = value.adjusted()
    if not -130 <= adjusted <= 125:
        raise ValidationError(
            f"{shown_text(str(value))} is outside DynamoDB's number range (1E-130 to 9.99E+125 "
            "in magnitude)"
        )
    return str(value)


def datetime_text(value: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """UTC, fixed-width ISO-8601 with microseconds and ``Z``: sorts in instant order."""
    if value.tzinfo is not _UTC:
        offset = value.utcoffset()
        if offset is None:
            if zone is None:
                raise ValidationError(
                    f"naive datetime {shown_text(value.isoformat())} has no time zone; pass "
                    "an aware datetime (e.g. datetime.now(timezone.utc)) or set "
                    "Meta.naive_datetime_zone"
                )
            value = value.replace(tzinfo=zone)
            offset = value.utcoffset()
        if offset:
            try:  # what astimezone(utc) does, without its second utcoffset() call
                value = value.replace(tzinfo=None) - offset
            except OverflowError:
                raise ValidationError(
                    f"datetime {shown_text(value.isoformat())} is outside years 1-9999 once "
                    "converted to UTC"
                ) from None
    # the fields joined from tables of their digits: about half of isoformat's time, which
    # formats through printf
    year = value.year
    micro = value.microsecond
    return (
        f"{year if year >= 1000 else f'{year:04d}'}-{_DIGITS2[value.month]}-"
        f"{_DIGITS2[value.day]}T{_DIGITS2[value.hour]}:{_DIGITS2[value.minute]}:"
        f"{_DIGITS2[value.second]}.{_DIGITS3[micro // 1000]}{_DIGITS3[micro % 1000]}Z"
    )


_DIGITS2 = tuple(f"{n:02d}" for n in range(100))
_DIGITS3 = tuple(f"{n:03d}" for n in range(1000))


def epoch_seconds(value: Any, *, zone: dt.tzinfo | None = None) -> int:
    """Whole epoch seconds of a TTL value: an aware datetime (or naive with ``zone``) or an int."""
    if isinstance(value, bool):
        raise ValidationError("a TTL value must be a datetime or epoch seconds, not a bool")
    if isinstance(value, int):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            if zone is None:
                raise ValidationError(
                    f"naive TTL datetime {shown_text(value.isoformat())} has no time zone; pass "
                    "an aware datetime or set Meta.naive_datetime_zone"
                )
            value = value.replace(tzinfo=zone)
        return int(value.timestamp())
    raise ValidationError(
        f"a TTL value must be a datetime or epoch seconds, not {type(value).__name__}"
    )


def ttl_value(value: Any, *, zone: dt.tzinfo | None = None) -> AttributeValue | None:
    """The stored form of a TTL field: ``{"N": epoch}``; None for None (attribute omitted)."""
    if value is None:
        return None
    return {"N": str(epoch_seconds(value, zone=zone))}


def encode_key_value(value: object, *, zone: dt.tzinfo | None = None) -> AttributeValue:
    """The key form of a value: S, N or B, never BOOL, NULL or an empty string."""
    if isinstance(value, bool):
        return {"S": "true" if value else "false"}
    if isinstance(value, enum.Enum):
        return encode_key_value(value.value, zone=zone)
    if isinstance(value, str):
        if not value:
            raise ValidationError("key values cannot be empty strings")
        return {"S": value if value.isascii() else check_text(value)}
    if isinstance(value, (int, float, Decimal)):
        return {"N": _encode_number(value)}
    if isinstance(value, (bytes, bytearray)):
        if not value:
            raise ValidationError("key values cannot be empty bytes")
        return {"B": bytes(value)}
    if isinstance(value, dt.datetime):
        return {"S": datetime_text(value, zone)}
    if isinstance(value, (dt.date, uuid.UUID)):
        return {"S": str(value)}
    if value is None:
        raise ValidationError("key values cannot be None")
    raise ValidationError(f"a {type(value).__name__} cannot be a key value")


def key_text(value: object, *, zone: dt.tzinfo | None = None) -> str:
    """The text a value takes inside a key template such as ``"TENANT#{tenant_id}"``."""
    av = encode_key_value(value, zone=zone)
    if "B" in av:
        raise ValidationError("bytes cannot be part of a key template")
    text: str = av.get("S") or av["N"]
    return text


def render_key(
    template: KeyTemplate,
    values: Mapping[str, object],
    *,
    model: str,
    zone: dt.tzinfo | None = None,
    leading: bool = False,
    exact: bool = False,
) -> str:
    """The text of a key template filled with field values: the one place a template is
    rendered (item and key encoding, query keys and prefixes, conditions).

    A value containing one of the template's separators is refused (``KeyValueError`` naming
    the model, the field and the separator, never the value): it would make the key name
    another set of values. With ``leading`` (a ``begins_with`` prefix) the fields may stop
    early: the text ends with the literal that follows the last field given, so the prefix
    matches exactly those values (``TENANT#acme#``, never ``TENANT#acme2#``); fields must be
    given from the left. With ``exact``, a name the template does not have is refused (for
    mappings written by a caller, not a model instance's values).
    """
    fields = template.fields
    literals = template.literals
    separators = template.separators
    out = [literals[0]]
    for position, name in enumerate(fields):
        value = values.get(name)
        if value is None:
            _stop(template, values, position, model=model, leading=leading)
            break
        if type(value) is str and value and value.isascii():
            text = value
        else:
            try:
                text = key_text(value, zone=zone)
            except ValidationError as exc:
                raise type(exc)(exc.message, model=model, field=name) from None
        for separator in separators:
            if separator in text:
                raise _separator_error(template, model, name, text)
        out.append(text)
        out.append(literals[position + 1])
    if exact:
        for name in values:
            if name not in fields:
                raise ValidationError(
                    f"is not part of key template {template.pattern!r} "
                    f"(its fields: {', '.join(fields)})",
                    model=model,
                    field=name,
                )
    return "".join(out)


def _stop(
    template: KeyTemplate, values: Mapping[str, object], position: int, *, model: str, leading: bool
) -> None:
    """A field without a value at ``position``: fine for a prefix that gives no later field."""
    fields = template.fields
    if not leading:
        missing = [name for name in fields if values.get(name) is None]
        raise ValidationError(
            f"key template {template.pattern!r} needs field(s) {', '.join(missing)}",
            model=model,
            field=missing[0],
        )
    later = [name for name in fields[position + 1 :] if values.get(name) is not None]
    if later:
        raise ValidationError(
            f"a prefix of key template {template.pattern!r} takes its fields from the left: "
            f"{later[0]} is given but {fields[position]} is not",
            model=model,
            field=fields[position],
        )


def _separator_error(template: KeyTemplate, model: str, field: str, text: str) -> KeyValueError:
    found = [c for c in template.separators if c in text]
    listed = " or ".join(repr(c) for c in found)
    allowed = "".join("\\" + c if c in "\\]^-[" else c for c in template.separators)
    return KeyValueError(
        f"the value may not contain {listed}: it separates the parts of key template "
        f"{template.pattern!r} (attribute {template.attribute!r}), so a value containing it "
        "could name another item's key. Choose a value without it, or constrain the field "
        f"(e.g. Field(pattern=r'^[^{allowed}]+$')) so that such values fail validation first",
        model=model,
        field=field,
        attribute=template.attribute,
        template=template.pattern,
    )


def check_key_text(template: KeyTemplate, text: str, *, model: str, prefix: bool = False) -> None:
    """Refuse a key text given as is (not rendered by ddbwrap) that the template cannot render
    from separator-free values (with ``prefix``: that no such key begins with)."""
    if template.renders(text, prefix=prefix):
        return
    what = "the beginning of a key" if prefix else "a key"
    raise KeyValueError(
        f"the text given for {template.attribute!r} is not {what} that key template "
        f"{template.pattern!r} renders (its parts are never empty and never contain "
        f"{' or '.join(repr(c) for c in template.separators) or 'a separator'}); pass the "
        f"fields as a mapping ({{{', '.join(repr(f) + ': ...' for f in template.fields)}}}) "
        "and ddbwrap renders and checks the key",
        model=model,
        attribute=template.attribute,
        template=template.pattern,
    )


# --- decoding ------------------------------------------------------------------------------


def decode_value(av: Mapping[str, Any]) -> Any:
    """The plain Python value of an AttributeValue (N -> int or Decimal; sets -> set)."""
    for tag in av:
        raw = av[tag]
        if tag == "S" or tag == "BOOL":  # noqa: PLR1714 - two == beat a tuple lookup here
            return raw
        if tag == "N":
            return _decode_number(raw)
        return _DECODERS[tag](raw)
    raise _empty_value()


# The walks below are the hot loop of every read: decode_value is inlined, with the common
# tags first, and each AttributeValue's one tag is read by iterating the dict and indexing it
# (cheaper than ``av.items()``).


def _decode_map(
    raw: Mapping[str, Mapping[str, Any]], only: frozenset[str] | None = None
) -> dict[str, Any]:
    """A map's values decoded (only the keys in ``only``, when given)."""
    out = {}
    for key, av in raw.items():
        if only is not None and key not in only:
            continue
        for tag in av:
            value = av[tag]
            if tag == "S" or tag == "BOOL":  # noqa: PLR1714
                out[key] = value
            elif tag == "N":  # _decode_number, inlined
                if "." in value or "e" in value or "E" in value:
                    out[key] = Decimal(value)
                else:
                    out[key] = int(value)
            elif tag == "M":
                out[key] = _decode_map(value)
            elif tag == "L":
                out[key] = _decode_list(value)
            elif tag == "SS":
                out[key] = set(value)
            else:
                out[key] = _DECODERS[tag](value)
            break
        else:
            raise _empty_value()
    return out


def _decode_list(raw: list[Mapping[str, Any]]) -> list[Any]:
    out = []
    for av in raw:
        for tag in av:
            value = av[tag]
            if tag == "S" or tag == "BOOL":  # noqa: PLR1714
                out.append(value)
            elif tag == "N":
                out.append(_decode_number(value))
            else:
                out.append(_DECODERS[tag](value))
            break
        else:
            raise _empty_value()
    return out


def _empty_value() -> ValidationError:
    return ValidationError("empty AttributeValue")


def _decode_number(text: str) -> int | Decimal:
    if "." in text or "e" in text or "E" in text:
        return Decimal(text)
    return int(text)


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "S": lambda raw: raw,
    "N": _decode_number,
    "BOOL": lambda raw: raw,
    "NULL": lambda raw: None,
    "B": bytes,
    "M": _decode_map,
    "L": _decode_list,
    "SS": set,
    "NS": lambda raw: {_decode_number(v) for v in raw},
    "BS": lambda raw: {bytes(v) for v in raw},
}


def decode_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A whole item as plain Python values keyed by attribute name."""
    return _decode_map(item)


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """DynamoDB's size of an item in bytes, as AWS documents it and DynamoDB Local enforces it.

    Names and strings count their UTF-8 bytes, binaries their length, BOOL and NULL 1 byte, a list
    or map 3 bytes plus 1 per element (plus the element names of a map), sets the sum of their
    members, and a number ``number_size`` bytes.
    """
    return sum(len(name.encode()) + _value_size(av) for name, av in item.items())


def size_upper_bound(item: Mapping[str, Mapping[str, Any]]) -> int:
    """A cheap number that is never below ``item_size(item)`` (about 1.2x it on small items).

    The item's compact JSON, by orjson in C (when installed): every value is written with its
    tag, quotes and braces, more than DynamoDB's one byte per element; strings as their UTF-8
    bytes (escapes only lengthen them), numbers as their text. Binary values (which orjson does
    not write) and installs without orjson take marshal (format 2: no back-references, so
    nothing is shared), which writes every string as its UTF-8 bytes plus 5, every bytes value
    as its length plus 5, and at least 1 byte per container element.
    """
    if _json is not None:
        try:
            return len(_json(item))
        except TypeError:  # bytes (or a lone surrogate): counted below
            pass
    data: Any = item if type(item) is dict else dict(item)  # marshal writes no subclass
    try:
        return len(marshal.dumps(data, 2))
    except ValueError:  # something marshal cannot write: count exactly
        return item_size(item)


_json: Callable[[Any], bytes] | None
try:
    from orjson import dumps as _json
except ImportError:  # pragma: no cover - depends on the environment
    _json = None


def number_size(text: str) -> int:
    """Bytes DynamoDB counts for a number: one per base-100 digit pair (pairs aligned on the
    decimal point, leading and trailing zeros trimmed), one for the exponent, and one more for a
    negative number with fewer than 20 pairs. Measured on DynamoDB Local; AWS documents it as
    "about 1 byte per two significant digits + 1"."""
    mantissa, _, exp = text.lower().partition("e")
    negative = mantissa[:1] == "-"
    if mantissa[:1] in ("-", "+"):
        mantissa = mantissa[1:]
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    significant = digits.rstrip("0")
    if not significant:
        return 1
    # the value is significant * 10**exponent
    exponent = (int(exp) if exp else 0) - len(fraction) + len(digits) - len(significant)
    pairs = (exponent + len(significant) - 1) // 2 - exponent // 2 + 1
    return pairs + 1 + (1 if negative and pairs < 20 else 0)


def _value_size(av: Mapping[str, Any]) -> int:
    for tag, raw in av.items():
        sizer = _SIZERS.get(tag)
        if sizer is None:
            raise ValidationError(f"unknown AttributeValue type {tag!r}")
        return sizer(raw)
    return 0


def _list_size(raw: list[Mapping[str, Any]]) -> int:
    return 3 + len(raw) + sum(_value_size(v) for v in raw)


def _map_size(raw: Mapping[str, Mapping[str, Any]]) -> int:
    return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in raw.items())


_SIZERS: dict[str, Callable[[Any], int]] = {
    "S": lambda raw: len(raw.encode()),
    "N": number_size,
    "B": len,
    "BOOL": lambda raw: 1,
    "NULL": lambda raw: 1,
    "SS": lambda raw: sum(len(s.encode()) for s in raw),
    "NS": lambda raw: sum(map(number_size, raw)),
    "BS": lambda raw: sum(map(len, raw)),
    "L": _list_size,
    "M": _map_size,
}


# --- whole items ---------------------------------------------------------------------------


_PLAIN, _INDEX_KEY, _TABLE_KEY, _TTL = 0, 1, 2, 3


_MISSING: Any = object()
BY_NAME: dict[str, Any] = (
    {"by_name": True}
    if "by_name" in inspect.signature(TypeAdapter.validate_python).parameters
    else {}
)
"""Validate nested models given as plain data by field name (pydantic >= 2.11)."""


def plain_data(value: Any) -> Any:
    """``value`` with every pydantic model in it turned into a dict of its field values, so
    that validating it validates the nested models too (pydantic passes an instance of the
    expected class through as it is, even one built with ``model_construct``)."""
    kind = type(value)
    if kind in _ATOMIC:
        return value
    if isinstance(value, BaseModel):
        if getattr(type(value), "__pydantic_root_model__", False):
            return plain_data(value.__dict__.get("root"))
        data = {name: plain_data(v) for name, v in value.__dict__.items()}
        extra = value.__pydantic_extra__
        if extra:
            data.update((name, plain_data(v)) for name, v in extra.items())
        if not BY_NAME:  # older pydantic: by alias, which it always accepts
            fields = type(value).model_fields
            data = {
                (fields[n].alias or n) if n in fields else n: v for n, v in data.items()
            }
        return data
    if kind is list or kind is tuple:
        return kind([plain_data(v) for v in value])
    if kind is dict:
        return {k: v if type(v) in _ATOMIC else plain_data(v) for k, v in value.items()}
    return value


_ATOMIC = frozenset(
    {str, int, float, bool, type(None), Decimal, bytes, dt.datetime, dt.date, dt.time, uuid.UUID}
)


def _may_hold_models(annotation: Any) -> bool:
    """True when a field of this annotation may hold a pydantic model (at any depth)."""
    stack = [annotation]
    seen = 0
    while stack and seen < 256:
        seen += 1
        current = stack.pop()
        if current is Any or current is object or isinstance(current, TypeVar):
            return True
        if isinstance(current, type) and issubclass(current, BaseModel):
            return True
        alias_type = getattr(typing, "TypeAliasType", None)
        if alias_type is not None and isinstance(current, alias_type):
            stack.append(current.__value__)
            continue
        stack.extend(a for a in get_args(current) if not isinstance(a, (str, int, FieldInfo)))
    return bool(stack)


def _change(before: Any, after: Any) -> str:
    """How validation changed a value, without the value: its type, else that it differs."""
    if before is _MISSING:
        return "missing, and filled in by validation"
    if type(before) is not type(after):
        return f"a {type(before).__name__} where the model makes it a {type(after).__name__}"
    return "a value the model's validators normalise differently"


def _same(a: Any, b: Any) -> bool:
    """Equal, or both NaN (which pydantic accepts and the codec refuses with its own error)."""
    if a is b or a == b:
        return True
    try:
        return bool(a != a and b != b)  # noqa: PLR0124 - NaN is the one value unequal to itself
    except Exception:
        return False


class ItemCodec(Generic[M]):
    """Encoder/decoder of one DomainModel's items, compiled once from its schema."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.schema: TableSchema = schema_of(model)
        schema = self.schema
        self.zone = schema.naive_datetime_zone
        index_keys = schema.index_key_attributes
        table_keys = {k.attribute for k in schema.key_attributes}
        self._plan = tuple(
            (
                name,
                attribute,
                _TABLE_KEY
                if attribute in table_keys
                else _INDEX_KEY
                if attribute in index_keys
                else _TTL
                if name == schema.ttl_field
                else _PLAIN,
            )
            for name, attribute in schema.field_attributes.items()
        )
        self._templates = tuple(
            (k, k.attribute in table_keys) for k in index_keys.values() if k.template is not None
        )
        self._decode_plans: dict[type[BaseModel], _DecodePlan] = {}
        self.read_zone: dt.tzinfo = schema.naive_datetime_zone or _UTC
        """The zone of naive datetimes read from items (``Meta.naive_datetime_zone``, else UTC)."""
        self.null_fields: frozenset[str] = frozenset(
            name
            for name, info in model.model_fields.items()
            if schema.field_attributes[name] not in index_keys
            and name != schema.ttl_field
            and (
                schema.store_none
                or stores_null(info.metadata)
                or (not info.is_required() and _default_is_not_none(info))
                or _is_set(info.annotation)  # a missing set reads as an empty set
            )
        )
        """Fields whose None is stored as NULL; every other None field is omitted."""
        self._untyped = tuple(
            name for name, info in model.model_fields.items() if _has_untyped(info.annotation)
        )
        """Fields with untyped parts (``dict[str, Any]``...), where an empty set cannot be
        stored: it would read back as an empty list (``check_empty_sets``)."""
        self._datetime_fields = tuple(
            name for name, info in model.model_fields.items() if _is_datetime_type(info.annotation)
        )
        self._nested = tuple(
            name for name, info in model.model_fields.items() if _may_hold_models(info.annotation)
        )
        self._revalidate = model.__pydantic_validator__.validate_python
        self._encode_fields = _fields_encoder(self)
        self._upcast = item_upcaster(self)
        """Old schema versions to the current one before decoding (None: no upcasters)."""

    # encoding

    def encode(self, instance: M) -> Item:
        """The full item of a model instance, with key templates rendered; validated
        (``check``) and size-checked."""
        item = self._encode_unsized(instance)
        self.check_size(item)
        return item

    def _encode_unsized(self, instance: M) -> Item:
        """``encode`` without the size check, for a caller that checks the size against a
        cheaper bound it has (``_check_size``)."""
        values = instance.__dict__
        item: Item = EncodedItem()
        try:
            self._encode_fields(values, item)
        except KeyError:  # a field missing from an instance that was never validated
            self.check(instance)
            raise
        for key, required in self._templates:
            text = self._render(key, values, partial_ok=not required)
            if text is not None:
                item[key.attribute] = {"S": text}
        for name in self._untyped:
            self.check_empty_sets(name, values[name])
        self.check(instance)
        return item

    def _encode_field(self, item: Item, index: int, value: Any) -> None:
        """Put field ``index`` (of ``_plan``) holding ``value`` into ``item``, whatever the
        value: the generated ``_encode_fields`` inlines only each field's common case."""
        name, attribute, role = self._plan[index]
        if role == _TTL:
            ttl = ttl_value(value, zone=self.zone)
            if ttl is not None:
                item[attribute] = ttl
        elif role:  # a table or index key
            if value is None:
                if role == _TABLE_KEY:
                    raise ValidationError("key values cannot be None")
                return  # sparse index: the item stays out of it
            item[attribute] = encode_key_value(value, zone=self.zone)
        elif value is None:
            if name in self.null_fields:
                item[attribute] = _NULL
            # else omitted: reads as None (or NULL, where another service needs it)
        else:
            av = _encode(value, 1, self.zone)
            if av is not None:
                item[attribute] = av

    def check_empty_sets(self, name: str, value: object, *, nested: bool = False) -> None:
        """Refuse an empty set inside an untyped part of field ``name`` (``dict[str, Any]``):
        DynamoDB has no empty set, so it is stored as an empty list, and nothing would turn it
        back into a set on read. Typed parts (``dict[str, set[str]]``) read it back as a set."""
        if name in self._untyped and _holds_empty_set(value, 1 if nested else 0):
            raise ValidationError(
                "holds an empty set inside a value typed Any (e.g. dict[str, Any]); DynamoDB "
                "cannot store an empty set, and an empty list stored instead would read back "
                "as a list. Leave the entry out, or type the field (dict[str, set[str]]) so "
                "that it reads back as a set",
                model=self.schema.model_name,
                field=name,
            )

    def stored_instance(self, instance: M) -> M:
        """``instance`` as a read of what ``encode`` stores returns it: top-level datetimes
        aware in UTC (a naive one taken to be in ``Meta.naive_datetime_zone``), the TTL in whole
        seconds. ``create`` returns this, so that it equals what ``get`` reads back."""
        values = instance.__dict__
        changes: dict[str, Any] = {}
        for name in self._datetime_fields:
            value = values.get(name)
            if not isinstance(value, dt.datetime):
                continue
            stored = value
            offset = value.utcoffset()
            if offset is None:
                stored = value.replace(tzinfo=self.zone or _UTC).astimezone(_UTC)
            elif offset:
                stored = value.astimezone(_UTC)
            if name == self.schema.ttl_field and stored.microsecond:
                stored = stored.replace(microsecond=0)
            if stored is not value:
                changes[name] = stored
        return instance.model_copy(update=changes) if changes else instance

    def check(self, instance: M) -> None:
        """Refuse an instance whose values the model's own rules refuse, or change.

        ``Model(...)`` and ``model_validate`` validate; ``model_construct``, ``model_copy(
        update=...)`` and attribute assignment do not, so an instance can hold a value its
        model refuses (a 500-character string under ``max_length=100``, a str in an int
        field), and writing it would store an item that no read accepts. Every whole-item write
        encodes through here, so each one validates what it is about to send: the instance's
        values (nested models as plain data, so that they are validated too) through the
        model's validator, which must accept them and give them back unchanged (validators are
        idempotent, as every read runs them again). Costs one pydantic validation.
        """
        values = instance.__dict__
        data = values
        if self._nested:
            data = dict(values)
            for name in self._nested:
                data[name] = plain_data(data[name])
        try:
            validated = self._revalidate(data, **BY_NAME)
        except PydanticValidationError as exc:
            raise self._refused(exc) from None
        if validated.__dict__ != values:
            changed = {
                name: _change(values.get(name, _MISSING), value)
                for name, value in validated.__dict__.items()
                if not _same(value, values.get(name, _MISSING))
            }
            if changed:
                raise ValidationError(
                    f"holds a value that {self.schema.model_name}'s own validation changes "
                    f"({'; '.join(f'{n}: {why}' for n, why in changed.items())}), so it was "
                    "not validated: an instance "
                    "built with model_construct(), changed by model_copy(update=...) or by "
                    "assignment. Nothing was written; build it with "
                    f"{self.schema.model_name}(...) or model_validate(), or assign valid values",
                    model=self.schema.model_name,
                    field=next(iter(changed)),
                )

    def _refused(self, exc: PydanticValidationError) -> ValidationError:
        errors = exc.errors(include_url=False)
        details = "; ".join(
            loc_text(e["loc"]) + ": " + e["msg"] for e in errors
        )
        first = str(errors[0]["loc"][0]) if errors and errors[0]["loc"] else None
        field = self.schema.attribute_fields.get(first, first) if first else None
        return ValidationError(
            f"the {self.schema.model_name} instance holds values its own rules refuse "
            f"({details}), so it was never validated: built with model_construct(), changed "
            "by model_copy(update=...) or by assignment. Nothing was written; build it with "
            f"{self.schema.model_name}(...) or model_validate(), or assign valid values",
            model=self.schema.model_name,
            field=field,
        )

    def encode_field(self, name: str, value: object) -> AttributeValue | None:
        """One field's AttributeValue, in key form when the field is a table or index key;
        None when the attribute is to be omitted (REMOVEd by an update): a None field that does
        not store NULL (``null_fields``), a None key, an empty set."""
        attribute = self.schema.field_attributes[name]
        if attribute in self.schema.index_key_attributes:
            return None if value is None else self._key_value(name, value)
        if value is None:
            return _NULL if name in self.null_fields else None
        if name in self._untyped:
            self.check_empty_sets(name, value)
        try:
            if name == self.schema.ttl_field:
                return ttl_value(value, zone=self.zone)
            return _encode(value, 1, self.zone)
        except ValidationError as exc:
            raise self._field_error(name, exc) from None

    def key(self, values: Mapping[str, object]) -> Item:
        """The table's primary key from field values (templates rendered); names what is missing."""
        return self.index_key(values, self.schema.key_attributes)

    def index_key(self, values: Mapping[str, object], keys: tuple[KeyAttribute, ...]) -> Item:
        """Key attributes ``keys`` built from field values; every needed field must be given
        (an ``EncodedItem``: the request check takes it as it is)."""
        item: Item = EncodedItem()
        for key in keys:
            if key.template is None and key.field is not None:  # ASCII text, the common key
                value = values.get(key.field)  # value: as _key_value has it
                if type(value) is str and value and value.isascii():
                    item[key.attribute] = {"S": value}
                    continue
            missing = [f for f in key.fields if values.get(f) is None]
            if missing:
                raise ValidationError(
                    f"key attribute {key.attribute!r} needs field(s) {', '.join(missing)}; "
                    f"pass them (the key is {self.key_fields_text()})",
                    model=self.schema.model_name,
                    field=missing[0],
                )
            if key.template is not None:
                item[key.attribute] = {"S": self._render(key, values, partial_ok=False) or ""}
            else:
                assert key.field is not None
                item[key.attribute] = self._key_value(key.field, values[key.field])
        return item

    def key_of(self, instance: M) -> Item:
        """The primary key of a model instance."""
        return self.key(instance.__dict__)

    def key_fields_text(self) -> str:
        return ", ".join(self.schema.key_fields)

    def check_size(self, item: Item) -> None:
        """Refuse an item over 400 KB before it is sent, naming its key and size."""
        self._check_size(item, size_upper_bound(item))

    def _check_size(self, item: Item, bound: int) -> None:
        """``check_size`` given ``bound``, a number known not to be below the item's size (the
        length of JSON holding it): the item is measured exactly only above the limit."""
        if bound <= MAX_ITEM_BYTES:
            return
        size = item_size(item)
        if size > MAX_ITEM_BYTES:
            key = {k.attribute: item.get(k.attribute) for k in self.schema.key_attributes}
            raise ItemTooLargeError(
                f"item {key_description(key)} is {size} bytes; DynamoDB's limit is "
                f"{MAX_ITEM_BYTES} bytes. Move large values to S3 or split the item",
                model=self.schema.model_name,
            )

    def _key_value(self, name: str, value: object) -> AttributeValue:
        try:
            return encode_key_value(value, zone=self.zone)
        except ValidationError as exc:
            raise self._field_error(name, exc) from None

    def _render(
        self, key: KeyAttribute, values: Mapping[str, object], *, partial_ok: bool
    ) -> str | None:
        template = key.template
        assert template is not None
        if partial_ok:
            for name in template.fields:
                if values.get(name) is None:
                    return None  # a sparse index: the item stays out of it
        return render_key(template, values, model=self.schema.model_name, zone=self.zone)

    def _field_error(self, name: str, exc: ValidationError) -> ValidationError:
        error = type(exc)(exc.message, model=self.schema.model_name, field=name)
        return error

    # decoding

    def decode(self, item: Mapping[str, Mapping[str, Any]]) -> M:
        """A model instance from a raw item; ``CorruptItemError`` names the item's key."""
        return self.decode_as(self.model, item)

    def decode_as(self, target: type[M], item: Mapping[str, Mapping[str, Any]]) -> M:
        """Validate a raw item into ``target``, which reads attributes by their stored names
        (the model; a view reads them through ``decode_fields``).

        Attributes the model does not declare are not decoded (other services may add any); a
        set field whose attribute is missing reads as an empty set, which is how empty sets are
        stored. Missing and NULL read alike (``_DecodePlan``); naive datetimes are made aware.
        """
        if self._upcast is not None:  # Meta.upcasters: old versions to the current one
            item = self._upcast(item)
        plan = self._decode_plans.get(target) or self._decode_plan(target)
        data = _decode_map(item, plan.attributes)
        for attribute in plan.drop_null:
            if attribute in data and data[attribute] is None:
                del data[attribute]
        for attribute, fill in plan.fills:
            if attribute not in data:
                data[attribute] = fill()
        for attribute in plan.datetimes:
            value = data.get(attribute)
            if type(value) is str and value[-1:] != "Z":
                data[attribute] = _aware_text(value, self.read_zone)
        return self._aware(plan, self._validate(target, data, item))

    def decoder(
        self, target: type[M] | None = None
    ) -> Callable[[Mapping[str, Mapping[str, Any]]], M]:
        """``decode_as(target, item)`` as a function of ``item``, for many items in a row: the
        decode plan and pydantic's validator are looked up once (``target``: the model)."""
        target = self.model if target is None else target
        plan = self._decode_plans.get(target) or self._decode_plan(target)
        attributes, fills, drop_null, datetimes = (
            plan.attributes,
            plan.fills,
            plan.drop_null,
            plan.datetimes,
        )
        validate = target.__pydantic_validator__.validate_python
        corrupt = self._corrupt
        zone = self.read_zone
        aware = self._aware if plan.nested_datetimes else None

        if attributes is None:
            return lambda item: self.decode_as(target, item)

        def decode(item: Mapping[str, Mapping[str, Any]]) -> M:
            # _decode_map(item, attributes), inlined: one call less per item
            data = {}
            for key, av in item.items():
                if key not in attributes:
                    continue  # not declared: never decoded (other writers may add anything)
                for tag in av:
                    value = av[tag]
                    if tag == "S" or tag == "BOOL":  # noqa: PLR1714
                        data[key] = value
                    elif tag == "N":
                        if "." in value or "e" in value or "E" in value:
                            data[key] = Decimal(value)
                        else:
                            data[key] = int(value)
                    elif tag == "M":
                        data[key] = _decode_map(value)
                    elif tag == "L":
                        data[key] = _decode_list(value)
                    elif tag == "SS":
                        data[key] = set(value)
                    elif tag == "NULL":
                        if key not in drop_null:
                            data[key] = None  # else: read as missing (the field's default)
                    else:
                        data[key] = _DECODERS[tag](value)
                    break
                else:
                    raise _empty_value()
            for attribute, fill in fills:
                if attribute not in data:
                    data[attribute] = fill()
            for attribute in datetimes:
                value = data.get(attribute)
                if type(value) is str and value[-1:] != "Z":
                    data[attribute] = _aware_text(value, zone)
            try:
                instance: M = validate(data)
            except PydanticValidationError as exc:
                raise corrupt(target, item, exc) from (None if redacting() else exc)
            return instance if aware is None else aware(plan, instance)

        upcast = self._upcast
        return decode if upcast is None else lambda item: decode(upcast(item))

    def decode_fields(
        self,
        target: type[B],
        item: Mapping[str, Mapping[str, Any]],
        fields: Mapping[str, str],
        defaults: Mapping[str, FieldInfo],
    ) -> B:
        """Validate a raw item into ``target`` (a view), whose field ``f`` reads the stored
        attribute ``fields[f]``.

        A missing attribute reads as an empty set for a set field, as in ``decode_as``, else as
        ``defaults[f]`` when there is one (the domain's default, for a field the domain lets an
        item leave out), else as None for a field that accepts None. A NULL reads as missing
        in a field that does not accept None.
        """
        plan = self._decode_plans.get(target) or self._decode_plan(target)
        zone = self.read_zone
        data: dict[str, Any] = {}
        for field, attribute in fields.items():
            if attribute in item:
                value = decode_value(item[attribute])
                if value is not None or field not in plan.drop_null_fields:
                    if field in plan.datetime_fields and type(value) is str and value[-1:] != "Z":
                        value = _aware_text(value, zone)
                    data[field] = value
                    continue
            if field in plan.set_fields:
                data[field] = set()
            elif field in defaults:
                data[field] = defaults[field].get_default(call_default_factory=True)
            elif field in plan.none_fields:
                data[field] = None
        return self._aware(plan, self._validate(target, data, item))

    def _aware(self, plan: _DecodePlan, instance: B) -> B:
        """``instance`` with the naive datetimes nested in its fields made aware (in place: it
        was just built by validation)."""
        if plan.nested_datetimes:
            values = instance.__dict__
            for name in plan.nested_datetimes:
                values[name] = _make_aware(values[name], self.read_zone)
        return instance

    def _validate(
        self, target: type[B], data: dict[str, Any], item: Mapping[str, Mapping[str, Any]]
    ) -> B:
        """``target`` from decoded values; ``CorruptItemError`` names the table and key."""
        try:
            return target.model_validate(data)
        except PydanticValidationError as exc:
            # pydantic's own error quotes the stored values: not chained when redacting
            raise self._corrupt(target, item, exc) from (None if redacting() else exc)

    def _corrupt(
        self,
        target: type[BaseModel],
        item: Mapping[str, Mapping[str, Any]],
        exc: PydanticValidationError,
    ) -> CorruptItemError:
        return CorruptItemError(
            target.__name__,
            self.schema.table_name,
            self.key_values(item),
            [dict(e) for e in exc.errors(include_url=False)],
        )

    def _decode_plan(self, target: type[BaseModel]) -> _DecodePlan:
        fields = target.model_fields
        attributes = (
            frozenset(self.schema.field_attributes.values()) if target is self.model else None
        )
        stored = {name: info.alias or name for name, info in fields.items()}
        sets = {name for name, info in fields.items() if _is_set(info.annotation)}
        nullable = {name for name, info in fields.items() if _accepts_none(info.annotation)}
        # a required field that accepts None reads a missing attribute as None (how None is
        # stored by default); a field that does not accept None reads a NULL as missing
        none_fields = {
            name for name, info in fields.items() if info.is_required() and name in nullable
        } - sets
        fills: list[tuple[str, Callable[[], Any]]] = [(stored[n], set) for n in sets]
        fills += [(stored[n], _missing_none) for n in none_fields]
        top_datetimes = {
            name for name, info in fields.items() if _is_datetime_type(info.annotation)
        }
        nested = tuple(
            name
            for name, info in fields.items()
            if name not in top_datetimes and _may_hold_datetimes(info.annotation)
        )
        plan = self._decode_plans[target] = _DecodePlan(
            attributes=attributes,
            fills=tuple(fills),
            set_fields=frozenset(sets),
            none_fields=frozenset(none_fields),
            drop_null=frozenset(stored[n] for n in fields if n not in nullable),
            drop_null_fields=frozenset(n for n in fields if n not in nullable),
            datetimes=tuple(stored[n] for n in top_datetimes),
            datetime_fields=frozenset(top_datetimes),
            nested_datetimes=nested,
        )
        return plan

    def key_values(self, item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """The primary key of a raw item as plain values (for messages and reports)."""
        return {
            k.attribute: decode_value(item[k.attribute])
            for k in self.schema.key_attributes
            if k.attribute in item
        }


class _DecodePlan(typing.NamedTuple):
    """How to decode into a target (the model or a view), compiled once per target."""

    attributes: frozenset[str] | None
    """The stored attributes to decode (None: all)."""
    fills: tuple[tuple[str, Callable[[], Any]], ...]
    """Stored attribute -> value of a missing one: an empty set for a set field (how empty
    sets are stored), None for a required field that accepts None (how None is stored)."""
    set_fields: frozenset[str]
    none_fields: frozenset[str]
    drop_null: frozenset[str]
    """Stored attributes whose field does not accept None: a NULL there reads as missing."""
    drop_null_fields: frozenset[str]
    datetimes: tuple[str, ...]
    """Stored attributes of datetime fields: naive text is read in the zone (``_aware_text``)."""
    datetime_fields: frozenset[str]
    nested_datetimes: tuple[str, ...]
    """Fields that may hold datetimes deeper (lists, maps, nested models): made aware after
    validation."""


def _fields_encoder(codec: ItemCodec[Any]) -> Callable[[dict[str, Any], Item], None]:
    """``codec``'s fields encoder, one generated function of straight-line code: per field, the
    case its annotation makes common (a non-empty ASCII key string, an ASCII str, a bool, an
    int, a value of the declared container or scalar type, a plain field's None) inline, any
    other value through ``_encode_field``: half the time of a loop over the plan, for a typical
    item. The code's text holds only indices: names, attributes and encoders are constants of
    its namespace."""
    zone = codec.zone
    namespace: dict[str, Any] = {
        "ValidationError": ValidationError,
        "field": codec._encode_field,
        "field_error": lambda index, exc: codec._field_error(codec._plan[index][0], exc),
        "LIMIT": _INT_LIMIT,
        "zone": zone,
        "NULL": _NULL,
    }
    fields = codec.model.model_fields
    lines = ["def encode_fields(values, item):", "  f = 0", "  try:"]
    for index, (name, attribute, role) in enumerate(codec._plan):
        namespace[f"n{index}"] = name
        namespace[f"a{index}"] = attribute
        declared = _declared_type(fields[name].annotation)
        if role == _TTL:
            fast = None
        elif role:
            fast = "type(v) is str and v and v.isascii(): item[a{i}] = {{'S': v}}"
        elif declared is str:
            fast = "type(v) is str and v.isascii(): item[a{i}] = {{'S': v}}"
        elif _ascii_text_enum(declared):  # its members' values are known: no check per value
            namespace[f"t{index}"] = declared
            fast = "type(v) is t{i}: item[a{i}] = {{'S': v.value}}"
        elif declared is bool:
            fast = "type(v) is bool: item[a{i}] = {{'BOOL': v}}"
        elif declared is int:
            fast = "type(v) is int and -LIMIT < v < LIMIT: item[a{i}] = {{'N': str(v)}}"
        elif declared in _INLINE_TYPES:
            namespace[f"t{index}"] = declared
            namespace[f"e{index}"] = _ENCODERS[declared]
            fast = "type(v) is t{i}: item[a{i}] = e{i}(v, 1, zone)"
        else:  # an empty set is omitted, a model, an enum... : the general case
            fast = None
        cases = [] if fast is None else [fast.format(i=index)]
        if role == _PLAIN:  # None: stored as NULL or left out, as the field says
            stored = f"item[a{index}] = NULL" if name in codec.null_fields else "pass"
            cases.append(f"v is None: {stored}")
        lines.append(f"    f = {index}; v = values[n{index}]")
        if cases:
            lines.extend(f"    {'elif' if n else 'if'} {case}" for n, case in enumerate(cases))
            lines.append(f"    else: field(item, {index}, v)")
        else:
            lines.append(f"    field(item, {index}, v)")
    lines.append("  except ValidationError as exc:")
    lines.append("    raise field_error(f, exc) from None")
    exec("\n".join(lines), namespace)  # the text: the fixed snippets above and indices
    encode_fields: Callable[[dict[str, Any], Item], None] = namespace["encode_fields"]
    return encode_fields


_INLINE_TYPES = frozenset(
    {float, Decimal, bytes, bytearray, dt.datetime, dt.date, dt.time, uuid.UUID, list, tuple, dict}
)
"""Declared types whose encoder the generated fields encoder calls directly (it never omits
the value, as ``_set`` does an empty set)."""


def _declared_type(annotation: Any) -> Any:
    """The class a field's values have when it is set (``list`` for ``list[str] | None``,
    ``str`` for ``Literal["a", "b"]``), or None when they may have several (a union, ``Any``)."""
    annotation = strip_optional(annotation)
    origin = get_origin(annotation)
    if origin is typing.Literal:
        kinds = {type(value) for value in get_args(annotation)}
        return kinds.pop() if len(kinds) == 1 else None
    declared = origin or annotation
    return declared if isinstance(declared, type) else None


def _ascii_text_enum(declared: Any) -> bool:
    """Whether ``declared`` is an Enum whose members' values are all ASCII text."""
    return (
        isinstance(declared, type)
        and issubclass(declared, enum.Enum)
        and all(type(member.value) is str and member.value.isascii() for member in declared)
    )


def _has_untyped(annotation: Any) -> bool:
    """True when a field of this annotation has a part typed Any (or a bare dict/list)."""
    stack = [annotation]
    seen = 0
    while stack and seen < 256:
        seen += 1
        current = stack.pop()
        if current is Any or current is object or current in (dict, list, tuple):
            return True
        if isinstance(current, type) and issubclass(current, BaseModel):
            continue  # a nested model checks its own fields' types
        stack.extend(a for a in get_args(current) if not isinstance(a, (str, int, FieldInfo)))
    return False


def _holds_empty_set(value: Any, depth: int) -> bool:
    if depth > MAX_DEPTH:
        return False  # refused elsewhere (too deep)
    if isinstance(value, (set, frozenset)):
        return depth > 0 and not value
    if isinstance(value, dict):
        return any(_holds_empty_set(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_empty_set(v, depth + 1) for v in value)
    return False


def _missing_none() -> None:
    return None


def _default_is_not_none(info: FieldInfo) -> bool:
    """True when a field's default (or default factory) is something else than None: a
    missing attribute would read back as that default, so its None must be stored as NULL."""
    if info.default_factory is not None:
        return True
    return info.default is not None and info.default is not PydanticUndefined


def _accepts_none(annotation: Any) -> bool:
    return annotation is Any or annotation is object or is_optional(annotation)


def _is_datetime_type(annotation: Any) -> bool:
    annotation = strip_optional(annotation)
    return isinstance(annotation, type) and issubclass(annotation, dt.datetime)


def _may_hold_datetimes(annotation: Any) -> bool:
    """True when a field of this annotation may hold a datetime below its top level."""
    stack = [strip_optional(annotation)]
    seen: set[int] = set()
    top = True
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if current is Any or current is object:
            return False  # untyped data: strings stay strings
        if isinstance(current, type):
            if issubclass(current, dt.datetime):
                if not top:
                    return True
            elif issubclass(current, BaseModel):
                stack.extend(info.annotation for info in current.model_fields.values())
        top = False
        stack.extend(a for a in get_args(current) if not isinstance(a, (str, int, FieldInfo)))
    return False


def _aware_text(text: str, zone: dt.tzinfo) -> Any:
    """A stored datetime's text: naive text (another service's, without an offset) becomes an
    aware datetime in UTC, taken to be in ``zone``; anything else is left to validation."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if value.tzinfo is not None:
        return text
    try:
        return value.replace(tzinfo=zone).astimezone(_UTC)
    except OverflowError:
        return text


def _make_aware(value: Any, zone: dt.tzinfo) -> Any:
    """``value`` with every naive datetime in it (lists, dicts, models) read in ``zone``."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=zone).astimezone(_UTC)
        return value
    if isinstance(value, list):
        for index, element in enumerate(value):
            value[index] = _make_aware(element, zone)
    elif isinstance(value, dict):
        for key, element in value.items():
            value[key] = _make_aware(element, zone)
    elif isinstance(value, BaseModel):
        fields = value.__dict__
        for name, element in fields.items():
            fields[name] = _make_aware(element, zone)
    elif isinstance(value, tuple):
        return tuple(_make_aware(element, zone) for element in value)
    return value


_SET_ORIGINS: tuple[Any, ...] = (set, frozenset, AbstractSet)


def _is_set(annotation: Any) -> bool:
    annotation = strip_optional(annotation)
    return annotation in _SET_ORIGINS or get_origin(annotation) in _SET_ORIGINS


def key_description(key: Mapping[str, Any]) -> str:
    """A short human form of a key for messages: ``{pk=1, sk='a'}``."""
    parts = []
    for name, av in key.items():
        value = decode_value(av) if isinstance(av, Mapping) else av
        parts.append(f"{name}={shown(value)}")
    return "{" + ", ".join(parts) + "}"


_CODECS: dict[type[BaseModel], ItemCodec[Any]] = {}


def codec_for(model: type[M]) -> ItemCodec[M]:
    """The cached ItemCodec of a DomainModel class."""
    codec = _CODECS.get(model)
    if codec is None:
        codec = _CODECS[model] = ItemCodec(model)
    return codec
