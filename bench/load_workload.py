"""The benchmark's program and its signed, Twilio-shaped requests (used by bench/load.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

PUBLIC_URL = "https://hotline.bench.invalid"  # signatures are computed against it, as behind TLS
HOTLINE_NUMBER = "+12065550100"
FALLBACK_NUMBER = "+12065550199"
ACCOUNT_SID = "AC" + "b" * 32

# name, email, phone, role
USERS = [
    ("Ana Coordinator", "ana@bench.invalid", "+12065550101", "coordinator"),
    ("Ben Coordinator", "ben@bench.invalid", "+12065550102", "coordinator"),
    ("Cy Coordinator", "cy@bench.invalid", "+12065550103", "coordinator"),
    ("Dee Supervisor", "dee@bench.invalid", "+12065550104", "supervisor"),
]
# name, badge, agency, phone
OFFICERS = [
    ("Officer Alvarez", "4711", "SPD", "+12065550121"),
    ("Officer Brooks", "4712", "SPD", "+12065550122"),
    ("Officer Chen", "4713", "KCSO", "+12065550123"),
    ("Officer Diaz", "4714", "SPD", "+12065550124"),
    ("Officer Evans", "4715", "KCSO", "+12065550125"),
]

VOICE = "/voice/incoming"
SMS = "/sms/incoming"

# Contract §10, per webhook at 32 connections, against the durable floor of the same round
# and database: at least 0.7 x its throughput, a p99 at most 1.5 x its p99.
THROUGHPUT_RATIO_TARGET = 0.7
P99_RATIO_TARGET = 1.5
TARGET_NAMES = {
    "voice": VOICE,
    "sms": "SMS intake step",
    "floor": "durable floor",
}
JUDGED = ("voice", "sms")

# One SMS intake from an unknown number: (text sent, a piece of the expected reply).
INTAKE = [
    ("REFER", "badge number"),
    ("4712", "Badge noted."),  # the same words whether or not the badge is on the roster
    ("2", "name?"),
    ("Bench Participant", "Where are you?"),
    ("3rd Ave and Pine St", "agreed to be referred"),
    ("Y", "Reply SEND"),
    ("SEND", "Sent: LEAD referral #"),
]


# --- signed Twilio-shaped requests ---------------------------------------------------


def twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    """Return X-Twilio-Signature for a form POST (as hotline.simulator.transport.sign does).

    Inlined (HMAC-SHA1 over the URL and the sorted fields) so that the load
    client does not import the app; checked against `sign` at start-up.
    """
    payload = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def voice_params(call_sid: str, caller: str) -> dict[str, str]:
    """Return the fields Twilio posts when a call comes in."""
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": "ringing",
        "Called": HOTLINE_NUMBER,
        "CalledCountry": "US",
        "CalledState": "WA",
        "Caller": caller,
        "CallerCountry": "US",
        "CallerState": "WA",
        "Direction": "inbound",
        "From": caller,
        "FromCountry": "US",
        "FromState": "WA",
        "To": HOTLINE_NUMBER,
        "ToCountry": "US",
        "ToState": "WA",
    }


def sms_params(message_sid: str, sender: str, body: str) -> dict[str, str]:
    """Return the fields Twilio posts when a text comes in."""
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "Body": body,
        "From": sender,
        "FromCountry": "US",
        "FromState": "WA",
        "MessageSid": message_sid,
        "MessagingServiceSid": "MG" + "c" * 32,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsMessageSid": message_sid,
        "SmsSid": message_sid,
        "SmsStatus": "received",
        "To": HOTLINE_NUMBER,
        "ToCountry": "US",
        "ToState": "WA",
    }


@dataclass(frozen=True)
class Request:
    """One signed POST and what its answer must contain."""

    path: str
    body: bytes
    signature: str
    expect: str
    step: str


class Workload:
    """Make the requests of one target: each call builds the next request of one connection."""

    def __init__(self, target: str, token: str) -> None:
        self.target = target
        self.token = token
        # Each load its own Sids and senders: a second server on the same database must
        # not meet the first one's CallSids and MessageSids again.
        self.tag = secrets.token_hex(4)
        self.sids = itertools.count(1)
        self.numbers = itertools.count(secrets.randbelow(2_000_000))

    def signed(self, path: str, params: dict[str, str], expect: str, step: str) -> Request:
        signature = twilio_signature(self.token, PUBLIC_URL + path, params)
        return Request(path, urlencode(params).encode(), signature, expect, step)

    def connection(self, index: int) -> Callable[[], Request]:
        """Return the request maker of connection `index` (closed loop: one at a time)."""
        if self.target == "sms":
            return self._sms_connection()
        return self._voice_connection(index)

    def _voice_connection(self, index: int) -> Callable[[], Request]:
        first = index % len(OFFICERS)
        officers = itertools.cycle(OFFICERS[first:] + OFFICERS[:first])

        def make() -> Request:
            caller = next(officers)[3]
            call_sid = f"CA{self.tag}{next(self.sids):024x}"
            expect = "connecting you to the LEAD coordinator on call"
            return self.signed(VOICE, voice_params(call_sid, caller), expect, "incoming")

        return make

    def _sms_connection(self) -> Callable[[], Request]:
        steps = itertools.cycle(INTAKE)
        sender = ""

        def make() -> Request:
            nonlocal sender
            text, expect = next(steps)
            if text == INTAKE[0][0]:
                sender = self._unknown_number()
            message_sid = f"SM{self.tag}{next(self.sids):024x}"
            step = "answer" if text not in ("REFER", "SEND") else text
            params = sms_params(message_sid, sender, text)
            return self.signed(SMS, params, expect, step)

        return make

    def _unknown_number(self) -> str:
        """Return a valid US number that is on no roster, never the same twice in a run."""
        n = next(self.numbers) % 3_500_000  # exchanges 200 to 554 (and 556 up) × 10,000
        exchange = 200 + n // 10_000
        if exchange >= 555:  # 555-01xx are the roster's
            exchange += 1
        return f"+1206{exchange}{n % 10_000:04d}"
