"""The database is down or stuck: the API and the pages answer 503, not a 500.

A refused or timed-out connection, a pool with no free connection, or a
statement cancelled by a timeout is a passing state, not a bug: clients are
told to come back (Retry-After) and people see the app's own page saying so.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, render_template, request

from .db import DATABASE_DOWN
from .logs import log_exception

# Database restarts, fail-overs and a migration's lock mostly end within tens of
# seconds: retrying after 30 s is likely to work, and sooner would only add load
# to a database that is coming back.
RETRY_AFTER_SECONDS = 30
# Twilio's webhooks fail open in their own blueprints; they keep their own answers.
WEBHOOK_BLUEPRINTS = ("voice", "sms")
API_PREFIX = "/api/v1/"
MESSAGE = "the database is not answering; try again in a minute"

log = logging.getLogger(__name__)


def database_down(error: Exception) -> Response:
    """Answer a request that failed for want of the database."""
    log_exception(log, "database unavailable on %s %s", request.method, request.path)
    if request.blueprints and request.blueprints[-1] in WEBHOOK_BLUEPRINTS:
        return Response("internal error", status=500)
    if request.path.startswith(API_PREFIX):
        body = {"error": {"code": "unavailable", "message": MESSAGE, "field": None}}
        answer = jsonify(body)
    else:
        g.web_user = None  # the page must not ask the database who is signed in
        answer = Response(render_template("unavailable.html"), mimetype="text/html")
    answer.status_code = 503
    answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return answer


def init_app(app: Flask) -> None:
    """Answer 503 with Retry-After whenever the database cannot be reached in time."""
    for error in DATABASE_DOWN:
        # Flask picks the handler of the nearest class: these win over the catch-all one.
        app.register_error_handler(error, database_down)
