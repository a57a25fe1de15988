"""Revocation sentences (docs/keywords.md §3): rules F6-F10, the locale phrases F11, and the vetoes V1-V2.

The rules of keywords.md §6.4 (F1-F5) catch keywords, typos and short clauses. Real revocations are often whole
sentences without a keyword ("Please do not send any further messages", "Take my contact info off please") and
real conversation often holds a keyword that revokes nothing ("Don't text and drive!", "txt STOP to 80062"). Each
function here is one named rule over the canonical tokens of one clause: a small lexicon of verbs and objects
(lexicon.py) plus negation, never a score.
"""

from __future__ import annotations

from collections.abc import Sequence

from smshooks.keywords.lexicon import (
    ALLOWED,
    ARTICLES,
    COMMUNICATION,
    CONTACT_NOUNS,
    CONTACT_VERBS,
    CONTINUATIONS,
    DEMONSTRATIVES,
    DESIRE,
    EXTRA_PHRASES,
    F6_OBJECTS,
    F8_OBJECTS,
    FILLER,
    INSTRUCTION_VERBS,
    LIST_NOUNS,
    MESSAGING,
    NEGATORS,
    POLITE,
    REMOVE_VERBS,
    SEND_VERBS,
    STOP_VERBS,
    THIRD_PARTY,
    VCARD,
    WRONG_PERSON,
)
from smshooks.keywords.lookup_tables import KeywordTables
from smshooks.keywords.starts import (
    START_F6,
    START_F7,
    START_F8,
    START_F9,
    START_F10,
    START_MANY,
    WITH_F6,
    WITH_F7,
    WITH_F8,
    WITH_F9,
    WITH_F10,
    WITH_MANY,
)

Tokens = Sequence[str]

#: Each of F6-F10 needs an anchor word and a companion word in its clause ("dont" and a contact verb, "remove"
#: and an object...): the words of each start bit (starts.py), memoised per token by KeywordTables.
SENTENCE_STARTS: dict[int, frozenset[str]] = {
    START_F6: frozenset({"dont", "dun", "never", "not", "longer"}),
    WITH_F6: CONTACT_VERBS,
    START_F7: NEGATORS | frozenset({"longer"}),
    WITH_F7: DESIRE - {"like"},  # "if you don't like it": F7 needs a stronger wish than "like"
    START_F8: STOP_VERBS,
    WITH_F8: F8_OBJECTS,
    START_F9: REMOVE_VERBS,
    WITH_F9: frozenset({"me", "off", "from", "remove"}) | CONTACT_NOUNS | LIST_NOUNS,
    START_F10: frozenset({"wrong"}),
    WITH_F10: WRONG_PERSON,
    START_MANY: frozenset({"many"}),
    WITH_MANY: frozenset(phrase[2] for phrase in EXTRA_PHRASES),
}
#: "to" before a trigger is an infinitive: a request only after a desire ("I want to unsubscribe")
_DESIRE_BEFORE = DESIRE | frozenset({"how", "asked", "trying", "tried", "would"})
#: F8 allows these between the stop verb and its object ("discontinue any further texts")
_F8_GAP = FILLER | frozenset(
    {"the", "a", "an", "these", "those", "this", "your", "ur", "of", "further", "my", "our", "desist"}
)
#: "to"+trigger followed by one of these is an instruction ("STOP to cancel", "stop to opt out")
_INSTRUCTION_TARGETS = frozenset({"cancel", "end", "stop", "quit", "opt", "optout", "unsubscribe", "unsub", "remove"})
#: permanence makes a negated send a revocation even inside other talk ("Please don't text me again")
_PERMANENCE = frozenset({"again", "anymore", "ever", "any", "further", "more", "longer", "never"})
_INSTRUCTION_ANCHORS = INSTRUCTION_VERBS | frozenset({"to", "2"})
_BARE_REMOVE_FILLER = frozenset({"please", "pls", "plz", "now", "asap", "thanks", "thank", "you", "thx", "kindly"})
_BE = frozenset({"be", "been", "being", "was", "were", "get", "got", "is", "are", "im"})
_NARRATION = frozenset(
    {"dialed", "dialled", "called", "typed", "gave", "put", "entered", "wrote", "rang", "texted", "sent"}
)


