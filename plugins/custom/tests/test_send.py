"""send() against the local fake provider: each auth type's header, OAuth2 token caching, errors, message ids."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest

from smshooks.events import OutboundMessage
from smshooks.testing import FakeVendorAPI, RecordedRequest, Reply
from smshooks.vendor import HttpSession, SendError
from smshooks_custom import CustomVendor

from .cases import OTP, SEED_TEMPLATE, credential

TOKEN_PATH = "/oauth2/token"
SEND_PATH = "/v1/messages"
CLIENT_ID = "c7f1a9e2-client"
CLIENT_SECRET = "s3cr3t-4b8d-client"
JWT_SECRET = "jwt-signing-key-9c2e7a41f0b35d68"


def creds(api: FakeVendorAPI, **values: Any) -> dict[str, Any]:
    return credential(
        provider_url=api.url + SEND_PATH,
        payload_template=SEED_TEMPLATE,
        **{"message_id_path": "messageId", **values},
    )


def oauth2_creds(api: FakeVendorAPI, **values: Any) -> dict[str, Any]:
    return creds(
        api,
        auth_type="oauth2",
        oauth2_token_url=api.url + TOKEN_PATH,
        oauth2_client_id=CLIENT_ID,
        oauth2_client_secret=CLIENT_SECRET,
        **values,
    )


def json_reply(status: int, payload: Any, **headers: str) -> Reply:
    return Reply(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **headers})


def http() -> HttpSession:
    return HttpSession(timeout=2)


def sends(api: FakeVendorAPI) -> list[RecordedRequest]:
    return [r for r in api.requests if r.path == SEND_PATH]


def token_requests(api: FakeVendorAPI) -> list[RecordedRequest]:
    return [r for r in api.requests if r.path == TOKEN_PATH]


class Provider:
    """A fake provider with a token endpoint: issues numbered tokens, accepts the ones it likes."""

    def __init__(self, expires_in: Any = 3600, accept: Any = None, token_reply: Reply | None = None):
        self.issued: list[str] = []
        self.expires_in = expires_in
        self.accept = accept or (lambda token, n: True)
        self.token_reply = token_reply
        self.sent = 0
        self.lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Reply:
        with self.lock:
            if request.path == TOKEN_PATH:
                if self.token_reply is not None:
                    return self.token_reply
                token = f"token-{len(self.issued) + 1}"
                self.issued.append(token)
                body = {"access_token": token, "token_type": "Bearer"}
                if self.expires_in is not None:
                    body["expires_in"] = self.expires_in
                return json_reply(200, body)
            self.sent += 1
            token = (request.header("Authorization") or "").removeprefix("Bearer ")
            if not self.accept(token, self.sent):
                return json_reply(401, {"error": "invalid_token"})
            return json_reply(201, {"messageId": f"m-{self.sent}"})


# -- static auth types ------------------------------------------------------------


def test_no_auth_sends_no_authorization(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(200, {"messageId": "m1"})
    assert CustomVendor().send(OTP, creds(fake_vendor_api), http()) == "m1"
    (sent,) = fake_vendor_api.requests
    assert sent.header("Authorization") is None


def test_basic_auth(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(200, {"messageId": "m1"})
    CustomVendor().send(OTP, creds(fake_vendor_api, auth_type="basic", username="acme", password="pä:ss"), http())
    expected = "Basic " + base64.b64encode("acme:pä:ss".encode()).decode()
    assert fake_vendor_api.requests[0].header("Authorization") == expected


def test_bearer_token(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(200, {"messageId": "m1"})
    CustomVendor().send(OTP, creds(fake_vendor_api, auth_type="bearer", bearer_token="tok-123"), http())
    assert fake_vendor_api.requests[0].header("Authorization") == "Bearer tok-123"


def test_api_key_header_and_prefix(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(200, {"messageId": "m1"})
    values = {"auth_type": "api_key", "api_key": "k-1", "api_key_header": "Authorization", "api_key_prefix": "App"}
    CustomVendor().send(OTP, creds(fake_vendor_api, **values), http())
    CustomVendor().send(OTP, creds(fake_vendor_api, auth_type="api_key", api_key="k-2"), http())
    assert fake_vendor_api.requests[0].header("Authorization") == "App k-1"
    assert fake_vendor_api.requests[1].header("X-API-Key") == "k-2"


def test_jwt_claims_and_signature(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(200, {"messageId": "m1"})
    values = {
        "auth_type": "jwt",
        "jwt_secret": JWT_SECRET,
        "jwt_issuer": "smshooks-acme",
        "jwt_audience": "https://sms.provider.example",
        "jwt_ttl_seconds": 120,
        "jwt_claims": {"sub": "acme", "exp": 1},
    }
    before = int(datetime.now(UTC).timestamp())
    CustomVendor().send(OTP, creds(fake_vendor_api, **values), http())
    header = fake_vendor_api.requests[0].header("Authorization")
    assert header.startswith("Bearer ")
    token = header.removeprefix("Bearer ")
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, JWT_SECRET, algorithms=["HS256"], audience="https://sms.provider.example")
    assert claims["iss"] == "smshooks-acme"
    assert claims["sub"] == "acme"
    assert claims["iat"] >= before
    assert claims["exp"] - claims["iat"] == 120, "jwt_claims cannot move the expiry"


def test_jwt_other_hmac_algorithm(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(200, {"messageId": "m1"})
    values = {"auth_type": "jwt", "jwt_secret": JWT_SECRET * 2, "jwt_algorithm": "HS512", "jwt_issuer": "i"}
    CustomVendor().send(OTP, creds(fake_vendor_api, **values), http())
    token = fake_vendor_api.requests[0].header("Authorization").removeprefix("Bearer ")
    assert jwt.decode(token, JWT_SECRET * 2, algorithms=["HS512"])["iss"] == "i"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, JWT_SECRET[::-1] * 2, algorithms=["HS512"])


def test_jwt_is_fresh_per_request(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(200, {"messageId": "m1"})
    vendor, values = CustomVendor(), creds(fake_vendor_api, auth_type="jwt", jwt_secret=JWT_SECRET, jwt_issuer="i")
    vendor.send(OTP, values, http())
    vendor.send(OTP, values, http())
    tokens = [r.header("Authorization") for r in fake_vendor_api.requests]
    claims = [jwt.decode(t.removeprefix("Bearer "), JWT_SECRET, algorithms=["HS256"]) for t in tokens]
    assert all(c["exp"] - c["iat"] == 300 for c in claims)


def test_hmac_of_the_exact_body(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(200, {"messageId": "m1"})
    values = {"auth_type": "hmac", "hmac_secret": "hm-secret", "hmac_header": "X-Body-Signature"}
    CustomVendor().send(OTP, creds(fake_vendor_api, **values), http())
    sent = fake_vendor_api.requests[0]
    assert sent.header("X-Body-Signature") == hmac.new(b"hm-secret", sent.body, hashlib.sha256).hexdigest()


def test_hmac_base64_sha512_with_prefix(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(200, {"messageId": "m1"})
    values = {
        "auth_type": "hmac",
        "hmac_secret": "hm-secret",
        "hmac_algorithm": "sha512",
        "hmac_encoding": "base64",
        "hmac_prefix": "sha512=",
    }
    CustomVendor().send(OTP, creds(fake_vendor_api, **values), http())
    sent = fake_vendor_api.requests[0]
    digest = base64.b64encode(hmac.new(b"hm-secret", sent.body, hashlib.sha512).digest()).decode()
    assert sent.header("X-Signature") == "sha512=" + digest


# -- the request --------------------------------------------------------------------


def test_body_is_the_rendered_template_as_utf8_json(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(200, {"messageId": "m1"})
    CustomVendor().send(OTP, creds(fake_vendor_api), http())
    sent = fake_vendor_api.requests[0]
    assert sent.method == "POST" and sent.path == SEND_PATH
    assert sent.header("Content-Type") == "application/json; charset=utf-8"
    assert "Zoë".encode() in sent.body
    assert json.loads(sent.body.decode("utf-8"))["content"] == OTP.text


def test_extra_header_replaces_the_default_content_type(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(200, {"messageId": "m1"})
    values = {"extra_headers": {"content-type": "application/vnd.provider+json"}}
    CustomVendor().send(OTP, creds(fake_vendor_api, **values), http())
    headers = {k.lower(): v for k, v in fake_vendor_api.requests[0].headers.items()}
    assert headers["content-type"] == "application/vnd.provider+json"


def test_patch_method(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(200, {"messageId": "m1"})
    CustomVendor().send(OTP, creds(fake_vendor_api, http_method="PATCH"), http())
    assert fake_vendor_api.requests[0].method == "PATCH"


def test_template_that_breaks_on_this_profile_fails_before_sending(fake_vendor_api: FakeVendorAPI) -> None:
    # Saved while valid for profiles with "age"; this profile has none.
    template = '{"to": "{{toNumber}}", "from": "{{fromNumber}}", "text": "{{message}}", "age": {{ profile.age }}}'
    values = {**creds(fake_vendor_api), "payload_template": template}
    with pytest.raises(SendError) as raised:
        CustomVendor().send(OTP, values, http())
    assert (raised.value.retryable, raised.value.code) == (False, "payload_template")
    assert "line 1" in raised.value.reason
    assert fake_vendor_api.requests == []


# -- message ids --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "answer", "expected"),
    [
        ("messages.0.messageId", {"messages": [{"messageId": "a"}, {"messageId": "b"}]}, "a"),
        ("messages[1].messageId", {"messages": [{"messageId": "a"}, {"messageId": "b"}]}, "b"),
        ("$.data.id", {"data": {"id": 1234567890123}}, "1234567890123"),
        ("messages.-1.id", {"messages": [{"id": "x"}, {"id": "y"}]}, "y"),
        ("result.0", {"result": {"0": "keyed"}}, "keyed"),
        ("id", {"id": " padded "}, "padded"),
    ],
)
def test_message_id_path(fake_vendor_api: FakeVendorAPI, path: str, answer: Any, expected: str) -> None:
    fake_vendor_api.reply_json(200, answer)
    assert CustomVendor().send(OTP, creds(fake_vendor_api, message_id_path=path), http()) == expected


@pytest.mark.parametrize(
    "answer", [{"messages": []}, {"messages": [{"messageId": None}]}, {"messages": [{"messageId": {"v": 1}}]}, []]
)
def test_message_id_missing_is_not_retryable(fake_vendor_api: FakeVendorAPI, answer: Any) -> None:
    fake_vendor_api.reply_json(200, answer)
    with pytest.raises(SendError) as raised:
        CustomVendor().send(OTP, creds(fake_vendor_api, message_id_path="messages.0.messageId"), http())
    assert (raised.value.retryable, raised.value.code, raised.value.status) == (False, "message_id_missing", 200)


# -- errors -----------------------------------------------------------------------


def test_retry_after_seconds_is_kept(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(429, {"error": "rate"}, {"Retry-After": "17"})
    with pytest.raises(SendError) as raised:
        CustomVendor().send(OTP, creds(fake_vendor_api), http())
    assert (raised.value.retryable, raised.value.status, raised.value.retry_after) == (True, 429, 17.0)


def test_retry_after_on_5xx(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_with(Reply(503, b"busy", {"Retry-After": "120"}))
    with pytest.raises(SendError) as raised:
        CustomVendor().send(OTP, creds(fake_vendor_api), http())
    assert (raised.value.retryable, raised.value.retry_after) == (True, 120.0)
    assert "HTTP 503: busy" in raised.value.reason


def test_4xx_has_no_retry_after_and_quotes_the_provider(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(400, {"code": "E42", "text": "bad 'to'"}, {"Retry-After": "5"})
    with pytest.raises(SendError) as raised:
        CustomVendor().send(OTP, creds(fake_vendor_api, error_code_path="code"), http())
    error = raised.value
    assert (error.retryable, error.status, error.code, error.retry_after) == (False, 400, "E42", None)
    assert "bad 'to'" in error.reason


def test_408_counts_as_a_timeout(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(408, {})
    with pytest.raises(SendError) as raised:
        CustomVendor().send(OTP, creds(fake_vendor_api), http())
    assert raised.value.retryable is True


def test_no_sender_anywhere_fails_without_a_request(fake_vendor_api: FakeVendorAPI) -> None:
    with pytest.raises(SendError) as raised:
        CustomVendor().send(
            OutboundMessage(sender=None, recipient="+14155550123", text="x"), creds(fake_vendor_api), http()
        )
    assert raised.value.retryable is False
    assert fake_vendor_api.requests == []


# -- OAuth2 client credentials ------------------------------------------------------


def test_oauth2_fetches_a_token_and_sends_with_it(fake_vendor_api: FakeVendorAPI) -> None:
    provider = Provider()
    fake_vendor_api.reply_with(provider)
    values = oauth2_creds(fake_vendor_api, oauth2_scope="sms:send")
    assert CustomVendor().send(OTP, values, http()) == "m-1"
    (token_request,) = token_requests(fake_vendor_api)
    assert token_request.method == "POST"
    assert token_request.form == {"grant_type": ["client_credentials"], "scope": ["sms:send"]}
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert token_request.header("Authorization") == f"Basic {basic}"
    assert sends(fake_vendor_api)[0].header("Authorization") == "Bearer token-1"


def test_oauth2_client_secret_in_the_body(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_with(Provider())
    CustomVendor().send(OTP, oauth2_creds(fake_vendor_api, oauth2_client_auth="body"), http())
    (token_request,) = token_requests(fake_vendor_api)
    assert token_request.header("Authorization") is None
    assert token_request.form == {
        "grant_type": ["client_credentials"],
        "client_id": [CLIENT_ID],
        "client_secret": [CLIENT_SECRET],
    }


def test_oauth2_token_is_cached_until_it_expires(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_with(Provider(expires_in=3600))
    vendor, values = CustomVendor(), oauth2_creds(fake_vendor_api)
    assert [vendor.send(OTP, values, http()) for _ in range(3)] == ["m-1", "m-2", "m-3"]
    assert len(token_requests(fake_vendor_api)) == 1
    assert {r.header("Authorization") for r in sends(fake_vendor_api)} == {"Bearer token-1"}


def test_oauth2_token_refetched_after_expiry(fake_vendor_api: FakeVendorAPI) -> None:
    now = [1000.0]
    fake_vendor_api.reply_with(Provider(expires_in=600))
    vendor, values = CustomVendor(clock=lambda: now[0]), oauth2_creds(fake_vendor_api)
    vendor.send(OTP, values, http())
    now[0] += 560  # within the lifetime less the renewal margin (30 s)
    vendor.send(OTP, values, http())
    assert len(token_requests(fake_vendor_api)) == 1
    now[0] += 20  # 580 s: inside the margin, renewed before the provider would refuse it
    vendor.send(OTP, values, http())
    assert len(token_requests(fake_vendor_api)) == 2
    assert sends(fake_vendor_api)[-1].header("Authorization") == "Bearer token-2"


def test_oauth2_token_without_lifetime_gets_an_hour(fake_vendor_api: FakeVendorAPI) -> None:
    now = [0.0]
    fake_vendor_api.reply_with(Provider(expires_in=None))
    vendor, values = CustomVendor(clock=lambda: now[0]), oauth2_creds(fake_vendor_api)
    vendor.send(OTP, values, http())
    now[0] = 3500.0
    vendor.send(OTP, values, http())
    now[0] = 3571.0
    vendor.send(OTP, values, http())
    assert len(token_requests(fake_vendor_api)) == 2


def test_oauth2_tokens_are_per_client(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_with(Provider())
    vendor = CustomVendor()
    vendor.send(OTP, oauth2_creds(fake_vendor_api), http())
    vendor.send(OTP, {**oauth2_creds(fake_vendor_api), "oauth2_client_id": "other-client"}, http())
    vendor.send(OTP, oauth2_creds(fake_vendor_api), http())
    assert len(token_requests(fake_vendor_api)) == 2
    assert [r.header("Authorization") for r in sends(fake_vendor_api)] == [
        "Bearer token-1",
        "Bearer token-2",
        "Bearer token-1",
    ]


def test_oauth2_refreshes_once_on_401(fake_vendor_api: FakeVendorAPI) -> None:
    # The provider revoked token-1 early; token-2 works.
    fake_vendor_api.reply_with(Provider(accept=lambda token, n: token != "token-1"))
    vendor, values = CustomVendor(), oauth2_creds(fake_vendor_api)
    assert vendor.send(OTP, values, http()) == "m-2"
    assert len(token_requests(fake_vendor_api)) == 2
    assert [r.header("Authorization") for r in sends(fake_vendor_api)] == ["Bearer token-1", "Bearer token-2"]
    # The new token is the cached one now.
    assert vendor.send(OTP, values, http()) == "m-3"
    assert len(token_requests(fake_vendor_api)) == 2


def test_oauth2_second_401_is_not_retried_again(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_with(Provider(accept=lambda token, n: False))
    with pytest.raises(SendError) as raised:
        CustomVendor().send(OTP, oauth2_creds(fake_vendor_api), http())
    assert (raised.value.retryable, raised.value.status) == (False, 401)
    assert (len(token_requests(fake_vendor_api)), len(sends(fake_vendor_api))) == (2, 2)


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [
        (json_reply(401, {"error": "invalid_client"}), False),
        (json_reply(400, {"error": "invalid_scope"}), False),
        (json_reply(503, {}, **{"Retry-After": "9"}), True),
        (json_reply(429, {}), True),
        (json_reply(200, {"token_type": "Bearer"}), False),
        (Reply(200, b"<html>login</html>", {"Content-Type": "text/html"}), False),
    ],
)
def test_oauth2_token_failures(fake_vendor_api: FakeVendorAPI, reply: Reply, retryable: bool) -> None:
    fake_vendor_api.reply_with(Provider(token_reply=reply))
    with pytest.raises(SendError) as raised:
        CustomVendor().send(OTP, oauth2_creds(fake_vendor_api), http())
    assert (raised.value.retryable, raised.value.code) == (retryable, "oauth2_token")
    assert sends(fake_vendor_api) == [], "no send without a token"
    if reply.status == 503:
        assert raised.value.retry_after == 9.0


def test_oauth2_token_url_unreachable_is_retryable() -> None:
    with FakeVendorAPI() as api:
        values = oauth2_creds(api)
    with pytest.raises(SendError) as raised:
        CustomVendor().send(OTP, values, http())
    assert (raised.value.retryable, raised.value.code) == (True, "oauth2_token")


def test_oauth2_concurrent_sends_share_one_fetch(fake_vendor_api: FakeVendorAPI) -> None:
    provider = Provider()

    def slow_tokens(request: RecordedRequest) -> Reply:
        reply = provider(request)
        if request.path == TOKEN_PATH:
            reply.delay = 0.2  # the other sends arrive while this fetch is under way
        return reply

    fake_vendor_api.reply_with(slow_tokens)
    vendor, values = CustomVendor(), oauth2_creds(fake_vendor_api)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(vendor.send(OTP, values, http()))) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 5
    assert len(token_requests(fake_vendor_api)) == 1
