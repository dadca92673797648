"""What every builder needs while compiling: the model, its schema and the placeholders."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..codec import AttributeValue, encode_key_value, encode_value, ttl_value
from ..errors import ValidationError
from ..model import schema_of
from ..schema import TableSchema
from .paths import Path, ResolvedPath, resolve
from .placeholders import Placeholders


class Context:
    """Compiles paths and values of one model into placeholders of one request."""

    __slots__ = ("model", "placeholders", "schema")

    def __init__(self, model: type[BaseModel], placeholders: Placeholders) -> None:
        self.model = model
        self.schema: TableSchema = schema_of(model)
        self.placeholders = placeholders

    def resolve(self, path: Path) -> ResolvedPath:
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

    def encode(self, value: Any, target: ResolvedPath | None, what: str) -> AttributeValue | None:
        """The AttributeValue of ``value`` as stored at ``target``: key form for key attributes.

        Returns None for a value the codec omits (an empty set); callers decide what that means.
        """
        zone = self.schema.naive_datetime_zone
        if value is None and target is not None and target.key is not None:
            raise target.error(
                f"{what} is None, but an index key is never stored as NULL (the item simply "
                "lacks it); use not_exists() in a condition, remove() in an update"
            )
        try:
            if target is not None and target.key is not None:
                return encode_key_value(value, zone=zone)
            if target is not None and self._is_ttl(target):
                return ttl_value(value, zone=zone)
            return encode_value(value, zone=zone)
        except ValidationError as exc:
            field = str(target.path) if target is not None else None
            raise ValidationError(
                f"{what} {value!r} cannot be encoded: {exc.message}",
                model=self.schema.model_name,
                field=field,
            ) from None

    def _is_ttl(self, target: ResolvedPath) -> bool:
        """True for the top-level TTL attribute, stored as epoch seconds (a Number)."""
        ttl = self.schema.ttl_attribute
        return ttl is not None and target.stored == (ttl,)

    def value(self, value: Any, target: ResolvedPath | None, what: str) -> str:
        """A ``:v`` placeholder for ``value``; an empty set is refused (it has no encoding)."""
        encoded = self.encode(value, target, what)
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
