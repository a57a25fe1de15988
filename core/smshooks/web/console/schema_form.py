"""A vendor's ``credentials_schema`` as an HTML form, and the form's fields back as the values the schema loads.

A new vendor plugin gets its credential form for free: each marshmallow field becomes one input, chosen by
the field's type (text, number, checkbox, a list to choose from for ``OneOf``, JSON text for objects), with
its ``description`` as the hint. Secret fields are write-only: a password input that is always empty; left
empty it keeps the stored secret.

A schema arranges its form with more field metadata, all optional:

- ``group``: the title of the section the field is shown in (in the order the groups first appear).
  Ungrouped fields keep the plain layout: required ones at the top, the others under "Optional settings".
- ``group_hint``: a sentence under the section's title (the first field giving one sets it);
  ``group_requires_one``: the schema refuses the form unless one field of the section has a value, and the
  section says so.
- ``when``: ``{"auth_type": "basic"}`` (or a list of values): the field only matters while that list field
  has that value. The script hides it otherwise, and :func:`values_from_form` ignores it, so a value typed
  into a hidden field never changes the credential.
- ``example``: a sample value, shown as the empty input's placeholder.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import marshmallow
from marshmallow import fields, validate

#: string fields whose values are long documents, edited in a text area
_LONG_TEXT = ("template", "mapping", "pem", "private_key")

#: words of field names written as their acronym in a label ("account_sid" reads "Account SID")
_ACRONYMS = {
    "api": "API",
    "hmac": "HMAC",
    "http": "HTTP",
    "https": "HTTPS",
    "id": "ID",
    "ids": "IDs",
    "ip": "IP",
    "json": "JSON",
    "jwt": "JWT",
    "oauth": "OAuth",
    "oauth2": "OAuth2",
    "pem": "PEM",
    "sid": "SID",
    "sms": "SMS",
    "ttl": "TTL",
    "uri": "URI",
    "url": "URL",
    "urls": "URLs",
}


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    #: text, password, url, number, checkbox, select, textarea, json
    kind: str
    required: bool
    secret: bool
    hint: str
    choices: tuple[str, ...] = ()
    default: Any = None
    #: the schema takes None (an emptied input on edit clears the value)
    nullable: bool = False
    group: str = ""
    group_hint: str = ""
    group_requires_one: bool = False
    #: (list field, its values): the field matters only while that field has one of the values
    when: tuple[str, tuple[str, ...]] | None = None
    example: str = ""


@dataclass(frozen=True)
class FormSection:
    """A run of fields shown together: the main one (no title), a group the schema names, or the optional rest."""

    title: str
    fields: list[FormField]
    hint: str = ""
    requires_one: bool = False
    #: "Optional settings": folded away until opened
    optional: bool = False


def form_fields(schema: marshmallow.Schema) -> list[FormField]:
    """The schema's fields as form inputs, required ones first, each group in the schema's order."""
    out = [_form_field(name, field) for name, field in schema.fields.items() if not field.dump_only]
    return sorted(out, key=lambda f: not f.required)


def form_sections(specs: list[FormField]) -> list[FormSection]:
    """The fields in the sections the schema declares: first the required ungrouped fields (the main
    section), then each group in the order it first appears, then the other ungrouped ones (optional)."""
    main = [spec for spec in specs if not spec.group and spec.required]
    rest = [spec for spec in specs if not spec.group and not spec.required]
    groups: dict[str, list[FormField]] = {}
    for spec in specs:
        if spec.group:
            groups.setdefault(spec.group, []).append(spec)
    out = [FormSection(title="", fields=main)] if main else []
    for title, members in groups.items():
        hint = next((spec.group_hint for spec in members if spec.group_hint), "")
        requires_one = any(spec.group_requires_one for spec in members)
        out.append(FormSection(title=title, fields=members, hint=hint, requires_one=requires_one))
    if rest:
        out.append(FormSection(title="Optional settings", fields=rest, optional=True))
    return out


def _form_field(name: str, field: fields.Field) -> FormField:
    secret = bool(field.metadata.get("secret"))
    hint = str(field.metadata.get("description") or "")
    default = field.load_default if field.load_default is not marshmallow.missing else None
    if callable(default):
        default = default()
    choices = _choices(field)
    if secret:
        kind = "password"
    elif choices:
        kind = "select"
    elif isinstance(field, fields.Boolean):
        kind = "checkbox"
    elif isinstance(field, fields.Integer | fields.Float | fields.Decimal):
        kind = "number"
    elif isinstance(field, fields.Url):
        kind = "url"
    elif isinstance(field, fields.String):
        kind = "textarea" if any(word in name for word in _LONG_TEXT) else "text"
    else:  # Dict, List, Nested, a plugin's own field: JSON text
        kind = "json"
        hint = (hint + " " if hint else "") + "(JSON)"
    return FormField(
        name=name,
        label=label_of(name),
        kind=kind,
        required=field.required,
        secret=secret,
        hint=hint,
        choices=choices,
        default=default,
        nullable=bool(field.allow_none),
        group=str(field.metadata.get("group") or ""),
        group_hint=str(field.metadata.get("group_hint") or ""),
        group_requires_one=bool(field.metadata.get("group_requires_one")),
        when=_when(name, field.metadata.get("when")),
        example=str(field.metadata.get("example") or ""),
    )


def _when(name: str, declared: Any) -> tuple[str, tuple[str, ...]] | None:
    if not declared:
        return None
    if not isinstance(declared, Mapping) or len(declared) != 1:
        # a plugin's mistake: its own form test meets it, not a user
        raise ValueError(f"{name}: metadata 'when' names one field and its value(s), e.g. {{'auth_type': 'basic'}}")
    ((controller, values),) = declared.items()
    values = (values,) if isinstance(values, str) else tuple(values)
    return str(controller), tuple(str(value) for value in values)


def is_active(spec: FormField, specs: list[FormField], form: Mapping[str, str]) -> bool:
    """False for a field that declares ``when`` another field has a value the form does not give it."""
    if spec.when is None:
        return True
    controller, values = spec.when
    chosen = form.get(controller, "")
    if chosen == "":
        chosen = next((s.default for s in specs if s.name == controller), None) or ""
    return str(chosen).lower() in {value.lower() for value in values}


def label_of(name: str) -> str:
    """A field name as a label: words apart, the first capitalised, acronyms in capitals (:data:`_ACRONYMS`)."""
    words = [_ACRONYMS.get(word, word) for word in name.lower().split("_") if word]
    if words and words[0] not in _ACRONYMS.values():
        words[0] = words[0].capitalize()
    return " ".join(words)


def _choices(field: fields.Field) -> tuple[str, ...]:
    for validator in field.validators if isinstance(field, fields.String) else ():
        if isinstance(validator, validate.OneOf):
            seen: list[str] = []
            for choice in validator.choices:
                # "POST" and "post" are both allowed: offer each spelling once
                if str(choice).lower() not in {c.lower() for c in seen}:
                    seen.append(str(choice))
            return tuple(seen)
    return ()


def shown_value(spec: FormField, stored: Mapping[str, Any]) -> Any:
    """What the input shows for a stored credential (a new one: the default); never a secret."""
    if spec.secret:
        return ""
    value = stored.get(spec.name, spec.default)
    if spec.kind == "json":
        return "" if value in (None, {}, []) else json.dumps(value, indent=2, ensure_ascii=False)
    return value


def values_from_form(
    specs: list[FormField], form: Mapping[str, str], *, editing: bool
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The vendor field values a submitted form gives, and per field the messages of values it cannot read.

    An empty input is left out, so the schema's default applies on create and the stored value stays on
    edit — except that on edit an emptied optional field is cleared (sent as None). An empty secret always
    keeps the stored one: secrets are write-only. A field another choice leaves out (``when``, e.g. the
    fields of another auth type) is left out too: hidden in the page, it keeps its default or stored value.
    """
    values: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for spec in specs:
        if not is_active(spec, specs, form):
            continue
        raw = form.get(spec.name, "")
        if spec.kind == "checkbox":
            values[spec.name] = raw in ("on", "true", "1")
            continue
        if raw.strip() == "":
            if editing and not spec.secret and not spec.required:
                if spec.kind == "json" and isinstance(spec.default, dict | list):
                    values[spec.name] = spec.default
                elif spec.nullable:
                    values[spec.name] = None
            continue
        if spec.kind == "number":
            try:
                values[spec.name] = int(raw)
            except ValueError:
                problems[spec.name] = ["a whole number"]
        elif spec.kind == "json":
            try:
                values[spec.name] = json.loads(raw)
            except json.JSONDecodeError as exc:
                problems[spec.name] = [f"line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}"]
        else:
            values[spec.name] = raw
    return values, problems
