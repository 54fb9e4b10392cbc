"""Every text's answer, from a template, is exactly what twilio's builder makes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from twilio.twiml.messaging_response import MessagingResponse

from hotline.sms.answer import messaging_twiml

# Any reply a catalog, a referral or an officer's words could produce (XML 1.0 characters,
# line breaks and tabs included).
REPLY = st.text(
    st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
        st.sampled_from("\n\t<>&\"'"),
    ),
    max_size=200,
)


@given(reply=REPLY)
def test_a_reply_is_the_builders_document(reply: str) -> None:
    built = MessagingResponse()
    built.message(reply)
    assert messaging_twiml(reply) == str(built)


def test_no_reply_is_the_builders_empty_document() -> None:
    assert messaging_twiml(None) == str(MessagingResponse())
