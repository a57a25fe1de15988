"""The console's guards, through Flask's test client (issue 11): no page or action without a session, CSRF
refused, another organisation's key sees nothing of this one, secrets never in a page's HTML."""

from __future__ import annotations

import re

import pytest
from support.api import new_org
from support.one_app import shared_api, shared_app, shared_client, shared_settings  # noqa: F401

from smshooks.apikeys import create_api_key

LOGIN = "/admin/login"
PUBLIC = ("console.login", "console.static")


def console_routes(app) -> list[tuple[str, str]]:
    """Every (method, URL) of the console but sign-in and its assets, placeholders filled with a made-up id."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or rule.endpoint in ("console.login", "console.static"):
            continue
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "x_1", rule.rule)
        routes += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return routes


def key_of(app, org: str | None = None) -> str:
    return create_api_key(app.extensions["smshooks"].db, org or new_org())


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def signed_in(app, key: str):
    """A new browser (its own cookie jar) signed in with ``key``; answers (client, csrf token)."""
    client = app.test_client()
    token = csrf_of(client.get(LOGIN).text)
    answer = client.post(LOGIN, data={"api_key": key, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    return client, csrf_of(client.get("/admin/").text)


def test_the_console_has_pages(app) -> None:
    assert ("GET", "/admin/") in console_routes(app)


def test_no_page_or_action_without_a_session(app) -> None:
    client = app.test_client()
    for method, url in console_routes(app):
        answer = client.open(url, method=method, data={"name": "x"})
        assert answer.status_code in (302, 303), (method, url, answer.status_code)
        assert answer.location.startswith(LOGIN), (method, url, answer.location)


def test_root_and_admin_lead_to_the_console(app) -> None:
    client, _ = signed_in(app, key_of(app))
    assert client.get("/").location == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin").status_code in (200, 308)


@pytest.mark.parametrize(
    "token",
    [None, "", "forged-token"],
    ids=["no token", "empty token", "another token"],
)
def test_csrf_refused(app, token: str | None) -> None:
    client, good = signed_in(app, key_of(app))
    data = {"new_sandbox": "elsewhere"} | ({} if token is None else {"csrf_token": token})
    answer = client.post("/admin/sandbox", data=data)
    assert answer.status_code == 400
    # the sandbox did not change
    assert 'value="prod" selected' in client.get("/admin/").text
    assert client.post("/admin/sandbox", data={"new_sandbox": "elsewhere", "csrf_token": good}).status_code == 303
    assert 'value="elsewhere" selected' in client.get("/admin/").text


def test_sign_in_refuses_a_forged_form_and_a_bad_key(app) -> None:
    client = app.test_client()
    key = key_of(app)
    assert client.post(LOGIN, data={"api_key": key}).status_code == 400
    token = csrf_of(client.get(LOGIN).text)
    assert client.post(LOGIN, data={"api_key": "nope", "csrf_token": token}).status_code == 401
    assert client.post(LOGIN, data={"api_key": "", "csrf_token": token}).status_code == 401
    assert client.get("/admin/").status_code == 303


def test_the_session_cookie(app, settings) -> None:
    # Secure here: the tests' public URL is https (the e2e server, on plain http, signs in without it)
    assert settings.public_url.startswith("https://")
    cookie = app.test_client().get(LOGIN).headers["Set-Cookie"]
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/admin", "Secure"):
        assert attribute in cookie.split("; ")


def test_the_cookie_never_holds_the_key(app) -> None:
    key = key_of(app)
    client = app.test_client()
    token = csrf_of(client.get(LOGIN).text)
    answer = client.post(LOGIN, data={"api_key": key, "csrf_token": token})
    assert key not in answer.headers["Set-Cookie"]
    assert key[:12] not in answer.headers["Set-Cookie"]


def test_a_revoked_key_ends_its_sessions(app) -> None:
    from smshooks.store.tables import ApiKey, utcnow

    org = new_org()
    client, _ = signed_in(app, key_of(app, org))
    with app.extensions["smshooks"].db.transaction() as session:
        for row in session.query(ApiKey).filter(ApiKey.org == org):
            row.revoked_at = utcnow()
    assert client.get("/admin/").status_code == 303


@pytest.mark.parametrize(
    "target, lands",
    [
        ("/admin/credentials", "/admin/credentials"),
        ("https://evil.example/admin", "/admin/"),
        ("//evil.example/admin", "/admin/"),
        ("/api/v1/webhooks", "/admin/"),
    ],
)
def test_sign_in_goes_back_only_to_console_pages(app, target: str, lands: str) -> None:
    client = app.test_client()
    token = csrf_of(client.get(LOGIN).text)
    answer = client.post(LOGIN, data={"api_key": key_of(app), "csrf_token": token, "next": target})
    assert answer.location == lands


def test_pages_carry_security_headers(app) -> None:
    answer = app.test_client().get(LOGIN)
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_api_ignores_the_console_session(app) -> None:
    client, _ = signed_in(app, key_of(app))
    assert client.get("/api/v1/webhooks").status_code == 401


CREDENTIAL_SECRET = "loopback-secret-9f3e1c"
JWT_KEY = "feedback-jwt-key-of-at-least-32-bytes-4d1a"
HEADER_SECRET = "receiver-header-value-77b2"
SUBSCRIBER = "+14155550123"


@pytest.fixture
def tenant(app, api):
    """An organisation with a credential, reply, webhook, feedback webhook and consent, made through the API."""
    cred = api.post(
        "/credentials", {"name": "cred-a", "vendor": "loopback", "account": "A1", "secret": CREDENTIAL_SECRET}
    )
    assert cred.status_code == 201, cred.json
    reply = api.post("/replies", {"name": "reply-a", "template": "Bye from org A"})
    assert reply.status_code == 201, reply.json
    hook = api.post(
        "/webhooks", {"name": "hook-a", "vendor": "loopback", "type": "inbound", "credentials_id": cred.json["id"]}
    )
    assert hook.status_code == 201, hook.json
    feedback = api.post(
        "/feedback-webhook",
        {
            "name": "feedback-a",
            "channels": ["sms"],
            "url": "http://127.0.0.1:9/feedback",
            "auth": {"type": "jwt", "algorithm": "HS256", "key": JWT_KEY},
            "headers": {"X-Api-Key": HEADER_SECRET},
        },
    )
    assert feedback.status_code == 201, feedback.json
    consent = api.request(
        "PUT", f"/consent/{SUBSCRIBER}", {"sender_number": "+14155550100", "state": "opted_out", "note": "note-a"}
    )
    assert consent.status_code == 200, consent.json
    return {
        "key": api.key,
        "ids": {"credential_id": cred.json["id"], "reply_id": reply.json["id"], "webhook_id": hook.json["id"]},
        "names": ["cred-a", "reply-a", "hook-a", "feedback-a", "note-a", "Bye from org A", hook.json["id"]],
        "secrets": [CREDENTIAL_SECRET, JWT_KEY, HEADER_SECRET, feedback.json["signing_secret"]],
    }


def pages_of(app, ids: dict[str, str]) -> list[str]:
    """Every console page a GET reaches: list pages, and each detail page of the tenant's rows."""
    extra = {
        "console.consent": "/admin/consent?phone=%2B14155550123",
        "console.new_credential": "/admin/credentials/new?vendor=loopback",
        "console.messages": "/admin/messages?direction=outbound",
    }
    urls = [url for endpoint, url in extra.items() if endpoint in app.view_functions]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or "GET" not in rule.methods or rule.endpoint in PUBLIC:
            continue
        if all(argument in ids for argument in rule.arguments):
            urls.append(rule.build({name: ids[name] for name in rule.arguments}, append_unknown=False)[1])
    return urls


