"""What every builder needs while compiling: the model, its schema and the placeholders."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from .._redact import shown
from ..codec import (
    AttributeValue,
    check_key_text,
    encode_key_value,
    encode_value,
    render_key,
    ttl_value,
)
from ..errors import ValidationError
from ..model import schema_of
from ..schema import TableSchema
from .paths import Path, ResolvedPath, resolve
from .placeholders import Placeholders

_WHOLE_KEY_OPS = frozenset({"eq", "ne", "in", "begins_with"})
"""Condition operators whose text value on a composite key must be (the start of) a key."""


class Context:
    """Compiles paths and values of one model into placeholders of one request."""

    __slots__ = ("model", "placeholders", "schema")

    def __init__(self, model: type[BaseModel], placeholders: Placeholders) -> None:
        self.model = model
        self.schema: TableSchema = schema_of(model)
        self.placeholders = placeholders

    def resolve(self, path: Path, *, foreign_ok: bool = False) -> ResolvedPath:
        """``path`` resolved against the model; a foreign path (``Attr.foreign``) only where
        ``foreign_ok`` (conditions and filters: an update writes only declared attributes)."""
        if path.foreign and not foreign_ok:
            raise ValidationError(
                f"{str(path)!r} is a foreign path (Attr.foreign): it can be tested in a condition "
                "or a filter, but ddbwrap writes and projects only the attributes the model "
                "declares; declare the field to write it",
                model=self.schema.model_name,
                field=str(path),
            )
        return resolve(self.model, path)

    def path(self, resolved: ResolvedPath) -> str:
        """``#n0.#n1[2]``: every name through a placeholder, indexes as digits."""
        out: list[str] = []
        for segment in resolved.stored:
            if isinstance(segment, int):
                out.append(f"[{segment}]")
            else:
                out.append(("." if out else "") + self.placeholders.name(segment))
        return "".join(out)

    def encode(
        self, value: Any, target: ResolvedPath | None, what: str, *, op: str | None = None
    ) -> AttributeValue | None:
        """The AttributeValue of ``value`` as stored at ``target``: key form for key attributes.

        Returns None for a value the codec omits (an empty set); callers decide what that means.
        A condition (``op``) on a composite key attribute (``KeyTemplate``) takes a mapping of
        the template's fields, rendered and checked like every key (for ``begins_with``: its
        first fields), or a text that must be a key the template renders.
        """
        zone = self.schema.naive_datetime_zone
        key = target.key if target is not None else None
        if op is not None and key is not None and key.template is not None:
            model = self.schema.model_name
            if isinstance(value, Mapping):
                prefix = op == "begins_with"
                text = render_key(
                    key.template, value, model=model, zone=zone, leading=prefix, exact=True
                )
                return {"S": text}
            if isinstance(value, str) and op in _WHOLE_KEY_OPS:
                check_key_text(key.template, value, model=model, prefix=op == "begins_with")
        if value is None and target is not None and target.key is not None:
            raise target.error(
                f"{what} is None, but an index key is never stored as NULL (the item simply "
                "lacks it); use not_exists() in a condition, remove() in an update"
            )
        return self.encoder(target)(value, what)

    def encoder(self, target: ResolvedPath | None) -> Callable[[Any, str], AttributeValue | None]:
        """How a value stored at ``target`` is encoded (key form for key attributes, epoch
        seconds for the TTL, else the codec's): ``encoder(target)(value, what)``, refusing a
        value it cannot encode with a ValidationError that names ``what`` and the field."""
        zone = self.schema.naive_datetime_zone
        encode: Callable[..., AttributeValue | None] = encode_value
        if target is not None and target.key is not None:
            encode = encode_key_value
        elif target is not None and self.is_ttl(target):
            encode = ttl_value
        model = self.schema.model_name
        field = str(target.path) if target is not None else None

        def encoded(value: Any, what: str) -> AttributeValue | None:
            try:
                return encode(value, zone=zone)
            except ValidationError as exc:
                raise ValidationError(
                    f"{what} {shown(value)} cannot be encoded: {exc.message}",
                    model=model,
                    field=field,
                ) from None

        return encoded

    def is_ttl(self, target: ResolvedPath) -> bool:
        """True for the top-level TTL attribute, stored as epoch seconds (a Number)."""
        ttl = self.schema.ttl_attribute
        return ttl is not None and target.stored == (ttl,)

    def value(
        self, value: Any, target: ResolvedPath | None, what: str, *, op: str | None = None
    ) -> str:
        """A ``:v`` placeholder for ``value``; an empty set is refused (it has no encoding)."""
        encoded = self.encode(value, target, what, op=op)
        if encoded is None:
            raise ValidationError(
                f"{what} is an empty set, which DynamoDB cannot store or compare; "
                "use attribute_not_exists() or size() to test for an empty or missing set",
                model=self.schema.model_name,
                field=str(target.path) if target is not None else None,
            )
        return self.placeholders.value(encoded)

    def raw_value(self, attribute_value: AttributeValue) -> str:
        """A placeholder for an AttributeValue built by ddbwrap itself (constants, type names)."""
        return self.placeholders.value(attribute_value)
