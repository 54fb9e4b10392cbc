"""Emulate Twilio Voice against the app's webhooks, for tests, the CLI and the web phone.

The emulator follows Twilio's documented behaviour, not the app's internals: it
signs every request, validates every TwiML answer and plays the verbs in order.
"""

from .outbound import EmulatedCalls
from .script import CallResult, CallScript, Event, Leg
from .sms import SmsEmulator, SmsResult
from .transport import Poster, PostResult, flask_poster, http_poster, sign
from .twiml import TwimlError, UnsupportedTwiml
from .voice import VoiceEmulator

__all__ = [
    "CallResult",
    "CallScript",
    "EmulatedCalls",
    "Event",
    "Leg",
    "PostResult",
    "Poster",
    "SmsEmulator",
    "SmsResult",
    "TwimlError",
    "UnsupportedTwiml",
    "VoiceEmulator",
    "flask_poster",
    "http_poster",
    "sign",
]
