"""Test support: a DynamoDB Local launcher and a pytest plugin (fixtures ``ddb_endpoint``,
``ddb_client``, ``ddb_gateway``, ``ddb_tables``), loaded automatically once ddbwrap is installed.

The names below are imported on first use, so that ``python -m ddbwrap.testing.local`` does not
import its own module twice.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ddbwrap.testing.local import (
        DynamoDBLocal,
        DynamoDBLocalError,
        client_for,
        install,
        local_client,
    )

__all__ = ["DynamoDBLocal", "DynamoDBLocalError", "client_for", "install", "local_client"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("ddbwrap.testing.local"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
