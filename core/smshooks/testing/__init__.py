"""The smshooks test kit for plugin authors (also a pytest plugin, entry point ``pytest11``).

Build requests with :func:`form_request` / :func:`json_request`, keep
real-format payloads as files read by :func:`fixture_text`, and prove the
vendor contract with a :class:`VendorConformance` subclass. The fixtures
``smshooks_app``, ``smshooks_client`` and ``smshooks_gateway`` (a
:class:`GatewayClient`) put the installed plugin inside a real gateway.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from smshooks.testing.cases import (
    REFUSED,
    TIMEOUT,
    AcknowledgeCase,
    ExpectedRequest,
    ParseCase,
    SendCase,
    StatusCase,
    VendorReply,
    VerifyCase,
)
from smshooks.testing.conformance import VendorConformance, replace_event
from smshooks.testing.fake_api import FakeVendorAPI, RecordedRequest, Reply
from smshooks.testing.gateway import GatewayClient
from smshooks.testing.hostile import HOSTILE_JSON_BODIES, WRONG_TYPES, HostileBody, wrong_type_variants
from smshooks.vendor import WebhookRequest

__all__ = [
    "HOSTILE_JSON_BODIES",
    "RECEIVED_AT",
    "REFUSED",
    "TIMEOUT",
    "WRONG_TYPES",
    "AcknowledgeCase",
    "ExpectedRequest",
    "FakeVendorAPI",
    "GatewayClient",
    "HostileBody",
    "ParseCase",
    "RecordedRequest",
    "Reply",
    "SendCase",
    "StatusCase",
    "VendorConformance",
    "VendorReply",
    "VerifyCase",
    "fixture_text",
    "form_request",
    "json_request",
    "replace_event",
    "wrong_type_variants",
]

#: the arrival time test requests carry, so events without a vendor timestamp are exact
RECEIVED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def fixture_text(tests_dir: str | Path, name: str) -> str:
    """A fixture file's text from ``<tests_dir>/fixtures/<name>``; surrounding
    white space and the line breaks of a wrapped form body are dropped."""
    path = Path(tests_dir)
    if path.is_file():
        path = path.parent
    text = (path / "fixtures" / name).read_text(encoding="utf-8").strip()
    if name.endswith((".txt", ".form")):
        text = "".join(line.strip() for line in text.splitlines())
    return text


def form_request(
    url: str,
    body: str | Mapping[str, str | list[str]],
    headers: Mapping[str, str] | None = None,
    *,
    method: str = "POST",
    received_at: datetime = RECEIVED_AT,
) -> WebhookRequest:
    """A form-encoded vendor request; ``body`` is the encoded form or a mapping."""
    encoded = body if isinstance(body, str) else urlencode(dict(body), doseq=True)
    form = parse_qs(encoded, keep_blank_values=True) if method.upper() != "GET" else {}
    return WebhookRequest(
        method=method,
        url=url,
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        body=encoded.encode("utf-8") if method.upper() != "GET" else b"",
        form=form,
        received_at=received_at,
    )


def json_request(
    url: str,
    payload: Any,
    headers: Mapping[str, str] | None = None,
    *,
    received_at: datetime = RECEIVED_AT,
) -> WebhookRequest:
    """A JSON vendor request; ``payload`` is the raw body text or a value to encode."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return WebhookRequest(
        method="POST",
        url=url,
        headers={"Content-Type": "application/json", **(headers or {})},
        body=body.encode("utf-8"),
        received_at=received_at,
    )
