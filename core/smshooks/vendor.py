"""The vendor adapter contract: what a plugin implements, what it receives, what it raises.

Nothing here touches Flask: a plugin's adapter is tested alone by building a
:class:`WebhookRequest` by hand (or with :func:`smshooks.testing.form_request`
and friends).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Protocol
from urllib.parse import parse_qs, urlsplit

import marshmallow
import phonenumbers
import requests

from smshooks.events import Event, OutboundMessage, Status
from smshooks.targets import TargetRefused

__all__ = [
    "DEFAULT_MAX_EVENTS_PER_REQUEST",
    "MAX_JSON_DEPTH",
    "MAX_JSON_NUMBER_LENGTH",
    "TARGET_REFUSED",
    "HttpSession",
    "MemoryReplayGuard",
    "PayloadError",
    "ReplayGuard",
    "SendError",
    "SignatureError",
    "TooManyEvents",
    "Vendor",
    "VendorError",
    "WebhookRequest",
    "WebhookResponse",
    "is_retryable_status",
    "parse_json",
    "retry_after_seconds",
    "secret_field",
    "target_url_field",
    "to_e164",
    "vendor_request",
]


#: the host's cap on the events of one webhook request (``SMSHOOKS_MAX_EVENTS_PER_REQUEST``)
DEFAULT_MAX_EVENTS_PER_REQUEST = 1000


class VendorError(Exception):
    """Base of the errors a vendor adapter raises."""


class SignatureError(VendorError):
    """The request could not be proven to come from the vendor (answered 403)."""


class PayloadError(VendorError):
    """The request body is not a payload this vendor sends (answered 400)."""


class TooManyEvents(PayloadError):
    """A request carries more events than its vendor sends in one request, or the host takes (answered 413).

    The host raises it after :meth:`Vendor.parse`; a plugin may raise it
    itself as soon as it has counted a batch, before building its events.
    """

    def __init__(self, count: int | None, limit: int):
        carries = f"{count} events" if count is not None else f"more than {limit} events"
        super().__init__(f"the request carries {carries}; at most {limit} are taken per request")
        #: how many events the request carries; None when counting stopped past the limit
        self.count = count
        self.limit = limit


class SendError(VendorError):
    """A send through the vendor's API failed.

    ``retryable`` says whether the same request may succeed later (rate limit,
    vendor outage, timeout) or never will (bad number, opted out, bad auth).
    """

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        code: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.code = code
        self.status = status
        #: seconds the vendor asked us to wait (``Retry-After``), when it said
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"SendError({self.reason!r}, retryable={self.retryable}, code={self.code!r}, status={self.status!r})"


class ReplayGuard(Protocol):
    """Remembers one-time values (signature nonces) so a captured request cannot be replayed.

    The host hands a database-backed guard to every request, shared by all
    processes; tests get :class:`MemoryReplayGuard`.
    """

    def first_use(self, key: str, ttl: timedelta) -> bool:
        """True the first time ``key`` is seen within ``ttl``; False for a replay."""
        ...


class MemoryReplayGuard:
    """A process-local :class:`ReplayGuard` (for tests and single-process tools)."""

    def __init__(self) -> None:
        self._seen: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def first_use(self, key: str, ttl: timedelta) -> bool:
        now = datetime.now(UTC)
        with self._lock:
            expires = self._seen.get(key)
            if expires is not None and expires > now:
                return False
            self._seen[key] = now + ttl
            return True


@dataclass(frozen=True)
class WebhookRequest:
    """An HTTP request as the vendor made it, independent of any web framework.

    ``url`` is the public URL the vendor called (scheme, host, port, path and
    query exactly as configured at the vendor), which signature schemes sign.
    ``form`` keeps every value of a repeated field, in arrival order.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""
    form: Mapping[str, list[str]] = field(default_factory=dict)
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: where a vendor's verify() records nonces it accepted (see ReplayGuard)
    replay_guard: ReplayGuard = field(default_factory=MemoryReplayGuard, compare=False, repr=False)
    #: the webhook's credential, for vendors whose formats are configured there
    #: (the Custom vendor's payload mappings); the same values verify() gets
    credentials: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def header(self, name: str) -> str | None:
        """A header's value, looked up case-insensitively."""
        lower = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lower:
                return value
        return None

    @property
    def query(self) -> dict[str, list[str]]:
        """The URL's query parameters, every value kept."""
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    def params(self) -> dict[str, str]:
        """Form (or, for GET, query) parameters with the first value of each."""
        source = self.form if self.form else (self.query if self.method.upper() == "GET" else {})
        return {name: values[0] for name, values in source.items() if values}

    def json(self) -> Any:
        """The body parsed by :func:`parse_json`: the one JSON parser for vendor bodies.

        A :class:`PayloadError` (answered 400) when the body is not JSON, is not
        UTF-8/16/32 text, nests deeper than :data:`MAX_JSON_DEPTH`, holds a number
        literal longer than :data:`MAX_JSON_NUMBER_LENGTH` characters, ``NaN`` or
        ``Infinity``, or a number too large for a float (``1e999999``). Plugins
        call this instead of ``json.loads`` so every vendor refuses the same
        hostile bodies the same way, before any of their code sees them.
        """
        return parse_json(self.body)


