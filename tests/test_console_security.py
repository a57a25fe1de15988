"""The console's guards, through Flask's test client (issue 11): no page or action without a session, CSRF
refused, another organisation's key sees nothing of this one, secrets never in a page's HTML."""

from __future__ import annotations

import re

import pytest
from support.api import new_org
from support.one_app import shared_app, shared_client, shared_settings  # noqa: F401

from smshooks.apikeys import create_api_key

LOGIN = "/admin/login"


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
