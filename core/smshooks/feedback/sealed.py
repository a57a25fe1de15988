"""The secrets of a feedback webhook, sealed at rest with the server's secret key.

One sealed blob per webhook holds the Standard Webhooks signing secret (and
the previous one during a rotation's grace period), the JWT signing key and
the custom header values (which often carry an API key of the receiver).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from smshooks.crypto import SecretBox
from smshooks.store.tables import FeedbackWebhook


@dataclass
class WebhookSecrets:
    signing_secret: str
    previous_signing_secret: str | None = None
    jwt_key: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def signing_secrets(self, webhook: FeedbackWebhook, now: datetime) -> list[str]:
        """The secrets that sign now: the current one, and the previous one until its grace period ends."""
        expires = webhook.previous_secret_expires_at
        if self.previous_signing_secret and expires is not None and now < expires:
            return [self.signing_secret, self.previous_signing_secret]
        return [self.signing_secret]


def open_secrets(box: SecretBox, webhook: FeedbackWebhook) -> WebhookSecrets:
    values = box.open(webhook.sealed_secrets) if webhook.sealed_secrets else {}
    return WebhookSecrets(
        signing_secret=values.get("signing_secret", ""),
        previous_signing_secret=values.get("previous_signing_secret"),
        jwt_key=values.get("jwt_key"),
        headers=dict(values.get("headers") or {}),
    )


def seal_secrets(box: SecretBox, webhook: FeedbackWebhook, secrets: WebhookSecrets) -> None:
    webhook.sealed_secrets = box.seal(asdict(secrets))
