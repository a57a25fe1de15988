"""The plugin inside the gateway: credentials refused with line and reason, the payload editor, webhooks end to end.

The app finds the plugin through its entry point, as in production: the kit's
``smshooks_app`` (one per module), each test an organisation of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from smshooks.testing.gateway import GatewayClient

from .cases import (
    INFOBIP_API_KEY,
    INFOBIP_CREDENTIALS,
    INFOBIP_DLR,
    INFOBIP_INBOUND,
    INFOBIP_SIGNED_DLR,
    INFOBIP_SIGNED_INBOUND,
    SEED_TEMPLATE,
    WEBHOOK_SECRET,
)


class Api:
    """``api(method, path, body)`` for one organisation on the module's gateway (the kit's ``smshooks_gateway``)."""

    def __init__(self, gateway: GatewayClient):
        self.gateway = gateway

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        return self.gateway.request(method, path, body)


@pytest.fixture
def api(smshooks_gateway: GatewayClient) -> Api:
    return Api(smshooks_gateway)


def infobip_credential() -> dict[str, Any]:
    # As an operator enters it: mappings as JSON text, secrets in clear.
    return {
        "name": "infobip-as-custom",
        "vendor": "custom",
        **{key: value for key, value in INFOBIP_CREDENTIALS.items() if value is not None},
        "inbound_mapping": json.dumps(INFOBIP_CREDENTIALS["inbound_mapping"]),
    }


def test_the_gateway_lists_the_custom_vendor(api: Api) -> None:
    answer = api("GET", "/plugins").json
    (plugin,) = [p for p in answer["plugins"] if "custom" in p["vendors"]]
    assert (plugin["source"], plugin["status"], plugin["distribution"]) == ("entry_point", "loaded", "smshooks-custom")
    (vendor,) = [v for v in answer["vendors"] if v["name"] == "custom"]
    assert vendor["title"] == "Custom"
    assert vendor["credential_fields"]["webhook_secret"]["secret"] is True


def test_template_with_trailing_comma_is_refused_on_save_with_line_and_reason(api: Api) -> None:
    template = '{\n  "to": "{{toNumber}}",\n  "from": "{{fromNumber}}",\n  "text": "{{message}}",\n  "v": 1,\n}'
    answer = api(
        "POST",
        "/credentials",
        {"name": "c", "vendor": "custom", "provider_url": "https://p.example/send", "payload_template": template},
    )
    assert answer.status_code == 422, answer.json
    (message,) = answer.json["error"]["details"]["payload_template"]
    assert message.startswith("line 5, column 9: the rendered payload is not valid JSON: a trailing comma")


def test_template_without_message_is_refused_on_save(api: Api) -> None:
    answer = api(
        "POST",
        "/credentials",
        {
            "name": "c",
            "vendor": "custom",
            "provider_url": "https://p.example/send",
            "payload_template": '{"to": "{{toNumber}}", "from": "{{fromNumber}}"}',
        },
    )
    assert answer.status_code == 422
    assert answer.json["error"]["details"] == {"payload_template": ["the payload template must reference {{message}}"]}


def test_secrets_are_masked_and_kept_on_patch(api: Api) -> None:
    created = api("POST", "/credentials", infobip_credential())
    assert created.status_code == 201, created.json
    assert created.json["api_key"] == "********"
    assert created.json["webhook_secret"] == "********"
    assert INFOBIP_API_KEY not in created.get_data(as_text=True)
    patched = api("PATCH", f"/credentials/{created.json['id']}", {"api_key": "********", "http_method": "put"})
    assert patched.status_code == 200, patched.json
    assert patched.json["http_method"] == "PUT"
    preview = api("POST", f"/credentials/{created.json['id']}/preview", {}).json["request"]
    assert preview["headers"]["Authorization"] == "App ********"


def test_payload_editor_renders_the_request(api: Api) -> None:
    created = api("POST", "/credentials", infobip_credential()).json
    answer = api(
        "POST",
        f"/credentials/{created['id']}/preview",
        {"text": 'Say "hi"\nplease', "to": "+41793026727", "from": "InfoSMS", "profile": {"firstName": "Zoë"}},
    )
    assert answer.status_code == 200, answer.json
    request = answer.json["request"]
    assert request["method"] == "POST"
    assert request["url"] == INFOBIP_CREDENTIALS["provider_url"]
    message = request["body"]["messages"][0]
    assert message["content"] == {"text": 'Say "hi"\nplease'}
    assert message["destinations"] == [{"to": "41793026727"}]
    assert message["sender"] == "InfoSMS"
    assert INFOBIP_API_KEY not in answer.get_data(as_text=True)


def test_payload_editor_reports_a_template_that_breaks_on_the_profile(api: Api) -> None:
    template = '{\n"to": "{{toNumber}}", "from": "{{fromNumber}}", "text": "{{message}}",\n"age": {{ profile.age }}\n}'
    # The sample profile has no age, so this cannot be saved...
    refused = api(
        "POST",
        "/credentials",
        {"name": "c", "vendor": "custom", "provider_url": "https://p.example/send", "payload_template": template},
    )
    assert refused.status_code == 422
    assert refused.json["error"]["details"]["payload_template"][0].startswith("line 3: ")
    # ...with a default it can, and the editor shows what a given profile makes of it.
    guarded = template.replace("{{ profile.age }}", "{{ profile.age | default(0) }}")
    created = api(
        "POST",
        "/credentials",
        {"name": "c", "vendor": "custom", "provider_url": "https://p.example/send", "payload_template": guarded},
    ).json
    answer = api("POST", f"/credentials/{created['id']}/preview", {"profile": {"age": 41}})
    assert answer.status_code == 200
    assert answer.json["request"]["body"]["age"] == 41
    # A text age lands unquoted: the editor says where, instead of a provider rejecting the send.
    broken = api("POST", f"/credentials/{created['id']}/preview", {"profile": {"age": "forty"}})
    assert broken.status_code == 422
    assert broken.json["error"]["details"]["payload_template"][0].startswith("line 3: the rendered payload is not")


def test_infobip_shaped_webhooks_end_to_end(smshooks_client: Any, api: Api) -> None:
    created = api("POST", "/credentials", infobip_credential())
    assert created.status_code == 201, created.json
    hook = api(
        "POST",
        "/webhooks",
        {"name": "infobip", "vendor": "custom", "type": "inbound", "credentials_id": created.json["id"]},
    )
    assert hook.status_code == 201, hook.json
    client = smshooks_client
    path = f"/hooks/{hook.json['id']}"

    unsigned = client.post(path, data=INFOBIP_INBOUND, content_type="application/json")
    assert unsigned.status_code == 403

    inbound = client.post(
        path, data=INFOBIP_INBOUND, content_type="application/json", headers={"X-Signature": INFOBIP_SIGNED_INBOUND}
    )
    assert inbound.status_code == 200, inbound.get_data(as_text=True)
    report = client.post(
        path, data=INFOBIP_DLR, content_type="application/json", headers={"X-Signature": INFOBIP_SIGNED_DLR}
    )
    assert report.status_code == 200, report.get_data(as_text=True)

    (message,) = api("GET", "/inbound-messages").json["items"]
    assert (message["vendor"], message["vendor_message_id"], message["sender"], message["recipient"]) == (
        "custom",
        "817790313235066447",
        "+385916242493",
        "+385921004026",
    )
    assert message["text"] == "QUIZ Correct answer is Paris"
    (delivered,) = api("GET", "/delivery-reports").json["items"]
    assert (delivered["vendor_message_id"], delivered["status"], delivered["vendor_status"], delivered["final"]) == (
        "MESSAGE-ID-123-xyz",
        "delivered",
        "DELIVERED_TO_HANDSET",
        True,
    )

    garbage = json.dumps({"hello": "world"})
    signature = hmac.new(WEBHOOK_SECRET.encode(), garbage.encode(), hashlib.sha256).hexdigest()
    malformed = client.post(path, data=garbage, content_type="application/json", headers={"X-Signature": signature})
    assert malformed.status_code == 400
    assert "matches neither mapping" in malformed.json["error"]["message"]


def test_seed_credential_with_defaults_reads_seed_shapes(smshooks_client: Any, api: Api) -> None:
    created = api(
        "POST",
        "/credentials",
        {
            "name": "seed",
            "vendor": "custom",
            "provider_url": "https://p.example/send",
            "payload_template": SEED_TEMPLATE,
        },
    ).json
    hook = api(
        "POST", "/webhooks", {"name": "f", "vendor": "custom", "type": "feedback", "credentials_id": created["id"]}
    )
    answer = smshooks_client.post(
        f"/hooks/{hook.json['id']}",
        json={"clientReference": "msg_1", "statuses": [{"code": "30003", "status": "bounce"}]},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    (report,) = api("GET", "/delivery-reports").json["items"]
    assert (report["vendor_message_id"], report["status"], report["error_code"]) == ("msg_1", "bounce", "30003")


def test_a_pasted_payload_is_tried_against_the_credentials_mappings(smshooks_app: Any, api: Api) -> None:
    """The console's "try a webhook payload": the credential's mappings applied, nothing verified or stored."""
    from smshooks.credentials.payload_trial import try_payload
    from smshooks.errors import Invalid
    from smshooks.scope import Scope

    created = api("POST", "/credentials", infobip_credential()).json
    gw, scope = smshooks_app.extensions["smshooks"], Scope(api.gateway.org, "prod")
    (message,) = try_payload(gw, scope, created["id"], INFOBIP_INBOUND)
    assert (message["kind"], message["vendor_message_id"], message["sender"], message["recipient"]) == (
        "inbound",
        "817790313235066447",
        "+385916242493",
        "+385921004026",
    )
    assert message["text"] == "QUIZ Correct answer is Paris"
    (report,) = try_payload(gw, scope, created["id"], INFOBIP_DLR)
    assert (report["kind"], report["status"], report["vendor_status"], report["final"]) == (
        "delivery_report",
        "delivered",
        "DELIVERED_TO_HANDSET",
        True,
    )
    with pytest.raises(Invalid, match="cannot read this payload"):
        try_payload(gw, scope, created["id"], json.dumps({"hello": "world"}))
    assert api("GET", "/inbound-messages").json["items"] == []


def test_a_stop_beside_malformed_results_is_stored_and_the_others_reported(smshooks_client: Any, api: Api) -> None:
    """Vendors do not retry a 4xx: the STOP is stored (and opts out), the malformed results are named."""
    created = api("POST", "/credentials", infobip_credential())
    hook = api(
        "POST",
        "/webhooks",
        {"name": "infobip", "vendor": "custom", "type": "inbound", "credentials_id": created.json["id"]}
        | {"sender_number": "+385921004026"},
    )
    assert hook.status_code == 201, hook.json
    stop = {**json.loads(INFOBIP_INBOUND)["results"][0], "text": "STOP"}
    no_from = {key: value for key, value in stop.items() if key != "from"} | {"messageId": "2"}
    too_long = stop | {"messageId": "9" * 201}
    body = json.dumps({"results": [stop, "junk", no_from, too_long]})
    signature = hmac.new(WEBHOOK_SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
    answer = smshooks_client.post(
        f"/hooks/{hook.json['id']}", data=body, content_type="application/json", headers={"X-Signature": signature}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert [item["index"] for item in answer.json["refused"]] == [1, 2, 3]
    assert "lacks {{profileNumber}}" in answer.json["refused"][1]["error"]
    assert "longer than 200" in answer.json["refused"][2]["error"]
    (message,) = api("GET", "/inbound-messages").json["items"]
    assert (message["vendor_message_id"], message["text"]) == ("817790313235066447", "STOP")
    (consent,) = api("GET", "/consent/+385916242493").json["senders"]
    assert consent["state"] == "opted_out"


def test_a_stop_in_a_batch_of_delivery_reports_is_stored_and_opts_out(smshooks_client: Any, api: Api) -> None:
    """One URL, one batch of both kinds: the STOP is not refused for lacking a report's status."""
    created = api("POST", "/credentials", infobip_credential())
    hook = api(
        "POST",
        "/webhooks",
        {"name": "infobip", "vendor": "custom", "type": "inbound", "credentials_id": created.json["id"]}
        | {"sender_number": "+385921004026"},
    )
    assert hook.status_code == 201, hook.json
    stop = {**json.loads(INFOBIP_INBOUND)["results"][0], "text": "STOP"}
    report = json.loads(INFOBIP_DLR)["results"][0]
    body = json.dumps({"results": [stop, report, report | {"messageId": "MESSAGE-ID-124-xyz"}]})
    signature = hmac.new(WEBHOOK_SECRET.encode(), body.encode(), hashlib.sha256).hexdigest()
    answer = smshooks_client.post(
        f"/hooks/{hook.json['id']}", data=body, content_type="application/json", headers={"X-Signature": signature}
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert not (answer.json or {}).get("refused"), answer.json
    (message,) = api("GET", "/inbound-messages").json["items"]
    assert (message["vendor_message_id"], message["sender"], message["text"]) == (
        "817790313235066447",
        "+385916242493",
        "STOP",
    )
    (consent,) = api("GET", "/consent/+385916242493").json["senders"]
    assert consent["state"] == "opted_out"
    reports = api("GET", "/delivery-reports").json["items"]
    assert sorted((r["vendor_message_id"], r["status"]) for r in reports) == [
        ("MESSAGE-ID-123-xyz", "delivered"),
        ("MESSAGE-ID-124-xyz", "delivered"),
    ]
