"""The Twilio transport speaks real HTTP through the official client and never raises."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest

from hotline.messaging.transport import CallEnded, CallLive, CallUnknown, SendResult
from hotline.messaging.twilio_transport import TwilioTransport, retry_after
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, Failure, FakeTwilio

HOTLINE = "+12065550100"
OFFICER = "+12065550177"


def send(transport: TwilioTransport, body: str = "Referral #12 received") -> SendResult:
    """Send one text from the hotline to the officer."""
    return transport.send(to=OFFICER, sender=HOTLINE, body=body)


def free_port() -> int:
    """Return a local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class TestSuccess:
    """An accepted text comes back with Twilio's sid."""

    def test_sends_the_fields_and_returns_the_sid(
        self, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        result = send(transport)
        assert result.succeeded
        assert result.sid is not None and result.sid.startswith("SM")
        assert (result.error, result.error_code, result.retryable) == (None, None, False)
        [sent] = fake_twilio.requests
        assert (sent.to, sent.sender, sent.body) == (OFFICER, HOTLINE, "Referral #12 received")
        assert sent.status_callback is None

    def test_default_sender_and_status_callback(self, fake_twilio: FakeTwilio) -> None:
        callback = "https://hotline.example.org/sms/status"
        with TwilioTransport(
            ACCOUNT_SID,
            AUTH_TOKEN,
            base_url=fake_twilio.url,
            default_sender=HOTLINE,
            status_callback=callback,
        ) as transport:
            assert transport.send(to=OFFICER, sender="", body="hi").succeeded
        [sent] = fake_twilio.requests
        assert (sent.sender, sent.status_callback) == (HOTLINE, callback)

    def test_wrong_credentials_may_be_retried_once_mended(self, fake_twilio: FakeTwilio) -> None:
        # The account's credentials, not the text, are wrong: mended, the same text goes out.
        with TwilioTransport(ACCOUNT_SID, "wrong", base_url=fake_twilio.url) as transport:
            result = send(transport)
        assert (result.retryable, result.error_code) == (True, "20003")
        assert result.error == "HTTP 401 (Twilio error 20003)"
        assert fake_twilio.accepted == []


class TestFailures:
    """Twilio's answers map to retry or give up, with its error code."""

    @pytest.mark.parametrize(
        ("failure", "retryable", "error_code", "error"),
        [
            ("429", True, "20429", "HTTP 429 (Twilio error 20429)"),
            ("500", True, "20500", "HTTP 500 (Twilio error 20500)"),
            ("21610", False, "21610", "HTTP 400 (Twilio error 21610)"),
            ("21211", False, "21211", "HTTP 400 (Twilio error 21211)"),
            # The hotline's own number cannot send: every text fails alike until it is mended.
            ("21606", True, "21606", "HTTP 400 (Twilio error 21606)"),
        ],
    )
    def test_error_answers(
        self,
        transport: TwilioTransport,
        fake_twilio: FakeTwilio,
        failure: Failure,
        retryable: bool,
        error_code: str,
        error: str,
    ) -> None:
        fake_twilio.fail_next(failure)
        assert send(transport) == SendResult(
            sid=None, error_code=error_code, error=error, retryable=retryable
        )
        assert send(transport).succeeded  # the failure was only the next request's

    def test_a_hanging_api_times_out_and_may_be_retried(self, fake_twilio: FakeTwilio) -> None:
        fake_twilio.fail_next("hang")
        with TwilioTransport(
            ACCOUNT_SID, AUTH_TOKEN, base_url=fake_twilio.url, timeout=0.5
        ) as transport:
            assert send(transport) == SendResult.retry("timed out")
            assert send(transport).succeeded
        assert [r.answered for r in fake_twilio.requests] == [0, 201]

    def test_a_throttled_text_carries_twilios_retry_after(
        self, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        fake_twilio.retry_after = "120"
        fake_twilio.fail_next("429")
        assert send(transport).retry_after == timedelta(seconds=120)
        fake_twilio.fail_next("503")
        assert send(transport).retry_after == timedelta(seconds=120)
        fake_twilio.retry_after = None
        fake_twilio.fail_next("429")
        assert send(transport).retry_after is None

    def test_retry_after_reads_seconds_or_an_http_date(self) -> None:
        now = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
        assert retry_after("30", now) == timedelta(seconds=30)
        assert retry_after("Sun, 06 Dec 2026 03:02:00 GMT", now) == timedelta(minutes=2)
        assert retry_after("Sun, 06 Dec 2026 02:00:00 GMT", now) == timedelta(0)
        assert retry_after("soon", now) is None and retry_after(None, now) is None
        assert retry_after("9" * 30, now) == timedelta.max  # past any wait: the longest

    def test_nothing_listening_may_be_retried(self) -> None:
        with TwilioTransport(
            ACCOUNT_SID, AUTH_TOKEN, base_url=f"http://127.0.0.1:{free_port()}"
        ) as transport:
            assert send(transport) == SendResult.retry("connection failed")


class TestPlaceCall:
    """A call back is one Calls request with the app's URLs, and is never retried."""

    def place(self, transport: TwilioTransport) -> SendResult:
        return transport.place_call(
            to=OFFICER,
            sender=HOTLINE,
            path="/voice/callback?callback=7",
            status_path="/voice/callback/status?callback=7",
        )

    def test_places_the_call_with_absolute_urls_and_the_retry_override(
        self, fake_twilio: FakeTwilio
    ) -> None:
        with TwilioTransport(
            ACCOUNT_SID,
            AUTH_TOKEN,
            base_url=fake_twilio.url,
            public_url="https://hotline.example.org/",
        ) as transport:
            result = self.place(transport)
        assert result.succeeded and result.sid is not None and result.sid.startswith("CA")
        [placed] = fake_twilio.calls
        assert placed.url == "https://hotline.example.org/voice/callback?callback=7"
        assert placed.status_callback == (
            "https://hotline.example.org/voice/callback/status?callback=7#rc=5&rp=5xx,ct,rt"
        )
        assert (placed.to, placed.sender, placed.timeout) == (OFFICER, HOTLINE, "30")

    @pytest.mark.parametrize("failure", ["500", "429", "21211", "hang"])
    def test_a_failure_is_final(self, fake_twilio: FakeTwilio, failure: Failure) -> None:
        fake_twilio.fail_next(failure)
        with TwilioTransport(
            ACCOUNT_SID,
            AUTH_TOKEN,
            base_url=fake_twilio.url,
            timeout=0.5,
            public_url="https://hotline.example.org",
        ) as transport:
            result = self.place(transport)
        # A second ring at 3 a.m. is worse than asking the coordinator to press again.
        assert not result.succeeded and result.error
        assert len(fake_twilio.calls) == 1

    def test_without_a_public_url_nothing_is_asked_of_twilio(
        self, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        result = self.place(transport)
        assert not result.succeeded and "HOTLINE_PUBLIC_URL" in (result.error or "")
        assert fake_twilio.calls == []


class TestDeleteRecording:
    """A recording is deleted by its sid; one already gone counts as deleted."""

    def test_deletes_the_recording(
        self, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        sid = fake_twilio.add_recording().rsplit("/", 1)[1]
        assert transport.delete_recording(sid) == SendResult.ok(sid)
        assert fake_twilio.deleted == [sid] and fake_twilio.recordings == set()

    def test_a_recording_twilio_no_longer_has_is_deleted(
        self, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        assert transport.delete_recording("RE" + "f" * 32).succeeded
        assert [status for _, status in fake_twilio.deletions] == [404]

    @pytest.mark.parametrize(
        ("failure", "error"),
        [("500", "HTTP 500 (Twilio error 20500)"), ("429", "HTTP 429 (Twilio error 20429)")],
    )
    def test_a_failing_twilio_keeps_it_for_another_try(
        self, transport: TwilioTransport, fake_twilio: FakeTwilio, failure: Failure, error: str
    ) -> None:
        sid = fake_twilio.add_recording().rsplit("/", 1)[1]
        fake_twilio.fail_next(failure)
        result = transport.delete_recording(sid)
        assert (result.succeeded, result.retryable, result.error) == (False, True, error)
        assert fake_twilio.recordings == {sid}

    def test_refused_credentials_keep_it_for_another_try(self, fake_twilio: FakeTwilio) -> None:
        sid = fake_twilio.add_recording().rsplit("/", 1)[1]
        with TwilioTransport(ACCOUNT_SID, "wrong", base_url=fake_twilio.url) as transport:
            result = transport.delete_recording(sid)
        assert (result.succeeded, result.retryable) == (False, True)
        assert fake_twilio.recordings == {sid}

    def test_a_hanging_or_absent_twilio_keeps_it_for_another_try(
        self, fake_twilio: FakeTwilio
    ) -> None:
        sid = fake_twilio.add_recording().rsplit("/", 1)[1]
        fake_twilio.fail_next("hang")
        with TwilioTransport(
            ACCOUNT_SID, AUTH_TOKEN, base_url=fake_twilio.url, timeout=0.5
        ) as transport:
            assert transport.delete_recording(sid) == SendResult.retry("timed out")
        with TwilioTransport(
            ACCOUNT_SID, AUTH_TOKEN, base_url=f"http://127.0.0.1:{free_port()}"
        ) as transport:
            assert transport.delete_recording(sid) == SendResult.retry("connection failed")
        assert fake_twilio.recordings == {sid}


class TestFetchCall:
    """A call is asked after by its sid: over, still going on, or Twilio could not tell."""

    SID = "CA" + "c" * 32

    def test_an_ended_call_gives_its_status_end_and_duration(
        self, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        ended = datetime(2026, 12, 6, 3, 14, 15, tzinfo=UTC)
        fake_twilio.set_call(self.SID, "no-answer", end_time=ended, duration=42)
        assert transport.fetch_call(self.SID) == CallEnded("no-answer", ended, 42)
        assert fake_twilio.fetches == [(self.SID, 200)]

    def test_an_end_twilio_does_not_give_is_none(
        self, transport: TwilioTransport, fake_twilio: FakeTwilio
    ) -> None:
        fake_twilio.set_call(self.SID, "canceled")
        assert transport.fetch_call(self.SID) == CallEnded("canceled", None, None)

    @pytest.mark.parametrize("status", ["queued", "ringing", "in-progress"])
    def test_a_call_going_on_is_live(
        self, transport: TwilioTransport, fake_twilio: FakeTwilio, status: str
    ) -> None:
        fake_twilio.set_call(self.SID, status)
        assert transport.fetch_call(self.SID) == CallLive(status)

    def test_a_sid_twilio_never_had_says_nothing_of_other_calls(
        self, transport: TwilioTransport
    ) -> None:
        state = transport.fetch_call(self.SID)
        assert state == CallUnknown("HTTP 404 (Twilio error 20404)", unreachable=False)

    @pytest.mark.parametrize("failure", ["500", "429"])
    def test_a_failing_twilio_is_unreachable(
        self, transport: TwilioTransport, fake_twilio: FakeTwilio, failure: Failure
    ) -> None:
        fake_twilio.set_call(self.SID, "completed")
        fake_twilio.fail_next(failure)
        state = transport.fetch_call(self.SID)
        assert isinstance(state, CallUnknown) and state.unreachable

    def test_refused_credentials_are_unreachable(self, fake_twilio: FakeTwilio) -> None:
        fake_twilio.set_call(self.SID, "completed")
        with TwilioTransport(ACCOUNT_SID, "wrong", base_url=fake_twilio.url) as transport:
            state = transport.fetch_call(self.SID)
        assert isinstance(state, CallUnknown) and state.unreachable

    def test_a_hanging_or_absent_twilio_is_unreachable(self, fake_twilio: FakeTwilio) -> None:
        fake_twilio.set_call(self.SID, "completed")
        fake_twilio.fail_next("hang")
        with TwilioTransport(
            ACCOUNT_SID, AUTH_TOKEN, base_url=fake_twilio.url, timeout=0.5
        ) as transport:
            assert transport.fetch_call(self.SID) == CallUnknown("timed out", unreachable=True)
        with TwilioTransport(
            ACCOUNT_SID, AUTH_TOKEN, base_url=f"http://127.0.0.1:{free_port()}"
        ) as transport:
            state = transport.fetch_call(self.SID)
        assert state == CallUnknown("connection failed", unreachable=True)
