"""Inbound throughput: signed Twilio inbound SMS into ``smshooks serve`` vs a bare Flask app that only stores them.

    python benchmarks/bench_inbound.py [--duration 15] [--requests 60000] [--servers 1x8,2x4]
                                       [--postgres URL] [--no-sqlite]

``wrk -t1 -c8`` (apt-get install -y wrk) runs in its own process on loopback and replays pre-generated,
distinct Twilio inbound form POSTs (STOP, yes, HELP, free text, typos, from 5,000 subscribers), each signed
with X-Twilio-Signature, through a Lua script; a run stops after ``--duration`` seconds or when the requests
run out, after a 2 s warm-up on requests of its own. The targets, under the same server settings (``NxM``:
N processes x M threads; 1xM is waitress, as ``smshooks serve``; more is gunicorn's gthread workers):

- baseline: a bare Flask app that parses the form, checks the Twilio HMAC and makes one durable insert
  (SQLite in WAL mode with smshooks' own pragmas, or PostgreSQL), answering empty TwiML;
- smshooks: ``smshooks serve --workers N --threads M`` with a Twilio inbound webhook (inline replies).

Each database is fresh: SQLite files in a temporary directory, PostgreSQL throw-away databases on the
server of ``--postgres`` (else SMSHOOKS_TEST_POSTGRES_URL). Each target runs ``--rounds`` times (default 2), the
order alternating between rounds, and its best run counts. Prints req/s and p99 latency, smshooks'
ratios to the baseline measured in the same run, and issue 10's bars. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))  # runnable from a checkout without install

import requests

HERE = Path(__file__).resolve().parent
AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
OUR_NUMBER = "+14155550100"
SECRET_KEY = "bench-inbound-secret-key"
TEXTS = {
    "opt_out": ["STOP", "stop", "Stop.", "STOP ALL", "unsubscribe", "Cancel"],
    "yes": ["yes", "YES", "Yes!", "y"],
    "help": ["HELP", "help", "Help?", "info"],
    "typo": ["stpo", "STOPP", "sotp", "unsubscrib", "cancle", "hlep", "yse"],
    "free": [
        "On my way, be there in 10",
        "Can we move my appointment to Friday?",
        "Thanks so much!",
        "Who is this?",
        "I'll stop by the store after work",
        "No worries at all",
        "What time do you close today? I want to come by before the weekend",
        "ok",
        "Is the sale still on this weekend? My sister wants to come too",
        "I never signed up for this, please don't text me at work",
    ],
}
WEIGHTS = {"opt_out": 10, "yes": 10, "help": 10, "typo": 15, "free": 55}
LUA = r"""
local requests, count, sent = {}, 0, 0
function init(args)
  for line in io.lines(args[1]) do
    local path, signature, body = line:match("([^\t]*)\t([^\t]*)\t(.*)")
    count = count + 1
    requests[count] = wrk.format("POST", path, {
      ["Content-Type"] = "application/x-www-form-urlencoded", ["X-Twilio-Signature"] = signature}, body)
  end
end
function request()
  sent = sent + 1
  return requests[math.min(sent, count)]
end
function response(status, headers, body)
  if sent >= count then wrk.thread:stop() end
end
function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non2xx": %d, "errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


# -- the bare baseline app ---------------------------------------------------------------------


