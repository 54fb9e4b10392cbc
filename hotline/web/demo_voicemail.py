"""A voicemail the demo can play: a short generated WAV, served only where the simulator is on.

Real recordings live at Twilio behind the account's credentials; the demo's
sample calls point here instead, so "play the voicemail" works offline.
"""

from __future__ import annotations

import io
import math
import struct
import wave
from functools import cache

from flask import Response
from flask.blueprints import BlueprintSetupState

from . import bp
from .simulator import simulator_only

PATH = "/demo/voicemail.wav"
RATE = 8000  # telephone quality, as Twilio records
# Two short rising tones, a pause, and a long tone: sounds like a message, says nothing.
NOTES = ((440, 0.25), (0, 0.1), (554, 0.25), (0, 0.4), (659, 0.9), (0, 0.3))


@cache
def voicemail_wav() -> bytes:
    """Return a 2-second 8 kHz mono WAV, made once."""
    frames = bytearray()
    for frequency, seconds in NOTES:
        count = int(RATE * seconds)
        for n in range(count):
            fade = min(1.0, n / 200, (count - n) / 200)  # no clicks at the edges
            level = 0.4 * fade * math.sin(2 * math.pi * frequency * n / RATE) if frequency else 0
            frames += struct.pack("<h", int(level * 32767))
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(RATE)
        audio.writeframes(bytes(frames))
    return out.getvalue()


@simulator_only
def demo_voicemail() -> Response:
    """Play the demo's sample voicemail."""
    return Response(voicemail_wav(), mimetype="audio/wav")


def register_routes(state: BlueprintSetupState) -> None:
    """Serve the sample voicemail where the simulator is on (development and the demo only)."""
    if state.app.config.get("HOTLINE_SIMULATOR"):
        state.add_url_rule(PATH, "demo_voicemail", demo_voicemail, methods=["GET"])


bp.record(register_routes)
