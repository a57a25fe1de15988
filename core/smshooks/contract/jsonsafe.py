"""The one JSON parser for vendor bodies: bounded, so a hostile body is a PayloadError, never a crash.

:meth:`smshooks.contract.webhook_request.WebhookRequest.json` calls :func:`parse_json`;
plugins call that instead of ``json.loads`` so every vendor refuses the same
hostile bodies the same way, before any of their code sees them.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from typing import Any

from smshooks.contract.errors import PayloadError

__all__ = ["MAX_JSON_DEPTH", "MAX_JSON_NUMBER_LENGTH", "parse_json"]

#: the deepest nesting of arrays and objects a vendor body may have; real payloads
#: nest a handful of levels (Sinch: statuses[].recipients[] is 3)
MAX_JSON_DEPTH = 64
#: the longest number literal a vendor body may hold; ids longer than this come as
#: strings, and Python refuses integers over 4300 digits with a ValueError anyway
MAX_JSON_NUMBER_LENGTH = 100

# A string literal, escapes included (the unrolled form, which the regex engine
# runs at C speed); an unterminated one runs to the end of the text, so that no
# escaped quote inside it starts another match (which would be quadratic).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*+(?:"|\\?\Z)', re.DOTALL)
# A run of number characters too long to be a number we take.
_LONG_NUMBER = re.compile(rf"[-+.0-9eE]{{{MAX_JSON_NUMBER_LENGTH + 1},}}")
# Anything that is not a bracket.
_NOT_BRACKET = re.compile(r"[^][{}]+")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def parse_json(body: bytes | str) -> Any:
    """``body`` parsed as JSON, with the bounds of :meth:`WebhookRequest.json`.

    The bounds are checked on the text before it is parsed, by regular
    expressions over the body with its string literals blanked out: linear
    in the body's size, so 100,000 ``[`` never reach the recursive decoder and
    a 5,000-digit integer never reaches ``int()`` (whose conversion is
    quadratic and refuses more than 4,300 digits with a ``ValueError``).
    """
    try:
        text = body if isinstance(body, str) else body.decode(json.detect_encoding(body))
    except UnicodeDecodeError as exc:
        raise PayloadError(f"body is not valid JSON: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    _check_json_bounds(text)
    try:
        return json.loads(text, parse_float=_json_float, parse_constant=_json_constant)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"body is not valid JSON: {exc}") from None
    except RecursionError:  # only if our caller's stack is already deep
        raise PayloadError(f"body is not valid JSON: nested deeper than {MAX_JSON_DEPTH} levels") from None


def _check_json_bounds(text: str) -> None:
    deep = text.count("[") + text.count("{") > MAX_JSON_DEPTH
    if not deep and not _LONG_NUMBER.search(text):
        return  # the common small body: nothing could be out of bounds
    structure = _JSON_STRING.sub('""', text)
    number = _LONG_NUMBER.search(structure)
    if number:
        raise PayloadError(
            f"body is not valid JSON: a number of {len(number.group())} characters (at most {MAX_JSON_NUMBER_LENGTH})"
        )
    if deep:
        brackets = _NOT_BRACKET.sub("", structure)
        if max(itertools.accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0) > MAX_JSON_DEPTH:
            raise PayloadError(f"body is not valid JSON: nested deeper than {MAX_JSON_DEPTH} levels")


def _json_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise PayloadError(f"body is not valid JSON: the number {literal} is too large")
    return value


def _json_constant(name: str) -> Any:
    # json.loads takes NaN, Infinity and -Infinity, which are not JSON (RFC 8259)
    # and which PostgreSQL's JSON columns refuse.
    raise PayloadError(f"body is not valid JSON: {name} is not a JSON value")
