"""Throughput of smshooks.keywords.classify on real SMS (the UCI SMS Spam Collection) and on a synthetic mix.

    python benchmarks/bench_classify.py [--runs R] [--messages N] [--before REV] [--wall]

Corpora: the UCI SMS Spam Collection v.1 (5,574 real English SMS; Almeida & Gómez Hidalgo, UCI Machine Learning
Repository, CC BY 4.0; tests/data/SMSSpamCollection or $SMSHOOKS_SMS_COLLECTION), and N synthetic inbound replies
from a fixed seed (keywords, typos, opt-out sentences, chat, emoji, other scripts).

Prints messages per second and ratios to baselines timed in the same run over the same corpus: a plain
``str.casefold().split()`` pass, ``canon()`` alone, the rules evaluated one after another with no prefilter
(smshooks.keywords.reference), and with ``--before REV`` classify() as it was at git revision REV (loaded from git
into a separate package, default configuration). Timings are the best of R interleaved runs in CPU time of this
process (``time.process_time``; ``--wall`` for ``perf_counter``), pinned to one core: on a shared machine CPU time
does not count the time other processes hold the core. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "core"))  # runnable from a checkout without install

from smshooks.keywords import KeywordConfig, canon, classify  # noqa: E402
from smshooks.keywords.config import shared_tables  # noqa: E402
from smshooks.keywords.reference import classify_reference  # noqa: E402

UCI = Path(os.environ.get("SMSHOOKS_SMS_COLLECTION", ROOT / "tests" / "data" / "SMSSpamCollection"))
UCI_CITATION = (
    "UCI SMS Spam Collection v.1 (T. A. Almeida, J. M. Gómez Hidalgo; UCI Machine Learning Repository; CC BY 4.0)"
)
SEED = 20250411  # FCC revocation rule effective date; any fixed seed will do

KEYWORDS = ["STOP", "QUIT", "CANCEL", "END", "UNSUBSCRIBE", "NO", "YES", "START", "HELP", "INFO", "UNSTOP"]
OPT_OUT_SENTENCES = [
    "Stop texting me",
    "please stop",
    "STOP ALL",
    "Stop. Thank you",
    "could you please stop texting me",
    "No more texts",
    "Cancel my subscription",
    "unsubscribe me",
    "Leave me alone",
    "You have the wrong number",
    "Please remove me from your list",
    "I replied STOP but you keep texting me",
    "how do I stop these texts",
    "Please don't text me again",
    "End texts",
    "S T O P",
    "🛑",
    "⛔️",
    "REVOKE",
    "opt out",
]
# Everyday replies, some with keywords used as ordinary words ("stop by", "end of the day", "no worries").
SENTENCES = [
    "On my way, be there in 10",
    "Can we move my appointment to Friday?",
    "Thanks so much!",
    "ok",
    "Sounds good, see you then",
    "Who is this?",
    "I'll stop by the store after work",
    "No worries at all",
    "What time do you close today?",
    "Is the sale still on this weekend?",
    "Got it, thanks",
    "Can you send me the invoice again",
    "See you at the end of the day",
    "Running late, sorry",
    "Yes I will be there",
    "no problem",
    "Where is my order? It was supposed to arrive yesterday",
    "Love it",
    "Please call me back when you can",
    "I can't stop laughing",
    "Do you have this in a size 10?",
    "My daughter has a dentist appointment at 3:30",
    "Thank you for the reminder",
    "What's the address again?",
    "Cancel my order please, I bought the wrong one",
    "Is parking free?",
    "Can I bring a friend?",
    "Happy birthday!!",
    "The bus stop is right outside",
    "I quit smoking last year, feeling great",
    "How much is shipping to Canada?",
    "We loved the dinner last night",
    "Not sure yet, will let you know",
    "Confirmed for 7pm",
    "Can you hold the table for 15 minutes",
    "Did you get my email?",
    "Perfect, thanks again",
    "Sorry wrong chat",
    "Is this the right number for the clinic?",
    "My code didn't work at checkout",
]
EMOJI = ["😀", "👍", "❤️", "😂", "🙏", "🎉", "✋", "🔥", "👋🏽", "🤷‍♀️"]
UNICODE = [
    "Hej! Ses vi imorgon kl 18?",
    "Tack så mycket för hjälpen 😊",
    "fortsätt gärna",
    "SLUTA",
    "Gracias, nos vemos mañana",
    "¿Dónde está mi pedido?",
    "Спасибо, до завтра",
    "СТОП",
    "明天见",
    "谢谢你的帮助",
    "شكرا جزيلا",
    "\uff33\uff34\uff2f\uff30",  # full-width STOP
    "\uff34\uff48\uff41\uff4e\uff4b\uff53\uff01",  # full-width Thanks!
    "Ça va? À demain",
    "Danke schön, bis später",
    "ARRET",
]
ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _typo(rng: random.Random, word: str) -> str:
    word = word.lower()
    i = rng.randrange(len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:  # swap
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:  # drop
        return word[:i] + word[i + 1 :]
    if kind == 2:  # double
        return word[:i] + word[i] + word[i:]
    row = next((r for r in ROWS if word[i] in r), ROWS[0])  # neighbour key
    j = row.find(word[i])
    return word[:i] + row[max(0, j - 1) if j else 1] + word[i + 1 :]


def _keyword_variant(rng: random.Random) -> str:
    keyword = rng.choice(KEYWORDS)
    keyword = rng.choice([keyword, keyword.lower(), keyword.title()])
    return rng.choice(["", " ", "  "]) + keyword + rng.choice(["", ".", "!", "!!", " 🛑", " ", "?"])


def _conversation(rng: random.Random, low: int, high: int) -> str:
    sentences = [rng.choice(SENTENCES) for _ in range(rng.randint(low, high))]
    text = " ".join(s if s[-1] in ".!?" else s + rng.choice([".", "!", "", ","]) for s in sentences)
    return text + rng.choice(["", "", " :)", " " + rng.choice(EMOJI)])


def build_corpus(count: int, seed: int = SEED) -> list[tuple[str, str]]:
    """(kind, text) pairs; the mix is roughly what an inbound number of a marketing program sees."""
    rng = random.Random(seed)
    makers: list[tuple[str, int, Callable[[], str]]] = [
        ("exact keyword", 15, lambda: _keyword_variant(rng)),
        ("fuzzy opt-out", 6, lambda: rng.choice(OPT_OUT_SENTENCES)),
        ("typo-like token", 4, lambda: _typo(rng, rng.choice(["stop", "quit", "cancel", "unsubscribe"]))),
        ("chat, one sentence", 35, lambda: _conversation(rng, 1, 1)),
        ("chat, 2-4 sentences", 20, lambda: _conversation(rng, 2, 4)),
        ("chat, 5-12 sentences (long)", 8, lambda: _conversation(rng, 5, 12)),
        ("emoji", 5, lambda: "".join(rng.choice(EMOJI) for _ in range(rng.randint(1, 4)))),
        ("unicode", 7, lambda: rng.choice(UNICODE)),
    ]
    kinds = [kind for kind, weight, _ in makers for _ in range(weight)]
    make = {kind: maker for kind, _, maker in makers}
    corpus = []
    for _ in range(count):
        kind = rng.choice(kinds)
        corpus.append((kind, make[kind]()))
    return corpus


def uci_texts() -> list[str]:
    """The messages of the collection, one per line after the header (``ham|spam<TAB>text``)."""
    lines = UCI.read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[1] for line in lines[1:]]


def load_before(rev: str) -> ModuleType:
    """``smshooks.keywords`` as it was at git revision ``rev``, imported as a separate package (its imports of
    itself renamed), so the old and the new classify() run side by side in this process."""
    package = "_smshooks_keywords_before"
    target = Path(tempfile.mkdtemp(prefix="bench_classify_")) / package
    target.mkdir()
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-tree", "--name-only", rev, "core/smshooks/keywords/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in listed:
        if name.endswith(".py"):
            source = subprocess.run(
                ["git", "-C", str(ROOT), "show", f"{rev}:{name}"], capture_output=True, text=True, check=True
            ).stdout
            (target / Path(name).name).write_text(source.replace("smshooks.keywords", package), encoding="utf-8")
    sys.path.insert(0, str(target.parent))
    return importlib.import_module(package)


def pin_to_one_core() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}"


def interleaved(
    runs: int, variants: dict[str, Callable[[], Callable[[], object]]], clock: Callable[[], float]
) -> dict[str, float]:
    """Best time per variant, the variants taking turns in every round so that load from other processes on the
    machine hits baselines and classify alike. Each factory is called untimed before its timed call."""
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(runs):
        for label, prepare in variants.items():
            work = prepare()
            start = clock()
            work()
            best[label] = min(best[label], clock() - start)
    return best


def measure(
    title: str, texts: list[str], runs: int, clock: Callable[[], float], before: ModuleType | None
) -> dict[str, float]:
    """Time every variant over ``texts`` and print the table; returns the best seconds per row."""
    config = KeywordConfig.default()
    us_sv = KeywordConfig.from_settings({"compliance_profile": "us", "locale_packs": ["sv"]})
    results = [classify(text, config) for text in texts]  # also warms the per-token memos
    for text in texts:
        classify(text, us_sv)

    def run_on(cfg: KeywordConfig) -> Callable[[], object]:
        return lambda: [classify(text, cfg) for text in texts]

    def cold() -> Callable[[], object]:
        shared_tables.cache_clear()  # a config with new keywords: empty per-token memos
        return run_on(KeywordConfig(fuzzy_enabled=True, locale_packs=()))

    variants: dict[str, Callable[[], Callable[[], object]]] = {
        "baseline str.casefold().split()": lambda: lambda: [text.casefold().split() for text in texts],
        "baseline canon()": lambda: lambda: [canon(text) for text in texts],
        "baseline reference.py (no prefilter)": lambda: lambda: [classify_reference(text, config) for text in texts],
    }
    if before is not None:
        old = before.KeywordConfig.default()
        for text in texts:
            before.classify(text, old)
        variants["baseline classify() before"] = lambda: lambda: [before.classify(text, old) for text in texts]
    variants["classify, new keywords (first pass)"] = cold
    variants["classify, default config"] = lambda: run_on(config)
    variants["classify, us profile + sv pack"] = lambda: run_on(us_sv)
    rows = interleaved(runs, variants, clock)
    shared_tables.cache_clear()

    n = len(texts)
    split, canonical = rows["baseline str.casefold().split()"], rows["baseline canon()"]
    old_seconds = rows.get("baseline classify() before")
    print(f"{title}: {n:,} messages, {sum(map(len, texts)):,} characters")
    outcome = Counter(f"{r.category}/{r.match}" for r in results)
    print("  classified (default config): " + ", ".join(f"{k} {v:,}" for k, v in sorted(outcome.items())))
    for label, seconds in rows.items():
        versus = f"  x{seconds / old_seconds:5.2f} before" if old_seconds else ""
        print(
            f"  {label:<38} {seconds * 1e3:7.1f} ms  {n / seconds:>9,.0f} msg/s"
            f"  x{seconds / split:5.1f} split  x{seconds / canonical:5.2f} canon{versus}"
        )
    print()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000, help="size of the synthetic mix")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--before", metavar="REV", help="also time classify() of this git revision (e.g. ec0752a)")
    parser.add_argument("--wall", action="store_true", help="wall-clock time instead of CPU time")
    args = parser.parse_args()
    clock = time.perf_counter if args.wall else time.process_time
    pinned = pin_to_one_core()

    start = time.perf_counter()
    KeywordConfig(locale_packs=())
    first_build = time.perf_counter() - start  # includes loading the word list for the GUARD (once per process)
    rebuild = float("inf")
    for _ in range(args.runs):
        shared_tables.cache_clear()
        start = time.perf_counter()
        KeywordConfig(locale_packs=())
        rebuild = min(rebuild, time.perf_counter() - start)
    before = load_before(args.before) if args.before else None

    clock_name = "wall-clock" if args.wall else "CPU"
    print(f"Python {sys.version.split()[0]}, {pinned}; best of {args.runs} interleaved runs, {clock_name} time")
    print(
        f"KeywordConfig: first {first_build * 1e3:.1f} ms (loads the word list), then {rebuild * 1e3:.2f} ms"
        " (new keywords; a config with keywords seen before reuses their tables)"
    )
    print()
    uci = uci_texts()
    real = measure(UCI_CITATION, uci, args.runs, clock, before)
    corpus = build_corpus(args.messages)
    mix = measure(f"synthetic mix (seed {SEED})", [text for _, text in corpus], args.runs, clock, before)
    for kind, count in sorted(Counter(kind for kind, _ in corpus).items(), key=lambda item: -item[1]):
        print(f"  {count:6,}  {kind}")
    print()
    for name, rows, n in (("UCI", real, len(uci)), ("mix", mix, len(corpus))):
        seconds = rows["classify, default config"]
        old = rows.get("baseline classify() before")
        versus = f", {old / seconds:.2f}x as fast as the classify() of {args.before}" if old else ""
        print(
            f"classify, default config, {name}: {n / seconds:,.0f} msg/s on one core"
            f" (x{seconds / rows['baseline canon()']:.2f} canon(){versus})"
        )


if __name__ == "__main__":
    main()
