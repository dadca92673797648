"""The write side (CQRS commands): ``WriteApi[M]``, DTOs, transactions and batch writes.

Everything here is built on the model's ``Meta``: keys, versions (optimistic locking), unique
guard items, TTL and auto timestamps. Requests are built by pure functions
(``ddbwrap.write.requests``), sent by the ``TableGateway`` and decoded as the model.
"""

from .api import WriteApi
from .batch import BatchEntry, BatchWriter
from .dto import CreateDTO, UpdateDTO
from .locking import ANY_VERSION, AnyVersion, retry_on_conflict
from .requests import (
    StaleUniqueValueError,
    WriteAction,
    WritePlan,
    check_plan,
    create_plan,
    delete_plan,
    put_plan,
    update_plan,
)
from .transaction import ActionCancellationReason, Transaction

__all__ = [
    "ANY_VERSION",
    "ActionCancellationReason",
    "AnyVersion",
    "BatchEntry",
    "BatchWriter",
    "CreateDTO",
    "StaleUniqueValueError",
    "Transaction",
    "UpdateDTO",
    "WriteAction",
    "WriteApi",
    "WritePlan",
    "check_plan",
    "create_plan",
    "delete_plan",
    "put_plan",
    "retry_on_conflict",
    "update_plan",
]
