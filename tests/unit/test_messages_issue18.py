"""Messages found wanting in issue 18: a condition on a missing item, a lone ``GSI`` in
``Meta.gsis``, a lowercase ``class meta:``. (The endpoint probe's messages are tested in
test_testing_backends.py, the CLI's ``--table-suffix -dev`` in test_cli_main.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import moto
import pytest

from ddbwrap import (
    GSI,
    LSI,
    ConditionFailedError,
    DomainModel,
    ModelDefinitionError,
    TableGateway,
    TransactionCanceledError,
    WriteApi,
)
from ddbwrap.expressions import Attr
from ddbwrap.testing.local import local_client
from ddbwrap.testing.plugin import MOTO_ENDPOINT
from ddbwrap.tooling import create_tables
from ddbwrap.write import Transaction


class Account(DomainModel):
    account_id: str
    balance: int = 0

    class Meta:
        table_name = "accounts"
        partition_key = "account_id"


@pytest.fixture
def gateway() -> Iterator[TableGateway]:
    with moto.mock_aws():
        gateway = TableGateway(local_client(MOTO_ENDPOINT))
        create_tables(gateway, [Account])
        yield gateway


def test_a_condition_on_a_missing_item_says_the_item_does_not_exist(
    gateway: TableGateway,
) -> None:
    with pytest.raises(ConditionFailedError) as raised:
        WriteApi[Account](gateway).delete({"account_id": "nobody"}, condition=Attr("balance").ge(0))
    message = str(raised.value)
    assert "The item does not exist (.item is None)" in message
    assert "current item" not in message
    assert raised.value.item is None


def test_a_condition_check_in_a_transaction_on_a_missing_item(gateway: TableGateway) -> None:
    with pytest.raises(TransactionCanceledError) as raised, Transaction(gateway) as tx:
        tx.put(Account(account_id="a1"))
        tx.check(Account, {"account_id": "missing"}, Attr("balance").ge(0))
    assert "The item does not exist" in str(raised.value)
    assert "The current item is on .item" not in str(raised.value)


def test_a_condition_on_an_existing_item_still_points_at_it(gateway: TableGateway) -> None:
    writes = WriteApi[Account](gateway)
    writes.create(Account(account_id="a2", balance=-1))
    with pytest.raises(ConditionFailedError) as raised:
        writes.delete({"account_id": "a2"}, condition=Attr("balance").ge(0))
    assert "The current item is on .item" in str(raised.value)
    assert raised.value.item == Account(account_id="a2", balance=-1)


def test_a_lone_gsi_is_refused_at_class_definition() -> None:
    with pytest.raises(
        ModelDefinitionError,
        match=r"Meta.gsis must be a list of GSI\(\.\.\.\) declarations, e.g. gsis = \[GSI",
    ):

        class Lone(DomainModel):
            a: str
            b: str

            class Meta:
                table_name = "t"
                partition_key = "a"
                gsis = GSI("b-index", partition_key="b")


def test_a_lone_lsi_is_refused_at_class_definition() -> None:
    with pytest.raises(ModelDefinitionError, match=r"Meta.lsis must be a list of LSI"):

        class Lone(DomainModel):
            a: str
            b: str
            c: str

            class Meta:
                table_name = "t"
                partition_key = "a"
                sort_key = "c"
                lsis = LSI("b-index", sort_key="b")


def test_a_lowercase_meta_is_refused_at_class_definition() -> None:
    with pytest.raises(
        ModelDefinitionError,
        match="declares `class meta:`, which ddbwrap does not read: the table options class "
        "must be named `Meta`",
    ):

        class Misnamed(DomainModel):
            a: str

            class meta:  # noqa: N801 - the mistake under test
                table_name = "t"
                partition_key = "a"


def test_a_model_without_meta_is_still_an_abstract_base() -> None:
    class Base(DomainModel):
        a: str

    class Concrete(Base):
        class Meta:
            table_name = "t"
            partition_key = "a"

    assert Concrete.__ddb_schema__ is not None
