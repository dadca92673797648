"""``ddbwrap lint MODELS [PATHS...]``: design warnings after seed 003's production warnings."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from ddbwrap.model import schema_of
from ddbwrap.tooling.lint import RULES, cross_service_warnings, foreign_owner, lint_models
from ddbwrap.tooling.lint_code import lint_paths

from .common import add_fail_on, add_format, add_models, load_models, subcommand
from .findings_output import report


def register(subparsers: Any) -> None:
    rules = "\n".join(f"  {r.code}  {r.severity.name:<8} {r.title}" for r in RULES.values())
    parser = subcommand(
        subparsers,
        "lint",
        "design warnings for the models (and scans in source code)",
        "Warn about designs that hurt in production (seed 003): hot partitions, GSI "
        "throttling cascades, wide projections, unbounded collections, too many GSIs, "
        "denormalized entities and copies, tables owned by another service (Meta.owner), "
        "and Scan calls in the given source PATHS.\n\nrules:\n"
        + rules
        + "\n\nSilence a rule for one model with Meta.lint_ignore = ('DDB101',), for one "
        "source line with '# noqa: DDB106', or for the run with --ignore.",
    )
    add_models(parser)
    parser.add_argument(
        "paths", nargs="*", metavar="PATHS", help="source files or directories to scan for Scans"
    )
    parser.add_argument(
        "--ignore",
        default="",
        metavar="CODES",
        help="comma-separated rule codes to skip, e.g. DDB104,DDB107",
    )
    parser.add_argument(
        "--service",
        default=os.environ.get("DDBWRAP_SERVICE") or None,
        metavar="NAME",
        help="the service running the lint (default: $DDBWRAP_SERVICE): a table whose "
        "Meta.owner is NAME is its own, any other Meta.owner is another service's",
    )
    parser.add_argument(
        "--lock",
        default=None,
        metavar="FILE",
        help="a schema lock file: report attributes made required on another service's "
        "table since the locked version (DDB112)",
    )
    add_fail_on(parser, "low")
    add_format(parser, "markdown")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    ignore = {code.strip().upper() for code in args.ignore.split(",") if code.strip()}
    models = load_models(args)
    findings = lint_models(models, ignore=ignore, service=args.service, lock=args.lock)
    findings += lint_paths(args.paths, ignore=ignore)
    return report(args, findings, "ddbwrap lint")


def warn_cross_service(
    models: Sequence[type[BaseModel]], *, changing_tables: bool = False, service: str | None = None
) -> None:
    """Print the Entity Boundary / Schema Evolution warnings of ``models`` on stderr (for
    ``tables create|ensure`` and ``export``); they never change the exit code."""
    service = service or os.environ.get("DDBWRAP_SERVICE") or None
    lines = []
    if changing_tables:
        owned: dict[str, str] = {}
        for model in models:
            schema = schema_of(model)
            owner = foreign_owner(schema, service)
            if owner is not None:
                owned.setdefault(schema.table_name, owner)
        for table, owner in owned.items():
            lines.append(
                f"ddbwrap: warning: table {table!r} is owned by {owner} (Meta.owner): this "
                f"creates or changes it here; in a shared account {owner} deploys it"
            )
    for finding in cross_service_warnings(models, service=service):
        lines.append(f"ddbwrap: warning: {finding.code} {finding.where}: {finding.message}")
    if lines:
        sys.stderr.write("\n".join(lines) + "\n")
