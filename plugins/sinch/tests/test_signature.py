"""The signature beyond the conformance table: signed data, nonce bookkeeping, check order."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from smshooks.vendor import MemoryReplayGuard, SignatureError, WebhookRequest
from smshooks_sinch import SinchVendor
from smshooks_sinch.signature import compute_signature, signed_data

from .cases import (
    MO_NONCE,
    MO_SIGNATURE,
    MO_SIGNATURES_AT_OFFSET,
    MO_SIGNED,
    MO_TEXT,
    NOW,
    SIGNED_CREDENTIALS,
    VECTOR_BODY,
    VECTOR_NONCE,
    VECTOR_SIGNATURE,
    VECTOR_TIMESTAMP,
    signed,
)

VENDOR = SinchVendor()


class RecordingGuard(MemoryReplayGuard):
    """A memory guard that also records what it was asked."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, timedelta]] = []

    def first_use(self, key: str, ttl: timedelta) -> bool:
        self.asked.append((key, ttl))
        return super().first_use(key, ttl)


def through(request: WebhookRequest, guard: MemoryReplayGuard) -> WebhookRequest:
    return dataclasses.replace(request, replay_guard=guard)


def test_signed_data_is_body_nonce_timestamp_joined_by_dots() -> None:
    assert signed_data(b'{"a":1}', "N0NCE", "1634579353") == b'{"a":1}.N0NCE.1634579353'


def test_documented_vector() -> None:
    signature = compute_signature(VECTOR_BODY.encode(), VECTOR_NONCE, VECTOR_TIMESTAMP, "foo_secret1234")
    assert signature == VECTOR_SIGNATURE


def test_the_body_is_signed_as_raw_bytes() -> None:
    # MO_TEXT holds an emoji: signing a re-encoded or escaped body would differ.
    assert compute_signature(MO_TEXT.encode("utf-8"), MO_NONCE, str(NOW), SIGNED_CREDENTIALS["webhook_secret"]) == (
        MO_SIGNATURE
    )


def test_second_use_of_a_nonce_through_the_same_guard_is_refused() -> None:
    guard = MemoryReplayGuard()
    VENDOR.verify(through(MO_SIGNED, guard), SIGNED_CREDENTIALS)
    with pytest.raises(SignatureError, match="already used"):
        VENDOR.verify(through(MO_SIGNED, guard), SIGNED_CREDENTIALS)


def test_a_nonce_used_with_another_timestamp_is_still_a_replay() -> None:
    guard = MemoryReplayGuard()
    VENDOR.verify(through(MO_SIGNED, guard), SIGNED_CREDENTIALS)
    later = signed(MO_TEXT, MO_SIGNATURES_AT_OFFSET[300], MO_NONCE, NOW + 300)
    with pytest.raises(SignatureError, match="already used"):
        VENDOR.verify(through(later, guard), SIGNED_CREDENTIALS)


def test_the_nonce_is_remembered_for_as_long_as_it_could_pass_the_window() -> None:
    guard = RecordingGuard()
    VENDOR.verify(through(MO_SIGNED, guard), SIGNED_CREDENTIALS)
    ((key, ttl),) = guard.asked
    assert MO_NONCE in key
    # A timestamp up to 5 min ahead stays acceptable 5 min past it.
    assert ttl >= timedelta(minutes=10)


@pytest.mark.parametrize(
    "forged",
    [
        signed(MO_TEXT.replace("John", "Jane"), MO_SIGNATURE, MO_NONCE, NOW),
        signed(MO_TEXT, MO_SIGNATURE.replace("tlfe", "tlfd"), MO_NONCE, NOW),
        signed(MO_TEXT, MO_SIGNATURES_AT_OFFSET[-301], MO_NONCE, NOW - 301),
        signed(MO_TEXT, MO_SIGNATURES_AT_OFFSET[301], MO_NONCE, NOW + 301),
    ],
    ids=["tampered-body", "tampered-signature", "stale", "future"],
)
def test_a_refused_request_does_not_use_up_the_nonce(forged: WebhookRequest) -> None:
    guard = RecordingGuard()
    with pytest.raises(SignatureError):
        VENDOR.verify(through(forged, guard), SIGNED_CREDENTIALS)
    assert guard.asked == []
    # The real request with that nonce still passes afterwards.
    VENDOR.verify(through(MO_SIGNED, guard), SIGNED_CREDENTIALS)


def test_unsigned_requests_are_not_recorded_without_a_secret() -> None:
    guard = RecordingGuard()
    VENDOR.verify(through(MO_SIGNED, guard), {**SIGNED_CREDENTIALS, "webhook_secret": ""})
    assert guard.asked == []


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        (signed(MO_TEXT, MO_SIGNATURE, MO_NONCE, NOW + 1), "does not match"),
        (signed(MO_TEXT, MO_SIGNATURES_AT_OFFSET[-301], MO_NONCE, NOW - 301), "away from our clock"),
        (signed(MO_TEXT, MO_SIGNATURE, MO_NONCE, "9" * 5000), "not Unix seconds"),
        (signed(MO_TEXT, MO_SIGNATURE, MO_NONCE, "-5"), "not Unix seconds"),
    ],
    ids=["mismatch", "stale", "absurdly-long-timestamp", "negative-timestamp"],
)
def test_refusals_say_why(request_: WebhookRequest, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        VENDOR.verify(request_, SIGNED_CREDENTIALS)


def test_an_absurd_but_authentic_timestamp_is_refused_without_crashing() -> None:
    timestamp = "9" * 15
    secret = SIGNED_CREDENTIALS["webhook_secret"]
    request = signed(MO_TEXT, compute_signature(MO_TEXT.encode(), MO_NONCE, timestamp, secret), MO_NONCE, timestamp)
    with pytest.raises(SignatureError, match="away from our clock"):
        VENDOR.verify(request, SIGNED_CREDENTIALS)
