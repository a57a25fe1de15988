"""KeywordSettingsSchema: validates a webhook's keyword settings (the admin API's JSON) and normalises them.

``load`` fills every default, so the result is the complete dict to store; ``dump`` of it gives it back
unchanged, and ``KeywordConfig.from_settings(loaded)`` builds the classifier's configuration from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from smshooks.keywords.canon import canon
from smshooks.keywords.classify import classify
from smshooks.keywords.config import KeywordConfig
from smshooks.keywords.model import PRECEDENCE, Category, Match
from smshooks.keywords.packs import (
    COMPLIANCE_PROFILES,
    FUZZY_ACTIONS,
    LOCALE_PACKS,
    REVOCATION_PER_SE,
    base_keywords,
    conflicts,
    effective_keywords,
)

KEYWORD_MAX_LENGTH = 64
EXPIRY_HOURS_RANGE = (1, 720)
DEFAULT_EXPIRY_HOURS = 72
#: the default reply and the fuzzy prompt go to one number at most once in this many hours
DEFAULT_REPLY_RATE_LIMIT_HOURS = 24
#: the word the double opt-in reply asks for; YES and START confirm as well
DEFAULT_CONFIRM_KEYWORD = "YES"


class Keyword(fields.String):
    """A keyword as written, trimmed; at most 64 characters, and something left after canonicalisation."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        keyword = super()._deserialize(value, attr, data, **kwargs).strip()
        if not keyword:
            raise ValidationError("must not be empty")
        if len(keyword) > KEYWORD_MAX_LENGTH:
            raise ValidationError(f"at most {KEYWORD_MAX_LENGTH} characters")
        if not canon(keyword):
            raise ValidationError("needs a letter or a digit (case, punctuation and emoji are ignored in matching)")
        return keyword


class CategorySettingsSchema(Schema):
    category = fields.String(required=True, validate=validate.OneOf([str(category) for category in PRECEDENCE]))
    #: replaces the category's default keywords; empty keeps the defaults (the entry may only set the reply)
    keywords = fields.List(Keyword(), load_default=list)
    reply_id = fields.String(load_default=None, allow_none=True)

    @validates_schema
    def keywords_once(self, data: dict[str, Any], **_: Any) -> None:
        seen: set[str] = set()
        for keyword in data.get("keywords", ()):
            key = canon(keyword)
            if key in seen:
                raise ValidationError(f"'{key}' is listed more than once", "keywords")
            seen.add(key)


class FuzzyOptOutSchema(Schema):
    enabled = fields.Boolean(load_default=True)
    action = fields.String(load_default="prompt", validate=validate.OneOf(FUZZY_ACTIONS))
    reply_id = fields.String(load_default=None, allow_none=True)


def _each_once(values: list[str]) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("a pack is listed more than once")


def _default_fuzzy() -> dict[str, Any]:
    return {"enabled": True, "action": "prompt", "reply_id": None}


class KeywordSettingsSchema(Schema):
    categories = fields.List(fields.Nested(CategorySettingsSchema), load_default=list)
    fuzzy_opt_out = fields.Nested(FuzzyOptOutSchema, load_default=_default_fuzzy)
    default_reply_id = fields.String(load_default=None, allow_none=True)
    compliance_profile = fields.String(load_default="none", validate=validate.OneOf(list(COMPLIANCE_PROFILES)))
    locale_packs = fields.List(
        fields.String(validate=validate.OneOf(list(LOCALE_PACKS))), load_default=list, validate=_each_once
    )
    double_opt_in_expiry_hours = fields.Integer(
        strict=True, load_default=DEFAULT_EXPIRY_HOURS, validate=validate.Range(*EXPIRY_HOURS_RANGE)
    )
    reply_rate_limit_hours = fields.Integer(
        strict=True,
        load_default=DEFAULT_REPLY_RATE_LIMIT_HOURS,
        validate=validate.Range(*EXPIRY_HOURS_RANGE),
        metadata={"description": "the default reply and the fuzzy prompt go to one number at most once in this time"},
    )
    double_opt_in_confirm_keyword = Keyword(
        load_default=DEFAULT_CONFIRM_KEYWORD,
        metadata={
            "description": "what a pending double opt-in replies to confirm (YES and START confirm too);"
            " the built-in double opt-in reply names it"
        },
    )

    @validates_schema
    def one_category_per_keyword(self, data: dict[str, Any], **_: Any) -> None:
        """At most one entry per category, and (§6.1) no keyword in two categories once defaults, locale packs and
        the compliance profile are applied: "'no' is in both opt_out and opt_in"."""
        listed = [entry["category"] for entry in data.get("categories", ())]
        repeated = sorted({category for category in listed if listed.count(category) > 1})
        if repeated:
            raise ValidationError([f"{category} is listed more than once" for category in repeated], "categories")
        lists = effective_keywords(
            base_keywords(data), data.get("locale_packs", ()), data.get("compliance_profile", "none")
        )
        messages = conflicts(lists)
        if messages:
            raise ValidationError(messages, "categories")
        refused = reads_as_opt_out(lists, data.get("locale_packs", ()))
        if refused:
            raise ValidationError(refused, "categories")
        confirm_word = data.get("double_opt_in_confirm_keyword") or DEFAULT_CONFIRM_KEYWORD
        refused = reads_as_opt_out({Category.CUSTOM: (confirm_word,), Category.OPT_OUT: lists[Category.OPT_OUT]})
        if refused:
            raise ValidationError(refused, "double_opt_in_confirm_keyword")
        confirm = canon(confirm_word)
        for category in (Category.OPT_OUT, Category.HELP):
            if confirm in {canon(keyword) for keyword in lists.get(category, ())}:
                raise ValidationError(
                    f"'{confirm}' is a {category} keyword: it cannot also confirm a subscription",
                    "double_opt_in_confirm_keyword",
                )

    @validates_schema
    def us_keeps_the_fuzzy_layer(self, data: dict[str, Any], **_: Any) -> None:
        """Under the FCC's rule any reasonable revocation counts, not just a keyword (keywords.md §0, §4)."""
        if data.get("compliance_profile") == "us" and not (data.get("fuzzy_opt_out") or {}).get("enabled", True):
            raise ValidationError(
                ["the us profile needs the fuzzy opt-out: the FCC counts any reasonable way of saying stop"],
                "fuzzy_opt_out",
            )


def reads_as_opt_out(lists: Mapping[Category, tuple[str, ...]], locale_packs: Iterable[str] = ()) -> list[str]:
    """One message per keyword outside opt_out that a subscriber would mean as an opt-out: a per-se
    revocation word (FCC) or an opt-out keyword of ``lists``, or what the fuzzy layer reads as one
    ("STOP PLEASE", "UNSUB", "S T O P"). Listed as a help, opt-in or custom keyword it would be
    answered as that and never opt anyone out: a tenant's configuration must not block an opt-out."""
    probe = KeywordConfig(
        opt_out=tuple(lists.get(Category.OPT_OUT, ())) + REVOCATION_PER_SE,
        opt_in=(),
        help=(),
        custom=(),
        fuzzy_enabled=True,
        locale_packs=tuple(locale_packs),
    )
    messages = []
    for category in PRECEDENCE:
        if category is Category.OPT_OUT:
            continue
        for keyword in lists.get(category, ()):
            found = classify(keyword, probe)
            if found.category is not Category.OPT_OUT:
                continue
            how = "is an opt-out word" if found.match is Match.EXACT else f"reads as an opt-out (rule {found.rule})"
            messages.append(f"'{canon(keyword)}' {how}: it can only be an opt_out keyword, not {category}")
    return messages
