"""The admin console: server-rendered pages under ``/admin`` that call the same services as the API.

``smshooks.web.console.mount.register_console(app)`` is the one line ``create_app`` needs.
This package's ``__init__`` imports nothing, so its modules import each other without a cycle.
"""
