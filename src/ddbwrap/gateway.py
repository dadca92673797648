"""TableGateway: the only place where ddbwrap talks to DynamoDB.

A thin wrapper over one boto3 DynamoDB *client*. It takes request parameters already in
DynamoDB's wire shape (``{"S": "x"}``) with *logical* table names, maps those to physical names
(prefix + name + suffix), sends the request, follows pagination, re-sends batch leftovers with
backoff, and turns botocore errors into ddbwrap's exceptions. It knows nothing of models: the
layers above build requests and decode responses.

Throttled requests are retried by botocore itself (configure ``Config(retries=...)``, which
``from_environment`` does); what outlives those retries surfaces as ``ThrottledError``.

Calls take a fast path (``ddbwrap.fastpath``: requests checked and written, and 2xx responses
parsed, without botocore's shape walks; same results and errors) unless ``fast_path=False`` or
``DDBWRAP_FAST_PATH=0``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
)

from ddbwrap import fastpath
from ddbwrap.errors import (
    CancellationReason,
    ConditionFailedError,
    DdbwrapError,
    ItemTooLargeError,
    ServiceError,
    TableNotFoundError,
    ThrottledError,
    TransactionCanceledError,
    UnprocessedItemsError,
    ValidationError,
)
from ddbwrap.retry import RetryPolicy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [
    "MAX_BATCH_GET_KEYS",
    "MAX_BATCH_WRITE_REQUESTS",
    "MAX_TRANSACT_ITEMS",
    "THROTTLING_CODES",
    "RetryPolicy",
    "TableGateway",
    "translate_error",
]

logger = logging.getLogger("ddbwrap.gateway")

MAX_BATCH_GET_KEYS = 100
"""DynamoDB's limit on keys per BatchGetItem request (over all tables)."""
MAX_BATCH_WRITE_REQUESTS = 25
"""DynamoDB's limit on put/delete requests per BatchWriteItem request (over all tables)."""
MAX_TRANSACT_ITEMS = 100
"""DynamoDB's limit on actions per TransactWriteItems / TransactGetItems request."""

THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
"""Error codes that mean "slow down" (botocore has already retried them when we see them)."""

PREFIX_ENV = "DDBWRAP_TABLE_PREFIX"
SUFFIX_ENV = "DDBWRAP_TABLE_SUFFIX"
DEFAULT_RETRY_MODE = "standard"
DEFAULT_MAX_ATTEMPTS = 10
"""Total attempts per request when neither the caller nor ``AWS_MAX_ATTEMPTS`` says: the same
budget botocore gives DynamoDB in its legacy mode (its standard mode default, 3, is low for a
service that throttles by design)."""

_WRITE_ACTIONS = ("Put", "Update", "Delete", "ConditionCheck")
_GET_ACTIONS = ("Get",)
_ALWAYS_CONDITIONAL = frozenset({"ConditionCheck"})

Params = dict[str, Any]
"""A request or response in DynamoDB's wire shape."""


