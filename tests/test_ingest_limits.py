"""ingest: events made fit for the columns, counted per request, and stored in bounded chunks."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from support import loopback
from support.api import Api

from smshooks.apikeys import create_api_key
from smshooks.events import InboundMessage, stamp
from smshooks.inbound.column_fit import MAX_SEGMENTS, fit_to_columns
from smshooks.inbound.event_store import check_event_count, event_chunks, store_events
from smshooks.settings import Settings
from smshooks.vendor import PayloadError, TooManyEvents
from smshooks.web.app import create_app

AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def message(n: int, **changes: object) -> InboundMessage:
    fields = {
        "vendor": "loopback",
        "vendor_message_id": f"m-{n}",
        "sender": "+14155550123",
        "recipient": "+14155550100",
        "text": "hello",
        "received_at": AT,
        "raw": {"n": n},
        **changes,
    }
    return stamp(InboundMessage(**fields), org="acme", sandbox="prod", webhook_id="wh_test")  # type: ignore[arg-type]


@pytest.fixture
def app(smshooks_settings: Settings) -> Iterator[Flask]:
    app = create_app(smshooks_settings, plugins=[loopback])
    yield app
    app.extensions["smshooks"].db.engine.dispose()


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app.test_client(), create_api_key(app.extensions["smshooks"].db, "acme"))


def stored(api: Api) -> list[dict]:
    items: list[dict] = []
    cursor = ""
    while True:
        answer = api.get(f"/inbound-messages?limit=200{cursor}")
        assert answer.status_code == 200, answer.json
        items += answer.json["items"]
        if answer.json["next_cursor"] is None:
            return items
        cursor = f"&cursor={answer.json['next_cursor']}"


def test_chunks_store_every_event_once_and_a_retry_adds_nothing(app, api):
    db = app.extensions["smshooks"].db
    events = [message(n) for n in range(250)]
    chunks = list(event_chunks(events, size=100))
    assert [len(chunk) for chunk in chunks] == [100, 100, 50]
    for chunk in chunks[:2]:
        with db.transaction() as session:
            store_events(session, chunk)
    # the request failed after two chunks; the vendor's retry stores only what is missing
    outcomes = []
    for chunk in event_chunks(events, size=100):
        with db.transaction() as session:
            outcomes += store_events(session, chunk)
    assert [o.duplicate for o in outcomes] == [True] * 200 + [False] * 50
    assert sorted(m["vendor_message_id"] for m in stored(api)) == sorted(f"m-{n}" for n in range(250))


def test_chunk_size_must_be_positive():
    with pytest.raises(ValueError):
        list(event_chunks([message(1)], size=0))


@pytest.mark.parametrize(("segments", "kept"), [(2**63, MAX_SEGMENTS), (2**31, MAX_SEGMENTS), (0, 1), (-5, 1), (7, 7)])
def test_out_of_range_segments_are_clamped_and_stored(app, api, segments, kept):
    db = app.extensions["smshooks"].db
    with db.transaction() as session:
        store_events(session, [fit_to_columns(message(1, segments=segments))])
    [item] = stored(api)
    assert item["segments"] == kept


def test_raw_values_a_json_column_refuses_are_stored_as_text(app, api):
    # NaN is not JSON: PostgreSQL's JSON type refuses it; SQLite would store a
    # document no JSON reader takes back.
    raw = {"price": math.nan, "limit": math.inf, "nested": [{"low": -math.inf}], 3: "key"}
    db = app.extensions["smshooks"].db
    with db.transaction() as session:
        store_events(session, [fit_to_columns(message(1, raw=raw))])
    [item] = stored(api)
    assert item["raw"] == {"price": "nan", "limit": "inf", "nested": [{"low": "-inf"}], "3": "key"}


def test_storable_leaves_a_fit_event_as_it_is():
    event = message(1, raw={"a": [1, 2.5, None, True, "x"]})
    assert fit_to_columns(event) is event


def test_an_identifier_longer_than_its_column_is_refused():
    with pytest.raises(PayloadError):
        fit_to_columns(message(1, vendor_message_id="x" * 201))


def test_event_count_is_bounded_by_the_vendor_and_the_host():
    vendor = loopback.LoopbackVendor()
    check_event_count(vendor, [object()] * 1000)
    with pytest.raises(TooManyEvents) as raised:
        check_event_count(vendor, [object()] * 1001)
    assert (raised.value.count, raised.value.limit) == (1001, 1000)
    with pytest.raises(TooManyEvents) as raised:
        check_event_count(vendor, [object()] * 11, host_cap=10)
    assert raised.value.limit == 10
