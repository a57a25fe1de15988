"""What one feedback attempt reads of its delivery: one SELECT on the driver's cursor, no transaction.

Through SQLAlchemy's Core execution (the compiled-cache lookup, execution context, result
processing, a BEGIN before the SELECT and a ROLLBACK as the connection goes back to the pool)
the read cost three to four times the query, on every job. It runs as a
:class:`~smshooks.store.driver.DriverStatement` (compiled once per dialect, the columns' own
processors, the engine's cursor events, driver errors raised as SQLAlchemy's) and outside a
transaction on a connection kept for such reads (:func:`~smshooks.store.driver.kept_reader`), so
neither a BEGIN nor a ROLLBACK goes to the server, nor a checkout through the pool.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Engine, bindparam, select

from smshooks.store.driver import DriverStatement, kept_reader
from smshooks.store.tables import FeedbackDelivery

_deliveries = FeedbackDelivery.__table__


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


_COLUMNS = [
    _deliveries.c.id,
    _deliveries.c.org,
    _deliveries.c.sandbox,
    _deliveries.c.state,
    _deliveries.c.feedback_webhook_id,
    _deliveries.c.event_type,
    _deliveries.c.message_id,
    _deliveries.c.payload,
    _deliveries.c.last_error,
]
_READ = DriverStatement(
    select(*_COLUMNS).where(_deliveries.c.id == bindparam("delivery_id")), ["delivery_id"], _COLUMNS
)


class DeliveryReader:
    """Reads deliveries through ``engine``'s kept read connections."""

    def __init__(self, engine: Engine):
        self._engine = engine

    def read(self, delivery_id: str) -> StoredDelivery | None:
        """The delivery ``delivery_id``, None when there is none."""
        with kept_reader(self._engine) as conn:
            row = _READ.first(conn, {"delivery_id": delivery_id})
        return None if row is None else StoredDelivery(*row)
