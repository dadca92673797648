"""The gateway's fast path: ddbwrap's own DynamoDB calls skip botocore's slowest steps.

botocore stays in charge of credentials, signing, endpoints, retries, the CRC32 check and errors.
What changes, for calls made by a ``TableGateway`` whose fast path is on (and only for them: the
same client used directly by your code behaves exactly as before):

- **requests**: botocore validates every parameter against the service model (its
  ``ParamValidator``), then walks the model again to build the JSON body. The fast path checks
  the request with validators compiled once from the same model (a hand-written one for
  ``AttributeValue``) and writes the body with one ``json.dumps`` (bytes become base64, as
  botocore does). It accepts only what botocore's validator accepts and writes the same bytes;
  anything it is unsure of (a ``str`` or file in a binary slot, a type it does not know) goes
  through botocore's own validator and serializer, so a malformed request fails exactly as
  before (``ParamValidationError``, nothing sent);
- **responses** of the data-plane operations (GetItem, BatchGetItem, Query, Scan,
  TransactGetItems, and the writes' ``Attributes``/``UnprocessedItems``): a ``before-parse``
  handler decodes the JSON body with ``loads`` (orjson when ``ddbwrap[fast]`` installed it,
  else ``json``) and then fixes it up the way botocore's
  shape-driven parser would (base64 ``B``/``BS`` values to bytes, unknown members and nulls
  dropped), walking only the parts where that can matter, instead of botocore's generic
  per-attribute walk; numbers stay strings. Only 2xx responses are taken over: errors are
  parsed by botocore. The CRC32 check (``x-amz-crc32``, done by botocore's retry handler on the
  raw bytes after parsing) and retries run unchanged.

The switch is per call: a context variable set by the gateway around its own calls. The hooks
are installed on the client once (``install``); with the variable unset they step aside.

The direct transport (``ddbwrap._engine.direct``) uses the same compiled checks and fix-ups
(``compile_service``, ``parse_body``), without botocore around them.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from ._engine import gc_pause
from .codec import EncodedItem, EncodedWrite

Params = dict[str, Any]

logger = logging.getLogger("ddbwrap.fastpath")

__all__ = [
    "FAST_PATH_ENV",
    "OPERATIONS",
    "active",
    "fast_path_from_environment",
    "install",
    "installed",
]

FAST_PATH_ENV = "DDBWRAP_FAST_PATH"
"""``DDBWRAP_FAST_PATH=0`` (or ``false``/``no``/``off``) turns the fast path off by default."""

OPERATIONS = (
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
)
"""The operations whose requests and 2xx responses the fast path handles."""

_ACTIVE: ContextVar[bool] = ContextVar("ddbwrap_fast_path", default=False)


def fast_path_from_environment() -> bool:
    """The default of ``TableGateway(fast_path=...)``: on unless ``DDBWRAP_FAST_PATH`` says off."""
    value = os.environ.get(FAST_PATH_ENV, "").strip().lower()
    return value not in {"0", "false", "no", "off"}


@contextmanager
def active() -> Iterator[None]:
    """Mark the calls made inside the block as ddbwrap's own (the hooks act on them)."""
    token = _ACTIVE.set(True)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def call(method: Callable[..., Any], request: dict[str, Any]) -> Any:
    """``method(**request)`` with the fast path active (what the gateway uses: no generator)."""
    token = _ACTIVE.set(True)
    try:
        return method(**request)
    finally:
        _ACTIVE.reset(token)


# --- installation ------------------------------------------------------------------------------

_INSTALLED: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def installed(client: Any) -> bool:
    """Whether ``install`` put the hooks on this client."""
    try:
        return _INSTALLED.get(client, False)
    except TypeError:  # not weak-referenceable: never installed
        return False


def install(client: Any) -> bool:
    """Put the fast-path hooks on a boto3/botocore DynamoDB client (once); True if it worked.

    Returns False, changing nothing, for a client the fast path does not understand: another
    service, a protocol other than botocore's ``json``, a serializer it does not recognise, or
    a response parser configured with custom blob/timestamp parsers. Calls then simply take
    botocore's usual path.
    """
    with _LOCK:
        try:
            done = _INSTALLED.get(client)
        except TypeError:  # not weak-referenceable: not a botocore client
            return False
        if done is not None:
            return done
        ok = False
        try:
            ok = _install(client)
        except Exception:  # an unknown botocore: never break the client, just stay slow
            logger.debug("fast path not installed", exc_info=True)
        try:
            _INSTALLED[client] = ok
        except TypeError:  # not weak-referenceable: a stand-in object, not a botocore client
            return False
        return ok


