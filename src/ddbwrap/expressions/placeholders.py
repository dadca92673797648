"""The ``#n``/``:v`` allocator shared by every expression of one request.

DynamoDB requires that placeholder names are unique across the key condition, filter,
projection, update and condition of a request, and it rejects a request that defines a
placeholder no expression uses or an empty ``ExpressionAttributeNames``/``Values`` map. One
``Placeholders`` object per request, handed to every builder, keeps all of that right.
"""

from __future__ import annotations

from typing import Any

from ..codec import EncodedItem

AttributeValue = dict[str, Any]

NAMES_KEY = "ExpressionAttributeNames"
VALUES_KEY = "ExpressionAttributeValues"


class Placeholders:
    """Allocates ``#n0, #n1…`` for attribute names and ``:v0, :v1…`` for values.

    The same attribute name always gets the same placeholder within one request; every value
    gets a fresh one (values are never compared, so two equal values simply use two slots).
    """

    __slots__ = ("_by_name", "_names", "_values")

    def __init__(self) -> None:
        self._by_name: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._values: dict[str, AttributeValue] = {}

    def name(self, attribute: str) -> str:
        """The ``#n`` placeholder of one attribute name (one path segment)."""
        placeholder = self._by_name.get(attribute)
        if placeholder is None:
            placeholder = f"#n{len(self._names)}"
            self._by_name[attribute] = placeholder
            self._names[placeholder] = attribute
        return placeholder

    def value(self, attribute_value: AttributeValue) -> str:
        """A fresh ``:v`` placeholder bound to an AttributeValue the codec (or ddbwrap itself,
        for its constants) encoded."""
        placeholder = f":v{len(self._values)}"
        self._values[placeholder] = attribute_value
        return placeholder

    @property
    def names(self) -> dict[str, str]:
        """``ExpressionAttributeNames`` so far (a copy)."""
        return dict(self._names)

    @property
    def values(self) -> dict[str, AttributeValue]:
        """``ExpressionAttributeValues`` so far (a copy)."""
        return dict(self._values)

    def params(self) -> dict[str, Any]:
        """The two request maps, each left out when empty (DynamoDB rejects empty maps). The
        values are the codec's or ddbwrap's own AttributeValues, well-formed by construction: an
        ``EncodedItem``, which the request check takes as it is."""
        params: dict[str, Any] = {}
        if self._names:
            params[NAMES_KEY] = dict(self._names)
        if self._values:
            params[VALUES_KEY] = EncodedItem(self._values)
        return params

    def __repr__(self) -> str:
        return f"Placeholders(names={self._names!r}, values={self._values!r})"
