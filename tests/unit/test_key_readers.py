"""The one-pass readers of common keys: what the general path gives, or nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ConfigDict, Field

from ddbwrap import DomainModel, KeyTemplate, Update, WriteApi
from ddbwrap.codec import codec_for
from ddbwrap.errors import ValidationError
from ddbwrap.gateway import TableGateway
from ddbwrap.keys import key_fields, stored_key_identity, table_key_identity, text_key_reader
from ddbwrap.read import ReadApi


class Note(DomainModel):
    owner: str = Field(max_length=12)
    note_id: str
    body: str = ""

    class Meta:
        table_name = "notes"
        partition_key = "owner"
        sort_key = "note_id"


class Counted(DomainModel):
    owner: str
    position: int

    class Meta:
        table_name = "counted"
        partition_key = "owner"
        sort_key = "position"


class Templated(DomainModel):
    tenant: str
    name: str

    class Meta:
        table_name = "templated"
        partition_key = KeyTemplate("pk", "T#{tenant}")
        sort_key = "name"


READ = text_key_reader(Note)
ATTRIBUTES = [k.attribute for k in codec_for(Note).schema.key_attributes]


def general(key: Any) -> tuple[dict[str, Any], dict[str, Any], tuple[Any, ...]]:
    values = key_fields(Note, codec_for(Note).schema.key_fields, key, {}, "key")
    wire = codec_for(Note).key(values)
    return values, wire, table_key_identity(wire, ATTRIBUTES)


@given(
    st.dictionaries(
        st.sampled_from(["owner", "note_id", "body", "other"]),
        st.one_of(st.text(max_size=14), st.integers(), st.none()),
        max_size=3,
    )
)
def test_a_text_key_reads_as_the_general_path_reads_it_or_not_at_all(key: dict[str, Any]) -> None:
    assert READ is not None
    checked = READ(key)
    if checked is not None:
        assert checked == general(key)
        assert list(checked[0]) == ["owner", "note_id"]  # the order missing keys are listed in


@pytest.mark.parametrize(
    "key",
    [
        {"owner": "", "note_id": "n"},  # empty text: the general path refuses it
        {"owner": "é", "note_id": "n"},  # not ASCII: the general path checks it
        {"owner": "o" * 13, "note_id": "n"},  # over the field's max_length
        {"owner": "o", "body": "n"},  # not the key's names
        {"owner": "o", "note_id": 5},  # not text
        {"owner": "o"},
    ],
)
def test_a_key_the_text_reader_declines_is_left_to_the_general_path(key: dict[str, Any]) -> None:
    assert READ is not None
    assert READ(key) is None


class Lowered(DomainModel):
    model_config = ConfigDict(str_to_lower=True, str_strip_whitespace=True)
    owner: str
    note_id: str

    class Meta:
        table_name = "lowered"
        partition_key = "owner"
        sort_key = "note_id"


@given(
    st.fixed_dictionaries(
        {"owner": st.sampled_from(["Ann", " ann ", "ann"]), "note_id": st.text(max_size=4)}
    )
)
def test_a_key_of_a_model_that_changes_text_reads_as_the_model_validates_it(
    key: dict[str, Any],
) -> None:
    read = text_key_reader(Lowered)
    assert read is not None
    checked = read(key)
    if checked is not None:
        values = key_fields(Lowered, ("owner", "note_id"), key, {}, "key")
        assert checked[0] == values
        assert checked[1] == codec_for(Lowered).key(values)


def test_only_dicts_are_read_in_one_pass() -> None:
    assert READ is not None
    assert READ(Note(owner="o", note_id="n")) is None


def test_a_model_keyed_by_a_template_or_a_number_has_no_text_reader() -> None:
    assert text_key_reader(Templated) is None
    assert text_key_reader(Counted) is None


@pytest.mark.parametrize(
    ("key", "field"),
    [({"owner": "o" * 13, "note_id": "n"}, "owner"), ({"owner": "o", "note": "n"}, "note")],
)
def test_a_batch_key_the_text_reader_declines_is_refused_by_the_general_path(
    key: dict[str, Any], field: str
) -> None:
    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    notes = ReadApi[Note](TableGateway(client))
    with pytest.raises(ValidationError) as refused:
        notes.explain.batch_get([{"owner": "a", "note_id": "b"}, key])
    assert refused.value.model == "Note"
    assert refused.value.field == field


def test_a_batch_sends_the_keys_the_text_reader_read() -> None:
    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    notes = ReadApi[Note](TableGateway(client))
    request = notes.explain.batch_get(
        [{"owner": "a", "note_id": "b"}, {"note_id": "c", "owner": "a"}]
    )
    assert request == {
        "notes": {
            "Keys": [
                {"owner": {"S": "a"}, "note_id": {"S": "b"}},
                {"owner": {"S": "a"}, "note_id": {"S": "c"}},
            ]
        }
    }


def test_a_get_reads_its_key_in_one_pass_and_refuses_a_bad_one_as_before() -> None:
    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    notes = ReadApi[Note](TableGateway(client))
    wire = {"owner": {"S": "a"}, "note_id": {"S": "b"}}
    assert notes.explain.get(owner="a", note_id="b")["Key"] == wire
    assert notes.explain.get({"note_id": "b", "owner": "a"})["Key"] == wire
    with pytest.raises(ValidationError) as refused:
        notes.explain.get(owner="o" * 13, note_id="n")
    assert refused.value.field == "owner"
    with pytest.raises(ValidationError, match="not both"):
        notes.explain.get({"owner": "a", "note_id": "b"}, owner="a")


@given(st.text(min_size=1), st.decimals(allow_nan=False, allow_infinity=False, places=3))
def test_a_stored_keys_identity_from_its_texts_is_its_key_identity(
    owner: str, position: Decimal
) -> None:
    text = str(position)
    identity = stored_key_identity(["S", "N"])
    stored = {"owner": {"S": owner}, "position": {"N": text}}
    assert identity([owner, text]) == table_key_identity(stored, ["owner", "position"])


def test_two_spellings_of_one_number_are_one_stored_key() -> None:
    identity = stored_key_identity(["N"])
    assert identity(["1.50"]) == identity(["1.5"]) == identity(["15E-1"])


def test_a_write_reads_its_key_in_one_pass_and_refuses_a_bad_one_as_before() -> None:
    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    notes = WriteApi[Note](TableGateway(client))
    wire = {"owner": {"S": "a"}, "note_id": {"S": "b"}}
    [(_, delete)] = notes.explain.delete({"note_id": "b", "owner": "a"})
    [(_, update)] = notes.explain.update({"owner": "a", "note_id": "b"}, Update().set("body", "x"))
    assert delete["Key"] == update["Key"] == wire
    with pytest.raises(ValidationError) as too_long:
        notes.explain.delete({"owner": "o" * 13, "note_id": "n"})
    assert (too_long.value.model, too_long.value.field) == ("Note", "owner")
    with pytest.raises(ValidationError) as unknown:
        notes.explain.update({"owner": "a", "note": "n"}, Update().set("body", "x"))
    assert (unknown.value.model, unknown.value.field) == ("Note", "note")
