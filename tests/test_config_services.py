"""The configuration services called directly, as the console calls them: the rules the API's
schemas also apply (so through HTTP they never get the chance) still hold without the API."""

from __future__ import annotations

import pytest
from support.api import new_org

from smshooks.credentials import service as credentials
from smshooks.errors import INVALID_FIELDS, Invalid
from smshooks.gateway import Gateway
from smshooks.inbound import webhooks
from smshooks.replies import service as replies
from smshooks.scope import Scope

BASE = "https://sms.example.test"


@pytest.fixture(scope="module")
def gw(module_app) -> Gateway:
    return module_app.extensions["smshooks"]


@pytest.fixture
def scope() -> Scope:
    return Scope(new_org(), "prod")


def refused(call, *args, **kwargs) -> tuple[str, dict]:
    with pytest.raises(Invalid) as error:
        call(*args, **kwargs)
    return error.value.message, error.value.details


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
