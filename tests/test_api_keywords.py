"""The keyword configuration API of inbound webhooks, and /keywords/classify."""

from __future__ import annotations

import pytest
from support.api import make_webhook

CONFIG = {
    "categories": [
        {"category": "opt_out", "keywords": ["STOP", "STOPP", "ARRET"], "reply_id": None},
        {"category": "double_opt_in", "keywords": ["JOIN"], "reply_id": None},
        {"category": "custom", "keywords": ["PIZZA"], "reply_id": None},
    ],
    "fuzzy_opt_out": {"enabled": True, "action": "auto_opt_out", "reply_id": None},
    "default_reply_id": None,
    "compliance_profile": "us",
    "locale_packs": ["sv"],
    "double_opt_in_expiry_hours": 48,
    "double_opt_in_confirm_keyword": "YES",
    "reply_rate_limit_hours": 24,
}


@pytest.fixture
def hook(api):
    return make_webhook(api)


def test_a_config_reads_back_exactly_as_saved(api, hook):
    saved = api.request("PUT", f"/webhooks/{hook['id']}/keywords", CONFIG)
    assert saved.status_code == 200, saved.json
    assert without_effective(saved.json) == CONFIG
    read = api.get(f"/webhooks/{hook['id']}/keywords").json
    assert without_effective(read) == CONFIG
    # the answer, PUT back unchanged (``effective`` and all), is accepted and changes nothing
    again = api.request("PUT", f"/webhooks/{hook['id']}/keywords", read)
    assert again.status_code == 200, again.json
    assert again.json == read


def without_effective(settings: dict) -> dict:
    return {key: value for key, value in settings.items() if key != "effective"}


def keywords_of(view: dict, category: str) -> list[tuple[str, str]]:
    return [(entry["keyword"], entry["source"]) for entry in view["effective"][category]["keywords"]]


def test_the_effective_default_keywords_are_shown_marked_as_defaults(api, hook):
    """Never configured, the settings list no category, yet STOP, YES, HELP … match: the answer shows them."""
    view = api.get(f"/webhooks/{hook['id']}/keywords").json
    assert view["categories"] == []
    assert view["effective"]["opt_out"]["default"] is True
    assert ("STOP", "default") in keywords_of(view, "opt_out")
    assert ("YES", "default") in keywords_of(view, "opt_in")
    assert keywords_of(view, "help")[0] == ("HELP", "default")
    assert view["effective"]["custom"] == {"default": True, "keywords": []}


def test_the_effective_keywords_name_where_each_comes_from(api, hook):
    view = api.request("PUT", f"/webhooks/{hook['id']}/keywords", CONFIG).json
    assert view["effective"]["opt_out"]["default"] is False
    opt_out = keywords_of(view, "opt_out")
    assert opt_out[:3] == [("STOP", "configured"), ("STOPP", "configured"), ("ARRET", "configured")]
    assert ("SLUTA", "locale_pack:sv") in opt_out and ("REVOKE", "compliance_profile:us") in opt_out
    assert ("NO", "default") not in opt_out  # a configured list replaces the defaults
    assert ("QUIT", "compliance_profile:us") in opt_out  # … but us keeps every per-se revocation word
    assert view["effective"]["help"]["default"] is True
    assert api.get(f"/webhooks/{hook['id']}/keywords").json["effective"] == view["effective"]


def test_the_config_drives_classification(api, hook):
    api.request("PUT", f"/webhooks/{hook['id']}/keywords", CONFIG)
    classify = lambda text: api.post("/keywords/classify", {"text": text, "webhook_id": hook["id"]}).json  # noqa: E731
    assert classify("arret")["category"] == "opt_out"  # a custom opt-out keyword
    assert classify("no") == {  # a default the configured list left out
        "category": "none",
        "match": "none",
        "keyword": None,
        "rule": None,
        "decided_by": None,
        "canonical": "no",
    }
    assert (classify("quit")["category"], classify("quit")["match"]) == ("opt_out", "exact")  # us keeps it
    assert classify("pizza")["category"] == "custom"
    assert classify("REVOKE")["match"] == "exact"  # the us profile adds it
    assert classify("sluta")["category"] == "opt_out"  # the sv pack
    defaults = api.post("/keywords/classify", {"text": "quit"}).json
    assert (defaults["category"], defaults["match"]) == ("opt_out", "exact")


