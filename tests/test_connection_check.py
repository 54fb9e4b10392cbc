"""A pooled connection's socket tells whether the server hung up, without a round trip."""

from __future__ import annotations

import socket

from hotline.connection_check import server_hung_up


def test_a_connection_with_nothing_to_read_is_taken_as_alive() -> None:
    ours, servers = socket.socketpair()
    with ours, servers:
        assert not server_hung_up(ours)


def test_a_connection_the_server_closed_is_refused() -> None:
    ours, servers = socket.socketpair()
    servers.close()
    with ours:
        assert server_hung_up(ours)


def test_a_connection_with_the_servers_last_message_is_refused() -> None:
    ours, servers = socket.socketpair()
    with ours, servers:
        servers.sendall(b"E terminating connection due to administrator command")
        assert server_hung_up(ours)


def test_a_connection_without_a_socket_is_refused() -> None:
    ours, servers = socket.socketpair()
    ours.close()
    servers.close()
    assert server_hung_up(ours)
