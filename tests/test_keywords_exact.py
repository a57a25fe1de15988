"""keywords.md §6.1, §6.3 and §7: exact whole-message matching, precedence, defaults, custom lists, the us
profile and the sv pack."""

from __future__ import annotations

import pytest

from smshooks.keywords import DEFAULT_KEYWORDS, Category, Classification, KeywordConfig, Match, classify

DEFAULT = KeywordConfig.default()
NONE = Classification(Category.NONE, Match.NONE)


def exact(category: Category, keyword: str) -> Classification:
    return Classification(category, Match.EXACT, keyword)


OPT_OUT, OPT_IN, HELP = Category.OPT_OUT, Category.OPT_IN, Category.HELP


EXACT_CASES = [
    # §6.3: whole message, any case, whitespace, punctuation and emoji around it
    pytest.param("STOP", exact(OPT_OUT, "STOP"), id="STOP"),
    pytest.param(" stop ", exact(OPT_OUT, "STOP"), id="spaced-stop"),
    pytest.param("stop.", exact(OPT_OUT, "STOP"), id="stop-full-stop"),
    pytest.param("STOP!!", exact(OPT_OUT, "STOP"), id="STOP-bangs"),
    pytest.param("Stop 🛑", exact(OPT_OUT, "STOP"), id="Stop-emoji"),
    pytest.param("\uff33\uff34\uff2f\uff30", exact(OPT_OUT, "STOP"), id="full-width-STOP"),
    pytest.param("ST\u200bOP", exact(OPT_OUT, "STOP"), id="zero-width-inside"),
    # §7.1: the defaults
    pytest.param("quit", exact(OPT_OUT, "QUIT"), id="quit"),
    pytest.param("Cancel", exact(OPT_OUT, "CANCEL"), id="cancel"),
    pytest.param("end", exact(OPT_OUT, "END"), id="end"),
    pytest.param("Unsubscribe", exact(OPT_OUT, "UNSUBSCRIBE"), id="unsubscribe"),
    pytest.param("NO", exact(OPT_OUT, "NO"), id="bare-NO-is-opt-out"),
    pytest.param("no.", exact(OPT_OUT, "NO"), id="no-full-stop"),
    pytest.param("subscribe", exact(OPT_IN, "SUBSCRIBE"), id="subscribe"),
    pytest.param("Yes!", exact(OPT_IN, "YES"), id="yes"),
    pytest.param("UNSTOP", exact(OPT_IN, "UNSTOP"), id="UNSTOP-is-opt-in"),
    pytest.param("SUBSCRIBE", exact(OPT_IN, "SUBSCRIBE"), id="SUBSCRIBE-is-opt-in"),
    pytest.param("start", exact(OPT_IN, "START"), id="start"),
    pytest.param("continue", exact(OPT_IN, "CONTINUE"), id="continue"),
    pytest.param("Fortsätt", exact(OPT_IN, "FORTSÄTT"), id="fortsatt"),
    pytest.param("resume", exact(OPT_IN, "RESUME"), id="resume"),
    pytest.param("begin", exact(OPT_IN, "BEGIN"), id="begin"),
    pytest.param("help", exact(HELP, "HELP"), id="help"),
    pytest.param("HJÄLP", exact(HELP, "HJÄLP"), id="hjalp"),
    pytest.param("info", exact(HELP, "INFO"), id="info"),
    pytest.param("Information?", exact(HELP, "INFORMATION"), id="information"),
    # not exact: more than the keyword, or letters spelt out (these are fuzzy, see test_keywords_fuzzy)
    pytest.param("STOP PLEASE", Classification(OPT_OUT, Match.FUZZY, "STOP", "F5"), id="STOP-PLEASE-not-exact"),
    pytest.param("S T O P", Classification(OPT_OUT, Match.FUZZY, "STOP", "F2"), id="S-T-O-P-not-exact"),
    # §6.3: no fuzzy matching for the other categories
    pytest.param("yes please", NONE, id="yes-please"),
    pytest.param("HELPP", NONE, id="HELPP"),
    pytest.param("subscribe me", NONE, id="subscribe-me"),
    pytest.param("fortsätt gärna", NONE, id="fortsatt-garna"),
    # §7.5: Swedish needs the sv pack
    pytest.param("SLUTA", NONE, id="SLUTA-without-pack"),
    pytest.param("stoppa", NONE, id="stoppa-without-pack"),
]


