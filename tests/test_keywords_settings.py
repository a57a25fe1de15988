"""KeywordSettingsSchema: validation (422-style messages), normalisation and round trips."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from marshmallow import ValidationError

from smshooks.keywords import Category, KeywordConfig, Match, classify
from smshooks.keywords.settings import KeywordSettingsSchema

SCHEMA = KeywordSettingsSchema()

FULL = {
    "categories": [
        {"category": "opt_out", "keywords": ["STOP", "HALT", "Opt Out"], "reply_id": "rep_out"},
        {"category": "opt_in", "keywords": ["YES", "JOIN"], "reply_id": None},
        {"category": "double_opt_in", "keywords": ["SIGNUP"], "reply_id": "rep_doi"},
        {"category": "help", "keywords": [], "reply_id": "rep_help"},
        {"category": "custom", "keywords": ["MENU", "Pizza 🍕"], "reply_id": "rep_menu"},
    ],
    "fuzzy_opt_out": {"enabled": True, "action": "auto_opt_out", "reply_id": "rep_fuzzy"},
    "default_reply_id": "rep_default",
    "compliance_profile": "us",
    "locale_packs": ["sv"],
    "double_opt_in_expiry_hours": 48,
    "double_opt_in_confirm_keyword": "JOIN",
    "reply_rate_limit_hours": 12,
}

DEFAULTS = {
    "categories": [],
    "fuzzy_opt_out": {"enabled": True, "action": "prompt", "reply_id": None},
    "default_reply_id": None,
    "compliance_profile": "none",
    "locale_packs": [],
    "double_opt_in_expiry_hours": 72,
    "double_opt_in_confirm_keyword": "YES",
    "reply_rate_limit_hours": 24,
}


def test_full_settings_round_trip() -> None:
    loaded = SCHEMA.load(copy.deepcopy(FULL))
    assert loaded == FULL
    assert SCHEMA.dump(loaded) == loaded
    assert SCHEMA.load(SCHEMA.dump(loaded)) == loaded
    assert json.loads(json.dumps(loaded)) == loaded  # stored as JSON, read back the same
    config = KeywordConfig.from_settings(loaded)
    assert classify("opt-out", config).keyword == "Opt Out"
    assert classify("pizza", config).category == Category.CUSTOM
    assert classify("signup", config).category == Category.DOUBLE_OPT_IN
    assert config.reply_ids["custom"] == "rep_menu" and config.reply_ids["fuzzy"] == "rep_fuzzy"
    assert config.double_opt_in_expiry_hours == 48


def test_empty_settings_load_as_the_defaults() -> None:
    loaded = SCHEMA.load({})
    assert loaded == DEFAULTS
    assert SCHEMA.dump(loaded) == loaded
    assert KeywordConfig.from_settings(loaded) == KeywordConfig.default()


def test_partial_entries_are_completed_and_keywords_trimmed() -> None:
    loaded = SCHEMA.load({"categories": [{"category": "custom", "keywords": ["  Menu  "]}], "fuzzy_opt_out": {}})
    assert loaded["categories"] == [{"category": "custom", "keywords": ["Menu"], "reply_id": None}]
    assert loaded["fuzzy_opt_out"] == DEFAULTS["fuzzy_opt_out"]
    assert SCHEMA.load(SCHEMA.dump(loaded)) == loaded


def _errors(settings: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as raised:
        SCHEMA.load(settings)
    return raised.value.messages  # type: ignore[return-value]


CONFLICTS = [
    pytest.param(
        {"categories": [{"category": "opt_in", "keywords": ["YES", "no"]}]},
        ["'no' is in both opt_out and opt_in"],
        id="custom-opt-in-no-vs-default-opt-out",
    ),
    pytest.param(
        {"categories": [{"category": "opt_in", "keywords": ["Nö!"]}]},
        ["'no' is in both opt_out and opt_in"],
        id="same-after-canonicalisation",
    ),
    pytest.param(
        {"categories": [{"category": "custom", "keywords": ["info"]}]},
        ["'info' is in both help and custom"],
        id="custom-vs-default-help",
    ),
    pytest.param(
        {"categories": [{"category": "double_opt_in", "keywords": ["START"]}], "compliance_profile": "us"},
        ["'start' is in both double_opt_in and opt_in"],
        id="us-profile-keeps-START",
    ),
    pytest.param(
        {"categories": [{"category": "help", "keywords": ["SLUTA"]}], "locale_packs": ["sv"]},
        ["'sluta' is in both opt_out and help"],
        id="sv-pack-adds-SLUTA",
    ),
    pytest.param(
        {
            "categories": [
                {"category": "custom", "keywords": ["STOP", "yes"]},
                {"category": "help", "keywords": ["stop"]},
            ]
        },
        ["'stop' is in opt_out, help and custom", "'yes' is in both opt_in and custom"],
        id="several",
    ),
]


@pytest.mark.parametrize(("settings", "messages"), CONFLICTS)
def test_a_keyword_in_two_categories_is_rejected(settings: dict[str, Any], messages: list[str]) -> None:
    assert _errors(settings) == {"categories": messages}


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param(
            {
                "categories": [
                    {"category": "opt_out", "keywords": ["STOP", "END"]},
                    {"category": "custom", "keywords": ["NO"]},
                ]
            },
            id="NO-moved-to-custom",
        ),
        pytest.param({"locale_packs": ["sv"], "compliance_profile": "us"}, id="pack-and-profile"),
    ],
)
def test_valid_settings(settings: dict[str, Any]) -> None:
    KeywordConfig.from_settings(SCHEMA.load(settings))


INVALID = [
    pytest.param({"categories": [{"category": "marketing", "keywords": ["X"]}]}, "categories", id="unknown-category"),
    pytest.param({"categories": [{"category": "none", "keywords": ["X"]}]}, "categories", id="category-none"),
    pytest.param({"categories": [{"keywords": ["X"]}]}, "categories", id="missing-category"),
    pytest.param({"categories": [{"category": "custom", "keywords": [""]}]}, "categories", id="empty-keyword"),
    pytest.param({"categories": [{"category": "custom", "keywords": ["   "]}]}, "categories", id="blank-keyword"),
    pytest.param({"categories": [{"category": "custom", "keywords": ["🍕!"]}]}, "categories", id="empty-canon"),
    pytest.param({"categories": [{"category": "custom", "keywords": ["x" * 65]}]}, "categories", id="keyword-65-chars"),
    pytest.param({"categories": [{"category": "custom", "keywords": [5]}]}, "categories", id="keyword-not-a-string"),
    pytest.param({"categories": [{"category": "custom", "keywords": "MENU"}]}, "categories", id="keywords-not-a-list"),
    pytest.param(
        {"categories": [{"category": "custom", "keywords": ["a"], "extra": 1}]}, "categories", id="unknown-key"
    ),
    pytest.param({"fuzzy_opt_out": {"action": "unsubscribe"}}, "fuzzy_opt_out", id="unknown-action"),
    pytest.param({"fuzzy_opt_out": {"enabled": "maybe"}}, "fuzzy_opt_out", id="enabled-not-bool"),
    pytest.param({"compliance_profile": "eu"}, "compliance_profile", id="unknown-profile"),
    pytest.param({"locale_packs": ["de"]}, "locale_packs", id="unknown-pack"),
    pytest.param({"locale_packs": ["sv", "sv"]}, "locale_packs", id="pack-twice"),
    pytest.param({"double_opt_in_expiry_hours": 0}, "double_opt_in_expiry_hours", id="expiry-0"),
    pytest.param({"double_opt_in_expiry_hours": 721}, "double_opt_in_expiry_hours", id="expiry-721"),
    pytest.param({"double_opt_in_expiry_hours": "72"}, "double_opt_in_expiry_hours", id="expiry-string"),
    pytest.param({"double_opt_in_expiry_hours": 1.5}, "double_opt_in_expiry_hours", id="expiry-float"),
    pytest.param({"keywords": []}, "keywords", id="unknown-field"),
    # the fuzzy layer reads STOPP as STOP (and the sv pack has it): it cannot be an opt-in keyword
    pytest.param({"categories": [{"category": "opt_in", "keywords": ["STOPP"]}]}, "categories", id="STOPP-opt-in"),
]


@pytest.mark.parametrize(("settings", "field"), INVALID)
def test_invalid_settings(settings: dict[str, Any], field: str) -> None:
    assert field in _errors(settings)


def test_boundaries_are_accepted() -> None:
    for hours in (1, 720):
        assert SCHEMA.load({"double_opt_in_expiry_hours": hours})["double_opt_in_expiry_hours"] == hours
    assert SCHEMA.load({"categories": [{"category": "custom", "keywords": ["x" * 64]}]})


def test_field_errors_say_what_is_wrong() -> None:
    errors = _errors({"categories": [{"category": "custom", "keywords": ["ok", "🍕", "x" * 65]}]})
    assert errors == {
        "categories": {
            0: {
                "keywords": {
                    1: ["needs a letter or a digit (case, punctuation and emoji are ignored in matching)"],
                    2: ["at most 64 characters"],
                }
            }
        }
    }


def test_a_category_listed_twice_is_rejected() -> None:
    errors = _errors({"categories": [{"category": "custom", "keywords": ["A"]}, {"category": "custom"}]})
    assert errors == {"categories": ["custom is listed more than once"]}


def test_a_keyword_listed_twice_in_one_category_is_rejected() -> None:
    errors = _errors({"categories": [{"category": "custom", "keywords": ["Menu", "MENU!"]}]})
    assert errors == {"categories": {0: {"keywords": ["'menu' is listed more than once"]}}}


def test_us_profile_forces_auto_opt_out() -> None:
    loaded = SCHEMA.load({"compliance_profile": "us", "fuzzy_opt_out": {"action": "prompt"}})
    assert loaded["fuzzy_opt_out"]["action"] == "prompt"  # stored as saved ...
    config = KeywordConfig.from_settings(loaded)
    assert config.fuzzy_action == "auto_opt_out"  # ... and applied as §7.2 says
    assert classify("opt out", config).match == Match.EXACT
