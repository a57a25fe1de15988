"""The feedback, consent, send and query services called directly, as the console calls them: the
rules the API's schemas apply first (so through HTTP the services never meet them) still hold, with
the API's words. One app (and database) for the module; each case is a scope of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.services import refused, shared_gw, shared_scope  # noqa: F401

from smshooks.consent import service as consent
from smshooks.errors import INVALID_FIELDS, Conflict, NotFound
from smshooks.feedback import deliveries, settings
from smshooks.messages import queries
from smshooks.messages.send import NOT_A_RECIPIENT, Recipient, send_messages

URL = "http://127.0.0.1:9/feedback"
BASE = {"name": "fb", "channels": ["sms"], "url": URL}


@pytest.mark.parametrize(
    ("fields", "details"),
    [
        ({"name": ""}, {"name": ["Length must be between 1 and 200."]}),
        ({"channels": []}, {"channels": ["Length must be between 1 and 2."]}),
        ({"channels": ["fax"]}, {"channels": ["Must be one of: sms, email."]}),
        ({"channels": ["sms", "sms"]}, {"channels": ["each channel once"]}),
        ({"url": ""}, {"url": ["Length must be between 1 and 2048."]}),
        ({"headers": {"Host": "x"}}, {"headers": ["Host is set by smshooks"]}),
        ({"signing_secret": "whsec_"}, {"signing_secret": ["a Standard Webhooks secret: whsec_ followed by base64"]}),
        ({"auth": {"type": "basic"}}, {"auth": {"type": ["Must be one of: none, jwt."]}}),
        (
            {"auth": {"type": "jwt", "algorithm": "none"}},
            {"auth": {"algorithm": ["Must be one of: HS256, RS256, ES256."]}},
        ),
        ({"auth": {"type": "jwt"}}, {"auth": {"algorithm": ["required for JWT authentication"]}}),
        ({"auth": {"type": "none", "key": "k"}}, {"auth": {"key": ["only with type jwt"]}}),
    ],
)
def test_a_webhook_field_the_api_schema_refuses_is_refused_by_the_service(gw, scope, fields, details):
    assert refused(settings.create, gw, scope, {**BASE, **fields}) == (INVALID_FIELDS, details)
    with pytest.raises(NotFound):
        settings.get(gw, scope)


def test_the_feedback_webhook_service_lifecycle(gw, scope):
    created = settings.create(gw, scope, {**BASE, "headers": {"X-Key": "secret"}})
    assert created.signing_secret.startswith("whsec_") and created.headers == {"X-Key": "********"}
    assert settings.get(gw, scope).signing_secret is None  # shown once
    with pytest.raises(Conflict) as conflict:
        settings.create(gw, scope, BASE)
    assert conflict.value.details == {"feedback_webhook_id": created.id}
    kept = settings.update(gw, scope, {"headers": {"x-key": "********", "X-New": "n"}})
    assert kept.headers == {"x-key": "********", "X-New": "********"}
    assert refused(settings.rotate_secret, gw, scope, grace=timedelta(days=8))[1] == {
        "grace_period_seconds": ["Must be greater than or equal to 0 and less than or equal to 604800."]
    }
    assert settings.rotate_secret(gw, scope, grace=timedelta(0)).previous_secret_expires_at is None
    since = datetime.now(UTC)
    assert refused(deliveries.replay_deliveries, gw, scope, since=since, until=since)[1] == {
        "until": ["must be after since"]
    }
    assert deliveries.list_deliveries(gw, scope).items == []
    settings.delete(gw, scope)
    with pytest.raises(NotFound, match="no feedback webhook in sandbox 'prod'"):
        settings.delete(gw, scope)


def test_consent_rules_hold_without_the_api(gw, scope):
    assert refused(consent.subscriber_consent, gw, scope, "not a number") == (
        "not a phone number",
        {"phone": ["an E.164 phone number, e.g. +14155550123"]},
    )
    change = {"sender_number": "+14155550100", "state": "opted_out", "admin": "console:ada"}
    assert refused(consent.change_consent, gw, scope, "+14155550123", **{**change, "sender_number": " "})[1] == {
        "sender_number": ["an E.164 number, a short code or an alphanumeric sender id"]
    }
    assert "state" in refused(consent.change_consent, gw, scope, "+14155550123", **{**change, "state": "maybe"})[1]
    after = consent.change_consent(gw, scope, "+1 (415) 555-0123", **change, note="by phone")
    assert [s.state for s in after.senders] == ["opted_out"]
    assert (after.history[-1].actor, after.history[-1].note) == ("admin:console:ada", "by phone")
    assert consent.export_csv(gw, scope).splitlines()[1].startswith("+14155550123,+14155550100,opted_out,")


def test_send_rules_hold_without_the_api(gw, scope):
    send = {"channel_id": "ch_none", "campaign_id": "c", "text": "hi"}
    assert refused(send_messages, gw, scope, **send, recipients=[Recipient("abc")])[1] == {
        "recipients": {0: {"phone": [NOT_A_RECIPIENT]}}
    }
    twice = [Recipient("+14155550123"), Recipient("+1 415 555 0123")]
    assert refused(send_messages, gw, scope, **send, recipients=twice)[1] == {
        "recipients": ["duplicate recipients: +14155550123"]
    }
    assert refused(send_messages, gw, scope, **send, reply_id="rep_x", recipients=[Recipient("+14155550123")])[1] == {
        "text": ["give either text or reply_id"]
    }
    assert refused(send_messages, gw, scope, **send, recipients=[Recipient("+14155550123")]) == (
        "unknown channel",
        {"channel_id": ["no such channel in this sandbox"]},
    )


def test_a_forged_message_cursor_is_invalid(gw, scope):
    assert refused(queries.list_messages, gw, scope, cursor="abc") == (
        INVALID_FIELDS,
        {"cursor": ["not a cursor of this list"]},
    )
