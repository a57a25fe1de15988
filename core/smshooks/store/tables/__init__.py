"""The database schema (SQLAlchemy 2 declarative), one module per part of the flow.

Changes go through Alembic migrations (store/migrations/versions/)."""

from smshooks.store.tables.base import Base, UTCDateTime, utcnow
from smshooks.store.tables.consent import ConsentLedgerEntry, ConsentRecord
from smshooks.store.tables.messages import (
    DeliveryReportRow,
    InboundMessageRow,
    OutboundMessageRow,
    ReplayKey,
    VendorCallRow,
)
from smshooks.store.tables.outbox import DeliveryAttempt, FeedbackDelivery, Job
from smshooks.store.tables.tenants import (
    ApiKey,
    Channel,
    Credential,
    FeedbackWebhook,
    Organisation,
    Profile,
    ReplyTemplate,
    SandboxSettings,
    Webhook,
)

__all__ = [
    "ApiKey",
    "Base",
    "Channel",
    "ConsentLedgerEntry",
    "ConsentRecord",
    "Credential",
    "DeliveryAttempt",
    "DeliveryReportRow",
    "FeedbackDelivery",
    "FeedbackWebhook",
    "InboundMessageRow",
    "Job",
    "Organisation",
    "OutboundMessageRow",
    "Profile",
    "ReplayKey",
    "ReplyTemplate",
    "SandboxSettings",
    "UTCDateTime",
    "VendorCallRow",
    "Webhook",
    "utcnow",
]
