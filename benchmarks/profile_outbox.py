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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_outbox as bench
from sqlalchemy import event, text, update


def _cpu_of(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (its threads included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pg_backends(db) -> list[int]:
    with db.engine.connect() as conn:
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
        with db.transaction() as session:
            session.execute(update(Job).values(due_at=utcnow()))
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

        def statement(_conn, _cursor, sql: str, *_: object) -> None:
            counts["statements"] += 1
            if args.show_sql and len(shown) < 60:
                shown.append(" ".join(sql.split())[:200])

        event.listen(gateway.db.engine, "before_cursor_execute", statement)
        event.listen(gateway.db.engine, "commit", lambda _c: counts.update(["commits"]))
        event.listen(gateway.db.engine, "rollback", lambda _c: counts.update(["rollbacks"]))
        event.listen(gateway.db.engine.pool, "checkout", lambda *_: counts.update(["checkouts"]))
        dialect = gateway.db.engine.dialect
        ping = dialect.do_ping

        def counted_ping(dbapi_connection) -> bool:
            counts["pings"] += 1
            return ping(dbapi_connection)

        dialect.do_ping = counted_ping  # the pool's pings are round trips the statement count misses

        profiles: list[cProfile.Profile] = []
        local = threading.local()

        class ProfiledWorker(Worker):
            def _run_in_pool(self, job):
                if not args.no_profile and not hasattr(local, "profile"):
                    local.profile = cProfile.Profile(time.thread_time)
                    profiles.append(local.profile)
                    local.profile.enable()
                return super()._run_in_pool(job)

        worker = ProfiledWorker(gateway, poll_interval=0.2)
        pg_before: dict[int, float] = {}

        def finished() -> bool:
            with gateway.db.engine.connect() as conn:
                return conn.execute(text("SELECT count(*) FROM jobs WHERE state <> 'done'")).scalar() == 0

        main_profile = cProfile.Profile(time.thread_time)
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        receiver_before = _cpu_of(receiver.process.pid)
        started = time.perf_counter()
        thread = threading.Thread(target=lambda: (main_profile.enable() if not args.no_profile else None, worker.run()))
        thread.start()
        while not finished():
            if url.startswith("postgresql"):
                for pid in _pg_backends(gateway.db):  # new backends start at 0 (they did not exist before)
                    pg_before.setdefault(pid, 0.0)
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        receiver_cpu = _cpu_of(receiver.process.pid) - receiver_before
        pg_cpu = 0.0
        if url.startswith("postgresql"):
            for pid in set(pg_before) | set(_pg_backends(gateway.db)):
                with contextlib.suppress(FileNotFoundError):
                    pg_cpu += _cpu_of(pid) - pg_before.get(pid, 0.0)
        worker.stop()
        thread.join()
        for profile in profiles:
            profile.disable()
        own = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
        n = args.jobs
        where = url.split(":")[0]
        print(f"{n} {args.kind} jobs, receiver {args.latency:g} ms, {where}: {elapsed:.2f} s, {n / elapsed:.0f} jobs/s")
        print(f"CPU per job: worker {own / n * 1000:.2f} ms, receiver {receiver_cpu / n * 1000:.2f} ms", end="")
        print(f", PostgreSQL backends {pg_cpu / n * 1000:.2f} ms" if url.startswith("postgresql") else "")
        print("per job: " + ", ".join(f"{key} {value / n:.2f}" for key, value in sorted(counts.items())))
        if shown:
            print("\n".join(["the first statements:", *shown]))
        if not args.no_profile:
            out = io.StringIO()
            stats = pstats.Stats(main_profile, stream=out)
            for profile in profiles:
                stats.add(profile)
            stats.sort_stats(args.sort).print_stats(args.top)
            if args.callers:
                stats.print_callers(args.callers)
            print(out.getvalue())
        gateway.db.engine.dispose()


if __name__ == "__main__":
    main()
