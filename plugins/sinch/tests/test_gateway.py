"""The plugin inside a real gateway: found through its entry point, its webhooks end to end.

The kit's ``smshooks_gateway`` fixture is an organisation of its own on one
app per module (``smshooks_app``, every installed plugin loaded as in
production): create a webhook for Sinch, post its real requests to
``/hooks/<id>``, read what the API stored. The gateway checks the signed
timestamp against its own clock, so these signatures are made now, with the
scheme of Sinch's SDKs written out here (not the plugin's code).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from smshooks.testing.gateway import GatewayClient

from .cases import API_TOKEN, MO_TEXT, NONCE, REPORT_412, SERVICE_PLAN_ID, SIGNATURE, TIMESTAMP, WEBHOOK_SECRET

SIGNED = {"service_plan_id": SERVICE_PLAN_ID, "api_token": API_TOKEN, "region": "us", "webhook_secret": WEBHOOK_SECRET}


def sign(body: str, nonce: str | None = None) -> dict[str, str]:
    nonce = nonce or secrets.token_hex(13)
    timestamp = str(int(time.time()))
    data = body.encode() + b"." + nonce.encode() + b"." + timestamp.encode()
    signature = base64.b64encode(hmac.new(WEBHOOK_SECRET.encode(), data, hashlib.sha256).digest()).decode()
    return {SIGNATURE: signature, NONCE: nonce, TIMESTAMP: timestamp}


def test_the_gateway_loads_the_plugin_through_its_entry_point(smshooks_gateway: GatewayClient) -> None:
    answer = smshooks_gateway.get("/plugins").get_json()
    (plugin,) = [plugin for plugin in answer["plugins"] if "sinch" in plugin["vendors"]]
    assert (plugin["source"], plugin["status"], plugin["distribution"]) == ("entry_point", "loaded", "smshooks-sinch")
    (vendor,) = [vendor for vendor in answer["vendors"] if vendor["name"] == "sinch"]
    assert vendor["credential_fields"]["api_token"] == {"required": True, "secret": True, "target": False}


def test_a_signed_inbound_message_is_stored_and_acknowledged(smshooks_gateway: GatewayClient) -> None:
    hook = smshooks_gateway.create_webhook("sinch", SIGNED)
    assert smshooks_gateway.post_hook(hook, MO_TEXT).status_code == 403  # unsigned
    headers = sign(MO_TEXT)
    answer = smshooks_gateway.post_hook(hook, MO_TEXT, headers)
    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "")  # acknowledge()'s answer
    assert smshooks_gateway.post_hook(hook, MO_TEXT, headers).status_code == 403  # the nonce replayed
    (stored,) = smshooks_gateway.get("/inbound-messages").get_json()["items"]
    assert (stored["vendor"], stored["vendor_message_id"], stored["sender"], stored["text"]) == (
        "sinch",
        "01W4FFL35P4NC4K35SMSBATCH8",
        "+12015555555",
        "Hello John! \N{WAVING HAND SIGN}",
    )


def test_a_delivery_report_is_stored_with_its_mapped_status(smshooks_gateway: GatewayClient) -> None:
    hook = smshooks_gateway.create_webhook("sinch", SIGNED, type="feedback")
    assert smshooks_gateway.post_hook(hook, REPORT_412, sign(REPORT_412)).status_code == 200
    (report,) = smshooks_gateway.get("/delivery-reports").get_json()["items"]
    assert (report["vendor_message_id"], report["status"], report["vendor_status"], report["final"]) == (
        "01W4FFL35P4NC4K35SMSBATCH9",
        "error",
        "Aborted",
        True,
    )


def test_a_malformed_payload_is_answered_400(smshooks_gateway: GatewayClient) -> None:
    hook = smshooks_gateway.create_webhook("sinch", SIGNED)
    body = '{"type": "mo_teleport"}'
    assert smshooks_gateway.post_hook(hook, body, sign(body)).status_code == 400