def _negated(tokens: Tokens, index: int) -> bool:
    """A negator in the two tokens before ``index`` ("don't stop the reminders", "pls dun leave me alone")."""
    return any(token in NEGATORS for token in tokens[max(0, index - 2) : index])


def is_vcard(tokens: Tokens) -> bool:
    """V1: a vCard ("BEGIN:VCARD ... END:VCARD") is data a phone attached, not a reply."""
    if VCARD[1] not in tokens:  # a C-level scan; almost every message stops here
        return False
    return any(tuple(tokens[i : i + 2]) == VCARD for i in range(len(tokens) - 1))


def quotes_instruction(tables: KeywordTables, tokens: Tokens, digits: bool = True) -> bool:
    """V2: the clause quotes an opt-out instruction instead of giving one.

    A trigger one or two tokens after an instruction verb ("Reply STOP", "txt ENG STOP", "What happens if I reply
    stop?"); a trigger followed by "to" and a keyword or a number ("STOP to cancel", "STOP to 80062"); or "to"/"2"
    and a trigger followed later by a number or an instruction verb ("To stop texts call 08712460324"). ``digits``
    False says the message has no digit at all, which spares the number checks.
    """
    if _INSTRUCTION_ANCHORS.isdisjoint(tokens) and not (digits and any(map(_has_digit, tokens))):
        return False  # no instruction verb, no "to", no number: nothing to quote
    for index, token in enumerate(tokens):
        if tables.triggers[token] is None and token not in ("optout", "opt"):
            continue
        for back in range(max(0, index - 3), index):
            # "text STOP", "txt X or STOP"; not "the text messages to stop" (a noun with its object)
            if tokens[back] in INSTRUCTION_VERBS and not any(word in MESSAGING for word in tokens[back + 1 : index]):
                return True
        # a short code or phone number right after: "stop SMS 08718727868"
        if any(sum(char.isdigit() for char in word) >= 4 for word in tokens[index + 1 : index + 4]):
            return True
        after = tokens[index + 1 : index + 3]
        if len(after) == 2 and after[0] in ("to", "2") and (after[1] in _INSTRUCTION_TARGETS or after[1][:1].isdigit()):
            return True
        if index > 0 and tokens[index - 1] in ("to", "2"):
            later = tokens[index + 1 :]
            if any(word[:1].isdigit() or word in INSTRUCTION_VERBS or word == "call" for word in later):
                return True
    return False


def _has_digit(token: str) -> bool:
    return token[-1:].isdigit() or token[:1].isdigit()


def on_topic(tables: KeywordTables, tokens: Tokens) -> bool:
    """Whether a clause could sit next to a bare "stop" in a revocation: only filler, politeness, messaging words
    and keywords ("Thank you", "Too many messages"), or a trigger of its own."""
    return all(
        token in ALLOWED
        or token in POLITE
        or token in ARTICLES
        or token in tables.exact  # any configured keyword: "Thanks for the info. Please stop now"
        or tables.triggers[token] is not None
        for token in tokens
    )


