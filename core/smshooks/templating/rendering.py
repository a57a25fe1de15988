"""Compiling and rendering a template: no loading tags, a CPU deadline, bounded output, one error type."""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from types import FrameType
from typing import Any

import jinja2
from jinja2 import nodes

from smshooks.templating.environment import BoundedEnvironment
from smshooks.templating.limits import TEMPLATE_FILENAME, OutOfTime, TemplateError, TemplateLimitError, TooBig

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
    except OutOfTime as exc:
        reason = f"the template took longer than {limits.render_seconds * 1000:g} ms to render"
        raise TemplateLimitError(reason, _template_line(exc)) from None
    except TooBig as exc:
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
    """Run ``work`` in this thread, interrupted (by :class:`OutOfTime`) after ``seconds`` of CPU time.

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
            raise OutOfTime
        return on_line

    def on_call(frame: FrameType, event: str, arg: Any) -> Any:
        if clock() > deadline:
            raise OutOfTime
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
