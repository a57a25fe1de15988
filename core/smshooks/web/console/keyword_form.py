"""The keyword categories editor's form fields, read into the keyword settings the services take.

Only the form's encoding lives here: rows ``categories-<i>-category|keywords|reply_id``, keywords written
one per line or separated by commas (the chips are that text field, enhanced), and the other settings. The
rules — one row per category, no keyword in two categories, ranges — are ``KeywordSettingsSchema``'s.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from smshooks.keywords.model import PRECEDENCE, Category
from smshooks.keywords.packs import COMPLIANCE_PROFILES, DEFAULT_KEYWORDS, FUZZY_ACTIONS, LOCALE_PACKS

#: the editor's words for the categories, in the order a person adds them
CATEGORY_LABELS = {
    str(Category.OPT_IN): "Opt-In",
    str(Category.OPT_OUT): "Opt-Out",
    str(Category.DOUBLE_OPT_IN): "Double Opt-In",
    str(Category.HELP): "Help",
    str(Category.CUSTOM): "Custom",
}
CATEGORIES = tuple(CATEGORY_LABELS)
FUZZY_ACTION_LABELS = {"prompt": "Ask to confirm (reply: text STOP to opt out)", "auto_opt_out": "Opt out at once"}
_SPLIT = re.compile(r"[,\n]")
MAX_ROWS = 20


def split_keywords(text: str) -> list[str]:
    return [word.strip() for word in _SPLIT.split(text or "") if word.strip()]


def rows_from_form(form: Mapping[str, str]) -> list[dict[str, Any]]:
    """The category rows the form holds, in its order, with "add" and "remove" applied (no JavaScript needed)."""
    rows = []
    for index in range(MAX_ROWS):
        category = form.get(f"categories-{index}-category")
        if category is None:
            continue
        rows.append(
            {
                "category": category,
                "keywords": split_keywords(form.get(f"categories-{index}-keywords", "")),
                "reply_id": form.get(f"categories-{index}-reply_id") or None,
            }
        )
    remove = form.get("remove_category")
    if remove is not None and remove.isdigit() and int(remove) < len(rows):
        rows.pop(int(remove))
    added = (form.get("add_category") or form.get("add_category_choice")) if "add_category" in form else None
    if added in CATEGORIES and len(rows) < MAX_ROWS:
        rows.append({"category": added, "keywords": [], "reply_id": None})
    return rows


def settings_from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """The keyword settings a submitted form describes (as the API's JSON body would)."""
    settings: dict[str, Any] = {
        "categories": rows_from_form(form),
        "fuzzy_opt_out": {
            "enabled": form.get("fuzzy_enabled") == "on",
            "action": form.get("fuzzy_action") or "prompt",
            "reply_id": form.get("fuzzy_reply_id") or None,
        },
        "default_reply_id": form.get("default_reply_id") or None,
        "compliance_profile": form.get("compliance_profile") or "none",
        "locale_packs": [name for name in LOCALE_PACKS if form.get(f"locale_pack-{name}") == "on"],
    }
    for name in ("double_opt_in_expiry_hours", "reply_rate_limit_hours"):
        raw = (form.get(name) or "").strip()
        if raw:
            settings[name] = int(raw) if raw.lstrip("-").isdigit() else raw
    confirm = (form.get("double_opt_in_confirm_keyword") or "").strip()
    if confirm:
        settings["double_opt_in_confirm_keyword"] = confirm
    return settings


def is_editor_action(form: Mapping[str, str]) -> bool:
    """True when the form was sent to add or remove a row, not to save."""
    return "add_category" in form or "remove_category" in form


def editor_context(settings: Mapping[str, Any], effective: Mapping[str, Any]) -> dict[str, Any]:
    """What the editor template needs beside the settings."""
    used = {row["category"] for row in settings.get("categories", ())}
    return {
        "category_labels": CATEGORY_LABELS,
        "addable": [c for c in CATEGORIES if c not in used],
        "defaults": {str(c): list(DEFAULT_KEYWORDS.get(c, ())) for c in PRECEDENCE},
        "effective": effective,
        "fuzzy_actions": [(a, FUZZY_ACTION_LABELS.get(a, a)) for a in FUZZY_ACTIONS],
        "compliance_profiles": list(COMPLIANCE_PROFILES),
        "locale_packs": list(LOCALE_PACKS),
    }
