"""The payload template: the request body a provider expects, written as JSON with placeholders.

Templates are Jinja2, rendered by the host's bounded sandbox
(:mod:`smshooks.templating`, shared with the reply texts): no attribute of
Python internals is reachable, a render is interrupted after 100 ms, a body is
at most :data:`MAX_BODY` and no expression may build a larger value, ``range``,
``*``, ``**``, format widths and the padding filters are bounded, and
``{% include %}`` & co. are refused. Every ``{{ … }}`` output goes
through :func:`json_value`, so a value always lands as valid JSON where the
template author put it:

- a string is JSON-escaped *without* its quotes, because templates write it
  inside quotes as the seed product does: ``"text": "{{message}}"``. A quote,
  backslash, line break or control character in a message or a profile value
  therefore cannot break the document;
- a number or boolean is its JSON literal, for unquoted positions
  (``"count": {{ profile.count }}``);
- an undefined value (a profile attribute the profile lacks) is empty; use
  ``default`` to choose another value;
- ``| json`` writes any value as a whole JSON value, quotes included
  (``"tags": {{ profile.tags | json }}``); a missing value becomes ``null``.

A template must reference ``{{fromNumber}}``, ``{{toNumber}}`` and
``{{message}}`` and render to valid JSON; :func:`check_template` says which
line is wrong and why, for the credential schema and the payload editor.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jinja2
import jinja2.meta

from smshooks import templating

#: variables every payload template must reference (the seed's rule)
REQUIRED_VARIABLES = ("fromNumber", "toNumber", "message")

#: the largest request body a template may render, in characters
MAX_BODY = 64 * 1024
#: what rendering one payload may cost (time, body size, the values it builds)
PAYLOAD_LIMITS = templating.Limits(render_seconds=0.1, max_output=MAX_BODY, max_length=MAX_BODY)

# Characters valid in JSON but unsafe on the wire or in JavaScript-based parsers:
# lone surrogates cannot be encoded as UTF-8; U+2028/U+2029 end a JavaScript line.
_UNSAFE = re.compile("[\ud800-\udfff\u2028\u2029]")

#: values rendered when the credential is saved, chosen to break a template that escapes wrongly
SAMPLE_VALUES: Mapping[str, Any] = {
    "fromNumber": "+15555550100",
    "toNumber": "+15555550123",
    "message": 'Sample "quoted" text \\ with a backslash,\na line break, \t a tab and unicode \u2713 \U0001f44b',
    "reference": "msg_sample",
    "callbackUrl": "https://sms.example.com/hooks/wh_sample",
    "mediaUrls": [],
    "profile": {},
}


class TemplateError(ValueError):
    """The template cannot produce a request body; the message says where and why."""

    def __init__(self, reason: str, line: int | None = None, column: int | None = None):
        where = f"line {line}" if line is not None else None
        if where and column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {reason}" if where else reason)
        self.reason = reason
        self.line = line
        self.column = column


class RawJSON(str):
    """Text that is already JSON: written as is, never escaped again."""


def escape_json_string(text: str) -> str:
    """``text`` as the inside of a JSON string literal (no surrounding quotes)."""
    body = json.dumps(text, ensure_ascii=False)[1:-1]
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", body)


def dump_json(value: Any) -> str:
    """A whole JSON value, compact, safe for the wire."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def json_value(value: Any) -> str:
    """How one ``{{ … }}`` output is written into the document (the environment's finalize)."""
    if isinstance(value, RawJSON):
        return value
    if value is None or isinstance(value, jinja2.Undefined):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return dump_json(value)
    if isinstance(value, Mapping | list | tuple):
        return dump_json(value)
    return escape_json_string(str(value))


def json_filter(value: Any) -> RawJSON:
    """``{{ value | json }}``: the value as a complete JSON value, quotes included."""
    if isinstance(value, jinja2.Undefined):
        return RawJSON("null")
    if isinstance(value, tuple):
        value = list(value)
    return RawJSON(dump_json(value))


def digits(value: Any) -> str:
    """``{{ toNumber | digits }}``: only the digits (``+41 79 302…`` → ``4179302…``), for
    providers that want numbers without ``+``."""
    if isinstance(value, jinja2.Undefined) or value is None:
        return ""
    return "".join(ch for ch in str(value) if ch.isdigit())


