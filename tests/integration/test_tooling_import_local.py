"""``ddbwrap schema import`` and the lock history on DynamoDB Local (issue 17).

Tables are created from the example models (``examples/goals``, ``examples/pipelines``) and
filled by raw boto3 ``put_item`` calls, as another service (pp_api in .NET, a Node worker)
writes them: its own datetime format, numbers, maps, lists, sets, NULLs, attributes no Python
model declares. ``schema import`` turns the live tables back into models; those models pass
``ruff`` and ``mypy --strict``, read every item, and ``schema diff`` finds nothing above LOW.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

import pytest
from examples.goals.dotnet import dotnet_datetime, dotnet_goal_item
from examples.goals.models.domain_models import GOAL_STATUSES, PRIORITIES, Goal
from examples.pipelines.models.domain_models import MODELS as PIPELINE_MODELS

from ddbwrap import ReadApi
from ddbwrap.gateway import TableGateway
from ddbwrap.model import DomainModel
from ddbwrap.tooling import create_tables

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ROOT = Path(__file__).resolve().parents[2]
GOALS_TEMPLATE = ROOT / "examples" / "goals" / "infra" / "goals-table.yaml"
START = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.timezone.utc)
RUFF_RULES = "E,F,W,I,B,UP,SIM,RUF,PL,N"
Run = Callable[..., int]
AV = dict[str, Any]


@pytest.fixture
def out_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on sys.path for generated modules (imported by the CLI and the tests)."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(ROOT)  # the examples import from the project root
    yield tmp_path


def module_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def put(client: DynamoDBClient, gateway: TableGateway, table: str, item: dict[str, AV]) -> None:
    """What another service does: a plain PutItem of the item it built."""
    client.put_item(TableName=gateway.physical_table_name(table), Item=item)  # type: ignore[arg-type]


def check_with_ruff_and_mypy(*paths: Path) -> None:
    """ruff (ddbwrap's own rule set) and ``mypy --strict`` accept the generated modules, run
    where a service would keep them (ddbwrap is a third-party import there)."""
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--isolated", "--select", RUFF_RULES,
         "--line-length", "100", "--target-version", "py310", *map(str, paths)],
        capture_output=True, text=True, check=False, cwd=paths[0].parent,
    )  # fmt: skip
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    cache = paths[0].parent / ".mypy_cache"
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), *map(str, paths)],
        capture_output=True, text=True, check=False, cwd=paths[0].parent,
    )  # fmt: skip
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def read_every_item(module: ModuleType, gateway: TableGateway) -> dict[str, int]:
    """Scan each generated model's table through ReadApi (a corrupt item raises): counts."""
    counts = {}
    for name in module.__all__:
        model = getattr(module, name)
        assert issubclass(model, DomainModel)
        reads = cast(Any, ReadApi)[model](gateway)  # a model known at run time only
        counts[name] = sum(1 for _ in reads.scan_all())
    return counts


def findings_above_low(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    document = json.loads(capsys.readouterr().out)
    return [f for f in document["findings"] if f["severity"] not in ("LOW", "INFO")]


# -- the goals table, as pp_api (.NET) writes it --------------------------------------------------


def dotnet_goals(count: int) -> list[dict[str, AV]]:
    items = []
    for n in range(count):
        extra: dict[str, AV] = {
            "priority": {"S": PRIORITIES[n % len(PRIORITIES)]},
            "lastViewedAt": {"S": dotnet_datetime(START + dt.timedelta(days=n))},
        }
        if n % 3 == 0:
            extra["alignment_score"] = {"N": str(50 + n)}
            extra["alignment_suggestions"] = {"L": [{"S": "focus"}, {"S": "measure"}]}
        if n % 4 == 0:
            extra["target_date"] = {"S": dotnet_datetime(START + dt.timedelta(days=90))}
            extra["user_id"] = {"NULL": True}
        if n % 5 == 0:
            extra["goal_type"] = {"S": ["okr", "habit"][n % 2]}
            extra["review"] = {"M": {"done": {"N": str(n)}, "total": {"N": "10"}}}
            extra["reviewers"] = {"SS": ["ann", "bob"]}
        if n % 6 == 0:
            extra["daily-scores"] = {"M": {f"2026-03-0{d}": {"N": f"{d}.5"} for d in (1, 2)}}
        items.append(
            dotnet_goal_item(
                f"goal-{n:03d}",
                f"tenant-{n % 4}",
                title=f"Goal number {n}",
                intent=f"Because {n}",
                created_at=START + dt.timedelta(hours=n),
                status=GOAL_STATUSES[n % len(GOAL_STATUSES)],
                progress=["0", "12.5", "33.3333333333333333", "100"][n % 4],
                tags=("q1", "team") if n % 2 else (),
                extra=extra,
            )
        )
    return items


def test_goals_written_by_dotnet_import_to_models_that_read_every_item(
    cli: Run,
    ddb_client: DynamoDBClient,
    ddb_gateway: TableGateway,
    out_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    create_tables(ddb_gateway, [Goal])
    items = dotnet_goals(40)
    for item in items:
        put(ddb_client, ddb_gateway, "goals", item)
    name = module_name("imported_goals")
    path = out_dir / f"{name}.py"

    assert (
        cli("schema", "import", "goals", "--sample", "100", "--segments", "3", "-o", str(path)) == 0
    )
    assert "every one reads back" in capsys.readouterr().out

    check_with_ruff_and_mypy(path)
    module = importlib.import_module(name)
    assert read_every_item(module, ddb_gateway) == {"Goal": len(items)}
    source = path.read_text()
    assert 'last_viewed_at: datetime = Field(alias="lastViewedAt")' in source
    assert "progress_percentage: Decimal" in source
    assert "alignment_score: int | None = None" in source
    assert 'status: Literal["active", "cancelled", "completed", "draft", "paused"]' in source
    assert 'gsis = (GSI("tenant_id-index", partition_key="tenant_id"),)' in source

    assert cli("schema", "diff", name, "--sample", "100", "--format", "json") == 0
    assert findings_above_low(capsys) == []


# -- the pipelines tables, as a Node worker writes them -----------------------------------------


def node_iso(value: dt.datetime) -> str:
    """JavaScript's ``Date.toISOString()``: milliseconds, ``Z``."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def pipeline_items(count: int) -> dict[str, list[dict[str, AV]]]:
    configs, tables, runs = [], [], []
    for n in range(count):
        pipeline = f"p-{n:03d}"
        created = START + dt.timedelta(days=n)
        config: dict[str, AV] = {
            "pipeline_id": {"S": pipeline},
            "tenant_id": {"S": f"t-{n % 3}"},
            "name": {"S": f"ingest {n}"},
            "description": {"S": ""},
            "is_active": {"S": "true" if n % 3 else "false"},  # a bool GSI key, as ddbwrap stores
            "schedule": {"S": "0 * * * *"},
            "source": {"S": "mysql://db"},
            "destination": {"S": "s3://lake"},
            "settings": {"M": {"batch_size": {"N": str(100 * (n + 1))}, "mode": {"S": "fast"}}},
            "tags": {"L": [{"S": "etl"}]},
            "owner": {"S": "data-team"},
            "last_run_status": {"S": "succeeded"} if n % 2 else {"NULL": True},
            "created_at": {"S": node_iso(created)},
            "version": {"N": str(n % 4)},
        }
        configs.append(config)
        tables.append(
            {
                "pipeline_id": {"S": pipeline},
                "table_name": {"S": f"orders_{n}"},
                "source_schema": {"S": "shop"},
                "target_table": {"S": f"raw.orders_{n}"},
                "columns": {"L": [{"S": "id"}, {"S": "total"}]},
                "primary_keys": {"L": [{"S": "id"}]},
                "load_type": {"S": ["full", "incremental"][n % 2]},
                "is_enabled": {"BOOL": n % 5 != 0},
                "row_count_estimate": {"N": str(1000 * n)},
            }
        )
        for r in range(3):
            started = created + dt.timedelta(hours=r)
            run: dict[str, AV] = {
                "pipeline_id": {"S": pipeline},
                "started_at": {"S": node_iso(started)},  # not ddbwrap's form: a str key
                "run_id": {"S": f"run-{n}-{r}"},
                "tenant_id": {"S": f"t-{n % 3}"},
                "status": {"S": ["running", "succeeded", "failed"][r]},
                "rows_read": {"N": str(10 * r)},
                "rows_written": {"N": str(10 * r)},
                "details": {"M": {f"step-{s}": {"S": "ok"} for s in range(r + 1)}},
                "expires_at": {"N": str(int(started.timestamp()) + 3650 * 86400)},  # not expired
            }
            if r:
                run["finished_at"] = {"S": node_iso(started + dt.timedelta(minutes=5))}
                run["duration_ms"] = {"N": str(300000 + n)}
            if r == 2:
                run["error_message"] = {"S": "source timed out"}
            runs.append(run)
    return {"pipeline_config": configs, "table_config": tables, "pipeline_run_logs": runs}


def test_pipelines_written_by_another_service_import_with_all(
    cli: Run,
    ddb_client: DynamoDBClient,
    ddb_gateway: TableGateway,
    out_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    create_tables(ddb_gateway, PIPELINE_MODELS)
    written = pipeline_items(12)
    for table, items in written.items():
        for item in items:
            put(ddb_client, ddb_gateway, table, item)
    name = module_name("imported_pipelines")
    path = out_dir / f"{name}.py"

    assert cli("schema", "import", "--all", "--sample", "1000", "-o", str(path)) == 0
    capsys.readouterr()

    check_with_ruff_and_mypy(path)
    module = importlib.import_module(name)
    assert read_every_item(module, ddb_gateway) == {
        "PipelineConfig": 12,
        "PipelineRunLog": 36,
        "TableConfig": 12,
    }
    source = path.read_text()
    assert "is_active: bool" in source  # the "true"/"false" GSI key
    assert "started_at: str" in source  # a sort key in another form than ddbwrap's stays text
    assert "expires_at: datetime" in source
    assert 'ttl_attribute = "expires_at"' in source
    assert 'projection=INCLUDE("status", "run_id", "duration_ms"),' in source
    assert 'status: Literal["failed", "running", "succeeded"]' in source
    assert "details: dict[str, str]" in source  # keys are data, not a record
    assert "settings: PipelineConfigSettings" in source  # keys form a record

    assert cli("schema", "diff", name, "--sample", "1000", "--format", "json") == 0
    assert findings_above_low(capsys) == []


def test_import_of_the_goals_template_diffs_clean_against_the_live_table(
    cli: Run, ddb_gateway: TableGateway, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    create_tables(ddb_gateway, [Goal])
    name = module_name("imported_goals_cfn")
    path = out_dir / f"{name}.py"

    assert (
        cli(
            "schema", "import", "--cloudformation", str(GOALS_TEMPLATE),
            "--name-template", "purposepath-{table}-${Stage}", "-o", str(path),
        )
        == 0
    )  # fmt: skip
    capsys.readouterr()

    check_with_ruff_and_mypy(path)
    assert 'table_name = "goals"' in path.read_text()
    assert cli("schema", "diff", name, "--format", "json") == 0
    assert findings_above_low(capsys) == []


def test_diff_reports_live_tables_no_model_covers(
    cli: Run,
    ddb_client: DynamoDBClient,
    ddb_gateway: TableGateway,
    capsys: pytest.CaptureFixture[str],
) -> None:
    create_tables(ddb_gateway, [Goal, *PIPELINE_MODELS])
    capsys.readouterr()

    assert cli("schema", "diff", "examples.goals.models", "--uncovered", "--format", "json") == 0
    uncovered = [
        (f["code"], f["severity"], f["table"])
        for f in json.loads(capsys.readouterr().out)["findings"]
    ]
    assert uncovered == [
        ("DDB220", "LOW", "pipeline_config"),
        ("DDB220", "LOW", "pipeline_run_logs"),
        ("DDB220", "LOW", "table_config"),
    ]
    assert cli("schema", "diff", "examples.goals.models", "--prefix", "pipeline_", "--suffix",
               "_logs", "--format", "json", "--fail-on", "low") == 1  # fmt: skip
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert finding["table"] == "pipeline_run_logs"


# -- a lock history across three versions --------------------------------------------------------

NOTES_V1 = """
from ddbwrap import DomainModel


class Note(DomainModel):
    note_id: str
    owner_id: str
    body: str

    class Meta:
        table_name = "notes"
        partition_key = "note_id"
"""
NOTES_V2 = NOTES_V1.replace("    body: str\n", "    body: str\n    pinned: bool | None = None\n")
NOTES_V3 = NOTES_V2.replace("    body: str\n", "    body: bytes\n")


def test_lock_history_across_three_versions_with_fail_on_breaking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ddbwrap.cli import main

    monkeypatch.syspath_prepend(str(tmp_path))
    versions = []
    for source in (NOTES_V1, NOTES_V2, NOTES_V3):
        name = module_name("notes")
        (tmp_path / f"{name}.py").write_text(source)
        versions.append(name)
    v1, v2, v3 = versions
    lock = str(tmp_path / "ddbwrap.lock")

    assert main(["schema", "lock", v1, "--lock", lock]) == 0
    # version 2 adds an optional attribute: additive
    assert main(["schema", "check", v2, "--lock", lock]) == 1  # --fail-on any: the lock is stale
    assert main(["schema", "check", v2, "--lock", lock, "--fail-on", "breaking"]) == 0
    assert main(["schema", "check", v2, "--lock", lock, "--fail-on", "additive"]) == 1
    capsys.readouterr()
    assert main(["schema", "lock", v2, "--lock", lock, "--message", "pin notes"]) == 0
    # version 3 retypes an attribute: breaking
    assert main(["schema", "check", v3, "--lock", lock, "--fail-on", "breaking"]) == 1
    out = capsys.readouterr().out
    assert "BREAKING  notes.body" in out
    assert "type S -> B" in out
    assert main(["schema", "lock", v3, "--lock", lock]) == 0
    assert main(["schema", "check", v3, "--lock", lock, "--fail-on", "breaking"]) == 0
    capsys.readouterr()

    assert main(["schema", "log", "--lock", lock, "--format", "json"]) == 0
    log = json.loads(capsys.readouterr().out)["versions"]
    assert [(e["version"], e.get("summary")) for e in log] == [
        (3, {"breaking": 1, "additive": 0, "neutral": 0}),
        (2, {"breaking": 0, "additive": 1, "neutral": 0}),
        (1, {"breaking": 0, "additive": 0, "neutral": 0}),
    ]
    assert log[1]["message"] == "pin notes"

    # roll back to version 2: its lock file checks the version-2 models, not version 3's
    restored = str(tmp_path / "restored.lock")
    assert main(["schema", "restore", "2", "--lock", lock, "-o", restored]) == 0
    assert main(["schema", "check", v2, "--lock", restored]) == 0
    assert main(["schema", "check", v3, "--lock", restored, "--fail-on", "breaking"]) == 1
