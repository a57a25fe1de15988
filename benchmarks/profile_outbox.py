"""Profile one outbox worker in process: where its CPU goes per job, and what it asks of the database.

    python benchmarks/profile_outbox.py [--jobs 2000] [--kind feedback|sms] [--latency 0] [--database sqlite|URL]
                                        [--top 30] [--no-profile] [--show-sql]

The jobs are written as ``bench_outbox.py`` writes them, then one :class:`Worker` (the defaults of
``smshooks worker``) runs them against the same receiver (its own process). It prints jobs/s, the CPU
seconds per job of this process (``getrusage``: user + system), of the PostgreSQL backends serving it
(``/proc/<pid>/stat``) and of the receiver, SQL statements, commits and connection checkouts per job, and
a cProfile of every worker thread together (cumulative). A tool to find the cost before cutting it;
``bench_outbox.py`` measures the served throughput.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_outbox as bench
from sqlalchemy import event, select, text, update
from sqlalchemy.pool import StaticPool


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pg_backends(engine) -> list[int]:
    """The other backends of the database ``engine`` is connected to (the worker's)."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            ).scalars()
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--kind", default="feedback", choices=["feedback", "sms"])
    parser.add_argument("--latency", type=float, default=0)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (tottime: own time)")
    parser.add_argument("--callers", help="print the callers of functions matching this")
    parser.add_argument("--no-profile", action="store_true", help="time it without the profiler")
    parser.add_argument("--show-sql", action="store_true", help="print the statements of a few jobs")
    parser.add_argument("--loop-only", action="store_true", help="profile the claiming loop's thread alone")
    parser.add_argument(
        "--trickle",
        type=float,
        help="make this many jobs due per second, one transaction (and NOTIFY) each, as enqueues in another process",
    )
    args = parser.parse_args()

    from contextlib import ExitStack

    from smshooks.gateway import Gateway
    from smshooks.outbox.worker import Worker
    from smshooks.settings import Settings
    from smshooks.store.db import make_engine, upgrade
    from smshooks.store.tables import Job, utcnow
    from smshooks.testing import databases

    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="profile-outbox-")))
        if args.database == "sqlite":
            url = f"sqlite:///{directory / 'smshooks.db'}"
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
        else:
            os.environ[databases.POSTGRES_ENV] = args.database
            url = stack.enter_context(databases.postgres_database())
        backend = bench.Backend("x", url, directory / "data")
        receiver = bench.ReceiverProcess(args.latency)
        stack.callback(receiver.stop)
        app = bench.make_app(backend)
        db = app.extensions["smshooks"].db
        (bench.write_sms_jobs if args.kind == "sms" else bench.write_feedback_jobs)(app, receiver, args.jobs)
        with db.transaction() as session:  # due now, or (--trickle) parked until made due
            session.execute(update(Job).values(due_at=utcnow() + timedelta(days=1 if args.trickle else 0)))
            parked = list(session.execute(select(Job.id).order_by(Job.id)).scalars())
        db.engine.dispose()

        settings = Settings(
            data_dir=backend.data_dir,
            database_url=url,
            secret_key=bench.SECRET_KEY,
            public_url="https://sms.example.test",
            allow_private_targets=True,
        ).resolved()
        gateway = Gateway.build(settings, engine_options={"pool_size": 18, "max_overflow": 8})  # as the worker's
        counts: Counter[str] = Counter()
        shown: list[str] = []

        local = threading.local()  # .handler: this thread runs a kind's handler or record now

        def count(what: str) -> None:
            counts[("handler " if getattr(local, "handler", False) else "") + what] += 1

        def statement(_conn, _cursor, sql: str, *_: object) -> None:
            count("statements")
            if args.show_sql and len(shown) < 60:
                shown.append(
                    ("handler: " if getattr(local, "handler", False) else "outbox: ") + " ".join(sql.split())[:200]
                )

        event.listen(gateway.db.engine, "before_cursor_execute", statement)
        event.listen(gateway.db.engine, "commit", lambda _c: count("commits"))
        event.listen(gateway.db.engine, "rollback", lambda _c: count("rollbacks"))
        event.listen(gateway.db.engine.pool, "checkout", lambda *_: count("checkouts"))
        dialect = gateway.db.engine.dialect
        ping = dialect.do_ping

        def counted_ping(dbapi_connection) -> bool:
            count("pings")
            return ping(dbapi_connection)

        dialect.do_ping = counted_ping  # the pool's pings are round trips the statement count misses
        if url.startswith("postgresql"):
            # psycopg's own commands (BEGIN, COMMIT, ROLLBACK, DEALLOCATE): round trips the statement count misses
            from psycopg._connection_base import BaseConnection

            exec_command = BaseConnection._exec_command

            def counted_command(self, command, *rest, **options):
                if threading.current_thread() is threading.main_thread():  # the monitor's
                    return exec_command(self, command, *rest, **options)
                word = bytes(command if isinstance(command, bytes) else str(command).encode()).split()[0]
                count("psycopg " + word.decode().upper())
                return exec_command(self, command, *rest, **options)

            BaseConnection._exec_command = counted_command

        profiles: list[cProfile.Profile] = []
        #: thread CPU seconds spent in the kinds' handlers, in their records, and in the claiming loop
        spent: Counter[str] = Counter()

        @contextlib.contextmanager
        def in_handler(what: str):
            local.handler = True
            started = time.thread_time()
            try:
                yield
            finally:
                spent[what] += time.thread_time() - started
                local.handler = False

        class ProfiledWorker(Worker):
            def _run_in_pool(self, job):
                if not (args.no_profile or args.loop_only) and not hasattr(local, "profile"):
                    local.profile = cProfile.Profile(time.thread_time)
                    profiles.append(local.profile)
                    local.profile.enable()
                return super()._run_in_pool(job)

            def _attempt(self, context, job):
                started = time.perf_counter()
                try:
                    with in_handler("handlers"):
                        return super()._attempt(context, job)
                finally:
                    spent["in flight"] += time.perf_counter() - started

            def _recorder(self, succeeded):
                record = super()._recorder(succeeded)
                if record is None:
                    return None

                def timed(conn) -> None:
                    with in_handler("records"):
                        record(conn)

                return timed

        worker = ProfiledWorker(gateway, poll_interval=0.2)
        pg_before: dict[int, float] = {}
        # what watches for the end has an engine of its own: its statements, checkouts and backend
        # are not the worker's, and its thread's CPU is taken off the process's
        monitor = make_engine(url, poolclass=StaticPool)

        def finished() -> bool:
            with monitor.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM jobs WHERE state <> 'done'")).scalar() == 0

        monitor_pid = None
        if url.startswith("postgresql"):
            with monitor.connect() as conn:
                monitor_pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        main_profile = cProfile.Profile(time.thread_time)
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        monitor_before = time.thread_time()
        receiver_before = _cpu_of(receiver.process.pid)
        started = time.perf_counter()

        loop_clock: list[int] = []  # the claiming loop's thread CPU clock

        def run_loop() -> None:
            loop_clock.append(time.pthread_getcpuclockid(threading.get_ident()))
            if not args.no_profile:
                main_profile.enable()
            worker.run()

        def trickle(until: float) -> None:
            """Make due what ``--trickle`` owes by now, one job a transaction (PostgreSQL: NOTIFY), until then."""
            while time.perf_counter() < until:
                owed = min(n, int((time.perf_counter() - started) * args.trickle))
                while len(parked) > n - owed:
                    with monitor.begin() as conn:
                        conn.execute(update(Job).where(Job.id == parked.pop(0)).values(due_at=utcnow()))
                        if url.startswith("postgresql"):
                            conn.execute(text("NOTIFY smshooks_jobs"))
                time.sleep(0.002)

        n = args.jobs
        thread = threading.Thread(target=run_loop)
        thread.start()
        while not finished():
            if url.startswith("postgresql"):
                for pid in _pg_backends(monitor):  # new backends start at 0 (they did not exist before)
                    pg_before.setdefault(pid, 0.0)
            if args.trickle:
                trickle(time.perf_counter() + 0.05)
            else:
                time.sleep(0.05)
        elapsed = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        monitor_cpu = time.thread_time() - monitor_before
        loop_cpu = time.clock_gettime(loop_clock[0])  # the thread started after cpu_before
        receiver_cpu = _cpu_of(receiver.process.pid) - receiver_before
        pg_cpu = 0.0
        if url.startswith("postgresql"):
            for pid in (set(pg_before) | set(_pg_backends(monitor))) - {monitor_pid}:
                with contextlib.suppress(FileNotFoundError):
                    pg_cpu += _cpu_of(pid) - pg_before.get(pid, 0.0)
        worker.stop()
        thread.join()
        for profile in profiles:
            profile.disable()
        own = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime) - monitor_cpu
        handlers = spent["handlers"] + spent["records"]
        where = url.split(":")[0]
        print(
            f"{n} {args.kind} jobs, receiver {args.latency:g} ms, {where}: {elapsed:.2f} s, {n / elapsed:.0f} jobs/s,"
            f" {spent['in flight'] / elapsed:.1f} attempts in flight on average"
        )
        print(
            f"CPU per job: worker {own / n * 1000:.2f} ms (handlers and records {handlers / n * 1000:.2f} ms,"
            f" the rest {(own - handlers) / n * 1000:.2f} ms), receiver {receiver_cpu / n * 1000:.2f} ms",
            end="",
        )
        print(f", PostgreSQL backends {pg_cpu / n * 1000:.2f} ms" if url.startswith("postgresql") else "")
        loop = loop_cpu - spent["records"]
        print(
            f"  worker per job: handlers {spent['handlers'] / n * 1000:.2f} ms,"
            f" records {spent['records'] / n * 1000:.2f} ms; outside them the claiming loop {loop / n * 1000:.2f} ms,"
            f" the pool threads and the listener {(own - handlers - loop) / n * 1000:.2f} ms"
        )
        outside = sorted(key for key in counts if not key.startswith("handler "))
        inside = sorted(key for key in counts if key.startswith("handler "))
        print("per job, outbox: " + ", ".join(f"{key} {counts[key] / n:.2f}" for key in outside))
        print("per job, handlers: " + ", ".join(f"{key[8:]} {counts[key] / n:.2f}" for key in inside))
        if shown:
            print("\n".join(["the first statements:", *shown]))
        if not args.no_profile:
            out = io.StringIO()
            stats = pstats.Stats(main_profile, stream=out)
            for profile in [] if args.loop_only else profiles:
                stats.add(profile)
            stats.sort_stats(args.sort).print_stats(args.top)
            if args.callers:
                stats.print_callers(args.callers)
            print(out.getvalue())
        gateway.db.engine.dispose()
        monitor.dispose()


if __name__ == "__main__":
    main()
