"""Compare two SQLite writers taking turns (hotline/sqlite_writers.py) with SQLite's busy handler.

Run (from the repository, with the project's virtualenv):

    .venv/bin/python bench/sqlite_writers.py [--transactions 1500] [--rounds 2]

Two processes, like the two gunicorn workers, write to one fresh WAL database
in a temporary folder. Each runs `--transactions` transactions shaped like a
webhook's: about half a millisecond of CPU, one read, four inserts, a commit
(synchronous FULL, as the app). Per round it runs them once with the writers
taking turns on the lock file and once with SQLite's busy handler alone (which
sleeps 1, 2, 5 … ms between tries), and prints transactions per second and the
p50 / p99 / max time of a transaction. No network, nothing left behind.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from hotline.db import SQLITE_BUSY_TIMEOUT_MS
from hotline.sqlite_writers import TurnTakingConnection, writers_lock_path

WRITERS = 2
CPU_LOOP = 9000  # about 0.5 ms of CPU on this machine: a webhook's own work


def connect(path: Path, turns: bool) -> sqlite3.Connection:
    """Open a connection as the app does, taking turns or not."""
    connection: sqlite3.Connection
    if turns:
        taking = sqlite3.connect(path, factory=TurnTakingConnection)
        taking.take_turns(writers_lock_path(path), SQLITE_BUSY_TIMEOUT_MS / 1000)
        connection = taking
    else:
        connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    return connection


def write(path: Path, turns: bool, transactions: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """Run webhook-shaped transactions; put their durations (seconds) on `out`."""
    connection = connect(path, turns)
    durations = []
    for _ in range(transactions):
        began = time.perf_counter()
        total = 0
        for step in range(CPU_LOOP):
            total += step
        connection.execute("SELECT 1").fetchall()
        for _ in range(4):
            connection.execute("INSERT INTO rows (body) VALUES (?)", ("x" * 200,))
        connection.commit()
        durations.append(time.perf_counter() - began)
    connection.close()
    out.put(durations)


def one_run(turns: bool, transactions: int) -> str:
    """Run both writers on a fresh database and describe what they took."""
    with tempfile.TemporaryDirectory(prefix="bench-writers-") as folder:
        path = Path(folder) / "writers.db"
        setup = sqlite3.connect(path)
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT)")
        setup.commit()
        setup.close()
        out: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        began = time.perf_counter()
        writers = [
            multiprocessing.Process(target=write, args=(path, turns, transactions, out))
            for _ in range(WRITERS)
        ]
        for writer in writers:
            writer.start()
        durations: list[float] = sorted(d for _ in writers for d in out.get(timeout=600))
        for writer in writers:
            writer.join()
        wall = time.perf_counter() - began

    def ms(fraction: float) -> float:
        return durations[min(len(durations) - 1, int(len(durations) * fraction))] * 1000

    label = "taking turns " if turns else "busy handler "
    return (
        f"{label} {len(durations) / wall:6.0f} txn/s   p50 {ms(0.5):5.2f} ms   "
        f"p99 {ms(0.99):6.2f} ms   max {durations[-1] * 1000:6.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=1500, help="per writer and run")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"{WRITERS} writers × {args.transactions} transactions, {args.rounds} rounds")
    for _ in range(args.rounds):
        for turns in (True, False):
            print(one_run(turns, args.transactions), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
