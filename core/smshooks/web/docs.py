"""``GET /api/v1/docs``: interactive API documentation (Swagger UI) on ``/api/v1/openapi.json``.

Swagger UI's files come from the ``flask-swagger-ui`` distribution (MIT; Swagger UI itself
is Apache-2.0, its licence is shipped beside the files in ``dist/LICENSE``), served from
this host: the page loads nothing from the internet (the online validator badge is off).
"""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Flask, Response, abort, render_template, send_from_directory, url_for

#: Swagger UI's static distribution, as the package ships it
ASSETS = Path(flask_swagger_ui.__file__).parent / "dist"
SERVED = frozenset(
    {"swagger-ui.css", "swagger-ui-bundle.js", "index.css", "favicon-32x32.png", "favicon-16x16.png", "LICENSE"}
)

blueprint = Blueprint("api_docs_ui", __name__, url_prefix="/api/v1/docs", template_folder="templates")


#: the browser may load the page's parts from this host only
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)


@blueprint.get("")
def page() -> Response:
    html = render_template("api_docs.html", openapi_url=url_for("api-docs.openapi_json"))
    return Response(html, mimetype="text/html", headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY})


@blueprint.get("/<name>")
def asset(name: str) -> Response:
    if name not in SERVED:
        abort(404)
    response = send_from_directory(ASSETS, name, max_age=3600)
    if name == "LICENSE":
        response.mimetype = "text/plain"
    return response


def install(app: Flask) -> None:
    app.register_blueprint(blueprint)