@pytest.mark.parametrize(("text", "expected"), EXACT_CASES)
def test_default_config(text: str, expected: Classification) -> None:
    assert classify(text, DEFAULT) == expected


def test_defaults_are_section_7() -> None:
    assert DEFAULT.opt_out == ("STOP", "QUIT", "CANCEL", "END", "UNSUBSCRIBE", "NO", "STOP ALL")
    assert DEFAULT.opt_in == ("SUBSCRIBE", "YES", "UNSTOP", "START", "CONTINUE", "FORTSÄTT", "RESUME", "BEGIN")
    assert DEFAULT.help == ("HELP", "HJÄLP", "INFO", "INFORMATION")
    assert DEFAULT.double_opt_in == () and DEFAULT.custom == ()
    assert DEFAULT.fuzzy_enabled and DEFAULT.fuzzy_action == "prompt"
    assert DEFAULT.compliance_profile == "none" and DEFAULT.locale_packs == ()
    assert KeywordConfig.default(fuzzy=False).fuzzy_enabled is False
    assert DEFAULT.keywords("opt_out") == DEFAULT_KEYWORDS[Category.OPT_OUT]


@pytest.mark.parametrize(
    ("present_in", "expected"),
    [
        pytest.param(["opt_out", "help", "double_opt_in", "opt_in", "custom"], Category.OPT_OUT, id="opt_out-first"),
        pytest.param(["help", "double_opt_in", "opt_in", "custom"], Category.HELP, id="then-help"),
        pytest.param(["double_opt_in", "opt_in", "custom"], Category.DOUBLE_OPT_IN, id="then-double_opt_in"),
        pytest.param(["opt_in", "custom"], Category.OPT_IN, id="then-opt_in"),
        pytest.param(["custom"], Category.CUSTOM, id="then-custom"),
    ],
)
def test_precedence_in_an_invalid_config(present_in: list[str], expected: Category) -> None:
    # §6.3: only an invalid config (the schema rejects it) can have one keyword in several categories
    lists = {category: ("Promo",) if category in present_in else ("OTHER-" + category,) for category in present_in}
    config = KeywordConfig(**{"opt_out": ("STOP",), "help": ("HELP",), **lists})
    assert classify("promo", config) == Classification(expected, Match.EXACT, "Promo")


def test_keyword_is_reported_as_configured() -> None:
    config = KeywordConfig(opt_out=("Stop", "Stop All"), custom=("Pizza Party",))
    assert classify("STOP", config).keyword == "Stop"
    assert classify("stop all!", config) == exact(OPT_OUT, "Stop All")
    assert classify("PIZZA-PARTY", config) == Classification(Category.CUSTOM, Match.EXACT, "Pizza Party")


def test_double_opt_in_and_custom_categories() -> None:
    config = KeywordConfig(double_opt_in=("JOIN",), custom=("DEALS", "MENU"))
    assert classify("join", config) == Classification(Category.DOUBLE_OPT_IN, Match.EXACT, "JOIN")
    assert classify("Menu.", config) == Classification(Category.CUSTOM, Match.EXACT, "MENU")
    assert classify("join us", config) == NONE


def test_a_custom_list_replaces_the_defaults() -> None:
    config = KeywordConfig.from_settings({"categories": [{"category": "opt_out", "keywords": ["HALT", "ENOUGH"]}]})
    assert config.opt_out == ("HALT", "ENOUGH")
    assert classify("enough", config) == exact(OPT_OUT, "ENOUGH")
    assert classify("STOP", config) == NONE  # seed semantics: replaced, not merged
    assert classify("NO", config) == NONE  # §7.3: the escape hatch for "Reply YES or NO" programs
    assert classify("yes", config) == exact(OPT_IN, "YES")  # other categories keep their defaults


