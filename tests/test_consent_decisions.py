"""consent.decisions.decide: the consent action and reply of every (classification, state) pair, as a table.

keywords.md 6.6-6.7: an exact or auto fuzzy opt-out always opts out (never blocked by the state or a rate
limit); a prompting fuzzy match changes nothing; help always answers; a pending subscriber's confirm word
confirms; the default reply never goes to an opted-out number, an empty text, or twice in the window.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from smshooks.consent.decisions import decide
from smshooks.consent.ledger import ConsentState
from smshooks.keywords import Category, Classification, KeywordConfig, Match

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
HOUR_AGO = NOW - timedelta(hours=1)
TWO_DAYS_AGO = NOW - timedelta(days=2)

IN, OUT, PENDING = ConsentState.OPTED_IN, ConsentState.OPTED_OUT, ConsentState.PENDING
WITH_REPLIES = {"default": "r_default", "custom": "r_custom"}


def cls(category: Category, match: Match = Match.EXACT) -> Classification:
    return Classification(category, match if category is not Category.NONE else Match.NONE)


PROMPT = KeywordConfig(reply_ids=WITH_REPLIES)
AUTO = KeywordConfig(fuzzy_action="auto_opt_out", reply_ids=WITH_REPLIES)
BARE = KeywordConfig()

# label, classification, state, config, text, last fuzzy prompt, last default reply
#   -> (action, new state, reply, exempt)
CASES = [
    ("exact STOP opts out", cls(Category.OPT_OUT), IN, PROMPT, "STOP", None, None, ("opt_out", OUT, "opt_out", True)),
    (
        "exact STOP from no state",
        cls(Category.OPT_OUT),
        None,
        PROMPT,
        "STOP",
        None,
        None,
        ("opt_out", OUT, "opt_out", True),
    ),
    (
        "exact STOP while pending",
        cls(Category.OPT_OUT),
        PENDING,
        PROMPT,
        "STOP",
        None,
        None,
        ("opt_out", OUT, "opt_out", True),
    ),
    (
        "STOP when opted out changes nothing",
        cls(Category.OPT_OUT),
        OUT,
        PROMPT,
        "STOP",
        None,
        None,
        ("already_opted_out", None, None, False),
    ),
    (
        "fuzzy, auto action, opts out",
        cls(Category.OPT_OUT, Match.FUZZY),
        IN,
        AUTO,
        "stpo",
        None,
        None,
        ("opt_out", OUT, "opt_out", True),
    ),
    (
        "fuzzy auto opt-out ignores the prompt clock",
        cls(Category.OPT_OUT, Match.FUZZY),
        IN,
        AUTO,
        "stpo",
        HOUR_AGO,
        None,
        ("opt_out", OUT, "opt_out", True),
    ),
    (
        "fuzzy, prompt action, asks",
        cls(Category.OPT_OUT, Match.FUZZY),
        IN,
        PROMPT,
        "stpo",
        None,
        None,
        ("fuzzy_prompt", None, "fuzzy", False),
    ),
    (
        "fuzzy prompt at most once per window",
        cls(Category.OPT_OUT, Match.FUZZY),
        IN,
        PROMPT,
        "stpo",
        HOUR_AGO,
        None,
        ("fuzzy_prompt_suppressed", None, None, False),
    ),
    (
        "fuzzy prompt again after the window",
        cls(Category.OPT_OUT, Match.FUZZY),
        IN,
        PROMPT,
        "stpo",
        TWO_DAYS_AGO,
        None,
        ("fuzzy_prompt", None, "fuzzy", False),
    ),
    (
        "fuzzy when opted out changes nothing",
        cls(Category.OPT_OUT, Match.FUZZY),
        OUT,
        PROMPT,
        "stpo",
        None,
        None,
        ("already_opted_out", None, None, False),
    ),
    (
        "help answers an opted-out number",
        cls(Category.HELP),
        OUT,
        PROMPT,
        "HELP",
        None,
        None,
        ("help", None, "help", True),
    ),
    ("START opts in", cls(Category.OPT_IN), None, PROMPT, "START", None, None, ("opt_in", IN, "opt_in", False)),
    (
        "START after an opt-out opts in",
        cls(Category.OPT_IN),
        OUT,
        PROMPT,
        "START",
        None,
        None,
        ("opt_in", IN, "opt_in", False),
    ),
    (
        "START when opted in re-confirms",
        cls(Category.OPT_IN),
        IN,
        PROMPT,
        "START",
        None,
        None,
        ("already_opted_in", None, "opt_in", False),
    ),
    (
        "START confirms a pending opt-in",
        cls(Category.OPT_IN),
        PENDING,
        PROMPT,
        "START",
        None,
        None,
        ("confirm_double_opt_in", IN, "opt_in", False),
    ),
    (
        "YES confirms a pending opt-in",
        cls(Category.NONE),
        PENDING,
        PROMPT,
        "yes",
        None,
        None,
        ("confirm_double_opt_in", IN, "opt_in", False),
    ),
    (
        "YES without a pending opt-in is free text",
        cls(Category.NONE),
        None,
        PROMPT,
        "yes",
        None,
        None,
        ("default_reply", None, "default", False),
    ),
    (
        "JOIN asks for confirmation",
        cls(Category.DOUBLE_OPT_IN),
        None,
        PROMPT,
        "JOIN",
        None,
        None,
        ("double_opt_in_pending", PENDING, "double_opt_in", False),
    ),
    (
        "JOIN when opted in re-confirms",
        cls(Category.DOUBLE_OPT_IN),
        IN,
        PROMPT,
        "JOIN",
        None,
        None,
        ("already_opted_in", None, "opt_in", False),
    ),
    (
        "custom keyword with a reply",
        cls(Category.CUSTOM),
        IN,
        PROMPT,
        "MENU",
        None,
        None,
        ("custom_keyword", None, "custom", False),
    ),
    (
        "no custom reply to an opted-out number",
        cls(Category.CUSTOM),
        OUT,
        PROMPT,
        "MENU",
        None,
        None,
        ("custom_keyword", None, None, False),
    ),
    (
        "JOIN when opted out asks; the opt-out stands",
        cls(Category.DOUBLE_OPT_IN),
        OUT,
        PROMPT,
        "JOIN",
        None,
        None,
        ("double_opt_in_pending", OUT, "double_opt_in", False),  # exempt only while it waits
    ),
    (
        "custom keyword without a reply",
        cls(Category.CUSTOM),
        IN,
        BARE,
        "MENU",
        None,
        None,
        ("custom_keyword", None, None, False),
    ),
    (
        "free text gets the default reply",
        cls(Category.NONE),
        IN,
        PROMPT,
        "hello",
        None,
        None,
        ("default_reply", None, "default", False),
    ),
    (
        "default reply at most once per window",
        cls(Category.NONE),
        IN,
        PROMPT,
        "hello",
        None,
        HOUR_AGO,
        ("default_reply_suppressed", None, None, False),
    ),
    (
        "no default reply to an opted-out number",
        cls(Category.NONE),
        OUT,
        PROMPT,
        "hello",
        None,
        None,
        ("none", None, None, False),
    ),
    (
        "no default reply to an empty MMS body",
        cls(Category.NONE),
        IN,
        PROMPT,
        "  ",
        None,
        None,
        ("none", None, None, False),
    ),
    ("no default reply configured", cls(Category.NONE), IN, BARE, "hello", None, None, ("none", None, None, False)),
]


@pytest.mark.parametrize(
    ("classification", "state", "config", "text", "fuzzy_at", "default_at", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_decide(classification, state, config, text, fuzzy_at, default_at, expected) -> None:
    decision = decide(
        classification,
        state,
        config,
        text=text,
        last_fuzzy_prompt_at=fuzzy_at,
        last_default_reply_at=default_at,
        now=NOW,
    )
    assert (decision.action, decision.new_state, decision.reply, decision.exempt) == expected
    assert decision.changes_state == (decision.new_state is not None)


# -- depends_on_consent: when the pipeline may decide without reading (or locking) consent ---------

from smshooks.consent.decisions import depends_on_consent  # noqa: E402

STATES = [None, IN, OUT, PENDING]
CLOCKS = [None, HOUR_AGO, TWO_DAYS_AGO]
CONFIRMING = KeywordConfig(double_opt_in_confirm_keyword="JOIN")
TEXTS = ["STOP", "stpo", "HELP", "yes", "START", "JOIN", "thanks, see you at 6", "", "FREEBIE"]
CONFIGS = {"prompt": PROMPT, "auto": AUTO, "bare": BARE, "confirm JOIN": CONFIRMING}
CLASSIFICATIONS = [cls(category, match) for category in Category for match in (Match.EXACT, Match.FUZZY)]


@pytest.mark.parametrize("config_label", list(CONFIGS))
def test_a_decision_independent_of_consent_is_the_same_in_every_state(config_label):
    """Where depends_on_consent says no, decide() answers alike for every state and reply clock, and
    the decision neither changes consent nor restarts a clock: reading no consent loses nothing."""
    config = CONFIGS[config_label]
    independent = 0
    for classification in CLASSIFICATIONS:
        for text in TEXTS:
            if depends_on_consent(classification, config, text):
                continue
            independent += 1
            decisions = {
                decide(
                    classification, state, config, text=text, last_fuzzy_prompt_at=f, last_default_reply_at=d, now=NOW
                )
                for state in STATES
                for f in CLOCKS
                for d in CLOCKS
            }
            assert len(decisions) == 1, (classification, text, decisions)
            (decision,) = decisions
            assert not decision.changes_state and decision.stamps is None, (classification, text, decision)
    assert independent > 0  # help and everyday text are among them


@pytest.mark.parametrize(
    "label, classification, config, text",
    [
        ("an opt-out", cls(Category.OPT_OUT), BARE, "STOP"),
        ("a fuzzy opt-out", cls(Category.OPT_OUT, Match.FUZZY), PROMPT, "stpo"),
        ("an opt-in", cls(Category.OPT_IN), BARE, "START"),
        ("a double opt-in", cls(Category.DOUBLE_OPT_IN), BARE, "JOIN"),
        ("the confirm word, listed in no category", cls(Category.NONE), CONFIRMING, "join"),
        ("everyday text with a default reply", cls(Category.NONE), PROMPT, "thanks"),
        ("a custom keyword with a reply (never to an opted-out number)", cls(Category.CUSTOM), PROMPT, "MENU"),
    ],
)
def test_what_can_change_consent_or_a_clock_reads_it(label, classification, config, text):
    assert depends_on_consent(classification, config, text), label


# -- an opted-out subscriber who asked to join again (double opt-in): the opt-out stands until confirmed


@pytest.mark.parametrize(
    ("label", "classification", "text", "expected"),
    [
        ("the confirm word confirms", cls(Category.NONE), "yes", ("confirm_double_opt_in", IN, "opt_in", False)),
        ("an opt-in keyword confirms", cls(Category.OPT_IN), "START", ("confirm_double_opt_in", IN, "opt_in", False)),
        ("STOP again ends the request", cls(Category.OPT_OUT), "STOP", ("opt_out", OUT, "opt_out", True)),
        ("asked again", cls(Category.DOUBLE_OPT_IN), "JOIN", ("double_opt_in_pending", OUT, "double_opt_in", False)),
        ("everyday text gets nothing", cls(Category.NONE), "hello", ("none", None, None, False)),
        ("help is answered", cls(Category.HELP), "HELP", ("help", None, "help", True)),
    ],
)
def test_an_opted_out_subscriber_awaiting_confirmation(label, classification, text, expected) -> None:
    decision = decide(
        classification,
        OUT,
        PROMPT,
        text=text,
        last_fuzzy_prompt_at=None,
        last_default_reply_at=None,
        now=NOW,
        awaiting_confirmation=True,
    )
    assert (decision.action, decision.new_state, decision.reply, decision.exempt) == expected, label
    assert decision.pending == (decision.action == "double_opt_in_pending"), label
