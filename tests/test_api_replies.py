"""/api/v1/replies: templates checked at save time, with their SMS encoding and segment count."""

from __future__ import annotations

import pytest
from support.one_app import shared_api, shared_app, shared_client, shared_other_org_api, shared_settings  # noqa: F401

from smshooks.replies.templates import segments


def test_a_reply_reports_its_sample_rendering_encoding_and_segments(api):
    answer = api.post(
        "/replies", {"name": "stop", "template": "Bye {{ profile.first_name }}, reply {{ opt_in_keyword }}"}
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["sample"] == {
        "text": "Bye Ada, reply START",
        "encoding": "GSM-7",
        "characters": 20,
        "segments": 1,
    }
    assert (
        api.get(f"/replies/{answer.json['id']}").json["template"]
        == "Bye {{ profile.first_name }}, reply {{ opt_in_keyword }}"
    )


def test_unicode_replies_are_ucs2(api):
    answer = api.post("/replies", {"name": "emoji", "template": "Tack! 🙏 " + "x" * 70})
    assert answer.json["sample"]["encoding"] == "UCS-2"
    assert answer.json["sample"]["segments"] == 2


@pytest.mark.parametrize(
    ("template", "needle"),
    [("Hello {{ name ", "line 1"), ("{{ nosuchvariable }}", "nosuchvariable"), ("{{ ''.__class__ }}", "unsafe")],
    ids=["syntax error", "unknown name", "sandbox escape"],
)
def test_templates_that_do_not_render_are_refused_at_save_time(api, template, needle):
    answer = api.post("/replies", {"name": "bad", "template": template})
    assert answer.status_code == 422
    shown = " ".join(answer.json["error"]["details"]["template"])
    assert any(text in shown for text in needle.split(" | ")), shown
    assert api.get("/replies").json["items"] == []


@pytest.mark.parametrize(
    ("template", "needle"),
    [
        ("{% include 'other' %}", "include"),
        ("{% extends 'base' %}", "extends"),
        ("{% import 'macros' as m %}{{ m }}", "import"),
        ("{{ range(10**9)|length }}", "range() of more than 10000"),
        # deep recursion is refused by the depth limit, or by the 100 ms deadline on a loaded machine
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "recurses too deeply | took longer than 100 ms"),
        ("{{ 10**1000000 }}", "4096 bits"),
        ("{{ 'x'*10**10 }}", "repeating"),
        ("{{ '{:>999999999}'.format(1) }}", "width or precision"),
        ("{{ '{:.999999f}'.format(1.5) }}", "width or precision"),
        ("{{ '%999999999d' % 1 }}", "width or precision"),
        ("{{ '%s'|format('x') ~ '%*d'|format(10**9, 1) }}", "'*' widths"),
        ("{{ 'x'|center(10**9) }}", "width above"),
        ("{{ 'x'.ljust(10**9) }}", "width above"),
        ("{{ 'a\nb'|indent(10**9) }}", "indent"),
        ("{{ 'a b c d'|wordwrap(1, wrapstring='-'*60000) }}", "wordwrap"),
        ("{{ range(10000)|join('y'*1000) }}", "join"),
        ("{{ ('x'*60000)|replace('x', 'yy') }}", "replace()"),
        ("{{ range(10)|batch(10**9, 'x')|list }}", "linecount"),
        ("{{ [1]|tojson(indent=10**9) }}", "indent above"),
        ("{{ (2).to_bytes(10**9, 'big') }}", "to_bytes"),
        ("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "~"),
        (
            "{% set x = 'x'*1000 %}{% set s %}{% for i in range(100) %}{{ x }}{% endfor %}{% endset %}{{ s|length }}",
            "a block's output",
        ),
        ("{{ lipsum(10**6) }}", "lipsum"),
        ("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}x", "longer than 100 ms"),
        ("{{ 'x' * 1600 }}", "11 SMS segments"),
        ("{{ " + "(" * 1990 + "1" + ")" * 1990 + " }}", "nests too deeply"),
    ],
    ids=lambda value: value if len(value) < 40 else value[:40] + "…",
)
def test_hostile_templates_are_refused_with_the_reason(api, template, needle):
    answer = api.post("/replies", {"name": "hostile", "template": template})
    assert answer.status_code == 422, answer.json
    [reason] = answer.json["error"]["details"]["template"]
    assert any(text in reason for text in needle.split(" | ")), reason
    assert api.get("/replies").json["items"] == []


def test_hostile_templates_are_refused_on_change_too(api):
    reply = api.post("/replies", {"name": "ok", "template": "hi"}).json
    answer = api.request("PATCH", f"/replies/{reply['id']}", {"template": "{{ range(10**9)|list }}"})
    assert answer.status_code == 422
    assert "line 1: range() of more than 10000 items" in answer.json["error"]["details"]["template"]
    assert api.get(f"/replies/{reply['id']}").json["template"] == "hi"


def test_a_missing_profile_attribute_takes_its_default(api):
    answer = api.post("/replies", {"name": "d", "template": 'Bye {{ profile.nickname | default("friend") }}'})
    assert answer.json["sample"]["text"] == "Bye friend"
    answer = api.post("/replies", {"name": "e", "template": "Bye {{ profile.nickname }}{{ profile.a.b }}"})
    assert answer.json["sample"]["text"] == "Bye"


def test_replies_are_scoped_and_names_unique(api):
    api.post("/replies", {"name": "a", "template": "hi"})
    assert api.post("/replies", {"name": "a", "template": "hello"}).status_code == 409
    assert api.in_sandbox("dev").get("/replies").json["items"] == []


def test_a_reply_in_use_cannot_be_deleted(api):
    from support.api import make_webhook

    reply = api.post("/replies", {"name": "a", "template": "hi"}).json
    hook = make_webhook(api)
    assert api.request("PUT", f"/webhooks/{hook['id']}/keywords", {"default_reply_id": reply["id"]}).status_code == 200
    assert api.delete(f"/replies/{reply['id']}").status_code == 409
    assert api.request("PUT", f"/webhooks/{hook['id']}/keywords", {}).status_code == 200
    assert api.delete(f"/replies/{reply['id']}").status_code == 204


@pytest.mark.parametrize(
    ("text", "encoding", "segments_"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # the extension table costs two septets each
        ("€" * 81, "GSM-7", 2),
        ("å" * 160, "GSM-7", 1),
        ("ą" * 70, "UCS-2", 1),
        ("ą" * 71, "UCS-2", 2),
        ("🙂" * 35, "UCS-2", 1),  # two UTF-16 units each
        ("🙂" * 36, "UCS-2", 2),
    ],
)
def test_segment_arithmetic(text, encoding, segments_):
    result = segments(text)
    assert (result.encoding, result.segments) == (encoding, segments_)
