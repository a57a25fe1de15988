"""What a reply template sees: one context shape for keyword replies, transactional sends and previews."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smshooks.events import InboundMessage
from smshooks.keywords import Category, Classification, KeywordConfig
from smshooks.store.tables import Profile


def reply_context(
    *,
    subscriber: str,
    number: str,
    keywords: Mapping[str, str],
    keyword: str = "",
    category: str = "",
    profile: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The names a template may use: the matched ``keyword`` and its ``category`` (empty for a send),
    the ``subscriber`` and our ``number``, the keywords of :func:`reply_keywords`, and the
    subscriber's ``profile`` attributes (absent when ``profile`` is None: added later)."""
    context: dict[str, Any] = {
        "keyword": keyword,
        "category": category,
        "subscriber": subscriber,
        "number": number,
        **keywords,
    }
    if profile is not None:
        context["profile"] = dict(profile)
    return context


def inbound_reply_context(
    message: InboundMessage, config: KeywordConfig, classification: Classification
) -> dict[str, Any]:
    """The context of a reply to ``message`` (without the profile, which only configured templates read)."""
    return reply_context(
        subscriber=message.sender,
        number=message.recipient,
        keywords=reply_keywords(config),
        keyword=classification.keyword or "",
        category=classification.category.value,
    )


def reply_keywords(config: KeywordConfig) -> dict[str, str]:
    """The keywords a reply (or a send) tells subscribers to use, under ``config``."""
    return {
        "opt_out_keyword": _first_keyword(config, Category.OPT_OUT, "STOP"),
        "opt_in_keyword": _first_keyword(config, Category.OPT_IN, "START"),
        "help_keyword": _first_keyword(config, Category.HELP, "HELP"),
        "confirm_keyword": config.double_opt_in_confirm_keyword.upper(),
    }


def profile_attributes(session: Session, org: str, sandbox: str, phone: str) -> dict[str, Any]:
    """The stored profile attributes of ``phone`` (empty without a profile)."""
    attributes = session.execute(
        select(Profile.attributes).where(Profile.org == org, Profile.sandbox == sandbox, Profile.phone == phone)
    ).scalar()
    return attributes or {}


def _first_keyword(config: KeywordConfig, category: Category, conventional: str) -> str:
    """The keyword a reply tells subscribers to send: the conventional one
    (STOP, START, HELP) when the category has it, else its first keyword."""
    keywords = [keyword.upper() for keyword in config.keywords(category)]
    if conventional in keywords or not keywords:
        return conventional
    return keywords[0]
