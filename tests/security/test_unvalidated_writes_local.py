"""Invalid data never reaches a table, whatever way the instance or DTO was built.

pydantic has ways to make an object without validating it: ``model_construct()``,
``model_copy(update=...)`` and attribute assignment (without ``validate_assignment``). Such an
object can hold a value its model refuses (500 characters under ``max_length=100``, an email
without the ``@`` its validator demands, a str in an int field, a nested model built the same
way). Before, ``create`` stored it silently, ``update``/``put``/``replace`` stored it and then
raised ``CorruptItemError`` (every later read of the item failed). Now every write path
validates what it is about to send by the model's own rules and refuses it with a
``ValidationError`` naming the model and the field: nothing is sent, nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import BaseModel, Field, field_validator

from ddbwrap import CreateDTO, DdbwrapError, DomainModel, UpdateDTO, ValidationError
from ddbwrap.expressions import Update
from ddbwrap.gateway import TableGateway
from ddbwrap.read import ReadApi
from ddbwrap.write import BatchWriter, Transaction, WriteApi

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap.testing.plugin import TableFactory

LONG = "x" * 500


class Profile(BaseModel):
    bio: str = Field(default="", max_length=50)
    links: list[str] = []


class Account(DomainModel):
    account_id: str
    name: str = Field(max_length=100)
    email: str
    age: int = Field(default=0, ge=0)
    profile: Profile = Profile()
    history: list[Profile] = []

    class Meta:
        table_name = "accounts"
        partition_key = "account_id"

    @field_validator("email")
    @classmethod
    def _needs_an_at(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("an email needs an @")
        return value


class NewAccount(CreateDTO[Account]):
    account_id: str
    name: str
    email: str


class Rename(UpdateDTO[Account]):
    name: str


class EditProfile(UpdateDTO[Account]):
    profile: Profile


class Edit(UpdateDTO[Account]):
    name: str | None = None
    age: int | None = None
    email: str | None = None


def valid() -> Account:
    return Account(account_id="a1", name="Ada", email="ada@x")


def constructed(**changes: Any) -> Account:
    values = {"account_id": "a1", "name": "Ada", "email": "ada@x", **changes}
    return Account.model_construct(**values)


def assigned(field: str, value: Any) -> Account:
    account = valid()
    setattr(account, field, value)  # no validate_assignment: it slips through
    return account


BAD_INSTANCES: dict[str, tuple[Callable[[], Account], str]] = {
    "model_construct, max_length": (lambda: constructed(name=LONG), "name"),
    "model_construct, validator": (lambda: constructed(email="no-at-sign"), "email"),
    "model_construct, ge": (lambda: constructed(age=-1), "age"),
    "model_construct, wrong type": (lambda: constructed(age="old"), "age"),
    "model_construct, str for an int": (lambda: constructed(age="5"), "age"),
    "model_construct, missing field": (
        lambda: Account.model_construct(account_id="a1", name="Ada"),
        "email",
    ),
    "nested model_construct": (
        lambda: constructed(profile=Profile.model_construct(bio=LONG)),
        "profile",
    ),
    "nested model_construct in a list": (
        lambda: constructed(history=[Profile(), Profile.model_construct(links="not a list")]),
        "history",
    ),
    "model_construct from model_dump()": (
        lambda: Account.model_construct(**valid().model_dump()),  # dicts, not Profiles
        "profile",
    ),
    "model_copy(update=...)": (lambda: valid().model_copy(update={"name": LONG}), "name"),
    "assignment": (lambda: assigned("email", "no-at-sign"), "email"),
    "nested assignment": (
        lambda: assigned("profile", Profile.model_construct(bio=LONG)),
        "profile",
    ),
}


def _transaction(gateway: TableGateway, add: Callable[[Transaction], object]) -> None:
    with Transaction(gateway) as tx:
        add(tx)


def _batch(gateway: TableGateway, account: Account) -> None:
    with BatchWriter(gateway, Account) as batch:
        batch.put(account)


def _fresh(account: Account) -> Account:
    """The same (invalid) values for a key that does not exist yet (a2)."""
    copy = account.model_copy()
    copy.__dict__["account_id"] = "a2"
    return copy


INSTANCE_WRITES: dict[str, Callable[[TableGateway, Account], object]] = {
    "create": lambda g, a: WriteApi[Account](g).create(_fresh(a)),
    "put": lambda g, a: WriteApi[Account](g).put(a),
    "replace": lambda g, a: WriteApi[Account](g).replace(a),
    "transaction create": lambda g, a: _transaction(g, lambda tx: tx.create(_fresh(a))),
    "transaction put": lambda g, a: _transaction(g, lambda tx: tx.put(a)),
    "transaction replace": lambda g, a: _transaction(g, lambda tx: tx.replace(a)),
    "batch put": _batch,
}

def _assigned_dto() -> Edit:
    dto = Edit(age=3)
    dto.age = -5
    return dto


KEY = {"account_id": "a1"}
BAD_CHANGES: dict[str, tuple[Callable[[], Any], str]] = {
    "DTO model_construct, max_length": (lambda: Rename.model_construct(name=LONG), "name"),
    "DTO model_construct, validator": (lambda: Edit.model_construct(email="no-at-sign"), "email"),
    "DTO model_construct, wrong type": (lambda: Edit.model_construct(age="old"), "age"),
    "DTO model_construct, str for an int": (lambda: Edit.model_construct(age="7"), "age"),
    "DTO model_copy(update=...)": (
        lambda: Rename(name="Ada").model_copy(update={"name": LONG}),
        "name",
    ),
    "DTO assignment": (_assigned_dto, "age"),
    "DTO with a nested model_construct": (
        lambda: EditProfile(profile=Profile.model_construct(bio=LONG)),
        "profile",
    ),
    "Update().set of a nested model_construct": (
        lambda: Update().set("profile", Profile.model_construct(bio=LONG)),
        "profile",
    ),
    "Update().set of a nested model_construct in a list": (
        lambda: Update().set("history", [Profile.model_construct(links=5)]),
        "history",
    ),
    "Update().append of a nested model_construct": (
        lambda: Update().append("history", [Profile.model_construct(bio=LONG)]),
        "history",
    ),
    "Update().set of a nested field past its rules": (
        lambda: Update().set("profile.bio", LONG),
        "profile.bio",
    ),
}


CHANGE_WRITES: dict[str, Callable[[TableGateway, Any], object]] = {
    "update": lambda g, c: WriteApi[Account](g).update(KEY, c),
    "update of the instance": lambda g, c: WriteApi[Account](g).update(valid(), c),
    "upsert of a new item": lambda g, c: WriteApi[Account](g).update(
        {"account_id": "a2"}, c, upsert=True
    ),
    "transaction update": lambda g, c: _transaction(g, lambda tx: tx.update(Account, KEY, c)),
}


@pytest.fixture
def accounts(ddb_tables: TableFactory) -> TableGateway:
    gateway = ddb_tables(Account)
    WriteApi[Account](gateway).create(Account(account_id="a1", name="Ada", email="ada@x"))
    return gateway


def items(ddb_client: DynamoDBClient, gateway: TableGateway) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ddb_client.scan(
        TableName=gateway.physical_table_name("accounts"), ConsistentRead=True
    )["Items"]
    return found


@pytest.mark.parametrize("write", list(INSTANCE_WRITES.values()), ids=list(INSTANCE_WRITES))
@pytest.mark.parametrize("bad", list(BAD_INSTANCES.values()), ids=list(BAD_INSTANCES))
def test_an_unvalidated_instance_is_refused_on_every_write_path(
    write: Callable[[TableGateway, Account], object],
    bad: tuple[Callable[[], Account], str],
    accounts: TableGateway,
    ddb_client: DynamoDBClient,
    sent: list[str],
) -> None:
    make, field = bad
    before = items(ddb_client, accounts)
    sent.clear()
    with pytest.raises(ValidationError) as info:
        write(accounts, make())
    assert isinstance(info.value, DdbwrapError)
    assert (info.value.model, info.value.field) == ("Account", field)
    assert sent == []
    assert items(ddb_client, accounts) == before


@pytest.mark.parametrize("write", list(CHANGE_WRITES.values()), ids=list(CHANGE_WRITES))
@pytest.mark.parametrize("bad", list(BAD_CHANGES.values()), ids=list(BAD_CHANGES))
def test_unvalidated_changes_are_refused_on_every_update_path(
    write: Callable[[TableGateway, Any], object],
    bad: tuple[Callable[[], Any], str],
    accounts: TableGateway,
    ddb_client: DynamoDBClient,
    sent: list[str],
) -> None:
    make, field = bad
    before = items(ddb_client, accounts)
    sent.clear()
    with pytest.raises(ValidationError) as info:
        write(accounts, make())
    assert (info.value.model, info.value.field) == ("Account", field)
    assert sent == []
    assert items(ddb_client, accounts) == before


@pytest.mark.parametrize(
    "dto",
    [
        lambda: NewAccount.model_construct(account_id="a2", name=LONG, email="a@x"),
        lambda: NewAccount.model_construct(account_id="a2", name="Bo", email="no-at-sign"),
        lambda: NewAccount(account_id="a2", name="Bo", email="b@x").model_copy(
            update={"name": LONG}
        ),
    ],
    ids=["max_length", "validator", "model_copy"],
)
@pytest.mark.parametrize("in_transaction", [False, True], ids=["create", "transaction create"])
def test_an_unvalidated_create_dto_is_refused(
    dto: Callable[[], NewAccount],
    in_transaction: bool,
    accounts: TableGateway,
    ddb_client: DynamoDBClient,
    sent: list[str],
) -> None:
    before = items(ddb_client, accounts)
    sent.clear()
    with pytest.raises(ValidationError) as info:
        if in_transaction:
            _transaction(accounts, lambda tx: tx.create(dto()))
        else:
            WriteApi[Account](accounts).create(dto())
    assert info.value.model == "Account"
    assert info.value.field in ("name", "email")
    assert sent == []
    assert items(ddb_client, accounts) == before


def test_the_error_says_what_was_wrong_and_how_to_build_the_instance(
    accounts: TableGateway,
) -> None:
    with pytest.raises(ValidationError) as info:
        WriteApi[Account](accounts).put(constructed(name=LONG))
    message = str(info.value)
    assert "Account.name" in message
    assert "at most 100 characters" in message
    assert "model_construct()" in message
    assert LONG not in message


def test_validated_instances_and_dtos_still_write(accounts: TableGateway) -> None:
    writes = WriteApi[Account](accounts)
    read = ReadApi[Account](accounts)
    created = writes.create(NewAccount(account_id="a2", name="Bo", email="bo@x"))
    writes.put(created.model_copy(update={"age": 3}))  # a valid value by model_copy: fine
    writes.update({"account_id": "a2"}, EditProfile(profile=Profile(bio="hi")))
    writes.update({"account_id": "a2"}, Update().set("history", [Profile(bio="old")]))
    account = read.require(account_id="a2")
    assert (account.age, account.profile.bio, account.history) == (3, "hi", [Profile(bio="old")])
    rebuilt = Account.model_construct(**dict(account))  # valid values: accepted
    with BatchWriter(accounts, Account) as batch:
        batch.put(rebuilt.model_copy(update={"account_id": "a3"}))
    assert read.require(account_id="a3").name == "Bo"
