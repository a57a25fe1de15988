"""The text of the keyword pipeline's reply: an administrator's template, else the built-in text.

:func:`reply_text` renders before the write transaction (a template may take up to its time limit);
:func:`locked_reply_text` picks, under the consent lock, the prepared text or the built-in one.
Nothing here ever blocks an opt-out: a broken, hostile or deleted template falls back to the built-in
text, and a built-in text that does not render (it cannot) means no reply rather than an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
from jinja2 import meta
from sqlalchemy import select
from sqlalchemy.orm import Session

from smshooks.consent.decisions import Decision
from smshooks.events import InboundMessage
from smshooks.keywords import Classification, KeywordConfig
from smshooks.replies.context import inbound_reply_context, profile_attributes
from smshooks.replies.templates import BUILTIN_REPLIES, render, render_builtin
from smshooks.store.tables import ReplyTemplate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedReply:
    """The reply :func:`~smshooks.inbound.pipeline.prepare_inbound` rendered before the write transaction."""

    #: the decision's reply key (BUILTIN_REPLIES / reply_ids) it was rendered for; None for no reply
    reply: str | None
    #: the text for that key: the configured template, else the built-in text; None for none
    text: str | None
    #: the message's classification (rules + smshooks_classify plugins), reused inside the transaction
    classification: Classification | None = None
    #: False when no reply template is configured: nothing was read or rendered ahead, and the
    #: built-in text (trusted and fast) is rendered under the lock for whatever is decided there
    rendered: bool = True


def locked_reply_text(
    message: InboundMessage,
    config: KeywordConfig,
    classification: Classification,
    decision: Decision,
    prepared: PreparedReply,
) -> str | None:
    """The reply for the decision taken under lock: the prepared text when it was
    rendered for the same reply, else (the state changed in between) the built-in
    text, which is trusted and fast — no administrator's template runs in here."""
    if decision.reply is None:
        return None
    if decision.reply == prepared.reply and prepared.rendered:
        return prepared.text
    if prepared.rendered:
        log.info("the consent state changed while the reply was prepared; using the built-in %s text", decision.reply)
    return builtin_text(decision.reply, inbound_reply_context(message, config, classification))


def reply_text(
    session: Session,
    message: InboundMessage,
    config: KeywordConfig,
    classification: Classification,
    decision: Decision,
) -> str | None:
    """The rendered reply: the configured template, else the built-in text.
    A broken, hostile or deleted template never blocks an opt-out: it falls back."""
    if decision.reply is None:
        return None
    reply_id = config.reply_ids.get(decision.reply)
    context = inbound_reply_context(message, config, classification)
    if reply_id:
        try:
            template = session.execute(
                select(ReplyTemplate.template).where(
                    ReplyTemplate.id == reply_id,
                    ReplyTemplate.org == message.org,
                    ReplyTemplate.sandbox == message.sandbox,
                )
            ).scalar()
            if template is None:
                log.error("reply %s is configured but does not exist; using the built-in text", reply_id)
            else:
                text = render(
                    template,
                    {**context, "profile": profile_attributes(session, message.org, message.sandbox, message.sender)},
                )
                if text:
                    return text
                log.error("reply %s renders empty for %s; using the built-in text", reply_id, message.sender)
        except Exception as exc:  # ReplyTemplateError, or anything else: the subscriber still gets an answer
            log.error("reply %s does not render (%s); using the built-in text", reply_id, exc)
    return builtin_text(decision.reply, context)


#: (reply, the values of the names its built-in text uses) -> the text
_BUILTIN_TEXTS: dict[tuple[Any, ...], str | None] = {}


def builtin_text(reply: str, context: dict[str, Any]) -> str | None:
    """The built-in text of ``reply`` for ``context``. Memoised on the values of the names the text uses
    (the keywords of the webhook's config): the same few texts answer most messages, and a Jinja render
    costs more than the rest of choosing a reply."""
    try:
        key = (reply, *(context.get(name) for name in _names(reply)))
        text = _BUILTIN_TEXTS.get(key, _UNSEEN)
        if text is _UNSEEN:
            text = render_builtin(reply, context)
            if len(_BUILTIN_TEXTS) > 10_000:  # many keyword configs: start again rather than grow
                _BUILTIN_TEXTS.clear()
            _BUILTIN_TEXTS[key] = text
        return text
    except Exception:  # cannot happen with the shipped texts; never worth an opt-out
        log.exception("the built-in %s reply does not render", reply)
        return None


_UNSEEN: Any = object()


@cache
def _names(reply: str) -> tuple[str, ...]:
    """The names the built-in text of ``reply`` reads (none for a reply without one)."""
    source = BUILTIN_REPLIES.get(reply)
    if source is None:
        return ()
    return tuple(sorted(meta.find_undeclared_variables(jinja2.Environment().parse(source))))
