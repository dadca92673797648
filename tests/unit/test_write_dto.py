"""CreateDTO / UpdateDTO: definition-time checks and validation by the domain model's rules."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import pydantic
import pytest
from pydantic import Field, field_validator

from ddbwrap import GSI, DomainModel, KeyTemplate, ModelDefinitionError
from ddbwrap.write import CreateDTO, UpdateDTO


class Nested(DomainModel):
    """Only used as a nested value (no Meta)."""

    x: int


class Account(DomainModel):
    account_id: str
    email: str
    name: Annotated[str, Field(min_length=1, max_length=10)]
    tenant: str = "t1"
    region: str = "eu"
    nickname: str | None = None
    score: Annotated[int, Field(ge=0)] = 0
    version: int = 0
    created_at: dt.datetime
    updated_at: dt.datetime | None = None

    class Meta:
        table_name = "accounts"
        partition_key = "account_id"
        version_attribute = "version"
        created_at_attribute = "created_at"
        updated_at_attribute = "updated_at"
        gsis = (GSI("tenant-region", partition_key=KeyTemplate("gsi1pk", "T#{tenant}#R#{region}")),)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("an email needs an @")
        return value.lower()


class NewAccount(CreateDTO[Account]):
    account_id: str
    email: str
    name: str
    score: int = 0


class EditAccount(UpdateDTO[Account]):
    name: str | None = None
    email: str | None = None
    nickname: str | None = None
    score: int | None = None


class Move(UpdateDTO[Account]):
    tenant: str | None = None
    region: str | None = None


def define(source: str) -> Any:
    """Run a class definition in a namespace that has the test's names."""
    namespace: dict[str, Any] = {**globals()}
    exec(source, namespace)
    return namespace


def test_update_dto_changes_are_only_the_fields_set() -> None:
    assert EditAccount(name="Ada").changes() == {"name": "Ada"}


def test_update_dto_explicit_none_is_a_change() -> None:
    assert EditAccount(nickname=None).changes() == {"nickname": None}


def test_update_dto_applies_domain_constraint() -> None:
    with pytest.raises(pydantic.ValidationError, match="at most 10 characters"):
        EditAccount(name="a name that is far too long")


def test_update_dto_applies_domain_field_validator() -> None:
    with pytest.raises(pydantic.ValidationError, match="an email needs an @"):
        EditAccount(email="not-an-email")


def test_update_dto_keeps_domain_normalisation() -> None:
    assert EditAccount(email="Ada@Example.COM").email == "ada@example.com"


def test_update_dto_refuses_none_for_a_required_domain_field() -> None:
    with pytest.raises(pydantic.ValidationError, match=r"Account\.name refuses this value"):
        EditAccount(name=None)


def test_update_dto_error_is_located_at_the_field() -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        EditAccount(score=-1)
    assert caught.value.errors()[0]["loc"] == ("score",)


def test_dto_refuses_unknown_keyword() -> None:
    with pytest.raises(pydantic.ValidationError, match="Extra inputs are not permitted"):
        EditAccount(nmae="typo")  # type: ignore[call-arg]


def test_create_dto_values_include_defaults() -> None:
    dto = NewAccount(account_id="a1", email="A@B.C", name="Ada")
    assert dto.values() == {"account_id": "a1", "email": "a@b.c", "name": "Ada", "score": 0}


def test_create_dto_applies_domain_constraint() -> None:
    with pytest.raises(pydantic.ValidationError, match="greater than or equal to 0"):
        NewAccount(account_id="a1", email="a@b.c", name="Ada", score=-5)


def test_dto_knows_its_domain_model() -> None:
    assert EditAccount.domain_model() is Account


def test_dto_field_missing_from_domain_is_refused() -> None:
    with pytest.raises(ModelDefinitionError, match="not a field of Account"):
        define("class Bad(UpdateDTO[Account]):\n    nmae: str | None = None")


def test_dto_field_with_incompatible_type_is_refused() -> None:
    with pytest.raises(ModelDefinitionError, match="has type int"):
        define("class Bad(UpdateDTO[Account]):\n    name: int")


def test_update_dto_with_table_key_field_is_refused() -> None:
    with pytest.raises(ModelDefinitionError, match="primary key"):
        define("class Bad(UpdateDTO[Account]):\n    account_id: str")


@pytest.mark.parametrize("field", ["version", "created_at", "updated_at"])
def test_dto_declaring_server_managed_field_is_refused(field: str) -> None:
    annotation = "int" if field == "version" else "dt.datetime"
    with pytest.raises(ModelDefinitionError, match="server-managed"):
        define(f"class Bad(UpdateDTO[Account]):\n    {field}: {annotation} | None = None")


def test_create_dto_declaring_version_is_refused() -> None:
    with pytest.raises(ModelDefinitionError, match="server-managed"):
        define(
            "class Bad(CreateDTO[Account]):\n    account_id: str\n    email: str\n"
            "    name: str\n    version: int = 0"
        )


def test_update_dto_with_part_of_a_key_template_is_refused() -> None:
    with pytest.raises(ModelDefinitionError, match="not region"):
        define("class Bad(UpdateDTO[Account]):\n    tenant: str | None = None")


def test_create_dto_missing_required_domain_field_is_refused() -> None:
    with pytest.raises(ModelDefinitionError, match="does not declare email, name"):
        define("class Bad(CreateDTO[Account]):\n    account_id: str")


def test_dto_default_refused_by_domain_is_refused() -> None:
    with pytest.raises(ModelDefinitionError, match="default 'much too long a name'"):
        define("class Bad(UpdateDTO[Account]):\n    name: str = 'much too long a name'")


def test_dto_over_a_model_without_meta_is_refused() -> None:
    with pytest.raises(ModelDefinitionError, match="not a DomainModel with a Meta"):
        define("class Bad(UpdateDTO[Nested]):\n    x: int | None = None")


def test_dto_without_a_domain_model_is_refused_when_used() -> None:
    namespace = define("class Loose(UpdateDTO):\n    name: str | None = None")
    with pytest.raises(ModelDefinitionError, match="not bound to a domain model"):
        namespace["Loose"].domain_model()


def test_update_dto_may_require_a_field_the_model_allows_to_be_none() -> None:
    class Nickname(UpdateDTO[Account]):
        nickname: str

    with pytest.raises(pydantic.ValidationError):
        Nickname(nickname=None)
    assert Nickname(nickname="ada").changes() == {"nickname": "ada"}


def test_update_dto_field_wider_than_the_model_is_refused_at_definition() -> None:
    with pytest.raises(ModelDefinitionError, match="score"):

        class Score(UpdateDTO[Account]):
            score: str