#: the deepest nesting of arrays and objects a vendor body may have; real payloads
#: nest a handful of levels (Sinch: statuses[].recipients[] is 3)
MAX_JSON_DEPTH = 64
#: the longest number literal a vendor body may hold; ids longer than this come as
#: strings, and Python refuses integers over 4300 digits with a ValueError anyway
MAX_JSON_NUMBER_LENGTH = 100

# A string literal, escapes included (the unrolled form, which the regex engine
# runs at C speed); an unterminated one runs to the end of the text, so that no
# escaped quote inside it starts another match (which would be quadratic).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*+(?:"|\\?\Z)', re.DOTALL)
# A run of number characters too long to be a number we take.
_LONG_NUMBER = re.compile(rf"[-+.0-9eE]{{{MAX_JSON_NUMBER_LENGTH + 1},}}")
# Anything that is not a bracket.
_NOT_BRACKET = re.compile(r"[^][{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def parse_json(body: bytes | str) -> Any:
    """``body`` parsed as JSON, with the bounds of :meth:`WebhookRequest.json`.

    The bounds are checked on the text before it is parsed, by regular
    expressions over the body with its string literals blanked out: linear
    in the body's size, so 100,000 ``[`` never reach the recursive decoder and
    a 5,000-digit integer never reaches ``int()`` (whose conversion is
    quadratic and refuses more than 4,300 digits with a ``ValueError``).
    """
    try:
        text = body if isinstance(body, str) else body.decode(json.detect_encoding(body))
    except UnicodeDecodeError as exc:
        raise PayloadError(f"body is not valid JSON: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    _check_json_bounds(text)
    try:
        return json.loads(text, parse_float=_json_float, parse_constant=_json_constant)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"body is not valid JSON: {exc}") from None
    except RecursionError:  # only if our caller's stack is already deep
        raise PayloadError(f"body is not valid JSON: nested deeper than {MAX_JSON_DEPTH} levels") from None


def _check_json_bounds(text: str) -> None:
    deep = text.count("[") + text.count("{") > MAX_JSON_DEPTH
    if not deep and not _LONG_NUMBER.search(text):
        return  # the common small body: nothing could be out of bounds
    structure = _JSON_STRING.sub('""', text)
    number = _LONG_NUMBER.search(structure)
    if number:
        raise PayloadError(
            f"body is not valid JSON: a number of {len(number.group())} characters (at most {MAX_JSON_NUMBER_LENGTH})"
        )
    if deep:
        brackets = _NOT_BRACKET.sub("", structure)
        if max(itertools.accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0) > MAX_JSON_DEPTH:
            raise PayloadError(f"body is not valid JSON: nested deeper than {MAX_JSON_DEPTH} levels")


def _json_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise PayloadError(f"body is not valid JSON: the number {literal} is too large")
    return value


def _json_constant(name: str) -> Any:
    # json.loads takes NaN, Infinity and -Infinity, which are not JSON (RFC 8259)
    # and which PostgreSQL's JSON columns refuse.
    raise PayloadError(f"body is not valid JSON: {name} is not a JSON value")


@dataclass(frozen=True)
class WebhookResponse:
    """The HTTP answer a vendor expects once its request was handled."""

    status: int = 200
    body: str = ""
    content_type: str = "text/plain; charset=utf-8"


class HttpSession(requests.Session):
    """A requests session whose calls time out by default.

    The host hands one to :meth:`Vendor.send`; a vendor API that hangs must
    never hold a worker forever. The host's session also refuses (a
    ``requests.ConnectionError`` with the message ``target refused: not a
    public https address``) any request that is not HTTPS to a public address,
    unless ``SMSHOOKS_ALLOW_PRIVATE_TARGETS`` is set; such a send ends as an
    error with that message, whatever :class:`SendError` the plugin raises.
    """

    def __init__(self, timeout: float | tuple[float, float] = (5.0, 30.0)):
        super().__init__()
        self.default_timeout = timeout

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, **kwargs)


