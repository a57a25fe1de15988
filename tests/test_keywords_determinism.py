"""keywords.md §7.6: classification is a pure function of (text, configuration)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

from smshooks.keywords import KeywordConfig, classify

TEXTS = [
    "STOP",
    "stpo",
    "Stop texting me",
    "No thanks",
    "No more texts",
    "S T O P",
    "🛑",
    "quiet",
    "I'll stop by the store",
    "leave me alone",
    "UNSTOP",
    "yes please",
    "Cancel my order",
    "Cancel my subscription",
    "REVOKE",
    "unsubscibe",
    "hjälp",
    "Stop. Thank you",
    "",
    None,
    "СТОП",
    "How do I opt out?",
    "hakt",
    "halt texting me",
    "Remove me",
]

# factories, so a test can compare a warm config (per-token caches filled) with a fresh one
CONFIGS = {
    "default": KeywordConfig.default,
    "custom": lambda: KeywordConfig(opt_out=("HALT", "CANCEL", "STOP ALL"), custom=("REMOVE",)),
    "us-sv": lambda: KeywordConfig.from_settings({"compliance_profile": "us", "locale_packs": ["sv"]}),
}


def _results(config: KeywordConfig, texts: list) -> list:
    return [classify(text, config) for text in texts]


def test_same_input_same_output_twice() -> None:
    for make in CONFIGS.values():
        config = make()
        assert _results(config, TEXTS) == _results(config, TEXTS)


def test_a_shuffled_batch_gives_each_message_the_same_answer() -> None:
    for name, make in CONFIGS.items():
        expected = {repr(text): result for text, result in zip(TEXTS, _results(make(), TEXTS), strict=True)}
        batch = TEXTS * 3
        random.Random(7).shuffle(batch)
        for text, result in zip(batch, _results(make(), batch), strict=True):
            assert result == expected[repr(text)], (name, text)


_CHILD = """
import json, sys
from smshooks.keywords import KeywordConfig, classify
texts = json.loads(sys.stdin.read())
configs = [KeywordConfig.default(), KeywordConfig(opt_out=("HALT", "CANCEL", "STOP ALL"), custom=("REMOVE",))]
print(json.dumps([[list(map(str, (r.category, r.match, r.keyword, r.rule))) for r in
                   (classify(t, c) for t in texts)] for c in configs]))
"""


def _in_child(seed: str) -> list:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], input=json.dumps(TEXTS), env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_independent_of_hash_randomisation() -> None:
    # Sets and dicts iterate in hash order; a result that depended on it would differ between processes.
    assert _in_child("1") == _in_child("4242")
