"""Time a call's first records piece by piece, beside the durable floor's one row (in process).

Run (from the repository, with the project's virtualenv):

    .venv/bin/python bench/arrival_parts.py [--requests 1500] [--database sqlite|postgresql|both]

On the same fresh database and program as bench/load.py, it times, one call
at a time and without Flask, what `/voice/incoming` does in the database
(`call_arrival.start_call`) and the floor's own database work (bench/floor.py:
one insert through the driver, committed), then one read on its own (the
caller's roster row, on the driver as start_call reads it). On SQLite, where
a call is a read and four inserts, it also times the inserts rolled back and
the same inserts committed: the difference is the commit of their pages. It prints
the median of three runs, in µs of this process's CPU and of wall time; the
database server's CPU is not included.

It answers one question of issue 18: how much of a call's CPU is the database
work, and which part of it. bench/profile_webhooks.py gives the whole webhook.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import floor
from load_servers import add_database_options, chosen_databases, program_in_process
from load_workload import FALLBACK_NUMBER, HOTLINE_NUMBER, OFFICERS

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from hotline.services.call_arrival import IncomingCall

RUNS = 3
WARMUP = 50


def timed(label: str, step: Callable[[], Any], requests: int) -> tuple[float, float]:
    """Run `step` RUNS times `requests` times; print and return the median CPU and wall µs."""
    for _ in range(WARMUP):
        step()
    cpu, wall = [], []
    for _ in range(RUNS):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        for _ in range(requests):
            step()
        cpu.append((time.process_time() - started_cpu) / requests * 1e6)
        wall.append((time.perf_counter() - started_wall) / requests * 1e6)
    figures = statistics.median(cpu), statistics.median(wall)
    print(f"{label:<44} {figures[0]:>8.1f} {figures[1]:>8.1f}")
    return figures


def measure(url: str, requests: int) -> None:
    """Time the floor's row and a call's records on the database at `url`."""
    from hotline import create_app, db, driver_statements
    from hotline.services import arrival_records, call_arrival

    app = create_app()
    engine = db.database(app).engine
    sids = itertools.count()
    caller = OFFICERS[0][3]

    def incoming() -> call_arrival.IncomingCall:
        sid = f"CA{next(sids):032x}"
        return call_arrival.IncomingCall(
            sid, caller, HOTLINE_NUMBER, datetime.now(UTC), "US", [FALLBACK_NUMBER], rings=True
        )

    floor.create_table(url)
    connection = floor.open_database(url)
    insert = floor.insert_statement(url)

    def floor_row() -> None:
        row = (f"CA{next(sids):032x}", caller, datetime.now(UTC).isoformat())
        connection.cursor().execute(insert, row)
        connection.commit()

    print(f"{'µs per call':<44} {'CPU':>8} {'wall':>8}")
    floor_cpu, _ = timed("floor: one row, committed", floor_row, requests)
    call_cpu, _ = timed(
        "start_call: the call's records",
        lambda: call_arrival.start_call(engine, incoming()),
        requests,
    )

    def read_caller() -> None:
        # On the driver and in autocommit on PostgreSQL, as start_call reads.
        level = arrival_records.isolation_level(engine.dialect.name)
        with driver_statements.connect(engine, level) as reading:
            reading.execute(call_arrival.ARRIVAL_READ, {"phone": caller}).one()

    timed("  one read on its own: the caller's", read_caller, requests)
    if engine.dialect.name == "sqlite":
        time_inserts(engine, incoming(), requests)
    connection.close()
    print(f"a call's records cost {call_cpu / floor_cpu:.1f} x the floor's row in CPU")
    engine.dispose()


def time_inserts(engine: Engine, call: IncomingCall, requests: int) -> None:
    """Time a call's four inserts on SQLite, rolled back and committed (fresh CallSids)."""
    from hotline import driver_statements
    from hotline.services import arrival_records, call_arrival
    from hotline.services.oncall import chain_steps
    from hotline.services.program_store import on_call_at

    with engine.connect() as reading:
        read = reading.execute(call_arrival.ARRIVAL_READ, {"phone": call.from_number}).one()
        on_call = on_call_at(reading, read.revision)
    chain = chain_steps(on_call.chain_at(call.now), on_call.phones, call.fallback)
    # The records start_call writes for this caller.
    first = call_arrival._records(call, call.from_number, chain, read)
    sids = itertools.count()

    def write(commit: bool) -> None:
        values = {**first.call, "call_sid": f"CAparts{next(sids):026x}"}
        records = arrival_records.Records(first.referral, values, first.event, first.leg)
        with driver_statements.connect(engine) as writing:
            arrival_records.record(writing, records)
            if commit:
                writing.commit()
            else:
                writing.rollback()

    rolled_back, _ = timed("  four inserts, rolled back", lambda: write(False), requests)
    committed, _ = timed("  four inserts, committed", lambda: write(True), requests)
    print(f"{'  so the commit of their pages':<44} {committed - rolled_back:>8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1500, help="calls per run")
    add_database_options(parser)
    args = parser.parse_args()
    for database in chosen_databases(args.database):
        with program_in_process(database, args.postgres_url, "arrival-parts-token") as env:
            print(f"\n[{database}]")
            measure(env["DATABASE_URL"], args.requests)


if __name__ == "__main__":
    main()