def _install(client: Any) -> bool:
    meta = getattr(client, "meta", None)
    compiled = compile_service(getattr(meta, "service_model", None), client)
    if compiled is None:
        return False
    client._serializer = _FastSerializer(client._serializer, compiled.plans)
    service_id = compiled.service_model.service_id.hyphenize()
    for operation, parse in compiled.deep.items():
        client.meta.events.register(
            f"before-parse.{service_id}.{operation}",
            _ParseHook(parse, compiled.shallow.get(operation, parse)),
            unique_id=f"ddbwrap-fast-parse-{operation}",
        )
    _cache_user_agent(client, service_id)
    return True


class Compiled:
    """What the fast path compiled from one client's service model: the request check and
    headers (``plans``) and the response fix-ups (``deep``; ``shallow`` for a body without
    binary values) of each data-plane operation. Shared by the fast path and the direct
    transport (``ddbwrap._engine.direct``), so both accept and produce exactly the same."""

    __slots__ = ("deep", "plans", "service_model", "shallow")

    def __init__(
        self,
        service_model: Any,
        plans: dict[str, _RequestPlan],
        deep: dict[str, Parse],
        shallow: dict[str, Parse],
    ) -> None:
        self.service_model = service_model
        self.plans = plans
        self.deep = deep
        self.shallow = shallow


def compile_service(service_model: Any, client: Any) -> Compiled | None:
    """The fast path's plans and parsers for ``client`` (None when it cannot vouch for them:
    another service or protocol, an unknown serializer, custom blob/timestamp parsers)."""
    if service_model is None or service_model.service_name != "dynamodb":
        return None
    if service_model.resolved_protocol != "json":
        return None
    serializer = getattr(client, "_serializer", None)
    if serializer is None:
        return None
    plans = _compile_requests(service_model)
    parsers = _compile_responses(service_model)
    if not plans or not parsers or not _FastSerializer(serializer, plans).self_check(service_model):
        return None
    endpoint = getattr(client, "_endpoint", None)
    factory = getattr(endpoint, "_response_parser_factory", None)
    if getattr(factory, "_defaults", None):  # custom blob/timestamp parsers: respect them
        return None
    shallow = _compile_responses(service_model, shallow=True)
    return Compiled(service_model, plans, parsers, shallow)


# --- the User-Agent header -------------------------------------------------------------------


def _cache_user_agent(client: Any, service_id: str) -> None:
    """Build botocore's User-Agent string once per set of feature ids, for ddbwrap's calls.

    botocore builds it twice per request (about 30 µs each, 20% of a GetItem): once with the
    request, once more right before sending (``request-created``) to add the feature ids the
    call registered. The string depends only on the client (fixed at its creation) and those
    ids, so it is cached by them. Other calls, and any client where this cannot be done
    exactly, keep botocore's own code.
    """
    creator = getattr(client, "_user_agent_creator", None)
    if creator is None or not hasattr(creator, "rebuild_and_replace_user_agent_handler"):
        return
    if not hasattr(creator, "_client_features"):
        return
    cache = _UserAgentCache(creator)
    token = _ACTIVE.set(True)
    try:
        if cache.to_string() != creator.to_string():
            return
    finally:
        _ACTIVE.reset(token)
    events = client.meta.events
    event = f"request-created.{service_id}"
    original = creator.rebuild_and_replace_user_agent_handler
    events.unregister(event, original)
    events.register_last(event, cache.rebuild_and_replace_user_agent_handler)
    client._user_agent_creator = cache


