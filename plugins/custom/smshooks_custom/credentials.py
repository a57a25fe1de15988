"""The Custom credential: the provider's send API and webhook formats, described by configuration.

Everything is checked when the credential is saved, so a send or a webhook
never meets a template or mapping that cannot work: the payload template must
reference ``{{fromNumber}}``, ``{{toNumber}}`` and ``{{message}}`` and render
to valid JSON (the error names the line and the reason), mappings must place
their required placeholders, the status map must name common statuses, and
each auth type must have its secret.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import jwt
import marshmallow
from marshmallow import ValidationError, fields, post_load, validate, validates, validates_schema

from smshooks.vendor import secret_field, target_url_field
from smshooks_custom.auth import (
    AUTH_TYPES,
    DEFAULT_API_KEY_HEADER,
    DEFAULT_HMAC_HEADER,
    DEFAULT_JWT_TTL,
    HMAC_ALGORITHMS,
    HMAC_ENCODINGS,
    JWT_ALGORITHMS,
)
from smshooks_custom.jsonpath import split_path
from smshooks_custom.mapping import FEEDBACK, INBOUND, Kind, MappingError, compile_mapping
from smshooks_custom.send import HTTP_METHODS
from smshooks_custom.signature import DEFAULT_SECRET_HEADER, DEFAULT_SIGNATURE_HEADER, WEBHOOK_AUTH_TYPES
from smshooks_custom.statuses import DEFAULT_STATUS_MAP, common_status
from smshooks_custom.template import TemplateError, check_template

# RFC 9110 field names; values may not break the header block.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_HEADER_VALUE_FORBIDDEN = re.compile(r"[\r\n\x00]")

#: the secret each auth type cannot do without
_AUTH_REQUIRES = {
    "api_key": ("api_key",),
    "basic": ("username",),
    "bearer": ("bearer_token",),
    "oauth2": ("oauth2_token_url", "oauth2_client_id", "oauth2_client_secret"),
    "jwt": ("jwt_secret",),
    "hmac": ("hmac_secret",),
}


def _header_name(value: str) -> None:
    if not _HEADER_NAME.match(value):
        raise ValidationError(f"{value!r} is not a valid HTTP header name")


def _optional_string(**kwargs: Any) -> fields.String:
    return fields.String(load_default=None, allow_none=True, **kwargs)


# -- how the console's generated form arranges the fields (metadata only; see the README's sections) -----

_SENDING = "Sending"
_AUTH = "Outbound authentication"
_MAPPINGS = "Webhook mappings"
_STATUSES = "Statuses"
_WEBHOOK_AUTH = "Webhook authenticity"

#: the README's payload template example, the empty template input's placeholder
PAYLOAD_TEMPLATE_EXAMPLE = """{
  "from": "{{fromNumber}}",
  "to": "{{toNumber}}",
  "content": "{{message}}",
  "clientReference": "{{reference}}",
  "greeting": "{{ profile.firstName | default('there') }}"
}"""
#: the seed's mappings, used when none is given (README, "Webhooks: mappings")
INBOUND_MAPPING_EXAMPLE = """{"inboundMessage": "{{inboundMessage}}", "profileNumber": "{{profileNumber}}",
 "requestId": "{{requestId}}", "originTimestamp": "{{originTimestamp}}", "inboundNumber": "{{inboundNumber}}"}"""
FEEDBACK_MAPPING_EXAMPLE = """{"clientReference": "{{client_reference}}",
 "statuses": [{"code": "{{failureCode}}", "status": "{{feedbackStatus}}"}]}"""


def _auth(kind: str, **metadata: Any) -> dict[str, Any]:
    """The metadata of a field only ``auth_type`` ``kind`` uses: the form shows it for that type only."""
    return {"group": _AUTH, "when": {"auth_type": kind}, **metadata}


def _webhook_auth(*kinds: str, **metadata: Any) -> dict[str, Any]:
    return {"group": _WEBHOOK_AUTH, "when": {"webhook_auth_type": list(kinds)}, **metadata}


class JsonDocument(fields.Field):
    """A JSON object or array, given as JSON text or as the value itself; loaded as the value."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValidationError(f"line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}") from None
        if not isinstance(value, dict | list):
            raise ValidationError("must be a JSON object or array (or its text)")
        return value