def test_another_organisation_sees_nothing_of_this_one(app, tenant) -> None:
    client, _ = signed_in(app, key_of(app))
    for url in pages_of(app, tenant["ids"]):
        answer = client.get(url)
        assert answer.status_code in (200, 303, 302, 404), (url, answer.status_code)
        for name in tenant["names"]:
            # an id the caller typed into the URL comes back in the page's own links, nothing else of it
            assert name in url or name not in answer.text, (url, name)


def test_secrets_never_appear_in_a_page(app, tenant) -> None:
    client, _ = signed_in(app, tenant["key"])
    seen = []
    for url in pages_of(app, tenant["ids"]):
        answer = client.get(url)
        assert answer.status_code in (200, 302, 303), (url, answer.status_code)
        seen.append(url)
        for secret in tenant["secrets"]:
            assert secret not in answer.text, (url, "a secret is in the page")
    assert "/admin/" in seen


def test_only_an_admin_key_in_force_signs_in(app) -> None:
    from datetime import timedelta

    from smshooks.access.api_keys import create_key
    from smshooks.store.tables import utcnow

    db = app.extensions["smshooks"].db
    client = app.test_client()
    token = csrf_of(client.get(LOGIN).text)
    read_only = create_key(db, new_org(), scopes=["read"]).key
    answer = client.post(LOGIN, data={"api_key": read_only, "csrf_token": token})
    assert answer.status_code == 403 and "admin scope" in answer.text
    expired = create_key(db, new_org(), expires_at=utcnow() + timedelta(milliseconds=1)).key
    import time

    time.sleep(0.01)  # past its expiry (not a timing assertion)
    answer = client.post(LOGIN, data={"api_key": expired, "csrf_token": token})
    assert answer.status_code == 401 and "expired" in answer.text
    assert client.get("/admin/").status_code == 303