class _UserAgentCache:
    """Stands in for botocore's ``UserAgentString`` of one client (see ``_cache_user_agent``)."""

    _LIMIT = 64

    def __init__(self, creator: Any) -> None:
        self._creator = creator
        self._strings: dict[frozenset[str], str] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._creator, name)

    def to_string(self) -> str:
        creator = self._creator
        if not _ACTIVE.get():
            text: str = creator.to_string()
            return text
        from botocore.context import get_context

        context = get_context()
        features = frozenset(creator._client_features or ())
        if context is not None and context.features:
            features = features | frozenset(context.features)
        found = self._strings.get(features)
        if found is None:
            found = creator.to_string()
            if len(self._strings) < self._LIMIT:
                self._strings[features] = found
        return found

    def rebuild_and_replace_user_agent_handler(
        self, operation_name: Any = None, request: Any = None, **kwargs: Any
    ) -> None:
        if not _ACTIVE.get():
            self._creator.rebuild_and_replace_user_agent_handler(
                operation_name=operation_name, request=request, **kwargs
            )
            return
        ua_string = self.to_string()
        if request.headers.get("User-Agent"):
            request.headers.replace_header("User-Agent", ua_string)


# --- requests ----------------------------------------------------------------------------------

Check = Callable[[Any], bool]
"""True when a parameter is valid for its shape *and* ``json.dumps`` writes it as botocore would."""

_AV_MEMBERS = {
    "S": "string",
    "N": "string",
    "B": "blob",
    "SS": "list",
    "NS": "list",
    "BS": "list",
    "M": "map",
    "L": "list",
    "NULL": "boolean",
    "BOOL": "boolean",
}


def _standard_attribute_value(shape: Any) -> bool:
    """The AttributeValue shape as the hand-written functions below assume it."""
    if shape.type_name != "structure" or shape.metadata or shape.is_tagged_union:
        return False
    members = shape.members
    if {name: m.type_name for name, m in members.items()} != _AV_MEMBERS:
        return False
    key = members["M"].key
    return (
        all(not m.metadata and not m.serialization for m in members.values())
        and all(not members[name].member.metadata for name in ("SS", "NS", "BS", "L"))
        and _plain_key(key)
        and members["M"].value.name == "AttributeValue"
    )


def _plain_key(shape: Any) -> bool:
    """A string shape with nothing botocore checks but the type (it checks ``min``, not
    ``max``)."""
    return bool(
        shape.type_name == "string"
        and "min" not in shape.metadata
        and not shape.serialization.get("hostLabel")
    )


def _check_av(av: Any) -> bool:
    """One request AttributeValue: exactly one known tag with a value of the right type.

    Stricter than botocore (which takes an empty or multi-tag AttributeValue and leaves it to
    DynamoDB to refuse): such values go through botocore's path.
    """
    if type(av) is not dict or len(av) != 1:
        return False
    for tag, value in av.items():
        if tag == "S" or tag == "N":  # noqa: PLR1714
            return isinstance(value, str)
        if tag == "M":
            if not isinstance(value, dict):
                return False
            for key, inner in value.items():
                if not isinstance(key, str) or not _check_av(inner):
                    return False
            return True
        if tag == "L":
            if not isinstance(value, (list, tuple)):
                return False
            return all(_check_av(inner) for inner in value)
        if tag == "BOOL" or tag == "NULL":  # noqa: PLR1714
            return isinstance(value, bool)
        if tag == "SS" or tag == "NS":  # noqa: PLR1714
            return isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
        if tag == "B":
            return isinstance(value, (bytes, bytearray))
        if tag == "BS":
            return isinstance(value, (list, tuple)) and all(
                isinstance(v, (bytes, bytearray)) for v in value
            )
    return False


def _check_item(value: Any) -> bool:
    """A map of AttributeValues (an item, a key, ExpressionAttributeValues); an item the
    codec encoded is well-formed by construction."""
    if type(value) is EncodedItem:
        return True
    if not isinstance(value, dict):
        return False
    for key, av in value.items():
        if not isinstance(key, str):
            return False
        # the common scalar cases inline, the rest through _check_av
        if type(av) is dict and len(av) == 1:
            if "S" in av:
                if isinstance(av["S"], str):
                    continue
                return False
            if "N" in av:
                if isinstance(av["N"], str):
                    continue
                return False
        if not _check_av(av):
            return False
    return True


def _never(value: Any) -> bool:
    return False


