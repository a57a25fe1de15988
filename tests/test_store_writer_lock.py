"""SQLite's writers queue in one line across processes (store/writer_lock.py): a file lock beside the
database, honoured by every process's writers, bounded like SQLite's own wait."""

from __future__ import annotations

import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import OperationalError

from smshooks.store.db import Database, make_engine, upgrade
from smshooks.store.tables import Job

pytest.importorskip("fcntl")

HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.readline()  # until the test says so
"""


@pytest.fixture
def path(tmp_path: Path) -> Path:
    database = tmp_path / "smshooks.db"
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    engine.dispose()
    return database


def job(kind: str) -> dict[str, object]:
    return {"kind": kind, "org": "acme", "sandbox": "prod", "payload": {}}


def test_a_writer_waits_for_another_process_and_is_refused_as_locked_past_its_timeout(path: Path) -> None:
    db = Database(make_engine(f"sqlite:///{path}"), writer_timeout=0.3)
    lock_file = Path(f"{path}-writer-lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(lock_file)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(OperationalError, match="database is locked"), db.begin() as conn:
            conn.execute(insert(Job.__table__), job("refused"))
        # the other process's write ends: this one goes through
        done = threading.Event()

        def write() -> None:
            with Database(db.engine, writer_timeout=10).begin() as conn:
                conn.execute(insert(Job.__table__), job("after"))
            done.set()

        writer = threading.Thread(target=write)
        writer.start()
        assert not done.wait(0.3)  # still queued behind the other process
        holder.stdin.write("\n")
        holder.stdin.flush()
        writer.join(10)
        assert done.is_set()
    finally:
        holder.kill()
        holder.wait()
    with db.engine.connect() as conn:
        assert conn.execute(select(Job.kind)).scalars().all() == ["after"]
    assert stat.S_IMODE(lock_file.stat().st_mode) == 0o600  # beside a private database, private too
    db.engine.dispose()


def test_writers_of_two_databases_on_one_file_take_turns(path: Path) -> None:
    """Two Database objects hold two descriptors of the lock file, as two processes do."""
    first, second = (Database(make_engine(f"sqlite:///{path}")) for _ in range(2))
    inside, release = threading.Event(), threading.Event()
    seen: list[list[str]] = []

    def hold() -> None:
        with first.begin() as conn:
            conn.execute(insert(Job.__table__), job("first"))
            inside.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(10)

    def follow() -> None:
        with second.begin() as conn:  # begins once the first committed: it sees its row
            seen.append(conn.execute(select(Job.kind)).scalars().all())
            conn.execute(insert(Job.__table__), job("second"))

    follower = threading.Thread(target=follow)
    follower.start()
    follower.join(0.3)
    assert follower.is_alive()  # queued
    release.set()
    holder.join(10)
    follower.join(10)
    assert seen == [["first"]]
    for db in (first, second):
        db.engine.dispose()
