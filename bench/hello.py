"""A bare Flask "hello world": the yardstick bench/load.py serves and loads like the app.

Served by bench/load.py as `gunicorn --pythonpath bench hello:app` (2 sync workers).
It reads nothing from the request, so it shows what gunicorn, Flask and the
load client cost on this machine before the hotline does any work.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.route("/", methods=["GET", "POST"])
@app.route("/<path:anything>", methods=["GET", "POST"])
def hello(anything: str = "") -> str:
    """Say hello, whatever was asked."""
    return "Hello, World!"
