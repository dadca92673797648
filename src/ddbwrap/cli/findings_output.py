"""Print findings in the chosen format and turn them into an exit code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from ddbwrap.tooling.findings import Finding, fails, render_json, render_markdown, render_text

from .common import EXIT_FINDINGS, EXIT_OK


def report(args: argparse.Namespace, findings: Sequence[Finding], title: str, **extra: Any) -> int:
    """Write the report to stdout; exit 1 when a finding is at or above ``--fail-on``."""
    code = EXIT_FINDINGS if fails(findings, args.fail_on) else EXIT_OK
    if args.format == "json":
        text = render_json(findings, **extra, fail_on=args.fail_on.name, exit_code=code)
    elif args.format == "markdown":
        text = render_markdown(findings, title=title)
    else:
        text = render_text(findings, title=title)
    sys.stdout.write(text)
    return code
