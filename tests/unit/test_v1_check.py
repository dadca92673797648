"""``ddbwrap migrate check``: the AST report of V1 usages, and its command line."""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path

import pytest

from ddbwrap.cli import migrate as migrate_cli
from ddbwrap.cli.common import CommandError
from ddbwrap.v1.check import KINDS, Report, Usage, check_paths, check_sources

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "v1_to_v2"


def check(*sources: str) -> Report:
    """Check dedented sources named a.py, b.py, ..."""
    named = [(f"{chr(97 + i)}.py", textwrap.dedent(s)) for i, s in enumerate(sources)]
    return check_sources(named)


def found(report: Report) -> list[tuple[str, str]]:
    return [(u.kind, u.symbol) for u in report.usages]


# -- the example code base ------------------------------------------------------------------


def test_every_v1_usage_of_the_v1_example_is_found() -> None:
    report = check_paths([EXAMPLES / "v1"])
    assert report.count == 40
    assert report.by_kind() == {
        "import": 9,
        "repository-class": 2,
        "repository-instance": 2,
        "repository-call": 13,
        "exception": 3,
        "timezone": 6,
        "reference": 0,
        "pydantic-v1": 5,
    }
    assert report.files_with_usages() == [
        str(EXAMPLES / "v1" / name) for name in ("handlers.py", "models.py", "repositories.py")
    ]


def test_the_v2_example_has_no_v1_usage() -> None:
    report = check_paths([EXAMPLES / "v2"])
    assert (report.count, report.files_scanned, report.errors) == (0, 4, ())


def test_each_usage_names_its_place_and_its_replacement() -> None:
    report = check_paths([EXAMPLES / "v1" / "handlers.py", EXAMPLES / "v1" / "repositories.py"])
    usage = next(u for u in report.usages if u.symbol == "list_all")
    assert usage.path.endswith("handlers.py")
    assert usage.code == "return len(repo.list_all())"
    assert "scan_all" in usage.replacement
    assert (usage.line, usage.column) == (70, 16)


# -- what counts ----------------------------------------------------------------------------


def test_every_import_form_of_ddbwrap_v1_is_an_import_usage() -> None:
    report = check(
        """
        from ddbwrap.v1 import BaseRepository as Repo, now_utc
        from ddbwrap.v1.timezone import to_utc
        import ddbwrap.v1 as legacy
        from ddbwrap import v1, TableGateway
        from ddbwrap import DomainModel
        """
    )
    assert found(report) == [
        ("import", "BaseRepository"),
        ("import", "now_utc"),
        ("import", "to_utc"),
        ("import", "ddbwrap.v1"),
        ("import", "ddbwrap.v1"),
    ]


def test_names_used_through_a_module_alias_are_resolved() -> None:
    report = check(
        """
        from ddbwrap import v1
        import ddbwrap.v1

        try:
            v1.now_utc()
        except v1.ItemNotFoundException:
            pass
        except ddbwrap.v1.ValidationException:
            pass
        """
    )
    assert found(report)[2:] == [
        ("timezone", "now_utc"),
        ("exception", "ItemNotFoundException"),
        ("exception", "ValidationException"),
    ]


def test_repository_classes_are_followed_across_files() -> None:
    report = check(
        """
        from ddbwrap.v1 import BaseRepository

        class Base(BaseRepository[Model]):
            pass
        """,
        """
        from app.base import Base

        class PipelineRepository(Base):
            table_name = "t"

        class NotARepository(dict):
            pass
        """,
    )
    classes = [u.symbol for u in report.usages if u.kind == "repository-class"]
    assert classes == ["Base", "PipelineRepository"]
    assert report.by_kind()["reference"] == 0  # the base is part of the class usage


def test_calls_on_tracked_repository_instances_are_counted() -> None:
    report = check(
        """
        from typing import Optional
        from app.repos import PipelineRepository

        class Service:
            repo: PipelineRepository

            def __init__(self, gateway):
                self.pipelines = PipelineRepository(gateway)

            def run(self, other: Optional["PipelineRepository"]):
                self.pipelines.get("p1")
                self.repo.list("t1")
                other.delete("p1")
                PipelineRepository.list_all(self.repo)

        def make() -> PipelineRepository:
            return PipelineRepository(None)

        made = make()
        made.create(item)
        PipelineRepository(None).update("p1", {"a": 1})
        """,
        """
        from ddbwrap.v1 import BaseRepository

        class PipelineRepository(BaseRepository[M]):
            pass
        """,
    )
    calls = [u.symbol for u in report.usages if u.kind == "repository-call"]
    assert calls == ["get", "list", "delete", "list_all", "create", "update"]
    assert report.by_kind()["repository-instance"] == 3


