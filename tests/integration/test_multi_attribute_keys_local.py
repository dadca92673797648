"""Native multi-attribute GSI keys on DynamoDB Local: a table created from a model, queried with
every valid combination of key conditions (compared with the same selection made in Python) and
refused with every invalid one, paged with cursors, drift-checked, ensured and imported.

The refusals are checked twice: ddbwrap refuses before sending, and DynamoDB Local refuses the
same condition when sent raw, so ddbwrap's rule is DynamoDB's rule.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest

from ddbwrap import GSI, KEYS_ONLY, DomainModel, codec_for
from ddbwrap.errors import InvalidCursorError, ValidationError
from ddbwrap.expressions import SortCondition
from ddbwrap.gateway import TableGateway
from ddbwrap.model import schema_of
from ddbwrap.read import ReadApi, View, begins_with, between, eq, ge, gt, le, lt
from ddbwrap.tooling import diff_tables, ensure_tables
from ddbwrap.tooling.importer import import_live, load_generated
from ddbwrap.write import UpdateDTO, WriteApi

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap.testing.plugin import DdbBackend, TableFactory

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
SECRET = "integration-test-cursor-secret-0123456789"


class Match(DomainModel):
    match_id: str
    tournament: str
    region: str
    round: str
    bracket: int
    played_at: datetime
    referee: str | None = None
    score: int = 0

    class Meta:
        table_name = "mak_matches"
        partition_key = "match_id"
        gsis = [
            GSI(
                "by-tournament-region",
                partition_key=("tournament", "region"),
                sort_key=("round", "bracket", "played_at"),
            ),
            GSI("by-referee", partition_key=("tournament", "referee"), projection=KEYS_ONLY),
        ]


class MatchScore(View[Match]):
    match_id: str
    score: int


ROUNDS = ("final", "quarter", "semi")


def matches() -> list[Match]:
    """Two tournaments x two regions x three rounds x two brackets x two times; every other
    match has a referee (the others stay out of the sparse by-referee index)."""
    out = []
    for number, (tournament, region, round_, bracket, hour) in enumerate(
        itertools.product(("w24", "s25"), ("eu", "us"), ROUNDS, (1, 2), (0, 5))
    ):
        out.append(
            Match(
                match_id=f"m{number:03}",
                tournament=tournament,
                region=region,
                round=round_,
                bracket=bracket,
                played_at=T0 + timedelta(hours=hour + bracket),
                referee="ann" if number % 2 else None,
                score=number,
            )
        )
    return out


@pytest.fixture
def reads(ddb_tables: TableFactory) -> ReadApi[Match]:
    gateway = ddb_tables(Match)
    codec = codec_for(Match)
    items = [{"PutRequest": {"Item": codec.encode(m)}} for m in matches()]
    for start in range(0, len(items), 25):
        gateway.batch_write({"mak_matches": items[start : start + 25]})
    return ReadApi[Match](gateway, cursor_secret=SECRET)


def test_the_table_is_created_with_the_multi_attribute_gsi(
    reads: ReadApi[Match], ddb_client: DynamoDBClient, ddb_gateway: TableGateway
) -> None:
    table = ddb_client.describe_table(TableName=ddb_gateway.physical_table_name("mak_matches"))
    gsis = {g["IndexName"]: g for g in table["Table"]["GlobalSecondaryIndexes"]}
    assert [
        (k["AttributeName"], k["KeyType"]) for k in gsis["by-tournament-region"]["KeySchema"]
    ] == [
        ("tournament", "HASH"),
        ("region", "HASH"),
        ("round", "RANGE"),
        ("bracket", "RANGE"),
        ("played_at", "RANGE"),
    ]


Select = Callable[[Match], bool]


def _op(condition: SortCondition) -> Callable[[Any], bool]:
    op, values = condition.op, condition.values
    if op == "eq":
        return lambda v: v == values[0]
    if op == "lt":
        return lambda v: v < values[0]
    if op == "le":
        return lambda v: v <= values[0]
    if op == "gt":
        return lambda v: v > values[0]
    if op == "ge":
        return lambda v: v >= values[0]
    if op == "between":
        return lambda v: values[0] <= v <= values[1]
    return lambda v: str(v).startswith(values[0])


RANGES: dict[str, list[SortCondition]] = {
    "round": [
        eq("semi"),
        lt("quarter"),
        le("quarter"),
        gt("final"),
        ge("quarter"),
        between("final", "quarter"),
        begins_with("s"),
    ],
    "bracket": [eq(2), lt(2), le(1), gt(1), ge(1), between(1, 2)],
    "played_at": [
        eq(T0 + timedelta(hours=2)),
        lt(T0 + timedelta(hours=3)),
        le(T0 + timedelta(hours=2)),
        gt(T0 + timedelta(hours=2)),
        ge(T0 + timedelta(hours=7)),
        between(T0, T0 + timedelta(hours=3)),
    ],
}
PREFIX = {"round": "semi", "bracket": 2}


def valid_cases() -> list[tuple[str, dict[str, Any]]]:
    """Every shape DynamoDB allows: no sort condition, or equalities on a prefix of the sort
    attributes then one condition (every operator) on the next one."""
    cases: list[tuple[str, dict[str, Any]]] = [("partition only", {})]
    names = ["round", "bracket", "played_at"]
    for position, name in enumerate(names):
        for condition in RANGES[name]:
            sort = {n: PREFIX[n] for n in names[:position]}
            sort[name] = condition
            label = ", ".join(f"{k}={v}" for k, v in sort.items())
            cases.append((label, {"sort": sort}))
    return cases


@pytest.mark.parametrize(("label", "kwargs"), valid_cases(), ids=[c[0] for c in valid_cases()])
@pytest.mark.parametrize("descending", [False, True])
def test_every_valid_combination_returns_what_python_selects(
    reads: ReadApi[Match], label: str, kwargs: dict[str, Any], descending: bool
) -> None:
    sort: dict[str, Any] = kwargs.get("sort", {})
    selected = [
        m
        for m in matches()
        if m.tournament == "w24"
        and m.region == "eu"
        and all(
            _op(c if isinstance(c, SortCondition) else eq(c))(getattr(m, n))
            for n, c in sort.items()
        )
    ]
    order = sorted(selected, key=lambda m: (m.round, m.bracket, m.played_at), reverse=descending)
    got = reads.query_all(
        index="by-tournament-region",
        tournament="w24",
        region="eu",
        descending=descending,
        **kwargs,
    )
    assert [m.match_id for m in got] == [m.match_id for m in order], label
    assert selected, f"{label}: the case selects nothing, so it proves little"


def test_keyword_equalities_and_a_trailing_condition(reads: ReadApi[Match]) -> None:
    page = reads.query(
        index="by-tournament-region",
        tournament="s25",
        region="us",
        round="final",
        bracket=1,
        sort=ge(T0 + timedelta(hours=6)),
    )
    assert [(m.round, m.bracket, m.played_at) for m in page] == [
        ("final", 1, T0 + timedelta(hours=6))
    ]


INVALID: list[tuple[dict[str, Any], str, str]] = [
    # kwargs, the field ddbwrap names, the raw KeyConditionExpression DynamoDB refuses
    ({"tournament": "w24"}, "region", "#t = :t"),
    ({"region": "eu"}, "tournament", "#r = :r"),
    (
        {"tournament": "w24", "region": "eu", "sort": {"bracket": 1}},
        "bracket",
        "#t = :t AND #r = :r AND #b = :b",
    ),
    (
        {"tournament": "w24", "region": "eu", "sort": {"played_at": gt(T0)}},
        "played_at",
        "#t = :t AND #r = :r AND #p > :p",
    ),
    (
        {"tournament": "w24", "region": "eu", "round": "semi", "sort": {"played_at": gt(T0)}},
        "played_at",
        "#t = :t AND #r = :r AND #o = :o AND #p > :p",
    ),
    (
        {"tournament": "w24", "region": "eu", "sort": {"round": gt("a"), "bracket": 1}},
        "round",
        "#t = :t AND #r = :r AND #o > :o AND #b = :b",
    ),
    (
        {
            "tournament": "w24",
            "region": "eu",
            "round": "semi",
            "sort": {"bracket": ge(1), "played_at": T0},
        },
        "bracket",
        "#t = :t AND #r = :r AND #o = :o AND #b >= :b AND #p = :p",
    ),
    (
        {"tournament": "w24", "region": "eu", "round": "semi", "sort": begins_with("1")},
        "bracket",
        "#t = :t AND #r = :r AND #o = :o AND begins_with(#b, :s)",
    ),
]
RAW_NAMES = {
    "#t": "tournament",
    "#r": "region",
    "#o": "round",
    "#b": "bracket",
    "#p": "played_at",
}
RAW_VALUES = {
    ":t": {"S": "w24"},
    ":r": {"S": "eu"},
    ":o": {"S": "a"},
    ":b": {"N": "1"},
    ":p": {"S": "2026-01-01T00:00:00.000000Z"},
    ":s": {"S": "1"},
}


@pytest.mark.parametrize(("kwargs", "field", "raw"), INVALID, ids=[c[2] for c in INVALID])
def test_every_invalid_combination_is_refused_as_dynamodb_refuses_it(
    reads: ReadApi[Match],
    ddb_client: DynamoDBClient,
    ddb_gateway: TableGateway,
    ddb_backend: DdbBackend,
    kwargs: dict[str, Any],
    field: str,
    raw: str,
) -> None:
    with pytest.raises(ValidationError) as caught:
        reads.query(index="by-tournament-region", **kwargs)
    assert caught.value.field == field
    assert caught.value.model == "Match"
    if ddb_backend.is_moto and "begins_with" in raw:
        return  # moto 5.2 answers begins_with on a number; DynamoDB (and Local) refuse it
    names = {k: v for k, v in RAW_NAMES.items() if k in raw}
    values = {k: v for k, v in RAW_VALUES.items() if k in raw}
    with pytest.raises(ddb_client.exceptions.ClientError, match="ValidationException"):
        ddb_client.query(
            TableName=ddb_gateway.physical_table_name("mak_matches"),
            IndexName="by-tournament-region",
            KeyConditionExpression=raw,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )


def test_a_view_query_reads_only_its_fields_and_the_keys(reads: ReadApi[Match]) -> None:
    page = reads.query(
        index="by-tournament-region",
        tournament="w24",
        region="us",
        round="semi",
        view=MatchScore,
    )
    assert all(isinstance(m, MatchScore) for m in page)
    assert len(page) == 4


def test_pages_resume_from_cursors_holding_every_index_key_attribute(
    reads: ReadApi[Match],
) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = reads.query(
            index="by-tournament-region",
            tournament="w24",
            region="eu",
            limit=5,
            cursor=cursor,
        )
        seen += [m.match_id for m in page]
        pages += 1
        cursor = page.cursor
        if cursor is None:
            break
    expected = [
        m.match_id
        for m in reads.query_all(index="by-tournament-region", tournament="w24", region="eu")
    ]
    assert seen == expected and len(seen) == 12 and pages >= 3


@pytest.mark.parametrize(("tournament", "region"), [("s25", "eu"), ("w24", "us")])
def test_a_cursor_of_another_partition_is_refused(
    reads: ReadApi[Match], tournament: str, region: str
) -> None:
    page = reads.query(index="by-tournament-region", tournament="w24", region="eu", limit=2)
    assert page.cursor is not None
    with pytest.raises(InvalidCursorError):
        reads.query(
            index="by-tournament-region",
            tournament=tournament,
            region=region,
            cursor=page.cursor,
        )


def test_the_sparse_index_holds_only_items_with_every_partition_attribute(
    reads: ReadApi[Match],
) -> None:
    page = reads.query(index="by-referee", tournament="w24", referee="ann", fetch_full=True)
    expected = sorted(m.match_id for m in matches() if m.tournament == "w24" and m.referee == "ann")
    assert sorted(m.match_id for m in page) == expected


def test_drift_finds_nothing_on_the_table_it_created(reads: ReadApi[Match]) -> None:
    assert diff_tables(reads.gateway, [Match]) == []


def test_ensure_adds_a_missing_multi_attribute_gsi(
    ddb_client: DynamoDBClient, ddb_gateway: TableGateway
) -> None:
    params = schema_of(Match).create_table_params(ddb_gateway.physical_table_name("mak_matches"))
    params.pop("GlobalSecondaryIndexes")
    params["AttributeDefinitions"] = [{"AttributeName": "match_id", "AttributeType": "S"}]
    ddb_client.create_table(**params)
    try:
        results = ensure_tables(ddb_gateway, [Match])
        assert results[0].action == "ok", results[0].as_dict()
        assert diff_tables(ddb_gateway, [Match]) == []
    finally:
        ddb_client.delete_table(TableName=params["TableName"])


def test_import_of_the_live_table_declares_the_tuples(reads: ReadApi[Match]) -> None:
    module = import_live(reads.gateway, ["mak_matches"], sample=50)
    assert 'partition_key=("tournament", "region")' in module.source
    assert 'sort_key=("round", "bracket", "played_at")' in module.source
    assert module.models[0].notes == []
    imported = load_generated(module.source)
    (model,) = [
        m
        for m in vars(imported).values()
        if isinstance(m, type) and issubclass(m, DomainModel) and m is not DomainModel
    ]
    assert _gsi_keys(model) == _gsi_keys(Match)


def _gsi_keys(model: type[DomainModel]) -> dict[str, Any]:
    params = schema_of(model).create_table_params()
    return {g["IndexName"]: g["KeySchema"] for g in params["GlobalSecondaryIndexes"]}


class Reassign(UpdateDTO[Match]):
    referee: str | None = None
    round: str | None = None


def test_writes_move_items_between_partitions_and_out_of_the_sparse_index(
    reads: ReadApi[Match],
) -> None:
    writes = WriteApi[Match](reads.gateway)
    writes.create(
        Match(
            match_id="new",
            tournament="w24",
            region="eu",
            round="final",
            bracket=9,
            played_at=T0,
            referee="bob",
        )
    )

    def by_bob() -> list[str]:
        found = reads.query_all(
            index="by-referee", tournament="w24", referee="bob", fetch_full=True
        )
        return [m.match_id for m in found]

    def finals() -> list[str]:
        found = reads.query_all(
            index="by-tournament-region", tournament="w24", region="eu", round="final", bracket=9
        )
        return [m.match_id for m in found]

    assert by_bob() == ["new"] and finals() == ["new"]
    writes.update({"match_id": "new"}, Reassign(round="semi"))
    assert finals() == []
    assert [
        m.match_id
        for m in reads.query_all(
            index="by-tournament-region", tournament="w24", region="eu", round="semi", bracket=9
        )
    ] == ["new"]
    writes.update({"match_id": "new"}, Reassign(referee=None))
    assert by_bob() == []
    assert reads.get(match_id="new") is not None
