"""What importing a part of ddbwrap loads: the library stays light, layers point one way."""

from __future__ import annotations

import subprocess
import sys


def loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return set(output.split())


def test_import_ddbwrap_loads_neither_the_cli_nor_v1_nor_the_tooling() -> None:
    loaded = loaded_after("import ddbwrap")
    assert not {m for m in loaded if m.startswith(("ddbwrap.cli", "ddbwrap.v1", "ddbwrap.tooling"))}


def test_import_ddbwrap_loads_no_test_or_async_machinery() -> None:
    loaded = loaded_after("import ddbwrap")
    assert not {m for m in loaded if m.split(".")[0] in {"moto", "pytest", "aiobotocore"}}
    assert "ddbwrap.testing.scripted" not in loaded


def test_the_cli_does_not_load_the_v1_layer_until_a_migrate_command_runs() -> None:
    loaded = loaded_after("import ddbwrap.cli; ddbwrap.cli.build_parser()")
    assert not {m for m in loaded if m.startswith("ddbwrap.v1")}
