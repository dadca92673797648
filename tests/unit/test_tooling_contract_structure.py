"""``contract check`` validates seed 003's migration-contract structure strictly: each
violation is a finding naming its JSON path and the fix (issue 17, seed fidelity)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ddbwrap import GSI, DomainModel
from ddbwrap.cli import main
from ddbwrap.errors import ValidationError
from ddbwrap.tooling.contract import contract_structure_findings, migration_contract
from ddbwrap.tooling.contract_check import check_contract
from ddbwrap.tooling.findings import Finding, Severity


class Book(DomainModel):
    """Only seed-003 types (S, N): its export passes the strict check as it is."""

    book_id: str
    isbn: str
    title: str
    author_id: str
    author_name: str
    pages: int = 0

    class Meta:
        table_name = "books"
        partition_key = "book_id"
        gsis = (GSI("author-index", partition_key="author_id", sort_key="title"),)


def contract() -> list[dict[str, Any]]:
    return migration_contract(
        [Book],
        {
            "tables": {
                "books": {
                    "source_table": "book",
                    "attributes": {
                        "author_name": {
                            "source_table": "author",
                            "source_column": "name",
                            "denormalized": True,
                            "justification": "shown in every book list",
                            "join": {"local_column": "author_id", "source_column": "id"},
                        }
                    },
                }
            }
        },
        gsi_entries=True,
    )


def found(document: list[Any], **options: Any) -> list[tuple[str, str | None, Severity]]:
    return [
        (f.code, f.location, f.severity) for f in contract_structure_findings(document, **options)
    ]


def test_a_seed_conformant_export_has_no_findings() -> None:
    document = contract()
    assert found(document) == []
    assert check_contract(document, [Book]) == []


def test_source_table_null_or_missing() -> None:
    document = contract()
    document[0]["source_table"] = None
    del document[1]["source_table"]
    findings = contract_structure_findings(document)
    assert [(f.code, f.location) for f in findings] == [
        ("DDB409", "$[0].source_table"),
        ("DDB401", "$[1]"),
    ]
    assert "source_table is null" in findings[0].message
    assert "cannot be NULL" in findings[0].fix
    assert "'source_table'" in findings[1].fix


def test_denormalized_needs_justification_and_a_complete_join() -> None:
    document = contract()
    attribute = document[0]["attributes"]["author_name"]
    del attribute["justification"]
    attribute["join"] = {"local_column": "author_id"}
    findings = contract_structure_findings(document)
    assert [(f.code, f.location, f.severity) for f in findings] == [
        ("DDB410", "$[0].attributes.author_name.justification", Severity.HIGH),
        ("DDB410", "$[0].attributes.author_name.join.source_column", Severity.HIGH),
    ]
    assert '"justification"' in findings[0].fix
    del attribute["join"]
    attribute["justification"] = "  "
    assert [loc for _, loc, _ in found(document)] == [
        "$[0].attributes.author_name.justification",
        "$[0].attributes.author_name.join",
    ]
    join_fix = contract_structure_findings(document)[1].fix
    assert "local_column" in join_fix and "source_column" in join_fix


def test_denormalized_must_be_a_boolean_and_false_needs_nothing() -> None:
    document = contract()
    document[0]["attributes"]["title"]["denormalized"] = "yes"
    document[0]["attributes"]["pages"]["denormalized"] = False
    assert found(document) == [("DDB409", "$[0].attributes.title.denormalized", Severity.HIGH)]


def test_types_are_limited_to_the_seed_unless_extensions_are_allowed() -> None:
    document = contract()
    attributes = document[0]["attributes"]
    attributes["title"]["type"] = "BOOL"
    attributes["pages"]["type"] = "N|S"
    attributes["isbn"]["type"] = "string"
    attributes["author_id"]["type"] = 5
    assert found(document) == [
        ("DDB412", "$[0].attributes.isbn.type", Severity.HIGH),
        ("DDB411", "$[0].attributes.title.type", Severity.MEDIUM),
        ("DDB409", "$[0].attributes.author_id.type", Severity.HIGH),
        ("DDB411", "$[0].attributes.pages.type", Severity.MEDIUM),
    ]
    # the extension flag accepts DynamoDB's other types, never something that is none
    assert found(document, allow_extensions=True) == [
        ("DDB412", "$[0].attributes.isbn.type", Severity.HIGH),
        ("DDB409", "$[0].attributes.author_id.type", Severity.HIGH),
    ]


def test_numbers_where_numbers_are_due() -> None:
    document = contract()
    document[0]["estimated_item_size_bytes"] = "900"
    document[1]["estimated_item_size_bytes"] = True
    document[1]["satisfies"] = "query by author"
    findings = contract_structure_findings(document)
    assert [(f.code, f.location) for f in findings] == [
        ("DDB409", "$[0].estimated_item_size_bytes"),
        ("DDB409", "$[1].satisfies"),
        ("DDB409", "$[1].estimated_item_size_bytes"),
    ]
    assert 'is "900", not a number of bytes' in findings[0].message
    document[0]["estimated_item_size_bytes"] = 900.0
    document[1]["estimated_item_size_bytes"] = 120
    document[1]["satisfies"] = ["query by author"]
    assert found(document) == []


def test_keys_gsis_and_unknown_keys() -> None:
    document = contract()
    document[0]["pk"] = ""
    document[0]["sk"] = None
    document[0]["gsis"][0] = {"name": "author-index", "pk": ["author_id", "title"]}
    document[0]["owner"] = "pp_api"
    document[0]["attributes"]["title"]["note"] = "x"
    codes = found(document)
    assert codes == [
        ("DDB411", "$[0]", Severity.LOW),
        ("DDB409", "$[0].pk", Severity.HIGH),
        ("DDB409", "$[0].sk", Severity.LOW),
        ("DDB411", "$[0].gsis[0].pk", Severity.MEDIUM),
        ("DDB411", "$[0].attributes.title", Severity.LOW),
    ]
    assert [c for c in found(document, allow_extensions=True)] == [
        ("DDB409", "$[0].pk", Severity.HIGH),
        ("DDB409", "$[0].sk", Severity.LOW),
    ]


def test_entries_that_cannot_be_read_are_reported_and_not_compared() -> None:
    document: list[Any] = [*contract(), "books", {"table": 3, "type": "View"}]
    findings = check_contract(document, [Book])
    where = [(f.code, f.location) for f in findings]
    assert ("DDB401", "$[2]") in where
    assert ("DDB409", "$[3].table") in where
    assert ("DDB401", "$[3].type") in where
    assert all(f.code.startswith("DDB4") for f in findings)


def test_a_json_path_quotes_odd_attribute_names() -> None:
    document = contract()
    document[0]["attributes"]["odd name"] = {"type": "X"}
    [finding] = [f for f in check_contract(document, [Book]) if f.code == "DDB412"]
    assert finding.location == '$[0].attributes["odd name"].type'
    assert finding.where == '$[0].attributes["odd name"].type'


def test_overrides_are_checked_for_seed_value_types() -> None:
    for settings, message in (
        ({"source_table": None}, "source_table: must be a non-empty string"),
        ({"estimated_item_size_bytes": "900"}, "must be a positive integer number of bytes"),
        ({"satisfies": "get"}, "satisfies: must be a list"),
    ):
        with pytest.raises(ValidationError, match=message):
            migration_contract([Book], {"tables": {"books": settings}})


def test_cli_strict_by_default_and_allow_extensions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).parent))
    path = tmp_path / "migrationContract.json"
    document = contract()
    document[0]["attributes"]["title"]["type"] = "BOOL|S"
    broken = copy.deepcopy(document)
    broken[0]["source_table"] = None
    path.write_text(json.dumps(document))
    spec = f"{__name__}:Book"
    assert main(["contract", "check", str(path), spec]) == 1
    out = capsys.readouterr().out
    assert "DDB411  $[0].attributes.title.type: type 'BOOL|S' is not one of seed 003" in out
    assert "--allow-extensions" in out
    assert main(["contract", "check", str(path), spec, "--allow-extensions"]) == 1  # DDB406
    assert "DDB411" not in capsys.readouterr().out
    path.write_text(json.dumps(broken))
    assert main(["contract", "check", str(path), spec, "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    null = next(f for f in findings if f["code"] == "DDB409")
    assert null["location"] == "$[0].source_table"


def test_findings_are_plain_findings() -> None:
    document = contract()
    document[0]["source_table"] = None
    [finding] = contract_structure_findings(document)
    assert isinstance(finding, Finding)
    assert finding.as_dict()["location"] == "$[0].source_table"
