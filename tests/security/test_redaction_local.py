"""Personal data stays out of error messages and logs when redaction is on, on DynamoDB Local.

Error messages end up in logs and error trackers. With ``DDBWRAP_REDACT_VALUES=1`` (or
``TableGateway(..., redact_values=True)``) no stored or caller-supplied value appears in any
message, ``repr``, ``__notes__`` or chained cause of a ddbwrap error, while the message still
names the model, the field, the table and the type of each value (``<redacted str>``), and the
error's attributes (``key``, ``item``, ``value``...) still hold the values for code. Unique
values (emails...) are redacted even by default. ddbwrap's own log records never hold a value.

Every value planted below contains the marker ``vq8k`` (and the test names avoid it, since
table names are made from them); the operations fail in all the ways a caller can meet.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from ddbwrap import (
    GSI,
    AlreadyExistsError,
    ConditionFailedError,
    CorruptItemError,
    DdbwrapError,
    DomainModel,
    ItemNotFoundError,
    UniqueConstraintError,
    ValidationError,
    VersionConflictError,
)
from ddbwrap import _redact as redact
from ddbwrap.expressions import Attr, Update
from ddbwrap.gateway import TableGateway
from ddbwrap.read import Collection, Get, ReadApi, between, transact_get
from ddbwrap.write import BatchWriter, Transaction, WriteApi

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from ddbwrap.testing.plugin import TableFactory

    from .conftest import Records

MARK = "vq8k"
EMAIL = "ada.vq8k@example.org"
OTHER_EMAIL = "bob.vq8k@example.org"
NAME = "Ada vq8k Lovelace"
EXISTING = "person-vq8k-1"
CORRUPT = "person-vq8k-corrupt"
NUMBER = 918273645546372819
BIG = 10**40 + 918273645546372819
NAIVE = dt.datetime(2031, 7, 4, 5, 6, 7)
PLANTED = (MARK, str(NUMBER), str(BIG), "2031-07-04")
SECRET = "security-suite-cursor-secret-0123456789abcdef"


class Person(DomainModel):
    person_id: str
    tenant_id: str = "t1"
    email: str
    name: str = ""
    age: int = 0
    tags: dict[str, str] = {}
    seen_at: dt.datetime | None = None
    version: int = 0

    class Meta:
        table_name = "people"
        partition_key = "person_id"
        unique = ("email",)
        version_attribute = "version"
        gsis = [GSI("tenant-index", partition_key="tenant_id", sort_key="age")]


class Note(DomainModel):
    note_id: str
    body: str = ""

    class Meta:
        table_name = "notes"
        partition_key = "note_id"


@pytest.fixture
def people(ddb_tables: TableFactory, ddb_client: DynamoDBClient) -> TableGateway:
    gateway = ddb_tables(Person, Note)
    WriteApi[Person](gateway).create(Person(person_id=EXISTING, email=EMAIL, name=NAME))
    ddb_client.put_item(  # written by another service: its seen_at is not a datetime
        TableName=gateway.physical_table_name("people"),
        Item={
            "person_id": {"S": CORRUPT},
            "email": {"S": OTHER_EMAIL},
            "seen_at": {"S": f"seen {MARK}"},
            "Legacy": {"S": MARK},
        },
    )
    return gateway


def redacting(gateway: TableGateway, setting: bool | None) -> TableGateway:
    return TableGateway(gateway.client, table_prefix=gateway.table_prefix, redact_values=setting)


def _current(gateway: TableGateway) -> Person:
    return ReadApi[Person](gateway).require(person_id=EXISTING, consistent=True)


def _transaction(gateway: TableGateway, add: Callable[[Transaction], object]) -> None:
    with Transaction(gateway) as tx:
        add(tx)


def _batch(gateway: TableGateway) -> None:
    """A batch whose request fails (no such table): the error lists the writes not made."""
    missing = TableGateway(
        gateway.client,
        table_prefix=f"{gateway.table_prefix}missing-",
        redact_values=gateway.redact_values,
    )
    with BatchWriter(missing, Note) as batch:
        batch.put(Note(note_id=f"n-{MARK}", body=MARK))


def _batch_put(gateway: TableGateway, note: Note) -> None:
    with BatchWriter(gateway, Note) as batch:
        batch.put(note)


def _batch_delete(gateway: TableGateway, key: dict[str, object]) -> None:
    with BatchWriter(gateway, Note) as batch:
        batch.delete(key)


Failure = Callable[[TableGateway], object]

# Failures that DynamoDB's answer causes: raised while the gateway runs the operation.
ANSWERED: dict[str, Failure] = {
    "batch to a missing table": _batch,
    "not found": lambda g: ReadApi[Person](g).require(person_id=f"missing-{MARK}"),
    "already exists": lambda g: WriteApi[Person](g).create(
        Person(person_id=EXISTING, email=f"new-{MARK}@x")
    ),
    "unique value taken": lambda g: WriteApi[Person](g).create(
        Person(person_id=f"p2-{MARK}", email=EMAIL)
    ),
    "condition failed": lambda g: WriteApi[Person](g).update(
        _current(g), Update().set("age", 3), condition=Attr("name") == f"Bob {MARK}"
    ),
    "foreign condition failed": lambda g: WriteApi[Person](g).delete(
        {"person_id": EXISTING}, condition=Attr.foreign("Legacy") == f"x {MARK}"
    ),
    "version conflict": lambda g: WriteApi[Person](g).update(
        _current(g).model_copy(update={"version": 7}), Update().set("age", 3)
    ),
    "corrupt item": lambda g: ReadApi[Person](g).get(person_id=CORRUPT),
    "corrupt item in a scan": lambda g: list(ReadApi[Person](g, cursor_secret=SECRET).scan_all()),
    "corrupt item in a transactional read": lambda g: transact_get(
        g, [Get(Person, person_id=CORRUPT)]
    ),
    "transaction cancelled": lambda g: _transaction(
        g,
        lambda tx: (
            tx.create(Person(person_id=f"p3-{MARK}", email=EMAIL)),
            tx.update(Person, {"person_id": EXISTING}, Update().set("age", 1), expected_version=9),
        ),
    ),
}

# Failures of the caller's input, refused by a facade before anything is sent.
BUILT: dict[str, Failure] = {
    "key value of a wrong type": lambda g: ReadApi[Person](g).get(person_id=NUMBER),
    "query key value of a wrong type": lambda g: ReadApi[Person](g, cursor_secret=SECRET).query(
        index="tenant-index", tenant_id=NUMBER
    ),
    "collection query key value of a wrong type": lambda g: Collection(
        g, Person, cursor_secret=SECRET
    ).query(person_id=NUMBER),
    "filter value of a wrong type": lambda g: ReadApi[Person](g, cursor_secret=SECRET).query(
        index="tenant-index", tenant_id="t1", filter=Attr("age") == NAME
    ),
    "filter value the field never holds": lambda g: ReadApi[Person](g, cursor_secret=SECRET).scan(
        filter=Attr("seen_at") == f"never {MARK}"
    ),
    "filter bounds reversed": lambda g: ReadApi[Person](g, cursor_secret=SECRET).scan(
        filter=Attr("name").between(f"z {MARK}", f"a {MARK}")
    ),
    "sort key bounds reversed": lambda g: ReadApi[Person](g, cursor_secret=SECRET).query(
        index="tenant-index", tenant_id="t1", sort=between(NUMBER + 1, NUMBER)
    ),
    "naive datetime in a condition": lambda g: ReadApi[Person](g, cursor_secret=SECRET).scan(
        filter=Attr("seen_at") > NAIVE
    ),
    "update value of a wrong type": lambda g: WriteApi[Person](g).update(
        _current(g), Update().set("age", NAME)
    ),
    "update with too many digits": lambda g: WriteApi[Person](g).update(
        _current(g), Update().set("age", BIG)
    ),
    "unvalidated instance": lambda g: WriteApi[Person](g).put(
        Person.model_construct(person_id=EXISTING, email=EMAIL, age=NAME, version=1)
    ),
    "naive datetime in an instance": lambda g: WriteApi[Person](g).put(
        _current(g).model_copy(update={"seen_at": NAIVE})
    ),
    "map key of a wrong type": lambda g: WriteApi[Person](g).update(
        _current(g), Update().set("tags", {NUMBER: "x"})
    ),
    "item too large": lambda g: WriteApi[Note](g).create(
        Note(note_id=f"n-{MARK}", body="x" * 410_000)
    ),
    "batch put of an item too large": lambda g: _batch_put(
        g, Note(note_id=f"n-{MARK}", body="x" * 410_000)
    ),
    "batch delete by a key of a wrong type": lambda g: _batch_delete(g, {"note_id": NUMBER}),
    "transaction update value of a wrong type": lambda g: _transaction(
        g, lambda tx: tx.update(Person, _current(g), Update().set("age", NAME))
    ),
    "transaction check of a key of a wrong type": lambda g: _transaction(
        g, lambda tx: tx.check(Person, {"person_id": NUMBER}, Attr("age") == 1)
    ),
    "transaction create of an item too large": lambda g: _transaction(
        g, lambda tx: tx.create(Note(note_id=f"n-{MARK}", body="x" * 410_000))
    ),
}

# Failures of expressions built outside any facade (no gateway is involved yet): they follow
# the environment.
EXPRESSIONS: dict[str, Failure] = {
    "size compared with a str": lambda g: Attr("tags").size() > f"n {MARK}",
    "add of a str": lambda g: Update().add("age", NAME),
    "increment by a str": lambda g: Update().increment("age", NAME),  # type: ignore[arg-type]
}


def texts(error: BaseException) -> list[str]:
    """Everything an error shows a log or an error tracker: message, repr, notes, and each
    chained cause or context as the traceback module renders it (without the source lines,
    which are the test's own)."""
    out: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        out += [str(current), repr(current), *getattr(current, "__notes__", ())]
        out += traceback.format_exception_only(type(current), current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    return out


def leaks(found: list[str]) -> list[str]:
    return [text for text in found if any(value in text for value in PLANTED)]


def failure(operation: Failure, gateway: TableGateway) -> DdbwrapError:
    with pytest.raises(DdbwrapError) as info:
        operation(gateway)
    return info.value


@pytest.fixture
def env_redaction(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(redact.ENV, "1")
    yield


ALL = {**ANSWERED, **BUILT, **EXPRESSIONS}


@pytest.mark.parametrize("operation", list(ALL.values()), ids=list(ALL))
def test_with_the_environment_setting_no_value_is_in_any_message(
    operation: Failure, people: TableGateway, env_redaction: None, ddb_logs: Records
) -> None:
    error = failure(operation, people)
    assert leaks(texts(error)) == []
    assert leaks(ddb_logs.texts()) == []


GATEWAY = {**ANSWERED, **BUILT}


@pytest.mark.parametrize("operation", list(GATEWAY.values()), ids=list(GATEWAY))
def test_with_the_gateway_setting_no_value_is_in_any_message(
    operation: Failure, people: TableGateway, monkeypatch: pytest.MonkeyPatch, ddb_logs: Records
) -> None:
    monkeypatch.delenv(redact.ENV, raising=False)
    error = failure(operation, redacting(people, True))
    assert leaks(texts(error)) == []
    assert leaks(ddb_logs.texts()) == []


def test_the_gateway_setting_wins_over_the_environment(
    people: TableGateway, env_redaction: None
) -> None:
    error = failure(ANSWERED["not found"], redacting(people, False))
    assert f"missing-{MARK}" in str(error)


def test_errors_keep_the_values_for_code(people: TableGateway, env_redaction: None) -> None:
    missing = failure(ANSWERED["not found"], people)
    assert isinstance(missing, ItemNotFoundError)
    assert missing.key == {"person_id": f"missing-{MARK}"}
    assert "person_id" in str(missing) and "<redacted str>" in str(missing)
    taken = failure(ANSWERED["unique value taken"], people)
    assert isinstance(taken, UniqueConstraintError)
    assert (taken.field, taken.value) == ("email", EMAIL)
    assert "Person.email" in str(taken)
    failed = failure(ANSWERED["condition failed"], people)
    assert isinstance(failed, ConditionFailedError)
    assert failed.item is not None and failed.item.name == NAME
    assert "Attr('name') == <redacted str>" in str(failed)
    conflict = failure(ANSWERED["version conflict"], people)
    assert isinstance(conflict, VersionConflictError)
    assert (conflict.expected, conflict.current) == (7, 1)  # versions are not personal
    corrupt = failure(ANSWERED["corrupt item"], people)
    assert isinstance(corrupt, CorruptItemError)
    assert corrupt.key == {"person_id": CORRUPT}
    assert corrupt.__cause__ is None  # pydantic's own error quotes the stored value


def test_by_default_values_are_shown_but_unique_values_are_not(
    people: TableGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(redact.ENV, raising=False)
    missing = failure(ANSWERED["not found"], people)
    assert f"missing-{MARK}" in str(missing)
    taken = failure(ANSWERED["unique value taken"], people)
    assert EMAIL not in str(taken)
    assert "<redacted str>" in str(taken)
    cancelled = failure(ANSWERED["transaction cancelled"], people)
    assert EMAIL not in str(cancelled)
    exists = failure(ANSWERED["already exists"], people)
    assert isinstance(exists, AlreadyExistsError)
    assert EXISTING in str(exists)


def test_redaction_explicitly_off_shows_unique_values(
    people: TableGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(redact.ENV, "0")
    taken = failure(ANSWERED["unique value taken"], people)
    assert repr(EMAIL) in str(taken)


def test_a_failing_operation_set_logs_no_value(
    people: TableGateway, monkeypatch: pytest.MonkeyPatch, ddb_logs: Records
) -> None:
    """Whatever the setting: ddbwrap's log records (DEBUG included) never hold a value."""
    monkeypatch.delenv(redact.ENV, raising=False)
    writes, reads = WriteApi[Person](people), ReadApi[Person](people, cursor_secret=SECRET)
    writes.create(Person(person_id=f"p9-{MARK}", email=f"p9-{MARK}@x", name=NAME))
    writes.update({"person_id": f"p9-{MARK}"}, Update().set("age", 5), expected_version=1)
    reads.require(person_id=f"p9-{MARK}")
    reads.query(index="tenant-index", tenant_id="t1", filter=Attr("name") == NAME)
    list(reads.scan_all(on_corrupt="skip"))
    reads.batch_get([{"person_id": f"p9-{MARK}"}, {"person_id": CORRUPT}], on_corrupt="skip")
    for operation in ALL.values():
        with pytest.raises(DdbwrapError):
            operation(people)
    with BatchWriter(people, Note) as batch:
        batch.put(Note(note_id=f"n2-{MARK}", body=NAME))
    writes.delete({"person_id": f"p9-{MARK}"}, expected_version=2)
    assert ddb_logs.records  # it did log
    assert leaks(ddb_logs.texts()) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Invalid type for parameter Item.email, value: 'ada@x', type: <class 'int'>, "
            "valid types: <class 'str'>",
            "Invalid type for parameter Item.email, value: <redacted>, type: <class 'int'>, "
            "valid types: <class 'str'>",
        ),
        (
            "Invalid length for parameter Key.pk.S, value: 0, valid min length: 1",
            "Invalid length for parameter Key.pk.S, value: <redacted>, valid min length: 1",
        ),
    ],
)
def test_botocore_parameter_values_are_scrubbed(
    text: str, expected: str, env_redaction: None
) -> None:
    assert redact.scrubbed(text) == expected


@pytest.mark.parametrize(
    ("env", "gateway", "plain", "unique"),
    [
        (None, None, False, True),
        ("1", None, True, True),
        ("true", None, True, True),
        ("yes please", None, True, True),  # unrecognised: privacy wins
        ("0", None, False, False),
        ("off", None, False, False),
        (None, True, True, True),
        (None, False, False, False),
        ("1", False, False, False),
        ("0", True, True, True),
    ],
)
def test_the_setting_most_specific_first(
    env: str | None,
    gateway: bool | None,
    plain: bool,
    unique: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if env is None:
        monkeypatch.delenv(redact.ENV, raising=False)
    else:
        monkeypatch.setenv(redact.ENV, env)
    with redact.redaction(gateway):
        assert redact.redacting() is plain
        assert redact.redacting(unique=True) is unique
        assert redact.shown(MARK) == ("<redacted str>" if plain else repr(MARK))
        mapping = "{'pk': <redacted int>}" if plain else "{'pk': 1}"
        assert redact.shown_mapping({"pk": 1}) == mapping


def test_messages_without_values_are_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names, types and positions stay: a redacted message still says what and where."""
    monkeypatch.setenv(redact.ENV, "1")
    with pytest.raises(ValidationError) as info:
        (Attr("age") == NAME).params(Person)
    message = str(info.value)
    assert message.startswith("Person.age: eq takes a value of the field's type, not a str")
    assert "<redacted str>" in message and "it holds int" in message
