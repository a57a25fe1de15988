"""Start bits: which fuzzy rules a token can take part in, so classify() skips the rules that cannot fire.

Every rule after F3 needs certain words in its clause: F4 a non-ambiguous trigger, F5 a trigger (and a CUE word if
every trigger is ambiguous) or a phrase, F6-F10 an anchor word and a companion word ("dont" and a contact verb),
F11 a locale phrase's first word. KeywordTables memoises each token's bits; classify() ORs the bits of a message's
(then a clause's) tokens and looks up :data:`RULES` for the rules that can fire with that mask. A rule that is not
in RULES[mask] would not fire on that clause: the bits are necessary conditions, so the prefilter changes speed,
never results (tests/test_keywords_equivalence.py compares it with reference.py, which has no prefilter).
"""

from __future__ import annotations

#: a one-token trigger (ambiguous or not), the first token of a multi-word trigger, or a §6.4 phrase's first word:
#: the clauses V2 (quotes_instruction) looks at
START_TRIGGER = 1
#: the first word of a configured locale pack's phrase (F11)
START_LOCALE = 2
#: F6-F10: an anchor word and a companion word each (sentences.SENTENCE_STARTS says which words)
START_F6, START_F7, START_F8, START_F9, START_F10 = 4, 8, 16, 32, 64
WITH_F6, WITH_F7, WITH_F8, WITH_F9, WITH_F10 = 128, 256, 512, 1024, 2048
#: "too many messages" (F5): anchor "many", companion the messaging word
START_MANY, WITH_MANY = 4096, 8192
#: a non-ambiguous one-token trigger, or the first token of a multi-word trigger (F4, F5)
START_STRONG = 1 << 14
#: an ambiguous one-token trigger: NO, CANCEL, REMOVE and their typos (F5 with a CUE word)
START_AMBIGUOUS = 1 << 15
#: a CUE word (lexicon.CUE): what a clause of only ambiguous triggers needs for F5
WITH_CUE = 1 << 16
#: a §6.4 phrase's first and last word (F5: "leave me alone" needs "leave" and "alone")
START_PHRASE, WITH_PHRASE = 1 << 17, 1 << 18

#: rule groups in RULES[mask]
CAN_F4_F5, CAN_F6, CAN_F7, CAN_F8, CAN_F9, CAN_F10, CAN_F11 = 1, 2, 4, 8, 16, 32, 64
#: every rule group: what reference.py runs on every clause
ALL_RULES = CAN_F4_F5 | CAN_F6 | CAN_F7 | CAN_F8 | CAN_F9 | CAN_F10 | CAN_F11

_PAIRS = (
    (START_F6 | WITH_F6, CAN_F6),
    (START_F7 | WITH_F7, CAN_F7),
    (START_F8 | WITH_F8, CAN_F8),
    (START_F9 | WITH_F9, CAN_F9),
    (START_F10 | WITH_F10, CAN_F10),
)
_MANY = START_MANY | WITH_MANY
_PHRASE = START_PHRASE | WITH_PHRASE


def rules_for(mask: int) -> int:
    """The CAN_* groups that may fire on a clause whose tokens' start bits OR to ``mask`` (0: none can)."""
    rules = 0
    if (
        mask & START_STRONG
        or (mask & START_AMBIGUOUS and mask & WITH_CUE)
        or mask & _PHRASE == _PHRASE
        or mask & _MANY == _MANY
    ):
        rules |= CAN_F4_F5
    for pair, group in _PAIRS:
        if mask & pair == pair:
            rules |= group
    if mask & START_LOCALE:
        rules |= CAN_F11
    return rules


class _RulesByMask(dict[int, int]):
    """mask -> rules_for(mask), computed on first sight (a few hundred masks occur; 2**19 are possible)."""

    def __missing__(self, mask: int) -> int:
        rules = self[mask] = rules_for(mask)
        return rules


#: mask -> the CAN_* groups that may fire; a plain dict lookup once a mask has been seen
RULES: dict[int, int] = _RulesByMask()
