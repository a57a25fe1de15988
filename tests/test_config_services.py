"""The configuration services called directly, as the console calls them: the rules the API's
schemas also apply (so through HTTP they never get the chance) still hold without the API."""

from __future__ import annotations

import pytest
from support.services import refused, shared_gw, shared_scope  # noqa: F401

from smshooks.consent import sandbox_settings
from smshooks.consent.sandbox_policy import Policy
from smshooks.credentials import service as credentials
from smshooks.errors import INVALID_FIELDS, NotFound
from smshooks.gateway import Gateway
from smshooks.inbound import keyword_settings, webhooks
from smshooks.messages import channels
from smshooks.replies import profiles
from smshooks.replies import service as replies
from smshooks.scope import Scope

BASE = "https://sms.example.test"


def credential(gw: Gateway, scope: Scope) -> str:
    return credentials.create_credential(gw, scope, name="c", vendor="loopback", values={"account": "A"}).id


@pytest.mark.parametrize(
    ("fields", "details"),
    [
        ({"type": "outbound"}, {"type": ["Must be one of: inbound, feedback."]}),
        ({"sender_number": "+abc"}, {"sender_number": ["an E.164 number, a short code or an alphanumeric sender id"]}),
        ({"sender_number": ""}, {"sender_number": ["an E.164 number, a short code or an alphanumeric sender id"]}),
        ({"name": ""}, {"name": ["Length must be between 1 and 200."]}),
        ({"name": "x" * 201}, {"name": ["Length must be between 1 and 200."]}),
    ],
)
def test_a_webhook_field_the_api_schema_refuses_is_refused_by_the_service(gw, scope, fields, details):
    values = {"name": "hook", "vendor": "loopback", "type": "inbound", "credentials_id": credential(gw, scope)}
    assert refused(webhooks.create_webhook, gw, scope, base_url=BASE, **{**values, **fields}) == (
        INVALID_FIELDS,
        details,
    )


@pytest.mark.parametrize(
    ("changes", "details"),
    [
        ({"type": "outbound"}, {"type": ["Must be one of: inbound, feedback."]}),
        (
            {"sender_number": "call me"},
            {"sender_number": ["an E.164 number, a short code or an alphanumeric sender id"]},
        ),
        ({"vendor": "other"}, {"vendor": ["Unknown field."]}),
        ({"id": "wh_mine"}, {"id": ["Unknown field."]}),
    ],
)
def test_a_webhook_change_the_api_schema_refuses_is_refused_by_the_service(gw, scope, changes, details):
    hook = webhooks.create_webhook(
        gw, scope, base_url=BASE, name="hook", vendor="loopback", type="inbound", credentials_id=credential(gw, scope)
    )
    assert refused(webhooks.update_webhook, gw, scope, hook.id, changes, base_url=BASE) == (INVALID_FIELDS, details)
    assert webhooks.get_webhook(gw, scope, hook.id, base_url=BASE) == hook


def test_a_webhook_url_is_the_base_url_given(gw, scope):
    hook = webhooks.create_webhook(
        gw, scope, base_url=BASE, name="hook", vendor="loopback", type="inbound", credentials_id=credential(gw, scope)
    )
    assert hook.url == f"{BASE}/hooks/{hook.id}"
    assert (
        webhooks.list_webhooks(gw, scope, base_url="http://other.test")[0].url == f"http://other.test/hooks/{hook.id}"
    )


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("", (INVALID_FIELDS, {"template": ["Length must be between 1 and 4000."]})),
        ("x" * 4001, (INVALID_FIELDS, {"template": ["Length must be between 1 and 4000."]})),
        ("{{ '' }}", ("the template renders to an empty message", {"template": ["renders empty"]})),
    ],
)
def test_a_reply_template_the_api_schema_refuses_is_refused_by_the_service(gw, scope, template, expected):
    assert refused(replies.create_reply, gw, scope, name="r", template=template) == expected
    assert replies.list_replies(gw, scope) == []


def test_a_reply_change_of_an_unknown_field_is_refused(gw, scope):
    reply = replies.create_reply(gw, scope, name="r", template="Hi")
    assert refused(replies.update_reply, gw, scope, reply.id, {"id": "rep_mine"}) == (
        INVALID_FIELDS,
        {"id": ["Unknown field."]},
    )
    assert replies.get_reply(gw, scope, reply.id) == reply


def inbound_hook(gw: Gateway, scope: Scope) -> str:
    credential_id = credential(gw, scope)
    hook = webhooks.create_webhook(
        gw, scope, base_url=BASE, name="hook", vendor="loopback", type="inbound", credentials_id=credential_id
    )
    return hook.id


