"""Default keywords, locale packs and compliance profiles, and how they combine into the effective lists.

keywords.md §7: the defaults are the seed's lists plus CONTINUE and INFORMATION (the English originals of the
seed's machine-translated FORTSÄTT and HJÄLP); a category's configured list replaces its defaults (§6.1); locale
packs and the ``us`` compliance profile then add keywords on top, whatever the configured lists say.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from smshooks.keywords.canon import canon
from smshooks.keywords.model import PRECEDENCE, Category

KeywordLists = Mapping[Category, tuple[str, ...]]

DEFAULT_KEYWORDS: KeywordLists = {
    Category.OPT_OUT: ("STOP", "QUIT", "CANCEL", "END", "UNSUBSCRIBE", "NO", "STOP ALL"),
    Category.OPT_IN: ("SUBSCRIBE", "YES", "UNSTOP", "START", "CONTINUE", "FORTSÄTT", "RESUME", "BEGIN"),
    Category.HELP: ("HELP", "HJÄLP", "INFO", "INFORMATION"),
    Category.DOUBLE_OPT_IN: (),
    Category.CUSTOM: (),
}

#: §7.5: exact keywords per language; each pack also brings fuzzy phrases (LOCALE_FUZZY_PHRASES, rule F11)
LOCALE_PACKS: Mapping[str, KeywordLists] = {
    "sv": {
        Category.OPT_OUT: ("STOPP", "STOPPA", "SLUTA", "AVSLUTA", "AVREGISTRERA"),
        Category.OPT_IN: ("STARTA", "FORTSÄTT"),
        Category.HELP: ("HJÄLP",),
    },
    # BAJA and CANCELAR are the Spanish opt-out words US programs document (docs/keywords.md §4)
    "es": {
        Category.OPT_OUT: ("BAJA", "CANCELAR"),
    },
}

#: F11: revocation phrases per locale pack, canonical (lower case, diacritics folded, no apostrophes). A clause
#: containing one is a fuzzy opt-out when the pack is configured. A phrase marked with a trailing "$" must be the
#: whole clause ("No más" is a revocation, "no más tarde" is not).
LOCALE_FUZZY_PHRASES: Mapping[str, tuple[str, ...]] = {
    "sv": (
        "sluta skicka",
        "sluta messa",
        "sluta sms",
        "sluta smsa",
        "sluta kontakta",
        "sluta ringa",
        "vill inte ha fler",
        "vill inte ha mer",
        "vill inte ha nagra",
        "vill inte fa fler",
        "vill inte fa mer",
        "inga fler sms",
        "inga fler meddelanden",
        "inga mer sms",
        "avregistrera mig",
        "avsluta prenumerationen",
        "avsluta min prenumeration",
        "ta bort mig",
        "ta bort mitt nummer",
        "skicka inte",
        "kontakta mig inte",
        "fel nummer",
        "fel person",
    ),
    "es": (
        "deja de enviar",
        "deja de enviarme",
        "dejen de enviar",
        "dejen de enviarme",
        "deja de mandar",
        "deja de mandarme",
        "dejen de mandar",
        "dejen de mandarme",
        "deja de escribirme",
        "dejen de escribirme",
        "no me manden",
        "no me mandes",
        "no me envien",
        "no me envies",
        "no me escriban",
        "no me escribas",
        "no me contacten",
        "no me llamen",
        "no mas mensajes",
        "no quiero recibir",
        "ya no quiero",
        "no mas $",
        "borrenme",
        "borrame",
        "dar de baja",
        "darme de baja",
        "baja por favor",
        "numero equivocado",
        "persona equivocada",
    ),
}

#: the words the FCC's rule (47 CFR 64.1200(a)(10), keywords.md §0) makes a revocation "per se", with the
#: one-word spellings carriers and Twilio use: a configuration may leave them out of its opt-out list (the fuzzy
#: layer then catches them) but never give them another meaning (KeywordSettingsSchema)
REVOCATION_PER_SE = (
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

#: §7.2: ``us`` keeps every per-se revocation word an exact opt-out keyword, and STOP, HELP and START (which Twilio
#: does not let anyone remove), even when a configured list omits them. It also forces the fuzzy action to
#: auto_opt_out (see KeywordConfig), because a prompt can leave a legally effective revocation unprocessed (§4),
#: and it cannot be combined with the fuzzy layer turned off (KeywordSettingsSchema).
COMPLIANCE_PROFILES: Mapping[str, KeywordLists] = {
    "none": {},
    "us": {
        Category.OPT_OUT: REVOCATION_PER_SE,
        Category.HELP: ("HELP",),
        Category.OPT_IN: ("START",),
    },
}

FUZZY_ACTIONS = ("prompt", "auto_opt_out")


def base_keywords(settings: Mapping) -> dict[Category, tuple[str, ...]]:
    """Per category, the configured keywords of a settings dict, or the defaults where none are configured.

    An entry with an empty keyword list keeps the defaults (it may be there only to set the reply).
    """
    lists = dict(DEFAULT_KEYWORDS)
    for entry in settings.get("categories") or ():
        keywords = tuple(keyword.strip() for keyword in entry.get("keywords") or ())
        if keywords:
            lists[Category(entry["category"])] = keywords
    return lists


def effective_keywords(
    base: KeywordLists, locale_packs: Iterable[str] = (), compliance_profile: str = "none"
) -> dict[Category, tuple[str, ...]]:
    """``base`` plus the packs' and the profile's keywords, each category without canonical repeats (first
    spelling wins). Applying it to its own output changes nothing."""
    additions = [LOCALE_PACKS[name] for name in locale_packs] + [COMPLIANCE_PROFILES[compliance_profile]]
    lists: dict[Category, tuple[str, ...]] = {}
    for category in PRECEDENCE:
        merged = list(base.get(category, ()))
        for addition in additions:
            merged.extend(addition.get(category, ()))
        seen: set[str] = set()
        unique = []
        for keyword in merged:
            key = canon(keyword)
            if key not in seen:
                seen.add(key)
                unique.append(keyword)
        lists[category] = tuple(unique)
    return lists


def conflicts(lists: KeywordLists) -> list[str]:
    """One message per canonical keyword that is in more than one category (§6.1), e.g.
    "'no' is in both opt_out and opt_in"; categories named in precedence order."""
    homes: dict[str, list[Category]] = {}
    for category in PRECEDENCE:
        for keyword in lists.get(category, ()):
            key = canon(keyword)
            if category not in homes.setdefault(key, []):
                homes[key].append(category)
    messages = []
    for key, categories in homes.items():
        if len(categories) > 1:
            names = [str(category) for category in categories]
            both = " and ".join(names) if len(names) == 2 else ", ".join(names[:-1]) + " and " + names[-1]
            messages.append(f"'{key}' is in both {both}" if len(names) == 2 else f"'{key}' is in {both}")
    return messages
