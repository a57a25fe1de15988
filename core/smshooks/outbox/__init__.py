"""The transactional outbox: jobs written with the state change that caused them, and the worker."""
