"""``/api/v1/feedback-webhook`` and ``/api/v1/deliveries``: one webhook per organisation +
sandbox, what a URL may be (no SSRF), secrets never returned, deliveries listed and replayed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from support import loopback
from support.api import Api, make_webhook, new_org
from support.feedback import deliveries, make_feedback_webhook, report, work
from support.one_app import shared_api, shared_app, shared_client, shared_other_org_api, shared_settings  # noqa: F401
from support.receiver import Receiver

from smshooks.targets import REFUSED, TargetRefused, http_session
from smshooks.web.app import create_app

URL = "http://127.0.0.1:9/feedback"


def pem(private) -> str:
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


# --- one per organisation + sandbox ------------------------------------------------------


def test_a_second_feedback_webhook_in_the_sandbox_is_409_another_sandbox_is_fine(api, other_org_api):
    created = make_feedback_webhook(api, URL)
    second = api.post("/feedback-webhook", {"name": "again", "channels": ["sms"], "url": URL})
    assert second.status_code == 409
    assert second.json["error"]["code"] == "conflict"
    assert second.json["error"]["details"] == {"feedback_webhook_id": created["id"]}
    staging = api.in_sandbox("staging").post("/feedback-webhook", {"name": "s", "channels": ["sms"], "url": URL})
    assert staging.status_code == 201
    assert staging.json["sandbox"]["name"] == "staging"
    assert other_org_api.post("/feedback-webhook", {"name": "g", "channels": ["sms"], "url": URL}).status_code == 201
    assert api.get("/feedback-webhook").json["id"] == created["id"]


def test_the_feedback_webhook_lifecycle(api):
    assert api.get("/feedback-webhook").status_code == 404
    created = make_feedback_webhook(api, URL, channels=["sms", "email"], relay_inbound=True)
    assert {k: created[k] for k in ("name", "channels", "url", "relay_inbound", "enabled", "disabled_reason")} == {
        "name": "feedback",
        "channels": ["sms", "email"],
        "url": URL,
        "relay_inbound": True,
        "enabled": True,
        "disabled_reason": None,
    }
    assert created["auth"]["type"] == "none"
    shown = api.get("/feedback-webhook").json
    assert "signing_secret" not in shown
    assert {k: v for k, v in created.items() if k != "signing_secret"} == shown

    patched = api.patch("/feedback-webhook", {"name": "renamed", "relay_inbound": False, "channels": ["sms"]})
    assert patched.status_code == 200
    assert (patched.json["name"], patched.json["relay_inbound"], patched.json["channels"]) == (
        "renamed",
        False,
        ["sms"],
    )
    assert api.delete("/feedback-webhook").status_code == 204
    assert api.get("/feedback-webhook").status_code == 404
    assert api.post("/feedback-webhook", {"name": "new", "channels": ["sms"], "url": URL}).status_code == 201


def test_the_openapi_document_lists_the_feedback_routes(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get", "post", "patch", "delete"} <= set(paths["/api/v1/feedback-webhook"])
    assert "post" in paths["/api/v1/feedback-webhook/rotate-secret"]
    assert "get" in paths["/api/v1/deliveries"]
    assert "post" in paths["/api/v1/deliveries/{delivery_id}/replay"]
    assert "post" in paths["/api/v1/deliveries/replay"]


# --- the URL: HTTPS to public addresses only -------------------------------------------------


@pytest.fixture
def strict_api(smshooks_settings, api_key_for):
    """An app with the server default: SMSHOOKS_ALLOW_PRIVATE_TARGETS off."""
    app = create_app(replace(smshooks_settings, allow_private_targets=False), plugins=[loopback])
    yield Api(app.test_client(), api_key_for(app))
    app.extensions["smshooks"].db.engine.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/feedback",  # plain http
        "https://127.0.0.1/feedback",
        "https://127.1.2.3:8443/feedback",
        "https://localhost/feedback",
        "https://api.localhost/feedback",
        "https://10.0.0.5/feedback",
        "https://172.16.3.4/feedback",
        "https://192.168.1.1/feedback",
        "https://169.254.169.254/latest/meta-data",  # the cloud metadata service
        "https://100.64.0.1/feedback",  # carrier-grade NAT
        "https://0.0.0.0/feedback",
        "https://[::1]/feedback",
        "https://[fe80::1]/feedback",
        "https://[fd00::1]/feedback",
        "https://[::ffff:127.0.0.1]/feedback",  # IPv4-mapped loopback
        "https://[64:ff9b::a9fe:a9fe]/feedback",  # NAT64 of 169.254.169.254
        "https://[2002:7f00:1::1]/feedback",  # 6to4 of 127.0.0.1
        "https://224.0.0.1/feedback",  # multicast
        "https://2130706433/feedback",  # 127.0.0.1 as one number
        "https://0x7f.0.0.1/feedback",  # 127.0.0.1 in hex
        "ftp://93.184.216.34/feedback",
        "https://user:pass@93.184.216.34/feedback",  # credentials in the URL
        "https:///feedback",
        "https://93.184.216.34:99999/feedback",
        "https://93.184.216.34/feed back",
        "not a url",
    ],
)
def test_private_loopback_and_link_local_targets_are_refused(strict_api, url):
    answer = strict_api.post("/feedback-webhook", {"name": "f", "channels": ["sms"], "url": url})
    assert answer.status_code == 422, (url, answer.json)
    assert list(answer.json["error"]["details"]) == ["url"]
    assert strict_api.get("/feedback-webhook").status_code == 404


def test_a_public_https_target_is_accepted_and_patching_to_a_private_one_is_refused(strict_api):
    created = make_feedback_webhook(strict_api, "https://93.184.216.34/hooks/feedback")
    assert created["url"] == "https://93.184.216.34/hooks/feedback"
    assert strict_api.patch("/feedback-webhook", {"url": "https://10.1.2.3/x"}).status_code == 422
    assert strict_api.get("/feedback-webhook").json["url"] == "https://93.184.216.34/hooks/feedback"


def test_the_setting_allows_plain_http_on_loopback(api):
    assert make_feedback_webhook(api, "http://localhost:8080/feedback")["url"] == "http://localhost:8080/feedback"


def test_delivery_refuses_to_connect_to_a_private_address():
    """Checked again on the address actually connected to: a name that resolves to a
    private address after it was configured (DNS rebinding) gets nowhere."""
    with Receiver() as receiver:
        strict = http_session(allow_private=False)
        for url in (receiver.url, receiver.url.replace("127.0.0.1", "localhost")):
            with pytest.raises(TargetRefused, match=REFUSED):
                strict.post(url, data=b"{}", timeout=5)
        assert receiver.received == []
        assert http_session(allow_private=True).post(receiver.url, data=b"{}", timeout=5).status_code == 200


def test_a_target_made_private_after_configuration_is_refused_at_delivery(settings, api_key_for):
    """An operator turns the setting off: deliveries to loopback stop with a clear error."""
    with Receiver() as receiver:
        app = create_app(settings, plugins=[loopback])
        client = app.test_client()
        api = Api(client, api_key_for(app, new_org()))  # the module's database: an org of its own
        make_feedback_webhook(api, receiver.url)
        report(client, make_webhook(api), "v-1", "ok")
        strict = create_app(replace(settings, allow_private_targets=False), plugins=[loopback])
        work(strict, lambda: deliveries(api)[0]["attempt_count"] == 1)
        attempt = deliveries(api)[0]["attempts"][0]
        assert attempt["status_code"] is None and attempt["error"] == REFUSED
        assert receiver.received == []
        for each in (app, strict):
            each.extensions["smshooks"].db.engine.dispose()


# --- authentication and secrets ---------------------------------------------------------------


def test_jwt_keys_are_checked_and_never_returned(api):
    rsa_key = pem(rsa.generate_private_key(65537, 2048))
    ec_key = pem(ec.generate_private_key(ec.SECP256R1()))
    bad = [
        ({"type": "jwt", "algorithm": "HS256", "key": "short"}, "key"),
        ({"type": "jwt", "algorithm": "RS256", "key": "not a pem"}, "key"),
        ({"type": "jwt", "algorithm": "RS256", "key": ec_key}, "key"),
        ({"type": "jwt", "algorithm": "ES256", "key": rsa_key}, "key"),
        ({"type": "jwt", "algorithm": "RS256", "key": pem(rsa.generate_private_key(65537, 1024))}, "key"),
        ({"type": "jwt", "algorithm": "ES256", "key": pem(ec.generate_private_key(ec.SECP384R1()))}, "key"),
        ({"type": "jwt", "algorithm": "HS256"}, "key"),
        ({"type": "jwt", "key": "k" * 40}, "algorithm"),
        ({"type": "jwt", "algorithm": "none", "key": "k" * 40}, "algorithm"),
        ({"type": "jwt", "algorithm": "HS256", "key": "k" * 40, "claims": {"exp": 1}}, "claims"),
        ({"type": "none", "key": "k" * 40}, "key"),
        ({"type": "basic"}, "type"),
    ]
    for auth, field in bad:
        answer = api.post("/feedback-webhook", {"name": "f", "channels": ["sms"], "url": URL, "auth": auth})
        assert answer.status_code == 422, (auth, answer.json)
        assert field in answer.json["error"]["details"].get("auth", {}), (auth, answer.json)

    created = make_feedback_webhook(api, URL, auth={"type": "jwt", "algorithm": "ES256", "key": ec_key})
    shown = api.get("/feedback-webhook")
    assert ec_key not in shown.get_data(as_text=True) and ec_key not in str(created)
    assert shown.json["auth"]["public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    # a PATCH that leaves the key out keeps it; a new algorithm needs a new key
    kept = api.patch("/feedback-webhook", {"auth": {"type": "jwt", "algorithm": "ES256", "issuer": "me"}})
    assert kept.status_code == 200 and kept.json["auth"]["issuer"] == "me"
    changed = api.patch("/feedback-webhook", {"auth": {"type": "jwt", "algorithm": "RS256"}})
    assert changed.status_code == 422
    assert api.patch("/feedback-webhook", {"auth": {"type": "none"}}).json["auth"]["public_key"] is None


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Content-Type": "text/plain"}, "set by smshooks"),
        ({"webhook-signature": "v1,forged"}, "set by smshooks"),
        ({"Host": "evil.example"}, "set by smshooks"),
        ({"Bad Name": "x"}, "not a header name"),
        ({"X-Split": "a\r\nX-Injected: b"}, "control characters"),
        ({"X-A": "1", "x-a": "2"}, "twice"),
        ({f"X-{i}": "v" for i in range(31)}, "at most 30"),
    ],
)
def test_header_parameters_are_validated(api, headers, why):
    answer = api.post("/feedback-webhook", {"name": "f", "channels": ["sms"], "url": URL, "headers": headers})
    assert answer.status_code == 422
    assert why in str(answer.json["error"]["details"]["headers"])


def test_an_authorization_header_parameter_conflicts_only_with_jwt(api):
    auth = {"type": "jwt", "algorithm": "HS256", "key": "k" * 40}
    body = {"name": "f", "channels": ["sms"], "url": URL, "headers": {"Authorization": "Bearer mine"}}
    assert api.post("/feedback-webhook", {**body, "auth": auth}).status_code == 422
    assert api.post("/feedback-webhook", body).status_code == 201
    assert api.patch("/feedback-webhook", {"auth": auth}).status_code == 422


def test_signing_secrets_are_validated(api):
    for secret in ("whsec_", "secret", "whsec_c2hvcnQ=", "whsec_not base64!"):
        answer = api.post("/feedback-webhook", {"name": "f", "channels": ["sms"], "url": URL, "signing_secret": secret})
        assert answer.status_code == 422
        assert "signing_secret" in answer.json["error"]["details"]
    current = make_feedback_webhook(api, URL)["signing_secret"]
    assert api.post("/feedback-webhook/rotate-secret", {"signing_secret": current}).status_code == 422
    assert api.post("/feedback-webhook/rotate-secret", {"grace_period_seconds": -1}).status_code == 422
    assert api.post("/feedback-webhook/rotate-secret", {"grace_period_seconds": 8 * 86400}).status_code == 422
    rotated = api.post("/feedback-webhook/rotate-secret")
    assert rotated.status_code == 200 and rotated.json["signing_secret"] != current


def test_rotating_without_a_webhook_is_404(api):
    assert api.post("/feedback-webhook/rotate-secret", {}).status_code == 404
    assert api.patch("/feedback-webhook", {}).status_code == 404
    assert api.delete("/feedback-webhook").status_code == 404


# --- deliveries -------------------------------------------------------------------------------


@pytest.fixture
def three(app, api, client):
    """Three deliveries: sent, delivered, read of one message (none sent yet)."""
    make_feedback_webhook(api, URL)
    hook = make_webhook(api)
    for status in ("sent", "ok", "read"):
        report(client, hook, "v-1", status)
    return hook


def test_deliveries_are_listed_newest_first_with_filters_and_a_cursor(api, other_org_api, three):
    items = deliveries(api)
    assert [d["feedback_status"] for d in items] == ["read", "delivered", "sent"]
    assert {d["state"] for d in items} == {"pending"}
    first = api.get("/deliveries", query_string={"limit": 2}).json
    assert [d["feedback_status"] for d in first["items"]] == ["read", "delivered"]
    rest = api.get("/deliveries", query_string={"limit": 2, "cursor": first["next_cursor"]}).json
    assert [d["feedback_status"] for d in rest["items"]] == ["sent"] and rest["next_cursor"] is None
    assert deliveries(api, state="dead") == []
    assert len(deliveries(api, event_type="message.feedback", message_id=items[0]["message_id"])) == 3
    assert deliveries(api, event_type="message.inbound") == []
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert deliveries(api, since=future) == []
    assert len(deliveries(api, until=future)) == 3
    assert api.get("/deliveries", query_string={"state": "lost"}).status_code == 422
    assert api.get("/deliveries", query_string={"since": "yesterday"}).status_code == 422
    # another organisation (or sandbox) sees none of them
    assert other_org_api.get("/deliveries").json["items"] == []
    assert api.in_sandbox("staging").get("/deliveries").json["items"] == []
    assert other_org_api.get(f"/deliveries/{items[0]['id']}").status_code == 404
    assert other_org_api.post(f"/deliveries/{items[0]['id']}/replay").status_code == 404


def test_a_delivery_shows_its_payload_and_attempts(app, api, three):
    [newest, *_] = deliveries(api)
    detail = api.get(f"/deliveries/{newest['id']}")
    assert detail.status_code == 200
    assert detail.json == newest
    assert detail.json["payload"]["messageDeliveryFeedback"]["feedbackStatus"] == {"value": "read"}
    assert detail.json["attempts"] == [] and detail.json["attempt_count"] == 0


def test_replaying_a_window_by_state(settings, api_key_for):
    app = create_app(replace(settings, feedback_retry_delays=(0.01,)), plugins=[loopback])
    client = app.test_client()
    api = Api(client, api_key_for(app, new_org()))  # the module's database: an org of its own
    with Receiver() as receiver:
        receiver.script([500, 500])
        make_feedback_webhook(api, receiver.url)
        hook = make_webhook(api)
        report(client, hook, "v-1", "ok")
        work(app, lambda: deliveries(api)[0]["state"] == "dead")
        report(client, hook, "v-2", "ok")
        work(app)
        assert sorted(d["state"] for d in deliveries(api)) == ["dead", "delivered"]

        since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
        assert api.post("/deliveries/replay", {"since": since, "until": since}).status_code == 422
        assert api.post("/deliveries/replay", {"until": since}).status_code == 422
        nothing = api.post("/deliveries/replay", {"since": (datetime.now(UTC) + timedelta(hours=1)).isoformat()})
        assert nothing.json["replayed"] == 0
        answer = api.post("/deliveries/replay", {"since": since, "status": "dead"})
        assert answer.status_code == 202 and answer.json["replayed"] == 1
        work(app)
        assert sorted(d["state"] for d in deliveries(api)) == ["delivered", "delivered"]
        assert len(receiver.received) == 4  # 500, 500, 200, then the replayed 200
    app.extensions["smshooks"].db.engine.dispose()


def test_replay_needs_an_enabled_feedback_webhook(api, three):
    delivery = deliveries(api)[0]
    assert api.patch("/feedback-webhook", {"enabled": False}).status_code == 200
    assert api.post(f"/deliveries/{delivery['id']}/replay").status_code == 409
    assert api.delete("/feedback-webhook").status_code == 204
    assert api.post(f"/deliveries/{delivery['id']}/replay").status_code == 409
    assert len(deliveries(api)) == 3  # past deliveries stay listed
