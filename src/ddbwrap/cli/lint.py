"""``ddbwrap lint MODELS [PATHS...]``: design warnings after seed 003's production warnings."""

from __future__ import annotations

import argparse
from typing import Any

from ddbwrap.tooling.lint import RULES, lint_models
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
        "denormalized entities, and Scan calls in the given source PATHS.\n\nrules:\n"
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
    add_fail_on(parser, "low")
    add_format(parser, "markdown")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    ignore = {code.strip().upper() for code in args.ignore.split(",") if code.strip()}
    models = load_models(args)
    findings = lint_models(models, ignore=ignore) + lint_paths(args.paths, ignore=ignore)
    return report(args, findings, "ddbwrap lint")
