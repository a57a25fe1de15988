"""docs/keywords.md §3: the sentence rules F6-F11, the vetoes V1-V2 and the context condition, rule by rule.

Every decision names its rule; these tables pin which rule decides each example (most are quoted in the corpus,
tests/data/optout_corpus.csv, with their sources).
"""

from __future__ import annotations

import pytest

from smshooks.keywords import Category, Classification, KeywordConfig, Match, classify

DEFAULT = KeywordConfig.default()
SV = KeywordConfig(locale_packs=("sv",))
ES = KeywordConfig(locale_packs=("es",))
NONE = Classification(Category.NONE, Match.NONE)

FIRES = [
    # F6 negated send verb aimed at us
    ("Please do not send any further messages.", DEFAULT, "F6"),
    ("It would be great if you would no longer text me. Thanks.", DEFAULT, "F6"),
    ("Do not EVER contact me again", DEFAULT, "F6"),
    ("Please don't text me again I have asked you three times already", DEFAULT, "F6"),
    ("do not call me", DEFAULT, "F6"),
    ("Do not call or text me", DEFAULT, "F6"),
    ("don't call", DEFAULT, "F6"),
    # F7 negated wish whose object is our messages
    ("I've changed my mind and don't want to receive these anymore.", DEFAULT, "F7"),
    ("I do not wish to be contacted", DEFAULT, "F7"),
    ("I don't wish to receive these offers anymore.", DEFAULT, "F7"),
    ("I don't want this", DEFAULT, "F7"),
    # F8 stop verb + our messages, any clause length
    ("I would appreciate it if we discontinue any further texts", DEFAULT, "F8"),
    ("Thank you but I would like the text messages to stop can we make this happen", DEFAULT, "F8"),
    ("Again I want to stop this service thank you.", DEFAULT, "F8"),
    # F9 remove + us or our number
    ("Take my contact info off please", DEFAULT, "F9"),
    ("Thank you. I'd like my contact info removed", DEFAULT, "F9"),
    ("I want to confirm that I have been removed off your contacts.", DEFAULT, "F9"),
    ("Lose my number", DEFAULT, "F9"),
    ("Remove my phone number", DEFAULT, "F9"),
    ("Please remove. Thanks.", DEFAULT, "F9"),
    ("Can I please be taken off of the list! Not coming out this winter. thanks", DEFAULT, "F9"),
    # F10 wrong person
    ("I believe you have the wrong person.", DEFAULT, "F10"),
    ("u sms wrong person", DEFAULT, "F10"),
    ("I think you have been texting the wrong person for weeks now", DEFAULT, "F10"),
    # F11 locale phrases, only with the pack
    ("Sluta skicka sms till mig", SV, "F11"),
    ("Vill inte ha fler sms", SV, "F11"),
    ("Avregistrera mig", SV, "F11"),
    ("Ya no me manden", ES, "F11"),
    ("deja de enviarme mensajes", ES, "F11"),
    ("No más", ES, "F11"),
    # new revocation words (F3 single token, F5 short clause)
    ("Exit", DEFAULT, "F3"),
    ("Cease and Desist All Communication", DEFAULT, "F8"),
    ("cease all", DEFAULT, "F5"),
    ("Too many messages, stop", DEFAULT, "F5"),
]


@pytest.mark.parametrize(("text", "config", "rule"), FIRES, ids=[case[0][:40] for case in FIRES])
def test_sentence_rules_fire(text: str, config: KeywordConfig, rule: str) -> None:
    result = classify(text, config)
    assert (result.category, result.match, result.rule) == (Category.OPT_OUT, Match.FUZZY, rule)


DOES_NOT_FIRE = [
    # V1 vCard, V2 quoted instructions
    ("BEGIN:VCARD\nVERSION:3.0\nFN:Anna\nTEL:+46701234567\nEND:VCARD", DEFAULT),
    ("To opt out text STOP", DEFAULT),
    ("Reply HELP for help, STOP to cancel.", DEFAULT),
    ("Dear Voucher Holder, To stop texts, txt STOP to 80062", DEFAULT),
    ("T&Cs/stop SMS 08718727868. Over 18 only", DEFAULT),
    ("What happens if I reply stop?", DEFAULT),
    # negation and continuation around §6.4 phrases
    ("ANGEL pls dun leave me alone", DEFAULT),
    ("Don't text and drive!", DEFAULT),
    # NO needs more/further/anymore, not just a messaging word
    ("Why no messages", DEFAULT),
    ("No calls..messages..missed calls", DEFAULT),
    ("contact no, sailing experience", DEFAULT),
    # context condition: a bare trigger next to unrelated talk, an infinitive told to someone
    ("Boooo you always work. Just quit.", DEFAULT),
    ("v2.1: resume, quit, mainmenu", DEFAULT),
    ("I already told u to quit!", DEFAULT),
    ("Stop! You are the best", DEFAULT),
    # F4 aimed at a third party
    ("Stop calling everyone saying I might have cancer. My throat hurts to talk.", DEFAULT),
    # F6: a conjunction, another object, or a request for other contact
    ("Text me when you get off, don't call, my phones having problems", DEFAULT),
    ("Don't call, just text", DEFAULT),
    ("Don't call after 9pm, the baby sleeps", DEFAULT),
    ("Do not call the landlord yet, I will", DEFAULT),
    # F7: no messages as the object, a stop after the wish, a condition
    ("I don't want to go", DEFAULT),
    ("I don't want the reminders to stop", DEFAULT),
    ("I don't want to text him", DEFAULT),
    # F8: negated, other objects
    ("Please don't stop the reminders, they help", DEFAULT),
    ("Can you stop the water delivery while we're on vacation?", DEFAULT),
    # F9: narration, negation, other objects
    ("K..i deleted my contact that why?", DEFAULT),
    ("Please don't remove my name from the guest list", DEFAULT),
    ("Good day to You too.Pray for me.Remove the teeth as its painful maintaining other stuff.", DEFAULT),
    ("remove it", DEFAULT),
    # F10: someone else's number, narration
    ("oh and by the way you have the wrong number for my mom", DEFAULT),
    ("I dialed the wrong number", DEFAULT),
    ("I dialed the wrong number earlier lol", DEFAULT),
    # locale phrases need their pack, and real talk stays talk
    ("Sluta skicka sms till mig", DEFAULT),
    ("Jag kan inte sluta skratta", SV),
    ("No puedo parar de reír", ES),
    ("No más tarde", ES),
]


@pytest.mark.parametrize(("text", "config"), DOES_NOT_FIRE, ids=[case[0][:40] for case in DOES_NOT_FIRE])
def test_sentence_rules_do_not_fire(text: str, config: KeywordConfig) -> None:
    assert classify(text, config) == NONE


def test_locale_packs_add_exact_keywords() -> None:
    assert classify("BAJA", ES) == Classification(Category.OPT_OUT, Match.EXACT, "BAJA")
    assert classify("avsluta", SV) == Classification(Category.OPT_OUT, Match.EXACT, "AVSLUTA")
    assert classify("BAJA", DEFAULT) == NONE
