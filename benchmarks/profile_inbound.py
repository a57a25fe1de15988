"""Profile the vendor-facing path in process: signed Twilio inbound POSTs straight into the WSGI app.

    python benchmarks/profile_inbound.py [--requests 3000] [--database sqlite|URL] [--top 30]
                                         [--sort cumulative|tottime] [--show-sql] [--no-profile]
                                         [--no-baseline]

The requests are bench_inbound.py's mix (STOP, yes, HELP, typos, free text from 5,000 subscribers), each
signed, built as WSGI environs before the clock starts and handed to the app the way a server does (no test
client). It prints, for the bare Flask app of bench_inbound.py (form parse, HMAC, one durable insert) and
for smshooks (a Twilio inbound webhook, inline replies), the CPU per request of this process (``getrusage``:
user + system; with PostgreSQL also that of the server's backends, from /proc), then smshooks' SQL
statements per request and a cProfile of a second batch. A tool to find where the CPU goes;
bench_inbound.py measures the served throughput.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_inbound as bench
from smshooks_twilio.signature import compute_signature
from sqlalchemy import event
from sqlalchemy.pool import NullPool
from werkzeug.test import EnvironBuilder

from smshooks.apikeys import create_api_key
from smshooks.settings import Settings
from smshooks.web import processes
from smshooks.web.app import create_app

PUBLIC_URL = "https://sms.example.test"


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def environs(path: str, count: int, seed: int, prefix: str) -> list[dict[str, Any]]:
    """``count`` distinct signed Twilio inbound POSTs to ``path`` as WSGI environs (bench_inbound.py's mix)."""
    rng = random.Random(seed)
    kinds = list(bench.WEIGHTS)
    weights = [bench.WEIGHTS[k] for k in kinds]
    url = PUBLIC_URL + path
    built = []
    for number in range(count):
        sid = f"SM{prefix}{number:028d}"[:34]
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": bench.ACCOUNT_SID,
            "From": f"+1415{rng.randrange(5000):07d}",
            "To": bench.OUR_NUMBER,
            "Body": rng.choice(bench.TEXTS[rng.choices(kinds, weights)[0]]),
            "NumMedia": "0",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
        }
        builder = EnvironBuilder(
            path=path,
            method="POST",
            base_url="http://127.0.0.1:8000",
            data=urlencode(params),
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": compute_signature(url, params, bench.AUTH_TOKEN)},
        )
        environ = builder.get_environ()
        environ["bench.body"] = environ["wsgi.input"].read()
        built.append(environ)
    return built


def run(app: Callable, batch: list[dict[str, Any]], on_request: Callable[[], None] | None = None) -> None:
    statuses: list[str] = []

    def start_response(status: str, _headers: Any, _exc_info: Any = None) -> None:
        statuses.append(status)

    for environ in batch:
        environ["wsgi.input"] = io.BytesIO(environ["bench.body"])
        if on_request is not None:
            on_request()
        body = app(environ, start_response)
        for _chunk in body:
            pass
        if hasattr(body, "close"):
            body.close()
        assert statuses[-1].startswith("200"), statuses[-1]


def measure(app: Callable, batch: list[dict[str, Any]], url: str) -> tuple[float, float]:
    """CPU seconds per request of ``batch``: of this process (user + system), and of the PostgreSQL
    backends serving its database (0 on SQLite)."""
    backends = _backend_cpu(url)
    started = cpu_seconds()
    run(app, batch)
    ours = (cpu_seconds() - started) / len(batch)
    after = _backend_cpu(url)
    server = sum(seconds - backends.get(pid, 0.0) for pid, seconds in after.items())  # new ones from 0
    return ours, server / len(batch)


def _backend_cpu(url: str) -> dict[int, float]:
    """User + system CPU seconds of each PostgreSQL backend connected to ``url``'s database."""
    if not url.startswith("postgresql"):
        return {}
    from sqlalchemy import create_engine, text

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            pids = conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            ).scalars()
            found = {}
            for pid in pids:
                with contextlib.suppress(FileNotFoundError):
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            return found
    finally:
        engine.dispose()


