"""The process's log lines reach its stderr: warnings at once, INFO lines within a tenth of a second,
everything at exit, and a forked child (gunicorn's workers) writes its own without repeating its parent's.

Each case runs a real ``python`` process whose stderr is a pipe, as ``smshooks serve`` and
``smshooks worker`` run under a supervisor.
"""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import textwrap

import pytest

PRELUDE = """
import logging, os, sys, time
from smshooks import logs
logs.configure({}, level="INFO")
log = logging.getLogger("smshooks.test")
"""

CASES = [
    (
        "warning-at-once",
        # the warning must be on stderr while the process still runs (the parent reads it, then
        # closes our stdin to let us finish)
        """
        log.warning("first warning")
        print("logged", flush=True)
        sys.stdin.read()
        """,
        ["first warning"],
    ),
    (
        "info-within-a-tenth",
        """
        log.info("an info line")
        print("logged", flush=True)
        sys.stdin.read()
        """,
        ["an info line"],
    ),
    (
        "info-at-exit",
        """
        for n in range(3):
            log.info("line %d", n)
        """,
        ["line 0", "line 1", "line 2"],
    ),
    (
        "forked-child",
        """
        log.info("parent before the fork")
        pid = os.fork()
        if pid == 0:
            log.info("the child")
            time.sleep(0.5)  # its flusher writes it; os._exit skips atexit
            os._exit(0)
        os.waitpid(pid, 0)
        log.info("parent after")
        """,
        ["parent before the fork", "the child", "parent after"],
    ),
    (
        "sigterm",
        # stopped by SIGTERM as a supervisor stops ``smshooks serve`` (no handler of its own)
        """
        log.info("before the stop")
        print("logged", flush=True)
        time.sleep(30)
        """,
        ["before the stop"],
    ),
    (
        "phone-numbers-masked",
        """
        log.info("sent to +14155550123")
        """,
        ["sent to +1415555****"],
    ),
]


@pytest.mark.parametrize(("label", "body", "expected"), CASES, ids=[label for label, _, _ in CASES])
def test_log_lines_reach_stderr(label, body, expected):
    script = PRELUDE + textwrap.dedent(body)
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = ""
    if label == "sigterm":
        assert process.stdout.readline() == "logged\n"
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
        assert process.returncode == -signal.SIGTERM, err  # it still ends as SIGTERM ends a process
        assert err.count(expected[0]) == 1, err
        return
    if "sys.stdin.read()" in body:
        assert process.stdout.readline() == "logged\n"
        # while it still runs: the line arrives (a warning at once, INFO from the flusher)
        ready, _, _ = select.select([process.stderr], [], [], 10)
        assert ready, "nothing on stderr while the process ran"
        seen = process.stderr.readline()
        assert expected[0] in seen, seen
    _, rest = process.communicate(input="", timeout=30)  # its stdin closed: it finishes
    err = seen + rest
    assert process.returncode == 0, err
    assert [err.count(text) for text in expected] == [1] * len(expected), err
    assert "+14155550123" not in err
