"""The bounded sandbox: Jinja2's immutable sandbox holding every expression to :class:`Limits`."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter

from smshooks.templating.checks import FILTER_CHECKS, METHOD_CHECKS, checked_filter
from smshooks.templating.limits import Lenient, Limits, TooBig


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
        for name, check in FILTER_CHECKS.items():
            if name in self.filters:
                self.filters[name] = checked_filter(self.filters[name], check, self)

    # -- checks shared by the hooks below and the filters ---------------------------

    def refuse(self, reason: str) -> None:
        raise TooBig(reason)

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
        if isinstance(owner, str | bytes) and name in METHOD_CHECKS:
            METHOD_CHECKS[name](__self, owner, args, kwargs)
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
