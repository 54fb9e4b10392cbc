"""GET /metrics gives a scraper holding the token the outbox, the jobs and webhook latencies."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from hotline import create_app, metrics
from hotline.db import session_scope
from hotline.jobs import run_job
from hotline.messaging.outbox import queue_text
from hotline.metrics import SCRAPE_DEADLINE_SECONDS
from hotline.models import JobRun
from tests.faults.stuck import unused_loopback_port
from tests.test_health import silent_server  # noqa: F401 (a fixture)

TOKEN = "scrape-me-0123456789abcdef"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "HOTLINE_METRICS_TOKEN": TOKEN}


def scrape(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Return every sample of /metrics by name and labels, parsed as Prometheus parses it."""
    answer = client.get("/metrics", headers=BEARER)
    assert answer.status_code == 200
    assert answer.content_type.startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.get_data(as_text=True))
        for sample in family.samples
    }


def signed_post(client: FlaskClient, app: Flask, path: str, **params: str) -> int:
    url = f"http://localhost{path}"
    signature = RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    answer = client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    return answer.status_code


def test_without_a_token_setting_the_endpoint_does_not_exist(
    app_config: dict[str, Any],
) -> None:
    client = create_app({**app_config, "HOTLINE_METRICS_TOKEN": None}).test_client()

    assert client.get("/metrics", headers=BEARER).status_code == 404


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": TOKEN},
        {"Authorization": "Bearer é"},
    ],
)
def test_a_missing_or_wrong_token_is_refused(client: FlaskClient, headers: dict[str, str]) -> None:
    answer = client.get("/metrics", headers=headers)

    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert "hotline_outbox_queued" not in answer.get_data(as_text=True)


def test_the_outbox_and_the_jobs_last_successes_are_read_at_scrape_time(
    app: Flask, client: FlaskClient
) -> None:
    run_job(app, "dispatch-outbox", datetime.now(UTC))
    now = datetime.now(UTC)
    with session_scope(app) as session:
        for minutes, to in ((5, "+12065550201"), (1, "+12065550202")):
            queue_text(session, sender=None, to=to, body="hi", now=now - timedelta(minutes=minutes))
        succeeded = session.scalar(select(JobRun.succeeded_at))
    assert succeeded is not None

    samples = scrape(client)

    assert samples[("hotline_database_up", ())] == 1
    assert samples[("hotline_outbox_queued", ())] == 2
    assert 300 <= samples[("hotline_outbox_oldest_queued_age_seconds", ())] < 360
    success = "hotline_job_last_success_timestamp_seconds"
    assert samples[(success, (("job", "dispatch-outbox"),))] == pytest.approx(succeeded.timestamp())
    assert samples[(success, (("job", "retention"),))] == 0  # never ran
    assert samples[("hotline_job_last_run_ok", (("job", "dispatch-outbox"),))] == 1


def test_an_empty_outbox_has_no_age(client: FlaskClient) -> None:
    samples = scrape(client)

    assert samples[("hotline_outbox_queued", ())] == 0
    assert samples[("hotline_outbox_oldest_queued_age_seconds", ())] == 0


def test_webhook_latencies_are_counted_per_fixed_route(app: Flask, client: FlaskClient) -> None:
    def count(endpoint: str, status: str) -> float:
        key = ("hotline_webhook_seconds_count", (("endpoint", endpoint), ("status", status)))
        return scrape(client).get(key, 0)

    before = count("voice.fallback", "200"), count("sms.fallback", "200")
    refused_before = count("voice.fallback", "403")

    assert signed_post(client, app, "/voice/fallback", CallSid="CA1") == 200
    assert signed_post(client, app, "/voice/fallback", CallSid="CA2") == 200
    assert signed_post(client, app, "/sms/fallback", MessageSid="SM1") == 200
    assert client.post("/voice/fallback", data={"CallSid": "CA3"}).status_code == 403
    client.get("/voice/no-such-step")  # an unknown path adds no series of its own

    assert (count("voice.fallback", "200"), count("sms.fallback", "200")) == (
        before[0] + 2,
        before[1] + 1,
    )
    assert count("voice.fallback", "403") == refused_before + 1
    samples = scrape(client)
    assert not any("no-such-step" in str(labels) for _, labels in samples)
    # The voice deadline is a bucket edge: "answered within 3 s" is one query.
    within_deadline = (
        "hotline_webhook_seconds_bucket",
        (("endpoint", "voice.fallback"), ("le", "3.0"), ("status", "200")),
    )
    assert samples[within_deadline] == before[0] + 2


def test_a_broken_metrics_store_never_costs_a_webhook_its_answer(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Unwritable:
        def labels(self, *labels: str) -> Unwritable:
            raise FileNotFoundError("PROMETHEUS_MULTIPROC_DIR is gone")

    monkeypatch.setattr(metrics, "WEBHOOK_SECONDS", Unwritable())

    assert signed_post(client, app, "/voice/fallback", CallSid="CA1") == 200


def test_a_scrape_with_the_database_down_says_so(app_config: dict[str, Any]) -> None:
    url = f"postgresql+psycopg://hotline@127.0.0.1:{unused_loopback_port()}/hotline"
    down = create_app({**app_config, "DATABASE_URL": url})

    samples = scrape(down.test_client())

    assert samples[("hotline_database_up", ())] == 0
    assert ("hotline_outbox_queued", ()) not in samples


def test_a_scrape_with_a_database_that_never_answers_ends_in_time(
    app_config: dict[str, Any],
    silent_server: int,  # noqa: F811
) -> None:
    url = f"postgresql+psycopg://hotline@127.0.0.1:{silent_server}/hotline"
    client = create_app({**app_config, "DATABASE_URL": url}).test_client()

    started = time.monotonic()
    samples = scrape(client)

    # The deadline, then the test client on a loaded machine: a CI run took 2.58 s here.
    assert time.monotonic() - started < SCRAPE_DEADLINE_SECONDS + 1.0
    assert samples[("hotline_database_up", ())] == 0


WORKER = """
import os, sys
from twilio.request_validator import RequestValidator
from hotline import create_app

app = create_app({"TESTING": True, "INSTANCE_PATH": sys.argv[1]})
client = app.test_client()
if sys.argv[2] == "call":
    url, params = "http://localhost/voice/fallback", {"CallSid": "CA1"}
    signature = RequestValidator(app.config["TWILIO_AUTH_TOKEN"]).compute_signature(url, params)
    answer = client.post(url, data=params, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 200
else:
    bearer = "Bearer " + os.environ["HOTLINE_METRICS_TOKEN"]
    answer = client.get("/metrics", headers={"Authorization": bearer})
    sys.stdout.write(answer.get_data(as_text=True))
"""


@pytest.mark.slow
def test_with_a_multiprocess_directory_every_worker_s_latencies_are_scraped(
    app_config: dict[str, Any], tmp_path: Path
) -> None:
    # Gunicorn's workers are processes: each writes its histograms to the shared directory.
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    environment = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "HOTLINE_ENV": "development",
        "DATABASE_URL": app_config["DATABASE_URL"],
        "HOTLINE_METRICS_TOKEN": TOKEN,
        "TWILIO_AUTH_TOKEN": "test-token",
    }

    def worker(action: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", WORKER, str(tmp_path / "instance"), action],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    worker("call")
    worker("call")
    exposition = worker("scrape")

    counts = [
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == "hotline_webhook_seconds_count"
        and sample.labels == {"endpoint": "voice.fallback", "status": "200"}
    ]
    assert counts == [2]
    assert "\nhotline_outbox_queued " in exposition  # the database gauges come along
