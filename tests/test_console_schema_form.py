"""The credential form generated from a credentials schema: the sections its metadata declares, and the
values a submitted form gives when some fields belong to another choice (``when``)."""

from __future__ import annotations

import marshmallow
import pytest
from marshmallow import fields, validate

from smshooks.web.console.schema_form import form_fields, form_sections, values_from_form


class ExampleSchema(marshmallow.Schema):
    """Shaped like a real vendor's: a main field, two groups, a choice with dependent fields, an optional rest."""

    account = fields.String(required=True)
    url = fields.String(required=True, metadata={"group": "Sending", "example": "https://sms.example/v1"})
    method = fields.String(load_default="POST", metadata={"group": "Sending"})
    auth_type = fields.String(
        load_default="none",
        validate=validate.OneOf(["none", "basic", "api_key", "hmac"]),
        metadata={"group": "Authentication", "group_hint": "Only the chosen type's fields are used."},
    )
    username = fields.String(load_default=None, allow_none=True, metadata={"when": {"auth_type": "basic"}})
    key_header = fields.String(
        load_default="X-API-Key", metadata={"group": "Authentication", "when": {"auth_type": ["api_key", "hmac"]}}
    )
    region = fields.String(load_default=None, allow_none=True, metadata={"group": "Where", "group_requires_one": True})
    base_url = fields.String(load_default=None, allow_none=True, metadata={"group": "Where"})
    note = fields.String(load_default=None, allow_none=True)


SPECS = form_fields(ExampleSchema())


def test_the_sections_follow_the_schemas_groups() -> None:
    sections = [
        (section.title, [spec.name for spec in section.fields], section.hint, section.requires_one, section.optional)
        for section in form_sections(SPECS)
    ]
    assert sections == [
        ("", ["account"], "", False, False),
        ("Sending", ["url", "method"], "", False, False),
        ("Authentication", ["auth_type", "key_header"], "Only the chosen type's fields are used.", False, False),
        ("Where", ["region", "base_url"], "", True, False),
        ("Optional settings", ["username", "note"], "", False, True),
    ]


def test_a_schema_without_groups_keeps_the_plain_layout() -> None:
    class Plain(marshmallow.Schema):
        sid = fields.String(required=True)
        token = fields.String(required=True)
        region = fields.String(load_default=None)

    sections = [(s.title, [f.name for f in s.fields], s.optional) for s in form_sections(form_fields(Plain()))]
    assert sections == [("", ["sid", "token"], False), ("Optional settings", ["region"], True)]


def test_metadata_reaches_the_form_fields() -> None:
    by_name = {spec.name: spec for spec in SPECS}
    assert by_name["url"].example == "https://sms.example/v1"
    assert by_name["username"].when == ("auth_type", ("basic",))
    assert by_name["key_header"].when == ("auth_type", ("api_key", "hmac"))
    assert by_name["account"].when is None


BASE = {"account": "acme", "url": "https://sms.example/v1"}


@pytest.mark.parametrize(
    ("form", "editing", "expected"),
    [
        pytest.param(
            {**BASE, "auth_type": "basic", "username": "ada", "key_header": "Authorization"},
            False,
            {**BASE, "auth_type": "basic", "username": "ada"},
            id="the chosen type's field is read, another type's is ignored",
        ),
        pytest.param(
            {**BASE, "auth_type": "hmac", "username": "ada", "key_header": "X-Signature"},
            False,
            {**BASE, "auth_type": "hmac", "key_header": "X-Signature"},
            id="a field of several types is read for each of them",
        ),
        pytest.param(
            {**BASE, "auth_type": "API_KEY", "key_header": "Authorization"},
            False,
            {**BASE, "auth_type": "API_KEY", "key_header": "Authorization"},
            id="the choice matches without regard to case",
        ),
        pytest.param(
            {**BASE, "auth_type": "", "username": "ada"},
            False,
            {**BASE},
            id="no choice made: the choice's default (none) decides",
        ),
        pytest.param(
            {**BASE, "auth_type": "none", "username": "", "region": ""},
            True,
            {**BASE, "auth_type": "none", "region": None, "base_url": None, "note": None},
            id="on edit another type's emptied field is left out, so its stored value stays",
        ),
        pytest.param(
            {**BASE, "auth_type": "basic", "username": ""},
            True,
            {**BASE, "auth_type": "basic", "username": None, "region": None, "base_url": None, "note": None},
            id="on edit the chosen type's emptied field is cleared",
        ),
    ],
)
def test_values_from_a_form_ignore_fields_of_another_choice(form, editing, expected) -> None:
    values, problems = values_from_form(SPECS, form, editing=editing)
    assert problems == {}
    assert values == expected


def test_a_when_naming_several_fields_is_refused() -> None:
    class Broken(marshmallow.Schema):
        token = fields.String(metadata={"when": {"auth_type": "bearer", "mode": "live"}})

    with pytest.raises(ValueError, match="token: metadata 'when' names one field"):
        form_fields(Broken())