def _compile_check(shape: Any, cache: dict[str, Check]) -> Check:  # noqa: PLR0915
    name = shape.name
    found = cache.get(name)
    if found is not None:
        return found
    if name == "AttributeValue" and _standard_attribute_value(shape):
        cache[name] = _check_av
        return _check_av
    kind = shape.type_name
    minimum = shape.metadata.get("min")
    if shape.serialization.get("hostLabel") and minimum is None:
        minimum = 1
    check: Check
    if kind == "structure":
        if shape.is_document_type or shape.is_tagged_union:
            cache[name] = _never
            return _never
        members: dict[str, Check] = {}
        required = tuple(shape.metadata.get("required", ()))

        def check_structure(value: Any) -> bool:
            if type(value) in _BUILT_WRITES:  # a batch write request the codec's item fills
                return True
            if not isinstance(value, dict):
                return False
            for key, member in value.items():
                member_check = members.get(key)
                if member_check is None or not member_check(member):
                    return False
            return all(r in value for r in required)

        cache[name] = check_structure  # before the members: shapes can be recursive
        for member_name, member in shape.members.items():
            if member.serialization.get("name", member_name) != member_name:
                cache[name] = _never
                return _never
            members[member_name] = _compile_check(member, cache)
        return check_structure
    if kind == "map":
        value_shape = shape.value
        if (
            value_shape.name == "AttributeValue"
            and _standard_attribute_value(value_shape)
            and _plain_key(shape.key)
        ):
            check = _check_item
        else:
            check_key = _compile_check(shape.key, cache)
            check_value = _compile_check(value_shape, cache)

            def check(value: Any) -> bool:
                if not isinstance(value, dict):
                    return False
                return all(check_key(k) and check_value(v) for k, v in value.items())

    elif kind == "list":
        check_member = _compile_check(shape.member, cache)
        low = 0 if minimum is None else minimum

        def check(value: Any) -> bool:
            if not isinstance(value, (list, tuple)) or len(value) < low:
                return False
            return all(map(check_member, value))

    elif kind == "string":
        if minimum:
            low_length = minimum

            def check(value: Any) -> bool:
                return isinstance(value, str) and len(value) >= low_length

        else:

            def check(value: Any) -> bool:
                return isinstance(value, str)

    elif kind in ("integer", "long"):
        low_value = float("-inf") if minimum is None else minimum

        def check(value: Any) -> bool:
            return isinstance(value, int) and value >= low_value

    elif kind == "boolean":

        def check(value: Any) -> bool:
            return isinstance(value, bool)

    elif kind == "blob":

        def check(value: Any) -> bool:
            return isinstance(value, (bytes, bytearray))

    else:  # timestamps, floats, documents...: botocore's serializer converts them
        check = _never
    cache[name] = check
    return check


def _b64(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).strip().decode("utf-8")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class SerializedWrite:
    """A batch put's WriteRequest already in its JSON wire form, made by the direct transport
    while the item's AttributeValues were fresh so that they are freed at once: a queued or
    sent write holds bytes, not thousands of dicts to walk and free after each wait. A leftover
    DynamoDB hands back (``UnprocessedItems``) equals the write of its key (a request never
    names a key twice)."""

    __slots__ = ("json", "key")

    def __init__(self, json: bytes, key: Mapping[str, Any]) -> None:
        self.json = json
        self.key = key

    def request(self) -> Params:
        """The WriteRequest as a dict again (what botocore, and people, read)."""
        request: Params = loads(self.json)
        return request

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SerializedWrite):
            return self.json == other.json
        if isinstance(other, Mapping):
            item = (other.get("PutRequest") or {}).get("Item")
            return isinstance(item, Mapping) and all(
                item.get(attribute) == value for attribute, value in self.key.items()
            )
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"SerializedWrite({len(self.json)} bytes)"


_BUILT_WRITES = (EncodedWrite, SerializedWrite)


def materialized(params: Params) -> Params:
    """``params`` of a BatchWriteItem with every ``SerializedWrite`` a dict again: for a call
    that goes through botocore after all (a handler, a value the direct transport refuses)."""
    tables = params.get("RequestItems")
    if not isinstance(tables, Mapping) or not any(
        type(write) is SerializedWrite for writes in tables.values() for write in writes
    ):
        return params
    return {
        **params,
        "RequestItems": {
            table: [w.request() if type(w) is SerializedWrite else w for w in writes]
            for table, writes in tables.items()
        },
    }


_dumps = json.JSONEncoder(default=_b64).encode
"""``json.dumps(value, default=_b64)`` without re-building the encoder on every call."""