def negated_send(tokens: Tokens) -> tuple[bool, bool, bool]:
    """F6: a negated send verb aimed at us: "Do not call", "Don't text me again", "Please do not send any further
    messages", "It would be great if you would no longer text me".

    Returns (fired, bare, lasting); bare means nothing follows the verb ("Don't call"), which classify() accepts
    only when the rest of the message stays on topic and asks for no other contact ("Don't call, just text" is
    not); lasting means the clause says for good ("again", "anymore", "no longer"), which counts whatever else the
    message says. Otherwise the rest of the message must stay on topic.
    """
    for index, token in enumerate(tokens):
        if (
            token in ("dont", "dun", "never")
            or (token == "not" and index > 0 and tokens[index - 1] in ("do", "please", "pls", "plz"))
            or (token == "longer" and index > 0 and tokens[index - 1] == "no")
        ):
            start = index + 1
        else:
            continue
        while start < len(tokens) and tokens[start] in ("ever", "u", "you", "please", "pls", "even"):
            start += 1
        if start >= len(tokens) or tokens[start] not in CONTACT_VERBS:
            continue
        follow = start + 1
        # "Do not call or text me"
        while (
            follow + 1 < len(tokens) and tokens[follow] in ("or", "and", "nor") and tokens[follow + 1] in CONTACT_VERBS
        ):
            follow += 2
        lasting = token in ("never", "longer") or any(word in _PERMANENCE for word in tokens[follow:])
        if follow == len(tokens):
            return True, True, lasting
        nxt = tokens[follow]
        if nxt in CONTINUATIONS:
            continue
        if nxt in F6_OBJECTS or nxt in MESSAGING:
            return True, False, lasting
    return False, False, False


def negated_desire(tables: KeywordTables, tokens: Tokens) -> bool:
    """F7: a negated wish whose object is our messages: "I don't want these messages anymore", "I do not wish to
    be contacted", "I've changed my mind and don't want to receive these anymore", "I don't want this".

    Not: "I don't want to go", "I don't want it", "I don't want the reminders to stop" (a stop after the wish
    reverses it), "I don't want to text him" (our messages are not the object)."""
    for index, token in enumerate(tokens):
        if token not in NEGATORS and not (token == "longer" and index > 0 and tokens[index - 1] == "no"):
            continue
        if "if" in tokens[:index]:  # "if you don't like em txt SWAP": a condition, not a wish
            continue
        for offset in (1, 2):
            at = index + offset
            if at < len(tokens) and tokens[at] in DESIRE:
                break
        else:
            continue
        rest = tokens[at + 1 : at + 7]
        if any(tables.triggers[word] is not None or word in STOP_VERBS for word in rest):
            return False
        if rest[:2] in (["to", "receive"], ["to", "receiving"]):
            return True
        if (
            rest[:2] == ["to", "be"]
            and len(rest) > 2
            and (rest[2] in COMMUNICATION or rest[2] in ("bothered", "emailed"))
        ):
            return True
        if any(word in MESSAGING and (pos == 0 or rest[pos - 1] != "to") for pos, word in enumerate(rest)):
            return True
        if rest and rest[0] in DEMONSTRATIVES and rest[0] not in ("it", "any") and all(w in FILLER for w in rest[1:]):
            return True
    return False


def stop_object(tokens: Tokens) -> bool:
    """F8: a stop verb with our messages as its object, in a clause of any length: "I would appreciate it if we
    discontinue any further texts", "Again I want to stop this service", "I would like the text messages to stop".

    Not negated ("Please don't stop the reminders"), not aimed at a third party, and the object must follow
    within four tokens with only filler between ("Can you stop the water delivery" has "water")."""
    for index, token in enumerate(tokens):
        if token not in STOP_VERBS or _negated(tokens, index) or any(t in NEGATORS for t in tokens[:index]):
            continue
        following = tokens[index + 1 : index + 6]
        for pos, word in enumerate(following[:4]):
            if word in F8_OBJECTS and word not in ("these", "them"):
                return not (pos + 1 < len(following) and following[pos + 1] in THIRD_PARTY)
            if word in THIRD_PARTY or word not in _F8_GAP:
                break
        # subject form: "the text messages to stop", "these texts to end"
        if index >= 2 and tokens[index - 1] == "to":
            for word in tokens[max(0, index - 4) : index - 1]:
                if word in MESSAGING or word in COMMUNICATION:
                    return True
    return False


