"""A stored message's status only moves forward: the database's conditional UPDATE (messages.status)
agrees with Status.supersedes for every pair of statuses, on every backend."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from flask import Flask

from smshooks.events import Status
from smshooks.messages.status import move_forward
from smshooks.store.tables import OutboundMessageRow

AT = datetime(2026, 12, 1, tzinfo=UTC)
PAIRS = list(itertools.product(Status, Status))


@pytest.fixture(scope="module")
def gw(module_app: Flask):
    return module_app.extensions["smshooks"]


@pytest.mark.parametrize(("current", "reported"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_status_moves_only_forward(gw, current: Status, reported: Status) -> None:
    message_id = f"m-{current.value}-{reported.value}"
    with gw.db.transaction() as session:
        session.add(
            OutboundMessageRow(
                id=message_id,
                org="status-org",
                sandbox="prod",
                vendor="loopback",
                recipient="+14155550123",
                status=current.value,
                status_rank=current.rank,
                status_at=AT,
                created_at=AT,
            )
        )
    with gw.db.transaction() as session:
        moved = move_forward(session, [OutboundMessageRow.id == message_id], reported, AT)
    with gw.db.session() as session:
        stored = Status(session.get(OutboundMessageRow, message_id).status)
    assert moved == reported.supersedes(current)
    assert stored == (reported if reported.supersedes(current) else current)
