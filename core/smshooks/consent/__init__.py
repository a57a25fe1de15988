"""Consent: the per-subscriber state machine, its append-only ledger, and the sandbox policy."""
