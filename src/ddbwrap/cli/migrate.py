"""``ddbwrap migrate``: move a code base from the V1 repository API to V2.

- ``ddbwrap migrate check PATH... [--format text|json] [--exit-zero]``: list every V1 usage
  with its V2 replacement, and count them. Exit 1 when there are usages (0 with
  ``--exit-zero``), so CI can keep the count at zero once it gets there.
- ``ddbwrap migrate scaffold MODULE:Repository [-o FILE] [--force]``: write the V2 model, a
  view, DTOs and Read/Write APIs of a V1 repository as source code to start from.
- ``ddbwrap migrate data MODULE:Model [...]``: a resumable, rate-limited backfill of the
  model's table (``cli/migrate_data.py``, ``ddbwrap.tooling.migrate``).

The V1 scanner and scaffold generator are imported only when these commands run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    command_group,
    subcommand,
)

__all__ = ["register", "run_check", "run_scaffold"]


def register(subparsers: Any) -> None:
    """Add the ``migrate`` command group to the ``ddbwrap`` command line."""
    commands = command_group(
        subparsers,
        "migrate",
        "move V1 code to V2; backfill a table's data",
        "Move from the V1 repository API (ddbwrap.v1) to V2: find what is left to migrate "
        "(check), and generate V2 models to start from (scaffold). See docs/migration.md.\n\n"
        "Migrate a table's data: upcast and stamp old items, rename an attribute, add a new "
        "index's keys, or any transform, resumable and within a capacity budget (data). See "
        "docs/tooling.md, Data migrations.",
        dest="migrate_command",
        metavar="COMMAND",
    )

    check = subcommand(
        commands,
        "check",
        "list the V1 usages in source code, with their V2 replacements",
        "Parse the Python files under PATHS (nothing is imported or run) and list every V1 "
        "usage: imports from ddbwrap.v1, BaseRepository subclasses and instances, repository "
        "method calls, V1 exceptions, timezone helpers and pydantic v1 idioms, each with its "
        "V2 replacement, and the count. Exit 1 when there are usages (for CI), 0 when none.",
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to scan")
    check.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default), json for machines",
    )
    check.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when usages are found (report only)",
    )
    check.set_defaults(handler=run_check)

    scaffold = subcommand(
        commands,
        "scaffold",
        "write the V2 model, view, DTOs and APIs of a V1 repository as source",
        "Import MODULE and derive the V2 DomainModel of the V1 repository class from its "
        "declaration (table_name, hash_key, range_key, indexes) and model; write it with a "
        "view, a CreateDTO, an UpdateDTO, a ReadApi (one query per index) and a WriteApi as a "
        "Python module that stores items exactly as the repository does.",
    )
    scaffold.add_argument(
        "repository",
        metavar="MODULE:Repository",
        help="import path of the repository class, e.g. app.repositories:PipelineRepository",
    )
    scaffold.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    scaffold.add_argument("--force", action="store_true", help="overwrite FILE when it exists")
    scaffold.set_defaults(handler=run_scaffold)

    from .migrate_data import register as register_data  # ``migrate data``: backfills

    register_data(commands)


def run_check(args: argparse.Namespace) -> int:
    """``ddbwrap migrate check``."""
    from ddbwrap.v1.check import check_paths

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        raise CommandError(f"no such file or directory: {', '.join(missing)}")
    report = check_paths(args.paths)
    sys.stdout.write(report.to_json_text() if args.format == "json" else report.to_text())
    if report.errors and not report.count:
        return EXIT_USAGE
    return EXIT_FINDINGS if report.count and not args.exit_zero else EXIT_OK


def run_scaffold(args: argparse.Namespace) -> int:
    """``ddbwrap migrate scaffold``."""
    from ddbwrap.v1.scaffold import load_repository, scaffold_source

    source = scaffold_source(load_repository(args.repository), origin=args.repository)
    if args.output and args.output != "-":
        target = Path(args.output)
        if target.exists() and not args.force:
            raise CommandError(f"{target} exists; pass --force to overwrite it")
        target.write_text(source, encoding="utf-8")
        print(f"ddbwrap: wrote {target}", file=sys.stderr)
    else:
        sys.stdout.write(source)
    return EXIT_OK