class TableGateway:
    """Sends wire-shaped requests for one boto3 client; maps table names and errors.

    Stateless apart from its configuration, so one instance can be shared by threads (boto3
    clients are thread-safe).
    """

    def __init__(
        self,
        client: DynamoDBClient,
        *,
        table_prefix: str = "",
        table_suffix: str = "",
        batch_retry: RetryPolicy | None = None,
        fast_path: bool | None = None,
    ) -> None:
        _check_client(client)
        for name, value in (("table_prefix", table_prefix), ("table_suffix", table_suffix)):
            if not isinstance(value, str):
                raise ValidationError(f"{name} must be a str, got {type(value).__name__}")
        self._client = client
        self._prefix = table_prefix
        self._suffix = table_suffix
        self._retry = batch_retry if batch_retry is not None else RetryPolicy()
        # the fast path (ddbwrap.fastpath): on unless fast_path=False or DDBWRAP_FAST_PATH=0
        if fast_path is None:
            fast_path = fastpath.fast_path_from_environment()
        self._fast_path = bool(fast_path) and fastpath.install(client)

    @classmethod
    def from_environment(
        cls,
        *,
        table_prefix: str | None = None,
        table_suffix: str | None = None,
        batch_retry: RetryPolicy | None = None,
        retry_mode: str | None = None,
        max_attempts: int | None = None,
        fast_path: bool | None = None,
        **client_kwargs: Any,
    ) -> TableGateway:
        """A gateway over a new boto3 client configured from the environment.

        boto3 itself honours ``AWS_ENDPOINT_URL_DYNAMODB`` (then ``AWS_ENDPOINT_URL``),
        ``AWS_DEFAULT_REGION``, credentials and profiles; botocore does *not* read
        ``AWS_REGION``, so it is passed on here (``region_name`` in ``client_kwargs`` wins).
        Throttling retries: ``retry_mode`` (else ``AWS_RETRY_MODE``, else ``"standard"``) and
        ``max_attempts`` total attempts (else ``AWS_MAX_ATTEMPTS``, else 10); a ``config`` in
        ``client_kwargs`` is merged over these. Prefix and suffix default to
        ``DDBWRAP_TABLE_PREFIX`` / ``DDBWRAP_TABLE_SUFFIX``.
        """
        kwargs = dict(client_kwargs)
        if "region_name" not in kwargs and os.environ.get("AWS_REGION"):
            kwargs["region_name"] = os.environ["AWS_REGION"]
        mode = retry_mode or os.environ.get("AWS_RETRY_MODE") or DEFAULT_RETRY_MODE
        attempts = max_attempts if max_attempts is not None else _env_int("AWS_MAX_ATTEMPTS")
        retries: dict[str, Any] = {
            "mode": mode,  # botocore validates it
            "total_max_attempts": attempts if attempts is not None else DEFAULT_MAX_ATTEMPTS,
        }
        user_config = kwargs.pop("config", None)
        try:
            config = Config(retries=retries)  # type: ignore[arg-type]  # mode: a plain str here
            if user_config is not None:
                config = config.merge(user_config)
            client = boto3.session.Session().client("dynamodb", config=config, **kwargs)
        except NoRegionError as exc:
            raise ServiceError(
                "cannot create the DynamoDB client: no AWS region is configured; set AWS_REGION "
                "or AWS_DEFAULT_REGION, or pass region_name=..."
            ) from exc
        except (BotoCoreError, ValueError) as exc:
            raise ServiceError(f"cannot create the DynamoDB client: {exc}") from exc
        if table_prefix is None:
            table_prefix = os.environ.get(PREFIX_ENV, "")
        if table_suffix is None:
            table_suffix = os.environ.get(SUFFIX_ENV, "")
        return cls(
            client,
            table_prefix=table_prefix,
            table_suffix=table_suffix,
            batch_retry=batch_retry,
            fast_path=fast_path,
        )

    # -- configuration -----------------------------------------------------------------------

    @property
    def client(self) -> DynamoDBClient:
        """The boto3 client every request goes through."""
        return self._client

    @property
    def table_prefix(self) -> str:
        """Put before every logical table name."""
        return self._prefix

    @property
    def table_suffix(self) -> str:
        """Put after every logical table name."""
        return self._suffix

    @property
    def fast_path(self) -> bool:
        """Whether this gateway's calls take the fast path (see ``ddbwrap.fastpath``)."""
        return self._fast_path

    @property
    def batch_retry(self) -> RetryPolicy:
        """The backoff policy for batch leftovers."""
        return self._retry

    @property
    def endpoint_url(self) -> str:
        """The endpoint the client talks to (for messages)."""
        return str(self._client.meta.endpoint_url)

    def physical_table_name(self, table: str) -> str:
        """``prefix + table + suffix``: the name DynamoDB knows (e.g. ``purposepath-goals-dev``)."""
        if not isinstance(table, str) or not table:
            raise ValidationError(f"a table name must be a non-empty string, got {table!r}")
        return f"{self._prefix}{table}{self._suffix}"

    def logical_table_name(self, physical: str) -> str | None:
        """The logical name of a physical table, or None when it lacks this prefix/suffix."""
        if len(physical) <= len(self._prefix) + len(self._suffix):
            return None
        if not (physical.startswith(self._prefix) and physical.endswith(self._suffix)):
            return None
        return physical[len(self._prefix) : len(physical) - len(self._suffix)]

    # -- single-item operations --------------------------------------------------------------

    def get_item(self, params: Mapping[str, Any]) -> Params:
        """GetItem; returns the raw response (``Item`` is absent when there is none)."""
        request = self._with_table("GetItem", params)
        return self._call("GetItem", self._client.get_item, request, request["TableName"])

    def put_item(self, params: Mapping[str, Any]) -> Params:
        """PutItem; a failed ``ConditionExpression`` raises ``ConditionFailedError``."""
        request = self._with_table("PutItem", params)
        return self._call("PutItem", self._client.put_item, request, request["TableName"])

    def update_item(self, params: Mapping[str, Any]) -> Params:
        """UpdateItem; a failed ``ConditionExpression`` raises ``ConditionFailedError``."""
        request = self._with_table("UpdateItem", params)
        return self._call("UpdateItem", self._client.update_item, request, request["TableName"])

    def delete_item(self, params: Mapping[str, Any]) -> Params:
        """DeleteItem; a failed ``ConditionExpression`` raises ``ConditionFailedError``."""
        request = self._with_table("DeleteItem", params)
        return self._call("DeleteItem", self._client.delete_item, request, request["TableName"])

    # -- query and scan ----------------------------------------------------------------------

    def query(self, params: Mapping[str, Any]) -> Params:
        """One Query page; the caller continues from ``LastEvaluatedKey`` if it wants more."""
        request = self._with_table("Query", params)
        return self._call("Query", self._client.query, request, request["TableName"])

    def scan(self, params: Mapping[str, Any]) -> Params:
        """One Scan page; the caller continues from ``LastEvaluatedKey`` if it wants more."""
        request = self._with_table("Scan", params)
        return self._call("Scan", self._client.scan, request, request["TableName"])

    def query_pages(self, params: Mapping[str, Any]) -> Iterator[Params]:
        """Every Query page, fetched lazily (each page is requested when the previous is used)."""
        request = self._with_table("Query", params)
        return self._pages("Query", self._client.query, request)

    def scan_pages(self, params: Mapping[str, Any]) -> Iterator[Params]:
        """Every Scan page (of one segment, if ``Segment`` is given), fetched lazily."""
        request = self._with_table("Scan", params)
        return self._pages("Scan", self._client.scan, request)

    def _pages(
        self, operation: str, method: Callable[..., Any], request: Params
    ) -> Iterator[Params]:
        table = request["TableName"]
        while True:
            page = self._call(operation, method, request, table)
            last_key = page.get("LastEvaluatedKey")
            yield page
            del page  # not held while the next page is fetched: streaming memory stays flat
            if not last_key:
                return
            request = {**request, "ExclusiveStartKey": last_key}

    # -- batches -----------------------------------------------------------------------------

    def batch_get(self, request_items: Mapping[str, Mapping[str, Any]]) -> dict[str, list[Params]]:
        """Read any number of keys: requests of at most 100 keys, leftovers re-sent with backoff.

        ``request_items`` is ``{logical_table: {"Keys": [...], "ProjectionExpression"?, ...}}``.
        Returns ``{logical_table: [raw items]}`` with an entry for every table asked for; the
        order of items is not that of the keys, and missing items are simply absent. Duplicate
        keys in one request are refused by DynamoDB: pass each key once. When a request's
        retry budget runs out, ``UnprocessedItemsError.unprocessed`` lists exactly the
        ``(table, key)`` pairs not read (that request's leftovers and all requests not sent).
        """
        physical: dict[str, str] = {}
        options: dict[str, Params] = {}
        pending: list[tuple[str, Params]] = []
        for table, spec in request_items.items():
            keys = spec.get("Keys") if isinstance(spec, Mapping) else None
            if not isinstance(keys, Sequence) or isinstance(keys, (str, bytes)):
                raise ValidationError(
                    f"BatchGetItem: request_items[{table!r}] needs a list under 'Keys'"
                )
            physical[table] = self.physical_table_name(table)
            options[table] = {name: value for name, value in spec.items() if name != "Keys"}
            pending.extend((table, key) for key in keys)
        logical = {name: table for table, name in physical.items()}
        results: dict[str, list[Params]] = {table: [] for table in request_items}

        def send(chunk: Sequence[tuple[str, Params]]) -> list[tuple[str, Params]]:
            request: dict[str, Params] = {}
            for table, key in chunk:
                entry = request.get(physical[table])
                if entry is None:
                    entry = request[physical[table]] = {**options[table], "Keys": []}
                entry["Keys"].append(key)
            response = self._call(
                "BatchGetItem",
                self._client.batch_get_item,
                {"RequestItems": request},
                _label(request),
            )
            for name, items in response.get("Responses", {}).items():
                results[logical[name]].extend(items)
            return [
                (logical[name], key)
                for name, spec in response.get("UnprocessedKeys", {}).items()
                for key in spec.get("Keys", ())
            ]

        self._run_batches("BatchGetItem", pending, MAX_BATCH_GET_KEYS, send, "keys", "read")
        return results

    def batch_write(self, request_items: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """Write any number of puts/deletes: requests of at most 25, leftovers re-sent.

        ``request_items`` is ``{logical_table: [{"PutRequest": {"Item": ...}} |
        {"DeleteRequest": {"Key": ...}}, ...]}``. Requests are sent in order; one key may appear
        only once per 25-request chunk (DynamoDB refuses duplicates). When a request's retry
        budget runs out, ``UnprocessedItemsError.unprocessed`` lists exactly the
        ``(table, write_request)`` pairs not written (that request's leftovers and all requests
        not sent); everything else was written.
        """
        physical: dict[str, str] = {}
        pending: list[tuple[str, Params]] = []
        for table, requests in request_items.items():
            if not isinstance(requests, Sequence) or isinstance(requests, (str, bytes)):
                raise ValidationError(
                    f"BatchWriteItem: request_items[{table!r}] must be a list of write requests"
                )
            physical[table] = self.physical_table_name(table)
            for request in requests:
                if not (
                    isinstance(request, Mapping)
                    and len(request) == 1
                    and ("PutRequest" in request or "DeleteRequest" in request)
                ):
                    raise ValidationError(
                        f"BatchWriteItem: every request for {table!r} must be "
                        "{'PutRequest': {...}} or {'DeleteRequest': {...}}"
                    )
                pending.append((table, dict(request)))
        logical = {name: table for table, name in physical.items()}

        def send(chunk: Sequence[tuple[str, Params]]) -> list[tuple[str, Params]]:
            request: dict[str, list[Params]] = {}
            for table, write in chunk:
                request.setdefault(physical[table], []).append(write)
            response = self._call(
                "BatchWriteItem",
                self._client.batch_write_item,
                {"RequestItems": request},
                _label(request),
            )
            return [
                (logical[name], write)
                for name, writes in response.get("UnprocessedItems", {}).items()
                for write in writes
            ]

        self._run_batches(
            "BatchWriteItem", pending, MAX_BATCH_WRITE_REQUESTS, send, "write requests", "written"
        )

    def _run_batches(
        self,
        operation: str,
        pending: list[tuple[str, Params]],
        size: int,
        send: Callable[[Sequence[tuple[str, Params]]], list[tuple[str, Params]]],
        noun: str,
        verb: str,
    ) -> None:
        """Send ``pending`` in chunks of ``size``; re-send each chunk's leftovers with backoff.

        A chunk throttled as a whole (``ThrottledError`` after botocore's retries) counts as an
        attempt that processed nothing. Other errors propagate at once (earlier chunks stay done).
        """
        policy = self._retry
        for start in range(0, len(pending), size):
            leftover: Sequence[tuple[str, Params]] = pending[start : start + size]
            delays = policy.delays()
            attempts = 0
            while True:
                attempts += 1
                cause: ThrottledError | None = None
                try:
                    unprocessed = send(leftover)
                except ThrottledError as exc:
                    unprocessed, cause = list(leftover), exc
                if not unprocessed:
                    break
                delay = next(delays, None)
                if delay is None:
                    never_sent = pending[start + size :]
                    missing = [*unprocessed, *never_sent]
                    tables = ", ".join(sorted({repr(table) for table, _ in missing}))
                    why = "throttled" if cause is not None else "left unprocessed by DynamoDB"
                    raise UnprocessedItemsError(
                        f"{operation} on table(s) {tables}: {len(missing)} of {len(pending)} "
                        f"{noun} were not {verb} ({len(unprocessed)} still {why} after "
                        f"{attempts} attempts, {len(never_sent)} never sent); .unprocessed "
                        "lists them as (table, request) pairs: send them again later, reduce "
                        "the request rate, or raise the table's capacity or the gateway's "
                        "RetryPolicy",
                        missing,
                    ) from cause
                logger.debug(
                    "%s: %d of %d %s unprocessed after attempt %d; retrying in %.3f s",
                    operation,
                    len(unprocessed),
                    len(leftover),
                    noun,
                    attempts,
                    delay,
                )
                policy.sleep(delay)
                leftover = unprocessed

    # -- transactions ------------------------------------------------------------------------

    def transact_write(
        self,
        items: Sequence[Mapping[str, Any]],
        *,
        client_request_token: str | None = None,
        return_cancellation_reasons_items: bool = True,
    ) -> Params:
        """TransactWriteItems (at most 100 actions, checked before sending).

        With ``return_cancellation_reasons_items`` every conditional action asks for
        ``ReturnValuesOnConditionCheckFailure=ALL_OLD`` (unless it says otherwise), so a
        cancellation's reasons carry the current item. A cancellation raises
        ``TransactionCanceledError`` with one reason per action, in order.
        """
        actions = self._transact_items(
            "TransactWriteItems", items, _WRITE_ACTIONS, return_cancellation_reasons_items
        )
        request: Params = {"TransactItems": actions}
        if client_request_token is not None:
            request["ClientRequestToken"] = client_request_token
        return self._call(
            "TransactWriteItems",
            self._client.transact_write_items,
            request,
            _label_transact(actions),
        )

    def transact_get(self, items: Sequence[Mapping[str, Any]]) -> Params:
        """TransactGetItems (at most 100 ``Get`` actions); ``Responses`` follow ``items``' order."""
        actions = self._transact_items("TransactGetItems", items, _GET_ACTIONS, False)
        return self._call(
            "TransactGetItems",
            self._client.transact_get_items,
            {"TransactItems": actions},
            _label_transact(actions),
        )

    def _transact_items(
        self,
        operation: str,
        items: Sequence[Mapping[str, Any]],
        allowed: tuple[str, ...],
        return_items: bool,
    ) -> list[Params]:
        if len(items) > MAX_TRANSACT_ITEMS:
            raise ValidationError(
                f"{operation}: {len(items)} actions given, DynamoDB allows at most "
                f"{MAX_TRANSACT_ITEMS} per transaction; split the work or use a batch"
            )
        if not items:
            raise ValidationError(f"{operation}: a transaction needs at least one action")
        actions: list[Params] = []
        for index, item in enumerate(items):
            kinds = list(item) if isinstance(item, Mapping) else []
            if len(kinds) != 1 or kinds[0] not in allowed:
                raise ValidationError(
                    f"{operation}: action {index} must be a dict with exactly one of "
                    f"{', '.join(allowed)} (got keys {kinds})"
                )
            kind = kinds[0]
            action = self._with_table(f"{operation} action {index}", item[kind])
            if return_items and ("ConditionExpression" in action or kind in _ALWAYS_CONDITIONAL):
                action.setdefault("ReturnValuesOnConditionCheckFailure", "ALL_OLD")
            actions.append({kind: action})
        return actions

    # -- tables ------------------------------------------------------------------------------

    def create_table(self, params: Mapping[str, Any]) -> Params:
        """CreateTable with raw parameters (logical ``TableName``); returns the raw response."""
        request = self._with_table("CreateTable", params)
        return self._call("CreateTable", self._client.create_table, request, request["TableName"])

    def update_table(self, params: Mapping[str, Any]) -> Params:
        """UpdateTable with raw parameters (logical ``TableName``), e.g. to add a GSI."""
        request = self._with_table("UpdateTable", params)
        return self._call("UpdateTable", self._client.update_table, request, request["TableName"])

    def delete_table(self, table: str) -> None:
        """DeleteTable (does not wait for the deletion to finish)."""
        name = self.physical_table_name(table)
        self._call("DeleteTable", self._client.delete_table, {"TableName": name}, name)

    def describe_table(self, table: str) -> Params:
        """DescribeTable; returns the raw response (the description is under ``Table``)."""
        name = self.physical_table_name(table)
        return self._call("DescribeTable", self._client.describe_table, {"TableName": name}, name)

    def describe_time_to_live(self, table: str) -> Params:
        """DescribeTimeToLive; returns the raw response."""
        name = self.physical_table_name(table)
        return self._call(
            "DescribeTimeToLive", self._client.describe_time_to_live, {"TableName": name}, name
        )

    def update_time_to_live(self, table: str, attribute: str, enabled: bool = True) -> None:
        """Turn TTL on (or off) for ``attribute``."""
        name = self.physical_table_name(table)
        self._call(
            "UpdateTimeToLive",
            self._client.update_time_to_live,
            {
                "TableName": name,
                "TimeToLiveSpecification": {"AttributeName": attribute, "Enabled": enabled},
            },
            name,
        )

    def wait_until_active(
        self, table: str, *, timeout: float = 300.0, poll_interval: float = 1.0
    ) -> Params:
        """Poll DescribeTable until the table and its GSIs are ACTIVE; returns that response.

        Pauses with the retry policy's ``sleep``; raises ``ServiceError`` after ``timeout`` s.
        """
        name = self.physical_table_name(table)
        deadline = time.monotonic() + timeout
        delay = min(0.05, poll_interval)
        while True:
            response = self.describe_table(table)
            description = response.get("Table", {})
            statuses = [description.get("TableStatus")] + [
                index.get("IndexStatus") for index in description.get("GlobalSecondaryIndexes", ())
            ]
            if all(status == "ACTIVE" for status in statuses):
                return response
            if time.monotonic() >= deadline:
                raise ServiceError(
                    f"table {name!r} is not ACTIVE after {timeout:g} s (statuses {statuses}); "
                    "check it in the console or wait longer"
                )
            self._retry.sleep(delay)
            delay = min(delay * 2, poll_interval)

    def list_tables(self) -> list[str]:
        """Logical names of the tables that carry this gateway's prefix and suffix."""
        names: list[str] = []
        request: Params = {}
        while True:
            response = self._call("ListTables", self._client.list_tables, request, "*")
            for physical in response.get("TableNames", ()):
                table = self.logical_table_name(physical)
                if table is not None:
                    names.append(table)
            last = response.get("LastEvaluatedTableName")
            if not last:
                return names
            request = {"ExclusiveStartTableName": last}

    # -- plumbing ----------------------------------------------------------------------------

    def _with_table(self, operation: str, params: Mapping[str, Any]) -> Params:
        """A shallow copy of ``params`` with its logical ``TableName`` made physical."""
        if not isinstance(params, Mapping):
            raise ValidationError(f"{operation}: parameters must be a dict, got {type(params)}")
        table = params.get("TableName")
        if table is None:
            raise ValidationError(f"{operation}: parameters need a 'TableName' (logical name)")
        request = dict(params)
        request["TableName"] = self.physical_table_name(table)
        return request

    def _call(
        self, operation: str, method: Callable[..., Any], request: Params, table: str
    ) -> Params:
        """Make one call: time it, log it (no values), translate its errors."""
        started = time.perf_counter()
        try:
            if self._fast_path:
                response: Params = fastpath.call(method, request)
            else:
                response = method(**request)
        except (ClientError, BotoCoreError) as exc:
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s table=%s failed ms=%.1f error=%s",
                    operation,
                    table,
                    (time.perf_counter() - started) * 1000,
                    _aws_code(exc) or type(exc).__name__,
                )
            raise translate_error(
                exc,
                operation=operation,
                table=table,
                request=request,
                endpoint=self._client.meta.endpoint_url,
            ) from exc
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s table=%s ms=%.1f%s",
                operation,
                table,
                (time.perf_counter() - started) * 1000,
                _summary(operation, request, response),
            )
        return response


