"""The built-in English lexicons of the fuzzy opt-out layer, verbatim from keywords.md §6.4.

All entries are canonical (§6.2): lower case, no apostrophes ("dont", "im"). They are fixed, not configurable:
locale packs add exact keywords only; the fuzzy layer stays English (§7.5).
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: F1: a message made only of these (ignoring whitespace, U+FE0F and U+200D) is a fuzzy opt-out. ✋ is left out
#: on purpose: it also means "hi" or "wait".
STOP_EMOJI = frozenset("\U0001f6d1\u26d4\U0001f6ab")
#: ignored around stop emoji by F1: the emoji variation selector and the zero-width joiner
EMOJI_JOINERS = frozenset("\ufe0f\u200d")

#: dictionary words the typo model reaches from STOP, QUIT and CANCEL (minus inflections), so never typos. The
#: same set is recomputed from the shipped word list for every configured opt-out keyword (see guard.py).
GUARD = _words("atop chancel quiet quilt quite quoit sop step stomp stoop strop top")

#: revocation terms: triggers even when not configured as keywords (fuzzy only, never exact)
REVOCATION_UNIGRAMS: dict[str, str] = {
    "stopall": "STOPALL",
    "optout": "OPTOUT",
    "revoke": "REVOKE",
    "unsub": "UNSUB",
    "remove": "REMOVE",
}
REVOCATION_BIGRAMS: dict[tuple[str, str], str] = {
    ("opt", "out"): "OPT OUT",
    ("remove", "me"): "REMOVE ME",
}

#: everyday words whose triggers need a CUE token in a short clause and never fire the head rule. Typos of these
#: keywords are ambiguous too. The bigram "remove me" is not: it exists to say what a bare "remove" does not.
AMBIGUOUS = _words("no cancel remove")

PHRASES: tuple[tuple[str, ...], ...] = tuple(
    tuple(phrase.split())
    for phrase in (
        "leave me alone",
        "dont text",
        "do not text",
        "dont message",
        "do not message",
        "dont contact",
        "do not contact",
        "take me off",
        "opt me out",
        "wrong number",
        "dont want these",
        "do not want these",
    )
)
PHRASE_STARTS = frozenset(phrase[0] for phrase in PHRASES)

MESSAGING = _words(
    """text texts texting txt txts message messages messaging msg msgs sms mms notification notifications alert
    alerts reminder reminders subscription list number promo promos promotion promotions deal deals offer offers
    ad ads marketing spam update updates newsletter contact contacting calls calling emails"""
)
# "right away", "any longer" and "for good" are listed as their words: clause tokens are compared one by one.
FILLER = _words(
    """please pls plz thanks thank thx ty you u now asap immediately right away just ok okay k yes yeah yep sir
    maam all everything already again anymore more any longer forever permanently completely and so oh hey hi
    hello really for good ever"""
)
FUNCTION = _words("i im me my we us our it this that these those them your ur to from with on of off")
COMPLAINT = _words(
    """said told asked keep keeps still but why wont will would could can how do does want need get getting
    receive receiving send sending sent texted replied consent contacting calling bothering spamming harassing"""
)
EXPLETIVE = _words("crap shit damn fuck fucking freaking hell bs wtf ffs omg seriously ugh idiot scam")

#: the tokens a short clause may hold besides its triggers. Negations (dont, cant, never, not, didnt) are
#: deliberately absent: "Don't stop the deals" must not opt out.
ALLOWED = MESSAGING | FILLER | FUNCTION | COMPLAINT | EXPLETIVE
#: allowed only directly before a MESSAGING token ("stop the texts", not "end of the day")
ARTICLES = _words("the a an")
#: what makes a clause of only ambiguous triggers an opt-out ("no more texts", not "no thanks")
CUE = MESSAGING | _words("more all anymore")
#: skipped at the start of a clause by the head rule (F4)
LEAD = _words("please pls plz just can could would will you u kindly so ok okay hey hi oh omg seriously now")
SEND_VERBS = _words(
    """sending send texting text txting messaging message contacting contact calling call emailing email spamming
    spam bothering bother harassing"""
)
#: the token after a head trigger that makes F4 fire ("stop texting", "end texts")
HEAD_FOLLOWERS = SEND_VERBS | MESSAGING