def test_keyword_settings_given_raw_are_validated_and_normalised_by_the_service(gw, scope):
    hook_id = inbound_hook(gw, scope)
    message, details = refused(
        keyword_settings.replace_keyword_settings, gw, scope, hook_id, {"double_opt_in_expiry_hours": 0}
    )
    assert (message, list(details)) == (INVALID_FIELDS, ["double_opt_in_expiry_hours"])
    saved = keyword_settings.replace_keyword_settings(
        gw, scope, hook_id, {"categories": [{"category": "opt_out", "keywords": [" halt "]}]}
    )
    assert saved["categories"] == [{"category": "opt_out", "keywords": ["halt"], "reply_id": None}]
    assert keyword_settings.get_keyword_settings(gw, scope, hook_id) == saved
    assert keyword_settings.classify_text(gw, scope, "HALT", hook_id).category == "opt_out"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"sender_number": "ACME"}, (INVALID_FIELDS, {"sender_number": ["an E.164 phone number, e.g. +14155550100"]})),
        ({"name": ""}, (INVALID_FIELDS, {"name": ["Length must be between 1 and 200."]})),
        (
            {"credentials_id": "cred_none"},
            ("unknown credential", {"credentials_id": ["no such credential in this sandbox"]}),
        ),
        (
            {"inbound_webhook_id": "wh_none"},
            ("invalid webhook references", {"inbound_webhook_id": ["no such webhook in this sandbox"]}),
        ),
    ],
)
def test_a_channel_the_rules_refuse_is_refused_by_the_service(gw, scope, fields, expected):
    values = {"name": "ch", "credentials_id": credential(gw, scope), "sender_number": "+14155550100"}
    assert refused(channels.create_channel, gw, scope, **{**values, **fields}) == expected
    assert channels.list_channels(gw, scope) == []


def test_a_channel_answers_its_credentials_vendor_and_its_number_normalised(gw, scope):
    hook_id = inbound_hook(gw, scope)
    credential_id = webhooks.get_webhook(gw, scope, hook_id, base_url=BASE).credentials_id
    channel = channels.create_channel(
        gw, scope, name="ch", credentials_id=credential_id, sender_number="1 415 555 0100", inbound_webhook_id=hook_id
    )
    assert (channel.vendor, channel.sender_number) == ("loopback", "+14155550100")
    assert channels.list_channels(gw, scope) == [channel] == [channels.get_channel(gw, scope, channel.id)]
    assert refused(channels.update_channel, gw, scope, channel.id, {"vendor": "x"}) == (
        INVALID_FIELDS,
        {"vendor": ["Unknown field."]},
    )
    moved = channels.update_channel(
        gw, scope, channel.id, {"inbound_webhook_id": None, "sender_number": "+1 415 555 0101"}
    )
    assert (moved.inbound_webhook_id, moved.sender_number) == (None, "+14155550101")


def test_a_profile_is_keyed_by_the_number_in_e164_and_replaced_whole(gw, scope):
    assert refused(profiles.put_profile, gw, scope, "garbage", {}) == (
        "not a phone number",
        {"phone": ["an E.164 phone number, e.g. +14155550123"]},
    )
    with pytest.raises(NotFound):
        profiles.get_profile(gw, scope, "+14155550123")
    first = profiles.put_profile(gw, scope, "+1 (415) 555-0123", {"first_name": "Ann", "plan": "gold"})
    again = profiles.put_profile(gw, scope, "14155550123", {"first_name": "Bo"})
    assert (first.phone, again.phone, again.attributes) == ("+14155550123", "+14155550123", {"first_name": "Bo"})
    assert profiles.get_profile(gw, scope, "+14155550123") == again
    assert refused(profiles.put_profile, gw, scope, "+14155550123", ["not", "a", "mapping"]) == (
        INVALID_FIELDS,
        {"attributes": ["Not a valid mapping type."]},
    )


def test_sandbox_settings_default_until_saved_and_a_left_out_setting_takes_its_default(gw, scope):
    assert sandbox_settings.get_sandbox_settings(gw, scope) == Policy()
    saved = sandbox_settings.replace_sandbox_settings(
        gw, scope, consent_scope="number", marketing_requires_opt_in=False
    )
    assert saved == Policy("number", False) == sandbox_settings.get_sandbox_settings(gw, scope)
    assert sandbox_settings.replace_sandbox_settings(gw, scope, consent_scope="number") == Policy("number", True)
    assert refused(sandbox_settings.replace_sandbox_settings, gw, scope, consent_scope="org") == (
        INVALID_FIELDS,
        {"consent_scope": ["Must be one of: sandbox, number."]},
    )