# -- error translation -------------------------------------------------------------------------


def translate_error(
    exc: ClientError | BotoCoreError,
    *,
    operation: str,
    table: str,
    request: Mapping[str, Any] | None = None,
    endpoint: str | None = None,
) -> DdbwrapError:
    """The ddbwrap exception for a botocore one (raise it ``from exc``); pure, so reusable.

    ``table`` is the physical table name (or names) the request was for; ``request`` the
    parameters sent (used for the key, the condition and the transaction's actions).
    """
    request = request or {}
    where = f"{operation} on table {table!r}"
    if isinstance(exc, BotoCoreError):
        return _translate_botocore(exc, where, endpoint)
    response: Mapping[str, Any] = exc.response
    error = response.get("Error", {})
    code = str(error.get("Code") or "Unknown")
    message = str(error.get("Message") or "").strip()
    if code == "ConditionalCheckFailedException":
        return ConditionFailedError(
            f"{where}: the condition did not hold ({message or 'conditional request failed'}); "
            "nothing was written: re-read the item and decide, or change the condition",
            table=table,
            key=request.get("Key"),
            condition=request.get("ConditionExpression"),
            item=response.get("Item"),
        )
    if code == "TransactionCanceledException":
        return _transaction_canceled(response, operation, where, request, message)
    if code in THROTTLING_CODES:
        return ThrottledError(
            f"{where}: DynamoDB is still throttling after botocore's retries ({code}: "
            f"{message}); reduce the request rate, raise the table's capacity (or use "
            "on-demand), or allow more retries (Config(retries={'mode': 'adaptive', "
            "'total_max_attempts': ...}))"
        )
    if code == "ResourceNotFoundException":
        at = f" at {endpoint}" if endpoint else ""
        return TableNotFoundError(
            f"{where}: the table does not exist{at} ({message}); create it (e.g. "
            "TableGateway.create_table or the ddbwrap CLI), or check the table prefix/suffix, "
            "the region and the endpoint"
        )
    if code == "ValidationException":
        if "item size has exceeded" in message.lower():
            return ItemTooLargeError(
                f"{where}: {message}; DynamoDB items are limited to 400 KB: store large values "
                "elsewhere (e.g. S3) and keep a reference"
            )
        return ValidationError(f"{where}: DynamoDB rejected the request: {message}")
    hint = _SERVICE_HINTS.get(code, "see the AWS error code for details")
    return ServiceError(f"{where} failed ({code}: {message}); {hint}", aws_code=code)


