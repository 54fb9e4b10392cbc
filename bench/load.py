"""Load the webhooks under gunicorn and compare with a bare Flask "hello world" (SPEC §10).

Run (from the repository, with the project's virtualenv):

    .venv/bin/python bench/load.py [--seconds 20] [--database sqlite|postgresql|both]
                                   [--connections 32] [--warmup 3] [--json FILE]
                                   [--timeout 10] [--postgres-url URL] [--profile DIR]

The client is aiohttp, which the twilio package already installs.

For each database asked for, it

1. creates a fresh database: a SQLite file in a temporary folder (the app puts
   it in WAL mode), or a scratch PostgreSQL database `bench_hotline_<pid>` made
   through `--postgres-url` (default postgresql://postgres@127.0.0.1:5432/postgres,
   or $BENCH_POSTGRES_URL) and dropped afterwards;
2. builds a small, realistic program with the app's own CLI (`hotline db upgrade`,
   `hotline user add`, `hotline officer add`) and services (a tier-1 and a tier-2
   rotation, a couple of overrides);
3. serves `hotline:create_app()` with `gunicorn --workers 2 --worker-class sync`
   on a free loopback port, in production mode (HOTLINE_ENV=production, a
   public URL, log transport: nothing leaves the machine);
4. from this process (not the server's), drives `--connections` closed-loop
   connections (aiohttp + asyncio), each sending signed requests back to back:
   first `/voice/incoming` calls (a unique CallSid each, From = a roster
   officer), then SMS intake steps (a unique MessageSid each: REFER from a new,
   unknown number, then the badge, type, name, place, consent and SEND of that
   intake, then REFER from the next new number). Each phase warms up for
   `--warmup` seconds, then is measured for `--seconds`.

Then, on the same database, it serves `bench/floor.py`, the least a durable webhook
can do (check the signature, commit one row, answer fixed TwiML), and loads it
like `/voice/incoming`: a yardstick that shows how much of a missed target is
the app's own work. Last it serves `bench/hello.py` (Flask hello world) the same
way and loads it the same way: the same signed voice-shaped POSTs, the same
connections and time.

It prints, per target: requests, throughput (req/s), p50/p95/p99 latency, errors
(a non-200 status, a transport error, or a body that is not the expected TwiML,
e.g. the fail-open fallback), and the ratio of its throughput to hello world's.
It exits 1 when a target of SPEC §10 is missed:

- p99 ≤ 50 ms for `/voice/incoming` and for an SMS step at 32 connections;
- each webhook's throughput ≥ 0.5 × hello world's;
- no errors.

After each phase it prints who used the cores meanwhile (the server's processes,
the load client, anything else, and the hypervisor's steal), read from /proc: a
run that shared the machine with other work shows it, and its figures are not
comparable. Compare runs made on a quiet machine.

Latency is measured at the client, from sending a request to reading its whole
answer: it includes waiting in gunicorn's listen queue (32 connections share two
sync workers, so a request waits behind ~15 others) and the connect, as gunicorn
sync workers close every connection. The client shares the machine's cores with
the server, for the app and hello world alike; at hello world's rate it needs
most of a core itself, so hello world's figure is partly the client's limit.

`--profile DIR` serves the app wrapped in pyinstrument (`pip install pyinstrument`):
each worker profiles every request and counts its SQL statements and commits; at
the end DIR holds, per database and webhook, the call tree and the self time by
function of both workers combined (`sqlite-voice-incoming.txt`, …), headed by the
wall time, CPU time, statements and commits per request. Profiled figures are
slower than real ones, so targets are not checked.

Every process it starts (gunicorn masters and their workers) is stopped on the
way out, also on Ctrl-C or SIGTERM; traffic goes to 127.0.0.1 only; each phase
is bounded by --warmup + --seconds + --timeout, and the whole run by an alarm.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
REPOSITORY = BENCH_DIR.parent

P99_TARGET_MS = 50.0
THROUGHPUT_RATIO_TARGET = 0.5
WORKERS = 2  # SPEC §10: gunicorn with 2 sync workers

PUBLIC_URL = "https://hotline.bench.invalid"  # signatures are computed against it, as behind TLS
HOTLINE_NUMBER = "+12065550100"
FALLBACK_NUMBER = "+12065550199"
ACCOUNT_SID = "AC" + "b" * 32

# name, email, phone, role
USERS = [
    ("Ana Coordinator", "ana@bench.invalid", "+12065550101", "coordinator"),
    ("Ben Coordinator", "ben@bench.invalid", "+12065550102", "coordinator"),
    ("Cy Coordinator", "cy@bench.invalid", "+12065550103", "coordinator"),
    ("Dee Supervisor", "dee@bench.invalid", "+12065550104", "supervisor"),
]
# name, badge, agency, phone
OFFICERS = [
    ("Officer Alvarez", "4711", "SPD", "+12065550121"),
    ("Officer Brooks", "4712", "SPD", "+12065550122"),
    ("Officer Chen", "4713", "KCSO", "+12065550123"),
    ("Officer Diaz", "4714", "SPD", "+12065550124"),
    ("Officer Evans", "4715", "KCSO", "+12065550125"),
]

VOICE = "/voice/incoming"
SMS = "/sms/incoming"
TARGET_NAMES = {
    "voice": VOICE,
    "sms": "SMS intake step",
    "floor": "durable floor",
    "hello": "hello world",
}

# One SMS intake from an unknown number: (text sent, a piece of the expected reply).
INTAKE = [
    ("REFER", "badge number"),
    ("4712", "Thank you, Officer Brooks"),
    ("2", "name?"),
    ("Bench Participant", "Where are you?"),
    ("3rd Ave and Pine St", "agreed to be referred"),
    ("Y", "Reply SEND"),
    ("SEND", "Sent: LEAD referral #"),
]


# --- what a run measures -------------------------------------------------------------


@dataclass
class Result:
    """What one phase measured."""

    target: str
    database: str
    connections: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    by_step: dict[str, list[float]] = field(default_factory=dict, repr=False)
    cpu: str = ""

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p)

    def summary(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "database": self.database,
            "connections": self.connections,
            "seconds": round(self.seconds, 2),
            "requests": self.requests,
            "throughput": round(self.throughput, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p95_ms": round(self.percentile(95), 2),
            "p99_ms": round(self.percentile(99), 2),
            "max_ms": round(max(self.latencies_ms, default=math.nan), 2),
            "errors": self.errors,
            "error_samples": self.error_samples,
            "cpu": self.cpu,
            "steps": {
                step: {
                    "requests": len(v),
                    "p50_ms": round(percentile(v, 50), 2),
                    "p99_ms": round(percentile(v, 99), 2),
                }
                for step, v in self.by_step.items()
            },
        }


def percentile(values: list[float], p: float) -> float:
    """Return the nearest-rank percentile `p` (0–100) of `values` (NaN when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


# --- signed Twilio-shaped requests ---------------------------------------------------


def twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    """Return X-Twilio-Signature for a form POST (as hotline.simulator.transport.sign does).

    Inlined (HMAC-SHA1 over the URL and the sorted fields) so that the load
    client does not import the app; checked against `sign` at start-up.
    """
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def voice_params(call_sid: str, caller: str) -> dict[str, str]:
    """Return the fields Twilio posts when a call comes in."""
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": "ringing",
        "Called": HOTLINE_NUMBER,
        "CalledCountry": "US",
        "CalledState": "WA",
        "Caller": caller,
        "CallerCountry": "US",
        "CallerState": "WA",
        "Direction": "inbound",
        "From": caller,
        "FromCountry": "US",
        "FromState": "WA",
        "To": HOTLINE_NUMBER,
        "ToCountry": "US",
        "ToState": "WA",
    }


