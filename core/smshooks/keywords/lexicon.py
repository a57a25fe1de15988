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
#: what NO needs besides a messaging word to be a revocation: "No more texts", not "Why no messages"
NO_CUE = _words("more further anymore longer again")

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
#: their last words: a clause holds a phrase only if it holds both ends (starts.START_PHRASE, WITH_PHRASE)
PHRASE_ENDS = frozenset(phrase[-1] for phrase in PHRASES)
#: docs/keywords.md §3: phrases added to the §6.4 list. "too" is far too common to start a clause check, so these
#: are found through their rarer second word (sentences.START_MANY) and then matched like the others.
EXTRA_PHRASES = (("too", "many", "messages"), ("too", "many", "texts"))
PHRASES = (*PHRASES, *EXTRA_PHRASES)

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


# ---------------------------------------------------------------------------------------------------------------
# Beyond §6.4 (docs/keywords.md §3): the English lexicon of revocation sentences, rules F6-F10, and the vetoes.
# ---------------------------------------------------------------------------------------------------------------

#: more revocation terms (fuzzy only): "Exit", "Cease and desist all communication", "Block"
EXTRA_REVOCATION_UNIGRAMS: dict[str, str] = {
    "exit": "EXIT",
    "cease": "CEASE",
    "seize": "CEASE",  # "seize all" (Recart lists it as a common misspelling)
    "desist": "DESIST",
    "block": "BLOCK",
    "stop2quit": "STOP",
}
#: words that make a clause about our messages, beyond MESSAGING ("cease all communication", "stop this service")
COMMUNICATION = _words("communication communications correspondence contacts contacted texted called messaged")

#: negators, canonical ("don't" is "dont"; "dun" is common in Singapore English, see the UCI collection)
NEGATORS = _words("dont dun not never doesnt didnt wont cant cannot nt")
#: verbs of sending or contacting (F6 and F8 objects); "call" counts: the FCC rule covers calls and texts alike
CONTACT_VERBS = _words(
    """text txt texting message msg messaging sms send sending contact contacting call calling ring email emailing
    spam bother bothering harass harassing reach"""
)
#: after "dont text" these mean the sentence goes on about something else ("Don't text and drive", "Don't call
#: after 9pm", "Don't call, just text")
CONTINUATIONS = _words("and while when if after before until till unless yet just during because cos coz whilst")
#: the same words after a §6.4 phrase ("Don't text and drive")
PHRASE_CONTINUATIONS = CONTINUATIONS
#: what may follow a negated send verb for F6 to fire: us as the object, or nothing ("Do not call", "Don't text
#: me again", "Please do not send any further messages")
F6_OBJECTS = _words("me us this my any anymore again back ever texts messages msgs more further please pls u")
#: desire verbs (F7) and what makes the desire about our messages
DESIRE = _words("want wanna wish like need")
RECEIVE = _words("receive receiving get getting be hear")
#: demonstratives that stand for "your messages" when nothing but filler follows ("I don't want these anymore")
DEMONSTRATIVES = _words("these this those them it any")
#: stop verbs of F8 ("discontinue any further texts", "I would like the text messages to stop")
STOP_VERBS = _words("stop end discontinue cease halt quit cancel terminate")
#: the objects F8 accepts: messages, plus the service they come from ("Again I want to stop this service")
F8_OBJECTS = MESSAGING | COMMUNICATION | _words("service subscription program these them")
#: remove verbs (F9); "take" needs "off" in the clause, "lose" and "delete" a number or name
REMOVE_VERBS = _words("remove removed removing delete deleted erase lose take taken took unlist")
#: what F9 removes: me, or my number / name / contact info, or from your list
CONTACT_NOUNS = _words("number numbers name phone cell contact contacts info information details data email")
LIST_NOUNS = _words("list lists contacts system database service records texts roster")
#: F10 wrong person: "wrong number", "wrong person", "u sms wrong person"
WRONG_PERSON = _words("number person persons guy girl contact")
#: third parties: "Stop calling everyone saying I might have cancer" is not about our messages
THIRD_PARTY = _words("everyone everybody anyone him her them people ppl he she they his")
#: instruction verbs: a trigger right after one of these quotes an instruction ("Reply STOP to opt out", "txt STOP
#: to 80062", "What happens if I reply stop?"); past tenses are not here, "I replied STOP but ..." is a complaint
INSTRUCTION_VERBS = _words("reply rply respond text txt send sms msg type say")
#: politeness and complaint words a clause may hold and still be on the topic of stopping ("Too many messages",
#: "I have already asked once"); used by the context condition of F5 and F6
POLITE = _words(
    """too many much sorry asked ask times time few once twice have has had been is are was am be last warning
    final annoying stupid enough thank god again thanks lol"""
)
#: structured text is never a reply: a vCard
VCARD = ("begin", "vcard")
