"""The ``ddbwrap`` command itself: help, version, exit codes, errors, the installed script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ddbwrap.cli import build_parser, main
from ddbwrap.cli.common import join_dash_values
from ddbwrap.cli.docs import commands

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SUBCOMMANDS = [
    ["tables", "create"],
    ["tables", "ensure"],
    ["tables", "describe"],
    ["tables", "delete"],
    ["export", "cloudformation"],
    ["export", "json-schema"],
    ["export", "typescript"],
    ["export", "contract"],
    ["contract", "check"],
    ["schema", "hash"],
    ["schema", "lock"],
    ["schema", "check"],
    ["schema", "log"],
    ["schema", "restore"],
    ["schema", "diff"],
    ["schema", "import"],
    ["lint"],
    ["migrate", "check"],
    ["migrate", "scaffold"],
    ["migrate", "data"],
    ["ci", "github-workflow"],
]
# Commands that take no MODELS (they read a lock file, live tables or V1 source code), and
# those without --format json (scaffold writes files).
WITHOUT_MODELS = {"schema log", "schema restore", "schema import", "migrate check",
                  "migrate scaffold", "migrate data"}  # fmt: skip
WITHOUT_JSON = {"migrate scaffold", "ci github-workflow"}


@pytest.fixture(autouse=True)
def sample_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))


@pytest.mark.parametrize("command", SUBCOMMANDS, ids=" ".join)
def test_every_subcommand_has_help_with_the_exit_codes(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert ("MODELS" in out) == (" ".join(command) not in WITHOUT_MODELS)
    assert "3  connection or AWS error" in out


@pytest.mark.parametrize(
    "command", [c for c in SUBCOMMANDS if " ".join(c) not in WITHOUT_JSON], ids=" ".join
)
def test_every_subcommand_offers_json_output(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    main([*command, "--help"])
    assert "{text,json" in capsys.readouterr().out


def test_the_list_of_subcommands_is_every_command_of_the_parser() -> None:
    listed, parsed = {" ".join(c) for c in SUBCOMMANDS}, {" ".join(c) for c in commands()}
    assert (sorted(parsed - listed), sorted(listed - parsed)) == ([], []), (
        "(commands missing from SUBCOMMANDS, commands the parser no longer has)"
    )


@pytest.mark.parametrize("form", [["--table-suffix", "-dev"], ["--table-suffix=-dev"]])
def test_a_table_suffix_starting_with_a_dash_is_accepted_with_a_space_too(
    form: list[str],
) -> None:
    args = build_parser().parse_args(
        join_dash_values(["tables", "describe", "models_sample", *form, "--table-prefix", "-x"])
    )
    assert (args.table_suffix, args.table_prefix) == ("-dev", "-x")


def test_a_missing_table_suffix_value_stays_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["tables", "describe", "models_sample", "--table-suffix", "--format", "json"]) == 2
    assert "--table-suffix: expected one argument" in capsys.readouterr().err


def test_option_columns_are_the_same_on_every_python(capsys: pytest.CaptureFixture[str]) -> None:
    main(["schema", "check", "--help"])
    assert "  -m, --models MODELS   another import path" in capsys.readouterr().out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("ddbwrap ")


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "hash", "models_sample", "--colour"]) == 2


def test_unimportable_models_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "hash", "no_such_module_xyz"]) == 2
    assert "no module named 'no_such_module_xyz'" in capsys.readouterr().err


def test_delete_without_yes_is_refused_before_connecting(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["tables", "delete", "models_sample", "--endpoint-url", "http://127.0.0.1:9"])
    assert code == 2
    assert "--yes" in capsys.readouterr().err


def test_unreachable_endpoint_exits_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code = main(
        [
            "tables",
            "describe",
            "models_sample",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--region",
            "us-east-1",
        ]
    )
    assert code == 3
    assert "could not connect" in capsys.readouterr().err


def test_no_region_exits_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    code = main(["schema", "diff", "models_sample", "--endpoint-url", "http://127.0.0.1:9"])
    assert code == 3
    assert "region" in capsys.readouterr().err


def test_installed_console_script_runs(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("ddbwrap")
    if not script.exists():
        found = shutil.which("ddbwrap")
        assert found, "the ddbwrap console script is not installed (pip install -e .)"
        script = Path(found)
    env = {**os.environ, "PYTHONPATH": str(FIXTURES)}
    result = subprocess.run(
        [str(script), "schema", "lock", "models_sample", "--lock", str(tmp_path / "x.lock")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"wrote {tmp_path / 'x.lock'}: sha256:")
    assert (tmp_path / "x.lock").exists()
