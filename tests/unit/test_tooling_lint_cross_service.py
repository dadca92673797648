"""Cross-service lint (issue 17, seed 003's Entity Boundary and Schema Evolution warnings):
``Meta.owner``, DDB111 (a strict reader of another service's table), DDB112 (a required
attribute added to it, against the lock), DDB113 (scalar denormalized copies), and the
warnings ``tables create|ensure`` and ``export`` print on stderr."""

from __future__ import annotations

import enum
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from pydantic import ConfigDict, Field

from ddbwrap import DomainModel
from ddbwrap.cli import main
from ddbwrap.errors import ModelDefinitionError
from ddbwrap.model import schema_of
from ddbwrap.tooling.lint import SEED_WARNINGS, cross_service_warnings, lint_models
from ddbwrap.tooling.lock import write_lock


class Color(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


class Tolerant(DomainModel):
    """Another service's table, read the way examples/goals reads pp_api's."""

    item_id: str
    status: str
    note: str | None = None

    class Meta:
        table_name = "shared_items"
        partition_key = "item_id"
        owner = "pp_api"


class Strict(DomainModel):
    model_config = ConfigDict(extra="forbid")

    item_id: str
    color: Color
    kind: Literal["a", "b"] = "a"
    flag: bool = False

    class Meta:
        table_name = "shared_strict"
        partition_key = "item_id"
        owner = "pp_api"


class Author(DomainModel):
    author_id: str
    name: str

    class Meta:
        table_name = "authors"
        partition_key = "author_id"


class Book(DomainModel):
    book_id: str
    author_id: str  # a reference (the author's key), not a copy
    author_name: str  # a copy of Author.name
    publisher_city: str = Field(
        default="", json_schema_extra={"x-ddbwrap-denormalized": "publishers.city"}
    )

    class Meta:
        table_name = "books"
        partition_key = "book_id"


def codes(findings: list[object]) -> list[tuple[str, str | None]]:
    return [(f.code, f.subject) for f in findings]  # type: ignore[attr-defined]


def test_meta_owner_is_parsed_and_checked() -> None:
    assert schema_of(Tolerant).owner == "pp_api"
    assert schema_of(Author).owner is None
    with pytest.raises(ModelDefinitionError, match=r"Meta\.owner must be"):

        class Bad(DomainModel):
            item_id: str

            class Meta:
                table_name = "t"
                partition_key = "item_id"
                owner = ""


def test_a_tolerant_reader_of_another_services_table_has_no_boundary_finding() -> None:
    assert [f for f in lint_models([Tolerant]) if f.code.startswith("DDB11")] == []


def test_a_strict_reader_of_another_services_table_is_an_entity_boundary_warning() -> None:
    findings = [f for f in lint_models([Strict]) if f.code == "DDB111"]
    assert codes(findings) == [("DDB111", None), ("DDB111", "color"), ("DDB111", "kind")]
    assert all(SEED_WARNINGS["boundary"] in f.message for f in findings)
    assert "owned by pp_api" in findings[0].message
    assert "extra='forbid'" in findings[0].message
    assert "only 2 values" in findings[1].message
    assert "examples/goals" in findings[1].fix


def test_the_owner_itself_gets_no_cross_service_findings() -> None:
    assert [f for f in lint_models([Strict], service="pp_api") if f.code == "DDB111"] == []
    assert [f.code for f in lint_models([Strict], service="pp_ai")].count("DDB111") == 3


def test_lint_ignore_and_ignore_silence_ddb111() -> None:
    assert "DDB111" not in {f.code for f in lint_models([Strict], ignore={"DDB111"})}


def test_scalar_denormalized_copies_are_schema_evolution_warnings() -> None:
    findings = [f for f in lint_models([Author, Book]) if f.code == "DDB113"]
    assert codes(findings) == [("DDB113", "author_name"), ("DDB113", "publisher_city")]
    assert "copy of authors.name" in findings[0].message
    assert "copy of publishers.city" in findings[1].message
    assert all(SEED_WARNINGS["evolution"] in f.message for f in findings)
    # without the Author model only the declared copy is known
    assert codes([f for f in lint_models([Book]) if f.code == "DDB113"]) == [
        ("DDB113", "publisher_city")
    ]


def test_a_copy_on_another_services_table_adds_the_boundary_warning() -> None:
    class Order(DomainModel):
        order_id: str
        author_name: str

        class Meta:
            table_name = "orders"
            partition_key = "order_id"
            owner = "shop"

    [finding] = [f for f in lint_models([Author, Order]) if f.code == "DDB113"]
    assert SEED_WARNINGS["boundary"] in finding.message


def _module(name: str, required: bool) -> types.ModuleType:
    module = types.ModuleType(name)
    source = f"""
from ddbwrap import DomainModel

class Shared(DomainModel):
    item_id: str
    status: str
    region: str{"" if required else " | None = None"}

    class Meta:
        table_name = "shared"
        partition_key = "item_id"
        owner = "pp_api"
"""
    exec(compile(source, name, "exec"), module.__dict__)
    sys.modules[name] = module
    return module


@pytest.fixture
def versions() -> Iterator[tuple[types.ModuleType, types.ModuleType]]:
    old, new = _module("lint_shared_v1", False), _module("lint_shared_v2", True)
    yield old, new
    for name in ("lint_shared_v1", "lint_shared_v2"):
        sys.modules.pop(name, None)


def test_a_required_attribute_on_another_services_table_is_found_against_the_lock(
    tmp_path: Path, versions: tuple[types.ModuleType, types.ModuleType]
) -> None:
    old, new = versions
    lock = tmp_path / "ddbwrap.lock"
    write_lock(lock, [old.Shared])
    assert [f for f in lint_models([old.Shared], lock=str(lock)) if f.code == "DDB112"] == []
    [finding] = [f for f in lint_models([new.Shared], lock=str(lock)) if f.code == "DDB112"]
    assert finding.subject == "region"
    assert "made required (it was optional)" in finding.message
    assert "owned by pp_api" in finding.message
    assert SEED_WARNINGS["evolution"] in finding.message
    # the owner's own lint: its table, its call
    assert [
        f for f in lint_models([new.Shared], lock=str(lock), service="pp_api") if f.code == "DDB112"
    ] == []


def test_cross_service_warnings_are_the_boundary_and_evolution_codes() -> None:
    found = {f.code for f in cross_service_warnings([Strict, Author, Book])}
    assert found == {"DDB111", "DDB113"}


def test_the_goals_example_is_owned_by_pp_api_and_reads_tolerantly() -> None:
    from examples.goals.models.domain_models import Goal

    assert schema_of(Goal).owner == "pp_api"
    assert cross_service_warnings([Goal]) == []


def test_lint_cli_service_and_lock_options(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    versions: tuple[types.ModuleType, types.ModuleType],
) -> None:
    old, _ = versions
    lock = tmp_path / "ddbwrap.lock"
    write_lock(lock, [old.Shared])
    assert main(["lint", "lint_shared_v2", "--lock", str(lock)]) == 1
    assert "DDB112" in capsys.readouterr().out
    assert main(["lint", "lint_shared_v2", "--lock", str(lock), "--service", "pp_api"]) == 0


def test_export_and_tables_print_the_warnings_on_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DDBWRAP_SERVICE", raising=False)
    spec = f"{__name__}:Strict"
    assert main(["export", "contract", spec]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("[")
    assert "ddbwrap: warning: DDB111 Strict/color:" in captured.err
    assert main(["export", "json-schema", spec]) == 0
    assert "DDB111" in capsys.readouterr().err
    # tables create: the warnings come first, the command goes on (here: no endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    code = main(
        ["tables", "create", spec, "--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1"]
    )
    err = capsys.readouterr().err
    assert code == 3
    assert "ddbwrap: warning: table 'shared_strict' is owned by pp_api (Meta.owner)" in err
    assert "DDB111" in err
    monkeypatch.setenv("DDBWRAP_SERVICE", "pp_api")
    main(["export", "contract", spec])
    assert capsys.readouterr().err == ""


def test_models_of_one_table_that_disagree_on_its_owner() -> None:
    class Mine(DomainModel):
        item_id: str
        status: str

        class Meta:
            table_name = "shared_items"
            partition_key = "item_id"

    [finding] = [f for f in lint_models([Tolerant, Mine]) if f.code == "DDB108"]
    assert "disagree on its owner (pp_api, this service (no Meta.owner))" in finding.message
    assert finding.table == "shared_items"
