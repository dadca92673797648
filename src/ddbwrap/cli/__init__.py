"""The ``ddbwrap`` console command: tables, exports, contract, schema lock/check/diff, lint,
migrate (V1 -> V2)."""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence

from ddbwrap.errors import DdbwrapError

from . import ci, contract, export, lint, migrate, schema, tables
from .common import EXIT_CODES, EXIT_USAGE, CommandError, HelpFormatter, join_dash_values

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    from ddbwrap import __version__

    parser = argparse.ArgumentParser(
        prog="ddbwrap",
        description=textwrap.fill(
            "Schema tooling for ddbwrap models: create tables, export CloudFormation / JSON "
            "Schema / TypeScript / migration contracts, lock the schema, find drift, lint, "
            "migrate V1 code to V2.",
            88,
        ),
        epilog=EXIT_CODES + "\n\nRun `ddbwrap COMMAND --help` for the options of a command.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ddbwrap {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (tables, export, contract, schema, lint, migrate, ci):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(join_dash_values(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:  # --help, --version, or a usage error (argparse says which)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    try:
        code: int = args.handler(args)
    except CommandError as exc:
        _error(str(exc))
        return exc.exit_code
    except DdbwrapError as exc:  # bad model declarations, import paths, input files
        _error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    return code


def _error(message: str) -> None:
    print(f"ddbwrap: error: {message}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
