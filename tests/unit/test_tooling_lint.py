"""Lint: each rule fires on the design it names, stays quiet otherwise, and can be silenced."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Literal

import pytest
from pydantic import Field

from ddbwrap import GSI, INCLUDE, KEYS_ONLY, DomainModel, KeyTemplate
from ddbwrap.tooling.findings import Severity
from ddbwrap.tooling.lint import SEED_WARNINGS, lint_models
from ddbwrap.tooling.lint_code import lint_paths, scan_calls


class Tidy(DomainModel):
    tidy_id: str
    owner_id: str
    tags: list[str] = Field(default_factory=list, max_length=10)

    class Meta:
        table_name = "tidy"
        partition_key = "tidy_id"
        gsis = (GSI("owner-index", partition_key="owner_id", projection=KEYS_ONLY),)


class Color(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


class Hot(DomainModel):
    hot_id: str
    is_open: bool = True
    color: Color = Color.RED
    kind: Literal["a", "b", "c"] = "a"

    class Meta:
        table_name = "hot"
        partition_key = "hot_id"
        gsis = (
            GSI("open-index", partition_key="is_open", projection=KEYS_ONLY),
            GSI("color-index", partition_key="color", projection=KEYS_ONLY),
        )


class HotSilenced(DomainModel):
    hot_id: str
    is_open: bool = True

    class Meta:
        table_name = "hot2"
        partition_key = "hot_id"
        gsis = (GSI("open-index", partition_key="is_open", projection=KEYS_ONLY),)
        lint_ignore = ("DDB101",)


class Fanout(DomainModel):
    fan_id: str
    a: str
    b: str
    c: str
    d: str
    e: str
    f: str

    class Meta:
        table_name = "fanout"
        partition_key = "fan_id"
        gsis = tuple(
            GSI(f"{name}-index", partition_key=name, projection=KEYS_ONLY)
            for name in ("a", "b", "c", "d", "e", "f")
        )


class Wide(DomainModel):
    wide_id: str
    f1: str = ""
    f2: str = ""
    f3: str = ""
    f4: str = ""
    f5: str = ""
    f6: str = ""
    f7: str = ""
    f8: str = ""
    f9: str = ""
    f10: str = ""
    f11: str = ""
    f12: str = ""

    class Meta:
        table_name = "wide"
        partition_key = "wide_id"
        gsis = (GSI("f1-index", partition_key="f1"),)


class Unbounded(DomainModel):
    item_id: str
    notes: list[str] = []
    labels: dict[str, str] = {}
    codes: set[str] = set()

    class Meta:
        table_name = "unbounded"
        partition_key = "item_id"


class Composite(DomainModel):
    tenant_id: str
    user_id: str

    class Meta:
        table_name = "composite"
        partition_key = KeyTemplate("pk", "TENANT#{tenant_id}")
        sort_key = KeyTemplate("sk", "USER#{user_id}")


class Denormalized(DomainModel):
    copy_id: str
    tidy: Tidy

    class Meta:
        table_name = "copies"
        partition_key = "copy_id"


def codes(*models: type[DomainModel], ignore: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return sorted((f.code, f.subject or "") for f in lint_models(list(models), ignore=ignore))


def test_a_tidy_model_has_no_findings() -> None:
    assert lint_models([Tidy]) == []


def test_bool_and_low_cardinality_gsi_keys_are_hot_partitions() -> None:
    assert codes(Hot) == [("DDB101", "color-index"), ("DDB101", "open-index")]


def test_hot_partition_warning_quotes_the_seed_and_is_high() -> None:
    finding = lint_models([Hot])[0]
    assert SEED_WARNINGS["hot"] in finding.message
    assert finding.severity is Severity.HIGH
    assert finding.fix


def test_meta_lint_ignore_silences_a_rule_for_that_model() -> None:
    assert lint_models([HotSilenced]) == []


def test_ignore_argument_silences_a_rule_for_the_run() -> None:
    assert lint_models([Hot], ignore=("DDB101",)) == []


def test_many_gsis_warn_of_the_throttling_cascade_and_too_many_gsis() -> None:
    found = {code for code, _ in codes(Fanout)}
    assert found == {"DDB102", "DDB105"}
    cascade = next(f for f in lint_models([Fanout]) if f.code == "DDB102")
    assert SEED_WARNINGS["throttling"] in cascade.message


def test_projection_all_on_a_wide_item_warns() -> None:
    assert codes(Wide) == [("DDB103", "f1-index")]


def test_narrow_projection_on_a_wide_item_is_fine() -> None:
    class WideNarrow(Wide):
        class Meta:
            table_name = "wide"
            partition_key = "wide_id"
            gsis = (GSI("f1-index", partition_key="f1", projection=INCLUDE("f2")),)

    assert codes(WideNarrow) == []


def test_unbounded_collections_warn_and_bounded_ones_do_not() -> None:
    assert codes(Unbounded) == [("DDB104", "codes"), ("DDB104", "labels"), ("DDB104", "notes")]


def test_composite_keys_are_info_with_the_debugging_warning() -> None:
    [finding] = lint_models([Composite])
    assert (finding.code, finding.severity) == ("DDB107", Severity.INFO)
    assert SEED_WARNINGS["debugging"] in finding.message


def test_embedding_another_tables_entity_warns_of_schema_evolution() -> None:
    [finding] = lint_models([Denormalized])
    assert finding.code == "DDB109"
    assert SEED_WARNINGS["evolution"] in finding.message


def test_models_of_different_packages_sharing_a_table_cross_a_boundary() -> None:
    class Billing(DomainModel):
        pk: str
        amount: int = 0

        class Meta:
            table_name = "shared"
            partition_key = "pk"

    class Coaching(DomainModel):
        pk: str
        topic: str = ""

        class Meta:
            table_name = "shared"
            partition_key = "pk"

    Billing.__module__ = "app.billing.models"
    Coaching.__module__ = "app.coaching.models"
    found = lint_models([Billing, Coaching])
    [finding] = [f for f in found if f.code == "DDB108"]
    assert (finding.code, finding.table) == ("DDB108", "shared")
    assert {f.code for f in found} == {"DDB108", "DDB114"}  # nothing tells their items apart
    assert SEED_WARNINGS["boundary"] in finding.message


# -- scans in source code -----------------------------------------------------------------


def test_scan_calls_are_found_with_their_line() -> None:
    source = "def handler(reads):\n    x = 1\n    return reads.scan_all(limit=10)\n"
    assert scan_calls(source) == [(3, "reads.scan_all")]


def test_scan_in_a_string_or_definition_is_not_a_call() -> None:
    source = 'def scan():\n    return "client.scan()"\n'
    assert scan_calls(source) == []


def test_noqa_silences_a_scan_line() -> None:
    source = "client.scan(TableName='t')  # noqa: DDB106\nclient.scan_pages({})\n"
    assert scan_calls(source) == [(2, "client.scan_pages")]


def test_lint_paths_reports_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "jobs.py").write_text("import x\n\nx.table.scan()\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "lib.py").write_text("x.scan()\n")
    [finding] = lint_paths([tmp_path])
    assert finding.code == "DDB106"
    assert finding.location == f"{tmp_path / 'pkg' / 'jobs.py'}:3"


def test_lint_paths_of_a_missing_path_is_an_error(tmp_path: Path) -> None:
    from ddbwrap.errors import ValidationError

    with pytest.raises(ValidationError, match="does not exist"):
        lint_paths([tmp_path / "nope"])
