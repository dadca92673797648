"""``ddbwrap schema hash|lock|check|log|restore|diff|import``: notice schema changes (what changed,
for whom, and since when), drift from live tables, and models from existing tables."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ddbwrap.errors import TableNotFoundError, ValidationError
from ddbwrap.tooling.drift import diff_tables
from ddbwrap.tooling.importer import (
    DEFAULT_LITERAL_MAX,
    DEFAULT_NAME_TEMPLATE,
    DEFAULT_SAMPLE,
    DEFAULT_SEGMENTS,
    GeneratedModule,
    ImportOptions,
    check_round_trip,
    import_cloudformation,
    import_live,
)
from ddbwrap.tooling.lock import (
    DEFAULT_LOCK_FILE,
    FAIL_ON,
    SchemaChange,
    check_lock,
    counts,
    lock,
    lock_history,
    read_lock,
    restore_lock,
    restored_document,
    schema_hash,
)
from ddbwrap.tooling.spec import table_specs

from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
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

CHECK_DESCRIPTION = """\
Compare the models with the lock file, attribute by attribute, and classify each change
for the readers and writers on other services that share the tables:

  breaking  a removed or retyped attribute, a new required attribute, a changed table or
            index key, a removed index or table, a narrower projection, a new LSI or TTL
  additive  a new optional attribute, table or GSI, a wider projection, a relaxed
            requirement
  neutral   the billing mode

