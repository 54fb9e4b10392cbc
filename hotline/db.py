"""Engine and sessions: plain SQLAlchemy, one session per app context."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import InterfaceError, NoSuchModuleError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from .config import ConfigError
from .connection_check import check_connections
from .deadline import DeadlineExceeded, deadline
from .logs import log_exception

EXTENSION_KEY = "hotline.db"

# SQLite waits this long for another writer (the other gunicorn worker, the
# clock process) instead of failing at once with "database is locked". Its
# busy handler sleeps in C, where the webhook deadline cannot interrupt it, so
# the wait must end well inside that deadline (hotline/deadline.py).
SQLITE_BUSY_TIMEOUT_MS = 1000

# PostgreSQL: every wait that could hold a webhook past its 3 s is bounded by the
# driver or the server. libpq's connect timeout counts whole seconds, 2 at least.
POSTGRES_CONNECT_TIMEOUT_S = 2
# A statement waiting on a lock (a migration, a long transaction) gives up, and
# one that runs long is cancelled by the server, even when the request that sent
# it has already answered and dropped the connection. Instants are read in UTC
# whatever the server's own time zone (a year-9999 row must not overflow on the way).
# A transaction left open and idle (a request abandoned at its deadline while it held
# a row, a stuck clock) is ended by the server, so the rows it holds are let go.
POSTGRES_LOCK_TIMEOUT_MS = 1500
POSTGRES_SESSION_OPTIONS = (
    f"-c lock_timeout={POSTGRES_LOCK_TIMEOUT_MS} -c statement_timeout=10000 -c timezone=UTC"
    " -c idle_in_transaction_session_timeout=60000"
)
# A server host that vanishes (a fail-over, a partition) sends no reset, and the clock's
# jobs have no webhook deadline: without these a job, and every later run of it, waited
# on the dead connection for the system's 2 hours (15 minutes with a statement sent).
# A quiet connection is probed after 10 s and dropped after 3 unanswered probes 5 s
# apart; a statement the server never acknowledges is given up on after 20 s.
POSTGRES_TCP_LIMITS = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 20_000,
}
# How long a request waits for a pooled connection when all are in use.
POOL_TIMEOUT_S = 1
# A rollback after a failed webhook is one round trip; past this the connection is dropped.
ROLLBACK_DEADLINE_S = 0.5


@dataclass(frozen=True)
class Database:
    """The engine and session factory of one app."""

    engine: Engine
    sessionmaker: sessionmaker[Session]


def init_app(app: Flask) -> None:
    """Attach a database to `app`; nothing connects until a session is used."""
    try:
        engine = build_engine(app.config["DATABASE_URL"])
    except NoSuchModuleError:
        raise ConfigError("DATABASE_URL names a database this app has no driver for") from None
    except ImportError as error:
        # e.g. postgresql+psycopg2:// from a hosting guide: only psycopg 3 is installed.
        raise ConfigError(
            f"DATABASE_URL names a driver that is not installed ({error.name or error}): "
            "use postgresql://user@host/name (psycopg 3) or sqlite:///path/to/file.db"
        ) from None
    app.extensions[EXTENSION_KEY] = Database(
        engine=engine,
        sessionmaker=sessionmaker(bind=engine, expire_on_commit=False),
    )
    # Closed after each request, and after any other app context (commands,
    # jobs): a test that keeps one app context across requests still gets a
    # fresh session per request, as in production.
    app.teardown_request(close_session)
    app.teardown_appcontext(close_session)


def build_engine(url: str | URL) -> Engine:
    """Create an engine with the connection settings the app relies on (no connection yet)."""
    url = make_url(url)
    # hide_parameters: a logged database error must never carry a participant's name.
    if url.get_backend_name() != "sqlite":
        server = create_engine(
            url,
            hide_parameters=True,
            pool_timeout=POOL_TIMEOUT_S,
            connect_args=_postgres_connect_args(url),
        )
        # A PostgreSQL restart or a dropped idle connection must not fail a webhook: a dead
        # pooled connection is refused at checkout, as pool_pre_ping would, mostly without
        # its round trip per request.
        check_connections(server)
        return server
    engine = create_engine(url, hide_parameters=True)
    path = sqlite_file(url)
    if path is not None:
        directory = path.parent

        @event.listens_for(engine, "do_connect")
        def make_directory(*args: Any) -> None:
            """Create the SQLite file's folder just before connecting, not at start-up."""
            directory.mkdir(parents=True, exist_ok=True)

    # Writers wait for each other in SQLite's busy handler, up to SQLITE_BUSY_TIMEOUT_MS:
    # bench/load.py measured no gain from anything finer at the 32-connection load.
    event.listen(engine, "connect", _set_sqlite_pragmas)
    return engine