@contextlib.contextmanager
def database(kind: str, directory: Path, name: str) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{directory / name}"
        return
    from smshooks.testing import databases

    os.environ[databases.POSTGRES_ENV] = kind
    with databases.postgres_database() as url:
        yield url


def smshooks_app(url: str) -> tuple[Any, str]:
    settings = Settings(database_url=url, secret_key="p" * 32, public_url=PUBLIC_URL)
    app = create_app(settings)
    client = app.test_client()
    key = create_api_key(app.extensions["smshooks"].db, org="profile", name="profile")
    auth = {"Authorization": f"Bearer {key}"}
    credential = {"name": "tw", "vendor": "twilio", "account_sid": bench.ACCOUNT_SID, "auth_token": bench.AUTH_TOKEN}
    cred = client.post("/api/v1/credentials", json=credential, headers=auth).json
    hook = client.post(
        "/api/v1/webhooks",
        json={"name": "in", "vendor": "twilio", "type": "inbound", "credentials_id": cred["id"]},
        headers=auth,
    ).json
    return app, hook["url"].removeprefix(PUBLIC_URL)


def baseline_app(url: str) -> Any:
    bench.create_baseline_table(url)
    os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_PUBLIC_URL"] = url, PUBLIC_URL
    return bench.baseline_app()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (tottime: own time)")
    parser.add_argument("--callers", help="print the callers of functions matching this")
    parser.add_argument("--show-sql", action="store_true", help="print the statements of the last request")
    parser.add_argument("--no-profile", action="store_true", help="only the CPU per request, no cProfile run")
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare Flask app")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    with contextlib.ExitStack() as stack:
        results = {}
        if not args.no_baseline:
            url = stack.enter_context(database(args.database, tmp, "baseline.db"))
            app = baseline_app(url)
            run(app, environs("/hooks/bench", 300, seed=1, prefix="0b"))  # warm-up
            results["baseline"] = measure(app, environs("/hooks/bench", args.requests, seed=2, prefix="1b"), url)
        url = stack.enter_context(database(args.database, tmp, "smshooks.db"))
        app, path = smshooks_app(url)
        db = app.extensions["smshooks"].db
        run(app, environs(path, 300, seed=1, prefix="0s"))  # warm-up: caches, pools, the word list
        freeze = getattr(processes, "freeze_startup_objects", None)
        if freeze is not None:  # as `smshooks serve` does once the app is built
            freeze()
        results["smshooks"] = measure(app, environs(path, args.requests, seed=2, prefix="1s"), url)
        for target, (ours, server) in results.items():
            line = f"{target:8} {ours * 1000:6.3f} ms CPU per request ({args.requests} requests, {args.database})"
            if args.database != "sqlite":
                line += f"; the PostgreSQL backends {server * 1000:.3f} ms, together {(ours + server) * 1000:.3f} ms"
            print(line)
        if "baseline" in results:
            ours, base = results["smshooks"], results["baseline"]
            print(f"smshooks / baseline CPU per request: {ours[0] / base[0]:.2f}", end="")
            print(f" (with the PostgreSQL backends {sum(ours) / sum(base):.2f})" if args.database != "sqlite" else "")
        if args.no_profile:
            return

        statements = 0
        last: list[str] = []

        def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            nonlocal statements
            statements += 1
            last.append(" ".join(statement.split())[:160])

        batch = environs(path, args.requests, seed=3, prefix="2s")
        event.listen(db.engine, "before_cursor_execute", count)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        run(app, batch, on_request=last.clear)
        profiler.disable()
        elapsed = time.perf_counter() - started
        print(f"{args.requests} requests in {elapsed:.2f} s under the profiler: {args.requests / elapsed:.0f} req/s")
        print(f"SQL statements per request: {statements / args.requests:.2f}")
        if args.show_sql:
            print("\n".join(["the last request's statements:", *last]))
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
        stats.print_stats(args.top)
        if args.callers:
            stats.print_callers(args.callers)
        print(out.getvalue())


if __name__ == "__main__":
    main()
