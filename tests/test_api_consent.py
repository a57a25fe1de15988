"""``PUT /api/v1/consent/<phone>``: which of our sender numbers an administrator's change may name.

One app and database for the module; each test an organisation of its own. A change for a value
that cannot be one of our sender addresses is refused (422, the field named), and leaves no record
behind: an opt-out typed with a typo must not look successful while it affects no send.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from support.api import make_webhook, post_signed
from support.one_app import shared_api, shared_app, shared_client, shared_settings  # noqa: F401

SUBSCRIBER = "+14155550123"
OUR_NUMBER = "+14155550100"
NOT_A_SENDER = "an E.164 number, a short code or an alphanumeric sender id"


def put(api, sender_number, state: str = "opted_out", phone: str = SUBSCRIBER):
    return api.request("PUT", f"/consent/{quote(phone, safe='')}", {"sender_number": sender_number, "state": state})


def senders(api, phone: str = SUBSCRIBER) -> dict[str, str | None]:
    return {s["sender_number"]: s["state"] for s in api.get(f"/consent/{quote(phone, safe='')}").json["senders"]}


# label, sender_number given -> the sender number the record is kept under
ACCEPTED = [
    ("an E.164 number", OUR_NUMBER, OUR_NUMBER),
    ("a number written with spaces and dashes", "+1 415-555-0100", OUR_NUMBER),
    ("a short code", "12345", "12345"),
    ("an alphanumeric sender id", "MyBrand", "MyBrand"),
    ("every number, as a STOPALL records it", "*", "*"),
]


@pytest.mark.parametrize(("label", "given", "kept_as"), ACCEPTED, ids=[row[0] for row in ACCEPTED])
def test_a_change_for_one_of_our_sender_addresses_is_recorded_under_it(api, label, given, kept_as):
    answer = put(api, given)
    assert answer.status_code == 200, answer.json
    assert senders(api) == {kept_as: "opted_out"}


# label, sender_number given
REFUSED = [
    ("words", "not a number"),
    ("punctuation", "garbage!!"),
    ("blank", "   "),
    ("empty", ""),
    ("a plus and letters", "+abc"),
    ("a number too short for the numbering plan", "+1"),
    ("a number without a country code", "4155550100"),
    ("too short for a short code", "12"),
    ("a sender id over 11 characters", "TooLongSenderId"),
]


@pytest.mark.parametrize(("label", "given"), REFUSED, ids=[row[0] for row in REFUSED])
def test_a_change_for_a_value_that_is_not_a_sender_address_is_refused_and_records_nothing(api, label, given):
    answer = put(api, given)
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["code"] == "invalid"
    assert answer.json["error"]["details"] == {"sender_number": [NOT_A_SENDER]}
    assert api.get(f"/consent/{quote(SUBSCRIBER, safe='')}").json == {
        "subscriber": SUBSCRIBER,
        "senders": [],
        "history": [],
    }


def test_a_record_kept_under_a_sender_the_rule_refuses_can_still_be_changed(api, client):
    # an inbound message to a recipient the vendor spells oddly leaves a record under that spelling;
    # the administrator must be able to change it (an opt-out is never blocked), and only it
    hook = make_webhook(api)
    odd = "+abc"
    message = {"id": "m-odd", "from": SUBSCRIBER, "to": odd, "text": "START"}
    assert post_signed(client, hook, {"messages": [message]}).status_code == 200
    assert odd in senders(api)

    answer = put(api, odd)
    assert answer.status_code == 200, answer.json
    assert senders(api)[odd] == "opted_out"
    # the same spelling for another subscriber names no record of theirs: refused
    assert put(api, odd, phone="+14155550999").status_code == 422


def test_the_export_shows_a_record_without_consent_as_an_empty_cell(api):
    # a "none" change for a pair never stated leaves an empty record, as a fuzzy prompt's stamp does
    assert put(api, OUR_NUMBER, state="none").status_code == 200
    assert put(api, "12345", state="opted_in").status_code == 200
    lines = api.get("/consent?format=csv").get_data(as_text=True).splitlines()
    rows = {line.split(",")[1]: line.split(",")[2] for line in lines[1:]}
    assert rows == {OUR_NUMBER: "", "12345": "opted_in"}


@pytest.mark.parametrize("method", ["GET", "PUT"])
@pytest.mark.parametrize("phone", ["not-a-number", "12345", "+1"])
def test_a_path_phone_that_is_not_a_subscriber_number_is_422_naming_it(api, method, phone):
    body = {"sender_number": OUR_NUMBER, "state": "opted_out"} if method == "PUT" else None
    answer = api.request(method, f"/consent/{quote(phone, safe='')}", body)
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["details"] == {"phone": ["an E.164 phone number, e.g. +14155550123"]}