def test_calls_on_other_objects_are_not_counted() -> None:
    report = check(
        """
        cache = {}
        cache.get("k")
        session.delete(row)
        items.list()
        settings.dict(other)
        """
    )
    assert report.count == 0


def test_calls_on_self_and_super_inside_a_repository_class_are_counted() -> None:
    report = check(
        """
        from ddbwrap.v1 import BaseRepository

        class Repo(BaseRepository[M]):
            def get_or_create(self, key, item):
                return self.get(key) or super().create(item)

        class Other:
            def get_it(self):
                return self.get(1)
        """
    )
    assert [u.symbol for u in report.usages if u.kind == "repository-call"] == ["get", "create"]


def test_calls_on_adapters_are_counted_as_repository_calls() -> None:
    report = check(
        """
        from ddbwrap.v1 import V1Adapter, RepositoryLike

        def handler(repo: RepositoryLike[Any], reads, writes):
            repo.list("t1")
            adapter = V1Adapter(reads, writes)
            adapter.update("p1", {"name": "x"})
        """
    )
    assert [u.symbol for u in report.usages if u.kind == "repository-call"] == ["list", "update"]
    assert [u.symbol for u in report.usages if u.kind == "reference"] == [
        "RepositoryLike",
        "V1Adapter",
    ]


def test_a_star_import_still_resolves_v1_names() -> None:
    report = check(
        """
        from ddbwrap.v1 import *

        when = to_utc(value)
        """
    )
    assert found(report) == [("import", "*"), ("timezone", "to_utc")]


def test_pydantic_v1_idioms_are_reported() -> None:
    report = check(
        """
        import pydantic.v1
        from pydantic import BaseModel, validator, root_validator

        class Model(BaseModel):
            class Config:
                extra = "forbid"

            @validator("x")
            def check_x(cls, v):
                return v

            @root_validator
            def check_all(cls, values):
                return values

        Model.parse_obj({}).dict()
        Model.parse_raw("{}")
        """
    )
    assert [u.symbol for u in report.usages] == [
        "pydantic.v1",
        "class Config",
        "@validator",
        "@root_validator",
        ".dict()",
        ".parse_obj()",
        ".parse_raw()",
    ]


def test_a_file_that_does_not_parse_is_reported_and_the_others_scanned() -> None:
    report = check("def broken(:\n", "from ddbwrap.v1 import now_utc\n")
    assert report.count == 1
    assert len(report.errors) == 1 and report.errors[0].startswith("a.py:1")


# -- the report -----------------------------------------------------------------------------


def test_the_json_report_has_counts_by_kind_and_every_usage() -> None:
    report = check("from ddbwrap.v1 import now_utc\nnow_utc()\n")
    data = json.loads(report.to_json_text())
    assert data["count"] == 2 and data["files_with_usages"] == 1
    assert list(data["by_kind"]) == list(KINDS)
    assert (
        data["usages"][1]
        == Usage(
            "a.py", 2, 1, "timezone", "now_utc", "now_utc()", "datetime.now(timezone.utc)"
        ).to_dict()
    )


def test_the_text_report_ends_with_a_summary() -> None:
    text = check("from ddbwrap.v1 import now_utc\nnow_utc()\n").to_text()
    assert text.splitlines()[-1] == "2 V1 usages in 1 file (1 scanned): import 1, timezone 1"
    assert "    V2: datetime.now(timezone.utc)" in text


# -- the command ----------------------------------------------------------------------------


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="ddbwrap")
    migrate_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["migrate", *argv])
    code: int = args.handler(args)
    return code


def test_check_exits_1_when_v1_usages_remain(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("check", str(EXAMPLES / "v1")) == 1
    assert "40 V1 usages in 3 files" in capsys.readouterr().out


def test_check_exits_0_when_none_remain(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("check", str(EXAMPLES / "v2")) == 0
    assert capsys.readouterr().out.startswith("0 V1 usages")


def test_check_exit_zero_only_reports(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("check", "--exit-zero", "--format", "json", str(EXAMPLES / "v1")) == 0
    assert json.loads(capsys.readouterr().out)["count"] == 40


def test_check_of_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        run_cli("check", str(tmp_path / "missing"))
