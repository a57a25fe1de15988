"""The payload template: the request body a provider expects, written as JSON with placeholders.

Templates are Jinja2, rendered in a :class:`~jinja2.sandbox.SandboxedEnvironment`
(no attribute of Python internals is reachable). Every ``{{ … }}`` output goes
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
import traceback
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jinja2
import jinja2.meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

#: variables every payload template must reference (the seed's rule)
REQUIRED_VARIABLES = ("fromNumber", "toNumber", "message")

#: the largest request body a template may render, in characters
MAX_BODY = 256 * 1024
MAX_EXPONENT = 64
#: filters whose output size the template chooses freely (padding, wrapping, printf widths)
_AMPLIFYING_FILTERS = ("center", "indent", "wordwrap", "format")

_TEMPLATE_FILENAME = "<template>"
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


class PayloadEnvironment(SandboxedEnvironment):
    """The sandbox, also refusing the cheap ways to make a template eat the server's memory.

    ``"x" * 10**9`` and friends are refused, and so are the filters that pad
    text to a width the template chooses; ``replace`` and ``join`` refuse to
    build text longer than :data:`MAX_BODY`, and what a template writes is
    capped at that while it renders. (A loop that writes nothing can still
    burn CPU: templates are written by the organisation's own admins.)
    """

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SecurityError(f"exponent {right} is larger than {MAX_EXPONENT}")
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                repeats = isinstance(sequence, str | list | tuple) and isinstance(times, int)
                if repeats and len(sequence) * times > MAX_BODY:
                    raise SecurityError(f"repeating a value would exceed {MAX_BODY} characters")
        return super().call_binop(context, operator, left, right)


def _refuse_longer_than_max(length: int) -> None:
    if length > MAX_BODY:
        raise SecurityError(f"the value would be longer than {MAX_BODY} characters")


def _bounded_replace(original: Any) -> Any:
    """``replace``, refusing before it builds text longer than :data:`MAX_BODY`."""

    @functools.wraps(original)
    def replace(eval_ctx: Any, value: Any, old: Any, new: Any, count: Any = None) -> Any:
        text, old, new = str(value), str(old), str(new)
        hits = text.count(old) if old else len(text) + 1
        if count is not None:
            hits = min(hits, int(count))
        _refuse_longer_than_max(len(text) + hits * (len(new) - len(old)))
        return original(eval_ctx, value, old, new, count)

    return replace


def _bounded_join(original: Any) -> Any:
    """``join``, refusing before it builds text longer than :data:`MAX_BODY`."""

    @functools.wraps(original)
    def join(eval_ctx: Any, value: Any, d: Any = "", attribute: Any = None) -> Any:
        items = list(value)
        if attribute is None:
            _refuse_longer_than_max(sum(len(str(item)) for item in items) + len(str(d)) * max(len(items) - 1, 0))
        return original(eval_ctx, items, d, attribute)

    return join


def _environment() -> PayloadEnvironment:
    env = PayloadEnvironment(
        finalize=json_value,
        undefined=jinja2.ChainableUndefined,
        autoescape=False,
        keep_trailing_newline=True,
    )
    for name in _AMPLIFYING_FILTERS:
        env.filters.pop(name, None)
    env.filters["replace"] = _bounded_replace(env.filters["replace"])
    env.filters["join"] = _bounded_join(env.filters["join"])
    env.filters["json"] = json_filter
    env.filters["tojson"] = json_filter
    env.filters["digits"] = digits
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
            text = _bounded(self.template.generate(variables))
        except TemplateError:
            raise
        except jinja2.TemplateError as exc:
            raise TemplateError(_reason(exc), _template_line(exc)) from None
        except Exception as exc:  # a helper or an operator on the wrong type: still the template's fault
            raise TemplateError(_reason(exc), _template_line(exc)) from None
        check_json(text, self.source)
        return text


def _bounded(chunks: Iterator[str]) -> str:
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_BODY:
            raise TemplateError(f"the rendered payload is longer than {MAX_BODY} characters")
        parts.append(chunk)
    return "".join(parts)


def compile_template(source: str) -> PayloadTemplate:
    """Parse and check ``source``; a :class:`TemplateError` for a syntax error or a missing variable."""
    return _compile(source)


@functools.lru_cache(maxsize=256)
def _compile(source: str) -> PayloadTemplate:
    try:
        tree = ENVIRONMENT.parse(source)
        referenced = jinja2.meta.find_undeclared_variables(tree)
        template = ENVIRONMENT.from_string(tree)
    except jinja2.TemplateSyntaxError as exc:  # also an unknown filter or test
        raise TemplateError(exc.message or "syntax error", exc.lineno) from None
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


def _reason(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {message}" if not isinstance(exc, jinja2.TemplateError) else message


def _template_line(exc: BaseException) -> int | None:
    """The template line an exception was raised on (Jinja maps its frames to the source)."""
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == _TEMPLATE_FILENAME:
            line = lineno
    return line
