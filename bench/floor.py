"""The least a durable webhook can do: the floor bench/load.py judges the app against.

Served by bench/load.py as `gunicorn --pythonpath bench floor:app` (2 sync workers),
on the same database as the app. Per request it checks Twilio's signature with
twilio's RequestValidator, inserts the CallSid into one table (a repeated CallSid
changes nothing) and commits with the app's durability (SQLite: WAL, synchronous
FULL, busy_timeout; PostgreSQL: synchronous commit), then answers a fixed
TwiML string. No ORM, no rotation, no second statement.

Whatever the hotline does per call is on top of this, so the floor tells which
part of a missed SPEC §10 target is the app's and which is the machine's, the
server's and the client's.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

from hotline.db import build_engine

TWIML = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    "<Say>Thank you, connecting you to the LEAD coordinator on call.</Say></Response>"
)
TABLE = "bench_floor_calls"
CREATE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(call_sid VARCHAR(64) PRIMARY KEY, from_number VARCHAR(40), started_at VARCHAR(40))"
)

app = Flask(__name__)
_connection: Any = None


def open_database(url: str) -> Any:
    """Connect to `url` (sqlite:///FILE or postgresql://…) as the app would: a DBAPI connection."""
    if url.startswith("sqlite:"):
        # The app's own engine: its pragmas and busy timeout, without SQLAlchemy per
        # request. The pooled connection is kept (not just its driver's), so it stays open.
        return build_engine(url).raw_connection()
    import psycopg

    # Autocommit: the INSERT commits by itself, one round trip (no BEGIN, no COMMIT).
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def create_table(url: str) -> None:
    """Create the floor's one table (before serving: two workers must not race on it)."""
    connection = open_database(url)
    connection.cursor().execute(CREATE)
    connection.commit()
    connection.close()


def insert_statement(url: str) -> str:
    """Return the floor's INSERT in the placeholder style of `url`'s driver."""
    mark = "?" if url.startswith("sqlite:") else "%s"
    return f"INSERT INTO {TABLE} VALUES ({mark}, {mark}, {mark}) ON CONFLICT DO NOTHING"


@app.post("/voice/incoming")
def incoming() -> Response:
    """Check the signature, record the CallSid durably, answer TwiML."""
    global _connection
    form = request.form
    validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
    url = os.environ["HOTLINE_PUBLIC_URL"] + request.path
    if not validator.validate(url, form.to_dict(), request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    database_url = os.environ["FLOOR_DATABASE_URL"]
    if _connection is None:
        _connection = open_database(database_url)
    now = datetime.now(UTC).isoformat()
    _connection.cursor().execute(
        insert_statement(database_url), (form["CallSid"], form.get("From", ""), now)
    )
    _connection.commit()
    return Response(TWIML, mimetype="text/xml")