_SERVICE_HINTS = {
    "TransactionConflictException": (
        "another transaction is changing the same item: retry the operation"
    ),
    "TransactionInProgressException": (
        "a transaction with this ClientRequestToken is still in progress: retry later with "
        "the same token"
    ),
    "IdempotentParameterMismatchException": (
        "this ClientRequestToken was used with different parameters: use a new token"
    ),
    "ResourceInUseException": "the table already exists, or is being created or deleted",
    "LimitExceededException": (
        "too many table operations at once, or an account limit was hit: retry later"
    ),
    "InternalServerError": "DynamoDB had an internal error: retry the operation",
    "UnrecognizedClientException": "the credentials are not valid for this endpoint",
    "AccessDeniedException": "the credentials lack permission for this operation on this table",
}


def _translate_botocore(exc: BotoCoreError, where: str, endpoint: str | None) -> DdbwrapError:
    if isinstance(exc, ParamValidationError):
        return ValidationError(f"{where}: the request is malformed and was not sent: {exc}")
    if isinstance(exc, NoCredentialsError):
        return ServiceError(
            f"{where}: no AWS credentials were found; set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY or AWS_PROFILE (DynamoDB Local accepts any values)"
        )
    if isinstance(exc, EndpointConnectionError):
        return ServiceError(
            f"{where}: could not connect to {endpoint or 'the endpoint'} ({exc}); check the "
            "endpoint URL (AWS_ENDPOINT_URL_DYNAMODB) and that the service (e.g. DynamoDB "
            "Local) is running"
        )
    return ServiceError(f"{where} failed in botocore before a response was received: {exc}")


