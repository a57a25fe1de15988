"""Concurrent vendor requests on the inbound path, on each backend: every message stored once,
one ledger entry and one reply per change, consent equal to its ledger, nothing left behind.

Threads post to one app at the same moment (a barrier), each with its own test client: on
PostgreSQL they really overlap (row locks, unique indexes decide); on SQLite the process's
writers take turns. The checks read the admin API, as an operator would.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, text
from support import loopback
from support.api import Api, make_webhook

from smshooks.web.app import create_app

US_A = "+14155550100"
US_B = "+14155550101"
US_C = "+14155550102"
#: the actions that change a consent record (each writes one ledger entry; STOPALL under number scope two)
CHANGES = {"opt_out", "opt_in", "confirm_double_opt_in", "double_opt_in_pending"}
_numbers = itertools.count(1)


def new_subscriber() -> str:
    return f"+1202555{next(_numbers):04d}"


def new_id() -> str:
    return "in-" + secrets.token_hex(6)


def inbound(message_id: str, sender: str, body: str, to: str = US_A) -> dict:
    return {"id": message_id, "from": sender, "to": to, "text": body}


def concurrently(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` on their own threads, released together; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


class Box:
    """One organisation's inbound webhook on the module's app (loopback vendor, unsigned)."""

    def __init__(self, app: Flask, api: Api, webhook: dict | None = None):
        self.app = app
        self.api = api
        self.webhook = webhook or make_webhook(api, secret=None, name="in-" + secrets.token_hex(3))

    def post(self, messages: Sequence[dict] = (), reports: Sequence[dict] = (), *, retries: int = 0) -> int:
        """POST one vendor request from a client of its own; a 5xx is retried ``retries`` times
        (as a vendor does). The last status code."""
        client = self.app.test_client()
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(0.05 * attempt)  # a vendor backs off before it retries
            answer = client.post(
                f"/hooks/{self.webhook['id']}", json={"messages": list(messages), "reports": list(reports)}
            )
            if answer.status_code < 500:
                break
        return answer.status_code

    def settings(self, **values: Any) -> None:
        answer = self.api.request("PUT", "/sandbox-settings", values)
        assert answer.status_code == 200, answer.json

    def keywords(self, values: dict) -> None:
        answer = self.api.request("PUT", f"/webhooks/{self.webhook['id']}/keywords", values)
        assert answer.status_code == 200, answer.json

    def inbound(self, subscriber: str) -> list[dict]:
        return self.api.get("/inbound-messages", query_string={"phone": subscriber, "limit": 200}).json["items"]

    def replies(self, subscriber: str) -> list[dict]:
        query = {"phone": subscriber, "kind": "reply", "limit": 200}
        return self.api.get("/messages", query_string=query).json["items"]

    def consent(self, subscriber: str) -> dict:
        return self.api.get(f"/consent/{subscriber}").json

    def assert_consistent(self, subscriber: str, *, stop_all: bool = False) -> dict:
        """Each record's state is its last ledger entry's new state, each entry continues the one
        before it for the same pair (a record without entries states nothing), and every change is
        in the ledger."""
        consent = self.consent(subscriber)
        history: dict[str, list[dict]] = defaultdict(list)
        for entry in consent["history"]:
            history[entry["sender_number"]].append(entry)
        assert {record["sender_number"] for record in consent["senders"]} >= set(history), consent
        for record in consent["senders"]:
            previous = None
            for entry in history[record["sender_number"]]:
                assert entry["previous_state"] == previous, consent["history"]
                previous = entry["new_state"]
            assert record["state"] == previous, consent
        changes = [m for m in self.inbound(subscriber) if m["keyword_event"]["action"] in CHANGES]
        extra = sum(1 for m in changes if stop_all and m["text"].upper().replace(" ", "") == "STOPALL")
        assert len(consent["history"]) == len(changes) + extra, (consent["history"], changes)
        return consent


@pytest.fixture
def box(module_app: Flask, module_api: Api) -> Box:
    return Box(module_app, module_api)


def postgres(app: Flask) -> bool:
    return app.extensions["smshooks"].db.engine.dialect.name == "postgresql"


# (a) one vendor message delivered N times at once -------------------------------------------------

ONE_MESSAGE_CASES = [
    # body, the action, ledger entries, replies
    ("STOP", "opt_out", 1, 1),
    ("START", "opt_in", 1, 1),
    ("HELP", "help", 0, 1),
    ("stpo", "fuzzy_prompt", 0, 1),
    ("hello there", "none", 0, 0),
]


@pytest.mark.parametrize(
    ("body", "action", "entries", "replies"), ONE_MESSAGE_CASES, ids=[case[0] for case in ONE_MESSAGE_CASES]
)
def test_one_message_delivered_many_times_at_once_is_stored_and_answered_once(box, body, action, entries, replies):
    subscriber, message_id = new_subscriber(), new_id()
    codes = concurrently([lambda: box.post([inbound(message_id, subscriber, body)])] * 8)
    assert codes == [200] * 8
    [stored] = box.inbound(subscriber)
    assert stored["keyword_event"]["action"] == action
    assert len(box.consent(subscriber)["history"]) == entries
    assert len(box.replies(subscriber)) == replies
    box.assert_consistent(subscriber)


def test_a_stop_racing_retries_of_a_new_subscribers_first_message_is_stored(box):
    """A new subscriber's typo of STOP (a fuzzy prompt, which keeps its clock on the consent record)
    delivered again and again at once, and their STOP: every request is answered 200 (Twilio does
    not retry a 500: the opt-out would be lost) and the STOP counts."""
    for _ in range(3):
        subscriber, typo_id = new_subscriber(), new_id()
        messages = [inbound(typo_id, subscriber, "stpo")] * 6 + [inbound(new_id(), subscriber, "STOP")]
        calls = [lambda m=m: box.post([m]) for m in messages]
        assert concurrently(calls) == [200] * 7
        assert sorted(m["text"] for m in box.inbound(subscriber)) == ["STOP", "stpo"]
        [record] = box.assert_consistent(subscriber)["senders"]
        assert record["state"] == "opted_out"


def test_a_retry_racing_the_first_delivery_keeps_the_fuzzy_prompt_rate_limit(box):
    """The fuzzy prompt goes once per window: a vendor's retry racing the first delivery of a new
    subscriber's typo must not drop the record that remembers the prompt went out."""
    subscriber, message_id = new_subscriber(), new_id()
    if postgres(box.app):
        # Make the race certain: both deliveries wait, one with the new consent record made and
        # uncommitted, the other on that record's unique key; then both go on.
        locker = box.app.extensions["smshooks"].db.engine.connect()
        locker.execute(text("LOCK TABLE inbound_messages IN SHARE MODE"))
        waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted"
        posting = [threading.Thread(target=box.post, args=([inbound(message_id, subscriber, "stpo")],)) for _ in "ab"]
        for thread in posting:
            thread.start()
        while locker.execute(text(waiting)).scalar() < 2:
            pass
        locker.rollback()
        locker.close()
        for thread in posting:
            thread.join()
    else:
        concurrently([lambda: box.post([inbound(message_id, subscriber, "stpo")])] * 2)
    assert [m["keyword_event"]["action"] for m in box.inbound(subscriber)] == ["fuzzy_prompt"]
    assert box.post([inbound(new_id(), subscriber, "stpo")]) == 200
    actions = [m["keyword_event"]["action"] for m in box.inbound(subscriber)]
    assert actions == ["fuzzy_prompt_suppressed", "fuzzy_prompt"]  # newest first
    assert len(box.replies(subscriber)) == 1
    [record] = box.consent(subscriber)["senders"]
    assert record["sender_number"] == US_A


