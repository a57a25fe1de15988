"""/api/v1/replies: templates checked at save time, with their SMS encoding and segment count."""

from __future__ import annotations

import pytest

from smshooks.replies import segments


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
    assert needle in " ".join(answer.json["error"]["details"]["template"])
    assert api.get("/replies").json["items"] == []


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
