"""Load the webhooks under gunicorn and compare them with the durable floor (contract §10).

Run (from the repository, with the project's virtualenv):

    .venv/bin/python bench/load.py [--seconds 20] [--database sqlite|postgresql|both]
                                   [--connections 32] [--warmup 3] [--rounds 1] [--json FILE]
                                   [--timeout 10] [--postgres-url URL] [--profile DIR]
                                   [--client auto|wrk|python]

For each database asked for, it

1. creates a fresh database: a SQLite file in a temporary folder (the app puts
   it in WAL mode), or a scratch PostgreSQL database `bench_hotline_<pid>` made
   through `--postgres-url` (default postgresql://postgres@127.0.0.1:5432/postgres,
   or $BENCH_POSTGRES_URL) and dropped afterwards;
2. builds a small, realistic program with the app's own CLI and services;
3. serves `hotline:create_app()` with `gunicorn --workers 2 --worker-class sync`
   on a free loopback port, in production mode (log transport: nothing leaves
   the machine);
4. drives `--connections` closed-loop connections, each sending signed
   requests back to back: first `/voice/incoming` calls (a unique CallSid
   each), then SMS intake steps (a unique MessageSid each: REFER from a new,
   unknown number, then badge, type, name, place, consent and SEND, then REFER
   from the next number). Each phase warms up for `--warmup` seconds, then is
   measured for `--seconds`;
5. serves `bench/floor.py` on the same database — the **durable floor**: what
   any webhook must do (check the signature, commit one row with the app's
   durability, answer fixed TwiML) — and loads it as `/voice/incoming`, once
   before the app and once after it. The round's floor is the two together, so
   a machine that slows down during the round weighs on the floor and the app
   alike; when the two halves differ by more than 15 % it says so.

The client is wrk (Debian's `wrk`, a C client that leaves the cores to the
server) over requests signed beforehand (`load_wrk.py`, `wrk.lua`: one
connection per wrk thread, every answer's body checked); without wrk, or with
`--client python`, the aiohttp client of `load_client.py`, which takes much of
a core itself. The table says which measured.

Per target it prints requests, throughput, p50/p95/p99 latency (from sending a
request to reading its answer, gunicorn's listen queue and the connect
included), errors (a non-200, a transport error, or an answer that is not the
expected TwiML, e.g. the fail-open fallback) and its ratios to the floor of the
same round and database. It exits 1 when a target is missed: each webhook at
least 0.7 × the floor's throughput, a p99 at most 1.5 × the floor's, no errors.
With `--rounds N` it judges the medians of N rounds, each round against its own
floor. After each phase it prints who used the cores meanwhile (read from /proc):
a run that shared the machine with other work says so. It also splits a request's
time in a sync worker (workers / throughput) into the workers' CPU and waiting.
`--workers N` serves the app and the floor with N sync workers alike: outside
SPEC §10's load model, to see how much of a ratio is waiting that more workers
would overlap.

`--profile DIR` serves the app under pyinstrument
(`load_profiling.py`); profiled figures are slower, so targets are not checked.

Every process it starts is stopped on the way out, also on Ctrl-C or SIGTERM;
traffic goes to 127.0.0.1 only; the whole run is bounded by an alarm.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from load_client import Result, bracketed, cpu_shares, cpu_snapshot, drive, percentile
from load_profiling import report_profiles
from load_rounds import against_floor, report_across
from load_servers import (
    WORKERS,
    Server,
    add_database_options,
    app_environment,
    build_program,
    chosen_databases,
    clean_environment,
    scratch_database,
)
from load_workload import (
    JUDGED,
    P99_RATIO_TARGET,
    PUBLIC_URL,
    TARGET_NAMES,
    THROUGHPUT_RATIO_TARGET,
    VOICE,
    Workload,
)
from load_wrk import available as wrk_available
from load_wrk import drive_wrk

# Floors before and after the app further apart than this: the machine was not steady.
FLOOR_DRIFT = 0.15

# --- the run -------------------------------------------------------------------------


def measure(
    server: Server, target: str, database: str, token: str, args: argparse.Namespace
) -> Result:
    """Load one server with one workload and return what was measured."""
    result = Result(target, database, args.connections, args.seconds)
    workload = Workload(target, token)
    group = server.process.pid if server.process is not None else None
    before, started = cpu_snapshot(group), time.monotonic()
    load = (server.base_url, workload, args.connections, args.warmup, args.seconds)
    if use_wrk(args):
        drive_wrk(*load, args.timeout, result)
    else:
        asyncio.run(drive(*load, args.timeout, result))
    after, seconds = cpu_snapshot(group), time.monotonic() - started
    result.cpu = cpu_shares(before, after, seconds, result.throughput, args.workers)
    return result


def use_wrk(args: argparse.Namespace) -> bool:
    """Tell whether wrk drives the load (`--client auto` takes it when installed)."""
    if args.client == "python":
        return False
    if args.client == "wrk" and not wrk_available():
        raise SystemExit("--client wrk: wrk is not installed (apt-get install -y wrk)")
    return wrk_available()


def measure_floor(
    kind: str, url: str, token: str, args: argparse.Namespace, work_dir: Path, when: str
) -> Result:
    """Serve bench/floor.py on the app's database and load it as `/voice/incoming`."""
    from floor import create_table

    create_table(url)
    env = clean_environment()
    env.update(TWILIO_AUTH_TOKEN=token, HOTLINE_PUBLIC_URL=PUBLIC_URL, FLOOR_DATABASE_URL=url)
    with Server(f"floor-{kind}", "floor:app", env, work_dir, args.workers) as server:
        print(f"[{kind}] loading the durable floor ({when}) at {server.base_url} …", flush=True)
        result = measure(server, "floor", kind, token, args)
    print(f"[{kind}] {progress(result)}", flush=True)
    return result