def _transaction_canceled(
    response: Mapping[str, Any],
    operation: str,
    where: str,
    request: Mapping[str, Any],
    message: str,
) -> TransactionCanceledError:
    actions: Sequence[Mapping[str, Any]] = request.get("TransactItems", ())
    raw = response.get("CancellationReasons") or []
    reasons = [
        CancellationReason(
            index=index,
            code=str(reason.get("Code") or "None"),
            message=reason.get("Message"),
            item=reason.get("Item"),
        )
        for index, reason in enumerate(raw)
    ]
    failed = []
    for reason in reasons:
        if reason.code in ("None", ""):
            continue
        described = f"action {reason.index}"
        if reason.index < len(actions):
            kind, action = next(iter(actions[reason.index].items()))
            described += f" ({kind} on {action.get('TableName')!r})"
        failed.append(f"{described}: {reason.code}")
    detail = "; ".join(failed) if failed else message or "no reasons given"
    done = "nothing was read" if operation == "TransactGetItems" else "nothing was written"
    return TransactionCanceledError(
        f"{where}: the transaction was cancelled ({detail}); {done}. Inspect .reasons "
        "(ConditionalCheckFailed: re-read and decide; TransactionConflict: retry)",
        reasons,
    )


# -- helpers -----------------------------------------------------------------------------------


