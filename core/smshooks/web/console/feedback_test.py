""" "Send test event": a signed sample event POSTed to the feedback webhook now, the receiver's answer shown."""

from __future__ import annotations

from typing import Any

import smshooks.feedback.sample as sample
from smshooks.errors import DomainError
from smshooks.web.console.blueprint import bp
from smshooks.web.console.feedback import current_view, form_page
from smshooks.web.console.pages import FormErrors
from smshooks.web.console.session import scope
from smshooks.web.context import gateway
from smshooks.web.errors import domain_status


@bp.route("/feedback-webhook/test", methods=["POST"])
def test_feedback_webhook() -> Any:
    current = current_view()
    try:
        result = sample.send_sample(gateway(), scope())
    except DomainError as exc:
        return form_page(current, FormErrors.of(exc), domain_status(exc))
    return form_page(current, FormErrors(), tested=result)
