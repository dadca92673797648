"""What every subcommand shares: exit codes, MODELS, --format, connection options, progress."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ddbwrap.errors import DdbwrapError
from ddbwrap.gateway import TableGateway
from ddbwrap.tooling.discover import Discovered, discover, discover_models
from ddbwrap.tooling.findings import Severity

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_AWS = 3

EXIT_CODES = """exit codes:
  0  success, nothing to report
  1  findings at or above --fail-on, drift, a stale lock, or a failed check
  2  usage error: bad arguments, an import path without models, an unreadable input file
  3  connection or AWS error: endpoint unreachable, credentials, permissions, throttling"""

MODELS_HELP = (
    "import path of the models: a module or package (walked, subpackages too), e.g. "
    "app.models, or module:Name[,Name] for some classes, e.g. app.models:Goal"
)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Raw descriptions, and the same option column on every Python: ``-m, --models MODELS``
    (Python 3.13's form; older versions repeat the metavar), so the ``--help`` texts in the docs
    are the same whichever Python generated them."""

    def _format_action_invocation(self, action: argparse.Action) -> str:
        if not action.option_strings or action.nargs == 0:
            return super()._format_action_invocation(action)
        default = self._get_default_metavar_for_optional(action)
        args_string = self._format_args(action, default)
        return ", ".join(action.option_strings) + " " + args_string


DASH_VALUE_OPTIONS = ("--table-prefix", "--table-suffix")
"""Options whose value may start with ``-`` (``--table-suffix -dev``)."""


def join_dash_values(argv: Sequence[str]) -> list[str]:
    """``--table-suffix -dev`` -> ``--table-suffix=-dev``: argparse takes a separate value that
    starts with ``-`` for an option, so the space form of such values is joined before parsing.
    A following ``--option`` is left alone (a missing value stays a usage error)."""
    out: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        following = argv[index + 1] if index + 1 < len(argv) else None
        if (
            arg in DASH_VALUE_OPTIONS
            and following is not None
            and following.startswith("-")
            and not following.startswith("--")
            and following not in ("-h", "-m", "-o")
        ):
            out.append(f"{arg}={following}")
            index += 2
            continue
        out.append(arg)
        index += 1
    return out


class CommandError(Exception):
    """Stop the command with ``message`` on stderr and exit code ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def subcommand(
    subparsers: Any, name: str, help_text: str, description: str = ""
) -> argparse.ArgumentParser:
    """A subparser with the exit-codes epilog and raw formatting."""
    paragraphs = (description or help_text).split("\n\n")
    text = "\n\n".join(p if "\n" in p else textwrap.fill(p, 88) for p in paragraphs)
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=help_text,
        description=text,
        epilog=EXIT_CODES,
        formatter_class=HelpFormatter,
    )
    return parser


def command_group(
    subparsers: Any,
    name: str,
    help_text: str,
    description: str = "",
    *,
    dest: str = "action",
    metavar: str = "ACTION",
) -> Any:
    """A command made of sub-commands (one of them required): add them to what this returns;
    the one given lands in ``args.<dest>``."""
    group = subcommand(subparsers, name, help_text, description)
    return group.add_subparsers(dest=dest, metavar=metavar, required=True)


def add_models(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("models", metavar="MODELS", help=MODELS_HELP)
    parser.add_argument(
        "-m",
        "--models",
        dest="more_models",
        action="append",
        default=[],
        metavar="MODELS",
        help="another import path of models (repeatable)",
    )


def model_specs(args: argparse.Namespace) -> list[str]:
    return [args.models, *args.more_models]


def load_models(args: argparse.Namespace) -> list[type[BaseModel]]:
    """The table models named on the command line."""
    return discover_models(model_specs(args))


def load_classes(args: argparse.Namespace, *, companions: bool) -> list[type[BaseModel]]:
    """Table models plus, with ``companions``, the other pydantic models found; classes named
    explicitly (``module:Name``) are always included."""
    specs = model_specs(args)
    found: Discovered = discover(specs)
    named = discover([s for s in specs if ":" in s]) if any(":" in s for s in specs) else None
    classes = list(found.models)
    extra = found.companions if companions else (named.companions if named else ())
    classes += [c for c in extra if c not in classes]
    if not classes:
        raise CommandError(f"no pydantic models found in {', '.join(specs)}")
    return classes


def add_format(parser: argparse.ArgumentParser, *choices: str) -> None:
    options = ("text", "json", *choices)
    parser.add_argument(
        "--format",
        choices=options,
        default="text",
        help="output format: text for people (default), json for machines"
        + (", markdown for a PR comment" if "markdown" in choices else ""),
    )


def add_fail_on(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--fail-on",
        type=_severity,
        default=Severity[default.upper()],
        metavar="SEVERITY",
        help=f"exit 1 when a finding is at or above this severity: critical, high, medium, "
        f"low or info (default {default})",
    )


def _severity(text: str) -> Severity:
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_connection(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection (defaults: the AWS environment)")
    group.add_argument(
        "--endpoint-url", help="DynamoDB endpoint, e.g. http://localhost:8000 for DynamoDB Local"
    )
    group.add_argument("--region", help="AWS region (default: AWS_REGION / AWS_DEFAULT_REGION)")
    group.add_argument(
        "--table-prefix", help="prepended to every table name (default: $DDBWRAP_TABLE_PREFIX)"
    )
    group.add_argument(
        "--table-suffix",
        help="appended to every table name, e.g. -dev (default: $DDBWRAP_TABLE_SUFFIX)",
    )


def gateway_from(args: argparse.Namespace) -> TableGateway:
    """A TableGateway for the connection options (exit 3 when the client cannot be made)."""
    kwargs: dict[str, Any] = {}
    if args.endpoint_url:
        kwargs["endpoint_url"] = args.endpoint_url
    if args.region:
        kwargs["region_name"] = args.region
    with aws_errors():
        return TableGateway.from_environment(
            table_prefix=args.table_prefix, table_suffix=args.table_suffix, **kwargs
        )


@contextlib.contextmanager
def aws_errors() -> Iterator[None]:
    """Turn any ddbwrap error raised while talking to DynamoDB into exit code 3."""
    try:
        yield
    except DdbwrapError as exc:
        raise CommandError(str(exc), EXIT_AWS) from exc


def add_progress(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        action="store_true",
        help="report progress on stderr even when it is not a terminal",
    )


def progress_from(args: argparse.Namespace) -> Callable[[str], None] | None:
    """A progress reporter writing to stderr, when it is a TTY or --progress was given."""
    if not (getattr(args, "progress", False) or sys.stderr.isatty()):
        return None

    def report(message: str) -> None:
        print(f"ddbwrap: {message}", file=sys.stderr, flush=True)

    return report


def add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")


def emit(text: str, output: str | None) -> None:
    """Write ``text`` to ``output`` (a file) or to stdout."""
    if output and output != "-":
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")


def read_structured(path: str) -> Any:
    """A JSON or YAML file (by extension) as data; exit 2 when it cannot be read."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"cannot read {path!r}: {exc.strerror}") from exc
    if Path(path).suffix.lower() in (".yaml", ".yml"):
        from ddbwrap.tooling._yaml import load_yaml

        return load_yaml(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path!r} is not valid JSON: {exc}") from exc


def names(classes: Sequence[type[BaseModel]]) -> list[str]:
    return [c.__name__ for c in classes]