# (b) different keywords from one new subscriber at once ---------------------------------------------

RACES = [
    ("STOP", "START"),
    ("START", "STOP"),
    ("STOP", "HELP", "yes"),
    ("JOIN", "yes", "STOP"),
    ("STOP", "START", "STOP", "START"),
]


@pytest.mark.parametrize("bodies", RACES, ids=["-".join(r) for r in RACES])
def test_keywords_from_one_new_subscriber_at_once_leave_consent_equal_to_its_ledger(box, bodies):
    box.keywords({"categories": [{"category": "double_opt_in", "keywords": ["JOIN"]}]})
    for _ in range(3):
        subscriber = new_subscriber()
        messages = [inbound(new_id(), subscriber, body) for body in bodies]
        assert concurrently([lambda m=m: box.post([m]) for m in messages]) == [200] * len(bodies)
        assert len(box.inbound(subscriber)) == len(bodies)
        consent = box.assert_consistent(subscriber)
        if "STOP" in bodies:
            assert consent["history"], "a STOP always changes the state of a new subscriber"


def test_keywords_to_two_of_our_numbers_at_once_keep_each_pair_consistent(box):
    for _ in range(3):
        subscriber = new_subscriber()
        bodies = [("STOP", US_A), ("START", US_B), ("STOP", US_B), ("START", US_A)]
        messages = [inbound(new_id(), subscriber, body, to) for body, to in bodies]
        assert concurrently([lambda m=m: box.post([m]) for m in messages]) == [200] * 4
        box.assert_consistent(subscriber)


