"""The reverse of the contract export: does a given migration contract match the models?

First the structure is checked strictly against seed 003 (``contract_structure_findings``:
null source tables, incomplete denormalizations, types beyond S/N/B unless extensions are
allowed, numbers that are not numbers; each finding names its JSON path). Then compared:
tables, their keys and GSIs, and each attribute's DynamoDB type. Not compared: the overridable
parts (source tables and columns, ``satisfies``, item sizes), which Meta cannot know.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ddbwrap.errors import ContractFormatError

from .contract import contract_structure_findings, migration_contract
from .findings import Finding, Severity

_REQUIRED = ("table", "type", "source_table", "pk", "attributes")



def load_contract(path: str | Path) -> list[Any]:
    """Read a ``migrationContract.json``; ContractFormatError when it is not a JSON list."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContractFormatError(f"cannot read contract {str(path)!r}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ContractFormatError(f"contract {str(path)!r} is not valid JSON: {exc}") from exc
    if not isinstance(document, list):
        raise ContractFormatError(
            f"contract {str(path)!r} must be a JSON array of table entries (seed 003)"
        )
    return document


def check_contract(
    contract: Sequence[Any],
    models: Sequence[type[BaseModel]],
    *,
    allow_extensions: bool = False,
) -> list[Finding]:
    """Findings for every way ``contract`` departs from seed 003's structure (strictly, unless
    ``allow_extensions``: see ``contract_structure_findings``) and disagrees with ``models``."""
    findings = contract_structure_findings(contract, allow_extensions=allow_extensions)
    entries: dict[str, Mapping[str, Any]] = {}
    gsi_entries: dict[str, Mapping[str, Any]] = {}
    for entry in contract:
        if _shape_problem(entry):
            continue  # reported by the structure check; nothing to compare
        (gsi_entries if entry["type"] == "GSI" else entries)[entry["table"]] = entry
    expected = migration_contract(models)
    declared = {e["table"]: e for e in expected}
    for table, want in declared.items():
        have = entries.get(table)
        if have is None:
            findings.append(
                Finding(
                    Severity.HIGH,
                    "DDB402",
                    "the models declare this table but the contract has no entry for it",
                    "regenerate the contract: ddbwrap export contract MODELS -o FILE",
                    table=table,
                )
            )
            continue
        findings += _compare_entry(table, want, have)
    for table in sorted(set(entries) - set(declared)):
        findings.append(
            Finding(
                Severity.MEDIUM,
                "DDB403",
                "the contract has this table but no model declares it",
                "add a model for it, or remove the entry from the contract",
                table=table,
            )
        )
    findings += _compare_gsi_entries(gsi_entries, expected)
    return findings


def _shape_problem(entry: Any) -> str:
    """Why an entry cannot be compared with the models ("" when it can)."""
    if not isinstance(entry, Mapping):
        return "not an object"
    missing = [k for k in _REQUIRED if k not in entry]
    if missing:
        return f"missing {', '.join(missing)}"
    if entry["type"] not in ("Table", "GSI"):
        return f"type is {entry['type']!r}, not 'Table' or 'GSI'"
    if not isinstance(entry["attributes"], Mapping):
        return "attributes is not an object"
    if not isinstance(entry.get("gsis", []), list):
        return "gsis is not an array"
    if not isinstance(entry["table"], str):
        return "table is not a string"
    return ""


def _compare_entry(table: str, want: Mapping[str, Any], have: Mapping[str, Any]) -> list[Finding]:
    findings = []
    for key in ("pk", "sk"):
        if want.get(key) != have.get(key):
            findings.append(
                Finding(
                    Severity.CRITICAL,
                    "DDB404",
                    f"{key} is {have.get(key)!r} in the contract, {want.get(key)!r} in the models",
                    "the key decides where every item lives: agree on it, then regenerate",
                    table=table,
                    subject=key,
                )
            )
    findings += _compare_gsis(table, want.get("gsis", []), have.get("gsis", []))
    findings += _compare_attributes(table, want["attributes"], have["attributes"])
    return findings


def _compare_gsis(table: str, want: list[Any], have: list[Any]) -> list[Finding]:
    wanted = {g["name"]: g for g in want}
    had = {g.get("name"): g for g in have if isinstance(g, Mapping)}
    findings = []
    for name, gsi in wanted.items():
        other = had.get(name)
        if other is None:
            message = "GSI is declared by the models but missing from the contract"
        elif (other.get("pk"), other.get("sk")) != (gsi["pk"], gsi.get("sk")):
            message = (
                f"GSI keys are ({other.get('pk')}, {other.get('sk')}) in the contract, "
                f"({gsi['pk']}, {gsi.get('sk')}) in the models"
            )
        else:
            continue
        findings.append(
            Finding(
                Severity.HIGH,
                "DDB405",
                message,
                "regenerate the contract",
                table=table,
                subject=name,
            )
        )
    for name in sorted(set(had) - set(wanted), key=str):
        findings.append(
            Finding(
                Severity.HIGH,
                "DDB405",
                "GSI is in the contract but no model declares it",
                "declare it in Meta.gsis, or remove it from the contract",
                table=table,
                subject=str(name),
            )
        )
    return findings


def _compare_attributes(
    table: str, want: Mapping[str, Any], have: Mapping[str, Any]
) -> list[Finding]:
    findings = []
    for name, attribute in want.items():
        other = have.get(name)
        if not isinstance(other, Mapping):
            findings.append(
                Finding(
                    Severity.MEDIUM,
                    "DDB407",
                    f"attribute ({attribute['type']}) is stored by the models but missing from "
                    "the contract",
                    "regenerate the contract",
                    table=table,
                    subject=name,
                )
            )
        elif other.get("type") != attribute["type"]:
            findings.append(
                Finding(
                    Severity.HIGH,
                    "DDB406",
                    f"attribute type is {other.get('type')!r} in the contract, "
                    f"{attribute['type']!r} in the models",
                    "change the field's type or the contract so both services store one type",
                    table=table,
                    subject=name,
                )
            )
    for name in sorted(set(have) - set(want)):
        findings.append(
            Finding(
                Severity.LOW,
                "DDB408",
                "attribute is in the contract but no model stores it (reads ignore it)",
                "add a field for it if this service needs it, or remove it from the contract",
                table=table,
                subject=name,
            )
        )
    return findings


def _compare_gsi_entries(
    entries: Mapping[str, Mapping[str, Any]], expected: Sequence[Mapping[str, Any]]
) -> list[Finding]:
    gsis = {g["name"]: g for e in expected for g in e.get("gsis", [])}
    findings = []
    for name, entry in entries.items():
        gsi = gsis.get(name)
        if gsi is None:
            message = "GSI entry names no GSI the models declare"
        elif (entry.get("pk"), entry.get("sk")) != (gsi["pk"], gsi.get("sk")):
            message = (
                f"GSI entry keys ({entry.get('pk')}, {entry.get('sk')}) differ from the models'"
            )
        else:
            continue
        findings.append(
            Finding(Severity.HIGH, "DDB405", message, "regenerate the contract", subject=name)
        )
    return findings
