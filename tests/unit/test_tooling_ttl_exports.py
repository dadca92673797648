"""A TTL ``datetime`` is stored as epoch seconds (N): the JSON Schema and TypeScript exports say
``integer``/``number`` for the model, its views and its DTOs (issue 17, seed fidelity)."""

from __future__ import annotations

import datetime as dt

from jsonschema import Draft202012Validator

from ddbwrap import DomainModel, UpdateDTO, View, codec_for
from ddbwrap.tooling.json_schema import stored_json_schema
from ddbwrap.tooling.typescript import typescript_types

NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.timezone.utc)


class Session(DomainModel):
    session_id: str
    user_id: str
    expires_at: dt.datetime
    idle_until: dt.datetime | None = None
    note: str | None

    class Meta:
        table_name = "sessions"
        partition_key = "session_id"
        ttl_attribute = "expires_at"


class OptionalTtl(DomainModel):
    item_id: str
    gone_at: dt.datetime | None = None

    class Meta:
        table_name = "optional_ttl"
        partition_key = "item_id"
        ttl_attribute = "gone_at"


class SessionCard(View[Session]):
    session_id: str
    expires_at: dt.datetime
    note: str | None


class Extend(UpdateDTO[Session]):
    expires_at: dt.datetime


def stored(model: type[DomainModel], instance: DomainModel) -> dict[str, object]:
    from boto3.dynamodb.types import TypeDeserializer

    raw = codec_for(model).encode(instance)
    plain = {k: TypeDeserializer().deserialize(v) for k, v in raw.items()}
    return {k: int(v) if k in ("expires_at", "gone_at") else v for k, v in plain.items()}


def test_the_model_view_and_dto_schemas_type_the_ttl_as_an_integer() -> None:
    for cls in (Session, SessionCard, Extend):
        prop = stored_json_schema(cls)["properties"]["expires_at"]
        assert prop["type"] == "integer", cls
        assert "epoch seconds" in prop["description"]
    # a non-TTL datetime stays an ISO string
    assert stored_json_schema(Session)["properties"]["idle_until"]["anyOf"][0] == {
        "format": "date-time",
        "type": "string",
    }


def test_a_stored_item_validates_and_an_iso_ttl_does_not() -> None:
    item = stored(Session, Session(session_id="s", user_id="u", expires_at=NOW, note=None))
    assert item["expires_at"] == int(NOW.timestamp())
    assert "note" not in item  # None is not stored: a nullable field is not required
    for cls in (Session, SessionCard):
        validator = Draft202012Validator(stored_json_schema(cls))
        assert list(validator.iter_errors(item)) == []
        assert list(validator.iter_errors({**item, "expires_at": NOW.isoformat()})) != []


def test_an_optional_ttl_is_omitted_not_null() -> None:
    schema = stored_json_schema(OptionalTtl)
    assert schema["properties"]["gone_at"]["type"] == "integer"
    assert schema["required"] == ["item_id"]
    validator = Draft202012Validator(schema)
    assert list(validator.iter_errors(stored(OptionalTtl, OptionalTtl(item_id="a")))) == []
    assert list(validator.iter_errors({"item_id": "a", "gone_at": None})) != []


def test_typescript_says_number_for_the_ttl_everywhere() -> None:
    source = typescript_types([Session, SessionCard, Extend, OptionalTtl])
    assert source.count("expires_at: number;") == 3
    assert "gone_at?: number;" in source
    assert "idle_until?: string | null;" in source
    assert "note?: string | null;" in source