@pytest.mark.parametrize(
    ("config", "field", "needle"),
    [
        ({"categories": [{"category": "opt_in", "keywords": ["no"]}]}, "categories", "opt_out"),
        ({"categories": [{"category": "sideways", "keywords": ["x"]}]}, "categories", ""),
        ({"fuzzy_opt_out": {"enabled": True, "action": "maybe"}}, "fuzzy_opt_out", ""),
        ({"compliance_profile": "eu"}, "compliance_profile", ""),
        ({"locale_packs": ["xx"]}, "locale_packs", ""),
        ({"double_opt_in_expiry_hours": 0}, "double_opt_in_expiry_hours", ""),
        ({"default_reply_id": "rep_missing"}, "reply_id", "rep_missing"),
        ({"surprise": 1}, "surprise", ""),
        # an opt-out is never blocked by a configuration: what a subscriber means as one can mean nothing else
        ({"categories": [{"category": "opt_in", "keywords": ["STOP"]}]}, "categories", "opt_out"),
        (
            {
                "categories": [
                    {"category": "opt_out", "keywords": ["QUIT"]},
                    {"category": "opt_in", "keywords": ["stop"]},
                ]
            },
            "categories",
            "'stop' is an opt-out word",
        ),
        ({"categories": [{"category": "help", "keywords": ["Cancel"]}]}, "categories", "opt_out"),
        ({"categories": [{"category": "custom", "keywords": ["STOP PLEASE"]}]}, "categories", "reads as an opt-out"),
        ({"categories": [{"category": "custom", "keywords": ["unsub"]}]}, "categories", "(rule F3)"),
        ({"categories": [{"category": "custom", "keywords": ["S T O P"]}]}, "categories", "reads as an opt-out"),
        ({"categories": [{"category": "double_opt_in", "keywords": ["OPT OUT"]}]}, "categories", "opt-out word"),
        (
            {
                "categories": [
                    {"category": "opt_out", "keywords": ["ARRET"]},
                    {"category": "custom", "keywords": ["ARRET!"]},
                ]
            },
            "categories",
            "opt_out",
        ),
        ({"double_opt_in_confirm_keyword": "unsubscribe"}, "double_opt_in_confirm_keyword", "opt-out word"),
        ({"locale_packs": ["sv"], "categories": [{"category": "custom", "keywords": ["STOPPA"]}]}, "categories", "opt"),
        (
            {"compliance_profile": "us", "fuzzy_opt_out": {"enabled": False, "action": "prompt"}},
            "fuzzy_opt_out",
            "us profile",
        ),
    ],
    ids=[
        "keyword in two categories",
        "unknown category",
        "bad action",
        "bad profile",
        "bad pack",
        "bad expiry",
        "unknown reply",
        "unknown field",
        "STOP as an opt-in keyword",
        "STOP left out of opt_out, then made an opt-in keyword",
        "CANCEL as help",
        "a custom keyword the fuzzy layer reads as an opt-out",
        "UNSUB as a custom keyword",
        "spaced-out STOP as a custom keyword",
        "OPT OUT for a double opt-in",
        "a configured opt-out word again as custom",
        "an opt-out word as the confirm keyword",
        "a locale pack's opt-out word as custom",
        "us without the fuzzy layer",
    ],
)
def test_invalid_configs_are_422_with_field_messages(api, hook, config, field, needle):
    answer = api.request("PUT", f"/webhooks/{hook['id']}/keywords", config)
    assert answer.status_code == 422, answer.json
    details = answer.json["error"]["details"]
    assert field in details, details
    assert needle in str(details[field])
    assert api.get(f"/webhooks/{hook['id']}/keywords").json["categories"] == []  # unchanged: the defaults


def test_keyword_configs_are_scoped(api, hook):
    assert api.in_sandbox("dev").request("PUT", f"/webhooks/{hook['id']}/keywords", {}).status_code == 404
    answer = api.post("/keywords/classify", {"text": "stop", "webhook_id": "wh_nope"})
    assert answer.status_code == 404


@pytest.mark.parametrize(
    "content_type",
    [None, "application/json"],
    ids=["no body, no content type", "no body, JSON content type"],
)
def test_a_put_without_a_body_is_400_and_keeps_the_config(api, hook, content_type):
    assert api.request("PUT", f"/webhooks/{hook['id']}/keywords", CONFIG).status_code == 200
    answer = api.request("PUT", f"/webhooks/{hook['id']}/keywords", content_type=content_type)
    assert answer.status_code == 400, answer.json
    assert answer.json["error"]["code"] == "bad_request"
    assert "body" in answer.json["error"]["message"]
    assert without_effective(api.get(f"/webhooks/{hook['id']}/keywords").json) == CONFIG


def test_an_empty_object_still_resets_the_config_to_the_defaults(api, hook):
    api.request("PUT", f"/webhooks/{hook['id']}/keywords", CONFIG)
    answer = api.request("PUT", f"/webhooks/{hook['id']}/keywords", {})
    assert answer.status_code == 200, answer.json
    assert api.get(f"/webhooks/{hook['id']}/keywords").json["categories"] == []


def test_a_delivery_report_webhook_takes_keyword_settings_and_classifies_with_them(api):
    """A vendor may post messages to its delivery-report ("feedback") webhook too (Sinch uses one URL):
    they are classified, so its keywords (the us profile, a custom opt-out word) must be settable."""
    feedback_hook = make_webhook(api, type_="feedback", name="fb")
    answer = api.request("PUT", f"/webhooks/{feedback_hook['id']}/keywords", CONFIG)
    assert answer.status_code == 200, answer.json
    assert without_effective(api.get(f"/webhooks/{feedback_hook['id']}/keywords").json) == CONFIG
    tried = api.post("/keywords/classify", {"text": "arret", "webhook_id": feedback_hook["id"]}).json
    assert (tried["category"], tried["match"]) == ("opt_out", "exact")