# -- calling a vendor's API: the failures every send shares ----------------------

#: 4xx answers after which the same request may succeed later: 408 Request
#: Timeout and 429 Too Many Requests (every 5xx may too)
_RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})
#: the ``SendError.code`` of a send whose URL the host refused (not HTTPS to a public address)
TARGET_REFUSED = "target_refused"
#: transport failures after which the same request may succeed later
_RETRYABLE_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def vendor_request(http: requests.Session, method: str, url: str, *, vendor: str, **kwargs: Any) -> requests.Response:
    """``http.request(method, url, **kwargs)`` for a send, with a failed transport raised as :class:`SendError`.

    Every HTTP answer is returned, whatever its status: judge an error answer
    with :func:`is_retryable_status` and :func:`retry_after_seconds`.
    Redirects are not followed unless ``allow_redirects`` says otherwise, because
    requests would repeat a POST as a GET. The timeout is the session's
    (:class:`HttpSession`).

    A connection error, a timeout or a body cut short is a retryable
    ``SendError``: a read timeout may follow a request the vendor did accept,
    and sending a message twice beats never sending it. Any other requests
    error (an invalid URL, a bad header value) is not retryable. ``vendor``
    names the far end in the reason: ``"Twilio API"`` gives ``"Twilio API
    unreachable: ConnectTimeout: ..."`` or ``"Twilio API request failed: ..."``.
    """
    kwargs.setdefault("allow_redirects", False)
    try:
        return http.request(method, url, **kwargs)
    except TargetRefused as exc:  # the host's session would not connect there; it never will
        raise SendError(str(exc), retryable=False, code=TARGET_REFUSED) from exc
    except _RETRYABLE_TRANSPORT_ERRORS as exc:
        raise SendError(f"{vendor} unreachable: {type(exc).__name__}: {exc}", retryable=True) from exc
    except requests.RequestException as exc:
        raise SendError(f"{vendor} request failed: {type(exc).__name__}: {exc}", retryable=False) from exc


def is_retryable_status(status: int) -> bool:
    """Whether a vendor API's error answer with HTTP ``status`` may succeed when
    the same request is sent later: every 5xx (the vendor's outage), 408 (request
    timeout) and 429 (rate limited). Any other 4xx fails the same way again."""
    return status >= 500 or status in _RETRYABLE_CLIENT_ERRORS


