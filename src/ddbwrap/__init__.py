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
from .meta import ALL, GSI, INCLUDE, KEYS_ONLY, LSI, KeyTemplate, Projection
from .model import DomainModel, schema_of
from .schema import IndexSchema, KeyAttribute, TableSchema

__version__ = "0.1.0"

__all__ = [
    "ALL",
    "GSI",
    "INCLUDE",
    "KEYS_ONLY",
    "LSI",
    "AlreadyExistsError",
    "CancellationReason",
    "ConditionFailedError",
    "CorruptItemError",
    "DdbwrapError",
    "DomainModel",
    "IndexSchema",
    "InvalidCursorError",
    "ItemCodec",
    "ItemNotFoundError",
    "ItemTooLargeError",
    "KeyAttribute",
    "KeyTemplate",
    "ModelDefinitionError",
    "Projection",
    "ServiceError",
    "TableNotFoundError",
    "TableSchema",
    "ThrottledError",
    "TransactionCanceledError",
    "UniqueConstraintError",
    "UnprocessedItemsError",
    "ValidationError",
    "VersionConflictError",
    "codec_for",
    "schema_of",
]
