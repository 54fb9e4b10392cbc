"""Drive the load with wrk (a C client that leaves the cores to the server), requests pre-signed.

Python cannot sign, send and time 2,000 requests a second without taking most of
a core from the two gunicorn workers it measures. wrk can, if the requests are
ready: this module writes each connection's requests (signed exactly as the
Python client signs them) to a file, and `wrk.lua` replays them, one
connection per wrk thread so that an SMS intake's texts arrive in order. The
Lua script checks every answer's body for the expected TwiML (a fail-open
answer is an error, as in the Python client) and prints the latency
percentiles as JSON. The Python client (load_client.drive) stays the fallback
when wrk is not installed.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from load_client import Result
from load_workload import Workload

LUA = Path(__file__).with_name("wrk.lua")
# Requests written per connection and second of load: above any rate a 2-core machine
# reaches per connection (a few hundred), so no CallSid or MessageSid is sent twice.
PER_CONNECTION_SECOND = 400


def available() -> bool:
    """Tell whether wrk is installed (Debian's package `wrk`)."""
    return shutil.which("wrk") is not None


def write_requests(
    workload: Workload, connections: int, count: int, folder: Path, prefix: str = ""
) -> None:
    """Write `count` signed requests per connection, one file per connection (wrk thread)."""
    for index in range(connections):
        make = workload.connection(index)
        lines = []
        for _ in range(count):
            request = make()
            # Tab-separated: path, signature, expected text, body (none holds a tab or newline).
            lines.append(
                "\t".join((request.path, request.signature, request.expect, request.body.decode()))
            )
        (folder / f"{prefix}requests-{index + 1}.tsv").write_text("\n".join(lines) + "\n")


def run_wrk(
    base_url: str, connections: int, seconds: float, timeout: float, folder: Path, prefix: str = ""
) -> dict[str, Any]:
    """Run wrk for `seconds` against `base_url`; return what wrk.lua reported."""
    command = [
        "wrk",
        f"--threads={connections}",
        f"--connections={connections}",
        f"--duration={max(1, math.ceil(seconds))}s",
        f"--timeout={max(1, math.ceil(timeout))}s",
        "--script",
        str(LUA),
        base_url,
    ]
    done = subprocess.run(
        command,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=seconds + timeout + 30,
        env={"WRK_REQUESTS": str(folder), "WRK_PREFIX": prefix, "PATH": "/usr/bin:/bin"},
        check=False,
    )
    report = next(
        (line for line in done.stdout.splitlines() if line.startswith("{")),
        None,
    )
    if done.returncode != 0 or report is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip()[:300]}")
    return dict(json.loads(report))


def drive_wrk(
    base_url: str,
    workload: Workload,
    connections: int,
    warmup: float,
    seconds: float,
    timeout: float,
    result: Result,
) -> None:
    """Warm up, then measure for `seconds` with wrk; fill `result` with wrk's figures."""
    with tempfile.TemporaryDirectory(prefix="wrk-") as work:
        folder = Path(work)
        # The warm-up's requests are its own: the measured run never repeats a Sid.
        if warmup > 0:
            count = int(PER_CONNECTION_SECOND * max(warmup, 1)) + 100
            write_requests(workload, connections, count, folder, "warm-")
            run_wrk(base_url, connections, warmup, timeout, folder, "warm-")
        count = int(PER_CONNECTION_SECOND * seconds) + 100
        write_requests(workload, connections, count, folder)
        report = run_wrk(base_url, connections, seconds, timeout, folder)
    result.seconds = report["seconds"]
    result.fixed_requests = report["requests"]
    result.fixed_percentiles = {float(p): ms for p, ms in report["percentiles_ms"].items()}
    result.errors = report["errors"]
    result.client = "wrk"
    if report["errors"]:
        result.error_samples.append(json.dumps(report["error_kinds"]))
        if report.get("sample"):
            result.error_samples.append(report["sample"])
