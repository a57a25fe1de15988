"""Reply templates (sandboxed Jinja2) and SMS segment arithmetic (GSM-7 / UCS-2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jinja2

from smshooks import templating
from smshooks.keywords import KeywordConfig
from smshooks.replies.context import reply_context, reply_keywords

#: what a sample rendering at save time fills in, so a template that uses them renders
SAMPLE_CONTEXT: dict[str, Any] = reply_context(
    subscriber="+14155550123",
    number="+14155550100",
    keywords=reply_keywords(KeywordConfig.default()),
    keyword="STOP",
    category="opt_out",
    profile={"first_name": "Ada", "last_name": "Lovelace"},
)

MAX_REPLY_LENGTH = 1600
#: the most SMS segments a reply may cost (10 of 153 GSM-7 characters)
MAX_REPLY_SEGMENTS = 10

#: what rendering one reply may cost; the raw output may be twice the longest
#: message, as the ends are stripped before the segments are counted
REPLY_LIMITS = templating.Limits(render_seconds=0.1, max_output=2 * MAX_REPLY_LENGTH)


class ReplyTemplateError(ValueError):
    """A template that does not parse or render; ``line`` when Jinja knows it."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


@lru_cache(maxsize=1)
def environment() -> templating.BoundedEnvironment:
    # Sandboxed and bounded: templates are written by administrators through
    # the API; they must not reach Python internals nor hold up the server.
    return templating.environment(REPLY_LIMITS, undefined=jinja2.StrictUndefined)


@lru_cache(maxsize=256)
def _compiled(template: str) -> jinja2.Template:
    return templating.compile_template(environment(), template)


def render(template: str, context: Mapping[str, Any]) -> str:
    """Render ``template`` under :data:`REPLY_LIMITS`; at most :data:`MAX_REPLY_SEGMENTS`.

    A misspelt top-level name is an error (caught when the template is saved);
    a profile attribute a subscriber lacks renders as '' and ``default`` replaces it.
    Any failure is a :class:`ReplyTemplateError`.
    """
    values = dict(context)
    values["profile"] = templating.lenient(values.get("profile") or {})
    try:
        text = templating.render(_compiled(template), values).strip()
    except templating.TemplateError as exc:
        raise ReplyTemplateError(exc.reason, exc.line) from None
    cost = segments(text)
    if cost.segments > MAX_REPLY_SEGMENTS:
        raise ReplyTemplateError(
            f"the reply is {cost.segments} SMS segments ({cost.characters} characters, {cost.encoding});"
            f" at most {MAX_REPLY_SEGMENTS}"
        )
    return text


# --- segments -------------------------------------------------------------------

# GSM 03.38 basic character set and its extension table (each extension
# character costs two septets: ESC + the character).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    characters: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def segments(text: str) -> Segments:
    """How ``text`` travels as SMS: its encoding and the number of segments."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        units = sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
        single, multi = 160, 153
        encoding = "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
        encoding = "UCS-2"
    if units == 0:
        count = 0
    elif units <= single:
        count = 1
    else:
        count = -(-units // multi)
    return Segments(encoding=encoding, characters=len(text), units=units, segments=count)


# --- built-in texts ---------------------------------------------------------------

#: replies sent when a webhook configures none for the category (keywords.md 6.6):
#: the opt-out confirmation and the help answer are required by carriers (CTIA)
BUILTIN_REPLIES: dict[str, str] = {
    "opt_out": (
        "You are unsubscribed and will receive no more messages from this number. "
        "Reply {{ opt_in_keyword }} to subscribe again."
    ),
    "opt_in": (
        "You are subscribed to messages from this number. Msg&data rates may apply. "
        "Reply {{ help_keyword }} for help, {{ opt_out_keyword }} to unsubscribe."
    ),
    "help": (
        "Reply {{ opt_out_keyword }} to unsubscribe or {{ opt_in_keyword }} to subscribe. Msg&data rates may apply."
    ),
    "double_opt_in": (
        "Reply {{ confirm_keyword }} to confirm your subscription. Msg&data rates may apply. "
        "Reply {{ help_keyword }} for help, {{ opt_out_keyword }} to cancel."
    ),
    # Says the opt-out did NOT happen and names the exact keyword; never asks
    # for YES, which is an opt-in keyword (keywords.md 6.6).
    "fuzzy": "Did you mean to unsubscribe? Reply {{ opt_out_keyword }} to stop all messages from this number.",
}


def render_builtin(reply: str, context: Mapping[str, Any]) -> str | None:
    """The built-in text for ``reply`` (a :data:`BUILTIN_REPLIES` key), None for none.

    These texts ship with smshooks and only insert keywords, so they render without the
    CPU-deadline tracer an administrator's template runs under (it traces every call).
    """
    builtin = BUILTIN_REPLIES.get(reply)
    if builtin is None:
        return None
    return _compiled(builtin).render(dict(context)).strip()
