"""Inbound SMS keyword classification: canonical form, exact keywords, fuzzy opt-out (shared/keywords.md §6).

>>> from smshooks.keywords import KeywordConfig, classify
>>> result = classify("Stop texting me", KeywordConfig.default())
>>> (str(result.category), str(result.match), result.keyword, result.rule, result.decided_by)
('opt_out', 'fuzzy', 'STOP', 'F4', None)
"""

from smshooks.keywords.canon import canon, clauses
from smshooks.keywords.classify import classify
from smshooks.keywords.config import ComplianceProfile, FuzzyAction, KeywordConfig
from smshooks.keywords.hooks import apply_classify_hooks
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
    "apply_classify_hooks",
    "canon",
    "classify",
    "clauses",
]
