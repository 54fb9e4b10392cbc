"""The closed-loop load client and what it measures: latencies, errors, who used the cores."""

from __future__ import annotations

import asyncio
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from load_workload import Workload

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
    client: str = "python"  # which client measured: "wrk" or the Python fallback
    # wrk reports counts and percentiles, not each latency.
    fixed_requests: int | None = None
    fixed_percentiles: dict[float, float] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        if self.fixed_requests is not None:
            return self.fixed_requests
        return len(self.latencies_ms)

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if self.fixed_percentiles:
            return self.fixed_percentiles.get(float(p), math.nan)
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
            "client": self.client,
            "steps": {
                step: {
                    "requests": len(v),
                    "p50_ms": round(percentile(v, 50), 2),
                    "p99_ms": round(percentile(v, 99), 2),
                }
                for step, v in self.by_step.items()
            },
        }


def bracketed(before: Result, after: Result) -> Result:
    """Return one phase measured in two halves, before and after what it is compared with.

    Requests and seconds add up; latencies are pooled (the Python client), or
    each percentile is the two halves' request-weighted mean (wrk reports
    percentiles, not latencies: close enough when the halves are alike).
    """
    both = Result(before.target, before.database, before.connections, 0.0)
    both.seconds = before.seconds + after.seconds
    both.latencies_ms = before.latencies_ms + after.latencies_ms
    both.errors = before.errors + after.errors
    both.error_samples = (before.error_samples + after.error_samples)[:5]
    both.client = before.client
    both.cpu = f"before: {before.cpu}\n    after: {after.cpu}"
    if before.fixed_requests is not None and after.fixed_requests is not None:
        both.fixed_requests = before.fixed_requests + after.fixed_requests
        weights = (before.fixed_requests, after.fixed_requests)
        total = sum(weights) or 1
        both.fixed_percentiles = {
            p: (weights[0] * value + weights[1] * after.fixed_percentiles.get(p, value)) / total
            for p, value in before.fixed_percentiles.items()
        }
    return both


def percentile(values: list[float], p: float) -> float:
    """Return the nearest-rank percentile `p` (0–100) of `values` (NaN when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


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


def cpu_shares(
    before: CpuSnapshot | None,
    after: CpuSnapshot | None,
    seconds: float,
    rate: float = 0.0,
    workers: int = 0,
) -> str:
    """Describe, in cores, who used the machine between two snapshots.

    With the measured `rate` (requests a second) and the server's sync
    `workers`, also split a request's time in a worker into CPU and waiting
    (for a lock, the disk, the database's round trips, the next request).
    """
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
    ) + (per_request(server, rate, workers) if rate > 0 and workers > 0 else "")


def per_request(server_cores: float, rate: float, workers: int) -> str:
    """Split a request's time in one sync worker into CPU and waiting, in milliseconds."""
    held = workers / rate * 1000  # each worker serves one request at a time
    cpu = server_cores / rate * 1000
    return (
        f"\n    per request in a worker: {held:.2f} ms, of which {cpu:.2f} ms CPU "
        f"and {max(held - cpu, 0.0):.2f} ms waiting"
    )
