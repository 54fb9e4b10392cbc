"""Stuck databases on loopback: a server that never answers, and a link that freezes."""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


def unused_loopback_port() -> int:
    """Return a loopback port nobody listens on, so that connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@contextmanager
def silent_server() -> Iterator[int]:
    """Listen on a loopback port, accept every connection and never answer; yield the port.

    This is a database host after a network blip or a hung server process: the
    TCP connection opens, and then nothing comes back.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        for connection in held:
            connection.close()


class FreezingLink:
    """A loopback TCP relay to a real server that can stop carrying bytes, and start again.

    A frozen link is a half-open connection: the app's pooled connections stay
    open, its statements are sent, and no answer ever arrives.
    """

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.carrying = threading.Event()
        self.carrying.set()
        self.stop = threading.Event()
        self.sockets: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def freeze(self) -> None:
        """Stop carrying bytes in either direction (they wait, unread)."""
        self.carrying.clear()

    def thaw(self) -> None:
        """Carry bytes again."""
        self.carrying.set()

    def close(self) -> None:
        """Stop relaying and close every connection."""
        self.stop.set()
        self.carrying.set()
        self.thread.join(timeout=5)
        self.listener.close()
        for sock in self.sockets:
            sock.close()

    def _accept(self) -> None:
        self.listener.settimeout(0.05)
        while not self.stop.is_set():
            try:
                client = self.listener.accept()[0]
            except TimeoutError:
                continue
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            threading.Thread(target=self._relay, args=(client, server), daemon=True).start()

    def _relay(self, client: socket.socket, server: socket.socket) -> None:
        peer = {client: server, server: client}
        while not self.stop.is_set():
            if not self.carrying.wait(timeout=0.05):
                continue
            try:
                readable, _, _ = select.select([client, server], [], [], 0.05)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peer[sock].sendall(data)
            except OSError:
                return
