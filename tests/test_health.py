"""GET /healthz tells an uptime checker, within about a second, whether texts can go out."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from hotline import create_app, jobs
from hotline.db import session_scope
from hotline.health import ClockRun, clock_state
from hotline.jobs import run_job
from hotline.messaging.outbox import queue_text
from hotline.models import JobRun
from tests.faults import stuck
from tests.faults.stuck import unused_loopback_port
from tests.messaging.fake_twilio import AUTH_TOKEN, FakeTwilio

# The SPEC's bound is 1 s; the rest is the test client and a loaded machine.
ANSWER_WITHIN_SECONDS = 1.5


def queue_texts(app: Flask, count: int) -> None:
    with session_scope(app) as session:
        for n in range(count):
            queue_text(
                session,
                sender="+12065550100",
                to=f"+1206555020{n}",
                body="hi",
                now=datetime.now(UTC),
            )


def age_last_dispatch(app: Flask, by: timedelta) -> None:
    """Move dispatch-outbox's last success into the past, as if the clock stopped then."""
    with session_scope(app) as session:
        session.execute(
            update(JobRun)
            .where(JobRun.name == "dispatch-outbox")
            .values(succeeded_at=datetime.now(UTC) - by)
        )


def timed_get(client: FlaskClient, path: str) -> tuple[Any, float]:
    started = time.monotonic()
    answer = client.get(path)
    return answer, time.monotonic() - started


def test_a_running_clock_and_database_answer_200_with_the_outbox_size(
    app: Flask, client: FlaskClient
) -> None:
    run_job(app, "dispatch-outbox", datetime.now(UTC))
    queue_texts(app, 2)

    answer = client.get("/healthz")

    assert answer.status_code == 200
    assert answer.get_json() == {
        "status": "ok",
        "database": "ok",
        "clock": "ok",
        "outbox_queued": 2,
    }
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_clock_that_never_ran_is_failing(client: FlaskClient) -> None:
    answer = client.get("/healthz")

    assert answer.status_code == 503
    body = answer.get_json()
    assert (body["status"], body["database"]) == ("failing", "ok")
    assert body["clock"].startswith("never ran")


def test_the_clock_goes_stale_three_minutes_after_the_last_successful_dispatch(
    app: Flask, client: FlaskClient
) -> None:
    run_job(app, "dispatch-outbox", datetime.now(UTC))
    with session_scope(app) as session:
        succeeded = session.scalar(select(JobRun.succeeded_at))
    assert succeeded is not None
    assert clock_state(ClockRun(succeeded), succeeded + timedelta(minutes=3)) == "ok"
    assert clock_state(ClockRun(succeeded), succeeded + timedelta(minutes=3, seconds=1)).startswith(
        "stale"
    )

    age_last_dispatch(app, timedelta(minutes=4))
    answer = client.get("/healthz")

    assert answer.status_code == 503
    body = answer.get_json()
    assert (body["status"], body["database"]) == ("failing", "ok")
    assert body["clock"].startswith("stale: last successful dispatch-outbox run 4 minutes ago")


def test_a_run_as_of_a_past_instant_counts_from_when_it_really_ran(
    app: Flask, client: FlaskClient
) -> None:
    # `jobs run dispatch-outbox --at` sends the queued texts now, whatever instant it is given.
    run_job(app, "dispatch-outbox", datetime(2020, 1, 1, tzinfo=UTC))

    assert client.get("/healthz").status_code == 200


