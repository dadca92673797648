"""Projection expressions: which attributes (nested paths allowed) a read returns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from ..errors import ValidationError
from ._context import Context
from .paths import Path, parse_path
from .placeholders import Placeholders

_NAME_PLACEHOLDER = re.compile(r"#n\d+")


class ProjectionExpression:
    """A ``ProjectionExpression`` over model field paths.

    Duplicates are dropped, and a path inside another requested path (``settings.retries``
    next to ``settings``) is folded into it: DynamoDB rejects overlapping projection paths.
    """

    __slots__ = ("paths",)

    def __init__(self, fields: Iterable[str | Path]) -> None:
        if isinstance(fields, (str, Path)):
            raise ValidationError(
                "a projection takes a list of field paths, not a single one; "
                f"write [{str(fields)!r}]"
            )
        parsed = [parse_path(f) for f in fields]
        if not parsed:
            raise ValidationError("a projection needs at least one field path")
        kept: list[Path] = []
        for path in sorted(parsed, key=lambda p: len(p.segments)):
            if not any(k.overlaps(path) for k in kept):
                kept.append(path)
        order = {id(p): i for i, p in enumerate(parsed)}
        self.paths: tuple[Path, ...] = tuple(sorted(kept, key=lambda p: order[id(p)]))

    def compile(self, model: type[BaseModel], placeholders: Placeholders) -> str:
        """The expression text; the names go into ``placeholders``."""
        ctx = Context(model, placeholders)
        return ", ".join(ctx.path(ctx.resolve(p)) for p in self.paths)

    def params(self, model: type[BaseModel]) -> dict[str, Any]:
        """The request fragment this projection sends (a dry run)."""
        placeholders = Placeholders()
        return {"ProjectionExpression": self.compile(model, placeholders), **placeholders.params()}

    def __repr__(self) -> str:
        return f"ProjectionExpression({[str(p) for p in self.paths]!r})"


def projection(
    model: type[BaseModel],
    fields: Iterable[str | Path],
    placeholders: Placeholders | None = None,
) -> tuple[str, dict[str, str]]:
    """``(ProjectionExpression, the ExpressionAttributeNames it uses)`` for ``fields``.

    Pass the request's shared ``placeholders`` when the request has other expressions too.
    """
    placeholders = placeholders if placeholders is not None else Placeholders()
    expression = ProjectionExpression(fields).compile(model, placeholders)
    used = set(_NAME_PLACEHOLDER.findall(expression))
    return expression, {k: v for k, v in placeholders.names.items() if k in used}
