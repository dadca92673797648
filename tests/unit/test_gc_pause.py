"""Large answers are parsed and decoded with the cyclic garbage collector paused, and the
collector is always left as it was found."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pydantic import field_validator

from ddbwrap import DomainModel, ReadApi, TableGateway, fastpath
from ddbwrap._engine import gc_pause
from ddbwrap.tooling import create_tables

COLLECTOR_ON_WHILE_DECODING: list[bool] = []


class Row(DomainModel):
    pk: str
    sk: int

    class Meta:
        table_name = "gc_rows"
        partition_key = "pk"
        sort_key = "sk"

    @field_validator("sk")
    @classmethod
    def _record(cls, value: int) -> int:
        COLLECTOR_ON_WHILE_DECODING.append(gc.isenabled())
        return value


@pytest.fixture
def gateway() -> Iterator[TableGateway]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(TableGateway(client), [Row])
        for sk in range(gc_pause.MANY_ITEMS + 8):
            client.put_item(TableName="gc_rows", Item={"pk": {"S": "p"}, "sk": {"N": str(sk)}})
        yield TableGateway(client)


def test_the_collector_is_off_inside_and_on_after() -> None:
    assert gc.isenabled()
    with gc_pause.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_on_again_after_an_error() -> None:
    with pytest.raises(KeyError), gc_pause.paused():
        raise KeyError("boom")
    assert gc.isenabled()


def test_a_collector_found_off_is_left_off() -> None:
    gc.disable()
    try:
        with gc_pause.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_only_a_large_body_is_parsed_with_the_collector_paused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []
    real = fastpath.loads

    def loads(body: bytes) -> Any:
        seen.append(gc.isenabled())
        return real(body)

    monkeypatch.setattr(fastpath, "loads", loads)
    small = json.dumps({"Items": []}).encode()
    large = json.dumps({"Items": [{"pk": {"S": "x" * 100}}] * 400}).encode()
    assert len(small) < gc_pause.LARGE_BODY <= len(large)
    for body in (small, large):
        fastpath.parse_body(body, lambda value: value, lambda value: value)
    assert seen == [True, False]
    assert gc.isenabled()


def test_a_page_of_many_items_is_decoded_with_the_collector_paused(
    gateway: TableGateway,
) -> None:
    COLLECTOR_ON_WHILE_DECODING.clear()
    page = ReadApi[Row](gateway, cursor_secret="k" * 32).query(pk="p")
    assert len(page.items) == gc_pause.MANY_ITEMS + 8
    assert set(COLLECTOR_ON_WHILE_DECODING) == {False}
    assert gc.isenabled()


def test_a_short_page_is_decoded_with_the_collector_on(gateway: TableGateway) -> None:
    COLLECTOR_ON_WHILE_DECODING.clear()
    ReadApi[Row](gateway, cursor_secret="k" * 32).query(pk="p", limit=3)
    assert set(COLLECTOR_ON_WHILE_DECODING) == {True}