def _aws_code(exc: BaseException) -> str | None:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def _label(request_items: Mapping[str, Any]) -> str:
    return ",".join(sorted(request_items))


def _label_transact(actions: Sequence[Mapping[str, Any]]) -> str:
    return ",".join(
        sorted({str(action["TableName"]) for item in actions for action in item.values()})
    )


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise ValidationError(f"{name} must be an integer, got {value!r}") from exc


def _summary(operation: str, request: Mapping[str, Any], response: Mapping[str, Any]) -> str:
    """Counts and consumed capacity for the log line; never an item value or key."""
    parts: list[str] = []
    if "Count" in response:
        parts.append(f"count={response['Count']} scanned={response.get('ScannedCount')}")
        if response.get("LastEvaluatedKey"):
            parts.append("more=true")
    elif operation == "GetItem":
        parts.append(f"found={'Item' in response}")
    if "Responses" in response:
        responses = response["Responses"]
        if isinstance(responses, Mapping):
            parts.append(f"items={sum(len(items) for items in responses.values())}")
        else:
            parts.append(f"items={sum(1 for entry in responses if entry.get('Item'))}")
    request_items = request.get("RequestItems")
    if isinstance(request_items, Mapping):
        sent = sum(
            len(entry.get("Keys", ())) if isinstance(entry, Mapping) else len(entry)
            for entry in request_items.values()
        )
        parts.append(f"requested={sent}")
        leftovers = response.get("UnprocessedKeys") or response.get("UnprocessedItems") or {}
        unprocessed = sum(
            len(entry.get("Keys", ())) if isinstance(entry, Mapping) else len(entry)
            for entry in leftovers.values()
        )
        parts.append(f"unprocessed={unprocessed}")
    if "TransactItems" in request:
        parts.append(f"actions={len(request['TransactItems'])}")
    capacity = response.get("ConsumedCapacity")
    if capacity:
        entries = capacity if isinstance(capacity, list) else [capacity]
        parts.append(
            "capacity="
            + ",".join(f"{c.get('TableName', '?')}:{c.get('CapacityUnits')}" for c in entries)
        )
    return "".join(" " + part for part in parts)


def _check_client(client: object) -> None:
    """Refuse anything but a boto3 DynamoDB *client* (a resource or a Table is a common slip)."""
    meta = getattr(client, "meta", None)
    service = getattr(getattr(meta, "service_model", None), "service_name", None)
    if service != "dynamodb":
        raise ValidationError(
            f"TableGateway needs a boto3 DynamoDB client, got {type(client).__name__}; use "
            "TableGateway(boto3.client('dynamodb')) or TableGateway.from_environment() "
            "(a boto3 resource or Table is not a client: pass resource.meta.client)"
        )


def require_gateway(gateway: object, user: str) -> TableGateway:
    """``gateway`` itself when it is a TableGateway; a clear error naming ``user`` otherwise."""
    if not isinstance(gateway, TableGateway):
        raise ValidationError(
            f"{user} needs a TableGateway, got {type(gateway).__name__}; build one with "
            "TableGateway(boto3.client('dynamodb')) or TableGateway.from_environment()"
        )
    return gateway
