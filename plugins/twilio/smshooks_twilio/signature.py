"""X-Twilio-Signature: compute it and check a request against it.

The algorithm follows twilio-python's ``RequestValidator`` (see vendors.md §1.3):
the full URL Twilio requested, then for each form parameter name in sorted
order each of its distinct values in sorted order as ``name + value``; HMAC-SHA1
keyed with the Auth Token, base64-encoded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs, urlsplit

from smshooks.vendor import SignatureError, WebhookRequest

SIGNATURE_HEADER = "X-Twilio-Signature"
#: query parameter carrying the hex SHA-256 of a JSON body Twilio signed
BODY_HASH_PARAM = "bodySHA256"

_DEFAULT_PORTS = {"https": 443, "http": 80}

Params = Mapping[str, str | Sequence[str]]


def string_to_sign(url: str, params: Params | None = None) -> str:
    """The URL followed by ``name + value`` for every parameter, names and values sorted."""
    parts = [url]
    params = params or {}
    for name in sorted(params):
        values = params[name]
        if isinstance(values, str):
            values = [values]
        # Twilio signs each distinct value once, so a repeated identical value adds nothing.
        parts.extend(name + value for value in sorted(set(values)))
    return "".join(parts)


def compute_signature(url: str, params: Params | None, auth_token: str) -> str:
    """The X-Twilio-Signature Twilio sends for a request to ``url`` carrying ``params``."""
    mac = hmac.new(auth_token.encode("utf-8"), string_to_sign(url, params).encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def url_variants(url: str) -> list[str]:
    """``url`` as given, plus the same URL with its port removed, or the scheme's default port added.

    Twilio's back end is inconsistent about the port in the URL it signs, so
    twilio-python's ``RequestValidator`` accepts a signature on the URL with
    any explicit port removed (``remove_port``: ``https://host:1234/p`` signed
    as ``https://host/p``) and on the URL without one with the default port
    added (``add_port``: ``https://host/p`` signed as ``https://host:443/p``);
    so do we. A URL without a port is never tried with a non-default one:
    Twilio's helper does not, and there is no telling which port it would be.
    """
    split = urlsplit(url)
    default_port = _DEFAULT_PORTS.get(split.scheme.lower())
    if default_port is None or not split.netloc:
        return [url]
    # Rebuild by slicing the original text, never by re-serialising: the path
    # and query are signed verbatim and must not be re-encoded.
    start = url.index("//") + 2
    prefix, rest = url[:start], url[start + len(split.netloc) :]
    userinfo, at, hostport = split.netloc.rpartition("@")
    parsed = _split_port(hostport)
    if parsed is None:
        return [url]
    host, port = parsed
    other = f"{host}:{default_port}" if port is None else host
    return [url, prefix + userinfo + at + other + rest]


def _split_port(hostport: str) -> tuple[str, str | None] | None:
    """``(host, port or None)``; ``None`` when the authority is not ``host[:digits]``."""
    if hostport.startswith("["):  # an IPv6 literal carries colons of its own
        close = hostport.find("]")
        if close < 0:
            return None
        host, tail = hostport[: close + 1], hostport[close + 1 :]
    else:
        host, colon, port_text = hostport.partition(":")
        tail = colon + port_text
    if not tail:
        return host, None
    port = tail[1:]
    if not tail.startswith(":") or not port.isdigit():
        return None
    return host, port


def signature_matches(url: str, params: Params | None, signature: str, auth_token: str) -> bool:
    """True when ``signature`` is Twilio's for ``url`` (or its port variant) and ``params``.

    The URL as called is tried first and almost always matches, so the variant's HMAC is
    computed only when it does not. That the time shows which of two public forms of the
    URL was signed reveals nothing of the token; each comparison is constant-time.
    """
    given = signature.strip().encode("utf-8")
    for candidate in url_variants(url):
        expected = compute_signature(candidate, params, auth_token).encode("ascii")
        if hmac.compare_digest(expected, given):
            return True
    return False


def body_hash_matches(body: bytes, expected_hex: str) -> bool:
    """True when ``expected_hex`` is the hex SHA-256 of ``body``."""
    actual = hashlib.sha256(body).hexdigest().encode("ascii")
    return hmac.compare_digest(actual, expected_hex.strip().lower().encode("utf-8"))


def verify_request(request: WebhookRequest, auth_token: str | None) -> None:
    """Raise :class:`SignatureError` unless ``request`` carries Twilio's signature for it.

    Fails closed: no configured token, no header, a body the signature does not
    cover, or a mismatch are all refusals.
    """
    if not auth_token:
        raise SignatureError("the Twilio credential has no auth_token to check signatures with")
    signature = request.header(SIGNATURE_HEADER)
    if not signature or not signature.strip():
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    params = signed_params(request)
    if not signature_matches(request.url, params, signature, auth_token):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the request")


def signed_params(request: WebhookRequest) -> Mapping[str, list[str]]:
    """The parameters the signature covers besides the URL.

    - GET: none; the parameters are in the query string, already part of the URL.
    - URL with ``bodySHA256``: none; the URL carries the body's hash instead,
      which must match the raw body.
    - form POST: every form parameter with every value.
    """
    if request.method.upper() == "GET":
        return {}
    hashes = parse_qs(urlsplit(request.url).query, keep_blank_values=True).get(BODY_HASH_PARAM)
    if hashes is not None:
        if len(hashes) != 1:
            raise SignatureError(f"the URL carries {BODY_HASH_PARAM} {len(hashes)} times")
        if not body_hash_matches(request.body, hashes[0]):
            raise SignatureError(f"the body does not match the URL's {BODY_HASH_PARAM}")
        return {}
    if request.form:
        return request.form
    if request.body.strip():
        # Neither form parameters nor a body hash: the signature would prove the
        # URL only, and the body could be anything.
        raise SignatureError("the request body is not covered by the signature")
    return {}
