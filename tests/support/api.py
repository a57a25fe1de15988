"""Helpers for driving the admin API and the vendor endpoint in tests."""

from __future__ import annotations

import json
import secrets
from typing import Any

from flask.testing import FlaskClient

from support import loopback


def new_org() -> str:
    """An organisation id no other test uses."""
    return "org-" + secrets.token_hex(6)


class Api:
    """A test client for the admin API with a key and a sandbox."""

    def __init__(self, client: FlaskClient, key: str, sandbox: str | None = None):
        self.client = client
        self.key = key
        self.sandbox = sandbox

    def headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.key}"}
        if self.sandbox:
            headers["X-Sandbox-Name"] = self.sandbox
        return headers

    def in_sandbox(self, sandbox: str) -> Api:
        return Api(self.client, self.key, sandbox)

    def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        headers = {**self.headers(), **kwargs.pop("headers", {})}
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, body, **kwargs)

    def patch(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("PATCH", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)


def make_webhook(api: Api, *, secret: str | None = "s3cret", type_: str = "inbound", name: str = "hook") -> dict:
    cred = api.post("/credentials", {"name": f"cred-{name}", "vendor": "loopback", "account": "A1", "secret": secret})
    assert cred.status_code == 201, cred.json
    hook = api.post(
        "/webhooks",
        {
            "name": name,
            "vendor": "loopback",
            "type": type_,
            "credentials_id": cred.json["id"],
            "sender_number": "+14155550100",
        },
    )
    assert hook.status_code == 201, hook.json
    return hook.json


def post_signed(client: FlaskClient, hook: dict, payload: Any, secret: str | None = "s3cret") -> Any:
    body = json.dumps(payload).encode()
    headers = {loopback.SIGNATURE_HEADER: loopback.sign(secret, body)} if secret else {}
    return client.post(f"/hooks/{hook['id']}", data=body, headers=headers, content_type="application/json")