def remove_object(tokens: Tokens) -> bool:
    """F9: a remove verb with us (or our number, our place on the list) as its object: "Remove my phone number",
    "Lose my number", "Take my contact info off please", "Can I please be taken off of the list", "I asked to be
    removed from this service", "I'd like my contact info removed".

    Narration ("I deleted my contact"), negation ("Please don't remove my name") and other objects ("Remove the
    teeth", "Gently remove Ur hand") do not count."""
    # "Please remove. Thanks.": a bare remove with only politeness (not "remove it")
    if "remove" in tokens and all(word == "remove" or word in _BARE_REMOVE_FILLER for word in tokens):
        return True
    for index, token in enumerate(tokens):
        if token not in REMOVE_VERBS or _negated(tokens, index):
            continue
        after = tokens[index + 1 :]
        if token in ("take", "taken", "took"):
            if "off" in after and (after[:1] == ["me"] or _has_contact_object(after) or _from_list(after, "off")):
                return True
            continue
        if token == "lose":
            if any(word == "number" for word in after[:3]):
                return True
            continue
        passive = token in ("removed", "deleted") and any(word in _BE for word in tokens[max(0, index - 2) : index])
        if (token in ("remove", "delete", "erase", "removing", "unlist") or passive) and (
            after[:1] == ["me"]
            or _has_contact_object(after[:3])
            or _from_list(after, "from")
            or _from_list(after, "off")
        ):
            return True
        if token in ("removed", "deleted") and _has_contact_object(tokens[max(0, index - 3) : index]):
            return True
    return False


def _has_contact_object(tokens: Tokens) -> bool:
    return any(
        word in CONTACT_NOUNS and (pos > 0 and tokens[pos - 1] in ("my", "this", "ur", "our", "contact", "phone"))
        for pos, word in enumerate(tokens)
    )


def _from_list(tokens: Tokens, preposition: str) -> bool:
    if preposition not in tokens:
        return False
    rest = tokens[tokens.index(preposition) + 1 :][:5]
    return any(word in LIST_NOUNS for word in rest)


def wrong_person(tokens: Tokens) -> bool:
    """F10: the message reached the wrong person: "I believe you have the wrong person", "I'm just a kid wrong
    number", "u sms wrong person". Not narration ("I dialed the wrong number")."""
    for index, token in enumerate(tokens):
        if token != "wrong":
            continue
        if narrated(tokens, index):
            return False
        for pos in (index + 1, index + 2):
            # "the wrong number for my mom" talks about someone else's number
            if pos < len(tokens) and tokens[pos] in WRONG_PERSON and not _for_someone(tokens[pos + 1 : pos + 3]):
                return True
    return False


def _for_someone(tokens: Tokens) -> bool:
    return len(tokens) == 2 and tokens[0] == "for" and tokens[1] in ("my", "his", "her", "your", "ur", "our", "the")


def narrated(tokens: Tokens, index: int) -> bool:
    """ "I dialed the wrong number": the sender tells what they did, nobody reached the wrong person."""
    before = tokens[:index]
    return ("i" in before or "we" in before) and any(word in _NARRATION for word in before)


def bare_f5_clause(tokens: Tokens) -> bool:
    """Whether an F5 clause says nothing about messages: a trigger with filler only ("Just quit", "stop")."""
    return not any(token in MESSAGING or token in SEND_VERBS or token in COMMUNICATION for token in tokens)


def infinitive_without_desire(tables: KeywordTables, tokens: Tokens) -> bool:
    """ "I already told u to quit!": "to" + trigger with no wish before it tells someone else to stop something."""
    for index, token in enumerate(tokens):
        if (
            index > 0
            and tokens[index - 1] in ("to", "2")
            and tables.triggers[token] is not None
            and not any(word in _DESIRE_BEFORE for word in tokens[:index])
        ):
            return True
    return False
