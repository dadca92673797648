"""The ``--help`` texts shown in the docs, generated from the parser.

A Markdown page marks each generated block with a comment naming the command; the fenced block
after it is the command's ``--help``, as the parser prints it at a fixed width::

    <!-- ddbwrap-cli-help: ddbwrap schema check -->
    ```text
    $ ddbwrap schema check --help
    usage: ...
    ```

``python -m ddbwrap.cli.docs`` rewrites those blocks in ``docs/tooling.md`` (or the pages
given); ``--check`` only reports the stale ones (exit 1), which is what ddbwrap's test suite
does.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

HELP_WIDTH = 90
"""Terminal width the docs' help texts are rendered at (argparse wraps at width - 2)."""

MARKER = re.compile(
    r"^<!-- ddbwrap-cli-help: (?P<command>ddbwrap(?: [a-z-]+)*) -->\n```text\n(?P<body>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)
DEFAULT_PAGES = (Path("docs") / "tooling.md",)


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def commands(parser: argparse.ArgumentParser | None = None) -> list[list[str]]:
    """Every runnable command, as the words after ``ddbwrap``: ``[["tables", "create"], ...]``."""
    from . import build_parser

    found: list[list[str]] = []

    def walk(node: argparse.ArgumentParser, path: list[str]) -> None:
        children = _subparsers(node)
        if not children and path:
            found.append(path)
        for name, child in children.items():
            walk(child, [*path, name])

    walk(parser or build_parser(), [])
    return found


def find_parser(command: Sequence[str]) -> argparse.ArgumentParser:
    """The parser of ``command`` (``[]``: the top-level ``ddbwrap``)."""
    from . import build_parser

    node = build_parser()
    for word in command:
        children = _subparsers(node)
        if word not in children:
            raise KeyError(f"no command `ddbwrap {' '.join(command)}`")
        node = children[word]
    return node


@contextlib.contextmanager
def _columns(width: int) -> Iterator[None]:
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def help_text(command: Sequence[str], width: int = HELP_WIDTH) -> str:
    """What ``ddbwrap COMMAND --help`` prints at ``width`` columns."""
    parser = find_parser(command)
    with _columns(width):
        out = io.StringIO()
        parser.print_help(out)
    return out.getvalue()


def block_body(command: Sequence[str]) -> str:
    """The fenced block's content: the command line, then its help."""
    line = " ".join(["$ ddbwrap", *command, "--help"])
    return f"{line}\n{help_text(command)}"


def render(text: str) -> str:
    """``text`` with every marked help block regenerated."""

    def replace(match: re.Match[str]) -> str:
        command = match.group("command").split()[1:]
        head = match.group(0)[: match.start("body") - match.start(0)]
        return f"{head}{block_body(command)}```"

    return MARKER.sub(replace, text)


def _comparable(body: str) -> str:
    """``body`` with the usage paragraph's line breaks ignored: Python 3.13 wraps usage lines
    with mutually exclusive groups differently, and the docs must pass on every version."""
    usage, blank, rest = body.partition("\n\n")
    return " ".join(usage.split()) + blank + rest


def stale_blocks(text: str) -> list[str]:
    """The commands whose marked block differs from the parser's help."""
    return [
        match.group("command")
        for match in MARKER.finditer(text)
        if _comparable(match.group("body"))
        != _comparable(block_body(match.group("command").split()[1:]))
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ddbwrap.cli.docs",
        description="Regenerate the `ddbwrap ... --help` blocks marked in Markdown pages.",
    )
    parser.add_argument("pages", nargs="*", type=Path, help="pages (default docs/tooling.md)")
    parser.add_argument("--check", action="store_true", help="only report stale blocks (exit 1)")
    args = parser.parse_args(argv)
    code = 0
    for page in args.pages or DEFAULT_PAGES:
        text = page.read_text(encoding="utf-8")
        if args.check:
            for command in stale_blocks(text):
                print(f"{page}: `{command} --help` is stale", file=sys.stderr)
                code = 1
            continue
        new = render(text)
        if new != text:
            page.write_text(new, encoding="utf-8")
            print(f"updated {page}")
    return code


if __name__ == "__main__":
    sys.exit(main())