def retry_after_seconds(value: requests.Response | str | None, now: datetime | None = None) -> float | None:
    """The seconds a vendor asked to wait, from its ``Retry-After`` header (or the response carrying it).

    The header holds a delay in seconds (``"120"``; a fraction such as ``"1.5"``
    is taken too) or an HTTP date (``"Wed, 21 Oct 2015 07:28:00 GMT"``, a date
    without a zone being GMT), counted from ``now`` (timezone-aware; default: the
    current time). A date already past, or a negative delay, means at once:
    ``0.0``. ``None`` when the header is absent, blank, neither form, or not a
    finite number (``"inf"``, ``"nan"``, more digits than a float holds). A huge
    finite value is returned as it is: the worker decides what it honours.
    """
    if isinstance(value, requests.Response):
        value = value.headers.get("Retry-After")
    text = (value or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP date is GMT
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def secret_field(**kwargs: Any) -> marshmallow.fields.String:
    """A credential field holding a secret: encrypted at rest, never returned by the API."""
    metadata = {"secret": True, **kwargs.pop("metadata", {})}
    return marshmallow.fields.String(metadata=metadata, **kwargs)


def target_url_field(**kwargs: Any) -> marshmallow.fields.Url:
    """A credential field holding a URL smshooks will call (an API base URL, a token URL).

    The host checks every such field when a credential is saved: unless
    ``SMSHOOKS_ALLOW_PRIVATE_TARGETS`` is set, only HTTPS to public addresses
    is accepted (422 naming the field), and the session :meth:`Vendor.send`
    gets refuses to connect anywhere else. The schema itself accepts http(s)
    to any host, so a plugin's own tests can point it at a local fake API.
    """
    metadata = {"target": True, **kwargs.pop("metadata", {})}
    kwargs.setdefault("require_tld", False)
    kwargs.setdefault("schemes", {"http", "https"})
    return marshmallow.fields.Url(metadata=metadata, **kwargs)


class Vendor:
    """Base class of a vendor adapter. Subclasses set the class attributes and methods.

    ``status_map`` maps each documented vendor status string to a common
    :class:`~smshooks.events.Status`; :meth:`map_status` answers ``unknown``
    for anything else, so an undocumented status is stored, never refused.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    credentials_schema: ClassVar[type[marshmallow.Schema]]
    status_map: ClassVar[Mapping[str, Status]] = {}
    #: vendor statuses after which no further report is expected
    final_statuses: ClassVar[frozenset[str]] = frozenset()
    #: the most events one webhook request of this vendor can carry: the batch
    #: size the vendor documents (cite the source where you set it). The host
    #: answers 413 to a request whose parse yields more, and also applies its
    #: own cap (``SMSHOOKS_MAX_EVENTS_PER_REQUEST``), whichever is lower. The
    #: default is that cap's default, so a plugin written before this attribute
    #: existed keeps working; a vendor posting one event per request sets 1.
    max_events_per_request: ClassVar[int] = DEFAULT_MAX_EVENTS_PER_REQUEST

    def verify(self, request: WebhookRequest, credentials: Mapping[str, Any]) -> None:
        """Prove ``request`` came from the vendor, or raise :class:`SignatureError`.

        Fails closed: when the credential configures a secret, a request
        without the matching proof is refused.
        """
        raise NotImplementedError

    def parse(self, request: WebhookRequest) -> list[Event]:
        """The inbound messages and delivery reports the request carries.

        Raises :class:`PayloadError` for a body this vendor would never send.
        """
        raise NotImplementedError

    def acknowledge(self, replies: Sequence[str]) -> WebhookResponse:
        """The answer the vendor expects; ``replies`` are texts to send back inline
        where the vendor supports it. The default is an empty 200."""
        return WebhookResponse()

    def replies_inline(self, credentials: Mapping[str, Any]) -> bool:
        """True when replies to an inbound message go back in :meth:`acknowledge`'s
        answer (Twilio TwiML) instead of through :meth:`send`. Default: no."""
        return False

    def send(self, message: OutboundMessage, credentials: Mapping[str, Any], http: requests.Session) -> str:
        """Send one SMS through the vendor's API and return the vendor's message id.

        Raises :class:`SendError`, retryable or not, when the vendor refuses.
        """
        raise NotImplementedError

    def preview_send(self, message: OutboundMessage, credentials: Mapping[str, Any]) -> Mapping[str, Any]:
        """What :meth:`send` would put on the wire, without sending: ``{"method",
        "url", "headers", "body"}`` with secrets masked. For vendors whose request
        is configured (a payload template); raise :class:`PayloadError` with the
        reason when it cannot be rendered. Others need not implement it."""
        raise NotImplementedError

    def map_status(self, vendor_status: str) -> Status:
        """The common status for a vendor status string (``unknown`` when undocumented)."""
        return self.status_map.get(vendor_status, Status.UNKNOWN)

    def secret_fields(self) -> frozenset[str]:
        """Names of the credential fields that hold secrets."""
        schema = self.credentials_schema()
        return frozenset(name for name, fld in schema.fields.items() if fld.metadata.get("secret"))

    def target_fields(self) -> frozenset[str]:
        """Names of the credential fields holding URLs smshooks calls (:func:`target_url_field`)."""
        schema = self.credentials_schema()
        return frozenset(name for name, fld in schema.fields.items() if fld.metadata.get("target"))


def to_e164(number: str, default_region: str | None = None) -> str:
    """A phone number in E.164 (``+14155550123``) where it is one.

    Vendors write numbers with or without ``+`` (Infobip: ``385916242493``),
    with spaces, or with a channel prefix (``sms:``). Values that are not
    phone numbers — alphanumeric sender ids, short codes — come back
    stripped but otherwise unchanged, because they are still the address
    the vendor routes on.
    """
    value = number.strip()
    if ":" in value and not value.startswith("+"):
        value = value.split(":", 1)[1].strip()
    digits = "".join(ch for ch in value if ch.isdigit())
    if not digits or any(ch.isalpha() for ch in value):
        return value
    candidate = value if value.startswith("+") else None
    if candidate is None and len(digits) > 6:
        candidate = "+" + digits
    if candidate is None:
        return digits  # a short code
    try:
        parsed = phonenumbers.parse(candidate, default_region)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(parsed):
        return value if value.startswith("+") else digits
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
