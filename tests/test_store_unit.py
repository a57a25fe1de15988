"""The vendor path's unit of work (store/unit.py, Database.unit) and its driver-level statements
(store/driver.py): what they store and read is what SQLAlchemy's own execution stores and reads,
they commit or roll back together with an ORM session joined to them, errors are SQLAlchemy's,
and the engine's cursor listeners see every statement."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, event, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from smshooks.consent.ledger import ConsentState, Evidence, change, lock_subscriber, read_subscriber, stamp
from smshooks.store.db import Database, make_engine
from smshooks.store.driver import PING_AFTER_IDLE, DriverStatement, kept_reader, outside_transaction
from smshooks.store.tables import ConsentLedgerEntry, ConsentRecord, InboundMessageRow, Job, utcnow
from smshooks.store.upsert import insert_once


@pytest.fixture
def db(smshooks_database_url: str) -> Iterator[Database]:
    database = Database.from_url(smshooks_database_url)
    yield database
    database.engine.dispose()


def message(vendor_message_id: str, **extra: object) -> dict[str, object]:
    now = utcnow()
    return {
        "org": "acme",
        "sandbox": "prod",
        "webhook_id": "wh_unit",
        "vendor": "twilio",
        "vendor_message_id": vendor_message_id,
        "sender": "+14155550001",
        "recipient": "+14155550100",
        "text": "héllo ✓",
        "segments": 1,
        "media_urls": ["https://media.example/1"],
        "received_at": now,
        "stored_at": now,
        "raw": {"Body": "héllo ✓", "NumMedia": "1", "nested": {"list": [1, 2.5, None, True]}},
        **extra,
    }


def test_consent_written_and_read_on_the_driver_is_what_the_orm_reads(db: Database) -> None:
    expires = datetime(2031, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    with db.unit() as unit:
        records = lock_subscriber(unit, "acme", "prod", "+14155550001", "+14155550100")
        record = records.pair("+14155550100")
        assert records.created is record and record.state is None
        change(unit, record, ConsentState.PENDING, Evidence(action="double_opt_in_pending"), pending_expires_at=expires)
        stamp(unit, record, "last_fuzzy_prompt_at", expires - timedelta(days=1))
    with db.session() as session:
        row = session.execute(select(ConsentRecord)).scalar_one()
        entry = session.execute(select(ConsentLedgerEntry)).scalar_one()
    assert (row.state, row.pending_expires_at, row.last_fuzzy_prompt_at) == (
        "pending",
        expires,
        expires - timedelta(days=1),
    )
    assert (entry.previous_state, entry.new_state, entry.action, entry.actor) == (
        None,
        "pending",
        "double_opt_in_pending",
        "subscriber",
    )
    with db.session() as session:
        [read] = read_subscriber(session, "acme", "prod", "+14155550001").records
    assert read.pending_expires_at == expires and read.pending_expires_at.tzinfo is not None
    assert read.updated_at == row.updated_at


def test_a_message_inserted_on_the_driver_reads_back_as_sqlalchemy_stored_it(db: Database) -> None:
    values = message("SM-driver")
    with db.unit() as unit:
        row_id = insert_once(unit, InboundMessageRow, values, key=["webhook_id", "vendor_message_id"])
        assert insert_once(unit, InboundMessageRow, values, key=["webhook_id", "vendor_message_id"]) is None
    with db.begin() as conn:  # the same row through SQLAlchemy's own INSERT, for comparison
        conn.execute(insert(InboundMessageRow.__table__), message("SM-core", received_at=values["received_at"]))
    with db.session() as session:
        driver, core = (
            session.execute(select(InboundMessageRow).where(InboundMessageRow.vendor_message_id == sid)).scalar_one()
            for sid in ("SM-driver", "SM-core")
        )
    assert driver.id == row_id
    for column in ("text", "segments", "media_urls", "raw", "received_at", "sender"):
        assert getattr(driver, column) == getattr(core, column), column
    assert driver.received_at == values["received_at"]


def test_a_driver_error_is_sqlalchemys_and_rolls_the_unit_back(db: Database) -> None:
    plain_insert = DriverStatement(insert(InboundMessageRow.__table__), list(message("x")))
    with pytest.raises(IntegrityError), db.unit() as unit:
        plain_insert.rows(unit.conn, message("SM-twice"))
        plain_insert.rows(unit.conn, message("SM-twice"))  # the unique (webhook, vendor id) refuses it
    with db.session() as session:
        assert session.execute(select(InboundMessageRow)).first() is None
    with db.unit() as unit:  # the connection serves the next unit
        plain_insert.rows(unit.conn, message("SM-once"))
    with db.session() as session:
        assert session.execute(select(InboundMessageRow.vendor_message_id)).scalars().all() == ["SM-once"]


def test_the_engines_cursor_listeners_see_driver_statements(db: Database) -> None:
    seen: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda _c, _cur, statement, *_: seen.append(statement))
    with db.unit() as unit:
        insert_once(unit, InboundMessageRow, message("SM-seen"), key=["webhook_id", "vendor_message_id"])
    assert any(statement.startswith("INSERT INTO inbound_messages") for statement in seen)


def test_a_joined_session_and_the_callbacks_go_with_the_units_commit(db: Database) -> None:
    def job() -> Job:
        now = utcnow()
        return Job(kind="k", org="acme", sandbox="prod", payload={}, due_at=now, created_at=now, updated_at=now)

    ran: list[str] = []
    with pytest.raises(RuntimeError), db.unit() as unit:
        insert_once(unit, InboundMessageRow, message("SM-lost"), key=["webhook_id", "vendor_message_id"])
        unit.session.add(job())
        unit.after_commit(lambda: ran.append("lost"))
        raise RuntimeError("the request failed")
    with db.unit() as unit:
        insert_once(unit, InboundMessageRow, message("SM-kept"), key=["webhook_id", "vendor_message_id"])
        unit.session.add(job())
        unit.after_commit(lambda: ran.append("kept"))
        assert ran == []  # not before the commit
    assert ran == ["kept"]
    with db.session() as session:
        assert session.execute(select(InboundMessageRow.vendor_message_id)).scalars().all() == ["SM-kept"]
        assert len(session.execute(select(Job)).all()) == 1


def test_sqlite_writers_share_a_connection_until_the_engine_is_disposed(db: Database) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL writers take pooled connections")
    with db.unit() as first:
        pass
    with db.begin() as second:
        pass
    assert first.conn is second
    db.engine.dispose()
    with db.unit() as third:
        insert_once(third, InboundMessageRow, message("SM-after"), key=["webhook_id", "vendor_message_id"])
    assert third.conn is not second and second.closed


def test_a_read_outside_a_transaction_sends_no_transaction_and_leaves_its_connection_transactional(
    smshooks_database_url: str,
) -> None:
    database = Database.from_url(smshooks_database_url)
    one = create_engine(smshooks_database_url, pool_size=1, max_overflow=0)  # the same connection each time
    try:
        with database.unit() as unit:
            insert_once(unit, InboundMessageRow, message("SM-read"), key=["webhook_id", "vendor_message_id"])
        with outside_transaction(one) as conn:
            found = conn.execute(select(InboundMessageRow.vendor_message_id)).scalars().all()
            if one.dialect.name == "postgresql":  # every statement its own: no transaction is open
                assert conn.connection.driver_connection.info.transaction_status == 0  # IDLE
        assert found == ["SM-read"]
        # the pool's next user of that connection gets a transaction again: its work rolls back with it
        with pytest.raises(RuntimeError), one.begin() as conn:
            conn.execute(insert(InboundMessageRow.__table__), message("SM-rolled-back"))
            raise RuntimeError("rolled back")
        with outside_transaction(one) as conn:
            assert conn.execute(select(InboundMessageRow.vendor_message_id)).scalars().all() == ["SM-read"]
    finally:
        one.dispose()
        database.engine.dispose()


def test_a_kept_reader_sees_each_commit_comes_back_after_a_broken_connection_and_returns_none_in_autocommit(
    smshooks_database_url: str,
) -> None:
    """The send's read (message and consent) and the feedback attempt's read go through kept
    connections: each read sees what was committed before it (an opt-out committed between two
    sends is read by the second), a connection the server dropped costs one read its error and no
    more, and one returned to the pool (more readers than are kept) is transactional again."""
    database = Database.from_url(smshooks_database_url)
    one = make_engine(smshooks_database_url, pool_size=4, max_overflow=0)  # one kept; SQLite's BEGIN as the gateway's
    read = select(InboundMessageRow.vendor_message_id).order_by(InboundMessageRow.vendor_message_id)
    try:
        for number in range(3):  # a commit between two reads on the kept connection is seen by the second
            with database.unit() as unit:
                insert_once(
                    unit, InboundMessageRow, message(f"SM-kept-{number}"), key=["webhook_id", "vendor_message_id"]
                )
            with kept_reader(one) as conn:
                assert conn.execute(read).scalars().all() == [f"SM-kept-{n}" for n in range(number + 1)]
        if one.dialect.name == "postgresql":
            with kept_reader(one) as conn:
                backend = conn.execute(text("SELECT pg_backend_pid()")).scalar()
            with database.engine.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            with pytest.raises(OperationalError), kept_reader(one) as conn:
                conn.execute(read).all()
            with kept_reader(one) as conn:  # a fresh connection: reads again
                assert len(conn.execute(read).all()) == 3
                backend = conn.execute(text("SELECT pg_backend_pid()")).scalar()
            # dropped while it rested (a server restart, an idle timeout): pinged before use, replaced
            with database.engine.connect() as admin:
                admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            time.sleep(PING_AFTER_IDLE + 0.2)
            with kept_reader(one) as conn:
                assert len(conn.execute(read).all()) == 3
        # two readers at once, one kept: the other goes back to the pool and is transactional again
        with kept_reader(one), kept_reader(one):
            pass
        with pytest.raises(RuntimeError), one.begin() as conn:
            conn.execute(insert(InboundMessageRow.__table__), message("SM-rolled-back"))
            raise RuntimeError("rolled back")
        with kept_reader(one) as conn:
            assert "SM-rolled-back" not in conn.execute(read).scalars().all()
    finally:
        one.dispose()
        database.engine.dispose()
