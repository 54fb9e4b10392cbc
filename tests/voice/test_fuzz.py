"""Whatever a signed request carries, a voice route answers TwiML (or 204), never a 500."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.simulator import sign
from tests.fuzzing import examples
from tests.voice.conftest import Program

PATHS = [
    "incoming",
    "badge",
    "whisper",
    "accept",
    "dial-result",
    "recorded",
    "voicemail-done",
    "status",
    "fallback",
]
KEYS = [
    "CallSid",
    "From",
    "To",
    "Digits",
    "CallStatus",
    "DialCallStatus",
    "DialCallDuration",
    "RecordingUrl",
    "RecordingDuration",
    "CallDuration",
]
VALUES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["+12065550177", "4711", "1", "completed", "no-answer", "CA1", "-5", "99999999999999999999"]
    ),
    st.text(min_size=2000, max_size=5000, alphabet="9"),
)
QUERY = st.dictionaries(
    st.sampled_from(["call", "step"]),
    st.one_of(st.integers(-3, 10**12).map(str), st.text(max_size=8)),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=examples(150))
@given(
    path=st.sampled_from(PATHS), form=st.dictionaries(st.sampled_from(KEYS), VALUES), query=QUERY
)
def test_signed_garbage_never_gives_a_500(
    app: Flask,
    client: FlaskClient,
    program: Program,
    path: str,
    form: dict[str, str],
    query: dict[str, str],
) -> None:
    url = f"/voice/{path}" + (f"?{urlencode(query)}" if query else "")
    signature = sign(app.config["TWILIO_AUTH_TOKEN"], "http://localhost" + url, form)
    answer = client.post(url, data=form, headers={"X-Twilio-Signature": signature})
    assert answer.status_code in (200, 204)
    if answer.status_code == 200:
        assert answer.mimetype == "text/xml"
        assert ET.fromstring(answer.data).tag == "Response"
