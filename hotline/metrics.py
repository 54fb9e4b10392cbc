"""GET /metrics: Prometheus metrics behind a bearer token (HOTLINE_METRICS_TOKEN).

The outbox and job gauges are read from the database at scrape time (within a
deadline, on a thread: bounded_read), so every gunicorn worker answers the
same. Webhook latency histograms live in each worker's memory, or in
PROMETHEUS_MULTIPROC_DIR when it is set (then every worker's are scraped).
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Connection, func, select

from .bounded_read import BoundedReader, Unanswered
from .db import database
from .jobs import JOBS
from .logs import log_exception
from .models import JobRun, Message

WEBHOOK_BLUEPRINTS = ("voice", "sms")
# The voice deadline (3 s) and Twilio's own limit (15 s) are bucket edges.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0)

# Well inside Prometheus's default scrape timeout (10 s); a stuck database is a 0, not a hang.
SCRAPE_DEADLINE_SECONDS = 2.0
EXTENSION_KEY = "hotline.metrics"

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)
# Module-level: one histogram per process, however many apps the process creates.
_webhook_registry = CollectorRegistry()
WEBHOOK_SECONDS = Histogram(
    "hotline_webhook_seconds",
    "Time to answer a Twilio webhook, by route and status code.",
    ["endpoint", "status"],
    buckets=LATENCY_BUCKETS,
    registry=_webhook_registry,
)


@dataclass(frozen=True)
class _Reading:
    """What a scrape reads from the database."""

    queued: int
    oldest: datetime | None
    runs: dict[str, tuple[datetime | None, bool]]  # job: (last success, last run ok)


def read_gauges(connection: Connection) -> _Reading:
    """Read the outbox and the jobs' last runs."""
    count, oldest = connection.execute(
        select(func.count(), func.min(Message.created_at)).where(Message.status == "queued")
    ).one()
    runs = connection.execute(select(JobRun.name, JobRun.succeeded_at, JobRun.ok))
    return _Reading(count, oldest, {name: (succeeded, ok) for name, succeeded, ok in runs})


class DatabaseCollector(Collector):
    """Yield the database's gauges at each scrape, read within a deadline."""

    def __init__(self, read: BoundedReader[_Reading]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        """Yield the gauges; only hotline_database_up (0) when the database cannot answer."""
        up = GaugeMetricFamily("hotline_database_up", "1 when the scrape could read the database.")
        try:
            reading = self._read()
        except Unanswered:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _gauges(reading, datetime.now(UTC))


def _gauges(reading: _Reading, now: datetime) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "hotline_outbox_queued", "Texts queued and not yet sent.", value=reading.queued
    )
    age = 0.0 if reading.oldest is None else (now - reading.oldest).total_seconds()
    yield GaugeMetricFamily(
        "hotline_outbox_oldest_queued_age_seconds",
        "Age of the oldest queued text (0 when none is queued).",
        value=max(age, 0.0),
    )
    success = GaugeMetricFamily(
        "hotline_job_last_success_timestamp_seconds",
        "Unix time of each job's last successful run (0 when it never succeeded).",
        labels=["job"],
    )
    last_ok = GaugeMetricFamily(
        "hotline_job_last_run_ok", "1 when the job's last run succeeded.", labels=["job"]
    )
    for name in JOBS:
        succeeded, ok = reading.runs.get(name, (None, None))
        success.add_metric([name], succeeded.timestamp() if succeeded else 0)
        if ok is not None:
            last_ok.add_metric([name], 1 if ok else 0)
    yield success
    yield last_ok


class _Histograms(Collector):
    """Hand this process's webhook histograms to a scrape's registry."""

    def collect(self) -> Iterator[Metric]:
        """Yield the histograms."""
        yield from _webhook_registry.collect()


def start_timer() -> None:
    """Note when a webhook request started."""
    if request.blueprint in WEBHOOK_BLUEPRINTS:
        g.metrics_started = time.perf_counter()


def observe(response: Response) -> Response:
    """Record how long a webhook took, labelled by its fixed route (never by its path)."""
    started = g.pop("metrics_started", None)
    if started is None or request.endpoint is None:
        return response
    try:
        WEBHOOK_SECONDS.labels(request.endpoint, str(response.status_code)).observe(
            time.perf_counter() - started
        )
    except Exception:
        # e.g. PROMETHEUS_MULTIPROC_DIR missing: a metric must never cost a call its answer.
        log_exception(log, "recording a webhook's latency failed")
    return response


def init_app(app: Flask) -> None:
    """Time the webhooks and serve /metrics."""
    app.before_request(start_timer)
    app.after_request(observe)
    app.register_blueprint(bp)


def _registry(app: Flask) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # every worker's files
    else:
        registry.register(_Histograms())
    registry.register(DatabaseCollector(_reader(app)))
    return registry


def _reader(app: Flask) -> BoundedReader[_Reading]:
    found: BoundedReader[_Reading] | None = app.extensions.get(EXTENSION_KEY)
    if found is None:
        reader = BoundedReader(database(app).engine, read_gauges, SCRAPE_DEADLINE_SECONDS)
        found = app.extensions.setdefault(EXTENSION_KEY, reader)
    return found


@bp.get("/metrics")
def metrics() -> Response:
    """Answer the exposition text to a scraper holding the token; 404 when none is set."""
    token: str | None = current_app.config["HOTLINE_METRICS_TOKEN"]
    if token is None:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), token.encode()
    ):
        return Response(
            "A valid bearer token is needed.\n",
            401,
            {"WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain"},
        )
    body = generate_latest(_registry(current_app))
    return Response(body, 200, {"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})
