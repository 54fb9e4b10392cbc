"""Check a pooled PostgreSQL connection before a request uses it, mostly without a round trip.

A PostgreSQL restart must not fail the webhooks that follow it. SQLAlchemy's
`pool_pre_ping` asks the server at every checkout: a round trip per request
that the durable floor does not pay. Here a connection used within the last
`RECENT_USE_S` is checked locally instead: a server that restarted, or ended
the session, has written its last message to the socket and closed it, which
a zero-timeout `poll()` sees at once. A connection idle for longer may have
been cut without a word (a firewall's idle timeout), so it is pinged as
`pool_pre_ping` would. HikariCP skips its own check the same way for a
connection used within 500 ms (`aliveBypassWindowMs`).

Either check refuses a dead connection with DisconnectionError, and the pool
opens a fresh one for the request. A false alarm (a server that reloaded its
configuration writes a harmless message to idle sessions) costs a reconnect.
"""

from __future__ import annotations

import select
from time import monotonic
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

RECENT_USE_S = 1.0
_LAST_USE = "hotline.last_use"


def check_connections(engine: Engine) -> None:
    """Make `engine`'s pool refuse a dead connection at checkout and open a fresh one."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def note_connected(dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USE] = monotonic()

    @event.listens_for(engine, "checkin")
    def note_returned(dbapi_connection: Any, record: Any) -> None:
        record.info[_LAST_USE] = monotonic()

    @event.listens_for(engine, "checkout")
    def refuse_dead(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if server_hung_up(dbapi_connection):
            raise DisconnectionError("the server ended this connection")
        if monotonic() - record.info.get(_LAST_USE, 0.0) > RECENT_USE_S:
            try:
                dialect.do_ping(dbapi_connection)
            except Exception as error:
                raise DisconnectionError("the connection did not answer a ping") from error


def server_hung_up(dbapi_connection: Any) -> bool:
    """Tell whether an idle connection's socket holds anything: a last message, or its end."""
    try:
        # poll, not select: a worker with more than 1,024 open files has sockets select refuses.
        descriptor = dbapi_connection.fileno()
        if descriptor < 0:
            return True
        poller = select.poll()
        poller.register(descriptor, select.POLLIN)
        return bool(poller.poll(0))
    except Exception:  # no socket left to ask (the driver closed it): not a usable connection
        return True