# (c) STOPALL under number scope beside a STOP to one number ----------------------------------------


@pytest.mark.parametrize("other", ["STOP", "START"])
def test_stopall_at_once_with_a_keyword_to_another_number_under_number_scope(box, other):
    box.settings(consent_scope="number")
    box.keywords({"compliance_profile": "us"})
    for _ in range(3):
        subscriber = new_subscriber()
        messages = [inbound(new_id(), subscriber, "STOPALL", US_A), inbound(new_id(), subscriber, other, US_B)]
        assert concurrently([lambda m=m: box.post([m]) for m in messages]) == [200, 200]
        consent = box.assert_consistent(subscriber, stop_all=True)
        states = {record["sender_number"]: record["state"] for record in consent["senders"]}
        assert states["*"] == "opted_out" and states[US_A] == "opted_out"
        if other == "STOP":  # B's own record says so, or it was already covered by every number's
            assert states.get(US_B) in ("opted_out", None)


# (d) a vendor's retry naming another of our numbers ------------------------------------------------


def test_a_retry_of_a_stop_with_another_to_leaves_no_empty_record(box):
    subscriber, message_id = new_subscriber(), new_id()
    assert box.post([inbound(message_id, subscriber, "STOP", US_A)]) == 200
    assert box.post([inbound(message_id, subscriber, "STOP", US_B)]) == 200
    assert [r["sender_number"] for r in box.assert_consistent(subscriber)["senders"]] == [US_A]
    assert len(box.replies(subscriber)) == 1


def test_deliveries_of_one_stop_naming_different_tos_at_once_make_one_record(box):
    for _ in range(3):
        subscriber, message_id = new_subscriber(), new_id()
        tos = [US_A, US_B, US_C, US_A, US_B]
        messages = [inbound(message_id, subscriber, "STOP", to) for to in tos]
        assert concurrently([lambda m=m: box.post([m]) for m in messages]) == [200] * len(tos)
        [stored] = box.inbound(subscriber)
        [record] = box.assert_consistent(subscriber)["senders"]
        assert (record["sender_number"], record["state"]) == (stored["recipient"], "opted_out")
        assert len(box.replies(subscriber)) == 1


# (e) inbound messages and delivery reports in one request ------------------------------------------


