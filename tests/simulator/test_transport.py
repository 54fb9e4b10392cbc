"""Requests are signed like Twilio's and delivered in-process or over real HTTP."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from twilio.request_validator import RequestValidator
from werkzeug.serving import BaseWSGIServer, make_server

from hotline.simulator import CallScript, Leg, VoiceEmulator, flask_poster, http_poster, sign
from tests.simulator.conftest import ALICE, AUTH_TOKEN, BASE_URL, CALLER, HOTLINE, Webhooks


@pytest.fixture
def server(webhooks: Webhooks) -> Iterator[BaseWSGIServer]:
    """Serve the tiny webhook app over HTTP on a free local port, in a thread."""
    served = make_server("127.0.0.1", 0, webhooks.app)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield served
    served.shutdown()
    thread.join()
    served.server_close()


class TestSignature:
    """The signature is Twilio's: HMAC-SHA1 of the URL and the sorted parameters."""

    def test_sign_matches_twilios_validator(self) -> None:
        url = "https://hotline.example.org/voice/step?n=2"
        params = {"CallSid": "CA1", "Digits": "1", "From": "+12065550199"}
        assert RequestValidator(AUTH_TOKEN).validate(url, params, sign(AUTH_TOKEN, url, params))
        assert not RequestValidator("other").validate(url, params, sign(AUTH_TOKEN, url, params))

    def test_every_request_passes_the_servers_check(
        self, webhooks: Webhooks, emulator: VoiceEmulator
    ) -> None:
        webhooks.on("/voice/incoming", f'<Dial action="/voice/dialed?step=1">{ALICE}</Dial>')
        result = emulator.call(CALLER, HOTLINE)
        assert [status for _, _, status in result.requests] == [200, 204, 204]
        assert webhooks.paths() == ["/voice/incoming", "/voice/dialed", "/voice/status"]

    def test_a_wrong_auth_token_is_refused_by_the_server(self, webhooks: Webhooks) -> None:
        webhooks.on("/voice/incoming", "<Say>Hello</Say>")
        poster = flask_poster(webhooks.app.test_client())
        result = VoiceEmulator(poster, "wrong-token", BASE_URL).call(CALLER, HOTLINE)
        assert [status for _, _, status in result.requests] == [403, 403]
        assert [event.kind for event in result.events if event.kind == "error"] == ["error"]
        assert webhooks.received == []


class TestHttpPoster:
    """http_poster talks to a real server with urllib, like Twilio over the network."""

    def test_a_whole_call_over_http(self, webhooks: Webhooks, server: BaseWSGIServer) -> None:
        webhooks.on(
            "/voice/incoming",
            '<Say>Hello</Say><Dial action="/voice/dialed">'
            f'<Number url="/voice/whisper?step=1">{ALICE}</Number></Dial>',
        )
        webhooks.on(
            "/voice/whisper",
            '<Gather numDigits="1" action="/voice/accept"><Say>Press 1</Say></Gather><Hangup/>',
        )
        webhooks.on("/voice/accept", "<Say>Connecting</Say>")
        webhooks.on("/voice/dialed", "<Say>Goodbye</Say>")
        base_url = f"http://127.0.0.1:{server.server_port}"
        emulator = VoiceEmulator(http_poster(timeout=5), AUTH_TOKEN, base_url)
        result = emulator.call(CALLER, HOTLINE, CallScript(legs={ALICE: [Leg("accept")]}))
        assert result.heard == ["Hello", "Goodbye"]
        assert result.answered_by == ALICE
        assert webhooks.paths() == [
            "/voice/incoming",
            "/voice/whisper",
            "/voice/accept",
            "/voice/dialed",
            "/voice/status",
        ]
        assert webhooks.params("/voice/accept")[0]["Digits"] == "1"

    def test_error_statuses_and_content_types_come_back(
        self, webhooks: Webhooks, server: BaseWSGIServer
    ) -> None:
        webhooks.raw("/voice/broken", "down", 503, "text/plain; charset=utf-8")
        url = f"http://127.0.0.1:{server.server_port}/voice/broken"
        params = {"CallSid": "CA1"}
        answer = http_poster()(url, params, sign(AUTH_TOKEN, url, params))
        assert (answer.status, answer.content_type, answer.body) == (
            503,
            "text/plain; charset=utf-8",
            "down",
        )

    def test_no_server_means_status_zero(self) -> None:
        closed = make_server("127.0.0.1", 0, lambda environ, start_response: [])
        closed.server_close()
        url = f"http://127.0.0.1:{closed.server_port}/voice/incoming"
        answer = http_poster(timeout=2)(url, {}, sign(AUTH_TOKEN, url, {}))
        assert answer.status == 0
