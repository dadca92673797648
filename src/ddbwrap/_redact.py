"""Values in messages: shown, or kept out of them (redaction), from one place.

Every value ddbwrap puts into an exception message (a key, a unique value, a condition
literal, a rejected value) goes through ``shown(value)``: its ``repr`` normally, or
``<redacted str>`` (its type, never its content) when redaction is on. Names, types, positions
and counts are always shown, so a redacted message still says what failed and where. Exceptions
keep their structured attributes (``key``, ``item``, ``value``...): only the text is redacted.

Whether values are redacted, most specific first:

1. the gateway running the operation (``TableGateway(..., redact_values=True/False)``): its
   driver sets ``_SETTING`` while it runs a flow (``redaction``), and every facade while it
   builds one (``follows_gateway_setting``);
2. the environment: ``DDBWRAP_REDACT_VALUES=1`` (or ``true``/``yes``/``on``) redacts,
   ``0`` (``false``/``no``/``off``) shows every value, unique values included; any other
   non-empty text redacts (a typo must not turn privacy off);
3. the default: values are shown, except unique-constraint values (typically emails, user
   names, phone numbers), which are redacted unless redaction is explicitly off.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

ENV = "DDBWRAP_REDACT_VALUES"

_SETTING: ContextVar[bool | None] = ContextVar("ddbwrap_redact_values", default=None)
_OFF = frozenset({"0", "false", "no", "off"})


def environment_setting() -> bool | None:
    """``DDBWRAP_REDACT_VALUES`` as a setting: True, False, or None when unset or empty."""
    raw = os.environ.get(ENV)
    if raw is None or not raw.strip():
        return None
    # "1", "true"... and anything unrecognised redacts: a typo must not turn privacy off
    return raw.strip().lower() not in _OFF


def redacting(*, unique: bool = False) -> bool:
    """True when values must be kept out of messages right now (``unique``: the value is a
    unique-constraint value, redacted unless redaction is explicitly off)."""
    setting = _SETTING.get()
    if setting is None:
        setting = environment_setting()
    if setting is None:
        return unique
    return setting


def placeholder(value: object) -> str:
    """What stands for a redacted value: its type only (``<redacted str>``)."""
    return f"<redacted {type(value).__name__}>"


def shown(value: object, *, unique: bool = False) -> str:
    """``repr(value)``, or its placeholder when redacting."""
    if redacting(unique=unique):
        return placeholder(value)
    return repr(value)


def shown_mapping(values: Mapping[str, Any], *, unique: bool = False) -> str:
    """A mapping as its ``repr`` would read, with each value through ``shown`` (the names,
    e.g. a key's attribute names, stay)."""
    if not redacting(unique=unique):
        return repr(dict(values))
    return "{" + ", ".join(f"{name!r}: {placeholder(v)}" for name, v in values.items()) + "}"


def shown_text(value: str, *, unique: bool = False) -> str:
    """A text value written bare into a message (not quoted), or its placeholder."""
    return placeholder(value) if redacting(unique=unique) else value


def loc_text(loc: Sequence[int | str]) -> str:
    """A pydantic error location (``labels.ada@x.[key]``) for a message: field names and list
    positions stay; when redacting, a map key that is itself in error (followed by pydantic's
    ``[key]``) is replaced by its placeholder."""
    if not redacting():
        return ".".join(str(part) for part in loc)
    parts = []
    for position, part in enumerate(loc):
        following = loc[position + 1] if position + 1 < len(loc) else None
        parts.append(placeholder(part) if following == "[key]" else str(part))
    return ".".join(parts)


_BOTOCORE_VALUE = re.compile(r"(value: )(.*?)(, (?:type|valid)\b)")


def scrubbed(text: str) -> str:
    """A message from botocore with the parameter values it quotes replaced when redacting
    (``Invalid type for parameter Item.email, value: 'a@b', type: ...``)."""
    if not redacting():
        return text
    return _BOTOCORE_VALUE.sub(r"\1<redacted>\3", text)


def redaction(setting: bool | None) -> AbstractContextManager[None]:
    """Within the block, redact (True) or show (False) values; None leaves the setting of an
    outer block (or the environment) in force."""
    return _UNCHANGED if setting is None else _set(setting)


_UNCHANGED = nullcontext()


@contextmanager
def _set(setting: bool) -> Iterator[None]:
    token = _SETTING.set(setting)
    try:
        yield
    finally:
        _SETTING.reset(token)


class _Gateway(Protocol):
    @property
    def redact_values(self) -> bool | None: ...

    def redaction(self) -> AbstractContextManager[None]: ...


class _Facade(Protocol):
    @property
    def gateway(self) -> _Gateway: ...


_F = TypeVar("_F", bound=_Facade)
_P = ParamSpec("_P")
_R = TypeVar("_R")


def follows_gateway_setting(
    build: Callable[Concatenate[_F, _P], _R],
) -> Callable[Concatenate[_F, _P], _R]:
    """A facade's request builder whose errors (a rejected argument, with its value) follow the
    facade's gateway's ``redact_values``, as the errors of running the request do."""

    @functools.wraps(build)
    def building(facade: _F, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        gateway = facade.gateway
        if gateway.redact_values is None:  # no setting of its own to put in force
            return build(facade, *args, **kwargs)
        with gateway.redaction():
            return build(facade, *args, **kwargs)

    return building


def redacted_iter(items: Iterator[Any], setting: bool | None) -> Iterator[Any]:
    """``items`` with ``setting`` in force while each next item is computed, and not while the
    consumer holds it (a generator runs in its consumer's context)."""
    if setting is None:
        yield from items
        return
    try:
        while True:
            token = _SETTING.set(setting)
            try:
                item = next(items)
            except StopIteration:
                return
            finally:
                _SETTING.reset(token)
            yield item
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            with redaction(setting):
                close()