def sms_params(message_sid: str, sender: str, body: str) -> dict[str, str]:
    """Return the fields Twilio posts when a text comes in."""
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "Body": body,
        "From": sender,
        "FromCountry": "US",
        "FromState": "WA",
        "MessageSid": message_sid,
        "MessagingServiceSid": "MG" + "c" * 32,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsMessageSid": message_sid,
        "SmsSid": message_sid,
        "SmsStatus": "received",
        "To": HOTLINE_NUMBER,
        "ToCountry": "US",
        "ToState": "WA",
    }


@dataclass(frozen=True)
class Request:
    """One signed POST and what its answer must contain."""

    path: str
    body: bytes
    signature: str
    expect: str
    step: str


class Workload:
    """Make the requests of one target: each call builds the next request of one connection."""

    def __init__(self, target: str, token: str) -> None:
        self.target = target
        self.token = token
        self.sids = itertools.count(1)
        self.numbers = itertools.count(0)

    def signed(self, path: str, params: dict[str, str], expect: str, step: str) -> Request:
        signature = twilio_signature(self.token, PUBLIC_URL + path, params)
        return Request(path, urlencode(params).encode(), signature, expect, step)

    def connection(self, index: int) -> Callable[[], Request]:
        """Return the request maker of connection `index` (closed loop: one at a time)."""
        if self.target == "sms":
            return self._sms_connection()
        return self._voice_connection(index)

    def _voice_connection(self, index: int) -> Callable[[], Request]:
        first = index % len(OFFICERS)
        officers = itertools.cycle(OFFICERS[first:] + OFFICERS[:first])

        def make() -> Request:
            caller = next(officers)[3]
            call_sid = f"CA{next(self.sids):032x}"
            expect = "connecting you to the LEAD coordinator on call"
            if self.target == "hello":  # the same request; hello world answers anything
                expect = "Hello, World!"
            return self.signed(VOICE, voice_params(call_sid, caller), expect, "incoming")

        return make

    def _sms_connection(self) -> Callable[[], Request]:
        steps = itertools.cycle(INTAKE)
        sender = ""

        def make() -> Request:
            nonlocal sender
            text, expect = next(steps)
            if text == INTAKE[0][0]:
                sender = self._unknown_number()
            message_sid = f"SM{next(self.sids):032x}"
            step = "answer" if text not in ("REFER", "SEND") else text
            params = sms_params(message_sid, sender, text)
            return self.signed(SMS, params, expect, step)

        return make

    def _unknown_number(self) -> str:
        """Return a valid US number that is on no roster, never the same twice in a run."""
        n = next(self.numbers)
        exchange = 200 + n // 10_000
        if exchange >= 555:  # 555-01xx are the roster's
            exchange += 1
        return f"+1206{exchange}{n % 10_000:04d}"