class _RequestPlan:
    __slots__ = ("check", "headers")

    def __init__(self, check: Check, headers: dict[str, str]) -> None:
        self.check = check
        self.headers = headers


def _compile_requests(service_model: Any) -> dict[str, _RequestPlan]:
    metadata = service_model.metadata
    cache: dict[str, Check] = {}
    plans: dict[str, _RequestPlan] = {}
    if service_model.is_query_compatible:
        return plans
    for operation in OPERATIONS:
        model = service_model.operation_model(operation)
        shape = model.input_shape
        if shape is None or model.endpoint or model.http.get("method", "POST") != "POST":
            continue
        headers = {
            "X-Amz-Target": f"{metadata['targetPrefix']}.{operation}",
            "Content-Type": f"application/x-amz-json-{metadata['jsonVersion']}",
        }
        check = _compile_check(shape, cache)
        if check is not _never:
            plans[operation] = _RequestPlan(check, headers)
    return plans


class _FastSerializer:
    """Wraps the client's serializer: ddbwrap's checked requests are written with json.dumps.

    Anything else (the user's own calls, other operations, a request the compiled checks do not
    vouch for) goes to the wrapped serializer, validation included.
    """

    def __init__(self, wrapped: Any, plans: dict[str, _RequestPlan]) -> None:
        self._wrapped = wrapped
        self._plans = plans

    def serialize_to_request(self, parameters: Any, operation_model: Any) -> dict[str, Any]:
        if _ACTIVE.get():
            plan = self._plans.get(operation_model.name)
            if plan is not None and plan.check(parameters):
                try:
                    body = _dumps(parameters).encode("utf-8")
                except (TypeError, ValueError):
                    pass
                else:
                    return {
                        "url_path": "/",
                        "query_string": "",
                        "method": "POST",
                        "headers": dict(plan.headers),
                        "body": body,
                    }
        result: dict[str, Any] = self._wrapped.serialize_to_request(parameters, operation_model)
        return result

    def __getattr__(self, name: str) -> Any:  # anything else a caller may look for
        return getattr(self._wrapped, name)

    def self_check(self, service_model: Any) -> bool:
        """Both paths must write the same request for a sample of every operation."""
        import botocore.serialize

        reference: Any = botocore.serialize.create_serializer("json", include_validation=True)
        key = {"pk": {"S": "a"}, "sk": {"N": "1"}, "b": {"B": b"\x00\xff"}}
        item = {
            **key,
            "m": {"M": {"l": {"L": [{"BS": [b"x"]}, {"NULL": True}, {"SS": ["s"]}]}}},
            "f": {"BOOL": False},
            "ns": {"NS": ["1", "2.5"]},
        }
        samples: dict[str, dict[str, Any]] = {
            "GetItem": {"TableName": "t", "Key": key, "ConsistentRead": True},
            "PutItem": {
                "TableName": "t",
                "Item": item,
                "ConditionExpression": "attribute_not_exists(#p)",
                "ExpressionAttributeNames": {"#p": "pk"},
            },
            "Query": {
                "TableName": "t",
                "KeyConditionExpression": "#p = :v",
                "ExpressionAttributeNames": {"#p": "pk"},
                "ExpressionAttributeValues": {":v": {"B": b"k"}},
                "Limit": 10,
                "ExclusiveStartKey": key,
            },
            "BatchWriteItem": {
                "RequestItems": {
                    "t": [{"PutRequest": {"Item": item}}, {"DeleteRequest": {"Key": key}}]
                }
            },
        }
        token = _ACTIVE.set(True)
        try:
            for operation, params in samples.items():
                if operation not in self._plans:
                    continue
                model = service_model.operation_model(operation)
                if self.serialize_to_request(params, model) != reference.serialize_to_request(
                    params, model
                ):
                    return False
        finally:
            _ACTIVE.reset(token)
        return True


# --- responses ---------------------------------------------------------------------------------

Parse = Callable[[Any], Any]
"""Turns a ``json.loads`` value into what botocore's JSON parser makes of it for one shape."""

_b64decode = base64.b64decode
_PLAIN_SCALARS = frozenset({"S", "N", "BOOL", "NULL"})
_STRING_SETS = frozenset({"SS", "NS"})
_AV_ORDER = tuple(_AV_MEMBERS)


def _identity(value: Any) -> Any:
    return value


