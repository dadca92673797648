"""``ddbwrap schema hash|lock|check|diff``: notice schema changes, and drift from live tables."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ddbwrap.tooling.drift import diff_tables
from ddbwrap.tooling.lock import DEFAULT_LOCK_FILE, check_lock, schema_hash, write_lock
from ddbwrap.tooling.spec import table_specs

from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    CommandError,
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
from .findings_output import report


def register(subparsers: Any) -> None:
    actions = command_group(
        subparsers, "schema", "schema hash and lock file, drift against live tables"
    )

    parser = subcommand(actions, "hash", "print the canonical hash of the models' schema")
    add_models(parser)
    add_format(parser)
    parser.set_defaults(handler=run_hash)

    parser = subcommand(
        actions,
        "lock",
        "write the lock file (hash, table and index counts)",
        "Write the lock file: format version, schema hash, per-table hashes, table and index "
        "counts, generated_at. Left untouched when the hash did not change (unless --force).",
    )
    add_models(parser)
    _lock_option(parser)
    parser.add_argument("--force", action="store_true", help="rewrite even if unchanged")
    add_format(parser)
    parser.set_defaults(handler=run_lock)

    parser = subcommand(
        actions,
        "check",
        "exit 1 when the models changed and the lock file was not updated",
        "Compare the models with the lock file; exit 1 (naming the tables added, removed or "
        "changed) when they differ or the lock file is missing. Run it in CI.",
    )
    add_models(parser)
    _lock_option(parser)
    add_format(parser)
    parser.set_defaults(handler=run_check)

    parser = subcommand(
        actions,
        "diff",
        "compare the models with live tables (and a sample of items)",
        "Compare the models with the live tables: key schema and attribute types, GSIs/LSIs "
        "and their keys and projections, billing mode, TTL; with --sample N also up to N "
        "items per table (unknown attributes, wrong types, missing required attributes, "
        "values the model rejects). Severities: CRITICAL, HIGH, MEDIUM, LOW.",
    )
    add_models(parser)
    add_connection(parser)
    parser.add_argument(
        "--sample",
        type=_non_negative,
        default=0,
        metavar="N",
        help="also check up to N items per table (Scan, at most 100 per page; default 0)",
    )
    add_fail_on(parser, "high")
    add_format(parser, "markdown")
    add_progress(parser)
    parser.set_defaults(handler=run_diff)


def _lock_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--lock",
        default=DEFAULT_LOCK_FILE,
        metavar="FILE",
        help=f"lock file path (default {DEFAULT_LOCK_FILE})",
    )


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def run_hash(args: argparse.Namespace) -> int:
    models = load_models(args)
    value = schema_hash(models)
    if args.format == "json":
        print_json({"schema_hash": value, "tables": [s.table for s in table_specs(models)]})
    else:
        sys.stdout.write(value + "\n")
    return EXIT_OK


def run_lock(args: argparse.Namespace) -> int:
    models = load_models(args)
    try:
        document, written = write_lock(args.lock, models, force=args.force)
    except OSError as exc:
        raise CommandError(f"cannot write {args.lock!r}: {exc.strerror}") from exc
    if args.format == "json":
        print_json({"lock": args.lock, "written": written, **document})
    else:
        state = "wrote" if written else "unchanged"
        sys.stdout.write(
            f"{state} {args.lock}: {document['schema_hash']} ({document['tables']} tables, "
            f"{document['indexes']} indexes)\n"
        )
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    models = load_models(args)
    result = check_lock(args.lock, models)
    code = EXIT_OK if result.ok else EXIT_FINDINGS
    if args.format == "json":
        print_json({**result.as_dict(), "missing": result.missing, "exit_code": code})
        return code
    if result.missing:
        sys.stdout.write(
            f"{args.lock} does not exist: run `ddbwrap schema lock {args.models}` and commit it\n"
        )
    elif result.ok:
        sys.stdout.write(f"ok: the models match {args.lock} ({result.current_hash})\n")
    else:
        lines = [f"the models changed since {args.lock} was written:"]
        lines += [f"  added:   {t}" for t in result.added]
        lines += [f"  removed: {t}" for t in result.removed]
        lines += [f"  changed: {t}" for t in result.changed]
        lines.append(
            f"update it with `ddbwrap schema lock {args.models} --lock {args.lock}` after "
            "checking the change with the other services that use these tables"
        )
        sys.stdout.write("\n".join(lines) + "\n")
    return code


def run_diff(args: argparse.Namespace) -> int:
    models = load_models(args)
    gateway = gateway_from(args)
    with aws_errors():
        findings = diff_tables(gateway, models, sample=args.sample, progress=progress_from(args))
    return report(
        args,
        findings,
        f"ddbwrap schema diff against {gateway.endpoint_url}",
        endpoint=gateway.endpoint_url,
        sampled=args.sample,
    )
