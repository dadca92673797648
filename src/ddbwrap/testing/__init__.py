"""Test support: a DynamoDB Local launcher, a pytest plugin (fixtures ``ddb_endpoint``,
``ddb_client``, ``ddb_gateway``, ``ddb_tables``), loaded automatically once ddbwrap is installed,
and ``ScriptedTransport`` with its outcomes (answers and faults scripted per call).

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
    from ddbwrap.testing.scripted import (
        Outcome,
        ScriptedCall,
        ScriptedTransport,
        corrupt_body,
        crc_mismatch,
        empty_body,
        error,
        lose_response,
        passthrough,
        read_timeout,
        refuse_connection,
        respond,
        server_error,
        throttle,
        unprocessed,
    )

__all__ = [
    "DynamoDBLocal",
    "DynamoDBLocalError",
    "Outcome",
    "ScriptedCall",
    "ScriptedTransport",
    "client_for",
    "corrupt_body",
    "crc_mismatch",
    "empty_body",
    "error",
    "install",
    "local_client",
    "lose_response",
    "passthrough",
    "read_timeout",
    "refuse_connection",
    "respond",
    "server_error",
    "throttle",
    "unprocessed",
]
_LOCAL = frozenset({"DynamoDBLocal", "DynamoDBLocalError", "client_for", "install", "local_client"})


def __getattr__(name: str) -> Any:
    if name in _LOCAL:
        return getattr(importlib.import_module("ddbwrap.testing.local"), name)
    if name in __all__:
        return getattr(importlib.import_module("ddbwrap.testing.scripted"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
