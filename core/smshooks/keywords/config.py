"""A webhook's keyword configuration, as classify() needs it."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from smshooks.keywords.canon import canon
from smshooks.keywords.lookup_tables import KeywordTables
from smshooks.keywords.model import PRECEDENCE, Category
from smshooks.keywords.packs import (
    COMPLIANCE_PROFILES,
    DEFAULT_KEYWORDS,
    FUZZY_ACTIONS,
    LOCALE_FUZZY_PHRASES,
    LOCALE_PACKS,
    base_keywords,
    effective_keywords,
)
from smshooks.keywords.sentences import SENTENCE_STARTS

FuzzyAction = Literal["prompt", "auto_opt_out"]
ComplianceProfile = Literal["none", "us"]

#: the keys of ``KeywordConfig.reply_ids``: every keyword category, the fuzzy prompt, and the default reply
REPLY_KEYS: tuple[str, ...] = (*(str(category) for category in PRECEDENCE), "fuzzy", "default")


def _no_replies() -> Mapping[str, str | None]:
    return MappingProxyType(dict.fromkeys(REPLY_KEYS))


@dataclass(frozen=True)
class KeywordConfig:
    """Keywords per category (display form, as configured), the fuzzy opt-out switch and action, the compliance
    profile and locale packs, and the reply ids the pipeline uses.

    The fields hold the *effective* configuration: construction adds the locale packs' and the compliance
    profile's keywords to the lists and, for ``us``, sets ``fuzzy_action`` to ``auto_opt_out``. Building again from
    the fields changes nothing. Lookup tables are compiled here, once per distinct keyword set (shared_tables),
    so classify() stays cheap and a config rebuilt from the same settings starts with warm per-token memos.

    Keywords repeated across categories are not rejected here (KeywordSettingsSchema does that); classify()
    resolves them by precedence (§6.3).
    """

    opt_out: tuple[str, ...] = DEFAULT_KEYWORDS[Category.OPT_OUT]
    opt_in: tuple[str, ...] = DEFAULT_KEYWORDS[Category.OPT_IN]
    double_opt_in: tuple[str, ...] = ()
    help: tuple[str, ...] = DEFAULT_KEYWORDS[Category.HELP]
    custom: tuple[str, ...] = ()
    fuzzy_enabled: bool = True
    fuzzy_action: FuzzyAction = "prompt"
    compliance_profile: ComplianceProfile = "none"
    locale_packs: tuple[str, ...] = ()
    double_opt_in_expiry_hours: int = 72
    #: the default reply and the fuzzy prompt go to one number at most once in this many hours
    reply_rate_limit_hours: int = 24
    #: what the double opt-in reply asks a pending subscriber to send; YES and START confirm too
    double_opt_in_confirm_keyword: str = "YES"
    #: category name (and "fuzzy", "default") -> reply id or None; opaque here
    reply_ids: Mapping[str, str | None] = field(default_factory=_no_replies, hash=False)
    tables: KeywordTables = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.fuzzy_action not in FUZZY_ACTIONS:
            raise ValueError(f"fuzzy_action must be one of {FUZZY_ACTIONS}, not {self.fuzzy_action!r}")
        if self.compliance_profile not in COMPLIANCE_PROFILES:
            raise ValueError(f"unknown compliance profile {self.compliance_profile!r}")
        packs = tuple(dict.fromkeys(_strings(self.locale_packs, "locale_packs")))
        for name in packs:
            if name not in LOCALE_PACKS:
                raise ValueError(f"unknown locale pack {name!r}")
        base = {}
        for category in PRECEDENCE:
            keywords = _strings(getattr(self, category), category)
            for keyword in keywords:
                if not canon(keyword):
                    raise ValueError(f"{category} keyword {keyword!r} has no letters or digits")
            base[category] = keywords
        lists = effective_keywords(base, packs, self.compliance_profile)

        set_field = object.__setattr__  # frozen: fields are normalised once, here
        for category in PRECEDENCE:
            set_field(self, category, lists[category])
        set_field(self, "locale_packs", packs)
        if self.compliance_profile == "us":
            set_field(self, "fuzzy_action", "auto_opt_out")
        unknown = set(self.reply_ids) - set(REPLY_KEYS)
        if unknown:
            raise ValueError(f"unknown reply_ids keys {sorted(unknown)}")
        set_field(self, "reply_ids", MappingProxyType({key: self.reply_ids.get(key) for key in REPLY_KEYS}))
        phrases = tuple(tuple(phrase.split()) for name in packs for phrase in LOCALE_FUZZY_PHRASES.get(name, ()))
        set_field(self, "tables", shared_tables(tuple(lists[category] for category in PRECEDENCE), phrases))

    def keywords(self, category: Category | str) -> tuple[str, ...]:
        """The effective keywords of ``category`` as configured (display form)."""
        category = Category(category)
        if category is Category.NONE:
            return ()
        return getattr(self, category)

    def confirms_double_opt_in(self, text: str) -> bool:
        """True when ``text`` (the whole message) confirms a pending double opt-in: the configured confirm
        keyword, YES or START — whatever category they are listed under (keywords.md 6.7 asks for an opt-in
        keyword; an administrator who listed YES under double_opt_in still means it to confirm)."""
        whole = canon(text)
        return bool(whole) and whole in {canon(self.double_opt_in_confirm_keyword), "yes", "start"}

    @classmethod
    def default(cls, fuzzy: bool = True) -> KeywordConfig:
        """Section 7's defaults; fuzzy opt-out on (action ``prompt``) unless ``fuzzy`` is False. Built once per
        process (the config is immutable): the pipeline asks for it on every message of a webhook without keyword
        settings."""
        return _default(cls, fuzzy)

    @classmethod
    def from_settings(cls, settings: Mapping) -> KeywordConfig:
        """From a webhook's keyword settings (the shape KeywordSettingsSchema loads). Missing parts take the
        schema's defaults; a category listed with keywords replaces its defaults, one without keeps them."""
        fuzzy = settings.get("fuzzy_opt_out") or {}
        replies: dict[str, str | None] = {
            str(Category(entry["category"])): entry.get("reply_id") for entry in settings.get("categories") or ()
        }
        replies["fuzzy"] = fuzzy.get("reply_id")
        replies["default"] = settings.get("default_reply_id")
        base = base_keywords(settings)
        return cls(
            **{str(category): base[category] for category in PRECEDENCE},
            fuzzy_enabled=bool(fuzzy.get("enabled", True)),
            fuzzy_action=fuzzy.get("action", "prompt"),
            compliance_profile=settings.get("compliance_profile", "none"),
            locale_packs=tuple(settings.get("locale_packs") or ()),
            double_opt_in_expiry_hours=int(settings.get("double_opt_in_expiry_hours", 72)),
            reply_rate_limit_hours=int(settings.get("reply_rate_limit_hours", 24)),
            double_opt_in_confirm_keyword=settings.get("double_opt_in_confirm_keyword") or "YES",
            reply_ids=replies,
        )


@functools.cache
def _default(cls: type[KeywordConfig], fuzzy: bool) -> KeywordConfig:
    return cls(fuzzy_enabled=fuzzy)


#: distinct keyword configurations whose tables are kept; each holds per-token memos of at most ~100,000 tokens
SHARED_TABLES = 32


@functools.lru_cache(maxsize=SHARED_TABLES)
def shared_tables(lists: tuple[tuple[str, ...], ...], locale_phrases: tuple[tuple[str, ...], ...]) -> KeywordTables:
    """The lookup tables of effective keyword ``lists`` (one tuple per category, in PRECEDENCE order) and locale
    phrases, shared by every KeywordConfig with the same keywords: a config rebuilt from the same settings (per
    request, per process) finds its per-token answers already memoised. The tables depend on nothing else."""
    return KeywordTables(dict(zip(PRECEDENCE, lists, strict=True)), locale_phrases, SENTENCE_STARTS)


def _strings(value: object, name: str) -> tuple[str, ...]:
    # A bare string would silently become a tuple of its characters.
    items = () if isinstance(value, str) else tuple(value)  # type: ignore[call-overload]
    if isinstance(value, str) or not all(isinstance(item, str) for item in items):
        raise TypeError(f"{name} must be a sequence of strings")
    return items
