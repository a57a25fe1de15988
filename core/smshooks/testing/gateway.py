"""A plugin inside a real gateway: one tenant's admin API and the vendor endpoint, in a test.

The ``smshooks_gateway`` fixture (see :mod:`smshooks.testing.plugin`) hands a
test a :class:`GatewayClient` for an organisation of its own on the module's
shared app, so a case can register a credential and a webhook for its vendor,
post the vendor's real request to ``/hooks/<id>`` and read what was stored::

    def test_inbound_is_stored(smshooks_gateway):
        hook = smshooks_gateway.create_webhook("acme", {"api_key": "k"})
        answer = smshooks_gateway.post_hook(hook, fixture("inbound.json"))
        assert answer.status_code == 200
        [message] = smshooks_gateway.get("/inbound-messages").get_json()["items"]
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

__all__ = ["GatewayClient", "new_org"]


def new_org() -> str:
    """An organisation id no other test uses: a test then sees only the rows it creates."""
    return "org-" + secrets.token_hex(6)


class GatewayClient:
    """The admin API (``/api/v1``) under one organisation's key, and the vendor endpoint.

    ``client`` is the app's test client (``app.test_client()``); every method
    returns its response (``.status_code``, ``.get_json()``, ``.data``).
    """

    def __init__(self, client: Any, api_key: str, org: str):
        self.client = client
        self.api_key = api_key
        self.org = org

    def request(self, method: str, path: str, body: Any = None) -> Any:
        kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {self.api_key}"}}
        if body is not None:
            kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
        return self.client.open("/api/v1" + path, method=method, **kwargs)

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, body)

    def create_webhook(
        self,
        vendor: str,
        credentials: Mapping[str, Any],
        *,
        type: str = "inbound",
        name: str | None = None,
        sender_number: str | None = None,
    ) -> dict[str, Any]:
        """A credential with ``credentials`` (as an operator enters them) and a webhook on it.

        ``type`` is ``"inbound"`` (messages run the keyword pipeline) or
        ``"feedback"`` (delivery reports). Returns the webhook as the API shows
        it: ``id``, ``url`` (what the operator pastes into the vendor's console)…
        """
        name = name or f"{vendor}-{type}-{secrets.token_hex(3)}"
        credential = self.post("/credentials", {"name": name, "vendor": vendor, **credentials})
        assert credential.status_code == 201, credential.get_json()
        webhook: dict[str, Any] = {
            "name": name,
            "vendor": vendor,
            "type": type,
            "credentials_id": credential.get_json()["id"],
        }
        if sender_number is not None:
            webhook["sender_number"] = sender_number
        answer = self.post("/webhooks", webhook)
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()

    def post_hook(
        self,
        webhook: Mapping[str, Any],
        body: str | bytes,
        headers: Mapping[str, str] | None = None,
        *,
        content_type: str = "application/json",
        query: str = "",
    ) -> Any:
        """Post ``body`` to the webhook's URL as the vendor would (the answer is the vendor's)."""
        path = f"/hooks/{webhook['id']}" + (f"?{query}" if query else "")
        data = body.encode("utf-8") if isinstance(body, str) else body
        return self.client.post(path, data=data, headers=dict(headers or {}), content_type=content_type)
