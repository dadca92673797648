"""ddbwrap: typed DynamoDB for Python services; a model's ``Meta`` is the single source of truth."""

from .codec import ItemCodec, codec_for
from .errors import (
    AlreadyExistsError,
    CancellationReason,
    ConditionFailedError,
    CorruptItemError,
    DdbwrapError,
    InvalidCursorError,
    ItemNotFoundError,
    ItemTooLargeError,
    ModelDefinitionError,
    ServiceError,
    TableNotFoundError,
    ThrottledError,
    TransactionCanceledError,
    UniqueConstraintError,
    UnprocessedItemsError,
    ValidationError,
    VersionConflictError,
)
from .expressions import Attr, Placeholders, Update, begins_with, between, eq, ge, gt, le, lt
from .gateway import TableGateway
from .meta import ALL, GSI, INCLUDE, KEYS_ONLY, LSI, KeyTemplate, Projection
from .model import DomainModel, schema_of
from .read import BatchResult, Get, Page, ReadApi, Snapshot, View, transact_get
from .retry import RetryPolicy
from .schema import IndexSchema, KeyAttribute, TableSchema
from .write import ANY_VERSION, CreateDTO, Transaction, UpdateDTO, WriteApi, retry_on_conflict

__version__ = "0.1.0"

__all__ = [
    "ALL",
    "ANY_VERSION",
    "GSI",
    "INCLUDE",
    "KEYS_ONLY",
    "LSI",
    "AlreadyExistsError",
    "Attr",
    "BatchResult",
    "CancellationReason",
    "ConditionFailedError",
    "CorruptItemError",
    "CreateDTO",
    "DdbwrapError",
    "DomainModel",
    "Get",
    "IndexSchema",
    "InvalidCursorError",
    "ItemCodec",
    "ItemNotFoundError",
    "ItemTooLargeError",
    "KeyAttribute",
    "KeyTemplate",
    "ModelDefinitionError",
    "Page",
    "Placeholders",
    "Projection",
    "ReadApi",
    "RetryPolicy",
    "ServiceError",
    "Snapshot",
    "TableGateway",
    "TableNotFoundError",
    "TableSchema",
    "ThrottledError",
    "Transaction",
    "TransactionCanceledError",
    "UniqueConstraintError",
    "UnprocessedItemsError",
    "Update",
    "UpdateDTO",
    "ValidationError",
    "VersionConflictError",
    "View",
    "WriteApi",
    "begins_with",
    "between",
    "codec_for",
    "eq",
    "ge",
    "gt",
    "le",
    "lt",
    "retry_on_conflict",
    "schema_of",
    "transact_get",
]
