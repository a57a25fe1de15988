"""What a webhook's keyword settings amount to: every keyword that matches, and where it comes from.

The stored settings list only what an administrator configured (``categories: []`` for the defaults), so
this view is what the keywords API shows next to them: per category, the effective keywords, each marked
``default`` (the built-in list, used because the category configures none), ``configured``, or added by a
locale pack (``locale_pack:sv``) or the compliance profile (``compliance_profile:us``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smshooks.keywords.canon import canon
from smshooks.keywords.config import KeywordConfig
from smshooks.keywords.model import PRECEDENCE
from smshooks.keywords.packs import COMPLIANCE_PROFILES, LOCALE_PACKS, base_keywords


def effective_view(settings: Mapping[str, Any], config: KeywordConfig) -> dict[str, Any]:
    """``{category: {"default": bool, "keywords": [{"keyword", "source"}, ...]}}`` for ``settings``."""
    configured = {entry["category"] for entry in settings.get("categories") or () if entry.get("keywords")}
    base = base_keywords(settings)
    packs = tuple(settings.get("locale_packs") or ())
    profile = settings.get("compliance_profile") or "none"
    view: dict[str, Any] = {}
    for category in PRECEDENCE:
        own = "configured" if str(category) in configured else "default"
        sources: dict[str, str] = {canon(keyword): own for keyword in base.get(category, ())}
        for name in packs:
            for keyword in LOCALE_PACKS[name].get(category, ()):
                sources.setdefault(canon(keyword), f"locale_pack:{name}")
        for keyword in COMPLIANCE_PROFILES[profile].get(category, ()):
            sources.setdefault(canon(keyword), f"compliance_profile:{profile}")
        view[str(category)] = {
            "default": own == "default",
            "keywords": [
                {"keyword": keyword, "source": sources.get(canon(keyword), own)}
                for keyword in config.keywords(category)
            ],
        }
    return view