def baseline_app():
    """Form parse, Twilio HMAC, one durable insert: the least a gateway that stores what it acknowledges does."""
    import hmac

    from flask import Flask, Response, abort, request
    from smshooks_twilio.signature import compute_signature
    from sqlalchemy import text

    from smshooks.store.db import make_engine

    engine = make_engine(os.environ["BENCH_DATABASE_URL"], **_pool_args(os.environ["BENCH_DATABASE_URL"]))
    public_url = os.environ["BENCH_PUBLIC_URL"]
    insert = text("INSERT INTO bench_inbound VALUES (:sid, :sender, :recipient, :body, :at)")
    app = Flask("bench-baseline")

    @app.post("/hooks/<hook_id>")
    def receive(hook_id: str) -> Response:
        params = request.form
        expected = compute_signature(public_url + request.path, params, AUTH_TOKEN)
        if not hmac.compare_digest(expected, request.headers.get("X-Twilio-Signature", "")):
            abort(403)
        with engine.begin() as conn:
            conn.execute(
                insert,
                {
                    "sid": params["MessageSid"],
                    "sender": params["From"],
                    "recipient": params["To"],
                    "body": params.get("Body", ""),
                    "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                },
            )
        return Response('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml")

    return app


def _pool_args(url: str) -> dict[str, int]:
    return {} if url.startswith("sqlite") else {"pool_size": 10, "max_overflow": 10}


def serve_baseline(port: int, threads: int) -> None:
    from waitress import serve

    serve(baseline_app(), host="127.0.0.1", port=port, threads=threads, ident="bench")


# -- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command: list[str], env: dict[str, str], port: int, log: Path, cwd: Path | None = None) -> subprocess.Popen:
    with log.open("a") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return process
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{command[:4]} did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def create_baseline_table(database_url: str) -> None:
    from sqlalchemy import text

    from smshooks.store.db import make_engine

    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE bench_inbound (sid VARCHAR(64) PRIMARY KEY, sender VARCHAR(32),"
                " recipient VARCHAR(32), body TEXT, received_at VARCHAR(32))"
            )
        )
    engine.dispose()


def baseline_server(database_url: str, workers: int, threads: int, directory: Path) -> tuple[subprocess.Popen, str]:
    create_baseline_table(database_url)
    port = free_port()
    env = {**os.environ, "BENCH_DATABASE_URL": database_url, "BENCH_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    if workers == 1:
        command = [sys.executable, str(HERE / "bench_inbound.py"), "--serve-baseline", str(port), str(threads)]
    else:
        command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads)]
        command += ["--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "bench_inbound:baseline_app()"]
    process = start(command, env, port, directory / "baseline.log", cwd=HERE)
    return process, f"http://127.0.0.1:{port}/hooks/bench"


def smshooks_server(database_url: str, workers: int, threads: int, directory: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "SMSHOOKS_DATABASE_URL": database_url,
        "SMSHOOKS_DATA_DIR": str(directory / "data"),
        "SMSHOOKS_SECRET_KEY": SECRET_KEY,
        "SMSHOOKS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SMSHOOKS_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "smshooks", "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--threads", str(threads)]
    process = start(command, env, port, directory / "smshooks.log")
    key = subprocess.run(
        [sys.executable, "-m", "smshooks", "apikey", "create", "--org", "bench"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {key}"
    base = f"http://127.0.0.1:{port}/api/v1"
    credential = {"name": "twilio", "vendor": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
    answer = api.post(base + "/credentials", json=credential, timeout=30)
    answer.raise_for_status()
    hook = {"name": "in", "vendor": "twilio", "type": "inbound", "credentials_id": answer.json()["id"]}
    answer = api.post(base + "/webhooks", json=hook, timeout=30)
    answer.raise_for_status()
    return process, answer.json()["url"]


# -- requests and wrk --------------------------------------------------------------------------


def write_requests(path: Path, url: str, count: int, seed: int, prefix: str) -> None:
    """``count`` distinct signed inbound SMS for ``url`` as lines of path, signature and form body."""
    from urllib.parse import urlsplit

    from smshooks_twilio.signature import compute_signature

    rng = random.Random(seed)
    kinds = list(WEIGHTS)
    weights = [WEIGHTS[k] for k in kinds]
    hook_path = urlsplit(url).path
    with path.open("w") as out:
        for number in range(count):
            sid = f"SM{prefix}{number:028d}"[:34]
            params = {
                "MessageSid": sid,
                "SmsSid": sid,
                "AccountSid": ACCOUNT_SID,
                "From": f"+1415{rng.randrange(5000):07d}",
                "To": OUR_NUMBER,
                "Body": rng.choice(TEXTS[rng.choices(kinds, weights)[0]]),
                "NumMedia": "0",
                "SmsStatus": "received",
                "ApiVersion": "2010-04-01",
            }
            out.write(f"{hook_path}\t{compute_signature(url, params, AUTH_TOKEN)}\t{urlencode(params)}\n")


def wrk(url: str, requests_file: Path, duration: float, script: Path) -> dict[str, float]:
    command = ["wrk", "-t1", "-c8", f"-d{duration:g}s", "--timeout", "10s", "-s", str(script), url]
    done = subprocess.run([*command, "--", str(requests_file)], capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    seconds = result["duration_us"] / 1e6
    return {
        "rps": result["requests"] / seconds,
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "requests": result["requests"],
        "failed": result["non2xx"] + result["errors"],
    }


def measure(target: str, url: str, args: argparse.Namespace, directory: Path, script: Path) -> dict[str, float]:
    warm, timed = directory / f"{target}-warm.txt", directory / f"{target}-timed.txt"
    write_requests(warm, url, 2000, seed=1, prefix="1" + target[:1])
    write_requests(timed, url, args.requests, seed=2, prefix="2" + target[:1])
    wrk(url, warm, 2, script)
    return wrk(url, timed, args.duration, script)


def stored(database_url: str, table: str) -> int:
    """Rows in ``table``: the warm-up's and the timed run's distinct messages (a retried request counts once)."""
    from sqlalchemy import text

    from smshooks.store.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    finally:
        engine.dispose()


# -- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per timed run")
    parser.add_argument("--requests", type=int, default=60000, help="at most this many requests per timed run")
    parser.add_argument("--servers", default="1x8", help="NxM: N processes x M threads, comma-separated")
    parser.add_argument("--postgres", default=os.environ.get("SMSHOOKS_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=2, help="timed runs per target, in alternating order; the best counts"
    )
    parser.add_argument("--serve-baseline", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(*args.serve_baseline)
        return

    from smshooks.testing import databases

    rows = []
    print(f"load before: {os.getloadavg()[0]:.2f} (1-min average), {os.cpu_count()} cores")
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-inbound-")))
        script = directory / "replay.lua"
        script.write_text(LUA)
        backends = [] if args.no_sqlite else ["sqlite"]
        if args.postgres:
            os.environ[databases.POSTGRES_ENV] = args.postgres
            backends.append("postgresql")
        for server in args.servers.split(","):
            workers, threads = (int(x) for x in server.split("x"))
            for backend in backends:
                result: dict[str, dict[str, float]] = {}
                targets = [("baseline", baseline_server), ("smshooks", smshooks_server)]
                for round_number in range(args.rounds):
                    # alternate the order, so a change in the machine's load does not favour one target
                    for target, make in targets if round_number % 2 == 0 else targets[::-1]:
                        run_dir = directory / f"{server}-{backend}-{target}-{round_number}"
                        run_dir.mkdir()
                        if backend == "sqlite":
                            url = f"sqlite:///{run_dir / 'db.sqlite'}"
                        else:
                            url = stack.enter_context(databases.postgres_database())
                        process, hook_url = make(url, workers, threads, run_dir)
                        try:
                            r = measure(target, hook_url, args, run_dir, script)
                        finally:
                            stop(process)
                        if target not in result or r["rps"] > result[target]["rps"]:
                            result[target] = r
                        table = "bench_inbound" if target == "baseline" else "inbound_messages"
                        print(
                            f"  {server} {backend:10} {target:8} {r['rps']:7.1f} req/s  p50 {r['p50_ms']:6.1f} ms"
                            f"  p99 {r['p99_ms']:7.1f} ms  ({r['requests']:.0f} requests, {r['failed']:.0f} failed,"
                            f" {stored(url, table)} stored; load {os.getloadavg()[0]:.1f})"
                        )
                rows.append((server, backend, result["baseline"], result["smshooks"]))
    print(f"load after: {os.getloadavg()[0]:.2f}\n")
    print(f"the best of {args.rounds} runs per target:")
    print(
        f"{'server':6} {'backend':10} {'base r/s':>8} {'base p99':>8} {'sms r/s':>8} {'sms p99':>8} "
        f"{'r/s ratio':>9} {'p99 ratio':>9}"
    )
    for server, backend, base, ours in rows:
        print(
            f"{server:6} {backend:10} {base['rps']:8.1f} {base['p99_ms']:8.1f} {ours['rps']:8.1f} "
            f"{ours['p99_ms']:8.1f} {ours['rps'] / base['rps']:9.2f} {ours['p99_ms'] / base['p99_ms']:9.2f}"
        )
    print("\nissue 10's bars: smshooks >= 0.5x the baseline's req/s, p99 <= 3x the baseline's p99")


if __name__ == "__main__":
    main()
