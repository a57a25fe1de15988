"""Keeping secrets out of the call log: every secret value masked wherever it appears.

As courier's channel logs do, the redaction is by value, not by place: the
secret values of the opened credential (and what the calls themselves reveal:
the credential part of each auth header, a token a token URL answered with)
are replaced by :data:`MASK` in the URL, the request and response excerpts and
the error text, in the forms a request carries them (as they are, percent- and
form-encoded, JSON-escaped). Query parameters whose names say secret (``key``,
``token``, ``signature`` …) are masked whatever their value.

Excerpts are redacted *before* they are cut to :data:`EXCERPT_LIMIT`, so a cut
never leaves the start of a secret behind.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote_plus, urlencode, urlsplit, urlunsplit

from smshooks.credentials.fields import MASK

__all__ = ["EXCERPT_LIMIT", "MASK", "Redactor", "secret_values"]

#: the longest excerpt of a request or response body kept, marker included (characters)
EXCERPT_LIMIT = 2048
#: how much of a body is read for redaction at most: a 10 MB answer is not scanned whole
SCAN_LIMIT = 64 * 1024
#: the longest error text kept
ERROR_LIMIT = 500

#: a credential field holding a secret, whatever its schema says (a plugin may forget secret_field)
_SECRET_NAME = re.compile(r"(secret|token|password|passwd|key)$", re.IGNORECASE)
_SECRET_WORDS = (
    "key|apikey|api_key|token|secret|password|passwd|pwd|pass|signature|sig|auth|authorization|"
    "access_token|refresh_token|id_token|client_secret|credential|credentials|session"
)
#: a query parameter or JSON / form key whose value is a secret
_SECRET_KEY = re.compile(rf"(^|[_-])({_SECRET_WORDS})$", re.IGNORECASE)
#: some word a secret key ends with (each of _SECRET_WORDS holds one): a text without any has no such key
_A_SECRET_WORD = re.compile(r"key|token|secret|pass|pwd|sig|auth|credential|session", re.IGNORECASE)


def _has_no_secret_key(text: str) -> bool:
    """Whether no key of the JSON ``text`` can be secret-named, seen on its raw text: without
    backslash escapes its keys are substrings of it (most vendors' answers: parsing them to find
    no such key was most of a call log's cost)."""
    return "\\" not in text and _A_SECRET_WORD.search(text) is None


#: such a parameter inside a text (an error quoting the URL, a body echoing one)
_SECRET_PARAM = re.compile(rf"([?&](?:[\w.]*[_-])?(?:{_SECRET_WORDS})=)[^&\s\"'<>)#]+", re.IGNORECASE)
#: request headers whose values are never secrets (the others are learned as secrets)
_HARMLESS_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "connection",
        "content-length",
        "content-type",
        "host",
        "user-agent",
        "date",
    }
)
#: a value the calls reveal is learned from this length (short values are flags such as "none", not secrets)
_MIN_LEARNED = 8
_AUTH_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
_MAX_JSON_DEPTH = 20


def secret_values(secret_names: Iterable[str], credentials: Mapping[str, Any]) -> list[str]:
    """The values to mask of an opened credential: its secret fields, and any field named like one."""
    names = set(secret_names) | {name for name in credentials if _SECRET_NAME.search(name)}
    values = []
    for name in names:
        value = credentials.get(name)
        if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value):
            values.append(str(value))
    return values


