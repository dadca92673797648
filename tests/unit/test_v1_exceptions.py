"""V1's exceptions stay catchable by their V1 names while being ddbwrap errors underneath."""

from __future__ import annotations

import pytest

from ddbwrap import (
    AlreadyExistsError,
    ConditionFailedError,
    CorruptItemError,
    DdbwrapError,
    ItemNotFoundError,
    ServiceError,
    TableNotFoundError,
    ThrottledError,
    ValidationError,
    VersionConflictError,
)
from ddbwrap.v1 import (
    ConditionalCheckFailedException,
    ConnectionException,
    DynamoDBWrapperError,
    ItemAlreadyExistsException,
    ItemNotFoundException,
    ValidationException,
    as_v1_error,
    v1_errors,
)


def test_v1_classes_are_the_matching_ddbwrap_classes() -> None:
    assert issubclass(ItemNotFoundException, ItemNotFoundError)
    assert issubclass(ValidationException, ValidationError)
    assert issubclass(ConnectionException, ServiceError)
    assert issubclass(ConditionalCheckFailedException, ConditionFailedError)
    assert issubclass(ItemAlreadyExistsException, AlreadyExistsError)
    assert issubclass(ItemAlreadyExistsException, ConditionalCheckFailedException)
    for klass in (ItemNotFoundException, ValidationException, ConnectionException):
        assert issubclass(klass, DynamoDBWrapperError) and issubclass(klass, DdbwrapError)


def test_a_v2_not_found_error_in_a_v1_block_is_caught_as_item_not_found_exception() -> None:
    with pytest.raises(ItemNotFoundException) as caught, v1_errors():
        raise ItemNotFoundError("goals", {"GoalId": "g-404"})
    error = caught.value
    assert isinstance(error, ItemNotFoundError) and isinstance(error, LookupError)
    assert (error.table, error.key) == ("goals", {"GoalId": "g-404"})
    assert "g-404" in str(error)


def test_except_ddbwrap_error_still_catches_the_converted_error() -> None:
    with pytest.raises(DdbwrapError), v1_errors():
        raise ValidationError("bad value", model="M", field="f")


@pytest.mark.parametrize(
    ("v2_error", "v1_class"),
    [
        (ValidationError("bad"), ValidationException),
        (CorruptItemError("M", "t", {"k": 1}, []), ValidationException),
        (ServiceError("down", aws_code="InternalServerError"), ConnectionException),
        (ThrottledError("slow down"), ConnectionException),
        (ConditionFailedError("no"), ConditionalCheckFailedException),
        (AlreadyExistsError("exists"), ItemAlreadyExistsException),
        (TableNotFoundError("missing"), DynamoDBWrapperError),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else value.__name__,
)
def test_each_ddbwrap_error_becomes_its_v1_class_and_keeps_its_own(
    v2_error: DdbwrapError, v1_class: type[DynamoDBWrapperError]
) -> None:
    converted = as_v1_error(v2_error)
    assert isinstance(converted, v1_class)
    assert isinstance(converted, type(v2_error))
    assert converted.code == v2_error.code
    assert str(converted) == str(v2_error)


def test_a_version_conflict_keeps_its_class_and_attributes() -> None:
    error = VersionConflictError("stale", expected=1, current=3, table="t")
    converted = as_v1_error(error)
    assert isinstance(converted, ConditionalCheckFailedException)
    assert isinstance(converted, VersionConflictError)
    assert (converted.expected, converted.current, converted.table) == (1, 3, "t")
    assert converted.docs_url.endswith("#versionconflicterror")


def test_the_cause_of_the_original_error_is_kept() -> None:
    cause = RuntimeError("botocore said no")
    with pytest.raises(ConnectionException) as caught, v1_errors():
        raise ServiceError("down") from cause
    assert caught.value.__cause__ is cause


def test_a_v1_error_is_raised_unchanged() -> None:
    original = ItemNotFoundException("gone", table="t", key={"id": 1})
    with pytest.raises(ItemNotFoundException) as caught, v1_errors():
        raise original
    assert caught.value is original


def test_other_exceptions_pass_through_a_v1_block() -> None:
    with pytest.raises(KeyError), v1_errors():
        raise KeyError("not ours")


def test_v1_exceptions_can_be_raised_with_a_message_alone() -> None:
    error = ItemNotFoundException("no such pipeline")
    assert "no such pipeline" in str(error)
    assert error.docs_url.endswith("#itemnotfounderror")
    assert "x" in str(ValidationException("x"))
