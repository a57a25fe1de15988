"""What a classified message does: the consent action and the reply (keywords.md 6.6-6.7).

A pure function of the classification, the subscriber's current state and the
webhook's keyword configuration, so the rules are tested as a table
(tests/test_pipeline.py) without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from smshooks.consent.ledger import ConsentState
from smshooks.keywords import Category, Classification, KeywordConfig, Match

DEFAULT_PENDING_HOURS = 72


@dataclass(frozen=True)
class Decision:
    """What one classified message does to consent and which reply it gets."""

    action: str
    new_state: ConsentState | None = None
    changes_state: bool = False
    #: BUILTIN_REPLIES key / reply_ids key of the reply, None for no reply
    reply: str | None = None
    #: the reply may go to an opted-out number (the opt-out confirmation, help)
    exempt: bool = False
    #: the reply may go to an opted-out number while its double opt-in request waits (the request
    #: to confirm): a STOP sent before the reply leaves ends the wait, and the reply is refused
    exempt_while_awaiting: bool = False
    #: which rate-limit clock this reply restarts
    stamps: str | None = None
    #: a double opt-in is asked for: the record waits for its confirmation until it expires
    pending: bool = False


def decide(
    classification: Classification,
    state: ConsentState | None,
    config: KeywordConfig,
    *,
    text: str,
    last_fuzzy_prompt_at: datetime | None,
    last_default_reply_at: datetime | None,
    now: datetime,
    awaiting_confirmation: bool = False,
    waits_in_reach: bool = False,
) -> Decision:
    """The consent action and reply for a classified message (keywords.md 6.6-6.7).

    ``awaiting_confirmation``: the subscriber is opted out and asked to join again with a double
    opt-in keyword; the opt-out stays in force until they confirm (keywords.md 6.7: "do not opt in").
    ``waits_in_reach``: such a wait stands on a record this message's opt-out reaches (another number
    under sandbox scope, every number for a STOPALL): an opt-out then ends it (6.7.3), so it is recorded.
    """
    category, match = classification.category, classification.match
    opted_out = state is ConsentState.OPTED_OUT
    pending = state is ConsentState.PENDING or (opted_out and awaiting_confirmation)
    auto = config.fuzzy_action == "auto_opt_out"
    # The fuzzy prompt and the default reply at most once per window, so a
    # conversation (or another auto-responder) cannot become a reply loop.
    window = timedelta(hours=config.reply_rate_limit_hours)

    if category is Category.OPT_OUT and (match is Match.EXACT or auto):
        if opted_out and not (pending or waits_in_reach):
            return Decision("already_opted_out")
        return Decision("opt_out", ConsentState.OPTED_OUT, True, reply="opt_out", exempt=True)
    if category is Category.OPT_OUT:  # fuzzy, action prompt: nothing changes
        if opted_out:
            return Decision("already_opted_out")
        if _recent(last_fuzzy_prompt_at, now, window):
            return Decision("fuzzy_prompt_suppressed")
        return Decision("fuzzy_prompt", reply="fuzzy", stamps="fuzzy")
    if category is Category.HELP:
        return Decision("help", reply="help", exempt=True)
    if pending and config.confirms_double_opt_in(text):
        # The confirm word, YES or START, whichever category lists it (even double_opt_in:
        # re-asking would leave the subscriber pending for ever).
        return Decision("confirm_double_opt_in", ConsentState.OPTED_IN, True, reply="opt_in")
    if category is Category.OPT_IN:
        if pending:
            return Decision("confirm_double_opt_in", ConsentState.OPTED_IN, True, reply="opt_in")
        if state is ConsentState.OPTED_IN:
            return Decision("already_opted_in", reply="opt_in")
        return Decision("opt_in", ConsentState.OPTED_IN, True, reply="opt_in")
    if category is Category.DOUBLE_OPT_IN:
        if state is ConsentState.OPTED_IN:
            return Decision("already_opted_in", reply="opt_in")
        if opted_out:
            # Asked for, not given: the opt-out stands (sends stay refused, and it holds when
            # the request expires unconfirmed); the request is answered while it waits.
            return Decision(
                "double_opt_in_pending",
                ConsentState.OPTED_OUT,
                True,
                reply="double_opt_in",
                pending=True,
                exempt_while_awaiting=True,
            )
        return Decision("double_opt_in_pending", ConsentState.PENDING, True, reply="double_opt_in", pending=True)
    if category is Category.CUSTOM:
        # A custom keyword's reply is a program message: after an opt-out the subscriber gets
        # nothing but the confirmation and help (CTIA) — on the inline TwiML path as on the outbox's.
        if opted_out or not config.reply_ids.get("custom"):
            return Decision("custom_keyword")
        return Decision("custom_keyword", reply="custom")
    # No keyword: the default reply, never to an opted-out number, never for an
    # empty body (a picture-only MMS), at most once per window.
    if opted_out or not text.strip() or not config.reply_ids.get("default"):
        return Decision("none")
    if _recent(last_default_reply_at, now, window):
        return Decision("default_reply_suppressed")
    return Decision("default_reply", reply="default", stamps="default")


def depends_on_consent(classification: Classification, config: KeywordConfig, text: str) -> bool:
    """False when :func:`decide` gives the same decision whatever the subscriber's consent and reply
    clocks: help, a custom keyword without a reply, or no keyword without a default reply (and not a
    double opt-in confirmation). Most inbound SMS are such everyday replies; the pipeline then reads and locks
    no consent at all, since nothing about it can change."""
    category = classification.category
    if category in (Category.OPT_OUT, Category.OPT_IN, Category.DOUBLE_OPT_IN):
        return True
    if config.confirms_double_opt_in(text):
        return True
    if category is Category.HELP:
        return False
    if category is Category.CUSTOM:
        return bool(config.reply_ids.get("custom"))  # never to an opted-out number
    return bool(config.reply_ids.get("default"))


def _recent(at: datetime | None, now: datetime, window: timedelta) -> bool:
    return at is not None and now - at < window
