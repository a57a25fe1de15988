"""Helpers for the feedback emitter tests: a configured webhook, reports, and a worker run in the test's thread."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from smshooks.outbox.worker import Worker
from support.api import Api, post_signed

SUBSCRIBER = "+14155550123"


def make_feedback_webhook(api: Api, url: str, **fields: Any) -> dict:
    body = {"name": "feedback", "channels": ["sms"], "url": url, **fields}
    answer = api.post("/feedback-webhook", body)
    assert answer.status_code == 201, answer.json
    return answer.json


def report(client: FlaskClient, hook: dict, vendor_id: str, status: str, *, to: str = SUBSCRIBER, **extra: Any):
    """The loopback vendor reports ``status`` on its message ``vendor_id``."""
    answer = post_signed(client, hook, {"reports": [{"id": vendor_id, "to": to, "status": status, **extra}]})
    assert answer.status_code == 200, answer.data
    return answer


def inbound(client: FlaskClient, hook: dict, vendor_id: str, text: str, *, sender: str = SUBSCRIBER):
    message = {"id": vendor_id, "from": sender, "to": "+14155550100", "text": text}
    answer = post_signed(client, hook, {"messages": [message]})
    assert answer.status_code == 200, answer.data
    return answer


def work(app: Flask, until: Callable[[], bool] | None = None, *, timeout: float = 20.0) -> None:
    """Run the outbox worker (feedback jobs) in this thread until ``until()`` holds,
    or, without ``until``, until no feedback job is due now."""
    worker = Worker(app.extensions["smshooks"], kinds=["feedback"])
    deadline = time.monotonic() + timeout
    while True:
        busy = worker.run_once()
        if until is None and not busy:
            return
        if until is not None and until():
            return
        if time.monotonic() > deadline:
            raise AssertionError("the worker did not get there in time")
        if not busy:
            time.sleep(0.01)


def deliveries(api: Api, **query: Any) -> list[dict]:
    answer = api.get("/deliveries", query_string=query)
    assert answer.status_code == 200, answer.json
    return answer.json["items"]
