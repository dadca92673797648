"""``ddbwrap.v1``: the legacy V1 repository API, on top of the V2 layers, and migration shims.

- ``BaseRepository[T]``: V1's repository (``get``, ``list``, ``list_all``, ``create``,
  ``update``, ``delete``); deprecated, one ``DeprecationWarning`` per repository class.
- V1's exceptions (``DynamoDBWrapperError``, ``ItemNotFoundException``, ...), each also the
  matching ddbwrap error.
- V1's timezone helpers (``now_utc``, ``to_utc``, ``to_user_timezone``, ``parse_datetime``...).
- Shims: ``to_domain_model`` (the V2 model of a repository), ``V1Adapter`` (V1 call sites on
  V2 ``ReadApi``/``WriteApi``), ``scaffold_source`` and ``check_paths`` (behind
  ``ddbwrap migrate scaffold`` / ``ddbwrap migrate check``).

See ``docs/migration.md``.
"""

from .adapter import Filters, RepositoryLike, V1Adapter, as_v1_repository
from .bridge import derive_domain_model, to_domain_model
from .check import Usage, check_paths
from .exceptions import (
    ConditionalCheckFailedException,
    ConnectionException,
    DynamoDBWrapperError,
    ItemAlreadyExistsException,
    ItemNotFoundException,
    ValidationException,
    as_v1_error,
    v1_errors,
)
from .repository import MIGRATION_GUIDE, BaseRepository
from .scaffold import scaffold_source
from .timezone import (
    UTC,
    ensure_timezone_aware,
    format_datetime,
    from_epoch_seconds,
    get_timezone,
    is_valid_timezone,
    now_utc,
    parse_datetime,
    to_epoch_seconds,
    to_storage_string,
    to_user_timezone,
    to_utc,
)

__all__ = [
    "MIGRATION_GUIDE",
    "UTC",
    "BaseRepository",
    "ConditionalCheckFailedException",
    "ConnectionException",
    "DynamoDBWrapperError",
    "Filters",
    "ItemAlreadyExistsException",
    "ItemNotFoundException",
    "RepositoryLike",
    "Usage",
    "V1Adapter",
    "ValidationException",
    "as_v1_error",
    "as_v1_repository",
    "check_paths",
    "derive_domain_model",
    "ensure_timezone_aware",
    "format_datetime",
    "from_epoch_seconds",
    "get_timezone",
    "is_valid_timezone",
    "now_utc",
    "parse_datetime",
    "scaffold_source",
    "to_domain_model",
    "to_epoch_seconds",
    "to_storage_string",
    "to_user_timezone",
    "to_utc",
    "v1_errors",
]
