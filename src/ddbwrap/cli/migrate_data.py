"""``ddbwrap migrate data MODEL``: a resumable, rate-limited backfill of a model's table.

The ``migrate`` group already holds the V1 -> V2 code migration (``check``, ``scaffold``), so
data migrations are its ``data`` sub-command. The engine is ``ddbwrap.tooling.migrate``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    add_connection,
    aws_errors,
    gateway_from,
    load_models,
    print_json,
    subcommand,
)

__all__ = ["register", "run_data"]

DESCRIPTION = """\
Scan MODEL's table in parallel segments and migrate every item of the model with a
conditional write (an item a live writer changes during the run is re-read and the job
re-applied, never overwritten), within a read/write capacity budget, saving a checkpoint
so that a stopped run (Ctrl-C, a crash) continues where it left off when run again.

Jobs (one; default: upcast):
  upcast                  run Meta.upcasters and stamp Meta.schema_version (models with
                          Meta.schema_version)
  --rename OLD=NEW        store attribute OLD under NEW
  --index NAME            add the key attributes index NAME needs, as the model renders them
  --transform MOD:FUNC    FUNC(item: dict) -> dict | None, on the plain item (like an upcaster)

Exit 0 when every item is migrated, 1 when some failed (listed by key), 130 when stopped
(resume with the same command and --checkpoint)."""


def register(subparsers: Any) -> None:
    """Add ``data`` to the ``migrate`` command group."""
    parser = subcommand(
        subparsers,
        "data",
        "backfill a table: upcast, rename, add index keys or transform every item",
        DESCRIPTION,
    )
    parser.add_argument(
        "models",
        metavar="MODEL",
        help="import path of the model, module:Name, e.g. app.models:Person",
    )
    parser.set_defaults(more_models=[])
    jobs = parser.add_mutually_exclusive_group()
    jobs.add_argument("--rename", metavar="OLD=NEW", help="rename a stored attribute")
    jobs.add_argument("--index", metavar="NAME", help="add the key attributes of index NAME")
    jobs.add_argument(
        "--transform", metavar="MODULE:FUNCTION", help="apply a function of the plain item"
    )
    run = parser.add_argument_group("run")
    run.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="progress file to resume from and save to (default: "
        "ddbwrap-backfill-<table>.json in the current directory)",
    )
    run.add_argument(
        "--segments", type=int, default=4, metavar="N", help="parallel scan segments (default 4)"
    )
    run.add_argument(
        "--segment",
        type=int,
        action="append",
        metavar="I",
        help="run only segment I of --segments (repeatable): one worker of a distributed run",
    )
    run.add_argument("--workers", type=int, metavar="N", help="threads (default: one per segment)")
    run.add_argument(
        "--read-units", type=float, metavar="R", help="read capacity units per second (budget)"
    )
    run.add_argument(
        "--write-units", type=float, metavar="W", help="write capacity units per second (budget)"
    )
    run.add_argument("--page-size", type=int, metavar="N", help="items per Scan page at most")
    run.add_argument(
        "--max-reapply",
        type=int,
        default=5,
        metavar="N",
        help="re-reads of an item a live writer changed before it counts as failed (default 5)",
    )
    run.add_argument(
        "--dry-run", action="store_true", help="scan and count what would change; write nothing"
    )
    run.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="final report: text for people (default), json for machines",
    )
    run.add_argument(
        "--progress-every",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="seconds between progress lines when stderr is not a terminal (default 10; 0: none)",
    )
    add_connection(parser)
    parser.set_defaults(handler=run_data)


def _model(args: argparse.Namespace) -> Any:
    models = load_models(args)
    if len(models) != 1:
        names = ", ".join(m.__name__ for m in models) or "none"
        raise CommandError(
            f"migrate data works on one model; {names} found: name it as module:Model"
        )
    return models[0]


def _job(args: argparse.Namespace, model: Any) -> Any:
    from ddbwrap.errors import DdbwrapError
    from ddbwrap.tooling import migrate

    try:
        if args.rename:
            old, sep, new = args.rename.partition("=")
            if not sep:
                raise CommandError("--rename takes OLD=NEW (stored attribute names)")
            return migrate.RenameJob(old, new)
        if args.index:
            return migrate.IndexJob(model, args.index)
        if args.transform:
            module_name, sep, name = args.transform.partition(":")
            if not sep or not module_name or not name:
                raise CommandError("--transform takes MODULE:FUNCTION, e.g. app.fixes:add_tier")
            try:
                function = getattr(importlib.import_module(module_name), name)
            except (ImportError, AttributeError) as exc:
                raise CommandError(f"cannot import {args.transform}: {exc}") from exc
            if not callable(function):
                raise CommandError(f"{args.transform} is not a function")
            return migrate.TransformJob(model, function, args.transform)
        return migrate.default_job(model)
    except DdbwrapError as exc:
        raise CommandError(str(exc)) from exc


class ProgressLine:
    """A progress line rewritten in place on a terminal; plain lines every ``every`` seconds
    elsewhere (logs, CI)."""

    def __init__(self, stream: TextIO, every: float) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.every = every
        self.last = 0.0
        self.width = 0

    def __call__(self, progress: Any) -> None:
        now = time.monotonic()
        if not self.tty:
            if self.every <= 0 or now - self.last < self.every:
                return
            self.last = now
        eta = progress.eta
        text = (
            f"scanned {progress.scanned}"
            + (f"/~{progress.total}" if progress.total else "")
            + f"  changed {progress.changed}  skipped {progress.skipped}  failed "
            f"{progress.failed}  {progress.rate:.0f} items/s"
            + (f"  ETA {_duration(eta)}" if eta is not None else "")
        )
        if self.tty:
            self.stream.write("\r" + text.ljust(self.width))
            self.width = len(text)
        else:
            self.stream.write(f"ddbwrap: {text}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


def run_data(args: argparse.Namespace) -> int:
    """``ddbwrap migrate data``."""
    from ddbwrap.tooling.migrate import Backfill

    model = _model(args)
    job = _job(args, model)
    schema = model.__ddb_schema__
    checkpoint = args.checkpoint or f"ddbwrap-backfill-{schema.table_name}.json"
    if args.segments < 1:
        raise CommandError("--segments must be at least 1")
    gateway = gateway_from(args)
    line = ProgressLine(sys.stderr, args.progress_every)
    with aws_errors():
        total = None
        try:
            table = gateway.describe_table(schema.table_name).get("Table", {})
            total = int(table.get("ItemCount", 0)) or None
        except Exception:  # an estimate only: the run itself reports real errors
            total = None
        try:
            backfill = Backfill(
                gateway,
                model,
                job,
                segments=args.segments,
                only_segments=args.segment,
                workers=args.workers,
                checkpoint=None if args.dry_run else Path(checkpoint),
                read_units=args.read_units,
                write_units=args.write_units,
                dry_run=args.dry_run,
                page_size=args.page_size,
                max_reapply=args.max_reapply,
                progress=line,
                progress_every=0.2 if line.tty else 1.0,
                total_items=total,
            )
        except Exception as exc:
            from ddbwrap.errors import DdbwrapError

            if isinstance(exc, DdbwrapError):
                raise CommandError(str(exc), EXIT_USAGE) from exc
            raise
        interrupted = False
        try:
            report = backfill.run()
        except KeyboardInterrupt:
            interrupted = True
            report = backfill.report()
        finally:
            line.close()
    if args.format == "json":
        print_json(report.to_json())
    else:
        sys.stdout.write(report.to_text())
    if interrupted:
        print(
            f"ddbwrap: stopped; run the same command again to resume from {checkpoint}",
            file=sys.stderr,
        )
        return 130
    return EXIT_FINDINGS if report.failed else EXIT_OK
