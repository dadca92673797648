"""What the direct transports send and how they read the answer: pure, shared by sync and async.

The direct transports (``ddbwrap._engine.direct``, ``ddbwrap.aio.direct``) send ddbwrap's own
data-plane calls without botocore's per-call machinery. Everything here is taken **once** from
the user's botocore (or aiobotocore) client, so the request is the one botocore would send:

- the endpoint its endpoint ruleset resolves (a custom ``endpoint_url``,
  ``AWS_ENDPOINT_URL_DYNAMODB``, FIPS, dual-stack, account-based endpoints), and the signing
  region and name that come with it;
- its credentials *object* (refreshable credentials keep refreshing: the transports ask it for
  frozen credentials on every call), signed with ``ddbwrap._engine.sigv4``;
- its User-Agent string;
- the fast path's compiled request checks and response fix-ups (``ddbwrap.fastpath``): the
  same requests are accepted, the same values come back (numbers as strings, binary as bytes).

``Wire.request`` builds the headers and body of one call (pure: credentials and time are
arguments); ``Wire.response`` turns status, headers and body into the response or raises what
``BotocoreTransport`` raises for the same answer (error bodies are parsed by botocore's own
parser, then classified by the same functions). Only the I/O differs between the transports.

A call goes through botocore instead (``Wire.route`` says no) when the direct transport
could not reproduce what botocore would do with it; see ``DirectUnavailableError`` and ``Watch``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from botocore.auth import _host_from_url  # type: ignore[attr-defined]
from botocore.exceptions import ClientError
from botocore.handlers import add_recursion_detection_header
from botocore.parsers import create_parser

from .. import fastpath
from ..fastpath import BODY_ERRORS, Compiled, parse_body
from . import gc_pause
from .botocore import INVALID_JSON, body_problem, error_response, unreadable
from .faults import AttemptError
from .sigv4 import Signer
from .steps import Params

if TYPE_CHECKING:
    from .._page_decoder import BodyReader

__all__ = [
    "ENDPOINT_PROBE",
    "EVENTS",
    "TRUSTED_MODULES",
    "DirectUnavailableError",
    "Watch",
    "Wire",
    "configure",
    "raise_failure",
]

ENDPOINT_PROBE = "GetItem"
"""The operation whose endpoint is resolved once, with no parameters: DynamoDB's ruleset gives
every data-plane call the same one (a table ARN may change it: such calls go through botocore)."""

EVENTS = (
    "provide-client-params",
    "before-parameter-build",
    "before-endpoint-resolution",
    "before-call",
    "request-created",
    "choose-signer",
    "before-sign",
    "before-send",
    "needs-retry",
    "after-call",
    "after-call-error",
    "before-parse",
)
"""The events botocore emits while it makes a call: a handler on one of them that is not in
``TRUSTED_MODULES`` changes what botocore would do, so the direct transport steps aside."""

TRUSTED_MODULES = (
    "botocore.handlers",
    "botocore.discovery",
    "botocore.signers",
    "botocore.useragent",
    "botocore.retryhandler",
    "botocore.retries.",
    "aiobotocore.handlers",
    "aiobotocore.discovery",
    "aiobotocore.signers",
    "aiobotocore.useragent",
    "aiobotocore.retryhandler",
    "aiobotocore.retries.",
    "ddbwrap.",
)
"""Where the handlers botocore, aiobotocore and ddbwrap register themselves live (retries are
ddbwrap's own; the other built-ins do nothing to a DynamoDB data-plane call that the direct
transport does not do too). ``botocore.stub`` (``Stubber``) is not among them."""


class DirectUnavailableError(Exception):
    """The direct transport cannot reproduce this client's calls (the message says why)."""


class Watch:
    """Notices handlers registered on a client's events, now or later (thread-safe).

    botocore replaces its emitter's lookup cache on every (un)registration, so comparing that
    object is a cheap per-call test of "nothing changed"; only then are the handlers listed
    again. A handler from an untrusted module (your own, ``botocore.stub.Stubber``...) sends
    calls through botocore; moto's ``BotocoreStubber`` only while ``mock_aws`` is active (it
    is registered on every client made after moto is imported, and is inert otherwise).
    """

    __slots__ = ("_emitter", "_foreign", "_names", "_seen", "_switches")

    def __init__(self, events: Any, service_id: str, operations: tuple[str, ...]) -> None:
        self._emitter = getattr(events, "_emitter", events)
        self._names = tuple(
            f"{event}.{service_id}.{operation}" for event in EVENTS for operation in operations
        )
        self._seen: object = None
        self._foreign = ""
        self._switches: tuple[Any, ...] = ()
        self._scan()

    def _scan(self) -> None:
        self._seen = getattr(self._emitter, "_lookup_cache", None)
        foreign, switches = "", []
        handlers = getattr(self._emitter, "_handlers", None)
        if handlers is None:
            foreign = "its event emitter is not botocore's"
        else:
            for name in self._names:
                for handler in handlers.prefix_search(name):
                    module = _module(handler)
                    if module.startswith("moto.") and hasattr(handler, "enabled"):
                        switches.append(handler)
                    elif not module.startswith(TRUSTED_MODULES):
                        foreign = f"a handler from {module} is registered on {name}"
        self._switches = tuple(dict.fromkeys(switches))
        self._foreign = foreign

    def reason(self) -> str:
        """Why calls must go through botocore right now ("" when they need not)."""
        if getattr(self._emitter, "_lookup_cache", None) is not self._seen:
            self._scan()
        if self._foreign:
            return self._foreign
        for switch in self._switches:
            if switch.enabled:
                return "moto's mock is active"
        return ""


