"""``ddbwrap schema hash|lock|check`` and ``ddbwrap contract check`` through ``main([...])``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ddbwrap.cli import main
from ddbwrap.tooling.lock import schema_hash

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

VERSION_1 = """
from ddbwrap import GSI, DomainModel

class Note(DomainModel):
    note_id: str
    owner_id: str

    class Meta:
        table_name = "notes"
        partition_key = "note_id"
"""
VERSION_2 = VERSION_1.replace(
    'partition_key = "note_id"',
    'partition_key = "note_id"\n        gsis = (GSI("owner-index", partition_key="owner_id"),)',
)


@pytest.fixture(autouse=True)
def sample_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(FIXTURES))


@pytest.fixture
def module_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Write a models module under a fresh name; returns its import path."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(source: str) -> str:
        name = f"notes_{uuid.uuid4().hex[:8]}"
        (tmp_path / f"{name}.py").write_text(source)
        return name

    yield write


def test_hash_prints_the_schema_hash(capsys: pytest.CaptureFixture[str]) -> None:
    import models_sample

    assert main(["schema", "hash", "models_sample"]) == 0
    assert capsys.readouterr().out.strip() == schema_hash([models_sample.Goal, models_sample.Task])


def test_lock_then_check_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = str(tmp_path / "ddbwrap.lock")
    assert main(["schema", "lock", "models_sample", "--lock", lock]) == 0
    assert main(["schema", "check", "--lock", lock, "models_sample"]) == 0
    assert "ok: the models match" in capsys.readouterr().out


def test_check_fails_and_names_the_changed_table(
    tmp_path: Path, module_factory: object, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = str(tmp_path / "ddbwrap.lock")
    before = module_factory(VERSION_1)  # type: ignore[operator]
    after = module_factory(VERSION_2)  # type: ignore[operator]
    main(["schema", "lock", before, "--lock", lock])
    capsys.readouterr()
    assert main(["schema", "check", "--lock", lock, after]) == 1
    out = capsys.readouterr().out
    assert "changed: notes" in out
    assert "ddbwrap schema lock" in out


def test_check_json_lists_changed_tables(
    tmp_path: Path, module_factory: object, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = str(tmp_path / "ddbwrap.lock")
    main(["schema", "lock", module_factory(VERSION_1), "--lock", lock])  # type: ignore[operator]
    capsys.readouterr()
    main(["schema", "check", module_factory(VERSION_2), "--lock", lock, "--format", "json"])  # type: ignore[operator]
    document = json.loads(capsys.readouterr().out)
    assert (document["ok"], document["changed_tables"], document["exit_code"]) == (
        False,
        ["notes"],
        1,
    )


def test_check_without_a_lock_file_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["schema", "check", "models_sample", "--lock", str(tmp_path / "none")]) == 1
    assert "does not exist" in capsys.readouterr().out


def test_lock_twice_leaves_the_file_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = tmp_path / "ddbwrap.lock"
    main(["schema", "lock", "models_sample", "--lock", str(lock)])
    first = lock.read_text()
    main(["schema", "lock", "models_sample", "--lock", str(lock)])
    assert lock.read_text() == first
    assert capsys.readouterr().out.splitlines()[-1].startswith("unchanged ")


def test_contract_check_of_the_own_export_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contract = tmp_path / "migrationContract.json"
    main(["export", "contract", "models_sample", "-o", str(contract)])
    capsys.readouterr()
    # models_sample stores BOOL, L and SS attributes: seed 003 knows only S, N and B
    assert main(["contract", "check", str(contract), "models_sample"]) == 1
    assert "DDB411" in capsys.readouterr().out
    assert main(["contract", "check", str(contract), "models_sample", "--allow-extensions"]) == 0
    assert "no findings" in capsys.readouterr().out


def test_contract_check_reports_a_changed_key_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contract = tmp_path / "migrationContract.json"
    main(["export", "contract", "models_sample", "-o", str(contract)])
    entries = json.loads(contract.read_text())
    entries[0]["pk"] = "id"
    contract.write_text(json.dumps(entries))
    capsys.readouterr()
    assert main(
        ["contract", "check", str(contract), "models_sample", "--format", "json",
         "--allow-extensions"]
    ) == 1  # fmt: skip
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert (finding["code"], finding["severity"], finding["table"]) == (
        "DDB404",
        "CRITICAL",
        "goals",
    )


def test_contract_check_fail_on_raises_the_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contract = tmp_path / "migrationContract.json"
    main(["export", "contract", "models_sample", "-o", str(contract)])
    entries = json.loads(contract.read_text())
    entries[0]["attributes"]["legacy"] = {"type": "S"}
    contract.write_text(json.dumps(entries))
    check = ["contract", "check", str(contract), "models_sample", "--allow-extensions"]
    assert main(check) == 1
    assert main([*check, "--fail-on", "medium"]) == 0


def test_contract_check_of_a_file_that_is_not_json_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    contract = tmp_path / "c.json"
    contract.write_text("nope")
    assert main(["contract", "check", str(contract), "models_sample"]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_contract_check_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    contract = tmp_path / "c.json"
    contract.write_text("[]")
    main(["contract", "check", str(contract), "models_sample", "--format", "markdown"])
    out = capsys.readouterr().out
    assert out.startswith("### ddbwrap contract check")
    assert "| HIGH | `DDB402` | `goals` |" in out
