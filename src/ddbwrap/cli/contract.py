"""``ddbwrap contract check FILE MODELS``: does a migration contract match the models?"""

from __future__ import annotations

import argparse
from typing import Any

from ddbwrap.tooling.contract_check import check_contract, load_contract

from .common import (
    add_fail_on,
    add_format,
    add_models,
    command_group,
    load_models,
    subcommand,
)
from .findings_output import report


def register(subparsers: Any) -> None:
    actions = command_group(subparsers, "contract", "check a migration contract against the models")
    parser = subcommand(
        actions,
        "check",
        "compare a migrationContract.json with the models",
        "Check a migration contract's structure strictly against seed 003 (source_table "
        "never null, a denormalized attribute with its justification and join, types S/N/B, "
        "numbers where numbers are due; each finding names its JSON path), then compare it "
        "with the models: tables, keys, GSIs and attribute types. Source columns, access "
        "patterns and sizes are not compared. To write one: ddbwrap export contract MODELS "
        "-o migrationContract.json",
    )
    parser.add_argument("file", metavar="FILE", help="the migrationContract.json to check")
    parser.add_argument(
        "--allow-extensions",
        action="store_true",
        help="accept ddbwrap's extensions of seed 003: DynamoDB types besides S/N/B (BOOL, "
        "NULL, L, M, SS, NS, BS, A|B unions, * for any), multi-attribute key lists, extra keys",
    )
    add_models(parser)
    add_fail_on(parser, "low")
    add_format(parser, "markdown")
    parser.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    models = load_models(args)
    contract = load_contract(args.file)
    findings = check_contract(contract, models, allow_extensions=args.allow_extensions)
    return report(args, findings, f"ddbwrap contract check of {args.file}", contract=args.file)
