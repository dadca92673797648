"""``writes.explain``: the requests a write would send, built and returned unsent.

Each test makes the write for real (moto, behind a recording ``ScriptedTransport``, with a fixed
clock) and compares what was sent with what ``explain`` returned before: the same operations,
in the same order, with the same parameters (the ``ClientRequestToken`` a transaction's send
adds aside): the read of the stored item a write moving unique guards makes first, and the read
back of an update sent as a transaction, included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from ddbwrap import DomainModel, TableGateway, ValidationError
from ddbwrap.expressions import Attr, Update
from ddbwrap.testing import ScriptedTransport
from ddbwrap.tooling import create_tables
from ddbwrap.transport import BotocoreTransport
from ddbwrap.write import UpdateDTO, WriteApi

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.timezone.utc)


class Note(DomainModel):
    note_id: str
    text: str = ""
    count: int = 0

    class Meta:
        table_name = "explain_notes"
        partition_key = "note_id"


class Member(DomainModel):
    member_id: str
    email: str
    name: str = ""

    class Meta:
        table_name = "explain_members"
        partition_key = "member_id"
        unique = ("email",)


class Rename(UpdateDTO[Member]):
    email: str


@pytest.fixture
def transport() -> Iterator[ScriptedTransport]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_tables(TableGateway(client), [Note, Member])
        yield ScriptedTransport(backend=BotocoreTransport(client))


@pytest.fixture
def notes(transport: ScriptedTransport) -> WriteApi[Note]:
    return WriteApi[Note](TableGateway(transport), clock=lambda: NOW)


@pytest.fixture
def members(transport: ScriptedTransport) -> WriteApi[Member]:
    return WriteApi[Member](TableGateway(transport), clock=lambda: NOW)


def sent(transport: ScriptedTransport, since: int = 0) -> list[tuple[str, dict[str, Any]]]:
    """The calls made from ``since`` on, tokens left out."""
    out = []
    for call in transport.calls[since:]:
        params = {k: v for k, v in call.params.items() if k != "ClientRequestToken"}
        out.append((call.operation, params))
    return out


def test_explaining_sends_nothing(notes: WriteApi[Note], transport: ScriptedTransport) -> None:
    notes.explain.create(Note(note_id="n1"))
    notes.explain.update({"note_id": "n1"}, Update().increment("count"))
    notes.explain.delete({"note_id": "n1"})
    assert transport.calls == []


def test_a_create_is_explained_as_sent(notes: WriteApi[Note], transport: ScriptedTransport) -> None:
    explained = notes.explain.create(Note(note_id="n1", text="hello"))
    notes.create(Note(note_id="n1", text="hello"))
    assert sent(transport) == explained
    assert explained[0][0] == "PutItem"


def test_an_update_is_explained_as_sent(
    notes: WriteApi[Note], transport: ScriptedTransport
) -> None:
    notes.create(Note(note_id="n1"))
    changes = Update().set("text", "bye").increment("count")
    explained = notes.explain.update({"note_id": "n1"}, changes, condition=Attr("count") < 5)
    notes.update({"note_id": "n1"}, changes, condition=Attr("count") < 5)
    assert sent(transport, 1) == explained


def test_an_idempotent_update_is_explained_as_its_one_action_transaction(
    notes: WriteApi[Note], transport: ScriptedTransport
) -> None:
    notes.create(Note(note_id="n1"))
    changes = Update().increment("count")
    explained = notes.explain.update({"note_id": "n1"}, changes, idempotent=True)
    notes.update({"note_id": "n1"}, changes, idempotent=True)
    assert [operation for operation, _ in explained] == ["TransactWriteItems", "GetItem"]
    assert sent(transport, 1) == explained


def test_a_delete_is_explained_as_sent(notes: WriteApi[Note], transport: ScriptedTransport) -> None:
    explained = notes.explain.delete({"note_id": "n1"}, return_old=True)
    notes.delete({"note_id": "n1"}, return_old=True)
    assert sent(transport) == explained


def test_a_write_that_moves_unique_guards_is_explained_from_the_stored_item(
    members: WriteApi[Member], transport: ScriptedTransport
) -> None:
    stored = members.create(Member(member_id="m1", email="a@example.com"))
    rename = Rename(email="b@example.com")
    explained = members.explain.update({"member_id": "m1"}, rename, current=stored)
    members.update({"member_id": "m1"}, rename)
    operations = [operation for operation, _ in explained]
    assert operations == ["GetItem", "TransactWriteItems", "GetItem"]
    assert sent(transport, 1) == explained


def test_a_write_that_reads_first_asks_for_the_stored_item(members: WriteApi[Member]) -> None:
    with pytest.raises(ValidationError, match="pass current="):
        members.explain.delete({"member_id": "m1"})


def test_the_stored_item_must_be_the_one_written(members: WriteApi[Member]) -> None:
    other = Member(member_id="m2", email="x@example.com")
    with pytest.raises(ValidationError, match="another item"):
        members.explain.delete({"member_id": "m1"}, current=other)


def test_none_explains_the_write_of_a_missing_item(
    members: WriteApi[Member], transport: ScriptedTransport
) -> None:
    item = Member(member_id="m1", email="a@example.com")
    explained = members.explain.put(item, current=None)
    members.put(item)
    assert sent(transport) == explained


def test_the_async_api_explains_as_the_sync_one(transport: ScriptedTransport) -> None:
    from ddbwrap.aio import AsyncTableGateway, AsyncWriteApi

    sync = WriteApi[Note](TableGateway(transport), clock=lambda: NOW)
    async_ = AsyncWriteApi[Note](AsyncTableGateway(transport), clock=lambda: NOW)
    changes = Update().set("text", "t").increment("count")
    for api in (sync, async_):
        assert api.explain.update({"note_id": "n1"}, changes) == sync.explain.update(
            {"note_id": "n1"}, changes
        )
        assert api.explain.create(Note(note_id="n2")) == sync.explain.create(Note(note_id="n2"))
    assert transport.calls == []
