"""Layer 5a: the read side of CQRS — ``ReadApi[M]``, ``View[M]``, ``Page`` and friends.

Public names: ``ReadApi``, ``View``, ``Page``, ``BatchResult``, ``Get``, ``Snapshot``,
``transact_get`` and the sort-key helpers re-exported from :mod:`ddbwrap.expressions`
(``eq``, ``lt``, ``le``, ``gt``, ``ge``, ``between``, ``begins_with``).
"""

from ..expressions import SortCondition, begins_with, between, eq, ge, gt, le, lt
from ..keys import KeyLike
from .api import ReadApi
from .collection import Collection
from .explain import Explain
from .page import BatchResult, CursorCodec, Page
from .requests import OnCorrupt
from .transact import Get, Snapshot, transact_get
from .view import View

__all__ = [
    "BatchResult",
    "Collection",
    "CursorCodec",
    "Explain",
    "Get",
    "KeyLike",
    "OnCorrupt",
    "Page",
    "ReadApi",
    "Snapshot",
    "SortCondition",
    "View",
    "begins_with",
    "between",
    "eq",
    "ge",
    "gt",
    "le",
    "lt",
    "transact_get",
]
