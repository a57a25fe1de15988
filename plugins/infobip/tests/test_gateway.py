"""The plugin inside the gateway: a batch with malformed items stores the others (an opt-out among them).

The app finds the plugin through its entry point, as in production: the kit's
``smshooks_app`` (one per module), each test an organisation of its own.
"""

from __future__ import annotations

from typing import Any

import pytest

from smshooks.testing.gateway import GatewayClient

from .cases import BAD_ITEMS, BATCH_STOP_ITEM, CREDENTIALS, batch

OUR_NUMBER = "+385921004026"
SUBSCRIBER = "+385916242493"

#: the plugin's malformed items, and one only the host's columns refuse
GATEWAY_BAD_ITEMS = [
    *BAD_ITEMS,
    ("message-id-longer-than-its-column", {**BATCH_STOP_ITEM, "messageId": "9" * 201}, "longer than 200 characters"),
]


def inbound_webhook(gateway: GatewayClient) -> dict[str, Any]:
    return gateway.create_webhook("infobip", CREDENTIALS, sender_number=OUR_NUMBER)


@pytest.mark.parametrize(
    ("label", "bad", "reason"), GATEWAY_BAD_ITEMS, ids=[label for label, _, _ in GATEWAY_BAD_ITEMS]
)
def test_a_stop_beside_a_malformed_item_is_stored_and_opts_out(
    smshooks_gateway: GatewayClient, label: str, bad: object, reason: str
) -> None:
    hook = inbound_webhook(smshooks_gateway)
    answer = smshooks_gateway.post_hook(hook, batch(BATCH_STOP_ITEM, bad))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    [refused] = answer.get_json()["refused"]
    assert refused["index"] == 1 and reason in refused["error"], refused
    stored = smshooks_gateway.get("/inbound-messages").get_json()["items"]
    assert [(item["vendor_message_id"], item["text"]) for item in stored] == [(BATCH_STOP_ITEM["messageId"], "STOP")]
    [consent] = smshooks_gateway.get(f"/consent/{SUBSCRIBER}").get_json()["senders"]
    assert consent["state"] == "opted_out"


def test_a_batch_of_only_malformed_items_is_400(smshooks_gateway: GatewayClient) -> None:
    hook = inbound_webhook(smshooks_gateway)
    answer = smshooks_gateway.post_hook(hook, batch(*(bad for _, bad, _ in GATEWAY_BAD_ITEMS)))
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert smshooks_gateway.get("/inbound-messages").get_json()["items"] == []