def now_iso() -> str:
    """The current time, UTC, ISO-8601 with milliseconds and ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_epoch() -> int:
    """The current time in seconds since the epoch."""
    return int(datetime.now(UTC).timestamp())


def new_uuid() -> str:
    """A random UUID (version 4), e.g. for a provider's idempotency key."""
    return str(uuid.uuid4())


def _sized(env: templating.BoundedEnvironment, write: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that refuses a value whose text would be larger than a body may be."""

    @functools.wraps(write)
    def sized(value: Any, *args: Any, **kwargs: Any) -> Any:
        env.check_size(value)
        return write(value, *args, **kwargs)

    return sized


def _environment() -> templating.BoundedEnvironment:
    env = templating.environment(
        PAYLOAD_LIMITS,
        undefined=jinja2.ChainableUndefined,  # a missing value is empty; ``default`` replaces it
        finalize=json_value,
        keep_trailing_newline=True,
    )
    env.filters["json"] = _sized(env, json_filter)
    env.filters["tojson"] = env.filters["json"]
    env.filters["digits"] = _sized(env, digits)
    env.globals.update(now_iso=now_iso, now_epoch=now_epoch, uuid=new_uuid)
    return env


ENVIRONMENT = _environment()


@dataclass(frozen=True)
class PayloadTemplate:
    """A compiled payload template."""

    source: str
    template: jinja2.Template

    def render(self, variables: Mapping[str, Any]) -> str:
        """The request body: valid JSON, or a :class:`TemplateError` with the line and reason."""
        try:
            text = templating.render(self.template, variables)
        except templating.TemplateError as exc:
            raise TemplateError(exc.reason, exc.line) from None
        check_json(text, self.source)
        return text


def compile_template(source: str) -> PayloadTemplate:
    """Parse and check ``source``; a :class:`TemplateError` for a syntax error or a missing variable."""
    return _compile(source)


@functools.lru_cache(maxsize=256)
def _compile(source: str) -> PayloadTemplate:
    try:
        template = templating.compile_template(ENVIRONMENT, source)
    except templating.TemplateError as exc:  # syntax, an unknown filter or test, {% include %}
        raise TemplateError(exc.reason, exc.line) from None
    referenced = jinja2.meta.find_undeclared_variables(ENVIRONMENT.parse(source))
    missing = [name for name in REQUIRED_VARIABLES if name not in referenced]
    if missing:
        names = ", ".join("{{" + name + "}}" for name in missing)
        raise TemplateError(f"the payload template must reference {names}")
    return PayloadTemplate(source, template)


def check_template(source: str) -> None:
    """Refuse a template that could not produce a valid body: syntax, missing variables,
    and a render of :data:`SAMPLE_VALUES` that is not valid JSON."""
    compile_template(source).render(SAMPLE_VALUES)


def check_json(text: str, source: str | None = None) -> None:
    """A :class:`TemplateError` with the line and reason when ``text`` is not JSON.

    Line numbers of the rendered text are the template's (values are escaped
    onto one line). The column is given only where the template line rendered
    unchanged, since a value expanded earlier on the line shifts it; an excerpt
    of the rendered text shows the spot instead.
    """
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        pos, reason = exc.pos, exc.msg
        before = text[:pos].rstrip()
        if before.endswith(",") and reason.startswith(("Expecting property name", "Expecting value")):
            # The decoder stops at what follows; the mistake is the comma itself.
            pos, reason = len(before) - 1, "a trailing comma (nothing follows it in this object or array)"
        elif before.endswith(":") and reason == "Expecting value":
            pos = len(before) - 1
            reason = "a value is missing after ':' (did a value render empty? use | default(...) or | json)"
        lineno = text.count("\n", 0, pos) + 1
        line_start = text.rfind("\n", 0, pos) + 1
        excerpt = text[max(line_start, pos - 40) : pos + 10].split("\n")[0]
        reason = f"the rendered payload is not valid JSON: {reason}, at: {excerpt!r}"
        column = pos - line_start + 1 if source is not None and _same_line(source, text, lineno) else None
        raise TemplateError(reason, lineno, column) from None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise TemplateError("the payload template contains characters that cannot be sent (lone surrogates)") from None


def _same_line(source: str, text: str, lineno: int) -> bool:
    source_lines, text_lines = source.splitlines(), text.splitlines()
    return lineno <= min(len(source_lines), len(text_lines)) and source_lines[lineno - 1] == text_lines[lineno - 1]
