"""Inbound SMS keyword classification: canonical form, exact keywords, fuzzy opt-out (shared/keywords.md §6).

>>> from smshooks.keywords import KeywordConfig, classify
>>> classify("Stop texting me", KeywordConfig.default())
Classification(category=<Category.OPT_OUT: 'opt_out'>, match=<Match.FUZZY: 'fuzzy'>, keyword='STOP', rule='F4')
"""

from smshooks.keywords.canon import canon, clauses
from smshooks.keywords.classify import classify
from smshooks.keywords.config import ComplianceProfile, FuzzyAction, KeywordConfig
from smshooks.keywords.model import NO_MATCH, PRECEDENCE, Category, Classification, Match
from smshooks.keywords.packs import DEFAULT_KEYWORDS, LOCALE_PACKS
from smshooks.keywords.settings import KeywordSettingsSchema

__all__ = [
    "DEFAULT_KEYWORDS",
    "LOCALE_PACKS",
    "NO_MATCH",
    "PRECEDENCE",
    "Category",
    "Classification",
    "ComplianceProfile",
    "FuzzyAction",
    "KeywordConfig",
    "KeywordSettingsSchema",
    "Match",
    "canon",
    "classify",
    "clauses",
]
