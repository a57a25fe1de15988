"""Encryption of vendor secrets at rest, and hashing of admin API keys."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from smshooks.errors import SecretsUnreadable

API_KEY_PREFIX = "smsh_"


class SecretBox:
    """Authenticated encryption (Fernet) with a key derived from the server secret."""

    def __init__(self, secret_key: str):
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"smshooks", info=b"vendor credentials").derive(
            secret_key.encode("utf-8")
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, values: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(values, sort_keys=True).encode("utf-8")).decode("ascii")

    def open(self, token: str) -> dict[str, Any]:
        try:
            return json.loads(self._fernet.decrypt(token.encode("ascii")))
        except InvalidToken:
            raise SecretsUnreadable(
                "stored secrets cannot be decrypted with this server's secret key: SMSHOOKS_SECRET_KEY is not"
                " the key they were saved with (restore that key)",
                retry_after=60,
            ) from None


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    # Keys are 256-bit random strings, so a fast hash is enough: there is
    # nothing to brute-force, unlike a password.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
