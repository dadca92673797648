"""botocore errors to ddbwrap errors: pure functions of the exception and the request sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
)

from .._redact import scrubbed
from ..errors import (
    CancellationReason,
    ConditionFailedError,
    DdbwrapError,
    ItemTooLargeError,
    ServiceError,
    TableNotFoundError,
    ThrottledError,
    TransactionCanceledError,
    ValidationError,
)

THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
"""Error codes that mean "slow down": nothing was applied, the request may be re-sent."""


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
            f"{where}: DynamoDB is still throttling after ddbwrap's retries ({code}: "
            f"{message}); reduce the request rate, raise the table's capacity (or use "
            "on-demand), or allow more retries (TableGateway(..., "
            "retry=RetryPolicy(max_attempts=...)))"
        )
    if code == "ResourceNotFoundException":
        at = f" at {endpoint}" if endpoint else ""
        return TableNotFoundError(
            f"{where}: the table does not exist{at} ({message}); create it (e.g. "
            "TableGateway.create_table or the ddbwrap CLI), or check the table prefix/suffix, "
            "the region and the endpoint"
        )
    if code == "ValidationException":
        lowered = message.lower()  # PutItem: "Item size has exceeded ..."; UpdateItem:
        if "item size" in lowered and "exceeded" in lowered:  # "Item size to update has ..."
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
        return ValidationError(
            f"{where}: the request is malformed and was not sent: {scrubbed(str(exc))}"
        )
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
    return ServiceError(f"{where} failed: {scrubbed(str(exc))}")


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


def _aws_code(exc: BaseException) -> str | None:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None
