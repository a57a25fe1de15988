"""SMS webhooks: the list, create, edit, delete, keyword categories, "try a message"."""

from __future__ import annotations

from typing import Any

from flask import render_template

from smshooks.web.console.blueprint import bp


@bp.route("/webhooks")
def webhooks() -> Any:
    return render_template("console/webhooks.html", webhooks=[])
