"""An officer's first answer, from a template, is exactly what twilio's builder makes."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st
from twilio.twiml.voice_response import VoiceResponse

from hotline.voice import twiml

# Any spoken text a catalog or a roster name could produce (XML 1.0 characters only).
TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    min_size=1,  # a greeting always says something (an empty one would be <Say />)
    max_size=80,
)


@given(
    greeting=TEXT,
    call_id=st.integers(1, 2**31 - 1),
    step=st.integers(0, 20),
    number=st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True),
    timeout=st.integers(5, 60),
    language=st.sampled_from(["en", "es"]),
)
def test_the_template_is_the_builders_document(
    greeting: str, call_id: int, step: int, number: str, timeout: int, language: str
) -> None:
    built = VoiceResponse()
    twiml.say(built, greeting, language)
    twiml.dial_step(built, call_id, step, number, timeout, language)
    assert twiml.greet_and_dial(greeting, call_id, step, number, timeout, language) == str(built)


@given(
    query=st.dictionaries(
        st.sampled_from(["call", "step", "lang", "callback", "to"]),
        st.one_of(st.integers(-(2**31), 2**31), TEXT),
        max_size=4,
    )
)
def test_a_steps_url_is_what_urlencode_writes(query: dict[str, int | str]) -> None:
    # Twilio follows these URLs back to the app: a value quoted otherwise is another step.
    expected = f"/voice/dial-result?{urlencode(query)}" if query else "/voice/dial-result"
    assert twiml.step_url("dial-result", **query) == expected