def _module(handler: Any) -> str:
    func = getattr(handler, "func", handler)  # functools.partial
    module = getattr(func, "__module__", None) or type(func).__module__
    return str(module)


class Wire:
    """The configuration of one client's direct calls (see the module docstring)."""

    __slots__ = (
        "_compiled",
        "_in_lambda",
        "_parser",
        "_targets",
        "credentials",
        "endpoint_url",
        "signer",
        "url",
        "user_agent",
        "watch",
    )

    def __init__(
        self,
        compiled: Compiled,
        *,
        url: str,
        endpoint_url: str,
        signer: Signer,
        credentials: Any,
        user_agent: str,
        watch: Watch,
    ) -> None:
        self._compiled = compiled
        self._parser = create_parser(compiled.service_model.resolved_protocol)
        self._targets = {
            operation: (plan.headers["X-Amz-Target"], plan.headers["Content-Type"])
            for operation, plan in compiled.plans.items()
        }
        self._in_lambda = "AWS_LAMBDA_FUNCTION_NAME" in os.environ  # botocore's test, once
        self.url = url
        self.endpoint_url = endpoint_url
        self.signer = signer
        self.credentials = credentials
        self.user_agent = user_agent
        self.watch = watch

    def route(self, operation: str, params: Params) -> bool:
        """Whether this call can be sent directly (else through botocore: another operation,
        a request the fast path's checks do not vouch for, a table ARN, a transaction without
        the ``ClientRequestToken`` botocore would generate, a handler)."""
        plan = self._compiled.plans.get(operation)
        if plan is None or not plan.check(params) or _names_arn(params):
            return False
        if operation == "TransactWriteItems" and "ClientRequestToken" not in params:
            return False
        return not self.watch.reason()

    def request(
        self, operation: str, params: Params, credentials: Any, date: str
    ) -> tuple[dict[str, str], bytes]:
        """The headers and body of one call, signed with frozen ``credentials`` at ``date``
        (``X-Amz-Date``)."""
        body = fastpath.dumps(params)
        target, content_type = self._targets[operation]
        token = credentials.token
        headers = {
            "Host": self.signer.host,
            "X-Amz-Date": date,
            "X-Amz-Target": target,
            "Content-Type": content_type,
            "User-Agent": self.user_agent,
            "Content-Length": str(len(body)),
            "Authorization": self.signer.authorization(
                access_key=credentials.access_key,
                secret_key=credentials.secret_key,
                token=token,
                date=date,
                target=target,
                content_type=content_type,
                body=body,
            ),
        }
        if token:
            headers["X-Amz-Security-Token"] = token
        if self._in_lambda:  # the trace id changes per invocation: read it per call
            add_recursion_detection_header({"headers": headers})
        return headers, body

    def response(
        self,
        operation: str,
        params: Params,
        status: int,
        lowered: dict[str, str],
        body: bytes,
        items: BodyReader | None = None,
    ) -> Params:
        """The response to one call (``lowered``: the answer's headers by lowercase name, as
        ``http1.AnswerParser`` reads them), or the failure ``BotocoreTransport`` raises for the
        same answer: ``AttemptError`` (throttling, 5xx, an unreadable 2xx) or a
        ``DdbwrapError``. ``items`` reads a Query, Scan or BatchGetItem body's items straight
        into models (``steps.Call``) unless it declines the body."""
        if status >= 300:
            raise_failure(self.error(operation, params, status, lowered, body))
        problem = body_problem(body, lowered)
        if problem:
            raise_failure(unreadable(operation, params, problem))
        parsed = None if items is None else self._read(operation, body, items)
        if parsed is None:
            parsed = self._parsed(operation, params, body)
        metadata: dict[str, Any] = {"HTTPStatusCode": status, "HTTPHeaders": lowered}
        request_id = lowered.get("x-amzn-requestid")
        if request_id is not None:
            metadata["RequestId"] = request_id
        metadata["RetryAttempts"] = 0
        parsed["ResponseMetadata"] = metadata
        return parsed

    def _read(self, operation: str, body: bytes, items: BodyReader) -> Params | None:
        """A body read by ``items`` (its items decoded as models), the rest (a few small
        members) parsed as ``parse_body`` parses them; None when the reader declines the
        body."""
        read = gc_pause.read(body, items)
        if read is None:
            return None
        rest, decoded = read
        try:
            parsed: Params = self._compiled.deep[operation](rest)
        except BODY_ERRORS:
            return None
        parsed.update(decoded)
        return parsed

    def _parsed(self, operation: str, params: Params, body: bytes) -> Params:
        """A 2xx body parsed as botocore parses it, or the failure of an unreadable one."""
        try:
            return parse_body(
                body, self._compiled.deep[operation], self._compiled.shallow[operation]
            )
        except BODY_ERRORS:
            raise_failure(unreadable(operation, params, INVALID_JSON))

    def error(
        self, operation: str, params: Params, status: int, headers: dict[str, str], body: bytes
    ) -> Exception:
        """An error answer (``headers`` lower-cased) as botocore parses it (code, message,
        modeled fields such as ``CancellationReasons``, the request id), classified by
        ``error_response``."""
        answer = {"status_code": status, "headers": headers, "body": body}
        model = self._compiled.service_model.operation_model(operation)
        parsed = self._parser.parse(answer, model.output_shape)
        code = parsed.get("Error", {}).get("Code")
        shape = self._compiled.service_model.shape_for_error_code(code) if code else None
        if shape is not None:
            parsed.update(self._parser.parse(answer, shape))
        failure = ClientError(parsed, operation)
        return error_response(operation, params, failure, status=status, endpoint=self.endpoint_url)


