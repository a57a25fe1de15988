"""An endpoint that keeps failing is disabled; enabling it again can replay what it missed.

As Svix does: when every attempt to a feedback webhook has failed for longer
than ``Settings.feedback_disable_after`` (5 days by default; None: never),
smshooks disables it, says why in ``disabled_reason``, logs one warning
(``feedback webhook … disabled: …``) and counts it
(``smshooks_feedback_webhooks_disabled{reason="failing"}``). Its waiting deliveries then stop as
``disabled`` at their next attempt, and no new feedback is written while it
is off. :func:`smshooks.feedback.settings.enable` turns it back on and, on
request, replays the deliveries it missed (:func:`missed`): every
``disabled`` one, and the ``dead`` ones attempted since it started failing.

"Failing since" is the first failed attempt after the last successful one
and after the webhook's last change (enabling it again, a new URL …), over
the deliveries aimed at it: no state is kept beside the delivery log. The
check runs after a failed attempt, at most once a minute per webhook and
process (it reads the log of the whole scope).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from smshooks.feedback.emit import DEAD, DISABLED
from smshooks.metrics import FEEDBACK_WEBHOOKS_DISABLED, count_on_commit
from smshooks.store.tables import DeliveryAttempt, FeedbackDelivery, FeedbackWebhook

log = logging.getLogger(__name__)

#: seconds between two checks of one webhook in one process
CHECK_EVERY = 60.0
_last_check: dict[str, float] = {}


def failing_since(session: Session, webhook: FeedbackWebhook, *, after: datetime | None = None) -> datetime | None:
    """The first failed attempt to ``webhook`` after its last successful one (and after ``after``,
    when given); None when no attempt failed since."""
    aimed = and_(
        FeedbackDelivery.id == DeliveryAttempt.delivery_id,
        FeedbackDelivery.org == webhook.org,
        FeedbackDelivery.sandbox == webhook.sandbox,
        FeedbackDelivery.feedback_webhook_id == webhook.id,
    )
    succeeded = and_(DeliveryAttempt.status_code >= 200, DeliveryAttempt.status_code < 300)
    failed = or_(
        DeliveryAttempt.status_code.is_(None), DeliveryAttempt.status_code < 200, DeliveryAttempt.status_code >= 300
    )
    last_success = session.execute(
        select(func.max(DeliveryAttempt.at)).join(FeedbackDelivery, aimed).where(succeeded)
    ).scalar()
    first_failure = select(func.min(DeliveryAttempt.at)).join(FeedbackDelivery, aimed).where(failed)
    for bound in (last_success, after):
        if bound is not None:
            first_failure = first_failure.where(DeliveryAttempt.at > bound)
    return session.execute(first_failure).scalar()


def missed(since: datetime | None) -> list[list[ColumnElement[bool]]]:
    """What an endpoint disabled (or failing) since ``since`` missed, as conditions on deliveries:
    every ``disabled`` one, and the ``dead`` ones attempted at or after ``since``."""
    stopped: list[ColumnElement[bool]] = [FeedbackDelivery.state == DISABLED]
    if since is None:
        return [stopped]
    attempted = select(DeliveryAttempt.delivery_id).where(DeliveryAttempt.at >= since)
    return [stopped, [FeedbackDelivery.state == DEAD, FeedbackDelivery.id.in_(attempted)]]


def disable_if_failing(session: Session, delivery_id: str, after: float | None, now: datetime) -> bool:
    """After a failed attempt of ``delivery_id``: disable its webhook when it has been failing for
    more than ``after`` seconds (None: never). True when it was disabled now."""
    if after is None:
        return False
    webhook_id = session.execute(
        select(FeedbackDelivery.feedback_webhook_id).where(FeedbackDelivery.id == delivery_id)
    ).scalar()
    if not webhook_id or not _due(webhook_id):
        return False
    webhook = session.get(FeedbackWebhook, webhook_id)
    if webhook is None or not webhook.enabled:
        return False
    # the clock starts again at any change of the webhook (enabled again, a new URL ...)
    since = failing_since(session, webhook, after=webhook.updated_at)
    if since is None or since > now - timedelta(seconds=after):
        return False
    reason = (
        f"every attempt failed since {since.isoformat(timespec='seconds')}, for more than"
        f" {_duration(after)}: disabled on {now.isoformat(timespec='seconds')}"
    )
    session.execute(
        update(FeedbackWebhook)
        .where(FeedbackWebhook.id == webhook.id, FeedbackWebhook.enabled.is_(True))
        .values(enabled=False, disabled_reason=reason, updated_at=now)
    )
    count_on_commit(session, FEEDBACK_WEBHOOKS_DISABLED, reason="failing")
    log.warning(
        "feedback webhook %s disabled: %s (org %s, sandbox %s)", webhook.id, reason, webhook.org, webhook.sandbox
    )
    return True


def forget(webhook_id: str) -> None:
    """Check ``webhook_id`` at its next failure again (it was just enabled)."""
    _last_check.pop(webhook_id, None)


def _due(webhook_id: str) -> bool:
    """True at most once per :data:`CHECK_EVERY` per webhook (the check reads the scope's log)."""
    now = time.monotonic()
    last = _last_check.get(webhook_id)
    if last is not None and now - last < CHECK_EVERY:
        return False
    _last_check[webhook_id] = now
    return True


def _duration(seconds: float) -> str:
    if seconds >= 86400 and seconds % 86400 == 0:
        return f"{int(seconds // 86400)} days" if seconds != 86400 else "1 day"
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    return f"{seconds:g} s"
