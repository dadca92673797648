"""Schema versions and upcasters: old items read as the current model, without a backfill.

A model opts in with two ``Meta`` options (both, or neither)::

    def split_name(item: dict[str, Any]) -> dict[str, Any]:        # version 1 -> 2
        first, _, last = item.pop("name", "").partition(" ")
        item.setdefault("first_name", first)
        item.setdefault("last_name", last)
        return item

    class Person(DomainModel):
        person_id: str
        first_name: str
        last_name: str

        class Meta:
            table_name = "people"
            partition_key = "person_id"
            schema_version = 2                    # the version this code writes
            schema_version_attribute = "_v"       # where it is stored (explicit opt-in)
            upcasters = {1: split_name}           # from_version -> function

An upcaster takes the item of version N as a plain dict (every stored attribute, by stored
name, decoded to Python values: str, int/Decimal, bool, bytes, sets, lists, dicts, None) and
returns the item of version N+1 (or None after changing the dict in place). On read, an item
whose stored version is older than ``schema_version`` goes through the chain N -> N+1 -> ...
before it is validated; an item without the attribute is version
``Meta.schema_version_default`` (1 unless declared). Items at the current version (and items
of a *newer* version, written by code deployed ahead of this one) are decoded as they are, at
the cost of one dict lookup. Whole-item writes (create, put, replace, batch put) stamp the
current version (``ddbwrap.write.hooks.SchemaVersionStamp``); partial updates do not (they do
not rewrite the attributes an upcaster reads), so an upcaster must leave an item that is already
in the new shape as it is (``setdefault``, ``if "old" in item``, not plain assignment): a partial
update of an old item writes new-shape attributes next to the old ones, and an item read through
an ``INCLUDE`` index (which does not project the version attribute) counts as the default
version. Views are not upcast (a projection may lack what the upcasters read).

Nothing is stamped unless the model declares ``schema_version_attribute``: a table shared with
other services may be read by code that refuses unknown attributes.

``@upcast(from_version=N)`` marks a function with its version, so ``Meta.upcasters`` can also be
a sequence of marked functions. Every check runs at class definition: a gap in the chain, an
upcaster from a version >= ``schema_version``, a version without an attribute (and the reverse),
an attribute that is also a field's or a key's stored name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import CorruptItemError, ModelDefinitionError

if TYPE_CHECKING:
    from .codec import ItemCodec

__all__ = [
    "SchemaVersioning",
    "Upcaster",
    "item_upcaster",
    "upcast",
    "upcast_plain",
    "versioning_from_meta",
]

Upcaster = Callable[[dict[str, Any]], "dict[str, Any] | None"]
"""A function from the plain item of version N to the item of version N+1."""

RawItem = Mapping[str, Mapping[str, Any]]

F = TypeVar("F", bound=Callable[..., Any])

META_OPTIONS = frozenset(
    {"schema_version", "schema_version_attribute", "schema_version_default", "upcasters"}
)
"""The ``Meta`` options of this module."""

_MARK = "__ddbwrap_upcast_from__"


def upcast(*, from_version: int) -> Callable[[F], F]:
    """Mark an upcaster with the version it reads (for ``Meta.upcasters = (f, g)``)."""

    def mark(function: F) -> F:
        setattr(function, _MARK, from_version)
        return function

    return mark


@dataclass(frozen=True)
class SchemaVersioning:
    """A model's ``Meta.schema_version`` declaration, checked."""

    model_name: str
    version: int
    """The version this code writes (``Meta.schema_version``)."""
    attribute: str
    """The stored attribute holding an item's version (``Meta.schema_version_attribute``)."""
    default: int
    """The version of an item without the attribute (``Meta.schema_version_default``)."""
    upcasters: Mapping[int, Upcaster]
    """``from_version -> function``; one per version from the oldest to ``version - 1``."""

    @property
    def stamp(self) -> dict[str, str]:
        """The stored form of the current version: ``{"N": "3"}``."""
        return {"N": str(self.version)}

    @property
    def oldest(self) -> int:
        """The oldest version items may have (and still be read)."""
        return min((*self.upcasters, self.default, self.version))

    def stored_version(self, item: RawItem) -> int | None:
        """The version of a raw item (the default when it has none); None when the attribute
        holds something else than a whole number."""
        av = item.get(self.attribute)
        if av is None:
            return self.default
        text = av.get("N")
        if not isinstance(text, str):
            return None
        try:
            return int(text)
        except ValueError:
            return None


