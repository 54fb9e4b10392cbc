"""The dispatch-outbox job sends each queued text once, retries, and reports what it gives up."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.messaging.dispatch import (
    FAILURE_NOTICE,
    LEASE,
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    DispatchReport,
    claim_message,
    dispatch_outbox,
)
from hotline.messaging.outbox import queue_text
from hotline.messaging.transport import LogTransport, SendResult, Transport
from hotline.messaging.twilio_transport import TwilioTransport
from hotline.models import Message, OptOut, Referral, User
from tests.factories import add_user
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, Failure, FakeTwilio

T0 = datetime(2024, 5, 1, 17, 0, tzinfo=UTC)
HOTLINE = "+12065550100"
OFFICER = "+12065550177"
SUPERVISOR = "+12065550155"


def queue(
    app: Flask,
    body: str = "Referral #1 received",
    *,
    to: str = OFFICER,
    at: datetime = T0,
    referral_id: int | None = None,
    kind: str | None = None,
) -> int:
    """Queue a text from the hotline and return its id."""
    with session_scope(app) as session:
        return queue_text(
            session, sender=HOTLINE, to=to, body=body, now=at, referral_id=referral_id, kind=kind
        )


def dispatch(app: Flask, transport: Transport, now: datetime) -> DispatchReport:
    """Run the job once, as of `now`, in a session of its own."""
    with session_scope(app) as session:
        return dispatch_outbox(session, now, transport)


def message(app: Flask, message_id: int) -> Message:
    """Return a message as the database holds it now."""
    with session_scope(app) as session:
        return session.get_one(Message, message_id)


def messages(app: Flask, **where: object) -> list[Message]:
    """Return the messages matching `where`, oldest first."""
    with session_scope(app) as session:
        return list(session.scalars(select(Message).filter_by(**where).order_by(Message.id)))


def add_referral(app: Flask) -> int:
    """Add a bare referral and return its number."""
    with session_scope(app) as session:
        referral = Referral(channel="sms", created_at=T0)
        session.add(referral)
        session.flush()
        return referral.id


def opt_out(app: Flask, phone: str, source: str = "sms") -> None:
    """Record that `phone` texted STOP."""
    with session_scope(app) as session:
        session.add(OptOut(phone=phone, at=T0, source=source))


class TestSending:
    """Queued texts go out once, oldest first, and are recorded as sent."""

    def test_sends_each_queued_text_once(
        self, app: Flask, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        first = queue(app, "first")
        second = queue(app, "second", to=SUPERVISOR, at=T0 + timedelta(seconds=1))
        assert dispatch(app, transport, T0 + timedelta(seconds=1)) == DispatchReport(sent=2)
        assert [(r.to, r.sender, r.body) for r in fake_twilio.requests] == [
            (OFFICER, HOTLINE, "first"),
            (SUPERVISOR, HOTLINE, "second"),
        ]
        for message_id in (first, second):
            sent = message(app, message_id)
            assert sent.status == "sent" and sent.attempts == 1
            assert sent.message_sid is not None and sent.message_sid.startswith("SM")
            assert sent.next_attempt_at is None

    def test_running_twice_at_the_same_instant_sends_nothing_twice(
        self, app: Flask, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        queue(app, "one")
        queue(app, "two")
        assert dispatch(app, transport, T0).sent == 2
        assert dispatch(app, transport, T0) == DispatchReport()
        assert fake_twilio.bodies() == ["one", "two"]

    def test_a_text_due_later_waits(
        self, app: Flask, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        queue(app, at=T0 + timedelta(minutes=1))
        assert dispatch(app, transport, T0) == DispatchReport()
        assert dispatch(app, transport, T0 + timedelta(minutes=1)).sent == 1

    def test_batch_limits_one_run(self, app: Flask, fake_twilio: FakeTwilio) -> None:
        for n in range(3):
            queue(app, f"text {n}")
        with session_scope(app) as session:
            assert dispatch_outbox(session, T0, LogTransport(), batch=2).sent == 2
        assert dispatch(app, LogTransport(), T0).sent == 1

    def test_log_transport_marks_texts_sent(self, app: Flask) -> None:
        message_id = queue(app)
        assert dispatch(app, LogTransport(), T0).sent == 1
        sent = message(app, message_id)
        assert sent.status == "sent" and (sent.message_sid or "").startswith("LOG")


class TestRetries:
    """A failure that may pass is retried with growing delays, then given up."""

    def test_fails_twice_then_is_delivered_once_at_the_right_times(
        self, app: Flask, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        message_id = queue(app)
        fake_twilio.fail_next("500", times=2)

        assert dispatch(app, transport, T0) == DispatchReport(retried=1)
        retrying = message(app, message_id)
        assert retrying.status == "queued" and retrying.attempts == 1
        assert retrying.next_attempt_at == T0 + RETRY_DELAYS[0]
        assert retrying.error == "HTTP 500 (Twilio error 20500)"

        second = T0 + RETRY_DELAYS[0]
        assert dispatch(app, transport, second - timedelta(seconds=1)) == DispatchReport()
        assert dispatch(app, transport, second) == DispatchReport(retried=1)
        assert message(app, message_id).next_attempt_at == second + RETRY_DELAYS[1]

        third = second + RETRY_DELAYS[1]
        assert dispatch(app, transport, third - timedelta(seconds=1)) == DispatchReport()
        assert dispatch(app, transport, third) == DispatchReport(sent=1)
        assert dispatch(app, transport, third + timedelta(hours=1)) == DispatchReport()

        assert [r.answered for r in fake_twilio.requests] == [500, 500, 201]
        delivered = message(app, message_id)
        assert (delivered.status, delivered.attempts, delivered.error) == ("sent", 3, None)

    def test_twilio_down_for_a_while_then_back_delivers_everything_once(
        self, app: Flask, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        bodies = [f"text {n}" for n in range(5)]
        for body in bodies:
            queue(app, body)
        fake_twilio.down = True
        now = T0
        while now < T0 + timedelta(minutes=6):  # the job's trigger: every 10 s
            dispatch(app, transport, now)
            now += timedelta(seconds=10)
        assert fake_twilio.accepted == []
        assert {m.status for m in messages(app)} == {"queued"}

        fake_twilio.down = False
        while now < T0 + timedelta(minutes=20):
            dispatch(app, transport, now)
            now += timedelta(seconds=10)
        assert sorted(fake_twilio.bodies()) == bodies
        assert {m.status for m in messages(app)} == {"sent"}

    def test_a_failing_twilio_ends_the_run_early(
        self, app: Flask, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        first, second = queue(app, "first"), queue(app, "second")
        fake_twilio.fail_next("429")
        assert dispatch(app, transport, T0) == DispatchReport(retried=1)
        assert [r.body for r in fake_twilio.requests] == ["first"]
        assert message(app, second).attempts == 0  # left for the next run, 10 s later
        assert dispatch(app, transport, T0 + timedelta(seconds=10)) == DispatchReport(sent=1)
        assert dispatch(app, transport, T0 + RETRY_DELAYS[0]) == DispatchReport(sent=1)
        assert fake_twilio.bodies() == ["second", "first"]
        assert message(app, first).attempts == 2

    @pytest.mark.parametrize("failure", ["429", "503"])
    def test_a_throttled_text_waits_as_long_as_twilios_retry_after_asks(
        self, app: Flask, transport: TwilioTransport, fake_twilio: FakeTwilio, failure: Failure
    ) -> None:
        message_id = queue(app)
        fake_twilio.retry_after = "300"
        fake_twilio.fail_next(failure)
        assert dispatch(app, transport, T0) == DispatchReport(retried=1)
        # Trying again after our own 30 s would only be refused again, and use up a try.
        assert message(app, message_id).next_attempt_at == T0 + timedelta(minutes=5)
        assert dispatch(app, transport, T0 + timedelta(minutes=4)) == DispatchReport()
        assert dispatch(app, transport, T0 + timedelta(minutes=5)) == DispatchReport(sent=1)
        assert [r.answered for r in fake_twilio.requests] == [int(failure), 201]

    def test_a_retry_after_shorter_than_the_backoff_or_past_the_longest_wait_is_bounded(
        self, app: Flask, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        short, long = queue(app, "short"), queue(app, "long")
        fake_twilio.retry_after = "1"
        fake_twilio.fail_next("429")
        dispatch(app, transport, T0)
        assert message(app, short).next_attempt_at == T0 + RETRY_DELAYS[0]
        fake_twilio.retry_after = "86400"
        fake_twilio.fail_next("429")
        dispatch(app, transport, T0)
        assert message(app, long).next_attempt_at == T0 + RETRY_DELAYS[-1]

    def test_a_queued_text_without_a_due_time_is_sent(self, app: Flask) -> None:
        with session_scope(app) as session:
            session.add(
                Message(
                    direction="out",
                    from_number=HOTLINE,
                    to_number=OFFICER,
                    body="hi",
                    status="queued",
                    created_at=T0,
                )
            )
        assert dispatch(app, LogTransport(), T0) == DispatchReport(sent=1)

    def test_the_last_try_fails_the_text_and_tells_the_supervisors(
        self, app: Flask, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        add_user(app, "Sue Pervis", "supervisor", phone=SUPERVISOR)
        add_user(app, "Sam Gone", "supervisor", active=False)
        add_user(app, "Cory Coordinator")
        referral = add_referral(app)
        message_id = queue(app, "Participant Jane Roe", referral_id=referral)
        fake_twilio.fail_next("500", times=MAX_ATTEMPTS)

        now = T0
        reports = []
        for delay in (*RETRY_DELAYS, None):
            reports.append(dispatch(app, transport, now))
            if delay is not None:
                now += delay
        assert reports == [DispatchReport(retried=1)] * (MAX_ATTEMPTS - 1) + [
            DispatchReport(failed=1)
        ]
        failed = message(app, message_id)
        assert (failed.status, failed.attempts) == ("failed", MAX_ATTEMPTS)
        assert failed.next_attempt_at is None

        [notice] = messages(app, kind=FAILURE_NOTICE)
        assert notice.to_number == SUPERVISOR and notice.status == "queued"
        assert notice.referral_id == referral and notice.from_number == HOTLINE
        # SPEC §5: every text that tells staff about a referral nobody has taken names its
        # number and `Reply ACK 42`: the coordinator never got the text that asked them to.
        assert notice.body == (
            f"LEAD hotline: a text to +1******0177 about referral #{referral} "
            f"could not be delivered (error 20500 after {MAX_ATTEMPTS} tries). "
            f"Reply ACK {referral} to take it."
        )
        assert dispatch(app, transport, now) == DispatchReport(sent=1)
        assert fake_twilio.accepted[-1].to == SUPERVISOR

    def test_a_spanish_supervisor_reads_the_tries_and_the_outcome_in_spanish(
        self, app: Flask, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        sue = add_user(app, "Sue Pervis", "supervisor", phone=SUPERVISOR)
        with session_scope(app) as session:
            session.get_one(User, sue.id).language = "es"
        crashed = queue(app, "one")
        queue(app, "two")  # Twilio never answers in time
        with session_scope(app) as session:  # a run that died after each claim, every time
            session.get_one(Message, crashed).attempts = MAX_ATTEMPTS
        with TwilioTransport(
            ACCOUNT_SID, AUTH_TOKEN, base_url=fake_twilio.url, timeout=0.2
        ) as slow:
            now = T0
            for delay in (*RETRY_DELAYS, None):
                fake_twilio.fail_next("hang")
                dispatch(app, slow, now)
                now += delay or timedelta(0)

        assert [m.body for m in messages(app, kind=FAILURE_NOTICE)] == [
            "Linea LEAD: no se pudo entregar un texto a +1******0177 "
            f"(sin resultado tras {MAX_ATTEMPTS} intentos).",
            "Linea LEAD: no se pudo entregar un texto a +1******0177 "
            f"(Twilio no contesto a tiempo tras {MAX_ATTEMPTS} intentos).",
        ]

    @pytest.mark.parametrize("raises_in", ["transport", "twilio client"])
    def test_a_spanish_supervisor_reads_an_unexpected_failure_in_spanish(
        self,
        app: Flask,
        transport: TwilioTransport,
        monkeypatch: pytest.MonkeyPatch,
        raises_in: str,
    ) -> None:
        # The log keeps the exception's name; the supervisor read "unexpected ValueError" or
        # "transport raised RuntimeError" inside the Spanish sentence.
        sue = add_user(app, "Sue Pervis", "supervisor", phone=SUPERVISOR)
        with session_scope(app) as session:
            session.get_one(User, sue.id).language = "es"

        class Broken:
            def send(self, *, to: str, sender: str, body: str) -> SendResult:
                raise RuntimeError("bug")

        def garbled(**_: object) -> None:
            raise ValueError("an answer the client could not read")

        monkeypatch.setattr(transport._client.messages, "create", garbled)
        sending: Transport = Broken() if raises_in == "transport" else transport
        failed = queue(app, "one")
        now = T0
        for delay in (*RETRY_DELAYS, None):
            dispatch(app, sending, now)
            now += delay or timedelta(0)

        assert message(app, failed).status == "failed"
        assert message(app, failed).error in (
            "transport raised RuntimeError",
            "unexpected ValueError",
        )
        assert [m.body for m in messages(app, kind=FAILURE_NOTICE)] == [
            "Linea LEAD: no se pudo entregar un texto a +1******0177 "
            f"(error inesperado tras {MAX_ATTEMPTS} intentos).",
        ]

    def test_a_failure_about_a_referral_someone_holds_does_not_ask_to_take_it(
        self, app: Flask, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        add_user(app, "Sue Pervis", "supervisor", phone=SUPERVISOR)
        ana = add_user(app, "Ana Diaz")
        referral = add_referral(app)
        with session_scope(app) as session:
            held = session.get_one(Referral, referral)
            held.status, held.acknowledged_by = "acknowledged", ana.id
        queue(app, "Participant Jane Roe", referral_id=referral)
        fake_twilio.fail_next("21211")
        assert dispatch(app, transport, T0) == DispatchReport(failed=1)
        [notice] = messages(app, kind=FAILURE_NOTICE)
        assert notice.body == (
            f"LEAD hotline: a text to +1******0177 about referral #{referral} "
            "could not be delivered (error 21211)."
        )

    def test_a_refused_text_fails_at_once(
        self, app: Flask, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        add_user(app, "Sue Pervis", "supervisor", phone=SUPERVISOR)
        message_id = queue(app)
        fake_twilio.fail_next("21211")
        assert dispatch(app, transport, T0) == DispatchReport(failed=1)
        assert message(app, message_id).error == "HTTP 400 (Twilio error 21211)"
        [notice] = messages(app, kind=FAILURE_NOTICE)
        assert notice.body == (
            "LEAD hotline: a text to +1******0177 could not be delivered (error 21211)."
        )

    def test_a_failed_failure_notice_is_not_reported(
        self, app: Flask, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        add_user(app, "Sue Pervis", "supervisor", phone=SUPERVISOR)
        notice_id = queue(app, "a notice", to=SUPERVISOR, kind=FAILURE_NOTICE)
        fake_twilio.fail_next("21211")
        assert dispatch(app, transport, T0) == DispatchReport(failed=1)
        assert message(app, notice_id).status == "failed"
        assert [m.id for m in messages(app)] == [notice_id]

    def test_a_transport_that_raises_is_retried(self, app: Flask) -> None:
        class Broken:
            def send(self, *, to: str, sender: str, body: str) -> SendResult:
                raise RuntimeError("bug")

        message_id = queue(app)
        assert dispatch(app, Broken(), T0) == DispatchReport(retried=1)
        assert message(app, message_id).error == "transport raised RuntimeError"


class TestCrashes:
    """A claim that never gets an outcome is retried once its lease runs out."""

    def test_a_claimed_text_is_retried_after_the_lease(
        self, app: Flask, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        message_id = queue(app)
        with session_scope(app) as session:  # a process claims it, then dies
            assert claim_message(session, message_id, 0, T0)
        assert dispatch(app, transport, T0 + LEASE - timedelta(seconds=1)) == DispatchReport()
        assert dispatch(app, transport, T0 + LEASE) == DispatchReport(sent=1)
        assert fake_twilio.bodies() == ["Referral #1 received"]
        assert message(app, message_id).attempts == 2

    def test_a_stale_claim_loses(self, app: Flask) -> None:
        message_id = queue(app)
        with session_scope(app) as session:
            assert claim_message(session, message_id, 0, T0)
        with session_scope(app) as session:
            assert not claim_message(session, message_id, 0, T0)

    def test_claims_without_outcomes_end_in_failure(
        self, app: Flask, fake_twilio: FakeTwilio
    ) -> None:
        message_id = queue(app)
        now = T0
        for attempt in range(MAX_ATTEMPTS):
            with session_scope(app) as session:
                assert claim_message(session, message_id, attempt, now)
            now += LEASE
        assert dispatch(app, LogTransport(), now) == DispatchReport(failed=1)
        failed = message(app, message_id)
        assert failed.error == f"no outcome after {MAX_ATTEMPTS} tries"


class TestOptOuts:
    """Nothing is sent to a number that opted out; Twilio's 21610 opts it out."""

    def test_an_opted_out_recipient_is_never_sent_to(
        self, app: Flask, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        message_id = queue(app)
        opt_out(app, OFFICER)  # STOP arrived after the text was queued
        assert dispatch(app, transport, T0) == DispatchReport(suppressed=1)
        assert message(app, message_id).status == "suppressed"
        assert fake_twilio.requests == []

    def test_21610_opts_the_number_out_and_suppresses_later_texts(
        self, app: Flask, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        add_user(app, "Sue Pervis", "supervisor", phone=SUPERVISOR)
        first = queue(app, "first")
        second = queue(app, "second")
        fake_twilio.fail_next("21610")
        assert dispatch(app, transport, T0) == DispatchReport(suppressed=2)
        assert [message(app, m).status for m in (first, second)] == ["suppressed"] * 2
        with session_scope(app) as session:
            assert session.get_one(OptOut, OFFICER).source == "carrier"
        assert messages(app, kind=FAILURE_NOTICE) == []

        later = queue(app, "later", at=T0 + timedelta(minutes=1))
        assert message(app, later).status == "suppressed"
        assert dispatch(app, transport, T0 + timedelta(minutes=1)) == DispatchReport()
        assert len(fake_twilio.requests) == 1


class TestConcurrency:
    """Two clock processes running at once still send each text once."""

    def test_two_dispatchers_racing_send_each_text_once(
        self, app: Flask, fake_twilio: FakeTwilio
    ) -> None:
        bodies = [f"text {n}" for n in range(30)]
        for body in bodies:
            queue(app, body)
        start = threading.Barrier(2)

        def run() -> DispatchReport:
            with TwilioTransport(ACCOUNT_SID, AUTH_TOKEN, base_url=fake_twilio.url) as transport:
                start.wait()
                return dispatch(app, transport, T0)

        with ThreadPoolExecutor(2) as pool:
            reports = [future.result() for future in [pool.submit(run), pool.submit(run)]]
        assert sum(report.sent for report in reports) == len(bodies)
        assert sorted(fake_twilio.bodies()) == sorted(bodies)
        assert len(fake_twilio.requests) == len(bodies)

    def test_a_long_run_of_slow_sends_leases_each_claim_from_when_it_was_made(
        self, app: Flask
    ) -> None:
        bodies = [f"text {n}" for n in range(20)]
        for body in bodies:
            queue(app, body)
        seconds = [0.0]  # the run's stopwatch: each send takes Twilio 9 s
        sent: list[str] = []
        other_clock: list[DispatchReport] = []

        class SlowTwilio(LogTransport):
            def send(self, *, to: str, sender: str, body: str) -> SendResult:
                seconds[0] += 9
                sent.append(body)
                if len(sent) == 15 and not other_clock:
                    # Two minutes and a quarter into this run, the other clock runs.
                    other_clock.append(dispatch(app, self, T0 + timedelta(seconds=seconds[0])))
                return super().send(to=to, sender=sender, body=body)

        with session_scope(app) as session:
            first = dispatch_outbox(session, T0, SlowTwilio(), clock=lambda: seconds[0])
        assert first.sent + other_clock[0].sent == len(bodies)
        assert sorted(sent) == sorted(bodies)  # text 14, mid-send, is not sent again