def test_a_failing_dispatch_run_keeps_the_time_of_the_last_success(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_job(app, "dispatch-outbox", datetime.now(UTC))
    age_last_dispatch(app, timedelta(minutes=4))

    def broken(*args: object) -> str:
        raise RuntimeError("transport exploded")

    monkeypatch.setitem(
        jobs.JOBS, "dispatch-outbox", jobs.Job("dispatch-outbox", {}, broken, "fails")
    )
    with pytest.raises(RuntimeError):
        run_job(app, "dispatch-outbox", datetime.now(UTC))

    body = client.get("/healthz").get_json()
    assert body["status"] == "failing"
    assert body["clock"].startswith("stale: last successful dispatch-outbox run 4 minutes ago")


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Yield the port of a loopback server that accepts connections and never answers."""
    with stuck.silent_server() as port:
        yield port


def app_on(app_config: dict[str, Any], port: int) -> Flask:
    return create_app(
        {**app_config, "DATABASE_URL": f"postgresql+psycopg://hotline@127.0.0.1:{port}/hotline"}
    )


def test_a_refused_database_answers_503_at_once(app_config: dict[str, Any]) -> None:
    client = app_on(app_config, unused_loopback_port()).test_client()

    answer, took = timed_get(client, "/healthz")

    assert answer.status_code == 503
    assert answer.get_json() == {
        "status": "failing",
        "database": "error: OperationalError",
        "clock": "unknown (no database)",
        "outbox_queued": None,
    }
    assert took < ANSWER_WITHIN_SECONDS


def test_a_database_that_never_answers_is_failing_within_the_deadline(
    app_config: dict[str, Any], silent_server: int
) -> None:
    client = app_on(app_config, silent_server).test_client()

    for _ in range(3):  # a stuck earlier probe neither delays nor piles up behind the next
        answer, took = timed_get(client, "/healthz")

        assert answer.status_code == 503
        body = answer.get_json()
        assert (body["status"], body["database"]) == ("failing", "no answer within 1 s")
        assert took < ANSWER_WITHIN_SECONDS


class TestTwilioRefusingTheTexts:
    """Texts Twilio refuses (wrong credentials, an outage) are not going out: /healthz says so."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any], fake_twilio: FakeTwilio) -> dict[str, Any]:
        return {
            **app_config,
            **fake_twilio.settings(),
        }

    def test_refused_credentials_turn_the_clock_stale_until_a_text_goes_out(
        self, app: Flask, client: FlaskClient, fake_twilio: FakeTwilio
    ) -> None:
        run_job(app, "dispatch-outbox", datetime.now(UTC))
        fake_twilio.auth_token = "rotated at the console"
        queue_texts(app, 1)
        now = datetime.now(UTC)
        run_job(app, "dispatch-outbox", now)
        age_last_dispatch(app, timedelta(minutes=4))
        # The text waits for its retry: a run with nothing to send proves nothing either way.
        run_job(app, "dispatch-outbox", now + timedelta(seconds=10))

        answer = client.get("/healthz")

        assert answer.status_code == 503
        clock = answer.get_json()["clock"]
        assert clock.startswith("stale: last successful dispatch-outbox run 4 minutes ago")
        assert clock.endswith(
            "texts are not going out: Twilio answered HTTP 401 (Twilio error 20003)"
        )

        fake_twilio.auth_token = AUTH_TOKEN  # the operator mends the credentials
        run_job(app, "dispatch-outbox", now + timedelta(minutes=1))

        assert client.get("/healthz").status_code == 200
        assert fake_twilio.bodies() == ["hi"]  # the refused text was kept, not given up

    def test_the_refusal_is_kept_in_a_column_of_its_own_until_a_text_goes_out(
        self, app: Flask, fake_twilio: FakeTwilio
    ) -> None:
        def refused() -> str | None:
            with session_scope(app) as session:
                return session.scalar(select(JobRun.refused))

        fake_twilio.auth_token = "rotated at the console"
        queue_texts(app, 1)
        now = datetime.now(UTC)
        run_job(app, "dispatch-outbox", now)
        assert refused() == "Twilio answered HTTP 401 (Twilio error 20003)"
        run_job(app, "dispatch-outbox", now + timedelta(seconds=10))  # nothing due to send
        assert refused() == "Twilio answered HTTP 401 (Twilio error 20003)"

        fake_twilio.auth_token = AUTH_TOKEN
        run_job(app, "dispatch-outbox", now + timedelta(minutes=1))

        assert refused() is None
        assert fake_twilio.bodies() == ["hi"]

    def test_twilio_down_turns_the_clock_stale(
        self, app: Flask, client: FlaskClient, fake_twilio: FakeTwilio
    ) -> None:
        run_job(app, "dispatch-outbox", datetime.now(UTC))
        fake_twilio.down = True
        queue_texts(app, 2)
        run_job(app, "dispatch-outbox", datetime.now(UTC))
        age_last_dispatch(app, timedelta(minutes=4))

        body = client.get("/healthz").get_json()

        assert body["status"] == "failing"
        assert body["clock"].endswith(
            "texts are not going out: Twilio answered HTTP 503 (Twilio error 20503)"
        )

    def test_a_hotline_number_twilio_will_not_send_from_turns_the_clock_stale(
        self, app: Flask, client: FlaskClient, fake_twilio: FakeTwilio
    ) -> None:
        # HOTLINE_NUMBER not this account's, or not SMS-capable: every text fails alike,
        # the supervisors' failure notices too, so only /healthz can say so.
        run_job(app, "dispatch-outbox", datetime.now(UTC))
        fake_twilio.fail_next("21606")  # the rest wait: they would fail alike
        queue_texts(app, 2)
        now = datetime.now(UTC)
        run_job(app, "dispatch-outbox", now)
        age_last_dispatch(app, timedelta(minutes=4))

        body = client.get("/healthz").get_json()

        assert body["status"] == "failing"
        assert body["clock"].endswith(
            "texts are not going out: Twilio answered HTTP 400 (Twilio error 21606)"
        )
        run_job(app, "dispatch-outbox", now + timedelta(minutes=1))  # the number is mended
        assert client.get("/healthz").status_code == 200
        assert fake_twilio.bodies() == ["hi", "hi"]  # kept for their retries, not given up

    def test_a_text_refused_for_its_own_number_leaves_the_clock_ok(
        self, app: Flask, client: FlaskClient, fake_twilio: FakeTwilio
    ) -> None:
        run_job(app, "dispatch-outbox", datetime.now(UTC))
        age_last_dispatch(app, timedelta(minutes=4))
        fake_twilio.fail_next("21211")  # not a valid phone number: that text's fault alone
        queue_texts(app, 1)
        assert "1 failed" in run_job(app, "dispatch-outbox", datetime.now(UTC))

        assert client.get("/healthz").status_code == 200

    def test_running_the_job_by_hand_says_texts_are_not_going_out(
        self, app: Flask, fake_twilio: FakeTwilio
    ) -> None:
        fake_twilio.auth_token = "rotated at the console"
        queue_texts(app, 1)

        ran = app.test_cli_runner().invoke(args=["jobs", "run", "dispatch-outbox"])

        assert ran.exit_code == 1
        assert ran.output == (
            "Error: dispatch-outbox: texts are not going out: Twilio answered HTTP 401"
            " (Twilio error 20003); 0 sent, 1 to retry, 0 failed, 0 suppressed;"
            " 0 of 0 calls back placed\n"
        )
