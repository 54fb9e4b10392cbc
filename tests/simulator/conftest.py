"""A tiny stand-in for the app's webhooks: fixed TwiML per path, signatures checked.

It is not the hotline app: the emulator is tested against Twilio's contract
alone, so these routes only check `X-Twilio-Signature` (403 when wrong), keep
every request and answer with the TwiML a test set for the path.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask, Response, request
from twilio.request_validator import RequestValidator

from hotline.simulator import VoiceEmulator, flask_poster

AUTH_TOKEN = "simulator-test-token"
BASE_URL = "https://hotline.example.org"
HOTLINE = "+12065550100"
CALLER = "+12065550199"
ALICE = "+12065550111"
BOB = "+12065550122"

Answer = Callable[[dict[str, str]], str]


class Webhooks:
    """Serve fixed TwiML per path and remember every request whose signature checked out."""

    def __init__(self, auth_token: str = AUTH_TOKEN) -> None:
        self.auth_token = auth_token
        self.answers: dict[str, tuple[int, str, Answer]] = {}
        self.received: list[tuple[str, dict[str, str]]] = []
        self.app = Flask("simulator_webhooks")
        self.app.add_url_rule("/<path:path>", view_func=self._answer, methods=["POST"])

    def on(self, path: str, verbs: str | Answer) -> None:
        """Answer POSTs to `path` with a <Response> around `verbs` (or what it returns)."""

        def body(params: dict[str, str]) -> str:
            inner = verbs(params) if callable(verbs) else verbs
            return f'<?xml version="1.0" encoding="UTF-8"?><Response>{inner}</Response>'

        self.answers[path] = (200, "text/xml; charset=utf-8", body)

    def raw(self, path: str, body: str, status: int = 200, content_type: str = "text/xml") -> None:
        """Answer POSTs to `path` with exactly this body, status and content type."""
        self.answers[path] = (status, content_type, lambda params: body)

    def params(self, path: str) -> list[dict[str, str]]:
        """Return the parameters of every request received at `path`, in order."""
        return [params for received, params in self.received if received == path]

    def paths(self) -> list[str]:
        """Return the path of every request received, in order."""
        return [path for path, _ in self.received]

    def _answer(self, path: str) -> Response:
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(self.auth_token).validate(request.url, request.form, signature):
            return Response("bad signature", status=403, content_type="text/plain")
        params = request.form.to_dict()
        self.received.append((request.path, params))
        if request.path not in self.answers:
            return Response(status=204)
        status, content_type, body = self.answers[request.path]
        return Response(body(params), status=status, content_type=content_type)


@pytest.fixture
def webhooks() -> Webhooks:
    return Webhooks()


@pytest.fixture
def emulator(webhooks: Webhooks) -> VoiceEmulator:
    return VoiceEmulator(flask_poster(webhooks.app.test_client()), AUTH_TOKEN, BASE_URL)


WHISPER = (
    '<Gather numDigits="1" action="/voice/screen"><Say>LEAD referral, press 1</Say></Gather>'
    "<Hangup/>"
)
DIAL_ALICE = (
    '<Dial action="/voice/dialed" timeout="20" answerOnBridge="true">'
    f'<Number url="/voice/whisper">{ALICE}</Number></Dial>'
)


def accept_on_one(params: dict[str, str]) -> str:
    """Bridge a callee who pressed 1; hang up on anyone else."""
    return "<Say>Connecting</Say>" if params["Digits"] == "1" else "<Hangup/>"


@pytest.fixture
def dialling(webhooks: Webhooks) -> Webhooks:
    """Set up one <Dial> with a whisper that asks for 1, and an action that hangs up."""
    webhooks.on("/voice/incoming", DIAL_ALICE)
    webhooks.on("/voice/whisper", WHISPER)
    webhooks.on("/voice/screen", accept_on_one)
    webhooks.on("/voice/dialed", "<Say>Goodbye</Say><Hangup/>")
    return webhooks
