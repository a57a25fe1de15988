"""What classification answers: a category, how it matched, and why (keywords.md §6.8).

The types live in the plugin contract (:mod:`smshooks.contract.classification`), re-exported here.
"""

from __future__ import annotations

from smshooks.contract.classification import NO_MATCH, Category, Classification, Match

__all__ = ["NO_MATCH", "PRECEDENCE", "Category", "Classification", "Match"]


#: the categories that hold keywords, in exact-match precedence order (§6.3)
PRECEDENCE: tuple[Category, ...] = (
    Category.OPT_OUT,
    Category.HELP,
    Category.DOUBLE_OPT_IN,
    Category.OPT_IN,
    Category.CUSTOM,
)
