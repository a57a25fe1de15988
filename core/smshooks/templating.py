"""Bounded, sandboxed Jinja2 for templates written through the API.

Public and framework-free (it imports nothing else of smshooks), so plugins use
it too: the reply texts and the Custom vendor's payload template are rendered
by the same engine. A template is code an administrator types into a form; it
runs on the server that must keep recording opt-outs, so every render is held
to :class:`Limits`:

- render time: a per-thread trace function interrupts the render once its
  deadline has passed (waitress serves from worker threads, so no signals);
- output size, and the size of every string or sequence an expression builds
  (``+``, ``*``, ``~``, ``range``, string methods and the filters that pad,
  wrap, join or replace) — refused *before* the value is built;
- integers: ``**`` and ``*`` refuse results of more than ``max_int_bits``;
- format widths and precisions (``'{:>999999999}'.format(1)``, ``'%9999d' % 1``);
- no ``{% include %}``, ``{% extends %}`` or ``{% import %}``: there is no loader.

Whatever goes wrong — a limit, a syntax error, ``RecursionError``,
``MemoryError``, an operator on the wrong type — :func:`compile_template` and
:func:`render` raise one :class:`TemplateError` whose message says why (and its
``line`` when known).

Usage::

    env = environment(Limits(max_output=1600))
    text = render(compile_template(env, source), {"profile": lenient(attributes)})

:func:`lenient` wraps a mapping (a subscriber's profile) whose missing keys are
undefined but harmless: they render as ``''`` and ``default(...)`` replaces them,
while a misspelt top-level name stays an error under ``StrictUndefined``.
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import FrameType
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.filters import make_attrgetter
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter

__all__ = [
    "BoundedEnvironment",
    "Lenient",
    "Limits",
    "TemplateError",
    "TemplateLimitError",
    "compile_template",
    "environment",
    "lenient",
    "render",
]

TEMPLATE_FILENAME = "<template>"


@dataclass(frozen=True)
class Limits:
    """What one render may cost."""

    #: seconds a render may run before it is interrupted
    render_seconds: float = 0.1
    #: characters a render may write
    max_output: int = 64 * 1024
    #: the longest string or sequence (or nested container, counted in items
    #: and characters) one expression may build
    max_length: int = 64 * 1024
    #: items ``range()`` may produce (and ``batch``/``slice`` counts)
    max_range: int = 10_000
    #: bits of an integer result of ``*`` or ``**`` (2**4096 has 1,234 digits)
    max_int_bits: int = 4096
    #: the largest width or precision in a format spec or a ``%`` conversion
    max_width: int = 1000


class TemplateError(ValueError):
    """The template cannot be compiled or rendered; ``line`` when known."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason if line is None else f"line {line}: {reason}")
        self.reason = reason
        self.line = line


class TemplateLimitError(TemplateError):
    """The template went past one of its :class:`Limits`."""


class _OutOfTime(BaseException):
    # A BaseException, so no ``except Exception`` in Jinja or in a filter can
    # swallow it and carry on with the render.
    pass


class _TooBig(SecurityError):
    """A limit hit inside the render (turned into :class:`TemplateLimitError`)."""


class Lenient(dict):
    """A mapping whose missing keys (``x.missing``, ``x['missing']``) are a
    :class:`jinja2.ChainableUndefined`: empty when written, replaced by ``default``."""


def lenient(mapping: Mapping[str, Any] | None) -> Lenient:
    """``mapping`` with lenient missing keys (nested mappings are lenient too)."""
    if isinstance(mapping, Lenient):
        return mapping
    return Lenient(mapping) if isinstance(mapping, Mapping) else Lenient()


# -- the environment --------------------------------------------------------------------


