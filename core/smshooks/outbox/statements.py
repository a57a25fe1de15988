"""The worker's statements on the jobs table, written once per dialect.

A worker runs these many times a second: each is one prebuilt statement whose SQL
never changes (SQLAlchemy compiles it once; PostgreSQL gets the same text every time,
so psycopg prepares it on the server after a few runs), and a set of ids or lanes goes
in as one parameter — a PostgreSQL array, a JSON list on SQLite — not as one bind
per element (an ``IN`` list of 100 held ids was most of a claim's CPU).

A claim round is one statement: it picks the oldest due jobs, at most a lane's room
of each lane (``row_number()`` over the lane), marks them running and returns them.
On PostgreSQL the candidates are locked ``FOR UPDATE SKIP LOCKED``, so concurrent
claimers take different jobs, and due pending jobs and expired leases are read by two
index scans that stop at the window (``ix_jobs_due`` in (due_at, id) order, ``ix_jobs_lease``):
a backlog is not read whole and sorted per claim. That plan needs the claiming loop's
connection (:mod:`smshooks.outbox.connection`): a backlog enqueued since the table was last
analysed looks like one row to the planner, which then reads every due row by bitmap and
sorts them (1.3-7.7 ms per claim at a 3,000-job backlog, against 0.04-0.2 ms).
On SQLite the transaction holds the write lock from its BEGIN
(IMMEDIATE), so what it reads is what it updates.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Integer, String, TextClause, bindparam, text

from smshooks.store.member_of import encode_list
from smshooks.store.tables import Job

PENDING, RUNNING, DONE, DEAD = "pending", "running", "done", "dead"

_c = Job.__table__.c
_TIME = _c.due_at.type
#: what a claim returns of each job
_CLAIMED = (_c.id, _c.kind, _c.org, _c.sandbox, _c.payload, _c.attempts, _c.max_attempts, _c.request_id, _c.due_at)


class Attempt(Protocol):
    """One attempt at a job (a :class:`smshooks.outbox.jobs.ClaimedJob`)."""

    @property
    def id(self) -> int: ...
    @property
    def attempts(self) -> int: ...
    @property
    def worker(self) -> str: ...


def lane_key(kind: str, org: str, sandbox: str) -> str:
    """A lane as one string, as the statements compute it from a row (unit separators between)."""
    return f"{kind}\x1f{org}\x1f{sandbox}"


class _Dialect:
    """How one dialect spells a list parameter and a lane; the statements are built from these."""

    name: str
    lane = "kind || char(31) || org || char(31) || sandbox"

    def member(self, expression: str, param: str, cast: str) -> str:
        """``expression`` is one of the values of list parameter ``param`` (of SQL type ``cast``)."""
        raise NotImplementedError

    def not_member(self, expression: str, param: str, cast: str) -> str:
        """``expression`` is none of the values of list parameter ``param`` (of SQL type ``cast``)."""
        raise NotImplementedError

    def pairs(self, param: str) -> str:
        """A table ``(lane, room)`` of mapping parameter ``param``."""
        raise NotImplementedError

    def attempts(self, param: str) -> str:
        """A table ``(id, attempts, worker)`` of the attempts parameter ``param``."""
        raise NotImplementedError

    def encode_list(self, values: Iterable[Any]) -> Any:
        return encode_list(self.name, values)

    def encode_rooms(self, rooms: Mapping[str, int]) -> Any:
        raise NotImplementedError

    def encode_attempts(self, attempts: Collection[Attempt]) -> Any:
        raise NotImplementedError

    lock = ""
    #: the claim's two scans each stop at the window (SQLite reads a union of subqueries)
    union_branch = "SELECT * FROM ({select})"


class _Postgres(_Dialect):
    name = "postgresql"
    lane = "kind || chr(31) || org || chr(31) || sandbox"
    lock = " FOR UPDATE SKIP LOCKED"
    union_branch = "{select}"

    # Array operators, not IN (SELECT unnest(...)): a filter on the index scan that keeps its
    # order, where a subquery made the scan a join
    def member(self, expression: str, param: str, cast: str) -> str:
        return f"{expression} = ANY(CAST(:{param} AS {cast}[]))"

    def not_member(self, expression: str, param: str, cast: str) -> str:
        return f"{expression} <> ALL(CAST(:{param} AS {cast}[]))"

    def pairs(self, param: str) -> str:
        return f"unnest(CAST(:{param}_lanes AS text[]), CAST(:{param}_rooms AS int[])) AS r(lane, room)"

    def attempts(self, param: str) -> str:
        return (
            f"unnest(CAST(:{param}_ids AS int[]), CAST(:{param}_attempts AS int[]), "
            f"CAST(:{param}_workers AS text[])) AS d(id, attempts, worker)"
        )

    def encode_rooms(self, rooms: Mapping[str, int]) -> Any:
        return {"lanes": list(rooms), "rooms": list(rooms.values())}

    def encode_attempts(self, attempts: Collection[Attempt]) -> Any:
        return {
            "ids": [job.id for job in attempts],
            "attempts": [job.attempts for job in attempts],
            "workers": [job.worker for job in attempts],
        }


class _SQLite(_Dialect):
    name = "sqlite"

    def member(self, expression: str, param: str, cast: str) -> str:
        return f"{expression} IN (SELECT value FROM json_each(:{param}))"

    def not_member(self, expression: str, param: str, cast: str) -> str:
        return f"{expression} NOT IN (SELECT value FROM json_each(:{param}))"

    def pairs(self, param: str) -> str:
        return f"(SELECT key AS lane, value AS room FROM json_each(:{param})) AS r"

    def attempts(self, param: str) -> str:
        return (
            "(SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS attempts,"
            f" json_extract(value, '$[2]') AS worker FROM json_each(:{param})) AS d"
        )

    def encode_rooms(self, rooms: Mapping[str, int]) -> Any:
        return json.dumps(dict(rooms))

    def encode_attempts(self, attempts: Collection[Attempt]) -> Any:
        return json.dumps([[job.id, job.attempts, job.worker] for job in attempts])


def _params(prefix: str, encoded: Any) -> dict[str, Any]:
    """Bind parameters of an encoded mapping or table (PostgreSQL: one array per column)."""
    if isinstance(encoded, dict):
        return {f"{prefix}_{key}": value for key, value in encoded.items()}
    return {prefix: encoded}


class Statements:
    """The prebuilt statements of one dialect."""

    def __init__(self, dialect: _Dialect):
        self.dialect = d = dialect
        times = [bindparam(name, type_=_TIME) for name in ("now", "lease_until")]
        lane = d.lane
        filters = (
            f" AND {d.member('kind', 'kinds', 'text')} AND {d.not_member('id', 'exclude', 'int')}"
            f" AND {d.not_member(f'({lane})', 'full', 'text')}"
            f" AND (:only_known = 0 OR {d.member(f'({lane})', 'known', 'text')})"
        )
        scan = (
            "SELECT id, due_at, {lane} AS lane FROM jobs WHERE {due}{filters} ORDER BY due_at, id LIMIT :window{lock}"
        )
        pending = scan.format(lane=lane, due="state = 'pending' AND due_at <= :now", filters=filters, lock=d.lock)
        expired = scan.format(
            lane=lane, due="state = 'running' AND lease_expires_at < :now", filters=filters, lock=d.lock
        )
        if d.name == "postgresql":  # FOR UPDATE is not allowed in a UNION: each scan in a CTE of its own
            scans = f"pending AS MATERIALIZED ({pending}), expired AS MATERIALIZED ({expired}), "
            union = "SELECT * FROM pending UNION ALL SELECT * FROM expired"
        else:
            scans = ""
            union = f"SELECT * FROM ({pending}) UNION ALL SELECT * FROM ({expired})"
        chosen = (
            f"WITH {scans}candidates AS ({union} ORDER BY due_at, id LIMIT :window), "
            "ranked AS (SELECT c.id, c.due_at, row_number() OVER (PARTITION BY c.lane ORDER BY c.due_at, c.id) AS n,"
            f" COALESCE(r.room, :new_lane_room) AS room FROM candidates AS c LEFT JOIN {d.pairs('rooms')}"
            " ON r.lane = c.lane), "
            "chosen AS (SELECT id FROM ranked WHERE n <= room ORDER BY due_at, id LIMIT :limit) "
        )
        running = (
            "UPDATE jobs SET state = 'running', attempts = jobs.attempts + 1, lease_expires_at = :lease_until,"
            " worker = :worker, updated_at = :now"
        )
        returning = " RETURNING " + ", ".join(f"jobs.{column.name}" for column in _CLAIMED)
        if d.name == "postgresql":
            claim = chosen + running + " FROM chosen WHERE jobs.id = chosen.id" + returning
        else:
            claim = chosen + running + " WHERE id IN (SELECT id FROM chosen)" + returning
        #: one claim round: see :meth:`claim`
        self.claim_sql: TextClause = (
            text(claim)
            .bindparams(*times, bindparam("worker", type_=String()), bindparam("window", type_=Integer()))
            .columns(*_CLAIMED)
        )  # type: ignore[assignment]
        # the rows of these attempts: the job, still held by the same worker at the same attempt
        held = (
            f" FROM {d.attempts('held')} WHERE jobs.id = d.id AND jobs.attempts = d.attempts"
            " AND jobs.worker = d.worker AND jobs.state = 'running'"
        )
        #: attempts that succeeded: done
        self.mark_done = text(
            f"UPDATE jobs SET state = 'done', lease_expires_at = NULL, updated_at = :now{held}"
        ).bindparams(times[0])
        #: the leases of running attempts, extended; returns the ids still theirs
        self.renew = (
            text(f"UPDATE jobs SET lease_expires_at = :lease_until{held} RETURNING jobs.id")
            .bindparams(times[1])
            .columns(_c.id)
        )
        #: claimed attempts that never started: due again at once, their attempt not counted
        self.release = text(
            "UPDATE jobs SET state = 'pending', attempts = jobs.attempts - 1, due_at = :now, lease_expires_at = NULL,"
            f" worker = NULL, updated_at = :now{held}"
        ).bindparams(times[0])
        #: one attempt's end: dead, or pending again at ``due_at`` (NULL: unchanged)
        self.finish = text(
            "UPDATE jobs SET state = :state, due_at = COALESCE(:due_at, jobs.due_at), last_error = :error,"
            f" lease_expires_at = NULL, updated_at = :now{held}"
        ).bindparams(times[0], bindparam("due_at", type_=_TIME))
        #: when the next job of ``kinds`` is due: a pending one's time and a running one's lease end
        self.next_due = text(
            f"SELECT (SELECT min(due_at) FROM jobs WHERE state = 'pending' AND {d.member('kind', 'kinds', 'text')}),"
            " (SELECT min(lease_expires_at) FROM jobs WHERE state = 'running'"
            f" AND {d.member('kind', 'kinds', 'text')})"
        ).columns(_c.due_at, _c.lease_expires_at)

    def claim(
        self,
        conn: Connection,
        *,
        worker: str,
        kinds: Collection[str],
        now: datetime,
        lease_until: datetime,
        limit: int,
        window: int,
        new_lane_room: int,
        rooms: Mapping[str, int],
        full: Collection[str],
        exclude: Collection[int],
        known: Collection[str] | None,
    ) -> list[Any]:
        """One claim round: up to ``limit`` of the oldest ``window`` due jobs of ``kinds`` outside
        ``exclude`` and the ``full`` lanes (with ``known``, of those lanes alone), at most a lane's
        ``rooms`` (else ``new_lane_room``) of each, marked running for ``worker``; their rows."""
        d = self.dialect
        params = {
            "worker": worker,
            "now": now,
            "lease_until": lease_until,
            "limit": limit,
            "window": window,
            "new_lane_room": new_lane_room,
            "kinds": d.encode_list(kinds),
            "exclude": d.encode_list(exclude),
            "full": d.encode_list(full),
            "only_known": 0 if known is None else 1,
            "known": d.encode_list(known or ()),
            **_params("rooms", d.encode_rooms(rooms)),
        }
        return conn.execute(self.claim_sql, params).all()

    def attempts(self, attempts: Collection[Attempt], **params: Any) -> dict[str, Any]:
        """The parameters of a statement on ``attempts`` (each: its id, attempt and worker)."""
        return {**params, **_params("held", self.dialect.encode_attempts(attempts))}


_STATEMENTS = {dialect.name: Statements(dialect) for dialect in (_Postgres(), _SQLite())}


def statements(conn: Connection) -> Statements:
    """The statements of ``conn``'s dialect."""
    return _STATEMENTS[conn.dialect.name]
