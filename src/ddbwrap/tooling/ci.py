"""A GitHub Actions workflow that keeps one schema across services (seed 002): the offline
checks (lock, contract, lint) on every pull request that touches the models, and a live drift
diff on a daily schedule, by hand, and on pull requests, when AWS credentials are configured.

``github_workflow`` renders it for a project's paths; ``ddbwrap ci github-workflow`` writes it.
The pre-commit side is the repository's ``.pre-commit-hooks.yaml`` (the offline checks only).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["WorkflowSettings", "github_workflow"]


@dataclass(frozen=True)
class WorkflowSettings:
    """What the workflow checks, and where: the same paths the project's commands use."""

    models: str
    """Import path of the models (``app.models``), as every ``ddbwrap`` command takes it."""
    lock: str = "ddbwrap.lock"
    contract: str | None = None
    """A seed-003 migration contract to check (``migrationContract.json``); None: no check."""
    strict_contract: bool = False
    """Check the contract against seed 003 alone; by default ddbwrap's extensions (the types
    besides S/N/B that ``ddbwrap export contract`` writes) are accepted."""
    watch: Sequence[str] = ()
    """Paths whose changes start the workflow on a pull request (default: the models' package
    directory, the lock and the contract)."""
    lint_paths: Sequence[str] = ()
    """Source paths ``ddbwrap lint`` scans for Scan calls."""
    install: str = "ddbwrap"
    """What ``pip install`` installs (``ddbwrap==1.2.0``, ``-r requirements.txt``, ``-e .``)."""
    python: str = "3.12"
    sample: int = 100
    """Items per table the drift job samples (``schema diff --sample``)."""
    table_suffix: str = ""
    """Stage suffix of the live tables the drift job compares (``-dev``)."""
    schedule: str = "17 5 * * *"
    """When the drift job runs on its own (cron, UTC)."""


def github_workflow(settings: WorkflowSettings) -> str:
    """The workflow's YAML text for ``settings`` (every value quoted for YAML and the shell)."""
    s = settings
    watch = list(s.watch) or _default_watch(s)
    models = shlex.quote(s.models)
    lock = shlex.quote(s.lock)
    lock_check = f"ddbwrap schema check --lock {lock} --fail-on breaking {models}"
    checks = [("Lock check (breaking changes fail)", lock_check)]
    if s.contract:
        extensions = "" if s.strict_contract else " --allow-extensions"
        contract = f"ddbwrap contract check{extensions} {shlex.quote(s.contract)} {models}"
        checks.append(("Contract check", contract))
    lint_paths = "".join(f" {shlex.quote(p)}" for p in s.lint_paths)
    checks.append(("Lint", f"ddbwrap lint --fail-on high {models}{lint_paths}"))
    suffix = f" --table-suffix={shlex.quote(s.table_suffix)}" if s.table_suffix else ""
    drift = (
        f"ddbwrap schema diff --sample {int(s.sample)}{suffix} --format markdown {models} "
        "> ddbwrap-drift.md"
    )
    lines = [
        "# Written by `ddbwrap ci github-workflow`: one schema across services (seed 002).",
        "name: ddbwrap schema",
        "",
        "on:",
        "  pull_request:",
        "    paths:",
        *(f"      - {_q(path)}" for path in watch),
        "  schedule:",
        f"    - cron: {_q(s.schedule)}",
        "  workflow_dispatch:",
        "",
        "permissions:",
        "  contents: read",
        "",
        "jobs:",
        "  offline:",
        "    name: lock, contract and lint",
        "    runs-on: ubuntu-latest",
        "    steps:",
        *_setup(s),
        *(line for name, command in checks for line in _step(name, command)),
        "",
        "  drift:",
        "    name: live drift",
        "    # Runs its steps when the repository secret DDBWRAP_AWS_ROLE_ARN names a role the",
        "    # workflow may assume (OIDC) with read-only DescribeTable, DescribeTimeToLive,",
        "    # ListTables and Scan; without it the job only says so.",
        "    runs-on: ubuntu-latest",
        "    permissions:",
        "      contents: read",
        "      id-token: write",
        "    env:",
        "      DDBWRAP_AWS_ROLE_ARN: ${{ secrets.DDBWRAP_AWS_ROLE_ARN }}",
        "    steps:",
        "      - name: No AWS role configured",
        f"        if: {_NO_ROLE}",
        '        run: echo "::notice::set the DDBWRAP_AWS_ROLE_ARN secret to diff live tables"',
        *_when(_ROLE, _setup(s)),
        "      - uses: aws-actions/configure-aws-credentials@v4",
        f"        if: {_ROLE}",
        "        with:",
        "          role-to-assume: ${{ env.DDBWRAP_AWS_ROLE_ARN }}",
        "          aws-region: ${{ secrets.AWS_REGION || 'us-east-1' }}",
        "      - name: Drift diff (markdown report)",
        f"        if: {_ROLE}",
        "        run: |",
        "          set +e",
        f"          {drift}",
        "          status=$?",
        '          cat ddbwrap-drift.md >> "$GITHUB_STEP_SUMMARY"',
        "          exit $status",
        "      - name: Upload the drift report",
        "        if: ${{ always() && env.DDBWRAP_AWS_ROLE_ARN != '' }}",
        "        uses: actions/upload-artifact@v4",
        "        with:",
        "          name: ddbwrap-drift",
        "          path: ddbwrap-drift.md",
        "          if-no-files-found: ignore",
    ]
    return "\n".join(lines) + "\n"


_ROLE = "${{ env.DDBWRAP_AWS_ROLE_ARN != '' }}"
_NO_ROLE = "${{ env.DDBWRAP_AWS_ROLE_ARN == '' }}"


def _when(condition: str, steps: list[str]) -> list[str]:
    """``steps`` (lines of step items), each run only when ``condition`` holds."""
    out: list[str] = []
    for line in steps:
        out.append(line)
        if line.startswith("      - "):
            out.append(f"        if: {condition}")
    return out


def _default_watch(s: WorkflowSettings) -> list[str]:
    package = s.models.split(":", 1)[0].replace(".", "/")
    paths = [f"{package}/**", f"{package}.py", s.lock]
    return paths + ([s.contract] if s.contract else [])


def _setup(s: WorkflowSettings) -> list[str]:
    return [
        "      - uses: actions/checkout@v4",
        "      - uses: actions/setup-python@v5",
        "        with:",
        f"          python-version: {_q(s.python)}",
        f"      - run: python -m pip install {_install_args(s.install)}",
    ]


def _install_args(install: str) -> str:
    return " ".join(shlex.quote(part) for part in shlex.split(install))


def _step(name: str, command: str) -> list[str]:
    return [f"      - name: {_q(name)}", f"        run: {_q(command)}"]


def _q(text: str) -> str:
    """``text`` as a YAML scalar that reads back as exactly ``text`` (a JSON string is one)."""
    return json.dumps(text)
