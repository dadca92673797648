"""V1's timezone helpers: aware results, naive values taken as UTC, zones by IANA name."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ddbwrap.v1 import (
    ValidationException,
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

UTC = timezone.utc
T0 = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def test_now_utc_is_aware_and_utc() -> None:
    before = datetime.now(UTC)
    now = now_utc()
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= datetime.now(UTC)


def test_to_utc_takes_a_naive_value_as_utc() -> None:
    assert to_utc(datetime(2026, 11, 22, 9, 30)) == T0
    assert to_utc(datetime(2026, 11, 22, 9, 30)).tzinfo is UTC


def test_to_utc_takes_a_naive_value_in_the_given_zone() -> None:
    assert to_utc(datetime(2026, 11, 22, 10, 30), assume_tz="Europe/Paris") == T0


def test_to_utc_converts_an_aware_value() -> None:
    tokyo = datetime(2026, 11, 22, 18, 30, tzinfo=get_timezone("Asia/Tokyo"))
    converted = to_utc(tokyo)
    assert (converted, converted.utcoffset()) == (T0, timedelta(0))


def test_to_user_timezone_gives_the_wall_clock_time_of_the_zone() -> None:
    local = to_user_timezone(T0, "America/New_York")
    assert (local.hour, local.utcoffset()) == (4, timedelta(hours=-5))
    assert local == T0


def test_to_user_timezone_follows_daylight_saving_time() -> None:
    summer = to_user_timezone(datetime(2026, 7, 1, 12, tzinfo=UTC), "Europe/Paris")
    assert summer.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-22T09:30:00Z",
        "2026-11-22T09:30:00.000000Z",
        "2026-11-22T10:30:00+01:00",
        "2026-11-22 09:30:00",
        "2026-11-22T09:30",
    ],
)
def test_parse_datetime_reads_iso_8601_text_as_an_aware_instant(text: str) -> None:
    parsed = parse_datetime(text)
    assert parsed == T0 and parsed.tzinfo is not None


def test_parse_datetime_reads_a_date_as_midnight_in_the_default_zone() -> None:
    assert parse_datetime("2026-11-22") == datetime(2026, 11, 22, tzinfo=UTC)
    paris = parse_datetime(date(2026, 11, 22), default_tz="Europe/Paris")
    assert paris == datetime(2026, 11, 21, 23, tzinfo=UTC)


def test_parse_datetime_reads_epoch_seconds() -> None:
    assert parse_datetime(int(T0.timestamp())) == T0
    assert parse_datetime(Decimal(int(T0.timestamp()))) == T0


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", True])
def test_parse_datetime_refuses_what_is_not_a_datetime(bad: object) -> None:
    with pytest.raises(ValidationException):
        parse_datetime(bad)  # type: ignore[arg-type]


def test_format_datetime_writes_the_offset_of_the_zone() -> None:
    assert format_datetime(T0) == "2026-11-22T09:30:00+00:00"
    assert format_datetime(T0, "Asia/Kolkata") == "2026-11-22T15:00:00+05:30"


def test_to_storage_string_is_what_ddbwrap_stores() -> None:
    assert to_storage_string(datetime(2026, 11, 22, 9, 30)) == "2026-11-22T09:30:00.000000Z"


def test_epoch_seconds_round_trip() -> None:
    seconds = to_epoch_seconds(T0)
    assert seconds == 1795339800
    assert from_epoch_seconds(seconds) == T0


def test_ensure_timezone_aware_keeps_an_aware_value() -> None:
    paris = datetime(2026, 11, 22, 10, 30, tzinfo=get_timezone("Europe/Paris"))
    assert ensure_timezone_aware(paris) is paris


def test_an_unknown_zone_raises_validation_exception() -> None:
    with pytest.raises(ValidationException, match="Mars/Olympus"):
        get_timezone("Mars/Olympus")
    assert is_valid_timezone("Europe/Paris") and not is_valid_timezone("Mars/Olympus")