def floor_around(before: Result, after: Result) -> Result:
    """Return the floor of a round: measured before and after the app, so drift weighs on both."""
    kind = before.database
    moved = abs(after.throughput - before.throughput) / max(before.throughput, 1e-9)
    print(
        f"[{kind}] floor before and after the app: {before.throughput:.1f} and "
        f"{after.throughput:.1f} req/s, p99 {before.percentile(99):.1f} and "
        f"{after.percentile(99):.1f} ms"
        + (f" — it moved {moved:.0%}: the machine was not steady" if moved > FLOOR_DRIFT else ""),
        flush=True,
    )
    return bracketed(before, after)


def progress(r: Result) -> str:
    return (
        f"{r.target}: {r.requests} requests, {r.throughput:.1f} req/s, "
        f"p99 {r.percentile(99):.1f} ms, {r.errors} errors\n    {r.cpu}"
    )


def print_table(results: list[Result]) -> None:
    header = (
        f"{'target':<24} {'database':<10} {'conns':>5} {'requests':>9} {'req/s':>8} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} {'× floor':>8} {'p99 ×':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        speed, tail = against_floor(r, results)
        ratios = f"{speed:8.2f} {tail:6.2f}" if r.target != "floor" else f"{'':>8} {'':>6}"
        print(
            f"{TARGET_NAMES[r.target]:<24} {r.database:<10} {r.connections:>5} {r.requests:>9} "
            f"{r.throughput:>8.1f} {r.percentile(50):>7.1f} {r.percentile(95):>7.1f} "
            f"{r.percentile(99):>7.1f} {r.errors:>6} {ratios}"
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
    clients = sorted({r.client for r in results})
    print(f"  measured by: {', '.join(clients)}")


def verdicts(results: list[Result]) -> list[tuple[bool, str]]:
    """Return each contract §10 target with whether it held, against its own floor."""
    checks = []
    for r in results:
        if r.target not in JUDGED:
            continue
        name = f"{VOICE if r.target == 'voice' else 'SMS step'} on {r.database}"
        speed, tail = against_floor(r, results)
        checks.append((r.requests > 0 and r.errors == 0, f"{name}: {r.errors} errors"))
        checks.append(
            (
                speed >= THROUGHPUT_RATIO_TARGET,
                f"{name}: {speed:.2f} × the floor's throughput ≥ {THROUGHPUT_RATIO_TARGET}",
            )
        )
        checks.append(
            (
                tail <= P99_RATIO_TARGET,
                f"{name}: p99 {r.percentile(99):.1f} ms, {tail:.2f} × the floor's "
                f"≤ {P99_RATIO_TARGET} at {r.connections} connections",
            )
        )
    return checks


def one_round(args: argparse.Namespace, profile_dir: Path | None) -> list[Result]:
    """Measure every target once, on fresh databases and servers, each beside its floor."""
    databases = chosen_databases(args.database)
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
                before = None  # a profiled run measures no floor
                if profile_dir is None:
                    before = measure_floor(kind, url, token, args, work_dir, "before the app")
                app_spec = "hotline:create_app()"
                if profile_dir is not None:
                    profile_dir.mkdir(parents=True, exist_ok=True)
                    env["BENCH_PROFILE_DIR"] = str(profile_dir)
                    app_spec = "load_profiling:profiled_app()"
                with Server(f"app-{kind}", app_spec, env, work_dir, args.workers) as server:
                    for target in ("voice", "sms"):
                        print(f"[{kind}] loading {target} at {server.base_url} …", flush=True)
                        result = measure(server, target, kind, token, args)
                        results.append(result)
                        print(f"[{kind}] {progress(result)}", flush=True)
                if profile_dir is not None:
                    report_profiles(profile_dir, kind)
                    continue
                assert before is not None
                after = measure_floor(kind, url, token, args, work_dir, "after the app")
                results.append(floor_around(before, after))
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    return results


def report(results: list[Result]) -> list[tuple[bool, str]]:
    """Print one round's table and verdicts; return the verdicts."""
    print()
    print_table(results)
    checks = verdicts(results)
    print()
    for held, text in checks:
        print(f"{'ok  ' if held else 'MISS'} {text}")
    return checks


def run(args: argparse.Namespace) -> int:
    profile_dir = Path(args.profile).resolve() if args.profile else None
    off_contract = "" if args.workers == WORKERS else " (not SPEC §10's load model)"
    print(
        f"bench/load.py: gunicorn {args.workers} sync workers{off_contract}, "
        f"{args.connections} connections, "
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
        print(f"\n=== across {args.rounds} rounds (medians; each ratio against its round's floor)")
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
    add_database_options(parser)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--workers",
        type=int,
        default=WORKERS,
        help=f"sync workers of the app and the floor alike (SPEC §10 sets {WORKERS})",
    )
    parser.add_argument("--timeout", type=float, default=10, help="per request, seconds")
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat every target; judge the medians"
    )
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="the load client: wrk when installed (auto), or the Python fallback",
    )

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