Exit 1 when the lock file is missing, or when a change is at or above --fail-on: `any`
(the default: any difference, so the lock file must be updated with the models),
`additive`, or `breaking` (only breaking changes fail; the lock file may still be
stale). Exit 0 otherwise. Run it in CI."""


def register(subparsers: Any) -> None:
    actions = command_group(
        subparsers,
        "schema",
        "schema hash, lock file and history, drift, import",
    )

    parser = subcommand(actions, "hash", "print the canonical hash of the models' schema")
    add_models(parser)
    add_format(parser)
    parser.set_defaults(handler=run_hash)

    parser = subcommand(
        actions,
        "lock",
        "write the lock file (hash, attribute records, history)",
        "Write the lock file: format version, schema hash, per-table hashes, table and index "
        "counts, every table's and attribute's record (stored name, type, key role, index "
        "membership, optionality, TTL, stream) and the history (one entry per locked version, "
        "with its hash, time and changes). A changed schema adds a version; an unchanged one "
        "leaves the file untouched (unless --force). A lock file from before records and "
        "history is migrated.",
    )
    add_models(parser)
    _lock_option(parser)
    parser.add_argument("--force", action="store_true", help="rewrite even if unchanged")
    parser.add_argument(
        "--message", metavar="TEXT", help="why the schema changed (kept in the history entry)"
    )
    add_format(parser)
    parser.set_defaults(handler=run_lock)

    parser = subcommand(
        actions,
        "check",
        "what changed since the lock file, classified; exit 1 at --fail-on",
        CHECK_DESCRIPTION,
    )
    add_models(parser)
    _lock_option(parser)
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="any",
        help="exit 1 on changes at or above: breaking, additive, or any (default any)",
    )
    add_format(parser, "markdown")
    parser.set_defaults(handler=run_check)

    parser = subcommand(
        actions,
        "log",
        "the lock file's history: versions, hashes, times, changes",
        "Show the history of the lock file, newest first: each locked version with its hash, "
        "time, message and classified changes. No models needed.",
    )
    _lock_option(parser)
    add_format(parser)
    parser.set_defaults(handler=run_log)

    parser = subcommand(
        actions,
        "restore",
        "write a previous version of the lock file (for a rollback)",
        "Write the lock file as it was when VERSION was locked (its hash, per-table hashes, "
        "attribute records and the history up to it) to FILE, e.g. to check the models of a "
        "rollback against it. VERSION is a version number from `schema log` or a prefix of "
        "its hash.",
    )
    parser.add_argument("version", metavar="VERSION", help="version number or hash prefix")
    _lock_option(parser)
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="lock file to write ('-': stdout)"
    )
    add_format(parser)
    parser.set_defaults(handler=run_restore)

    parser = subcommand(
        actions,
        "diff",
        "compare the models with live tables (and a sample of items)",
        "Compare the models with the live tables: key schema and attribute types, GSIs/LSIs "
        "and their keys and projections, billing mode, TTL; with --sample N also up to N "
        "items per table (unknown attributes, wrong types, missing required attributes, "
        "values the model rejects); with --uncovered (or --prefix/--suffix) also the live "
        "tables no model covers. Severities: CRITICAL, HIGH, MEDIUM, LOW.",
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
    parser.add_argument(
        "--uncovered",
        action="store_true",
        help="also report live tables no model covers (ListTables; LOW, DDB220)",
    )
    parser.add_argument(
        "--prefix",
        default="",
        metavar="TEXT",
        help="only report uncovered tables whose logical name starts with TEXT (implies "
        "--uncovered)",
    )
    parser.add_argument(
        "--suffix",
        default="",
        metavar="TEXT",
        help="only report uncovered tables whose logical name ends with TEXT (implies --uncovered)",
    )
    add_fail_on(parser, "high")
    add_format(parser, "markdown")
    add_progress(parser)
    parser.set_defaults(handler=run_diff)

    _register_import(actions)


def _register_import(actions: Any) -> None:
    parser = subcommand(
        actions,
        "import",
        "generate models from live tables or a CloudFormation template",
        "Generate a module of typed DomainModels (Meta with keys, GSIs/LSIs and projections, "
        "TTL, billing mode; stored names as aliases; Literal for low-cardinality strings; "
        "optional fields where sampled items lack them) from live tables (DescribeTable and a "
        "bounded, parallel sample of their items) or from the AWS::DynamoDB::Table and "
        "::GlobalTable resources of a CloudFormation template (JSON, or YAML with PyYAML). "
        "The sampled items are then decoded with the generated models (exit 1 when one does "
        "not read back). Review the module before use.",
    )
    parser.add_argument(
        "tables",
        nargs="*",
        metavar="TABLE",
        help="logical names of live tables (with --table-prefix/--table-suffix applied)",
    )
    source = parser.add_argument_group("source (live tables unless --cloudformation)")
    source.add_argument(
        "--all", action="store_true", help="every live table (ListTables, prefix/suffix applied)"
    )
    source.add_argument(
        "--cloudformation", metavar="FILE", help="read the tables of a template instead"
    )
    source.add_argument(
        "--name-template",
        default=DEFAULT_NAME_TEMPLATE,
        metavar="TEMPLATE",
        help="how the template's TableName holds the logical name, as in `export "
        f"cloudformation` (default {DEFAULT_NAME_TEMPLATE})",
    )
    source.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a template parameter's value (repeatable; default: its Default)",
    )
    sampling = parser.add_argument_group("sampling (live tables)")
    sampling.add_argument(
        "--sample",
        type=_non_negative,
        default=DEFAULT_SAMPLE,
        metavar="N",
        help=f"read at most N items per table (default {DEFAULT_SAMPLE}; 0: structure only)",
    )
    sampling.add_argument(
        "--segments",
        type=_positive,
        default=DEFAULT_SEGMENTS,
        metavar="K",
        help=f"parallel Scan segments (default {DEFAULT_SEGMENTS})",
    )
    naming = parser.add_argument_group("generated code")
    naming.add_argument(
        "--class-name",
        action="append",
        default=[],
        metavar="TABLE=NAME",
        help="class name of a table's model (repeatable; default: the table name, singular)",
    )
    naming.add_argument(
        "--literal-max",
        type=_non_negative,
        default=DEFAULT_LITERAL_MAX,
        metavar="N",
        help=f"strings with at most N distinct values become a Literal (default "
        f"{DEFAULT_LITERAL_MAX}; 0: never)",
    )
    naming.add_argument(
        "--no-check", action="store_true", help="do not decode the sampled items afterwards"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    add_connection(parser)
    add_format(parser)
    add_progress(parser)
    parser.set_defaults(handler=run_import)


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


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


# -- hash and lock -------------------------------------------------------------------------------


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
        result = lock(args.lock, models, force=args.force, message=args.message)
    except OSError as exc:
        raise CommandError(f"cannot write {args.lock!r}: {exc.strerror}") from exc
    document = result.document
    if args.format == "json":
        print_json(
            {
                "lock": args.lock,
                "written": result.written,
                "action": result.action,
                "changes": [c.as_dict() for c in result.changes],
                **{k: v for k, v in document.items() if k not in ("schema", "history")},
            }
        )
        return EXIT_OK
    state = {"created": "wrote", "locked": "wrote", "rewritten": "wrote"}.get(
        result.action, result.action
    )
    version = f", version {document['version']}" if "version" in document else ""
    sys.stdout.write(
        f"{state} {args.lock}: {document['schema_hash']} ({document['tables']} tables, "
        f"{document['indexes']} indexes{version})\n"
    )
    if result.action == "migrated":
        sys.stdout.write(
            "  the lock file predated attribute records and history: its version is now "
            "version 1 of the history\n"
        )
    if result.changes:
        sys.stdout.write(_changes_text(result.changes, indent="  ") + "\n")
    return EXIT_OK


# -- check ---------------------------------------------------------------------------------------


def run_check(args: argparse.Namespace) -> int:
    models = load_models(args)
    result = check_lock(args.lock, models)
    failed = result.fails(args.fail_on)
    code = EXIT_FINDINGS if failed else EXIT_OK
    relock = f"ddbwrap schema lock {args.models} --lock {args.lock}"
    if args.format == "json":
        print_json(
            {
                **result.as_dict(),
                "missing": result.missing,
                "fail_on": args.fail_on,
                "exit_code": code,
            }
        )
        return code
    if args.format == "markdown":
        sys.stdout.write(_check_markdown(result, args, code))
        return code
    if result.missing:
        sys.stdout.write(
            f"{args.lock} does not exist: run `ddbwrap schema lock {args.models}` and commit it\n"
        )
        return code
    if result.ok:
        sys.stdout.write(f"ok: the models match {args.lock} ({result.current_hash})\n")
        return code
    version = f" (version {result.locked_version})" if result.locked_version else ""
    lines = [f"the models changed since {args.lock}{version} was written:"]
    lines += [f"  added:   {t}" for t in result.added]
    lines += [f"  removed: {t}" for t in result.removed]
    lines += [f"  changed: {t}" for t in result.changed]
    lines.append(_changes_text(result.changes, indent="  "))
    if not result.attribute_level:
        lines.append(
            f"  ({args.lock} predates attribute records: run `{relock}` once the models "
            "match it again to record them)"
        )
    lines.append(_summary(result.changes, args.fail_on, failed))
    lines.append(
        f"update it with `{relock}` after checking the change with the other services that "
        "use these tables"
    )
    sys.stdout.write("\n".join(lines) + "\n")
    return code


def _changes_text(changes: Sequence[SchemaChange], *, indent: str) -> str:
    width = max((len(c.subject) for c in changes), default=0)
    return "\n".join(
        f"{indent}{c.impact.upper():<9} {c.subject:<{width}}  {c.message}" for c in changes
    )


def _summary(changes: Sequence[SchemaChange], fail_on: str, failed: bool) -> str:
    tally = counts(changes)
    parts = [f"{n} {impact}" for impact, n in tally.items() if n]
    text = (", ".join(parts) or "no") + f" change{'s' if len(changes) != 1 else ''}"
    verdict = "fails" if failed else "passes"
    return f"{text}; --fail-on {fail_on}: the check {verdict}"


def _check_markdown(result: Any, args: argparse.Namespace, code: int) -> str:
    lines = [f"### ddbwrap schema check of {args.lock}", ""]
    if result.missing:
        lines.append(f"`{args.lock}` does not exist: run `ddbwrap schema lock` and commit it.")
    elif result.ok:
        lines.append(f"The models match `{args.lock}` (`{result.current_hash}`).")
    else:
        changes = result.changes
        lines.append(_summary(changes, args.fail_on, code != EXIT_OK).capitalize() + ".")
        lines += ["", "| Impact | Where | Change |", "|---|---|---|"]
        for change in changes:
            message = change.message.replace("|", "\\|")
            lines.append(f"| {change.impact} | `{change.subject}` | {message} |")
    return "\n".join(lines) + "\n"


# -- log and restore -----------------------------------------------------------------------------


def run_log(args: argparse.Namespace) -> int:
    try:
        history = lock_history(args.lock)
    except ValidationError as exc:
        raise CommandError(str(exc)) from exc
    if args.format == "json":
        print_json({"lock": args.lock, "versions": list(reversed(history))})
        return EXIT_OK
    lines: list[str] = []
    latest = max(int(e["version"]) for e in history)
    for entry in reversed(history):
        version = int(entry["version"])
        head = f"version {version}  {entry.get('locked_at') or '?'}  {entry['schema_hash']}"
        if version == latest:
            head += "  (current)"
        lines.append(head)
        if entry.get("message"):
            lines.append(f"  {entry['message']}")
        changes = entry.get("changes")
        if changes is None:
            lines.append("  (locked before ddbwrap recorded changes)")
        elif not changes:
            lines.append(f"  first version: {len(entry.get('table_hashes') or {})} table(s)")
        else:
            parsed = [SchemaChange.from_dict(c) for c in changes]
            lines.append(_changes_text(parsed, indent="  "))
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def run_restore(args: argparse.Namespace) -> int:
    try:
        if args.output == "-":
            document = read_lock(args.lock)
            if document is None:
                raise CommandError(f"lock file {args.lock!r} does not exist")
            print_json(restored_document(document, args.version))
            return EXIT_OK
        document = restore_lock(args.lock, args.version, args.output)
    except ValidationError as exc:
        raise CommandError(str(exc)) from exc
    except OSError as exc:
        raise CommandError(f"cannot write {args.output!r}: {exc.strerror}") from exc
    restored = document["restored_from"]["version"]
    detail = "with attribute records" if "schema" in document else "hashes only"
    if args.format == "json":
        print_json(
            {
                "lock": args.lock,
                "output": args.output,
                "version": restored,
                "schema_hash": document["schema_hash"],
                "attribute_records": "schema" in document,
            }
        )
    else:
        sys.stdout.write(
            f"wrote {args.output}: version {restored} of {args.lock}, "
            f"{document['schema_hash']} ({detail})\n"
        )
    return EXIT_OK


# -- diff ----------------------------------------------------------------------------------------


def run_diff(args: argparse.Namespace) -> int:
    models = load_models(args)
    gateway = gateway_from(args)
    uncovered = args.uncovered or bool(args.prefix) or bool(args.suffix)
    with aws_errors():
        findings = diff_tables(
            gateway,
            models,
            sample=args.sample,
            progress=progress_from(args),
            uncovered=uncovered,
            prefix=args.prefix,
            suffix=args.suffix,
        )
    return report(
        args,
        findings,
        f"ddbwrap schema diff against {gateway.endpoint_url}",
        endpoint=gateway.endpoint_url,
        sampled=args.sample,
    )


# -- import --------------------------------------------------------------------------------------


def run_import(args: argparse.Namespace) -> int:
    options = ImportOptions(
        class_names=_pairs(args.class_name, "--class-name"), literal_max=args.literal_max
    )
    if args.cloudformation:
        if args.tables or args.all:
            raise CommandError("name tables or --all, or --cloudformation FILE, not both")
        generated = import_cloudformation(
            Path(args.cloudformation),
            name_template=args.name_template,
            parameters=_pairs(args.parameter, "--parameter"),
            options=options,
        )
    else:
        if bool(args.tables) == bool(args.all):
            raise CommandError(
                "name the live tables to import (or --all), or give --cloudformation FILE"
            )
        gateway = gateway_from(args)
        with aws_errors():
            tables = sorted(gateway.list_tables()) if args.all else list(args.tables)
            if not tables:
                raise CommandError(f"no tables at {gateway.endpoint_url}", EXIT_USAGE)
            try:
                generated = import_live(
                    gateway,
                    tables,
                    sample=args.sample,
                    segments=args.segments,
                    options=options,
                    progress=progress_from(args),
                )
            except TableNotFoundError as exc:
                raise CommandError(str(exc), EXIT_USAGE) from exc
    problems = [] if args.no_check else check_round_trip(generated)
    if args.output and args.output != "-":
        try:
            Path(args.output).write_text(generated.source, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {args.output!r}: {exc.strerror}") from exc
    code = EXIT_FINDINGS if problems else EXIT_OK
    if args.format == "json":
        print_json(_import_json(args, generated, problems, code))
        return code
    if not args.output or args.output == "-":
        sys.stdout.write(generated.source)
        out = sys.stderr
    else:
        out = sys.stdout
    lines = _import_summary(args, generated, problems)
    out.write("\n".join(lines) + "\n")
    return code


def _pairs(values: Sequence[str], option: str) -> dict[str, str]:
    out = {}
    for text in values:
        name, sep, value = text.partition("=")
        if not sep or not name or not value:
            raise CommandError(f"{option} takes NAME=VALUE, got {text!r}")
        out[name] = value
    return out


def _import_summary(
    args: argparse.Namespace, generated: GeneratedModule, problems: Sequence[Any]
) -> list[str]:
    if args.output and args.output != "-":
        lines = [f"wrote {args.output}: {len(generated.models)} model(s)"]
    else:
        lines = [f"generated {len(generated.models)} model(s)"]
    for info in generated.tables:
        model = generated.model_for(info.table)
        sampled = (
            f"{len(info.items)} sampled item(s)" if info.sampled else "structure only (no items)"
        )
        failed = sum(p.table == info.table for p in problems)
        checked = (
            ""
            if args.no_check or not info.items
            else (f", {failed} do not read back" if failed else ", every one reads back")
        )
        lines.append(f"  {model.name:<24} table {info.table}: {sampled}{checked}")
        lines += [f"    note: {note}" for note in model.notes]
    lines += [f"  not read back: {p.table} {p.key}: {p.message}" for p in problems[:20]]
    return lines


def _import_json(
    args: argparse.Namespace, generated: GeneratedModule, problems: Sequence[Any], code: int
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "command": "schema import",
        "output": args.output if args.output and args.output != "-" else None,
        "models": [
            {
                "table": m.table,
                "class": m.name,
                "sampled": len(generated.tables[i].items),
                "fields": m.fields,
                "notes": m.notes,
            }
            for i, m in enumerate(generated.models)
        ],
        "problems": [{"table": p.table, "key": p.key, "message": p.message} for p in problems],
        "exit_code": code,
    }
    if document["output"] is None:
        document["source"] = generated.source
    return document