def test_a_listed_category_without_keywords_keeps_the_defaults() -> None:
    config = KeywordConfig.from_settings({"categories": [{"category": "opt_out", "keywords": [], "reply_id": "r1"}]})
    assert config.opt_out == DEFAULT.opt_out
    assert config.reply_ids["opt_out"] == "r1"


US_CASES = [
    pytest.param("STOPALL", exact(OPT_OUT, "STOPALL"), id="STOPALL"),
    pytest.param("revoke", exact(OPT_OUT, "REVOKE"), id="REVOKE"),
    pytest.param("OptOut", exact(OPT_OUT, "OPTOUT"), id="OPTOUT"),
    pytest.param("opt out", exact(OPT_OUT, "OPT OUT"), id="OPT-OUT"),
    pytest.param("Opt-Out!", exact(OPT_OUT, "OPT OUT"), id="Opt-Out-hyphen"),
    pytest.param("STOP", exact(OPT_OUT, "STOP"), id="STOP-kept"),
    pytest.param("HELP", exact(HELP, "HELP"), id="HELP-kept"),
    pytest.param("START", exact(OPT_IN, "START"), id="START-kept"),
    pytest.param("halt", exact(OPT_OUT, "HALT"), id="custom-still-there"),
    pytest.param("support", exact(HELP, "SUPPORT"), id="custom-help"),
    # §7.2 kept only STOP, HELP and START; the FCC lists "quit", "end", "cancel" and "unsubscribe" as revocation
    # per se, so us keeps them too: a replaced opt-out list cannot make them mean nothing
    pytest.param("QUIT", exact(OPT_OUT, "QUIT"), id="QUIT-kept-per-se"),
    pytest.param("unsubscribe", exact(OPT_OUT, "UNSUBSCRIBE"), id="UNSUBSCRIBE-kept-per-se"),
]


@pytest.mark.parametrize(("text", "expected"), US_CASES)
def test_us_compliance_profile(text: str, expected: Classification) -> None:
    settings = {
        "categories": [
            {"category": "opt_out", "keywords": ["HALT"]},
            {"category": "help", "keywords": ["SUPPORT"]},
            {"category": "opt_in", "keywords": ["JOIN"]},
        ],
        "compliance_profile": "us",
        "fuzzy_opt_out": {"enabled": True, "action": "prompt"},
    }
    config = KeywordConfig.from_settings(settings)
    assert config.fuzzy_action == "auto_opt_out"  # §7.2: us makes auto_opt_out the fuzzy action
    assert config.opt_out == (
        "HALT",
        "STOP",
        "QUIT",
        "END",
        "REVOKE",
        "OPT OUT",
        "OPTOUT",
        "CANCEL",
        "UNSUBSCRIBE",
        "STOPALL",
        "STOP ALL",
    )
    assert config.help == ("SUPPORT", "HELP") and config.opt_in == ("JOIN", "START")
    assert classify(text, config) == expected


def test_without_the_us_profile_the_fcc_words_are_fuzzy() -> None:
    # §7.2: "Without it these words are still caught by the fuzzy layer."
    assert classify("REVOKE", DEFAULT) == Classification(OPT_OUT, Match.FUZZY, "REVOKE", "F3")
    assert classify("optout", DEFAULT) == Classification(OPT_OUT, Match.FUZZY, "OPTOUT", "F3")
    assert classify("stopall", DEFAULT) == Classification(OPT_OUT, Match.FUZZY, "STOPALL", "F3")
    assert classify("opt out", DEFAULT) == Classification(OPT_OUT, Match.FUZZY, "OPT OUT", "F5")


SV_OPT_OUT = ("STOPP", "STOPPA", "SLUTA", "AVSLUTA", "AVREGISTRERA")

