"""Persistence: the schema (tables), the engine and migrations (db), and queries."""
