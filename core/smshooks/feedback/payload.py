"""The JSON bodies the feedback webhook receives, in the seed's shape (vendors.md 4.5).

Every key is always present; what is unknown is ``null``. The execution fields
describe an API-triggered send (``POST /api/v1/messages``); for any other
message — a keyword reply, or a message a vendor reported on that smshooks did
not send — they are all ``null``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from smshooks.events import InboundMessage, Status
from smshooks.store.tables import DeliveryReportRow, OutboundMessageRow

FEEDBACK = "message.feedback"
INBOUND = "message.inbound"
#: the statuses the feedback webhook reports (queued and unknown are not outcomes)
FEEDBACK_STATUSES = frozenset({Status.SENT, Status.DELIVERED, Status.READ, Status.BOUNCE, Status.ERROR})
FAILURE_KEYS = ("category", "type", "code", "reason")
#: exclusion code → (category, reason) of the payload's messageExclusion
EXCLUSIONS = {"opted_out": ("consent", "the recipient opted out; not sent")}
_SANDBOX_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://smshooks.dev/sandbox")


def sandbox_id(org: str, sandbox: str) -> str:
    """A stable id for (organisation, sandbox): sandboxes are named, the seed's payload also has an id."""
    return str(uuid.uuid5(_SANDBOX_NAMESPACE, f"{org}/{sandbox}"))


def timestamp(at: datetime | None) -> str | None:
    """ISO-8601 in UTC with milliseconds, as the seed writes it: ``2026-10-06T18:22:41.512Z``."""
    if at is None:
        return None
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def failure_from_report(report: DeliveryReportRow) -> dict[str, Any]:
    return {
        "category": report.failure_category,
        "type": report.failure_type,
        "code": report.error_code,
        "reason": report.error_reason,
    }


def feedback_payload(
    message: OutboundMessageRow,
    status: Status,
    *,
    occurred_at: datetime | None,
    failure: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``message.feedback`` body for ``message`` reaching ``status``.

    ``failure`` ({category, type, code, reason}, missing keys null) fills
    messageFailure for a bounce or an error; an excluded message (never sent)
    reports messageExclusion instead.
    """
    sent_by_us = message.kind != "reported"
    transactional = message.kind == "transactional"
    exclusion = _exclusion(message)
    message_failure = None
    if status in (Status.BOUNCE, Status.ERROR) and exclusion is None:
        given = failure or {"code": message.error_code, "reason": message.error_reason}
        message_failure = {key: _text(given.get(key)) for key in FAILURE_KEYS}
        message_failure["type"] = _failure_type(message_failure["type"])
    return {
        "requestId": message.request_id if transactional else None,
        "imsOrg": message.org,
        "sandbox": {"id": sandbox_id(message.org, message.sandbox), "name": message.sandbox},
        "channel": "sms",
        "eventType": FEEDBACK,
        "channelContext": {"profileAddress": None, "profileNumber": message.recipient or None},
        "messageExecution": {
            "messageExecutionID": message.id if transactional else None,
            "messageType": message.message_type if transactional else None,
            "campaignID": message.campaign_id if transactional else None,
            "campaignVersionID": message.campaign_version_id if transactional else None,
            "messageID": message.vendor_message_id if transactional else None,
            "messageProfileID": str(message.profile_id) if transactional and message.profile_id is not None else None,
            "campaignType": "ApiTriggered" if transactional else None,
        },
        "messageDeliveryFeedback": {
            "feedbackStatus": {"value": status.value},
            "offers": None,
            "messageExclusion": exclusion,
            "messageFailure": message_failure,
            "retryCount": message.retry_count if sent_by_us else None,
            "responseCode": None,
            "responseDurationMillis": None,
            "encoding": message.encoding if sent_by_us else None,
            "numberOfMessageParts": str(message.segments) if sent_by_us and message.segments else None,
            "deliveryTimestamp": timestamp(occurred_at),
        },
        "identityMap": _identity_map(message.recipient),
    }


def inbound_payload(
    message: InboundMessage, *, keyword: Mapping[str, Any] | None, sandbox: str, org: str
) -> dict[str, Any]:
    """The ``message.inbound`` body relaying a subscriber's SMS.

    The envelope is the feedback one; ``requestId`` is the vendor's id of the
    message, and the inbound fields carry the names of the seed's inbound
    mapping (inboundMessage, profileNumber, inboundNumber, originTimestamp).
    ``keyword`` is the keyword pipeline's classification (null where the
    pipeline did not run: a feedback-type vendor webhook).
    """
    return {
        "requestId": message.vendor_message_id,
        "imsOrg": org,
        "sandbox": {"id": sandbox_id(org, sandbox), "name": sandbox},
        "channel": "sms",
        "eventType": INBOUND,
        "channelContext": {"profileAddress": None, "profileNumber": message.sender},
        "inboundMessage": {
            "inboundMessage": message.text,
            "profileNumber": message.sender,
            "inboundNumber": message.recipient,
            "originTimestamp": timestamp(message.received_at),
            "numberOfMessageParts": str(message.segments),
            "mediaUrls": list(message.media_urls),
            "vendor": message.vendor,
        },
        "keyword": dict(keyword) if keyword is not None else None,
        "identityMap": _identity_map(message.sender),
    }


def _exclusion(message: OutboundMessageRow) -> dict[str, Any] | None:
    if not message.exclusion:
        return None
    category, reason = EXCLUSIONS.get(message.exclusion, ("policy", None))
    return {
        "category": category,
        "type": "Ignored",
        "code": message.exclusion,
        "reason": message.error_reason or reason,
    }


def _identity_map(phone: str | None) -> dict[str, Any]:
    return {"Phone": [{"id": phone, "primary": True}] if phone else []}


def _failure_type(value: str | None) -> str | None:
    """The seed's spelling of a failure type: Hard, Soft (ours are hard, soft)."""
    return value.capitalize() if value in ("hard", "soft") else value


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