# --- the closed-loop client ----------------------------------------------------------


async def drive(
    base_url: str,
    workload: Workload,
    connections: int,
    warmup: float,
    seconds: float,
    timeout: float,
    result: Result,
) -> None:
    """Run `connections` closed loops: warm up, then record what starts and ends in the window."""
    import aiohttp  # the load client only; the servers never import this module's client side

    loop = asyncio.get_running_loop()
    start = loop.time()
    window_start = start + warmup
    window_end = window_start + seconds
    # gunicorn sync workers close every connection: connect afresh each time, as Twilio does.
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    client_timeout = aiohttp.ClientTimeout(total=timeout)

    async def one_connection(index: int, http: aiohttp.ClientSession) -> None:
        make = workload.connection(index)
        while loop.time() < window_end:
            request = make()
            headers = {
                "X-Twilio-Signature": request.signature,
                "Content-Type": "application/x-www-form-urlencoded",
                "User-Agent": "TwilioProxy/1.1",
            }
            began = loop.time()
            error = None
            try:
                async with http.post(
                    base_url + request.path,
                    data=request.body,
                    headers=headers,
                    allow_redirects=False,
                ) as response:
                    body = await response.text()
                    if response.status != 200:
                        error = f"HTTP {response.status} on {request.step}: {body[:120]!r}"
                    elif request.expect not in body:
                        error = f"unexpected answer on {request.step}: {body[:200]!r}"
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                error = f"{type(exc).__name__} on {request.step}: {exc}"
            ended = loop.time()
            if began >= window_start and ended <= window_end:
                latency = (ended - began) * 1000
                result.latencies_ms.append(latency)
                result.by_step.setdefault(request.step, []).append(latency)
                if error is not None:
                    result.errors += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(error)
            elif error is not None and began < window_start and len(result.error_samples) < 5:
                result.error_samples.append(f"(warm-up) {error}")

    async with aiohttp.ClientSession(connector=connector, timeout=client_timeout) as http:
        await asyncio.gather(*(one_connection(i, http) for i in range(connections)))


