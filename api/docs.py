"""Swagger UI's assets, served by the gateway itself: it must work with no internet."""

from pathlib import Path

from flask import Blueprint, Flask, send_from_directory
from swagger_ui_bundle import swagger_ui_path

blp = Blueprint("swagger_assets", __name__)
OWN_ASSETS = Path(__file__).resolve().parent / "static"


@blp.route("/docs/assets/<path:filename>")
def swagger_asset(filename: str):
    return send_from_directory(swagger_ui_path, filename, max_age=3600)


@blp.route("/docs/assets/gateway-start.js")
def swagger_start():
    """The script that starts Swagger UI: a file, so that /docs needs no inline script."""
    return send_from_directory(OWN_ASSETS, "swagger-start.js", max_age=3600)


def register(app: Flask) -> None:
    app.register_blueprint(blp)
