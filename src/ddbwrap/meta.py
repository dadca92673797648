"""What a model's ``Meta`` may declare: indexes, projections and composite-key templates."""

from __future__ import annotations

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
    """

    attribute: str
    pattern: str
    fields: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = tuple(
            name for _, name, _, _ in string.Formatter().parse(self.pattern) if name is not None
        )
        object.__setattr__(self, "fields", names)


KeySpec = str | KeyTemplate


@dataclass(frozen=True)
class GSI:
    """A global secondary index declared in ``Meta.gsis``."""

    name: str
    partition_key: KeySpec
    sort_key: KeySpec | None = None
    projection: Projection = ALL


@dataclass(frozen=True)
class LSI:
    """A local secondary index declared in ``Meta.lsis`` (same partition key as the table)."""

    name: str
    sort_key: KeySpec
    projection: Projection = ALL