# --- who used the cores --------------------------------------------------------------


@dataclass(frozen=True)
class CpuSnapshot:
    """Cumulative CPU ticks: the machine's, this client's, the server's process group's."""

    busy: int
    steal: int
    client: int
    server: int


def cpu_snapshot(server_group: int | None) -> CpuSnapshot | None:
    """Read /proc (Linux) to tell later whether something else was using the cores."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        client = server = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            rest = text[text.rindex(")") + 2 :].split()
            ticks = int(rest[11]) + int(rest[12])
            if int(stat.parent.name) == os.getpid():
                client += ticks
            elif server_group is not None and int(rest[2]) == server_group:
                server += ticks
    except (OSError, ValueError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return CpuSnapshot(user + nice + system + irq + softirq + steal, steal, client, server)


def cpu_shares(before: CpuSnapshot | None, after: CpuSnapshot | None, seconds: float) -> str:
    """Describe, in cores, who used the machine between two snapshots."""
    if before is None or after is None or seconds <= 0:
        return ""
    hz = os.sysconf("SC_CLK_TCK")

    def cores(ticks: int) -> float:
        return ticks / hz / seconds

    busy = cores(after.busy - before.busy)
    client = cores(after.client - before.client)
    server = cores(after.server - before.server)
    other = max(busy - client - server, 0.0)
    return (
        f"cores busy {busy:.2f} of {os.cpu_count()}: server {server:.2f}, load client "
        f"{client:.2f}, other {other:.2f} (PostgreSQL, kernel, anything else), "
        f"steal {cores(after.steal - before.steal):.2f}"
    )


# --- servers and databases -----------------------------------------------------------


def loopback_socket() -> socket.socket:
    """Return a listening socket on a free 127.0.0.1 port, to hand to gunicorn (no race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class Server:
    """A gunicorn master (and its workers) on a loopback port, stopped whatever happens."""

    def __init__(self, label: str, app_spec: str, env: dict[str, str], log_dir: Path) -> None:
        self.label = label
        self.app_spec = app_spec
        self.env = env
        self.log_path = log_dir / f"gunicorn-{label}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def __enter__(self) -> Server:
        sock = loopback_socket()
        port = sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"fd://{sock.fileno()}",
            "--pythonpath",
            str(BENCH_DIR),
            "--graceful-timeout",
            "5",
            "--log-level",
            "info",
            "--error-logfile",
            str(self.log_path),
            self.app_spec,
        ]
        try:
            # Its own session: Ctrl-C reaches this script only, which stops the group itself.
            self.process = subprocess.Popen(
                command,
                env=self.env,
                cwd=REPOSITORY,
                pass_fds=(sock.fileno(),),
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            sock.close()  # gunicorn holds its own copy
        try:
            self._wait_until_answering(timeout=30)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn ({self.label}) exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + "/", timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # any HTTP answer means a worker is serving
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise RuntimeError(
            f"gunicorn ({self.label}) did not answer in {timeout} s: {self.log_tail()}"
        )

    def stop(self) -> None:
        """Stop the master and its workers (SIGTERM, then SIGKILL), by their process group."""
        process, self.process = self.process, None
        if process is None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            if process.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(wait)
        # A worker left behind by a killed master is in the same group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n" + "\n".join(self.log_path.read_text().splitlines()[-lines:])
        except OSError:
            return "(no log)"


def clean_environment() -> dict[str, str]:
    """Return this process's environment without any hotline or database setting."""
    dropped = ("HOTLINE_", "TWILIO_")
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(dropped) and key not in ("DATABASE_URL", "SECRET_KEY")
    }