def _fail(model: str, message: str) -> ModelDefinitionError:
    return ModelDefinitionError(model, message)


def versioning_from_meta(
    model_name: str, meta: type, stored: Mapping[str, str], reserved: Mapping[str, str]
) -> SchemaVersioning | None:
    """Check the schema-version options of ``meta``; None when the model does not use them.

    ``stored``: field name -> stored attribute; ``reserved``: other stored attribute names the
    version attribute must not take (key template attributes), with what they are.
    """
    version = getattr(meta, "schema_version", None)
    attribute = getattr(meta, "schema_version_attribute", None)
    default = getattr(meta, "schema_version_default", None)
    declared = getattr(meta, "upcasters", None)
    if version is None:
        given = [
            f"Meta.{name}"
            for name, value in (
                ("schema_version_attribute", attribute),
                ("schema_version_default", default),
                ("upcasters", declared),
            )
            if value is not None
        ]
        if given:
            raise _fail(
                model_name,
                f"{' and '.join(given)} need(s) Meta.schema_version (the version this code "
                "writes, an int >= 1); declare it or remove them",
            )
        return None
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _fail(model_name, f"Meta.schema_version must be an int >= 1, got {version!r}")
    if attribute is None:
        raise _fail(
            model_name,
            "Meta.schema_version needs Meta.schema_version_attribute, the stored attribute "
            "that holds each item's version (e.g. schema_version_attribute = '_v'). Nothing "
            "is stamped without it: another service sharing the table may refuse an attribute "
            "it does not know, so the opt-in is explicit",
        )
    if not isinstance(attribute, str) or not attribute:
        raise _fail(
            model_name,
            f"Meta.schema_version_attribute must be a non-empty string, got {attribute!r}",
        )
    for field, name in stored.items():
        if name == attribute:
            raise _fail(
                model_name,
                f"Meta.schema_version_attribute {attribute!r} is the stored name of field "
                f"{field!r}; ddbwrap writes the schema version itself, so give it an attribute "
                "of its own (e.g. '_v') and drop the field or rename its alias",
            )
    if attribute in reserved:
        raise _fail(
            model_name,
            f"Meta.schema_version_attribute {attribute!r} is already {reserved[attribute]}; "
            "give the schema version an attribute of its own (e.g. '_v')",
        )
    if default is None:
        default = 1
    if isinstance(default, bool) or not isinstance(default, int) or not 1 <= default <= version:
        raise _fail(
            model_name,
            f"Meta.schema_version_default (the version of items stored without "
            f"{attribute!r}) must be an int from 1 to schema_version ({version}), got "
            f"{default!r}",
        )
    upcasters = _upcasters(model_name, declared)
    for start in sorted(upcasters):
        if start >= version:
            raise _fail(
                model_name,
                f"Meta.upcasters has an upcaster from version {start}, but the current "
                f"Meta.schema_version is {version}: an upcaster turns version N into N+1, so "
                f"N goes up to {version - 1}; raise schema_version to {start + 1} if that is "
                "the new version, or remove the upcaster",
            )
    oldest = min((*upcasters, default))
    missing = [n for n in range(oldest, version) if n not in upcasters]
    if missing:
        hint = (
            f"; items stored without {attribute!r} are version {default} "
            "(Meta.schema_version_default): declare schema_version_default = "
            f"{version} if every stored item already has the current shape"
            if default < version and default in missing
            else ""
        )
        raise _fail(
            model_name,
            f"Meta.upcasters has no upcaster from version(s) "
            f"{', '.join(str(n) for n in missing)}, so items of those versions cannot reach "
            f"version {version}: add one per version (from_version -> function){hint}",
        )
    return SchemaVersioning(model_name, version, attribute, default, upcasters)


