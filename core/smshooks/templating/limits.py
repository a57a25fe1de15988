"""What one render may cost, the errors a render raises, and lenient mappings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from jinja2.exceptions import SecurityError

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


class OutOfTime(BaseException):
    # A BaseException, so no ``except Exception`` in Jinja or in a filter can
    # swallow it and carry on with the render.
    pass


class TooBig(SecurityError):
    """A limit hit inside the render (turned into :class:`TemplateLimitError`)."""


class Lenient(dict):
    """A mapping whose missing keys (``x.missing``, ``x['missing']``) are a
    :class:`jinja2.ChainableUndefined`: empty when written, replaced by ``default``."""


def lenient(mapping: Mapping[str, Any] | None) -> Lenient:
    """``mapping`` with lenient missing keys (nested mappings are lenient too)."""
    if isinstance(mapping, Lenient):
        return mapping
    return Lenient(mapping) if isinstance(mapping, Mapping) else Lenient()


class Bounds(Protocol):
    """What the size checks need of the environment (:class:`~smshooks.templating.environment.BoundedEnvironment`)."""

    limits: Limits

    def refuse(self, reason: str) -> None: ...

    def check_length(self, length: int, what: str = "a value") -> None: ...

    def check_width(self, spec: str) -> None: ...

    def check_percent(self, fmt: str) -> None: ...

    def check_size(self, value: Any) -> None: ...