def app_environment(database_url: str, token: str) -> dict[str, str]:
    """Return the production settings the app is served with."""
    env = clean_environment()
    env.update(
        HOTLINE_ENV="production",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_hex(32),
        TWILIO_AUTH_TOKEN=token,
        HOTLINE_PUBLIC_URL=PUBLIC_URL,
        HOTLINE_NUMBER=HOTLINE_NUMBER,
        HOTLINE_FALLBACK_NUMBERS=FALLBACK_NUMBER,
        HOTLINE_TRANSPORT="log",
        HOTLINE_TIMEZONE="America/Los_Angeles",
    )
    return env


@contextlib.contextmanager
def scratch_database(kind: str, work_dir: Path, postgres_url: str) -> Iterator[str]:
    """Yield the URL of a fresh, empty database; remove it afterwards."""
    if kind == "sqlite":
        path = work_dir / "hotline.db"
        yield f"sqlite:///{path}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(postgres_url)
    if admin.host not in (None, "localhost") and not admin.host.startswith("127."):
        raise SystemExit(f"--postgres-url must be on the loopback, not {admin.host}")
    name = f"bench_hotline_{os.getpid()}"
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(drivername="postgresql", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build_program(env: dict[str, str]) -> dict[str, Any]:
    """Create the schema and a realistic program with the app's own CLI and services."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        from hotline import create_app, db
        from hotline.audit import Actor
        from hotline.schemas.oncall import OverrideIn, RotationIn, WindowIn
        from hotline.services.oncall import create_override, create_rotation
        from hotline.simulator.transport import sign

        app = create_app()
        runner = app.test_cli_runner()
        commands = [["db", "upgrade"]]
        commands += [
            ["user", "add", "--name", n, "--email", e, "--phone", p, "--role", r]
            for n, e, p, r in USERS
        ]
        commands += [
            ["officer", "add", "--name", n, "--badge", b, "--agency", a, "--phone", p]
            for n, b, a, p in OFFICERS
        ]
        for args in commands:
            outcome = runner.invoke(args=args)
            if outcome.exit_code != 0:
                raise RuntimeError(f"hotline {' '.join(args[:2])} failed: {outcome.output}")

        now = datetime.now(UTC)
        actor = Actor(None, "cli")
        monday = (now - timedelta(days=now.weekday() + 14)).strftime("%Y-%m-%dT09:00")
        with db.session_scope(app) as session:
            create_rotation(
                session,
                RotationIn(
                    name="Coordinators",
                    tier=1,
                    timezone="America/Los_Angeles",
                    start=monday,
                    shift_hours=12,
                    participants=[1, 2, 3],
                ),
                actor,
                now,
            )
            create_rotation(
                session,
                RotationIn(
                    name="Weekend cover",
                    tier=1,
                    priority=1,
                    timezone="America/Los_Angeles",
                    start=monday,
                    shift_hours=24,
                    participants=[3, 1],
                    windows=[WindowIn(days=["sat", "sun"], start="08:00", end="20:00")],
                ),
                actor,
                now,
            )
            create_rotation(
                session,
                RotationIn(
                    name="Supervisors",
                    tier=2,
                    timezone="America/Los_Angeles",
                    start=monday,
                    shift_hours=168,
                    participants=[4, 2],
                ),
                actor,
                now,
            )
            for user_id, days in ((2, 2), (1, 5)):
                start = now + timedelta(days=days)
                create_override(
                    session,
                    OverrideIn(
                        user_id=user_id,
                        tier=1,
                        start=start,
                        end=start + timedelta(hours=8),
                    ),
                    actor,
                    now,
                )
        db.database(app).engine.dispose()

        # The client signs with its own code: check it against the app's.
        params = voice_params("CA" + "0" * 32, OFFICERS[0][3])
        url = PUBLIC_URL + VOICE
        if sign(env["TWILIO_AUTH_TOKEN"], url, params) != twilio_signature(
            env["TWILIO_AUTH_TOKEN"], url, params
        ):
            raise RuntimeError("the load client's signatures differ from the app's")
        return {"users": len(USERS), "officers": len(OFFICERS), "rotations": 3, "overrides": 2}
    finally:
        os.environ.clear()
        os.environ.update(saved)


# --- profiling (served by gunicorn as `load:profiled_app()`) -------------------------


def profiled_app() -> Any:
    """Return the hotline app wrapped to profile each webhook request (see --profile)."""
    from pyinstrument import Profiler
    from sqlalchemy import event

    from hotline import create_app, db

    out_dir = Path(os.environ["BENCH_PROFILE_DIR"])
    app = create_app()
    engine = db.database(app).engine
    counts: dict[str, dict[str, int]] = {}
    sessions: dict[str, list[Any]] = {}
    current: dict[str, str | None] = {"path": None}

    def count(kind: str) -> Callable[..., None]:
        def listener(*args: Any, **kwargs: Any) -> None:
            path = current["path"]
            if path is not None:
                counts[path][kind] += 1

        return listener

    event.listen(engine, "before_cursor_execute", count("statements"))
    event.listen(engine, "commit", count("commits"))
    event.listen(engine, "checkout", count("checkouts"))
    inner = app.wsgi_app

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path not in (VOICE, SMS):
            return inner(environ, start_response)
        current["path"] = path
        counts.setdefault(path, {"requests": 0, "statements": 0, "commits": 0, "checkouts": 0})
        counts[path]["requests"] += 1
        profiler = Profiler(interval=0.0005)
        profiler.start()
        try:
            # Read the whole answer inside the profile: the view runs during the call.
            return [b"".join(inner(environ, start_response))]
        finally:
            sessions.setdefault(path, []).append(profiler.stop())
            current["path"] = None

    def dump() -> None:
        pid = os.getpid()
        for path, parts in sessions.items():
            combined = combine_sessions(parts)
            combined.save(str(out_dir / f"{path.strip('/').replace('/', '-')}.{pid}.pstat.json"))
        (out_dir / f"counts.{pid}.json").write_text(json.dumps(counts))

    atexit.register(dump)
    app.wsgi_app = wsgi  # type: ignore[method-assign]
    return app


def combine_sessions(parts: list[Any]) -> Any:
    """Combine pyinstrument sessions pairwise (balanced: a linear fold copies quadratically)."""
    from pyinstrument.session import Session

    while len(parts) > 1:
        parts = [
            Session.combine(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i]
            for i in range(0, len(parts), 2)
        ]
    return parts[0]


def report_profiles(out_dir: Path, label: str) -> None:
    """Combine the workers' profiles per webhook into text files; print per-request figures."""
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session

    totals: dict[str, dict[str, int]] = {}
    for path in sorted(out_dir.glob("counts.*.json")):
        for route, numbers in json.loads(path.read_text()).items():
            total = totals.setdefault(route, dict.fromkeys(numbers, 0))
            for key, value in numbers.items():
                total[key] += value
        path.unlink()
    for route in (VOICE, SMS):
        stem = route.strip("/").replace("/", "-")
        files = sorted(out_dir.glob(f"{stem}.*.pstat.json"))
        total = totals.get(route, {})
        if not files or not total:
            continue
        session = combine_sessions([Session.load(str(f)) for f in files])
        for f in files:
            f.unlink()
        n = max(total["requests"], 1)
        figures = (
            f"{label} {route}: {total['requests']} profiled requests; per request "
            f"{session.duration / n * 1000:.2f} ms wall, {session.cpu_time / n * 1000:.2f} ms CPU, "
            f"{total['statements'] / n:.1f} SQL statements, {total['commits'] / n:.1f} commits, "
            f"{total['checkouts'] / n:.1f} pool checkouts"
        )
        tree = ConsoleRenderer(unicode=True, color=False)
        flat = ConsoleRenderer(unicode=True, color=False, flat=True, flat_time="self")
        out = out_dir / f"{label}-{stem}.txt"
        out.write_text(
            figures
            + "\n\nCall tree (seconds, all profiled requests):\n"
            + tree.render(session)
            + "\nSelf time by function:\n"
            + flat.render(session)
        )
        print(f"  {figures}\n  profile: {out}", flush=True)


# --- the run -------------------------------------------------------------------------


def measure(
    server: Server, target: str, database: str, token: str, args: argparse.Namespace
) -> Result:
    """Load one server with one workload and return what was measured."""
    result = Result(target, database, args.connections, args.seconds)
    workload = Workload(target, token)
    group = server.process.pid if server.process is not None else None
    before, started = cpu_snapshot(group), time.monotonic()
    asyncio.run(
        drive(
            server.base_url,
            workload,
            args.connections,
            args.warmup,
            args.seconds,
            args.timeout,
            result,
        )
    )
    result.cpu = cpu_shares(before, cpu_snapshot(group), time.monotonic() - started)
    return result


def measure_floor(
    kind: str, url: str, token: str, args: argparse.Namespace, work_dir: Path
) -> Result:
    """Serve bench/floor.py on the app's database and load it as `/voice/incoming`."""
    from floor import create_table

    create_table(url)
    env = clean_environment()
    env.update(TWILIO_AUTH_TOKEN=token, HOTLINE_PUBLIC_URL=PUBLIC_URL, FLOOR_DATABASE_URL=url)
    with Server(f"floor-{kind}", "floor:app", env, work_dir) as server:
        print(f"[{kind}] loading the durable floor at {server.base_url} …", flush=True)
        result = measure(server, "floor", kind, token, args)
    print(f"[{kind}] {progress(result)}", flush=True)
    return result


def progress(r: Result) -> str:
    return (
        f"{r.target}: {r.requests} requests, {r.throughput:.1f} req/s, "
        f"p99 {r.percentile(99):.1f} ms, {r.errors} errors\n    {r.cpu}"
    )


def print_table(results: list[Result], hello: Result | None) -> None:
    header = (
        f"{'target':<22} {'database':<10} {'conns':>5} {'requests':>9} {'req/s':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} {'× hello':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = (
            f"{r.throughput / hello.throughput:8.2f}"
            if hello is not None and hello.throughput and r.target != "hello"
            else f"{'':>8}"
        )
        name = TARGET_NAMES[r.target]
        print(
            f"{name:<22} {r.database:<10} {r.connections:>5} {r.requests:>9} {r.throughput:>8.1f} "
            f"{r.percentile(50):>7.1f} {r.percentile(95):>7.1f} {r.percentile(99):>7.1f} "
            f"{r.errors:>6} {ratio}"
        )
        for sample in r.error_samples[:3]:
            print(f"    error: {sample}")
    for r in results:
        if r.target == "sms" and r.by_step:
            steps = ", ".join(
                f"{step} p50 {percentile(v, 50):.1f} / p99 {percentile(v, 99):.1f} ms"
                for step, v in r.by_step.items()
            )
            print(f"  SMS steps on {r.database}: {steps}")


def print_floor(results: list[Result], hello: Result | None) -> None:
    """Say what the durable floor (bench/floor.py) leaves to the app on each database."""
    for floor in (r for r in results if r.target == "floor"):
        ratio = floor.throughput / hello.throughput if hello and hello.throughput else math.nan
        print(
            f"  durable floor on {floor.database} (signature check + one committed insert): "
            f"p99 {floor.percentile(99):.1f} ms, {ratio:.2f} × hello world"
        )


def verdicts(results: list[Result], hello: Result | None) -> list[tuple[bool, str]]:
    """Return each SPEC §10 target with whether it held (the floor is a yardstick, not one)."""
    checks = []
    for r in results:
        if r.target == "floor":
            continue
        if r.target == "hello":
            held = r.errors == 0 and r.requests > 0
            checks.append((held, f"hello world answered ({r.errors} errors)"))
            continue
        name = f"{VOICE if r.target == 'voice' else 'SMS step'} on {r.database}"
        checks.append((r.requests > 0 and r.errors == 0, f"{name}: {r.errors} errors"))
        checks.append(
            (
                r.percentile(99) <= P99_TARGET_MS,
                f"{name}: p99 {r.percentile(99):.1f} ms ≤ {P99_TARGET_MS:.0f} ms "
                f"at {r.connections} connections",
            )
        )
        if hello is not None and hello.throughput:
            ratio = r.throughput / hello.throughput
            checks.append(
                (
                    ratio >= THROUGHPUT_RATIO_TARGET,
                    f"{name}: {ratio:.2f} × hello world's throughput ≥ {THROUGHPUT_RATIO_TARGET}",
                )
            )
    return checks


def run(args: argparse.Namespace) -> int:
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    work_dir = Path(tempfile.mkdtemp(prefix="bench-hotline-"))
    profile_dir = Path(args.profile).resolve() if args.profile else None
    results: list[Result] = []
    hello: Result | None = None
    try:
        print(
            f"bench/load.py: gunicorn {WORKERS} sync workers, {args.connections} connections, "
            f"{args.warmup:g} s warm-up + {args.seconds:g} s per target; {os.cpu_count()} cores, "
            f"Python {platform.python_version()}{'; PROFILED' if profile_dir else ''}",
            flush=True,
        )
        for kind in databases:
            db_dir = work_dir / kind
            db_dir.mkdir()
            token = secrets.token_hex(16)
            with scratch_database(kind, db_dir, args.postgres_url) as url:
                env = app_environment(url, token)
                program = build_program(env)
                print(f"[{kind}] program: {program}", flush=True)
                app_spec = "hotline:create_app()"
                if profile_dir is not None:
                    profile_dir.mkdir(parents=True, exist_ok=True)
                    env["BENCH_PROFILE_DIR"] = str(profile_dir)
                    app_spec = "load:profiled_app()"
                with Server(f"app-{kind}", app_spec, env, work_dir) as server:
                    for target in ("voice", "sms"):
                        print(f"[{kind}] loading {target} at {server.base_url} …", flush=True)
                        result = measure(server, target, kind, token, args)
                        results.append(result)
                        print(f"[{kind}] {progress(result)}", flush=True)
                if profile_dir is not None:
                    report_profiles(profile_dir, kind)
                    continue
                results.append(measure_floor(kind, url, token, args, work_dir))
        token = secrets.token_hex(16)
        with Server("hello", "hello:app", clean_environment(), work_dir) as server:
            print(f"[hello] loading hello world at {server.base_url} …", flush=True)
            hello = measure(server, "hello", "-", token, args)
            results.append(hello)
            print(f"[hello] {progress(hello)}", flush=True)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)

    print()
    print_table(results, hello)
    print_floor(results, hello)
    checks = verdicts(results, hello)
    print()
    for held, text in checks:
        print(f"{'ok  ' if held else 'MISS'} {text}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "results": [r.summary() for r in results],
                    "checks": [{"held": h, "target": t} for h, t in checks],
                },
                indent=2,
            )
            + "\n"
        )
    if profile_dir is not None:
        print("(profiled run: the app is slowed by the profiler; targets not enforced)")
        return 0
    return 0 if all(held for held, _ in checks) else 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20, help="measured time per target")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured time before each")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=10, help="per request, seconds")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a loopback PostgreSQL maintenance database to create the scratch database from",
    )
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--profile", metavar="DIR", help="profile the webhooks with pyinstrument")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.warmup < 0 or args.connections < 1 or args.timeout <= 0:
        parser.error("--seconds, --connections and --timeout must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    databases = 2 if args.database == "both" else 1
    phase = args.warmup + args.seconds + args.timeout + 5
    # start-up, program and stop per server, plus every phase: then give up whatever happens.
    budget = databases * (150 + 3 * phase) + 60 + phase
    # Ctrl-C even when started from a shell that ignores SIGINT in background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGALRM, _out_of_time)
    signal.alarm(int(budget))
    try:
        return run(args)
    except KeyboardInterrupt:
        print("\ninterrupted: every server was stopped", file=sys.stderr)
        return 130
    except TimeoutError as error:
        print(f"\n{error}: every server was stopped", file=sys.stderr)
        return 2
    finally:
        signal.alarm(0)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _out_of_time(signum: int, frame: object) -> None:
    raise TimeoutError("bench/load.py ran past its time budget")


if __name__ == "__main__":
    sys.exit(main())