class Redactor:
    """Masks a growing set of secret values (one per message's send)."""

    def __init__(self, secrets: Iterable[str] = ()):
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Mask ``secrets`` too, in every form a request may carry them."""
        before = len(self._values)
        for secret in secrets:
            if secret and secret != MASK:
                self._values.update(_forms(secret))
        if len(self._values) != before:
            self._pattern = None

    def learn_request(self, headers: Mapping[str, str], body: str) -> None:
        """The secrets a request shows: the auth headers' credentials, other header values, secret-named fields."""
        found: list[str] = []
        for name, value in headers.items():
            lowered = name.lower()
            if lowered in _HARMLESS_HEADERS or not value:
                continue
            if lowered in _AUTH_HEADERS or _SECRET_KEY.search(lowered) or len(value) >= _MIN_LEARNED:
                found.extend(_header_secrets(value))
        found.extend(_named_secrets(body))
        self.add(value for value in found if len(value) >= _MIN_LEARNED)

    def learn_response(self, body: str) -> None:
        """Secrets an answer hands out (an OAuth2 ``access_token``, a session key …)."""
        self.add(value for value in _named_secrets(body) if len(value) >= _MIN_LEARNED)

    def text(self, value: str) -> str:
        """``value`` with every known secret masked."""
        if not value:
            return value
        pattern = self._compiled()
        value = pattern.sub(MASK, value) if pattern is not None else value
        return _SECRET_PARAM.sub(lambda match: match.group(1) + MASK, value)

    def url(self, url: str) -> str:
        """A URL fit to store: no userinfo password, secret-named query values and known secrets masked."""
        try:
            parts = urlsplit(url)
            netloc = parts.netloc
            if "@" in netloc:
                userinfo, host = netloc.rsplit("@", 1)
                user = userinfo.split(":", 1)[0]
                netloc = f"{user}:{MASK}@{host}" if ":" in userinfo else f"{MASK}@{host}"
            query = parts.query
            if query:
                pairs = parse_qsl(query, keep_blank_values=True)
                if any(_SECRET_KEY.search(key) for key, _ in pairs):
                    masked = [(key, MASK if _SECRET_KEY.search(key) else value) for key, value in pairs]
                    query = urlencode(masked, safe="*")
            url = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
        except ValueError:
            pass  # not a URL requests could send anyway: masked as text below
        return self.bounded(self.text(url), ERROR_LIMIT * 4)

    def excerpt(self, head: bytes | str, size: int | None = None) -> str:
        """At most :data:`EXCERPT_LIMIT` characters of a body, redacted first, with a marker when cut.

        ``head``: the body, or its first :data:`SCAN_LIMIT` bytes; ``size``: the whole body's bytes."""
        if isinstance(head, str):
            head = head.encode("utf-8")
        size = len(head) if size is None else size
        cut = size > SCAN_LIMIT or len(head) > SCAN_LIMIT
        text = self.text(head[:SCAN_LIMIT].decode("utf-8", errors="replace"))
        if cut:
            text = self._without_partial_secret(text)
        return self.bounded(text, EXCERPT_LIMIT, size, cut=cut)

    def error(self, exc: BaseException) -> str:
        return self.bounded(self.text(f"{type(exc).__name__}: {exc}"), ERROR_LIMIT)

    @staticmethod
    def bounded(text: str, limit: int, size: int | None = None, *, cut: bool = False) -> str:
        """``text`` if it fits in ``limit`` characters, else its start and a marker (``size``: the whole in bytes)."""
        if len(text) <= limit and not cut:
            return text
        whole = size if size is not None else len(text.encode("utf-8"))
        marker = f"… [truncated; {whole} bytes in all]"
        return text[: limit - len(marker)] + marker

    def _compiled(self) -> re.Pattern[str] | None:
        if self._pattern is None and self._values:
            self._pattern = _pattern(frozenset(self._values))
        return self._pattern

    def _without_partial_secret(self, text: str) -> str:
        """``text`` (a body cut at SCAN_LIMIT) without a trailing start of a secret the cut split."""
        for value in sorted(self._values, key=len, reverse=True):
            for length in range(min(len(value) - 1, len(text)), 0, -1):
                if text.endswith(value[:length]):
                    return text[:-length]
        return text


# Both memoized: a credential's sends redact the same values send after send (in memory only,
# as the config cache keeps the opened credential; bounded, the oldest forgotten first).
@functools.lru_cache(maxsize=256)
def _pattern(values: frozenset[str]) -> re.Pattern[str]:
    # Longest first: a form that contains another is masked whole.
    ordered = sorted(values, key=len, reverse=True)
    return re.compile("|".join(re.escape(value) for value in ordered))


@functools.lru_cache(maxsize=4096)
@functools.lru_cache(maxsize=4096)
def _forms(secret: str) -> frozenset[str]:
    """How a request may carry ``secret``: as it is, percent- or form-encoded, JSON-escaped, in Basic auth.

    A pure function of the text, cached: every send of a credential masks the same few values
    (kept in memory with the opened credentials anyway)."""
    encoded = {quote(secret, safe=""), quote_plus(secret)}
    encoded |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), form) for form in encoded}  # %2f too
    forms = {secret, *encoded, json.dumps(secret)[1:-1]}
    forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    forms.add(base64.b64encode(secret.encode("utf-8")).decode("ascii"))
    return frozenset(form for form in forms if form)


def _header_secrets(value: str) -> list[str]:
    """A header value and its credential part (``Bearer <token>``, ``App <key>``), Basic decoded too."""
    found = [value]
    scheme, _, credential = value.strip().partition(" ")
    credential = credential.strip()
    if credential:
        found.append(credential)
        if scheme.lower() == "basic":
            try:
                pair = base64.b64decode(credential, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                pair = ""
            password = pair.partition(":")[2]  # the user name (an account sid) is not a secret
            found.extend(item for item in (pair, password) if item)
    return found


def _named_secrets(body: str) -> list[str]:
    """String values under secret-named keys of a JSON or form-encoded body."""
    text = body.strip()
    if not text:
        return []
    found: list[str] = []
    if text[0] in "{[":
        if _has_no_secret_key(text):
            return found
        with contextlib.suppress(ValueError, RecursionError):  # not JSON after all (or cut): nothing learned
            _walk(json.loads(text), found, 0)
        return found
    if "=" in text:
        # parse_qsl's reading, each value decoded only under a secret-named key (a form's values,
        # phone numbers and texts, are most of its decoding)
        for pair in text.split("&"):
            key, equals, value = pair.partition("=")
            if not equals or not value:
                continue
            if "%" in key or "+" in key:
                key = unquote_plus(key)
            if _SECRET_KEY.search(key):
                found.append(unquote_plus(value))
    return found


def _walk(value: Any, found: list[str], depth: int) -> None:
    if depth > _MAX_JSON_DEPTH:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and item and _SECRET_KEY.search(str(key)):
                found.append(item)
            else:
                _walk(item, found, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _walk(item, found, depth + 1)