def _postgres_connect_args(url: URL) -> dict[str, Any]:
    """Return the connection's time limits; what the URL sets itself wins over them."""
    if url.get_backend_name() != "postgresql":
        return {}
    args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    args.update({key: value for key, value in POSTGRES_TCP_LIMITS.items() if key not in url.query})
    # The URL's own options (a search path, say) come after ours, so a setting it names
    # too is its own; the limits it does not name still hold.
    own = url.query.get("options", "")
    args["options"] = " ".join(
        (POSTGRES_SESSION_OPTIONS, *([own] if isinstance(own, str) else own))
    )
    return args


def database(app: Flask | None = None) -> Database:
    """Return the database attached to `app` (default: the current app)."""
    target = app if app is not None else current_app
    db: Database = target.extensions[EXTENSION_KEY]
    return db


def get_session() -> Session:
    """Return this app context's session, opening it on first use."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    session: Session = g.db_session
    return session


def close_session(exception: BaseException | None = None) -> None:
    """Roll back whatever the app context left uncommitted, and close its session.

    Teardown runs before the answer leaves, and outside a webhook's deadline:
    the rollback of a read on a link gone silent gets half a second, then the
    connection is dropped instead (PostgreSQL; SQLite's rollback is local), as it
    is when the server ended the session since the request's last statement.
    """
    session: Session | None = g.get("db_session")
    if session is None:
        return
    if session.in_transaction():
        try:
            with deadline(ROLLBACK_DEADLINE_S):
                session.rollback()
        except DeadlineExceeded:
            abandon_session()
            return
        except Exception:
            # The server ended the session since the request's last statement (a restart, a
            # fail-over): the answer is made and must still leave; the connection is dropped.
            log_exception(
                logging.getLogger(__name__),
                "could not roll back at the end of a request",
                level=logging.WARNING,
            )
            abandon_session()
            return
    g.pop("db_session", None)
    session.close()


# A refused or timed-out connection, a pool with no free connection, a statement
# cancelled by a timeout: passing states of the database, not faults of the request.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeoutError)


def database_unavailable(failure: BaseException | None) -> bool:
    """Tell whether a request failed because the database was down or stuck (worth a retry)."""
    return isinstance(failure, (DeadlineExceeded, *DATABASE_DOWN))


def discard_session() -> None:
    """Roll back what a failed webhook left, within half a second, never raising."""
    try:
        with deadline(ROLLBACK_DEADLINE_S):
            get_session().rollback()
    except DeadlineExceeded:
        abandon_session()
    except Exception:
        # Raised while the webhook's own failure is handled: its traceback would print that too.
        log_exception(
            logging.getLogger(__name__),
            "could not roll back a failed webhook",
            level=logging.WARNING,
        )
        abandon_session()


def abandon_session() -> None:
    """Drop this app context's session without another word to the database.

    After a deadline the connection may be mid-statement on a server that does
    not answer: a rollback would wait on it again. Invalidating closes the
    connection instead, and the pool opens a fresh one for the next request.
    """
    session: Session | None = g.pop("db_session", None)
    if session is None:
        return
    try:
        session.invalidate()
    except Exception:
        log_exception(
            logging.getLogger(__name__),
            "could not drop an abandoned session",
            level=logging.WARNING,
        )


@contextmanager
def session_scope(app: Flask) -> Iterator[Session]:
    """Yield a session for a command or job: committed on success, rolled back on error."""
    session = database(app).sessionmaker()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def sqlite_file(url: str | URL) -> Path | None:
    """Return the file a SQLite URL names, or None (other databases, in-memory)."""
    url = make_url(url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    if url.database.startswith("file:"):  # a URI filename: leave it to SQLite
        return None
    return Path(url.database)


def _set_sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Enforce foreign keys, use WAL so readers never block the writer, and wait on locks."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()
