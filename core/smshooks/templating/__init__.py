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

from smshooks.templating.environment import BoundedEnvironment, environment
from smshooks.templating.limits import Lenient, Limits, TemplateError, TemplateLimitError, lenient
from smshooks.templating.rendering import compile_template, render

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