class FailureCodeSchema(marshmallow.Schema):
    """What one provider failure code means."""

    reason = _optional_string(metadata={"description": "human-readable reason"})
    category = _optional_string(metadata={"description": "failure category, e.g. unreachable, blocked, opted_out"})
    type = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["hard", "soft"]),
        metadata={"description": "hard or soft"},
    )


class CustomCredentialsSchema(marshmallow.Schema):
    """Any HTTP SMS provider: where and how to send, and how its webhooks look."""

    # -- sending ----------------------------------------------------------------
    provider_url = target_url_field(
        required=True,
        metadata={
            "description": "the provider's send endpoint",
            "group": _SENDING,
            "example": "https://api.provider.example/v1/sms",
        },
    )
    http_method = fields.String(
        load_default="POST",
        validate=validate.OneOf([*HTTP_METHODS, *(m.lower() for m in HTTP_METHODS)]),
        metadata={"description": "POST, PUT or PATCH", "group": _SENDING},
    )
    payload_template = fields.String(
        required=True,
        validate=validate.Length(min=2, max=100_000),
        metadata={
            "description": "the request body: JSON with Jinja2 placeholders; must reference {{fromNumber}}, "
            "{{toNumber}} and {{message}}; values are JSON-escaped, so write them inside quotes",
            "group": _SENDING,
            "example": PAYLOAD_TEMPLATE_EXAMPLE,
        },
    )
    sender_number = _optional_string(
        validate=validate.Length(1, 32),
        metadata={"description": "{{fromNumber}} when a message names no sender", "group": _SENDING},
    )
    extra_headers = fields.Dict(
        keys=fields.String(validate=_header_name),
        values=fields.String(),
        load_default=dict,
        metadata={
            "description": "headers sent with every request (may override Content-Type)",
            "group": _SENDING,
            "example": '{"X-Account": "acme"}',
        },
    )
    message_id_path = _optional_string(
        metadata={"description": "where the JSON answer holds the message id, e.g. messages.0.id", "group": _SENDING}
    )
    error_code_path = _optional_string(
        metadata={
            "description": "where an error answer holds the provider's error code, e.g. error.code",
            "group": _SENDING,
        }
    )

    # -- outbound authentication ------------------------------------------------
    auth_type = fields.String(
        load_default="none",
        validate=validate.OneOf(AUTH_TYPES),
        metadata={
            "description": "how each send proves itself to the provider",
            "group": _AUTH,
            "group_hint": "Only the chosen auth type's fields are used; the others are ignored.",
        },
    )
    api_key_header = fields.String(
        load_default=DEFAULT_API_KEY_HEADER, validate=_header_name, metadata=_auth("api_key")
    )
    api_key_prefix = _optional_string(
        metadata=_auth("api_key", description="written before the key, e.g. App or Bearer")
    )
    api_key = secret_field(load_default=None, allow_none=True, metadata=_auth("api_key"))
    username = _optional_string(metadata=_auth("basic", description="required for basic auth"))
    password = secret_field(load_default=None, allow_none=True, metadata=_auth("basic"))
    bearer_token = secret_field(load_default=None, allow_none=True, metadata=_auth("bearer"))
    oauth2_token_url = target_url_field(
        load_default=None,
        allow_none=True,
        metadata=_auth("oauth2", description="the client-credentials token endpoint (required for oauth2)"),
    )
    oauth2_client_id = _optional_string(metadata=_auth("oauth2", description="required for oauth2"))
    oauth2_client_secret = secret_field(load_default=None, allow_none=True, metadata=_auth("oauth2"))
    oauth2_scope = _optional_string(metadata=_auth("oauth2"))
    oauth2_client_auth = fields.String(
        load_default="basic",
        validate=validate.OneOf(["basic", "body"]),
        metadata=_auth("oauth2", description="client credentials as HTTP Basic (basic) or as form fields (body)"),
    )
    jwt_secret = secret_field(
        load_default=None,
        allow_none=True,
        metadata=_auth("jwt", description="HMAC key (HS*) or PEM private key (RS*/ES*)"),
    )
    jwt_algorithm = fields.String(load_default="HS256", validate=validate.OneOf(JWT_ALGORITHMS), metadata=_auth("jwt"))
    jwt_issuer = _optional_string(metadata=_auth("jwt"))
    jwt_audience = _optional_string(metadata=_auth("jwt"))
    jwt_ttl_seconds = fields.Integer(
        load_default=DEFAULT_JWT_TTL, validate=validate.Range(1, 86_400), metadata=_auth("jwt")
    )
    jwt_claims = fields.Dict(keys=fields.String(), load_default=dict, metadata=_auth("jwt", description="extra claims"))
    hmac_secret = secret_field(load_default=None, allow_none=True, metadata=_auth("hmac"))
    hmac_header = fields.String(load_default=DEFAULT_HMAC_HEADER, validate=_header_name, metadata=_auth("hmac"))
    hmac_algorithm = fields.String(
        load_default="sha256", validate=validate.OneOf(sorted(HMAC_ALGORITHMS)), metadata=_auth("hmac")
    )
    hmac_encoding = fields.String(load_default="hex", validate=validate.OneOf(HMAC_ENCODINGS), metadata=_auth("hmac"))
    hmac_prefix = _optional_string(metadata=_auth("hmac", description="written before the signature, e.g. sha256="))

    # -- webhooks -----------------------------------------------------------------
    inbound_mapping = JsonDocument(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "the provider's inbound payload with {{inboundMessage}}, {{profileNumber}}, ...; "
            "left empty, the one shown is used",
            "group": _MAPPINGS,
            "group_hint": "JSON templates of the provider's webhook payloads, with a placeholder where it puts "
            "each value.",
            "example": INBOUND_MAPPING_EXAMPLE,
        },
    )
    feedback_mapping = JsonDocument(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "the provider's delivery report with {{client_reference}}, {{feedbackStatus}}, ...; "
            "left empty, the one shown is used",
            "group": _MAPPINGS,
            "example": FEEDBACK_MAPPING_EXAMPLE,
        },
    )
    status_map = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 64)),
        values=fields.String(),
        load_default=None,
        allow_none=True,
        metadata={
            "description": "provider status → common status (queued, sent, delivered, read, bounce, error, unknown)",
            "group": _STATUSES,
            "example": '{"PENDING": "sent", "DELIVERED": "delivered", "UNDELIVERABLE": "bounce", "REJECTED": "error"}',
        },
    )
    final_statuses = fields.List(
        fields.String(),
        load_default=None,
        allow_none=True,
        metadata={
            "description": "provider statuses after which no report follows (default: derived from the map)",
            "group": _STATUSES,
            "example": '["DELIVERED", "UNDELIVERABLE", "REJECTED"]',
        },
    )
    failure_codes = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 64)),
        values=fields.Nested(FailureCodeSchema),
        load_default=dict,
        metadata={
            "description": "provider failure code → reason, category, type",
            "group": _STATUSES,
            "example": '{"21": {"reason": "unknown subscriber", "category": "unreachable", "type": "hard"}}',
        },
    )
    webhook_auth_type = fields.String(
        load_default="none",
        validate=validate.OneOf(WEBHOOK_AUTH_TYPES),
        metadata={"description": "how the provider's webhooks prove where they come from", "group": _WEBHOOK_AUTH},
    )
    webhook_secret = secret_field(
        load_default=None, allow_none=True, metadata=_webhook_auth("shared_secret", "hmac_sha256")
    )
    webhook_secret_header = fields.String(
        load_default=DEFAULT_SECRET_HEADER, validate=_header_name, metadata=_webhook_auth("shared_secret")
    )
    webhook_signature_header = fields.String(
        load_default=DEFAULT_SIGNATURE_HEADER, validate=_header_name, metadata=_webhook_auth("hmac_sha256")
    )

    # -- checks -------------------------------------------------------------------

    @validates("payload_template")
    def _check_payload_template(self, value: str, **_: Any) -> None:
        try:
            check_template(value)
        except TemplateError as exc:
            raise ValidationError(str(exc)) from None

    @validates("inbound_mapping")
    def _check_inbound_mapping(self, value: Any, **_: Any) -> None:
        _check_mapping(value, INBOUND)

    @validates("feedback_mapping")
    def _check_feedback_mapping(self, value: Any, **_: Any) -> None:
        _check_mapping(value, FEEDBACK)

    @validates("message_id_path", "error_code_path")
    def _check_path(self, value: str | None, **_: Any) -> None:
        if value is not None:
            try:
                split_path(value)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None

    @validates("extra_headers")
    def _check_extra_headers(self, value: Mapping[str, str], **_: Any) -> None:
        bad = sorted(name for name, text in value.items() if _HEADER_VALUE_FORBIDDEN.search(text))
        if bad:
            raise ValidationError(f"header values may not contain line breaks: {', '.join(bad)}")

    @validates("status_map")
    def _check_status_map(self, value: Mapping[str, str] | None, **_: Any) -> None:
        if not value:
            return
        errors = []
        for name, status in value.items():
            try:
                common_status(status)
            except ValueError as exc:
                errors.append(f"{name}: {exc}")
        folded: dict[str, str] = {}
        for name, status in value.items():
            other = folded.setdefault(name.strip().casefold(), name)
            if other != name and value[other].strip().lower() != status.strip().lower():
                errors.append(f"{other!r} and {name!r} differ only in case but map to different statuses")
        if errors:
            raise ValidationError(errors)

    @validates_schema
    def _check_combinations(self, data: Mapping[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        for name in _AUTH_REQUIRES.get(data.get("auth_type") or "none", ()):
            if not data.get(name):
                errors.setdefault(name, []).append(f"required when auth_type is {data['auth_type']}")
        if data.get("auth_type") == "jwt" and data.get("jwt_secret") and "jwt_secret" not in errors:
            try:
                jwt.encode({"iat": 0}, data["jwt_secret"], algorithm=data.get("jwt_algorithm") or "HS256")
            except (jwt.PyJWTError, ValueError, TypeError) as exc:
                errors.setdefault("jwt_secret", []).append(f"not a usable {data.get('jwt_algorithm')} key: {exc}")
        if (data.get("webhook_auth_type") or "none") != "none" and not data.get("webhook_secret"):
            errors.setdefault("webhook_secret", []).append(
                f"required when webhook_auth_type is {data['webhook_auth_type']}"
            )
        if data.get("final_statuses"):
            known = {name.casefold() for name in (data.get("status_map") or DEFAULT_STATUS_MAP)}
            stray = [name for name in data["final_statuses"] if name.casefold() not in known]
            if stray:
                errors.setdefault("final_statuses", []).append(f"not in the status map: {', '.join(stray)}")
        if errors:
            raise ValidationError(errors)

    @post_load
    def _normalize(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["http_method"] = data["http_method"].upper()
        if data.get("status_map"):
            data["status_map"] = {name: common_status(status).value for name, status in data["status_map"].items()}
        if data.get("final_statuses"):
            # The map's spelling, so lookups by exact string and by case agree.
            spelling = {name.casefold(): name for name in (data.get("status_map") or DEFAULT_STATUS_MAP)}
            data["final_statuses"] = [spelling[name.casefold()] for name in data["final_statuses"]]
        return data


def _check_mapping(value: Any, kind: Kind) -> None:
    if value is None:
        return
    try:
        compile_mapping(value, kind)
    except MappingError as exc:
        raise ValidationError(str(exc)) from None