def _parse_av(av: Any) -> Any:
    """One AttributeValue as botocore parses it: B/BS base64-decoded, unknown tags and nulls
    dropped. Values that need nothing are returned as they are (``json.loads`` made them)."""
    if type(av) is dict and len(av) == 1:
        for tag, value in av.items():
            if value is None:
                break
            if tag in _PLAIN_SCALARS or (tag in _STRING_SETS and type(value) is list):
                return av
            if tag == "M":
                _parse_map(value)  # in place
                return av
            if tag == "L":
                return {"L": _parse_list(value)}
            if tag == "B":
                return {"B": _b64decode(value)}
            if tag == "BS":
                return {"BS": [None if v is None else _b64decode(v) for v in value]}
    return _parse_av_generic(av)


def _parse_av_generic(av: Any) -> Any:
    """botocore's structure parse of an AttributeValue, member by member (the rare cases)."""
    if av is None:
        return None
    out = {}
    for tag in _AV_ORDER:
        value = av.get(tag)
        if value is None:
            continue
        if tag == "M":
            out[tag] = _parse_map(value)
        elif tag == "L":
            out[tag] = _parse_list(value)
        elif tag == "B":
            out[tag] = _b64decode(value)
        elif tag == "BS":
            out[tag] = [None if v is None else _b64decode(v) for v in value]
        elif tag in ("SS", "NS"):
            out[tag] = list(value)
        else:
            out[tag] = value
    return out


def _parse_map(raw: Any) -> Any:
    """A map of AttributeValues (an item), fixed up in place."""
    for key, av in raw.items():
        # the common case inline: one S or N tag with a value
        if type(av) is dict and len(av) == 1 and (av.get("S") or av.get("N")) is not None:
            continue
        if av is not None:
            parsed = _parse_av(av)
            if parsed is not av:
                raw[key] = parsed
    return raw


def _parse_list(raw: Any) -> Any:
    # botocore's list handler indexes nothing: it iterates; a non-list fails there as here
    out = []
    for av in raw:
        out.append(None if av is None else _parse_av(av))
    return out


def _compile_parse(  # noqa: PLR0915 - one branch per shape type
    shape: Any, cache: dict[str, Parse | None], shallow: bool = False
) -> Parse | None:
    """The fix-up of one output shape; ``_identity`` when json.loads already gives botocore's
    result; None when the fast path cannot reproduce botocore (timestamps, unions...).

    ``shallow``: for a body without binary values, AttributeValues are taken as they are."""
    name = shape.name
    if name in cache:
        return cache[name]
    if name == "AttributeValue" and _standard_attribute_value(shape):
        found = _identity if shallow else _parse_av
        cache[name] = found
        return found
    kind = shape.type_name
    parse: Parse | None
    if kind == "structure":
        if shape.is_document_type or shape.is_tagged_union:
            cache[name] = None
            return None
        fields: list[tuple[str, str, Parse]] = []

        def parse_structure(value: Any) -> Any:
            if value is None:
                return None
            out = {}
            for member_name, json_name, parse_member in fields:
                raw = value.get(json_name)
                if raw is not None:
                    out[member_name] = parse_member(raw)
            return out

        cache[name] = parse_structure  # recursion
        for member_name, member in shape.members.items():
            member_parse = _compile_parse(member, cache, shallow)
            if member_parse is None:
                cache[name] = None
                return None
            fields.append(
                (member_name, member.serialization.get("name", member_name), member_parse)
            )
        return parse_structure
    if kind == "map":
        if shape.value.name == "AttributeValue" and _standard_attribute_value(shape.value):
            parse = _identity if shallow else _parse_map
        else:
            parse_key = _compile_parse(shape.key, cache, shallow)
            parse_value = _compile_parse(shape.value, cache, shallow)
            if parse_key is None or parse_value is None:
                parse = None
            elif parse_key is _identity and parse_value is _identity:
                parse = _identity
            else:
                key_fn, value_fn = parse_key, parse_value

                def parse(value: Any) -> Any:
                    return {key_fn(k): value_fn(v) for k, v in value.items()}

    elif kind == "list":
        parse_member = _compile_parse(shape.member, cache, shallow)
        if parse_member is None:
            parse = None
        elif parse_member is _identity:
            parse = _identity
        else:
            member_fn = parse_member

            def parse(value: Any) -> Any:
                return [None if v is None else member_fn(v) for v in value]

    elif kind == "blob":
        parse = _b64decode
    elif kind in ("string", "integer", "long", "boolean", "double", "float"):
        parse = _identity  # botocore's JSON parser passes them through
    else:  # timestamps and anything newer: leave the operation to botocore
        parse = None
    cache[name] = parse
    return parse