def _upcasters(model_name: str, declared: object) -> dict[int, Upcaster]:
    if declared is None:
        return {}
    pairs: list[tuple[object, object]]
    if isinstance(declared, Mapping):
        pairs = list(declared.items())
    elif isinstance(declared, (list, tuple)):
        pairs = []
        for function in declared:
            start = getattr(function, _MARK, None)
            if start is None:
                raise _fail(
                    model_name,
                    f"Meta.upcasters holds {_name(function)}, which is not marked with "
                    "@upcast(from_version=N); mark it, or declare upcasters as a dict "
                    "{from_version: function}",
                )
            pairs.append((start, function))
    else:
        raise _fail(
            model_name,
            "Meta.upcasters must be a dict {from_version: function} or a sequence of "
            f"@upcast(from_version=N) functions, got {type(declared).__name__}",
        )
    out: dict[int, Upcaster] = {}
    for start, function in pairs:
        if isinstance(start, bool) or not isinstance(start, int) or start < 1:
            raise _fail(model_name, f"Meta.upcasters: versions are ints >= 1, got {start!r}")
        if not callable(function):
            raise _fail(
                model_name,
                f"Meta.upcasters[{start}] must be a function of the item dict, got "
                f"{type(function).__name__}",
            )
        if start in out:
            raise _fail(
                model_name,
                f"Meta.upcasters has two upcasters from version {start} ({_name(out[start])} "
                f"and {_name(function)}); keep one",
            )
        out[start] = function
    return out


def _name(function: object) -> str:
    return str(getattr(function, "__qualname__", None) or repr(function))


def upcast_plain(
    versioning: SchemaVersioning, plain: dict[str, Any], from_version: int
) -> dict[str, Any]:
    """Run the upcasters from ``from_version`` up to the current version on a plain item."""
    for step in range(from_version, versioning.version):
        result = versioning.upcasters[step](plain)
        if result is not None:
            plain = result
        if not isinstance(plain, dict):
            raise TypeError(
                f"upcaster {_name(versioning.upcasters[step])} returned "
                f"{type(plain).__name__}, not a dict"
            )
    return plain


def encode_plain(codec: ItemCodec[Any], plain: Mapping[str, Any]) -> dict[str, Any]:
    """A plain item (by stored name) back to wire form: declared fields as the model stores
    them (key forms, TTL as epoch seconds), other attributes as plain values; None values of
    attributes the model does not declare are stored as NULL, of fields as the model says."""
    from .codec import encode_value

    fields = codec.schema.attribute_fields
    zone = codec.zone
    out: dict[str, Any] = {}
    for attribute, value in plain.items():
        field = fields.get(attribute)
        av = (
            codec.encode_field(field, value)
            if field is not None
            else encode_value(value, zone=zone)
        )
        if av is not None:
            out[attribute] = av
    return out


def item_upcaster(codec: ItemCodec[Any]) -> Callable[[RawItem], RawItem] | None:
    """The read-side step of ``codec``'s model: a raw item in, the raw item of the current
    version out (the same object when it is current). None when the model has no upcasters,
    so that the codec's decode path stays as it is."""
    versioning = codec.schema.versioning
    if versioning is None or not versioning.upcasters:
        return None
    from .codec import decode_item

    attribute = versioning.attribute
    current = versioning.version
    current_text = str(current)

    def upcast_item(item: RawItem) -> RawItem:
        av = item.get(attribute)
        if av is not None and av.get("N") == current_text:
            return item
        version = versioning.stored_version(item)
        if version is not None and version >= current:
            return item  # written by newer code: read as it is (tolerant reader)
        if version is None or version < versioning.oldest:
            raise _corrupt(codec, item, f"its {attribute!r} is not a version ddbwrap can upcast")
        try:
            plain = upcast_plain(versioning, decode_item(item), version)
            upcasted = encode_plain(codec, plain)
        except CorruptItemError:
            raise
        except Exception as exc:  # the user's function: its message may quote values
            raise _corrupt(
                codec,
                item,
                f"upcasting it from version {version} to {current} failed ({type(exc).__name__})",
            ) from None
        upcasted[attribute] = {"N": current_text}
        return upcasted

    return upcast_item


def _corrupt(codec: ItemCodec[Any], item: RawItem, why: str) -> CorruptItemError:
    schema = codec.schema
    versioning = schema.versioning
    assert versioning is not None
    return CorruptItemError(
        schema.model_name,
        schema.table_name,
        codec.key_values(item),
        [{"loc": (versioning.attribute,), "msg": why}],
    )
