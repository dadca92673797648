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
        "Compare a migration contract (seed 003) with the models: tables, keys, GSIs and "
        "attribute types. Source columns, access patterns and sizes are not compared. "
        "To write one: ddbwrap export contract MODELS -o migrationContract.json",
    )
    parser.add_argument("file", metavar="FILE", help="the migrationContract.json to check")
    add_models(parser)
    add_fail_on(parser, "low")
    add_format(parser, "markdown")
    parser.set_defaults(handler=run_check)


def run_check(args: argparse.Namespace) -> int:
    models = load_models(args)
    contract = load_contract(args.file)
    findings = check_contract(contract, models)
    return report(args, findings, f"ddbwrap contract check of {args.file}", contract=args.file)
