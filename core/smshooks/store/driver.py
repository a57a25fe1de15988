"""The vendor path's hottest statements, run straight on the driver's cursor.

SQLAlchemy's execution of a small prebuilt statement (its compiled-cache lookup, execution context,
parameter processing and result object) costs about as much CPU as the database's own work on it;
an inbound message runs three to six of them. A :class:`DriverStatement` is compiled once per
dialect by SQLAlchemy, its values processed by the column types' own bind processors and its rows
by their result processors, and run on the DBAPI cursor of the caller's connection, in its
transaction: the same SQL and the same values reach the driver as through ``Connection.execute``.
What SQLAlchemy does around it is kept: the engine's ``before_cursor_execute`` and
``after_cursor_execute`` listeners are called (with a stand-in for the execution context), a driver
error is raised as SQLAlchemy's (``OperationalError`` -> 503, ``.orig.sqlstate`` for the deadlock
retry), and a connection the error shows is gone is invalidated, so the pool does not hand it out again.

A statement that needs values SQLAlchemy would compute (a Python-side column default for a column
not given) runs through ``Connection.execute`` as before.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Column, Connection, Engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable


@dataclass(frozen=True)
class _Compiled:
    sql: str
    #: bind names in the order the driver takes them (positional), or the names of a named paramstyle
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    positional: bool
    #: False when SQLAlchemy must run it (defaults to compute): Connection.execute then
    direct: bool
    #: (index, result processor) of the columns rows carry that have one (a timestamp, JSON): only
    #: those are processed
    processed: tuple[tuple[int, Callable[[Any], Any]], ...]


class DriverStatement:
    """``statement`` compiled for the parameter names ``keys`` (an INSERT's or UPDATE's columns and
    the bind parameters), returning rows of ``columns`` (its RETURNING or SELECT list) if any."""

    __slots__ = ("_by_dialect", "columns", "keys", "statement")

    def __init__(self, statement: Executable, keys: Sequence[str], columns: Sequence[Column] = ()) -> None:
        self.statement = statement
        self.keys = tuple(keys)
        self.columns = tuple(columns)
        self._by_dialect: dict[str, _Compiled] = {}

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run the statement with ``params`` (every key of ``keys``) in ``conn``'s transaction; its rows."""
        dialect = conn.dialect
        compiled = self._by_dialect.get(dialect.name) or self._compile(conn)
        if not compiled.direct:
            result = conn.execute(self.statement, dict(params))
            return [tuple(row) for row in result] if self.columns else []
        values = [params[name] for name in compiled.names]
        for index, process in enumerate(compiled.processors):
            if process is not None:
                values[index] = process(values[index])
        driver_params: Any = tuple(values) if compiled.positional else dict(zip(compiled.names, values, strict=True))
        fetched = _run(conn, compiled.sql, driver_params, fetch=bool(self.columns))
        processed = compiled.processed
        if not processed:
            return fetched
        rows = []
        for row in fetched:  # only the columns that need it (a timestamp, JSON), the others as fetched
            values = list(row)
            for index, process in processed:
                values[index] = process(values[index])
            rows.append(tuple(values))
        return rows

    def first(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        found = self.rows(conn, params)
        return found[0] if found else None

    def _compile(self, conn: Connection) -> _Compiled:
        dialect = conn.dialect
        compiled = self.statement.compile(dialect=dialect, column_keys=list(self.keys))
        needs_defaults = bool(getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None))
        positional = bool(dialect.positional)
        names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
        direct = not needs_defaults and set(names) <= set(self.keys)
        binds = compiled.binds
        processors = tuple(binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names)
        results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None) for column in self.columns)
        processed = tuple((index, process) for index, process in enumerate(results) if process is not None)
        made = _Compiled(compiled.string, names, processors, positional, direct, processed)
        self._by_dialect[dialect.name] = made
        return made


def _run(conn: Connection, sql: str, params: Any, *, fetch: bool) -> list[tuple[Any, ...]]:
    """Execute on the DBAPI cursor of ``conn``, as SQLAlchemy's execution would around it."""
    dbapi_connection = conn.connection.dbapi_connection
    cursor = dbapi_connection.cursor()
    events = conn._has_events or conn.engine._has_events  # what Connection's own execution checks
    context = SimpleNamespace(executemany=False, statement=sql, parameters=params) if events else None
    try:
        if events:
            for listener in conn.dispatch.before_cursor_execute:
                sql, params = listener(conn, cursor, sql, params, context, False)
        cursor.execute(sql, params)
        rows = cursor.fetchall() if fetch else []
        if events:
            for listener in conn.dispatch.after_cursor_execute:
                listener(conn, cursor, sql, params, context, False)
        return rows
    except conn.dialect.loaded_dbapi.Error as error:
        gone = conn.dialect.is_disconnect(error, dbapi_connection, cursor)
        if gone:
            conn.invalidate(error)
        raise DBAPIError.instance(
            sql, params, error, conn.dialect.loaded_dbapi.Error, connection_invalidated=gone, dialect=conn.dialect
        ) from error
    finally:
        cursor.close()


