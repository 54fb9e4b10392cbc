"""The least a durable webhook can do: the floor bench/load.py sets beside the app and hello world.

Served by bench/load.py as `gunicorn --pythonpath bench floor:app` (2 sync workers),
on the same database as the app. Per request it checks Twilio's signature with
twilio's RequestValidator, inserts the CallSid into one table (a repeated CallSid
changes nothing) and commits with the app's durability (SQLite: WAL, synchronous
FULL, writers taking turns; PostgreSQL: synchronous commit), then answers a fixed
TwiML string. No ORM, no rotation, no second statement.

Whatever the hotline does per call is on top of this, so the floor tells which
part of a missed SPEC §10 target is the app's and which is the machine's, the
server's and the client's.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator

from hotline.db import SQLITE_BUSY_TIMEOUT_MS
from hotline.sqlite_writers import TurnTakingConnection, writers_lock_path

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
    """Connect to `url` (sqlite:///FILE or postgresql://…) as the app would."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        connection = sqlite3.connect(path, factory=TurnTakingConnection)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        connection.take_turns(writers_lock_path(path), SQLITE_BUSY_TIMEOUT_MS / 1000)
        return connection
    import psycopg

    # Autocommit: the INSERT commits by itself, one round trip (no BEGIN, no COMMIT).
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def create_table(url: str) -> None:
    """Create the floor's one table (before serving: two workers must not race on it)."""
    connection = open_database(url)
    connection.execute(CREATE)
    connection.commit()
    connection.close()


def _insert_statement(connection: Any) -> str:
    mark = "?" if isinstance(connection, sqlite3.Connection) else "%s"
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
    if _connection is None:
        _connection = open_database(os.environ["FLOOR_DATABASE_URL"])
    now = datetime.now(UTC).isoformat()
    _connection.execute(
        _insert_statement(_connection), (form["CallSid"], form.get("From", ""), now)
    )
    _connection.commit()
    return Response(TWIML, mimetype="text/xml")
