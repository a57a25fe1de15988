"""The payload template: values JSON-escaped where the template puts them, helpers, sandbox, errors with lines."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime

import pytest

from smshooks_custom.template import MAX_BODY, SAMPLE_VALUES, TemplateError, check_template, compile_template

BASE = '{"from": "{{fromNumber}}", "to": "{{toNumber}}", "text": "{{message}}"'


def render(extra: str = "", **variables: object) -> dict:
    """Render BASE plus ``extra`` members and parse the result (which must be JSON)."""
    source = BASE + (", " + extra if extra else "") + "}"
    return json.loads(compile_template(source).render({**SAMPLE_VALUES, **variables}))


@pytest.mark.parametrize(
    "text",
    [
        'He said "stop"',
        "back\\slash and \\u0041 literal",
        "line one\nline two\r\nline three",
        "tab\there, NUL \x00, bell \x07, DEL \x7f",
        "accents é ü ñ, CJK 漢字, emoji 👋🏽, RTL שלום",
        "JS line separators \u2028 and \u2029",
        'closing brace }, bracket ], quote-comma ",',
        "{{ not a template }} {% neither %}",
        "",
    ],
)
def test_message_text_round_trips_exactly(text: str) -> None:
    assert render(message=text)["text"] == text


def test_lone_surrogate_is_escaped_not_sent_raw() -> None:
    source = BASE + "}"
    body = compile_template(source).render({**SAMPLE_VALUES, "message": "a\ud800b"})
    assert "\\ud800" in body
    body.encode("utf-8")  # sendable


def test_unicode_is_written_as_utf8_not_escaped() -> None:
    body = compile_template(BASE + "}").render({**SAMPLE_VALUES, "message": "Zoë 👋"})
    assert '"text": "Zoë 👋"' in body


def test_profile_value_with_quotes_stays_valid_json() -> None:
    profile = {"firstName": 'Ann "the \\ hacker", "admin": true, "x": "'}
    body = render('"name": "{{ profile.firstName }}"', profile=profile)
    assert body["name"] == profile["firstName"]
    assert "admin" not in body


def test_numbers_and_booleans_unquoted() -> None:
    body = render(
        '"age": {{ profile.age }}, "vip": {{ profile.vip }}, "score": {{ profile.score }}',
        profile={"age": 42, "vip": True, "score": 1.5},
    )
    assert (body["age"], body["vip"], body["score"]) == (42, True, 1.5)


def test_missing_profile_attribute_is_empty_and_default_replaces_it() -> None:
    body = render(
        '"a": "{{ profile.nickname }}", "b": "{{ profile.nickname | default(\'friend\') }}", "c": "{{ profile.x.y.z }}"'
    )
    assert (body["a"], body["b"], body["c"]) == ("", "friend", "")


def test_json_filter_writes_whole_values() -> None:
    body = render(
        '"tags": {{ profile.tags | json }}, "prefs": {{ profile.prefs | json }}, "none": {{ profile.missing | json }},'
        ' "quoted": {{ profile.name | json }}, "media": {{ mediaUrls | json }}',
        profile={"tags": ["a", 'b"c'], "prefs": {"lang": "fr"}, "name": 'x"y'},
        mediaUrls=["https://cdn.example.com/a.png"],
    )
    assert body["tags"] == ["a", 'b"c']
    assert body["prefs"] == {"lang": "fr"}
    assert body["none"] is None
    assert body["quoted"] == 'x"y'
    assert body["media"] == ["https://cdn.example.com/a.png"]


def test_mapping_value_without_filter_is_json() -> None:
    assert render('"prefs": {{ profile.prefs }}', profile={"prefs": {"a": [1, 2]}})["prefs"] == {"a": [1, 2]}


def test_string_filters() -> None:
    body = render(
        '"up": "{{ message | upper }}", "digits": "{{ toNumber | digits }}", "low": "{{ profile.n | lower }}",'
        ' "bare": "{{ profile.phone | replace(\' \', \'\') }}", "tags": "{{ profile.tags | join(\', \') }}"',
        message="stop",
        profile={"n": "ÀB", "phone": "+41 79 302 67 27", "tags": ["a", "b"]},
    )
    assert body == {**body, "up": "STOP", "digits": "15555550123", "low": "àb"}
    assert (body["bare"], body["tags"]) == ("+41793026727", "a, b")


def test_helpers_now_and_uuid() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    body = render('"at": "{{ now_iso() }}", "epoch": {{ now_epoch() }}, "id": "{{ uuid() }}", "id2": "{{ uuid() }}"')
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", body["at"])
    assert datetime.fromisoformat(body["at"]) >= before
    assert body["epoch"] >= int(before.timestamp())
    assert uuid.UUID(body["id"]).version == 4
    assert body["id"] != body["id2"]


def test_conditionals_and_loops_are_available() -> None:
    body = render(
        '"lang": "{% if profile.lang == \'fr\' %}fr-FR{% else %}en-US{% endif %}",'
        ' "n": [{% for url in mediaUrls %}"{{ url }}"{% if not loop.last %},{% endif %}{% endfor %}]',
        profile={"lang": "fr"},
        mediaUrls=["u1", "u2"],
    )
    assert body["lang"] == "fr-FR"
    assert body["n"] == ["u1", "u2"]


# -- refused ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["fromNumber", "toNumber", "message"])
def test_each_required_variable_must_be_referenced(name: str) -> None:
    source = BASE.replace("{{" + name + "}}", "x") + "}"
    with pytest.raises(TemplateError) as raised:
        check_template(source)
    assert str(raised.value) == "the payload template must reference {{" + name + "}}"


def test_all_missing_variables_are_named() -> None:
    with pytest.raises(TemplateError) as raised:
        check_template('{"text": "hello"}')
    assert "{{fromNumber}}, {{toNumber}}, {{message}}" in str(raised.value)


def test_variable_used_through_a_filter_counts() -> None:
    check_template('{"f": "{{ fromNumber | digits }}", "t": "{{ toNumber }}", "m": "{{ message | upper }}"}')


def test_trailing_comma_names_line_and_column() -> None:
    source = '{\n  "from": "{{fromNumber}}",\n  "to": "{{toNumber}}",\n  "text": "{{message}}",\n  "type": "TEXT",\n}'
    with pytest.raises(TemplateError) as raised:
        check_template(source)
    error = raised.value
    assert (error.line, error.column) == (5, 17)
    assert str(error).startswith("line 5, column 17: the rendered payload is not valid JSON: a trailing comma")


def test_error_on_a_line_with_a_value_has_the_line_but_no_misleading_column() -> None:
    source = '{\n  "from": "{{fromNumber}}"\n  "text": "{{message}}{{toNumber}}"\n}'
    with pytest.raises(TemplateError) as raised:
        check_template(source)
    assert (raised.value.line, raised.value.column) == (3, None)
    assert "Expecting ',' delimiter" in str(raised.value)


def test_unquoted_text_value_is_refused() -> None:
    with pytest.raises(TemplateError) as raised:
        check_template('{\n"from": "{{fromNumber}}", "to": "{{toNumber}}",\n"text": {{message}}\n}')
    assert raised.value.line == 3


def test_not_json_at_all() -> None:
    with pytest.raises(TemplateError) as raised:
        check_template("to={{toNumber}}&from={{fromNumber}}&text={{message}}")
    assert raised.value.line == 1
    assert "not valid JSON" in str(raised.value)


def test_syntax_error_names_the_line() -> None:
    with pytest.raises(TemplateError) as raised:
        check_template('{"from": "{{fromNumber}}",\n "to": "{{toNumber}}",\n "text": "{{message}"}')
    assert raised.value.line == 3
    assert str(raised.value).startswith("line 3: ")


def test_unknown_filter_is_a_save_time_error() -> None:
    with pytest.raises(TemplateError) as raised:
        check_template(BASE + ', "x": "{{ message | shout }}"}')
    assert "No filter named 'shout'" in str(raised.value)


def test_runtime_error_names_the_line() -> None:
    with pytest.raises(TemplateError) as raised:
        check_template(BASE + ',\n"n": {{ 1 // 0 }}}')
    assert raised.value.line == 2
    assert "ZeroDivisionError" in str(raised.value)


def test_sandbox_refuses_python_internals() -> None:
    with pytest.raises(TemplateError) as raised:
        check_template(BASE + ', "x": "{{ \'\'.__class__.__mro__[1].__subclasses__() }}"}')
    assert "unsafe" in str(raised.value)


@pytest.mark.parametrize(
    "expression",
    [
        '{{ "x" * 1000000000 }}',
        "{{ 10 ** 100000 }}",
        '{{ "x" | center(1000000000) }}',
        '{% for i in range(100000) %}{{ "0123456789" }}{% endfor %}',
        '{{ ("x" * 200000) | replace("x", "y" * 200000) }}',
        '{{ range(100000) | map("string") | join("y" * 200000) }}',
    ],
)
def test_templates_cannot_blow_up_memory(expression: str) -> None:
    with pytest.raises(TemplateError):
        compile_template(BASE + ', "x": "' + expression + '"}').render(SAMPLE_VALUES)


def test_output_cap_allows_ordinary_bodies() -> None:
    long_text = "x" * (MAX_BODY // 2)
    assert render(message=long_text)["text"] == long_text


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("{{ range(10**9) | length }}", "range() of more than 10000 items"),
        # deep recursion is refused by the depth limit, or by the 100 ms deadline on a loaded machine
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "recurses too deeply | took longer than 100 ms"),
        ("{{ 10**1000000 }}", "4096 bits"),
        ('{{ "x" * 10**10 }}', "repeating"),
        ('{{ "x" * 70000 }}', "repeating"),
        ("{{ '{:>999999999}'.format(1) }}", "width or precision above"),
        ("{{ '%999999999d' % 1 }}", "width or precision above"),
        ('{{ "x".ljust(10**9) }}', "width above"),
        ("{{ range(10) | batch(10**9, 'x') | list }}", "linecount above"),
        ("{% include 'other.json' %}", "{% include %} is not available"),
        (
            "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
            "took longer than 100 ms",
        ),
    ],
)
def test_payload_templates_are_held_to_the_limits(expression: str, reason: str) -> None:
    with pytest.raises(TemplateError) as raised:
        compile_template(BASE + ', "x": "' + expression + '"}').render(SAMPLE_VALUES)
    assert any(text in str(raised.value) for text in reason.split(" | ")), str(raised.value)


def test_a_body_is_at_most_64_kib() -> None:
    with pytest.raises(TemplateError) as raised:
        render(message="x" * (64 * 1024))
    assert "more than 65536 characters" in str(raised.value)


def test_default_replaces_a_missing_profile_attribute() -> None:
    body = render('"greeting": "Hi {{ profile.first_name | default("friend") }}"', profile={"last_name": "L"})
    assert body["greeting"] == "Hi friend"
