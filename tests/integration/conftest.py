"""Integration tests run against DynamoDB Local through the fixtures of ddbwrap's pytest plugin.

pip registers the plugin (entry point ``pytest11``) when ddbwrap is installed, as
``scripts/test`` does. When the suite runs from a checkout that is merely on ``sys.path``, the
plugin is registered here instead.
"""

from __future__ import annotations

import pytest

import ddbwrap.testing.plugin as ddbwrap_plugin


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.is_registered(ddbwrap_plugin):
        config.pluginmanager.register(ddbwrap_plugin, "ddbwrap")