@contextmanager
def outside_transaction(engine: Engine) -> Iterator[Connection]:
    """A pooled connection for a read that needs no transaction: each statement on it runs alone, in
    its own snapshot, and neither a BEGIN nor a ROLLBACK goes to the server around it.

    SQLite's driver connections are in autocommit mode already (:mod:`smshooks.store.db` begins
    transactions itself); PostgreSQL's is switched to it for the block (:func:`autocommit`).
    Cheaper than SQLAlchemy's ``isolation_level="AUTOCOMMIT"`` execution option, which resets the
    isolation level through the dialect on every return.
    """
    with engine.connect() as conn, autocommit(conn):
        yield conn


@contextmanager
def autocommit(conn: Connection) -> Iterator[Connection]:
    """``conn``'s PostgreSQL driver connection in autocommit mode for the block, each statement its
    own transaction; switched back after, unless the block found it broken (invalidated: dropped,
    not reset). Elsewhere ``conn`` as it is. SQLAlchemy's BEGIN and COMMIT on it send nothing."""
    if conn.dialect.name != "postgresql":
        yield conn
        return
    driver: Any = conn.connection.driver_connection
    driver.autocommit = True
    try:
        yield conn
    finally:
        if not conn.invalidated:
            driver.autocommit = False


class _KeptReaders:
    """Connections kept checked out of ``engine``'s pool for :func:`kept_reader` (at most ``keep`` idle),
    closed (back to the pool, out of autocommit) when the engine is disposed."""

    def __init__(self, engine: Engine, keep: int):
        self.keep = keep
        #: (connection, when it was last returned), the latest last
        self.idle: list[tuple[Connection, float]] = []
        self.lock = threading.Lock()
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def take(self) -> tuple[Connection, float] | None:
        """The connection returned last and the seconds it rested, if one is kept."""
        with self.lock:
            if not self.idle:
                return None
            conn, returned = self.idle.pop()
        return conn, time.monotonic() - returned

    def keep_idle(self, conn: Connection) -> bool:
        with self.lock:
            if len(self.idle) < self.keep:
                self.idle.append((conn, time.monotonic()))
                return True
        return False

    def close(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for conn, _ in idle:
            _give_back(conn)


#: seconds a server connection may rest before it is pinged before use: on checkout from the pool
#: (:mod:`smshooks.store.db`), and a kept one (:func:`kept_reader`, the claiming loop's)
PING_AFTER_IDLE = 1.0
_kept: weakref.WeakKeyDictionary[Engine, _KeptReaders] = weakref.WeakKeyDictionary()
_kept_lock = threading.Lock()


def _keep_for(engine: Engine) -> int:
    """A quarter of the pool (one at least): the pool's other users keep the rest."""
    size = getattr(engine.pool, "size", None)
    return max(1, size() // 4) if callable(size) else 1


@contextmanager
def kept_reader(engine: Engine) -> Iterator[Connection]:
    """As :func:`outside_transaction`, on a connection kept out of the pool between reads (up to a
    quarter of the pool idle): the checkout, the return and the autocommit switch are paid once per
    connection, not per read (one that rested over :data:`PING_AFTER_IDLE` is pinged first, as the pool
    pings, and replaced if it does not answer). A connection the block found broken is dropped (the
    next read gets a fresh one); a transaction begun on it through ``Connection.execute`` is rolled back, not kept open
    (on SQLite it would hold the snapshot the next reads see)."""
    readers = _kept.get(engine)
    if readers is None:
        with _kept_lock:
            readers = _kept.get(engine) or _kept.setdefault(engine, _KeptReaders(engine, _keep_for(engine)))
    taken = readers.take()
    conn = taken[0] if taken is not None else None
    if taken is not None and taken[1] > PING_AFTER_IDLE and not answers(taken[0]):
        taken[0].invalidate()  # gone while it rested (the server restarted, dropped idle connections)
        taken[0].close()
        conn = None
    if conn is None:
        conn = engine.connect()
        if conn.dialect.name == "postgresql":
            conn.connection.driver_connection.autocommit = True
    kept = False
    try:
        yield conn
        if conn.in_transaction():
            conn.rollback()
        kept = not conn.invalidated and readers.keep_idle(conn)
    finally:
        if not kept:
            _give_back(conn)


def answers(conn: Connection) -> bool:
    """Whether a connection that rested still answers the dialect's ping (the pool's)."""
    try:
        conn.dialect.do_ping(conn.connection.dbapi_connection)
    except Exception:
        return False
    return True


def _give_back(conn: Connection) -> None:
    if not conn.invalidated and not conn.closed and conn.dialect.name == "postgresql":
        conn.connection.driver_connection.autocommit = False
    conn.close()
