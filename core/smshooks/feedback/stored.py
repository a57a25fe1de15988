"""What one feedback attempt reads of its delivery: one SELECT on a pooled driver connection.

Through SQLAlchemy's Core execution (a Connection, the compiled-cache lookup, the execution
context, result processing, a transaction around the SELECT and the ROLLBACK as the connection
goes back to the pool) the read cost four times the query itself, on every job. Here the
statement is compiled once per engine into the driver's own paramstyle and runs outside a
transaction: SQLite's driver connections are in autocommit mode already (``store.db`` begins
transactions itself), PostgreSQL's is switched to it for the one statement, so neither a BEGIN
nor a ROLLBACK goes to the server. A read that fails invalidates its connection, as SQLAlchemy
would for a broken one, rather than give it back to the pool.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from sqlalchemy import Engine, bindparam, select

from smshooks.store.tables import FeedbackDelivery

_deliveries = FeedbackDelivery.__table__
_READ = select(
    _deliveries.c.id,
    _deliveries.c.org,
    _deliveries.c.sandbox,
    _deliveries.c.state,
    _deliveries.c.feedback_webhook_id,
    _deliveries.c.event_type,
    _deliveries.c.message_id,
    _deliveries.c.payload,
    _deliveries.c.last_error,
).where(_deliveries.c.id == bindparam("delivery_id"))


class StoredDelivery(NamedTuple):
    """A delivery's row, as the attempt needs it."""

    id: str
    org: str
    sandbox: str
    state: str
    feedback_webhook_id: str
    event_type: str
    message_id: str | None
    payload: dict[str, Any]
    last_error: str | None


class DeliveryReader:
    """Reads deliveries through ``engine``'s pool (one per worker thread, or shared: it keeps no connection)."""

    def __init__(self, engine: Engine):
        compiled = _READ.compile(dialect=engine.dialect)
        self._engine = engine
        self._sql = str(compiled)
        self._positional = compiled.positional
        self._switch_autocommit = engine.dialect.name == "postgresql"

    def read(self, delivery_id: str) -> StoredDelivery | None:
        """The delivery ``delivery_id``, None when there is none."""
        params: Any = (delivery_id,) if self._positional else {"delivery_id": delivery_id}
        pooled = self._engine.raw_connection()
        try:
            driver: Any = pooled.driver_connection
            if self._switch_autocommit:
                driver.autocommit = True
            try:
                cursor = driver.execute(self._sql, params)
                row = cursor.fetchone()
                cursor.close()
            finally:
                if self._switch_autocommit:
                    driver.autocommit = False
        except Exception:
            pooled.invalidate()
            raise
        finally:
            pooled.close()
        if row is None:
            return None
        stored = StoredDelivery(*row)
        if isinstance(stored.payload, str | bytes):  # SQLite keeps JSON as text; psycopg decodes it
            stored = stored._replace(payload=json.loads(stored.payload))
        return stored