def _compile_responses(service_model: Any, *, shallow: bool = False) -> dict[str, Parse]:
    cache: dict[str, Parse | None] = {}
    parsers: dict[str, Parse] = {}
    for operation in OPERATIONS:
        model = service_model.operation_model(operation)
        shape = model.output_shape
        if shape is None or shape.event_stream_name or model.has_streaming_output:
            continue
        parse = _compile_parse(shape, cache, shallow)
        if parse is not None:
            parsers[operation] = parse
    return parsers


class _ParseHook:
    """``before-parse`` handler: a 2xx JSON body parsed here; botocore then sees an empty body
    and adds only its ``ResponseMetadata``."""

    __slots__ = ("_parse", "_shallow")

    def __init__(self, parse: Parse, shallow: Parse) -> None:
        self._parse = parse
        self._shallow = shallow

    def __call__(
        self,
        response_dict: dict[str, Any],
        customized_response_dict: dict[str, Any],
        **kwargs: Any,
    ) -> None:
        if not _ACTIVE.get():
            return
        status = response_dict.get("status_code")
        body = response_dict.get("body")
        if not (isinstance(status, int) and 200 <= status < 300) or type(body) is not bytes:
            return
        if not body:
            return
        try:
            parsed = parse_body(body, self._parse, self._shallow)
        except BODY_ERRORS:
            return  # not what DynamoDB sends: botocore parses it (and fails) as it would
        customized_response_dict.update(parsed)
        response_dict["body"] = b""


BODY_ERRORS = (ValueError, TypeError, AttributeError, KeyError, binascii.Error)
"""What ``parse_body`` raises for a body that is not a DynamoDB answer of its operation."""


def parse_body(body: bytes, deep: Parse, shallow: Parse) -> dict[str, Any]:
    """A 2xx JSON body as botocore's parser makes it (numbers stay strings, base64 ``B``/``BS``
    become bytes); raises one of ``BODY_ERRORS`` when it is not such an answer."""
    # Binary values (B, BS) arrive base64-encoded: only a body with such a tag needs the
    # AttributeValue walk (two memchr-speed scans, cheaper than the walk)
    parse = deep if b'"B"' in body or b'"BS"' in body else shallow
    parsed = gc_pause.read(body, lambda raw: parse(loads(raw)))
    if type(parsed) is not dict:
        raise TypeError("the body is not a JSON object")
    return parsed


def _json_loads(body: bytes) -> Any:
    return json.loads(body.decode("utf-8"))


def _dumps_bytes(value: Any) -> bytes:
    return _dumps(value).encode("utf-8")


# ``loads`` (a JSON body to Python values) and ``dumps`` (a request to its JSON body, bytes as
# base64): orjson when the optional extra ``ddbwrap[fast]`` installed it, else the stdlib. They
# give the same values; the bodies ``dumps`` writes differ only in spacing and escapes.
try:
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    loads: Callable[[bytes], Any] = _json_loads
    dumps: Callable[[Any], bytes] = _dumps_bytes

    def serialized_write(request: Params, key: Mapping[str, Any]) -> Params | SerializedWrite:
        """Without orjson (no ``Fragment`` to splice JSON into a body): the request as it is."""
        return request
else:
    loads = orjson.loads

    def dumps(value: Any) -> bytes:
        return orjson.dumps(value, default=_b64_or_serialized)

    _Fragment = orjson.Fragment

    def _b64_or_serialized(value: Any) -> Any:
        if type(value) is SerializedWrite:
            return _Fragment(value.json)
        return _b64(value)

    def serialized_write(request: Params, key: Mapping[str, Any]) -> Params | SerializedWrite:
        """A batch put's WriteRequest as JSON now (bytes as in ``dumps``), or as it is when it
        holds binary values (sent through ``dumps``'s base64 at send time)."""
        try:
            return SerializedWrite(orjson.dumps(request), key)
        except TypeError:
            return request
