"""Trying a pasted webhook payload against a credential: what its vendor would make of it.

For the Custom vendor, whose inbound and delivery-report mappings and status map live in
the credential, this is how an administrator checks a mapping before pointing a provider
at it; for the other vendors it shows how a real payload normalises. Nothing is verified
(there is no signature to check on a pasted sample) and nothing is stored.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from enum import Enum
from typing import Any
from urllib.parse import parse_qs

from smshooks.credentials.fields import all_fields
from smshooks.credentials.service import installed_vendor
from smshooks.errors import Invalid
from smshooks.events import Event
from smshooks.gateway import Gateway
from smshooks.scope import Scope
from smshooks.store.scoped import get_scoped
from smshooks.store.tables import Credential
from smshooks.vendor import MemoryReplayGuard, PayloadError, WebhookRequest

log = logging.getLogger(__name__)

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
#: the URL a sample is parsed as having arrived on (no vendor signs a pasted sample)
SAMPLE_URL = "https://smshooks.invalid/hooks/sample"
#: the largest sample accepted (a vendor's batch is far smaller)
MAX_SAMPLE_CHARS = 256 * 1024


def try_payload(gw: Gateway, scope: Scope, credential_id: str, body: str, content_type: str = JSON) -> list[dict]:
    """The events the credential's vendor parses from ``body``, each as the fields the gateway
    stores (``raw`` left out). :class:`Invalid` with the plugin's reason when it cannot read it."""
    if content_type not in (JSON, FORM):
        raise Invalid("the sample is JSON or a form", details={"content_type": [f"one of {JSON}, {FORM}"]})
    if not body.strip() or len(body) > MAX_SAMPLE_CHARS:
        message = f"paste a payload of 1 to {MAX_SAMPLE_CHARS} characters"
        raise Invalid(message, details={"payload": [message]})
    with gw.db.session() as session:
        credential = get_scoped(session, Credential, credential_id, scope, "credential")
        values = all_fields(credential, gw.secrets)
    vendor = installed_vendor(gw, credential.vendor)
    request = WebhookRequest(
        method="POST",
        url=SAMPLE_URL,
        headers={"Content-Type": content_type},
        body=body.encode("utf-8"),
        form=parse_qs(body, keep_blank_values=True) if content_type == FORM else {},
        received_at=datetime.now(UTC),
        replay_guard=MemoryReplayGuard(),
        credentials=values,
    )
    try:
        events = vendor.parse(request)
    except PayloadError as exc:
        raise Invalid(
            f"the {vendor.title} plugin cannot read this payload: {exc}", details={"payload": [str(exc)]}
        ) from None
    except Exception as exc:  # a plugin bug on an odd payload: the same answer a vendor would get (400)
        log.exception("%s plugin failed to parse a pasted sample", vendor.name)
        reason = f"the {vendor.title} plugin cannot read this payload ({type(exc).__name__})"
        raise Invalid(reason, details={"payload": [reason]}) from None
    return [_shown(event) for event in events]


def _shown(event: Event) -> dict[str, Any]:
    fields = {"kind": event.kind}
    for item in dataclasses.fields(event):
        if item.name == "raw":
            continue
        value = getattr(event, item.name)
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        fields[item.name] = value
    return fields
