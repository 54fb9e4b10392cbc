"""Any text from anyone gets an answer or silence — never a 500, never a stuck intake."""

from __future__ import annotations

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from hotline.db import session_scope
from hotline.models import Conversation
from hotline.simulator import SmsEmulator
from hotline.sms.prompts import PROMPTS
from tests.fuzzing import examples
from tests.sms.conftest import STRANGER, Program

WORDS = st.sampled_from(
    [
        "REFER",
        "1",
        "2",
        "Y",
        "N",
        "SEND",
        "ABORT",
        "ACK 1",
        "NOTE 1 x",
        "STATUS 1",
        "TAKE 2h",
        "WHO",
        "HELP",
        "START",
        "INTAKE 1",
        "NONCOMPLY 1 r",
        "",
    ]
)
BODIES = st.one_of(
    WORDS, st.text(max_size=60), st.text(min_size=1500, max_size=1600), st.just("\x00\ud7ff")
)


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    max_examples=examples(60),
    deadline=None,
)
@given(
    texts=st.lists(
        st.tuples(st.sampled_from(["officer", "ana", "stranger"]), BODIES), min_size=1, max_size=12
    )
)
def test_any_sequence_of_texts_is_answered_without_error(
    app: Flask, phone: SmsEmulator, program: Program, texts: list[tuple[str, str]]
) -> None:
    senders = {"officer": program.officer.phone, "ana": program.ana.phone, "stranger": STRANGER}
    with session_scope(app) as session:  # each example starts with no intake under way
        session.execute(delete(Conversation))
    for who, body in texts:
        result = phone.send(senders[who], body)
        assert result.status == 200
        assert len(result.replies) <= 1
        failed = ("cannot read texts", "no puede leer textos")  # the fallback, in either language
        assert not any(f in reply for f in failed for reply in result.replies), body
    with session_scope(app) as session:
        for conversation in session.scalars(select(Conversation)):
            assert conversation.step in PROMPTS  # a live intake always waits on a known question
