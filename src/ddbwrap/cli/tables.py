"""``ddbwrap tables create|delete|describe|ensure MODELS``: the models' tables at an endpoint."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from ddbwrap.tooling import tables as ops
from ddbwrap.tooling.findings import fails, render_text
from ddbwrap.tooling.tables import TableResult

from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    add_connection,
    add_fail_on,
    add_format,
    add_models,
    add_progress,
    aws_errors,
    command_group,
    gateway_from,
    load_models,
    print_json,
    progress_from,
    subcommand,
)

DESCRIPTIONS = {
    "create": "Create the models' tables (GSIs, LSIs, billing mode, TTL, unique guard tables). "
    "A table that exists is left alone and reported (exit 1); see `ensure`.",
    "ensure": "Create the tables that are missing, add missing GSIs, enable TTL where it is "
    "off, and report every other difference (exit 1 at or above --fail-on). Never drops "
    "anything; safe to run again and again.",
    "describe": "Show the live state of the models' tables and how they differ from the "
    "models (exit 1 when a table is missing).",
    "delete": "Delete the models' tables, guard tables included. Needs --yes. Tables that "
    "do not exist are reported, not an error.",
}


def register(subparsers: Any) -> None:
    actions = command_group(subparsers, "tables", "create, ensure, describe or delete tables")
    for action, description in DESCRIPTIONS.items():
        parser = subcommand(actions, action, description.split(". ")[0], description)
        add_models(parser)
        add_connection(parser)
        add_format(parser)
        add_progress(parser)
        if action == "ensure":
            add_fail_on(parser, "high")
        if action == "delete":
            parser.add_argument(
                "--yes", action="store_true", help="really delete the tables and their items"
            )
        parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "delete" and not args.yes:
        print(
            "ddbwrap: refusing to delete tables without --yes (this deletes their items)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    models = load_models(args)
    gateway = gateway_from(args)
    operation = {
        "create": ops.create_tables,
        "ensure": ops.ensure_tables,
        "describe": ops.describe_tables,
        "delete": ops.delete_tables,
    }[args.action]
    with aws_errors():
        results = operation(gateway, models, progress_from(args))
    code = _exit_code(args, results)
    if args.format == "json":
        print_json(
            {
                "command": f"tables {args.action}",
                "endpoint": gateway.endpoint_url,
                "tables": [r.as_dict() for r in results],
                "exit_code": code,
            }
        )
    else:
        sys.stdout.write(render(results, args.action))
    return code


def _exit_code(args: argparse.Namespace, results: Sequence[TableResult]) -> int:
    if args.action == "create" and any(r.action == "exists" for r in results):
        return EXIT_FINDINGS
    if args.action == "describe" and any(r.action == "missing" for r in results):
        return EXIT_FINDINGS
    if args.action == "ensure":
        findings = [f for r in results for f in r.findings]
        return EXIT_FINDINGS if fails(findings, args.fail_on) else EXIT_OK
    return EXIT_OK


def render(results: Sequence[TableResult], action: str) -> str:
    """One line per table, then (describe) its live state, then the findings."""
    lines = []
    width = max((len(r.table) for r in results), default=0)
    for result in results:
        role = " (unique guard)" if result.kind == "unique" else ""
        notes = f"  [{'; '.join(result.notes)}]" if result.notes else ""
        lines.append(
            f"{result.action:<9} {result.table:<{width}}  as {result.physical}{role}{notes}"
        )
        if action == "describe" and result.live:
            lines += [f"          {line}" for line in _live_lines(result.live)]
    findings = [f for r in results for f in r.findings]
    if findings:
        lines.append("")
        lines.append(render_text(findings).rstrip("\n"))
    return "\n".join(lines) + "\n"


def _live_lines(live: dict[str, Any]) -> list[str]:
    keys = ", ".join(f"{t} {n}" for t, n in live["keys"].items())
    out = [
        f"status {live['status']}, {live['item_count']} items, {live['billing_mode']}, "
        f"TTL {live['ttl'] or 'off'}",
        f"key ({keys})",
    ]
    for kind in ("gsis", "lsis"):
        for index in live[kind]:
            ikeys = ", ".join(f"{t} {n}" for t, n in index["keys"].items())
            out.append(f"{kind[:-1].upper()} {index['name']} ({ikeys}) {index['projection']}")
    return out
