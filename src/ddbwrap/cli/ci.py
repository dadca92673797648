"""``ddbwrap ci github-workflow``: the GitHub Actions workflow of ``ddbwrap.tooling.ci``."""

from __future__ import annotations

import argparse
from typing import Any

from ddbwrap.tooling.ci import WorkflowSettings, github_workflow

from .common import add_output, command_group, emit, subcommand


def register(subparsers: Any) -> None:
    group = command_group(subparsers, "ci", "CI templates: a GitHub Actions workflow")
    parser = subcommand(
        group,
        "github-workflow",
        "write a GitHub Actions workflow that checks the schema",
        "Write a GitHub Actions workflow (e.g. to .github/workflows/ddbwrap.yml) that runs "
        "the lock check (--fail-on breaking), the contract check and lint on pull requests "
        "that touch the models, and a live drift diff (schema diff --sample, markdown report "
        "in the job summary and as an artifact) daily, by hand and on pull requests, when the "
        "repository variable DDBWRAP_AWS_ROLE_ARN names a role to assume. For pre-commit, "
        "use the hooks of the repository's .pre-commit-hooks.yaml.",
    )
    parser.add_argument("models", metavar="MODELS", help="import path of the models")
    parser.add_argument("--lock", default="ddbwrap.lock", metavar="FILE", help="lock file path")
    parser.add_argument("--contract", metavar="FILE", help="a migration contract to check")
    parser.add_argument(
        "--strict-contract",
        action="store_true",
        help="check the contract against seed 003 alone (default: accept ddbwrap's extensions)",
    )
    parser.add_argument(
        "--watch",
        action="append",
        default=[],
        metavar="GLOB",
        help="a path whose changes start the workflow on a pull request (repeatable; default: "
        "the models' package, the lock and the contract)",
    )
    parser.add_argument(
        "--lint-path",
        action="append",
        default=[],
        metavar="PATH",
        help="source path lint scans for Scan calls (repeatable)",
    )
    parser.add_argument(
        "--install", default="ddbwrap", metavar="SPEC", help="what pip installs (default ddbwrap)"
    )
    parser.add_argument("--python", default="3.12", metavar="VERSION", help="default 3.12")
    parser.add_argument(
        "--sample", type=int, default=100, metavar="N", help="items per table the drift job reads"
    )
    parser.add_argument(
        "--table-suffix", default="", metavar="TEXT", help="stage suffix of the live tables"
    )
    add_output(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = WorkflowSettings(
        models=args.models,
        lock=args.lock,
        contract=args.contract,
        strict_contract=args.strict_contract,
        watch=tuple(args.watch),
        lint_paths=tuple(args.lint_path),
        install=args.install,
        python=args.python,
        sample=args.sample,
        table_suffix=args.table_suffix,
    )
    emit(github_workflow(settings), args.output)
    return 0
