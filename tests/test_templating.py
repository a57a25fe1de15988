"""smshooks.templating, the bounded engine plugins use too: limits hold in any thread."""

from __future__ import annotations

import sys
import threading

import pytest

from smshooks import templating

LONG_LOOP = "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}done"


def _render_in_a_thread(source: str) -> BaseException | str:
    """Render as a waitress worker does: in a thread that is not the main one."""
    outcome: list[BaseException | str] = []

    def work() -> None:
        env = templating.environment(templating.Limits(render_seconds=0.1))
        try:
            outcome.append(templating.render(templating.compile_template(env, source), {}))
        except templating.TemplateError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    return outcome[0]


def test_the_deadline_holds_in_a_worker_thread():
    refused = _render_in_a_thread(LONG_LOOP)
    assert isinstance(refused, templating.TemplateLimitError)
    assert "took longer than 100 ms" in str(refused)
    assert _render_in_a_thread("{% for i in range(100) %}{% endfor %}done") == "done"


def test_a_render_leaves_the_threads_own_tracer_in_place():
    def tracer(frame, event, arg):
        return None

    env = templating.environment()
    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        with pytest.raises(templating.TemplateLimitError):
            templating.render(templating.compile_template(env, LONG_LOOP), {})
        assert templating.render(templating.compile_template(env, "ok"), {}) == "ok"
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)


@pytest.mark.parametrize(
    ("source", "context", "expected"),
    [
        ('{{ p.missing | default("friend") }}', {"p": templating.lenient({})}, "friend"),
        ("{{ p.missing }}|{{ p['missing'] }}|{{ p.a.missing.deeper }}", {"p": templating.lenient({"a": {}})}, "||"),
        ("{{ p.name }}", {"p": templating.lenient({"name": "Ada"})}, "Ada"),
    ],
)
def test_lenient_mappings(source, context, expected):
    env = templating.environment()
    assert templating.render(templating.compile_template(env, source), context) == expected


@pytest.mark.parametrize(
    "source",
    ["{{ p.__class__ }}", "{{ missing_top_level_name }}", "{{ p.missing + 1 }}"],
)
def test_lenient_mappings_do_not_hide_errors(source):
    env = templating.environment()
    with pytest.raises(templating.TemplateError):
        templating.render(templating.compile_template(env, source), {"p": templating.lenient({})})
