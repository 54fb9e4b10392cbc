"""Load the webhooks under gunicorn and compare with a bare Flask "hello world" (SPEC §10).

Run (from the repository, with the project's virtualenv):

    .venv/bin/python bench/load.py [--seconds 20] [--database sqlite|postgresql|both]
                                   [--connections 32] [--warmup 3] [--rounds 1] [--json FILE]
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

`--rounds N` repeats all of it N times, on fresh databases and servers, prints
each round, then the medians (each ratio against its own round's hello world,
as the machine drifts) and judges those: one round on a shared machine can be
a quarter off.

Its parts: `load_workload.py` (the program, the signed requests, the targets),
`load_client.py` (the closed-loop client, latencies, cores), `load_servers.py`
(gunicorn, scratch databases, building the program), `load_rounds.py` (the
medians of `--rounds`) and `load_profiling.py` (`--profile`); `floor.py` and
`hello.py` are the yardsticks it serves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from load_client import Result, cpu_shares, cpu_snapshot, drive, percentile
from load_profiling import report_profiles
from load_rounds import report_across
from load_servers import (
    WORKERS,
    Server,
    app_environment,
    build_program,
    clean_environment,
    scratch_database,
)
from load_workload import (
    P99_TARGET_MS,
    PUBLIC_URL,
    TARGET_NAMES,
    THROUGHPUT_RATIO_TARGET,
    VOICE,
    Workload,
)

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


def one_round(args: argparse.Namespace, profile_dir: Path | None) -> list[Result]:
    """Measure every target once, on fresh databases and servers; hello world comes last."""
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    work_dir = Path(tempfile.mkdtemp(prefix="bench-hotline-"))
    results: list[Result] = []
    try:
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
                    app_spec = "load_profiling:profiled_app()"
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
    return results


def report(results: list[Result]) -> list[tuple[bool, str]]:
    """Print one round's table and verdicts; return the verdicts."""
    hello = next((r for r in results if r.target == "hello"), None)
    print()
    print_table(results, hello)
    print_floor(results, hello)
    checks = verdicts(results, hello)
    print()
    for held, text in checks:
        print(f"{'ok  ' if held else 'MISS'} {text}")
    return checks


def run(args: argparse.Namespace) -> int:
    profile_dir = Path(args.profile).resolve() if args.profile else None
    print(
        f"bench/load.py: gunicorn {WORKERS} sync workers, {args.connections} connections, "
        f"{args.warmup:g} s warm-up + {args.seconds:g} s per target, {args.rounds} round(s); "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
        f"{'; PROFILED' if profile_dir else ''}",
        flush=True,
    )
    rounds: list[list[Result]] = []
    for number in range(1, args.rounds + 1):
        if args.rounds > 1:
            print(f"\n=== round {number} of {args.rounds}", flush=True)
        rounds.append(one_round(args, profile_dir))
        checks = report(rounds[-1])
    if args.rounds > 1:
        print(f"\n=== across {args.rounds} rounds (medians; each ratio against its round's hello)")
        checks = report_across(rounds)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "rounds": [[r.summary() for r in results] for results in rounds],
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
        "--rounds", type=int, default=1, help="repeat every target; judge the medians"
    )
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
    if (
        args.seconds <= 0
        or args.warmup < 0
        or args.connections < 1
        or args.timeout <= 0
        or args.rounds < 1
    ):
        parser.error("--seconds, --connections, --timeout and --rounds must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    databases = 2 if args.database == "both" else 1
    phase = args.warmup + args.seconds + args.timeout + 5
    # start-up, program and stop per server, plus every phase: then give up whatever happens.
    budget = args.rounds * (databases * (150 + 3 * phase) + 60 + phase)
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
