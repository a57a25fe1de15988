"""Size checks run before a string method or a builtin filter builds its value."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from jinja2.filters import make_attrgetter

from smshooks.templating.limits import Bounds


def _method_width(env: Bounds, text: Any, args: tuple, kwargs: dict) -> None:
    width = args[0] if args else kwargs.get("width", 0)
    if isinstance(width, int) and width > env.limits.max_length:
        env.refuse(f"a width above {env.limits.max_length}")


def _method_expandtabs(env: Bounds, text: Any, args: tuple, kwargs: dict) -> None:
    size = args[0] if args else kwargs.get("tabsize", 8)
    if isinstance(size, int):
        env.check_length(len(text) + text.count("\t" if isinstance(text, str) else b"\t") * max(size, 0))


def _method_join(env: Bounds, text: Any, args: tuple, kwargs: dict) -> None:
    items = args[0] if args else ()
    if isinstance(items, list | tuple):
        env.check_size(list(items))
        env.check_length(sum(len(i) for i in items if isinstance(i, str | bytes)) + len(text) * len(items))


def _method_replace(env: Bounds, text: Any, args: tuple, kwargs: dict) -> None:
    if len(args) >= 2 and isinstance(args[0], str | bytes) and isinstance(args[1], str | bytes):
        _check_replace(env, text, args[0], args[1], args[2] if len(args) > 2 else -1)


def _check_replace(env: Bounds, text: Any, old: Any, new: Any, count: Any) -> None:
    hits = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    env.check_length(len(text) + hits * max(len(new) - len(old), 0), "replace()")


def _method_translate(env: Bounds, text: Any, args: tuple, kwargs: dict) -> None:
    table = args[0] if args else None
    if isinstance(table, Mapping):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        env.check_length(len(text) * longest, "translate()")


METHOD_CHECKS: dict[str, Callable[[Bounds, Any, tuple, dict], None]] = {
    "center": _method_width,
    "ljust": _method_width,
    "rjust": _method_width,
    "zfill": _method_width,
    "expandtabs": _method_expandtabs,
    "join": _method_join,
    "replace": _method_replace,
    "translate": _method_translate,
}


def _filter_width(env: Bounds, a: Mapping[str, Any]) -> None:
    width = a.get("width", 80)
    if isinstance(width, int) and width > env.limits.max_length:
        env.refuse(f"a width above {env.limits.max_length}")


def _filter_indent(env: Bounds, a: Mapping[str, Any]) -> None:
    text, width = str(a["s"]), a.get("width", 4)
    width = len(width) if isinstance(width, str) else width
    if isinstance(width, int):
        env.check_length(len(text) + (text.count("\n") + 1) * max(width, 0), "indent")


def _filter_wordwrap(env: Bounds, a: Mapping[str, Any]) -> None:
    text, width = str(a["s"]), a.get("width", 79)
    wrap = len(a.get("wrapstring") or "\n")
    if isinstance(width, int):
        breaks = len(text) // max(width, 1) + text.count("\n") + 1
        env.check_length(len(text) + breaks * wrap, "wordwrap")


def _filter_truncate(env: Bounds, a: Mapping[str, Any]) -> None:
    env.check_length(len(str(a.get("end", "..."))), "truncate's end")


def _filter_join(env: Bounds, a: Mapping[str, Any]) -> list[Any]:
    items = list(a["value"])
    if a.get("attribute") is not None:
        items = list(map(make_attrgetter(env, a["attribute"]), items))
    env.check_size(items)
    texts = sum(len(str(item)) for item in items)
    env.check_length(texts + len(str(a.get("d", ""))) * max(len(items) - 1, 0), "join")
    return items


def _filter_replace(env: Bounds, a: Mapping[str, Any]) -> None:
    count = a.get("count")
    _check_replace(env, str(a["s"]), str(a["old"]), str(a["new"]), -1 if count is None else count)


def _filter_format(env: Bounds, a: Mapping[str, Any]) -> None:
    env.check_percent(str(a["value"]))
    for value in (*a.get("args", ()), *a.get("kwargs", {}).values()):
        env.check_size(value)


def _filter_count(name: str) -> Callable[[Bounds, Mapping[str, Any]], None]:
    def check(env: Bounds, a: Mapping[str, Any]) -> None:
        count = a.get(name)
        if isinstance(count, int) and count > env.limits.max_range:
            env.refuse(f"{name} above {env.limits.max_range}")

    return check


def _filter_tojson(env: Bounds, a: Mapping[str, Any]) -> None:
    env.check_size(a["value"])
    indent = a.get("indent")
    if isinstance(indent, int) and indent > env.limits.max_width:
        env.refuse(f"an indent above {env.limits.max_width}")


def _filter_value(env: Bounds, a: Mapping[str, Any]) -> None:
    env.check_size(next(iter(a.values())))


#: the builtin filters whose output the template's arguments can make large
FILTER_CHECKS: dict[str, Callable[[Bounds, Mapping[str, Any]], Any]] = {
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


def checked_filter(original: Callable[..., Any], check: Callable[..., Any], env: Bounds) -> Any:
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
