"""Vendor credentials: validated by the vendor's schema, secrets sealed at rest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow
from sqlalchemy.orm import Session

from smshooks.crypto import SecretBox
from smshooks.store.tables import Credential
from smshooks.vendor import Vendor

MASK = "********"


class CredentialFieldsInvalid(ValueError):
    def __init__(self, messages: dict[str, Any]):
        super().__init__("invalid credential fields")
        self.messages = messages


def validate_fields(vendor: Vendor, values: Mapping[str, Any]) -> dict[str, Any]:
    """The vendor fields as the vendor's schema loads them, or field-level messages."""
    try:
        return vendor.credentials_schema().load(dict(values))
    except marshmallow.ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise CredentialFieldsInvalid(messages) from None


def split_secrets(vendor: Vendor, values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    secret_names = vendor.secret_fields()
    public = {k: v for k, v in values.items() if k not in secret_names}
    hidden = {k: v for k, v in values.items() if k in secret_names}
    return public, hidden


def store_fields(credential: Credential, vendor: Vendor, box: SecretBox, values: Mapping[str, Any]) -> None:
    public, hidden = split_secrets(vendor, values)
    credential.fields = _jsonable(public)
    credential.sealed_secrets = box.seal(_jsonable(hidden))


def all_fields(credential: Credential, box: SecretBox) -> dict[str, Any]:
    """Every field, secrets decrypted: for plugins, never for API answers."""
    values = dict(credential.fields)
    if credential.sealed_secrets:
        values.update(box.open(credential.sealed_secrets))
    return values


def masked_fields(credential: Credential, box: SecretBox) -> dict[str, Any]:
    """The fields as the API shows them: each secret that is set replaced by a mask."""
    values = dict(credential.fields)
    hidden = box.open(credential.sealed_secrets) if credential.sealed_secrets else {}
    for name, value in hidden.items():
        values[name] = MASK if value else value
    return values


def open_credentials(session: Session, box: SecretBox, credential_id: str) -> dict[str, Any]:
    credential = session.get(Credential, credential_id)
    return all_fields(credential, box) if credential else {}


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    # Schemas may load URLs, numbers or booleans; the JSON column keeps plain values.
    return {k: v if isinstance(v, str | int | float | bool | None | list | dict) else str(v) for k, v in values.items()}