SV_CASES = [
    pytest.param("stopp", exact(OPT_OUT, "STOPP"), id="STOPP"),
    pytest.param("Stoppa!", exact(OPT_OUT, "STOPPA"), id="STOPPA"),
    pytest.param("sluta", exact(OPT_OUT, "SLUTA"), id="SLUTA"),
    pytest.param("AVSLUTA", exact(OPT_OUT, "AVSLUTA"), id="AVSLUTA"),
    pytest.param("avregistrera", exact(OPT_OUT, "AVREGISTRERA"), id="AVREGISTRERA"),
    pytest.param("starta", exact(OPT_IN, "STARTA"), id="STARTA"),
    pytest.param("fortsatt", exact(OPT_IN, "FORTSÄTT"), id="FORTSATT"),
    pytest.param("hjalp", exact(HELP, "HJÄLP"), id="HJALP"),
    pytest.param("STOP", exact(OPT_OUT, "STOP"), id="English-defaults-stay"),
    pytest.param("slutaa", Classification(OPT_OUT, Match.FUZZY, "SLUTA", "F3"), id="pack-keywords-get-typos"),
    pytest.param("slut", NONE, id="English-guard-for-pack-keyword"),
]


@pytest.mark.parametrize(("text", "expected"), SV_CASES)
def test_sv_locale_pack(text: str, expected: Classification) -> None:
    config = KeywordConfig.from_settings({"locale_packs": ["sv"]})
    assert config.opt_out == ("STOP", "QUIT", "CANCEL", "END", "UNSUBSCRIBE", "NO", "STOP ALL", *SV_OPT_OUT)
    assert config.opt_in.count("FORTSÄTT") == 1 and config.help.count("HJÄLP") == 1
    assert classify(text, config) == expected


def test_fuzzy_off_leaves_only_exact() -> None:
    config = KeywordConfig.default(fuzzy=False)
    assert classify("STOP", config) == exact(OPT_OUT, "STOP")
    for text in ("stpo", "Stop texting me", "🛑", "S T O P", "leave me alone"):
        assert classify(text, config) == NONE, text


def test_from_settings_keeps_reply_ids_and_switches() -> None:
    config = KeywordConfig.from_settings(
        {
            "categories": [
                {"category": "opt_out", "keywords": ["STOP"], "reply_id": "rep_out"},
                {"category": "help", "keywords": [], "reply_id": "rep_help"},
            ],
            "fuzzy_opt_out": {"enabled": False, "action": "auto_opt_out", "reply_id": "rep_fuzzy"},
            "default_reply_id": "rep_default",
            "compliance_profile": "none",
            "locale_packs": [],
            "double_opt_in_expiry_hours": 24,
        }
    )
    assert dict(config.reply_ids) == {
        "opt_out": "rep_out",
        "help": "rep_help",
        "double_opt_in": None,
        "opt_in": None,
        "custom": None,
        "fuzzy": "rep_fuzzy",
        "default": "rep_default",
    }
    assert config.fuzzy_enabled is False and config.fuzzy_action == "auto_opt_out"
    assert config.double_opt_in_expiry_hours == 24
    assert KeywordConfig.from_settings({}) == DEFAULT


def test_construction_is_idempotent_and_checked() -> None:
    config = KeywordConfig.from_settings({"compliance_profile": "us", "locale_packs": ["sv"]})
    again = KeywordConfig(
        **{name: getattr(config, name) for name in config.__dataclass_fields__ if name != "tables"},
    )
    assert again == config and hash(again) == hash(config)
    with pytest.raises(ValueError, match="fuzzy_action"):
        KeywordConfig(fuzzy_action="unsubscribe")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="locale pack"):
        KeywordConfig(locale_packs=("de",))
    with pytest.raises(ValueError, match="no letters or digits"):
        KeywordConfig(custom=("🛑",))
    with pytest.raises(TypeError, match="sequence of strings"):
        KeywordConfig(opt_out="STOP")  # type: ignore[arg-type]
