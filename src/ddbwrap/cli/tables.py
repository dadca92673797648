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
from .lint import warn_cross_service

DESCRIPTIONS = {
    "create": "Create the models' tables (GSIs, LSIs, billing mode, TTL, unique guard tables). "
    "A table that exists is left alone and reported (exit 1); see `ensure`.",
    "ensure": "Create the tables that are missing, add missing GSIs, enable TTL where it is "
    "off, and report every other difference (exit 1 at or above --fail-on). Never drops "
    "anything; safe to run again and again. It waits while DynamoDB builds (backfills) a new "
    "GSI, showing each index's state, for at most --timeout seconds (then exit 1, naming "
    "what is still building); --no-wait returns once the build is requested.",
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
            parser.add_argument(
                "--timeout",
                type=_seconds,
                default=ops.DEFAULT_TIMEOUT,
                metavar="SECONDS",
                help="how long to wait for tables and index builds (default: "
                f"{ops.DEFAULT_TIMEOUT:g}); the build goes on after it",
            )
            parser.add_argument(
                "--no-wait",
                action="store_true",
                help="request missing tables and GSIs and return without waiting for their "
                "builds (DynamoDB builds one GSI of a table at a time: run ensure again for "
                "the next)",
            )
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
    if args.action in ("create", "ensure"):
        warn_cross_service(models, changing_tables=True)
    gateway = gateway_from(args)
    operation = {
        "create": ops.create_tables,
        "ensure": ops.ensure_tables,
        "describe": ops.describe_tables,
        "delete": ops.delete_tables,
    }[args.action]
    with aws_errors():
        if args.action == "ensure":
            results = ops.ensure_tables(
                gateway,
                models,
                progress_from(args),
                wait=not args.no_wait,
                timeout=args.timeout,
            )
        else:
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
        timed_out = not args.no_wait and any(r.action == "building" for r in results)
        return EXIT_FINDINGS if timed_out or fails(findings, args.fail_on) else EXIT_OK
    return EXIT_OK


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


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
            ikeys = ", ".join(  # a multi-attribute key lists its parts: HASH a+b
                f"{t} {n if isinstance(n, str) else '+'.join(n)}" for t, n in index["keys"].items()
            )
            out.append(f"{kind[:-1].upper()} {index['name']} ({ikeys}) {index['projection']}")
    return out
