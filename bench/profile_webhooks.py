"""Count the SQL statements and CPU time of each webhook step, in process (no gunicorn).

Run (from the repository, with the project's virtualenv):

    .venv/bin/python bench/profile_webhooks.py [--requests 300] [--database sqlite|postgresql|both]
                                               [--postgres-url URL] [--profile DIR]

It builds the same fresh database and program as bench/load.py, then sends
signed webhooks through Flask's test client one at a time: `--requests`
`/voice/incoming` calls (a unique CallSid each, from a roster officer), as
many calls whose first records are neither read nor written (`voice, no db`:
the webhook's work outside the database), and as many SMS intakes (REFER from
an unknown number, badge, type, name, place, consent, SEND). Per step it
prints the SQL statements (those sent straight to the driver included) and
commits per request (deterministic: the figures to compare across changes) and the CPU and wall
milliseconds per request of this process (the app's own work, without HTTP,
gunicorn or the load client; the database server's CPU is not included).

`--profile DIR` also writes a pyinstrument call tree and self times per step
(`pip install pyinstrument`); profiled runs are slower, so compare CPU figures
of unprofiled runs only.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from load_servers import add_database_options, chosen_databases, program_in_process
from load_workload import (
    INTAKE,
    OFFICERS,
    PUBLIC_URL,
    SMS,
    VOICE,
    sms_params,
    twilio_signature,
    voice_params,
)

# Names of the intake's steps, in INTAKE's order (the load client lumps the middle ones).
STEP_NAMES = ["REFER", "badge", "type", "name", "place", "consent", "SEND"]
WARMUP = 10
CPU_TARGET = 1.5  # issue 18: a voice webhook costs at most 1.5 x the floor's CPU


@dataclass
class Tally:
    """What the requests of one step cost, summed."""

    requests: int = 0
    statements: int = 0
    commits: int = 0
    cpu: float = 0.0
    wall: float = 0.0

    def row(self, name: str) -> str:
        n = max(self.requests, 1)
        return (
            f"{name:<16} {self.requests:>6} {self.statements / n:>8.1f} {self.commits / n:>8.1f} "
            f"{self.cpu / n * 1000:>8.2f} {self.wall / n * 1000:>8.2f}"
        )


class Harness:
    """Send signed webhooks to one app and tally each step's statements and time."""

    def __init__(self, env: dict[str, str], profile_dir: Path | None, label: str) -> None:
        from sqlalchemy import event

        from hotline import create_app, db

        self.token = env["TWILIO_AUTH_TOKEN"]
        self.app = create_app()
        self.client = self.app.test_client()
        engine = db.database(self.app).engine
        self.counts = {"statements": 0, "commits": 0}
        event.listen(engine, "before_cursor_execute", self._count("statements"))
        event.listen(engine, "commit", self._count("commits"))
        self._count_driver_statements()
        self.tallies: dict[str, Tally] = {}
        self.profilers: dict[str, Any] = {}
        self.profile_dir = profile_dir
        self.label = label
        self.sids = itertools.count(1)
        self.numbers = itertools.count(0)
        # The yardstick, in the same process and on the same database (bench/floor.py).
        import floor as floor_app

        floor_app.create_table(env["DATABASE_URL"])
        floor_app._connection = None  # a fresh connection per database (the module keeps one)
        self.floor_client = floor_app.app.test_client()

    def _count_driver_statements(self) -> None:
        """Count the statements and commits sent straight to the driver (no engine events)."""
        from hotline.driver_statements import DriverConnection

        for method, kind in (("execute", "statements"), ("commit", "commits")):
            run = getattr(DriverConnection, method)
            if getattr(run, "counted", False):  # a second harness in this process
                run = run.__wrapped__
            counted = functools.wraps(run)(self._counting(run, kind))
            counted.counted = True  # type: ignore[attr-defined]
            setattr(DriverConnection, method, counted)

    def _counting(self, run: Any, kind: str) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.counts[kind] += 1
            return run(*args, **kwargs)

        return counted

    def _count(self, kind: str) -> Any:
        def listener(*args: Any, **kwargs: Any) -> None:
            self.counts[kind] += 1

        return listener

    def post(
        self,
        step: str,
        path: str,
        params: dict[str, str],
        expect: str,
        tally: bool,
        floor: bool = False,
    ) -> None:
        """Send one signed webhook (to the app, or the floor); check its answer; tally it."""
        signature = twilio_signature(self.token, PUBLIC_URL + path, params)
        headers = {"X-Twilio-Signature": signature}
        body = urlencode(params)
        kind = "application/x-www-form-urlencoded"
        before = dict(self.counts)
        with self._profiled(step if tally else None):
            cpu, wall = time.process_time(), time.perf_counter()
            client = self.floor_client if floor else self.client
            response = client.post(path, data=body, headers=headers, content_type=kind)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        text = response.get_data(as_text=True)
        if response.status_code != 200 or expect not in text:
            raise RuntimeError(f"{step}: unexpected answer {response.status_code} {text[:200]!r}")
        if tally:
            t = self.tallies.setdefault(step, Tally())
            t.requests += 1
            t.statements += self.counts["statements"] - before["statements"]
            t.commits += self.counts["commits"] - before["commits"]
            t.cpu += cpu
            t.wall += wall

    @contextmanager
    def _profiled(self, step: str | None) -> Iterator[None]:
        if self.profile_dir is None or step is None:
            yield
            return
        from pyinstrument import Profiler

        profiler = self.profilers.setdefault(step, Profiler(interval=0.0002))
        profiler.start()
        try:
            yield
        finally:
            profiler.stop()

    def floor(self, tally: bool) -> None:
        """Send one call to the durable floor (bench/floor.py) through its own test client."""
        officer = OFFICERS[next(self.sids) % len(OFFICERS)]
        params = voice_params(f"CA{next(self.sids):032x}", officer[3])
        self.post("durable floor", VOICE, params, "connecting you to the LEAD", tally, floor=True)

    def voice(self, tally: bool) -> None:
        officer = OFFICERS[next(self.sids) % len(OFFICERS)]
        params = voice_params(f"CA{next(self.sids):032x}", officer[3])
        self.post("voice incoming", VOICE, params, "connecting you to the LEAD", tally)

    def voice_without_database(self, tally: bool) -> None:
        """Send a call whose first records are neither read nor written (a fixed arrival).

        What is left is the webhook's own work outside the database: the
        signature, Flask, the deadline, the greeting and its TwiML.
        """
        from hotline.services import call_arrival

        chain = [{"number": "+12065550101", "user_id": 1}]
        arrival = call_arrival.Arrival(next(self.sids), 1, "Officer Smith", "en", chain)
        real, stood_in = call_arrival.start_call, []

        def fixed_arrival(*args: Any, **kwargs: Any) -> call_arrival.Arrival:
            stood_in.append(True)
            return arrival

        call_arrival.start_call = fixed_arrival
        try:
            officer = OFFICERS[next(self.sids) % len(OFFICERS)]
            params = voice_params(f"CA{next(self.sids):032x}", officer[3])
            self.post("voice, no db", VOICE, params, "connecting you to the LEAD", tally)
        finally:
            call_arrival.start_call = real
        if not stood_in:  # else the figure would be a full call's, under the wrong name
            raise RuntimeError("voice, no db: /voice/incoming no longer calls start_call")

    def intake(self, tally: bool) -> None:
        n = next(self.numbers)
        sender = f"+1206{200 + n // 10_000}{n % 10_000:04d}"  # on no roster
        for name, (text, expect) in zip(STEP_NAMES, INTAKE, strict=True):
            params = sms_params(f"SM{next(self.sids):032x}", sender, text)
            self.post(f"sms {name}", SMS, params, expect, tally)

    def run(self, requests: int) -> None:
        # Interleaved, so that a machine slowing down meanwhile weighs on both alike.
        for i in range(WARMUP + requests):
            self.floor(tally=i >= WARMUP)
            self.voice(tally=i >= WARMUP)
            self.voice_without_database(tally=i >= WARMUP)
        for i in range(WARMUP + requests):
            self.intake(tally=i >= WARMUP)

    def report(self) -> None:
        print(f"\n[{self.label}] per request (in process, one at a time):")
        print(f"{'step':<16} {'reqs':>6} {'stmts':>8} {'commits':>8} {'CPU ms':>8} {'wall ms':>8}")
        for name, tally in self.tallies.items():
            print(tally.row(name))
        floor, voice = self.tallies["durable floor"], self.tallies["voice incoming"]
        ratio = (voice.cpu / voice.requests) / (floor.cpu / floor.requests)
        verdict = "ok" if ratio <= CPU_TARGET else "MISSED"
        print(f"voice incoming CPU = {ratio:.2f} x the floor's (target <= {CPU_TARGET}): {verdict}")
        bare = self.tallies["voice, no db"]
        share = (bare.cpu / bare.requests) / (floor.cpu / floor.requests)
        print(f"  of which outside the database: {share:.2f} x the floor's")
        if self.profile_dir is None:
            return
        from pyinstrument.renderers import ConsoleRenderer

        self.profile_dir.mkdir(parents=True, exist_ok=True)
        tree = ConsoleRenderer(unicode=True, color=False)
        flat = ConsoleRenderer(unicode=True, color=False, flat=True, flat_time="self")
        for step, profiler in self.profilers.items():
            out = self.profile_dir / f"{self.label}-{step.replace(' ', '-')}.txt"
            session = profiler.last_session
            out.write_text(
                tree.render(session) + "\nSelf time by function:\n" + flat.render(session)
            )
            print(f"  profile: {out}")


def run(database: str, requests: int, postgres_url: str, profile_dir: Path | None) -> None:
    with program_in_process(database, postgres_url, "profile-token") as env:
        harness = Harness(env, profile_dir, database)
        harness.run(requests)
        harness.report()
        from hotline import db

        db.database(harness.app).engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="calls and intakes measured")
    add_database_options(parser)
    parser.add_argument("--profile", metavar="DIR", help="write pyinstrument call trees here")
    args = parser.parse_args()
    profile_dir = Path(args.profile).resolve() if args.profile else None
    for database in chosen_databases(args.database):
        run(database, args.requests, args.postgres_url, profile_dir)


if __name__ == "__main__":
    main()