class _BoundedCodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` to a call that checks the length before joining."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _BoundedFormatter(SandboxedFormatter):
    """``str.format`` refusing huge widths and precisions."""

    def __init__(self, env: BoundedEnvironment):
        super().__init__(env)
        self._bounded = env

    def format_field(self, value: Any, format_spec: str) -> Any:
        self._bounded.check_width(format_spec)
        self._bounded.check_size(value)
        return super().format_field(value, format_spec)


_DIGITS = re.compile(r"\d+")
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.)", re.DOTALL)


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, holding every render to :attr:`limits`."""

    intercepted_binops = frozenset({"+", "*", "**", "%"})
    code_generator_class = _BoundedCodeGenerator

    def __init__(self, limits: Limits, **options: Any):
        finalize = options.pop("finalize", None)
        super().__init__(loader=None, finalize=self._finalizer(finalize), **options)
        self.limits = limits
        self.globals.pop("lipsum", None)
        self.globals["range"] = self.bounded_range
        for name, check in _FILTER_CHECKS.items():
            if name in self.filters:
                self.filters[name] = _checked_filter(self.filters[name], check, self)

    # -- checks shared by the hooks below and the filters ---------------------------

    def refuse(self, reason: str) -> None:
        raise _TooBig(reason)

    def check_length(self, length: int, what: str = "a value") -> None:
        if length > self.limits.max_length:
            self.refuse(f"{what} would be longer than {self.limits.max_length} characters")

    def check_width(self, spec: str) -> None:
        for digits in _DIGITS.findall(spec):
            if len(digits) > 9 or int(digits) > self.limits.max_width:
                self.refuse(f"a width or precision above {self.limits.max_width} in {spec!r}")

    def check_percent(self, fmt: str) -> None:
        for width, precision, _ in _PERCENT.findall(fmt):
            for value in (width, precision):
                if value == "*":
                    self.refuse("'*' widths are not allowed in % formats")
                if value:
                    self.check_width(value)

    def check_size(self, value: Any) -> None:
        """Refuse a value whose text would exceed ``max_length`` (nested containers
        can share items, so their text can be far larger than their memory)."""
        if isinstance(value, str | bytes):
            self.check_length(len(value))
            return
        if not isinstance(value, list | tuple | dict | set | frozenset):
            return
        budget, stack = self.limits.max_length, [value]
        while stack:
            item = stack.pop()
            budget -= 1
            if isinstance(item, str | bytes):
                budget -= len(item)
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list | tuple | set | frozenset):
                stack.extend(item)
            if budget < 0:
                self.refuse(f"a value would be longer than {self.limits.max_length} characters")

    def _finalizer(self, finalize: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
        def bounded_finalize(value: Any) -> Any:
            self.check_size(value)
            return finalize(value) if finalize is not None else value

        return bounded_finalize

    # -- sandbox hooks ----------------------------------------------------------------

    def bounded_range(self, *args: int) -> range:
        values = range(*args)
        if len(values) > self.limits.max_range:
            self.refuse(f"range() of more than {self.limits.max_range} items")
        return values

    def concat(self, parts: Iterable[str]) -> str:  # type: ignore[override]
        # what {% set %}...{% endset %}, macros, {% filter %} and call blocks join their output with
        texts, size = [], 0
        for text in parts:
            size += len(text)
            self.check_length(size, "a block's output")
            texts.append(text)
        return "".join(texts)

    def bounded_concat(self, parts: tuple[Any, ...]) -> str:
        for part in parts:
            self.check_size(part)
        texts = [str(part) for part in parts]
        self.check_length(sum(len(text) for text in texts), "joining with ~")
        return "".join(texts)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        limits = self.limits
        sequences = str | bytes | list | tuple
        if operator == "+" and isinstance(left, sequences) and isinstance(right, sequences):
            self.check_length(len(left) + len(right), "adding")
        elif operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, str | bytes | list | tuple) and isinstance(times, int):
                    self.check_length(len(sequence) * max(times, 0), "repeating")
            ints = isinstance(left, int) and isinstance(right, int)
            if ints and left.bit_length() + right.bit_length() > limits.max_int_bits:
                self.refuse(f"an integer of more than {limits.max_int_bits} bits")
        elif operator == "**" and isinstance(left, int | float) and isinstance(right, int | float):
            if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0:
                if right * (abs(left).bit_length() - 1) > limits.max_int_bits:
                    self.refuse(f"an integer of more than {limits.max_int_bits} bits")
            elif abs(right) > limits.max_int_bits:
                self.refuse(f"an exponent above {limits.max_int_bits}")
        elif operator == "%" and isinstance(left, str):
            self.check_percent(left)
            for value in right if isinstance(right, tuple) else (right,):
                self.check_size(value)
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None or isinstance(value.__self__, jinja2.runtime.Markup):
            return wrapped
        f_self, is_map = value.__self__, value.__name__ == "format_map"
        formatter = _BoundedFormatter(self)

        def bounded_format(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                args, kwargs = (), args[0]
            return type(f_self)(formatter.vformat(f_self, args, kwargs))

        return functools.update_wrapper(bounded_format, value)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        owner, name = getattr(__obj, "__self__", None), getattr(__obj, "__name__", None)
        if isinstance(owner, str | bytes) and name in _METHOD_CHECKS:
            _METHOD_CHECKS[name](__self, owner, args, kwargs)
        elif isinstance(owner, int) and name == "to_bytes":
            __self.check_length(int(args[0] if args else kwargs.get("length", 1)), "to_bytes()")
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, str | bytes | list | tuple):
            __self.check_length(len(result))
        return result

    # -- lenient mappings ---------------------------------------------------------------

    def getattr(self, obj: Any, attribute: str) -> Any:
        return self._lenient(obj, attribute, super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return self._lenient(obj, argument, super().getitem(obj, argument))

    def _lenient(self, obj: Any, name: Any, value: Any) -> Any:
        if isinstance(obj, Lenient):
            # missing, not refused by the sandbox (an unsafe attribute stays an error)
            if isinstance(value, jinja2.Undefined) and value._undefined_exception is UndefinedError:
                return jinja2.ChainableUndefined(obj=obj, name=name)
            if isinstance(value, Mapping) and not isinstance(value, Lenient):
                return Lenient(value)
        return value


# -- string methods and filters that build big values ----------------------------------


def _method_width(env: BoundedEnvironment, text: Any, args: tuple, kwargs: dict) -> None:
    width = args[0] if args else kwargs.get("width", 0)
    if isinstance(width, int) and width > env.limits.max_length:
        env.refuse(f"a width above {env.limits.max_length}")


def _method_expandtabs(env: BoundedEnvironment, text: Any, args: tuple, kwargs: dict) -> None:
    size = args[0] if args else kwargs.get("tabsize", 8)
    if isinstance(size, int):
        env.check_length(len(text) + text.count("\t" if isinstance(text, str) else b"\t") * max(size, 0))


def _method_join(env: BoundedEnvironment, text: Any, args: tuple, kwargs: dict) -> None:
    items = args[0] if args else ()
    if isinstance(items, list | tuple):
        env.check_size(list(items))
        env.check_length(sum(len(i) for i in items if isinstance(i, str | bytes)) + len(text) * len(items))


def _method_replace(env: BoundedEnvironment, text: Any, args: tuple, kwargs: dict) -> None:
    if len(args) >= 2 and isinstance(args[0], str | bytes) and isinstance(args[1], str | bytes):
        _check_replace(env, text, args[0], args[1], args[2] if len(args) > 2 else -1)


def _check_replace(env: BoundedEnvironment, text: Any, old: Any, new: Any, count: Any) -> None:
    hits = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    env.check_length(len(text) + hits * max(len(new) - len(old), 0), "replace()")


def _method_translate(env: BoundedEnvironment, text: Any, args: tuple, kwargs: dict) -> None:
    table = args[0] if args else None
    if isinstance(table, Mapping):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        env.check_length(len(text) * longest, "translate()")


_METHOD_CHECKS: dict[str, Callable[[BoundedEnvironment, Any, tuple, dict], None]] = {
    "center": _method_width,
    "ljust": _method_width,
    "rjust": _method_width,
    "zfill": _method_width,
    "expandtabs": _method_expandtabs,
    "join": _method_join,
    "replace": _method_replace,
    "translate": _method_translate,
}


def _filter_width(env: BoundedEnvironment, a: Mapping[str, Any]) -> None:
    width = a.get("width", 80)
    if isinstance(width, int) and width > env.limits.max_length:
        env.refuse(f"a width above {env.limits.max_length}")


def _filter_indent(env: BoundedEnvironment, a: Mapping[str, Any]) -> None:
    text, width = str(a["s"]), a.get("width", 4)
    width = len(width) if isinstance(width, str) else width
    if isinstance(width, int):
        env.check_length(len(text) + (text.count("\n") + 1) * max(width, 0), "indent")


def _filter_wordwrap(env: BoundedEnvironment, a: Mapping[str, Any]) -> None:
    text, width = str(a["s"]), a.get("width", 79)
    wrap = len(a.get("wrapstring") or "\n")
    if isinstance(width, int):
        breaks = len(text) // max(width, 1) + text.count("\n") + 1
        env.check_length(len(text) + breaks * wrap, "wordwrap")


def _filter_truncate(env: BoundedEnvironment, a: Mapping[str, Any]) -> None:
    env.check_length(len(str(a.get("end", "..."))), "truncate's end")


def _filter_join(env: BoundedEnvironment, a: Mapping[str, Any]) -> list[Any]:
    items = list(a["value"])
    if a.get("attribute") is not None:
        items = list(map(make_attrgetter(env, a["attribute"]), items))
    env.check_size(items)
    texts = sum(len(str(item)) for item in items)
    env.check_length(texts + len(str(a.get("d", ""))) * max(len(items) - 1, 0), "join")
    return items


def _filter_replace(env: BoundedEnvironment, a: Mapping[str, Any]) -> None:
    count = a.get("count")
    _check_replace(env, str(a["s"]), str(a["old"]), str(a["new"]), -1 if count is None else count)


def _filter_format(env: BoundedEnvironment, a: Mapping[str, Any]) -> None:
    env.check_percent(str(a["value"]))
    for value in (*a.get("args", ()), *a.get("kwargs", {}).values()):
        env.check_size(value)


def _filter_count(name: str) -> Callable[[BoundedEnvironment, Mapping[str, Any]], None]:
    def check(env: BoundedEnvironment, a: Mapping[str, Any]) -> None:
        count = a.get(name)
        if isinstance(count, int) and count > env.limits.max_range:
            env.refuse(f"{name} above {env.limits.max_range}")

    return check


def _filter_tojson(env: BoundedEnvironment, a: Mapping[str, Any]) -> None:
    env.check_size(a["value"])
    indent = a.get("indent")
    if isinstance(indent, int) and indent > env.limits.max_width:
        env.refuse(f"an indent above {env.limits.max_width}")


def _filter_value(env: BoundedEnvironment, a: Mapping[str, Any]) -> None:
    env.check_size(next(iter(a.values())))


#: the builtin filters whose output the template's arguments can make large
_FILTER_CHECKS: dict[str, Callable[[BoundedEnvironment, Mapping[str, Any]], Any]] = {
    "center": _filter_width,
    "indent": _filter_indent,
    "wordwrap": _filter_wordwrap,
    "truncate": _filter_truncate,
    "join": _filter_join,
    "replace": _filter_replace,
    "format": _filter_format,
    "batch": _filter_count("linecount"),
    "slice": _filter_count("slices"),
    "tojson": _filter_tojson,
    "pprint": _filter_value,
    "string": _filter_value,
    "list": _filter_value,
}


def _checked_filter(original: Callable[..., Any], check: Callable[..., Any], env: BoundedEnvironment) -> Any:
    if check is _filter_value:  # one argument: no need to bind (map('string') calls it per item)

        @functools.wraps(original)
        def sized(value: Any, *args: Any, **kwargs: Any) -> Any:
            env.check_size(value)
            return original(value, *args, **kwargs)

        return sized
    signature = inspect.signature(original)
    context_arg = next(iter(signature.parameters)) if getattr(original, "jinja_pass_arg", None) else None

    @functools.wraps(original)  # keeps pass_eval_context & co.
    def bounded(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        arguments = {k: v for k, v in bound.arguments.items() if k != context_arg}
        items = check(env, arguments)
        if items is not None and "value" in bound.arguments:  # join: the items it already listed
            bound.arguments["value"] = items
            if bound.arguments.get("attribute") is not None:
                bound.arguments["attribute"] = None
        return original(*bound.args, **bound.kwargs)

    return bounded


def environment(
    limits: Limits | None = None,
    *,
    undefined: type[jinja2.Undefined] = jinja2.StrictUndefined,
    finalize: Callable[[Any], Any] | None = None,
    keep_trailing_newline: bool = False,
) -> BoundedEnvironment:
    """A bounded sandbox without a loader; add filters and globals to it as needed."""
    return BoundedEnvironment(
        limits or Limits(),
        undefined=undefined,
        finalize=finalize,
        autoescape=False,  # plain text (SMS, JSON bodies), not HTML
        keep_trailing_newline=keep_trailing_newline,
    )


# -- compile and render -------------------------------------------------------------------

_LOADING = {
    nodes.Include: "{% include %}",
    nodes.Extends: "{% extends %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from ... import %}",
}


def compile_template(env: BoundedEnvironment, source: str) -> jinja2.Template:
    """Parse and compile ``source``; a :class:`TemplateError` for a syntax error
    or a tag that would load another template."""
    try:
        tree = env.parse(source, filename=TEMPLATE_FILENAME)
        for node_type, tag in _LOADING.items():
            node = tree.find(node_type)
            if node is not None:
                raise TemplateError(f"{tag} is not available: a template cannot load other templates", node.lineno)
        return env.from_string(tree)
    except TemplateError:
        raise
    except jinja2.TemplateSyntaxError as exc:  # also an unknown filter or test
        raise TemplateError(exc.message or "syntax error", exc.lineno) from None
    except RecursionError:
        raise TemplateLimitError("the template nests too deeply") from None
    except Exception as exc:
        raise TemplateError(_reason(exc)) from None


def render(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """Render a template compiled by :func:`compile_template` under its environment's limits."""
    env = template.environment
    if not isinstance(env, BoundedEnvironment):
        raise TypeError("render() takes templates of a BoundedEnvironment")
    limits = env.limits
    try:
        return _deadlined(lambda: _collect(template.generate(context), limits.max_output), limits.render_seconds)
    except _OutOfTime as exc:
        reason = f"the template took longer than {limits.render_seconds * 1000:g} ms to render"
        raise TemplateLimitError(reason, _template_line(exc)) from None
    except _TooBig as exc:
        raise TemplateLimitError(str(exc), _template_line(exc)) from None
    except TemplateError:
        raise
    except RecursionError as exc:
        raise TemplateLimitError("the template recurses too deeply", _template_line(exc)) from None
    except MemoryError as exc:
        raise TemplateLimitError("the template needs too much memory", _template_line(exc)) from None
    except jinja2.TemplateError as exc:
        raise TemplateError(exc.message or type(exc).__name__, _template_line(exc)) from None
    except Exception as exc:  # an operator on the wrong type, 1 // 0, int('x'*5000): still the template's fault
        raise TemplateError(_reason(exc), _template_line(exc)) from None


def _collect(chunks: Iterator[str], max_output: int) -> str:
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_output:
            raise TemplateLimitError(f"the template writes more than {max_output} characters")
        parts.append(chunk)
    return "".join(parts)


def _deadlined(work: Callable[[], str], seconds: float) -> str:
    """Run ``work`` in this thread, interrupted (by :class:`_OutOfTime`) after ``seconds`` of CPU time.

    The tracer sees every Python call made while rendering, and every line of
    the compiled template's own code (its loops); other code's lines are not
    traced, which keeps the overhead small. C code (a builtin building one
    value) cannot be interrupted: that is what the size limits are for.
    """
    # CPU time of this thread: what a render costs the server, and not
    # inflated when other threads hold the GIL or the machine is busy
    clock = time.thread_time
    deadline = clock() + seconds
    lines = 0

    def on_line(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal lines
        lines += 1
        if not lines & 31 and clock() > deadline:  # the clock costs more than a line: look every 32
            raise _OutOfTime
        return on_line

    def on_call(frame: FrameType, event: str, arg: Any) -> Any:
        if clock() > deadline:
            raise _OutOfTime
        return on_line if frame.f_code.co_filename == TEMPLATE_FILENAME else None

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        return work()
    finally:
        sys.settrace(previous)


def _reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _template_line(exc: BaseException) -> int | None:
    """The template line an exception was raised on (the innermost template frame)."""
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == TEMPLATE_FILENAME:
            template = frame.f_globals.get("__jinja_template__")
            # a traceback Jinja rewrote already carries template lines
            line = template.get_corresponding_lineno(lineno) if template is not None else lineno
    return line