def raise_failure(failure: Exception) -> NoReturn:
    """Raise a classified failure as ``BotocoreTransport`` does: chained to its cause."""
    error = failure.error if isinstance(failure, AttemptError) else failure
    raise failure from error.__cause__


def _names_arn(params: Params) -> bool:
    """Whether a table is named by ARN (its endpoint may differ: botocore resolves it)."""
    table = params.get("TableName")
    if table is not None:
        return str(table).startswith("arn:")
    items = params.get("RequestItems")
    if items is not None:
        return any(str(name).startswith("arn:") for name in items)
    for action in params.get("TransactItems", ()):
        for spec in action.values():
            if str(spec.get("TableName", "")).startswith("arn:"):
                return True
    return False


def configure(
    client: Any, url: str, extra_headers: Mapping[str, Any], context: Mapping[str, Any]
) -> Wire:
    """The ``Wire`` of a botocore or aiobotocore DynamoDB client; raises
    ``DirectUnavailableError`` when its calls cannot be reproduced. ``url``, ``extra_headers``
    and ``context`` are what the client's endpoint ruleset resolved for a data-plane call
    (``_resolve_endpoint_ruleset`` of ``ENDPOINT_PROBE``, ``context`` as it filled it in)."""
    meta = client.meta
    compiled = fastpath.compile_service(meta.service_model, client)
    if compiled is None:
        raise DirectUnavailableError(
            "the fast path's request checks and parsers do not apply to this client"
        )
    signer = getattr(client, "_request_signer", None)
    credentials = getattr(signer, "_credentials", None)
    if credentials is None:
        raise DirectUnavailableError("the client has no credentials (botocore reports that)")
    signing = dict(context.get("signing") or {})
    auth_type = context.get("auth_type") or getattr(signer, "_signature_version", None)
    if auth_type != "v4" or getattr(meta.config, "signature_version", None) not in (None, "v4"):
        raise DirectUnavailableError(f"the client signs with {auth_type!r}, not SigV4")
    if extra_headers:
        raise DirectUnavailableError("the endpoint ruleset adds headers")
    scheme, _, rest = url.partition("://")
    if scheme not in ("http", "https") or "/" in rest.rstrip("/") or "?" in rest:
        raise DirectUnavailableError(f"the endpoint {url!r} has a path or query")
    region = signing.get("region") or getattr(signer, "_region_name", None)
    service = signing.get("signing_name") or getattr(signer, "_signing_name", None)
    if not region or not service:
        raise DirectUnavailableError("no signing region or name")
    service_id = meta.service_model.service_id.hyphenize()
    return Wire(
        compiled,
        url=url.rstrip("/") + "/",
        endpoint_url=str(meta.endpoint_url),
        signer=Signer(_host_from_url(url), str(region), str(service)),
        credentials=credentials,
        user_agent=str(client._user_agent_creator.to_string()),
        watch=Watch(meta.events, service_id, tuple(compiled.plans)),
    )
