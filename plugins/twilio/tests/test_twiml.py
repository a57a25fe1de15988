"""acknowledge(): the TwiML document Twilio reads replies from."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from smshooks_twilio import TwilioVendor

VENDOR = TwilioVendor()


def messages(body: str) -> list[str | None]:
    root = ET.fromstring(body.encode("utf-8"))
    assert root.tag == "Response"
    assert all(child.tag == "Message" for child in root)
    return [child.text for child in root]


def test_no_reply_is_an_empty_response() -> None:
    answer = VENDOR.acknowledge([])
    assert answer.status == 200
    assert answer.content_type == "application/xml"
    assert answer.body == '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    assert messages(answer.body) == []


def test_replies_become_messages_in_order_and_escaped() -> None:
    replies = ["You are unsubscribed. Reply START & <b>rejoin</b>", 'Second "reply" 📷 ünïcode']
    answer = VENDOR.acknowledge(replies)
    assert answer.body.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    assert "&amp;" in answer.body and "&lt;b&gt;" in answer.body
    assert messages(answer.body) == replies


def test_text_xml_cannot_carry_is_dropped_not_fatal() -> None:
    answer = VENDOR.acknowledge(["bell\x07 and nul\x00 gone"])
    assert messages(answer.body) == ["bell and nul gone"]


def test_blank_replies_are_skipped() -> None:
    answer = VENDOR.acknowledge(["", "  \n", "Hello"])
    assert messages(answer.body) == ["Hello"]
    assert messages(VENDOR.acknowledge(["", " "]).body) == []


def test_same_document_as_twilios_messaging_response() -> None:
    twiml = pytest.importorskip("twilio.twiml.messaging_response")
    reference = twiml.MessagingResponse()
    for text in ["Hi & bye", "<STOP>"]:
        reference.message(text)
    ours = ET.fromstring(VENDOR.acknowledge(["Hi & bye", "<STOP>"]).body.encode())
    theirs = ET.fromstring(str(reference).encode())
    assert ET.tostring(ours) == ET.tostring(theirs)