def test_a_request_mixing_messages_and_reports_stores_each_once_in_order(box):
    subscriber = new_subscriber()
    messages = [inbound(new_id(), subscriber, body) for body in ("STOP", "hello", "START")]
    reports = [{"id": "out-" + secrets.token_hex(4), "to": subscriber, "status": s} for s in ("sent", "ok")]
    reports.append({**reports[0], "status": "sent"})  # the same report twice in one request
    codes = concurrently([lambda: box.post(messages, reports)] * 4)
    assert codes == [200] * 4
    stored = box.inbound(subscriber)[::-1]  # oldest first
    assert [m["text"] for m in stored] == ["STOP", "hello", "START"]
    assert [m["id"] for m in stored] == sorted(m["id"] for m in stored)
    consent = box.assert_consistent(subscriber)
    assert [(e["previous_state"], e["new_state"]) for e in consent["history"]] == [
        (None, "opted_out"),
        ("opted_out", "opted_in"),
    ]
    found = box.api.get("/delivery-reports", query_string={"phone": subscriber}).json["items"]
    assert sorted((r["vendor_message_id"], r["status"]) for r in found) == sorted(
        {(r["id"], {"sent": "sent", "ok": "delivered"}[r["status"]]) for r in reports}
    )


# batches naming several subscribers in different orders --------------------------------------------


def test_batches_naming_the_same_subscribers_in_opposite_orders_all_land(box):
    """Two vendor batches at once with the same subscribers in opposite orders: PostgreSQL may
    abort one for a deadlock on the crossed row locks; smshooks stores that chunk again itself,
    so both vendors hear 200 at once (no retry of theirs) and every message is stored once."""
    subscribers = [new_subscriber() for _ in range(6)]
    for subscriber in subscribers:  # known subscribers: their records exist and are locked per message
        assert box.post([inbound(new_id(), subscriber, "START")]) == 200
    forward = [inbound(new_id(), s, "STOP") for s in subscribers]
    backward = [inbound(new_id(), s, "START") for s in reversed(subscribers)]
    codes = concurrently([lambda: box.post(forward), lambda: box.post(backward)])
    assert codes == [200, 200]
    for subscriber in subscribers:
        assert len(box.inbound(subscriber)) == 3
        box.assert_consistent(subscriber)


# SQLite, two processes on one file ------------------------------------------------------------------


def test_on_sqlite_another_process_change_between_the_consent_read_and_the_write_is_not_missed(box, module_settings):
    """``smshooks serve --workers N`` on SQLite: N processes, each with its own writer mutex. A
    message is decided on the consent its transaction reads; another process's change committed
    after that read and before its write must not be decided over (a second STOP here would record
    opted_in -> opted_out once more and send a second confirmation)."""
    if postgres(box.app):
        pytest.skip("PostgreSQL locks the records it reads (FOR UPDATE)")
    other = create_app(module_settings, plugins=[loopback])  # the second process, on the same file
    try:
        subscriber = new_subscriber()
        assert box.post([inbound(new_id(), subscriber, "START")]) == 200
        paused, release = threading.Event(), threading.Event()

        def pause_before_writing(_conn, _cursor, statement, *_args) -> None:
            if threading.current_thread() is first and statement.startswith("INSERT") and not paused.is_set():
                paused.set()
                release.wait()

        engine = box.app.extensions["smshooks"].db.engine
        event.listen(engine, "before_cursor_execute", pause_before_writing)
        try:
            codes: list[int] = []
            first = threading.Thread(target=lambda: codes.append(box.post([inbound(new_id(), subscriber, "STOP")])))
            first.start()
            paused.wait()
            elsewhere = Box(other, box.api, box.webhook)
            second = threading.Thread(
                target=lambda: codes.append(elsewhere.post([inbound(new_id(), subscriber, "STOP")]))
            )
            second.start()
            # the other process's STOP commits (the stale read to catch), or waits for the write
            # lock the paused one holds (SQLite's busy handler: 30 s), which no join here outlasts
            second.join(1.0)
            release.set()
            first.join()
            second.join()
        finally:
            event.remove(engine, "before_cursor_execute", pause_before_writing)
        assert codes == [200, 200]
        consent = box.assert_consistent(subscriber)
        assert [e["new_state"] for e in consent["history"]] == ["opted_in", "opted_out"]
        assert sorted(m["keyword_event"]["action"] for m in box.inbound(subscriber)) == [
            "already_opted_out",
            "opt_in",
            "opt_out",
        ]
    finally:
        other.extensions["smshooks"].db.engine.dispose()
