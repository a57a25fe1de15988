"""Profile the vendor-facing path in process: signed Twilio inbound POSTs through the Flask test client.

    python benchmarks/profile_inbound.py [--requests 2000] [--database sqlite|URL] [--top 30]

Prints requests/s in process, SQL statements per request, and the cProfile top (cumulative). A tool to
find where the CPU goes before optimising; bench_inbound.py measures the served throughput.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from smshooks_twilio.signature import compute_signature
from sqlalchemy import event

from smshooks.apikeys import create_api_key
from smshooks.settings import Settings
from smshooks.web.app import create_app

TOKEN = "twilio-auth-token-profile"
TEXTS = ["STOP", "yes", "HELP", "stpo", "see you at 6 then", "Stop texting me please", "ok thanks", "START"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--show-sql", action="store_true", help="print the statements of the last request")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = f"sqlite:///{tmp / 'profile.db'}" if args.database == "sqlite" else args.database
    settings = Settings(database_url=url, secret_key="p" * 32, public_url="https://sms.example.test")
    app = create_app(settings)
    client = app.test_client()
    key = create_api_key(app.extensions["smshooks"].db, org="profile", name="profile")
    auth = {"Authorization": f"Bearer {key}"}
    cred = client.post(
        "/api/v1/credentials",
        json={"name": "tw", "vendor": "twilio", "account_sid": "AC123", "auth_token": TOKEN, "inline_replies": True},
        headers=auth,
    ).json
    hook = client.post(
        "/api/v1/webhooks",
        json={"name": "in", "vendor": "twilio", "type": "inbound", "credentials_id": cred["id"]},
        headers=auth,
    ).json
    target = hook["url"]
    path = target.removeprefix("https://sms.example.test")
    rng = random.Random(7)
    requests = []
    for n in range(args.requests):
        params = {
            "MessageSid": f"SM{n:032d}",
            "AccountSid": "AC123",
            "From": f"+1415555{rng.randrange(10000):04d}",
            "To": "+14155550100",
            "Body": rng.choice(TEXTS),
            "NumSegments": "1",
        }
        signature = compute_signature(target, {k: [v] for k, v in params.items()}, TOKEN)
        requests.append((urlencode(params), signature))

    statements = 0
    last: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        nonlocal statements
        statements += 1
        last.append(" ".join(statement.split())[:160])

    event.listen(app.extensions["smshooks"].db.engine, "before_cursor_execute", count)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for body, signature in requests:
        last.clear()
        answer = client.post(
            path,
            data=body,
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": signature},
        )
        assert answer.status_code == 200, answer.data
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"{args.requests} requests in {elapsed:.2f} s under the profiler: {args.requests / elapsed:.0f} req/s")
    print(f"SQL statements per request: {statements / args.requests:.1f}")
    if args.show_sql:
        print("\n".join(["the last request's statements:", *last]))
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
