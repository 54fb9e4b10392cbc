"""A call nobody accepted gets an owner: `Reply ACK n` texts, ACK, escalation (SPEC §6)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from hotline.db import session_scope
from hotline.models import Call, Message, Referral, ReferralEvent, ReferralNotice, User
from hotline.services import referral_actions, voicemail
from hotline.services.program_cache import bump_revision
from hotline.services.voicemail import notify_voicemail
from hotline.simulator import CallScript, SmsEmulator, VoiceEmulator, flask_poster
from tests.conftest import is_sqlite
from tests.factories import add_user, arrive
from tests.jobs.conftest import run, texts_to
from tests.races import race_needs_postgresql, take_on_the_web
from tests.voice.conftest import HOTLINE, Program
from tests.voice.test_badge import local
from tests.voice.test_late_webhooks import call_of, dial_ended, start
from tests.voice.test_webhooks import post

ACK_MINUTES = 10


@contextmanager
def held_row(url: str, table: str, row_id: int) -> Iterator[None]:
    """Hold one row FOR UPDATE from another session, as a long transaction elsewhere would."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text(f"SELECT id FROM {table} WHERE id = {row_id} FOR UPDATE"))
            yield
            connection.rollback()
    finally:
        engine.dispose()


def referral_of_last_call(app: Flask) -> Referral:
    with session_scope(app) as session:
        referral = session.scalars(select(Referral).order_by(Referral.id.desc())).first()
        assert referral is not None
        session.expunge(referral)
        return referral


def last_notice(app: Flask) -> datetime:
    with session_scope(app) as session:
        at = session.scalar(select(func.max(ReferralNotice.at)))
        assert at is not None
        return at


def staff_texts(app: Flask) -> int:
    with session_scope(app) as session:
        statement = select(func.count()).select_from(Message)
        return session.scalar(statement.where(Message.direction == "out")) or 0


def abandon(twilio: VoiceEmulator, program: Program) -> None:
    """Call, then hang up while tier 1 rings: nobody accepted, no voicemail."""
    twilio.call(program.officer.phone, HOTLINE, CallScript(hang_up_after=1))


def ack_by_text(client: FlaskClient, app: Flask, sender: str, number: int) -> str:
    sms = SmsEmulator(
        flask_poster(client), app.config["TWILIO_AUTH_TOKEN"], "http://localhost", HOTLINE
    )
    result = sms.send(sender, f"ACK {number}")
    assert result.status == 200
    return result.replies[-1]


class TestVoicemail:
    """A voicemail's texts name the referral and how to take it."""

    def test_voicemail_texts_say_reply_ack_and_make_the_referral_notified(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        twilio.call(program.officer.phone, HOTLINE, CallScript())
        referral = referral_of_last_call(app)
        assert referral.status == "notified" and referral.call_outcome == "voicemail"
        for person in (program.ana, program.ben, program.sue):
            [body] = texts_to(app, person.phone)
            assert f"Referral #{referral.id}. Reply ACK {referral.id} to take it." in body
            assert "Officer Smith" in body and "left a voicemail" in body

    def test_an_empty_recording_also_says_reply_ack(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        twilio.call(program.officer.phone, HOTLINE, CallScript(recording=None))
        referral = referral_of_last_call(app)
        [body] = texts_to(app, program.ana.phone)
        assert f"Reply ACK {referral.id}" in body and "without a message" in body
        assert referral.status == "notified"

    def test_a_voicemail_on_a_referral_its_assessor_holds_texts_nobody(
        self, app: Flask, program: Program
    ) -> None:
        # Assessed `unable_to_contact` before the call ended: still `received`, but owned.
        now = datetime.now(UTC)
        arrival = arrive(app, "CAheld", program.officer.phone, now)
        with session_scope(app) as session:
            call = session.get_one(Call, arrival.id)
            call.call_outcome = "voicemail"
            session.get_one(Referral, call.referral_id).acknowledged_by = program.ana.id
            session.flush()
            assert notify_voicemail(session, call, now, HOTLINE, None) == 0
        assert staff_texts(app) == 0

    def test_a_coordinator_made_a_prosecutor_while_the_call_rings_is_not_told_of_its_voicemail(
        self, app: Flask, client: FlaskClient, program: Program
    ) -> None:
        params = {"CallSid": "CA-moved-vm", "From": program.officer.phone, "To": HOTLINE}
        answer = start(client, "CA-moved-vm", program.officer.phone)  # Ana's phone rings
        with session_scope(app) as session:
            session.get_one(User, program.ben.id).role = "prosecutor"  # takes no calls any more
            bump_revision(session)
        while (step := answer.find("Dial")) is not None:  # nobody answers, to the end
            no_answer = {**params, "DialCallStatus": "no-answer"}
            answer = ET.fromstring(post(client, local(step.attrib["action"]), no_answer).data)
        redirect = answer.find("Redirect")  # the recording was empty: Twilio goes on
        assert answer.find("Record") is not None and redirect is not None and redirect.text
        assert post(client, local(redirect.text), params).status_code == 200
        assert texts_to(app, program.ben.phone) == [], "a prosecutor is never texted a referral"
        assert len(texts_to(app, program.ana.phone)) == len(texts_to(app, program.sue.phone)) == 1

    def test_a_coordinator_made_a_prosecutor_after_the_notice_is_not_told_of_the_late_message(
        self, app: Flask, client: FlaskClient, program: Program
    ) -> None:
        start(client, "CA-moved-late", program.officer.phone)
        call, referral, _ = call_of(app, "CA-moved-late")
        nobody_answers(client, call.id, len(call.chain), "CA-moved-late")
        # Twilio sends the end before the recording: staff hear "without a message".
        ended = {"CallSid": "CA-moved-late", "CallStatus": "completed", "CallDuration": "80"}
        assert post(client, "/voice/status", ended).status_code == 204
        assert "without a message" in texts_to(app, program.ben.phone)[0]
        with session_scope(app) as session:
            session.get_one(User, program.ben.id).role = "prosecutor"  # takes no calls any more
            bump_revision(session)
        message = {
            "CallSid": "CA-moved-late",
            "RecordingUrl": "https://api.twilio.com/RE-moved",
            "RecordingDuration": "30",
        }
        assert post(client, f"/voice/recorded?call={call.id}", message).status_code == 200
        after_all = f"LEAD #{referral.id}: the voicemail has a message after all."
        for person in (program.ana, program.sue):  # still on call, still told
            assert texts_to(app, person.phone)[-1].startswith(after_all)
        told_ben = texts_to(app, program.ben.phone)
        assert len(told_ben) == 1, "a prosecutor is never texted a referral"

    def test_ack_by_text_takes_a_voicemail_and_tells_the_officer(
        self, app: Flask, client: FlaskClient, twilio: VoiceEmulator, program: Program
    ) -> None:
        twilio.call(program.officer.phone, HOTLINE, CallScript())
        number = referral_of_last_call(app).id
        reply = ack_by_text(client, app, program.ben.phone, number)
        assert reply.startswith(f"You have #{number}")
        taken = referral_of_last_call(app)
        assert taken.status == "acknowledged" and taken.acknowledged_by == program.ben.id
        assert texts_to(app, program.officer.phone)[-1] == (
            f"LEAD #{number}: with a coordinator, Ben Okafor."
        )
        assert f"#{number} is taken by Ben Okafor" in texts_to(app, program.ana.phone)[-1]

    def test_escalation_skips_everyone_the_voicemail_already_told(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        twilio.call(program.officer.phone, HOTLINE, CallScript())
        before = staff_texts(app)
        due = last_notice(app) + timedelta(minutes=ACK_MINUTES)
        assert "0 people" in run(app, "escalate-unacked", due)
        assert staff_texts(app) == before


class TestAbandoned:
    """A caller who hung up before anyone accepted is still someone's to call back."""

    def test_abandoned_call_texts_tier_one_once_whatever_the_callback_order(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        abandon(twilio, program)
        referral = referral_of_last_call(app)
        assert referral.call_outcome == "abandoned" and referral.status == "notified"
        [body] = texts_to(app, program.ana.phone)
        assert "hung up before anyone answered" in body
        assert f"Reply ACK {referral.id} to take it." in body
        assert texts_to(app, program.ben.phone) == texts_to(app, program.sue.phone) == []
        call_sid = _call_sid(app)
        for status in ("completed", "ringing", "in-progress", "completed", "no-answer"):
            twilio.status_callback(call_sid, status)
        assert len(texts_to(app, program.ana.phone)) == 1

    def test_escalates_to_tier_two_then_every_supervisor_until_acked(
        self, app: Flask, client: FlaskClient, twilio: VoiceEmulator, program: Program
    ) -> None:
        tess = add_user(app, "Tess Walker", "supervisor")
        abandon(twilio, program)
        number = referral_of_last_call(app).id
        first = last_notice(app)
        early = first + timedelta(minutes=ACK_MINUTES, seconds=-1)
        assert "0 people" in run(app, "escalate-unacked", early)
        assert "1 people" in run(app, "escalate-unacked", first + timedelta(minutes=ACK_MINUTES))
        [to_ben] = texts_to(app, program.ben.phone)
        assert f"Reply ACK {number} to take it" in to_ben
        assert texts_to(app, program.sue.phone) == []
        later = first + timedelta(minutes=2 * ACK_MINUTES)
        assert "2 people" in run(app, "escalate-unacked", later)
        for supervisor in (program.sue, tess):
            assert f"Reply ACK {number}" in texts_to(app, supervisor.phone)[0]
        reply = ack_by_text(client, app, program.sue.phone, number)
        assert reply.startswith(f"You have #{number}")
        assert "0 people" in run(app, "escalate-unacked", first + timedelta(minutes=60))
        assert texts_to(app, program.officer.phone)[-1].endswith("with a coordinator, Sue Pervis.")

    def test_the_escalation_says_it_was_a_call_nobody_took_not_a_blank_referral(
        self, app: Flask, twilio: VoiceEmulator, program: Program
    ) -> None:
        abandon(twilio, program)
        number = referral_of_last_call(app).id
        [to_ana] = texts_to(app, program.ana.phone)
        run(app, "escalate-unacked", last_notice(app) + timedelta(minutes=ACK_MINUTES))
        [to_ben] = texts_to(app, program.ben.phone)
        # Tier 2 reads what tier 1 read: who called, that nobody answered, whom to call back.
        assert to_ben == to_ana, to_ben
        assert "hung up before anyone answered" in to_ben and "at unknown place" not in to_ben
        assert f"Referral #{number}. Reply ACK {number} to take it." in to_ben


@pytest.mark.parametrize("withheld", ["+266696687", "anonymous"])
def test_a_withheld_number_is_texted_as_no_number_not_twilios_placeholder(
    app: Flask, twilio: VoiceEmulator, program: Program, withheld: str
) -> None:
    # Twilio sends a withheld caller ID as "anonymous" or +266696687, a number in Lesotho.
    twilio.call(withheld, HOTLINE, CallScript(gathers=[None]))
    referral = referral_of_last_call(app)
    [body] = texts_to(app, program.ana.phone)
    assert f"Reply ACK {referral.id} to take it." in body
    assert "an unverified caller (no number) left a voicemail" in body, body
    assert withheld not in body


def _call_sid(app: Flask) -> str:
    with session_scope(app) as session:
        return session.scalars(select(Call.call_sid)).one()


def test_a_call_whose_end_never_reached_the_app_still_gets_an_owner(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    # Nobody answered, each line's end on record, and the officer reached the recording;
    # then nothing more is stored: the recording, the final status and Twilio's retries
    # all came while the database was down.
    start(client, "CA-lost", program.officer.phone)
    call, _, _ = call_of(app, "CA-lost")
    for step in range(len(call.chain)):
        no_answer = {
            "CallSid": "CA-lost",
            "DialCallStatus": "no-answer",
            "CallStatus": "in-progress",
        }
        answer = post(client, f"/voice/dial-result?call={call.id}&step={step}", no_answer)
        assert answer.status_code == 200
    assert run(app, "escalate-unacked", call.started_at + timedelta(minutes=29)).startswith("0")
    assert referral_of_last_call(app).status == "received"  # the call may still be going on
    run(app, "escalate-unacked", call.started_at + timedelta(minutes=31))
    referral = referral_of_last_call(app)
    assert referral.status == "notified" and referral.call_outcome == "voicemail"
    assert any("Reply ACK" in body for body in texts_to(app, program.ana.phone))
    call, _, legs = call_of(app, "CA-lost")
    assert call.ended_at is not None and {leg.outcome for leg in legs} == {"no-answer"}
    with session_scope(app) as session:
        kinds = session.scalars(
            select(ReferralEvent.kind).where(ReferralEvent.referral_id == referral.id)
        ).all()
        assert "call_end_unheard" in kinds  # the timeline says why it was closed
    summary = run(app, "escalate-unacked", call.started_at + timedelta(minutes=32))
    assert "calls closed" not in summary  # once


def test_a_call_with_a_line_still_open_is_closed_only_after_twilios_longest_call(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    start(client, "CA-open", program.officer.phone)  # Ana's line rings; nothing more heard
    call, _, _ = call_of(app, "CA-open")
    run(app, "escalate-unacked", call.started_at + timedelta(minutes=31))
    assert referral_of_last_call(app).status == "received"  # perhaps a live conversation
    run(app, "escalate-unacked", call.started_at + timedelta(hours=4, minutes=1))
    assert referral_of_last_call(app).status == "notified"


def test_a_long_call_bridged_while_the_database_missed_the_key_stays_answered(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    start(client, "CA-talked", program.officer.phone)
    call, _, _ = call_of(app, "CA-talked")
    # Ana pressed 1 while the database was stuck (bridged, unrecorded) and talks for 35
    # minutes; the clock runs meanwhile.
    run(app, "escalate-unacked", call.started_at + timedelta(minutes=31))
    dial_ended(client, call.id, "completed", str(35 * 60))  # then her line ends
    call, referral, [leg] = call_of(app, "CA-talked")
    assert not [body for body in texts_to(app, program.ana.phone) if "Reply ACK" in body]
    assert call.call_outcome == "answered" and call.answered_by == program.ana.id
    assert referral.status == "acknowledged" and leg.outcome == "accepted"


def test_a_call_taken_on_the_web_as_it_ends_stays_taken_and_whoever_was_told_hears_so(
    app: Flask,
    app_config: dict[str, Any],
    client: FlaskClient,
    program: Program,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    race_needs_postgresql(app_config, "both requests")
    start(client, "CA-taken", program.officer.phone)
    _, referral, _ = call_of(app, "CA-taken")
    taken: list[object] = []
    # The final status has found the referral open and words its notice; Ben, on the
    # dashboard in another worker, presses "Take it". His take commits first, unless
    # the notice holds the referral: then it waits (well inside the lock timeout).
    ben_takes_it = take_on_the_web(app, referral.id, program.ben.id, taken)
    ben_takes_it.at(monkeypatch, voicemail, "call_not_taken")
    params = {"CallSid": "CA-taken", "CallStatus": "completed", "CallDuration": "9"}
    assert post(client, "/voice/status", params).status_code == 204
    ben_takes_it.join()
    assert isinstance(taken[0], referral_actions.Taken)  # Ben was told he has it
    _, after, _ = call_of(app, "CA-taken")
    assert (after.status, after.acknowledged_by) == ("acknowledged", program.ben.id)
    # Whoever was texted that nobody has taken it hears next that Ben has.
    to_ana = texts_to(app, program.ana.phone)
    assert not to_ana or f"#{referral.id} is taken by Ben Okafor" in to_ana[-1], to_ana


def nobody_answers(client: FlaskClient, call_id: int, steps: int, call_sid: str) -> None:
    """Let every step of the chain ring out, so the officer reaches the recording prompt."""
    no_answer = {"CallSid": call_sid, "DialCallStatus": "no-answer", "CallStatus": "in-progress"}
    for step in range(steps):
        post(client, f"/voice/dial-result?call={call_id}&step={step}", no_answer)


def test_a_voicemail_whose_end_was_stored_while_its_referral_was_held_still_gets_an_owner(
    app: Flask, app_config: dict[str, Any], client: FlaskClient, program: Program
) -> None:
    # The officer reaches the recording prompt and hangs up without a message. Meanwhile
    # a long transaction elsewhere (a web request stuck mid-way, a hand edit in psql) holds
    # the referral's row: the final status and every one of Twilio's retries wait on it
    # past the lock timeout and are answered 503 (SPEC §4.8).
    if is_sqlite(app_config["DATABASE_URL"]):
        pytest.skip("a row held by another session needs PostgreSQL's row locks")
    start(client, "CA-held", program.officer.phone)
    call, referral, _ = call_of(app, "CA-held")
    nobody_answers(client, call.id, len(call.chain), "CA-held")
    assert referral_of_last_call(app).call_outcome == "voicemail"
    ended = {"CallSid": "CA-held", "CallStatus": "completed", "CallDuration": "75"}
    with held_row(app_config["DATABASE_URL"], "referrals", referral.id):
        for _ in range(6):  # the status, then Twilio's five retries
            assert post(client, "/voice/status", ended).status_code == 503
    # The row is let go; nothing more comes from Twilio. The clock's sweep of calls whose
    # end never reached the app must still find this one and tell staff (SPEC §4.5, §6).
    run(app, "escalate-unacked", call.started_at + timedelta(minutes=31))
    after = referral_of_last_call(app)
    assert after.status == "notified"
    assert any(f"Reply ACK {referral.id}" in body for body in texts_to(app, program.ana.phone))


def test_a_message_left_while_its_referral_was_held_elsewhere_is_kept_and_announced(
    app: Flask, app_config: dict[str, Any], client: FlaskClient, program: Program
) -> None:
    # The officer leaves a message while a long transaction elsewhere holds the referral's
    # row: the recording's step fails open within the deadline (SPEC §4.8), and Twilio
    # never sends that step again. The message must not be lost for it (SPEC §4.5).
    if is_sqlite(app_config["DATABASE_URL"]):
        pytest.skip("a row held by another session needs PostgreSQL's row locks")
    start(client, "CA-msg", program.officer.phone)
    call, referral, _ = call_of(app, "CA-msg")
    nobody_answers(client, call.id, len(call.chain), "CA-msg")
    message = {
        "CallSid": "CA-msg",
        "RecordingUrl": "https://api.twilio.com/RE1",
        "RecordingDuration": "40",
    }
    with held_row(app_config["DATABASE_URL"], "referrals", referral.id):
        answer = post(client, f"/voice/recorded?call={call.id}", message)
        assert answer.status_code == 200 and ET.fromstring(answer.data).tag == "Response"
    ended = {"CallSid": "CA-msg", "CallStatus": "completed", "CallDuration": "95"}
    assert post(client, "/voice/status", ended).status_code == 204
    call, referral, _ = call_of(app, "CA-msg")
    assert call.recording_url == referral.recording_url == "https://api.twilio.com/RE1"
    [told] = texts_to(app, program.ana.phone)
    assert "left a voicemail" in told and f"Reply ACK {referral.id}" in told


def test_a_message_that_lands_after_the_end_while_its_referral_is_held_is_announced_later(
    app: Flask, app_config: dict[str, Any], client: FlaskClient, program: Program
) -> None:
    # Twilio sends the call's end first: staff are told of a voicemail without a message.
    # The recording's step then comes while a long transaction elsewhere holds the
    # referral's row, fails open within the deadline, and is never sent again.
    if is_sqlite(app_config["DATABASE_URL"]):
        pytest.skip("a row held by another session needs PostgreSQL's row locks")
    start(client, "CA-late", program.officer.phone)
    call, referral, _ = call_of(app, "CA-late")
    nobody_answers(client, call.id, len(call.chain), "CA-late")
    ended = {"CallSid": "CA-late", "CallStatus": "completed", "CallDuration": "95"}
    assert post(client, "/voice/status", ended).status_code == 204
    [first] = texts_to(app, program.ana.phone)
    message = {
        "CallSid": "CA-late",
        "RecordingUrl": "https://api.twilio.com/RE2",
        "RecordingDuration": "40",
    }
    with held_row(app_config["DATABASE_URL"], "referrals", referral.id):
        answer = post(client, f"/voice/recorded?call={call.id}", message)
        assert answer.status_code == 200 and ET.fromstring(answer.data).tag == "Response"
    # The clock's next runs link the message to the referral and tell who heard "no
    # message" that there is one after all (SPEC §4.5: nothing lost), once.
    for minutes in (2, 3):
        run(app, "escalate-unacked", call.started_at + timedelta(minutes=minutes))
    assert referral_of_last_call(app).recording_url == "https://api.twilio.com/RE2"
    told = texts_to(app, program.ana.phone)
    assert told[0] == first
    after_all = (
        f"LEAD #{referral.id}: the voicemail has a message after all. "
        f"Reply ACK {referral.id} to take it."
    )
    assert [body for body in told if "after all" in body] == [
        f"{after_all} http://localhost/referrals/{referral.id}"
    ]


def test_an_officer_who_withheld_their_number_but_keyed_their_badge_gets_status_texts(
    app: Flask, client: FlaskClient, twilio: VoiceEmulator, program: Program
) -> None:
    """The badge names a roster officer: their roster phone is where the status goes (§1, §6)."""
    app.config["HOTLINE_NUMBER"] = HOTLINE
    twilio.call("anonymous", HOTLINE, CallScript(gathers=[program.officer.badge]))
    referral = referral_of_last_call(app)
    assert referral.officer_id == program.officer.id and referral.officer_phone is None
    number = referral.id
    phone = SmsEmulator(
        flask_poster(client), app.config["TWILIO_AUTH_TOKEN"], "http://localhost", HOTLINE
    )
    phone.send(program.ana.phone, f"ACK {number}")
    (reply,) = phone.send(program.ana.phone, f"NONCOMPLY {number} no show").replies
    assert reply == f"#{number}: intake not completed; the officer was told."
    assert texts_to(app, program.officer.phone) == [
        f"LEAD #{number}: with a coordinator, Ana Diaz.",
        f"LEAD #{number}: intake not completed.",
    ]


def test_a_caller_who_left_no_number_is_not_said_to_have_been_told(
    app: Flask, client: FlaskClient, twilio: VoiceEmulator, program: Program
) -> None:
    """Withheld and unverified: nobody can be texted, and the coordinator must know it (§1)."""
    app.config["HOTLINE_NUMBER"] = HOTLINE
    twilio.call("anonymous", HOTLINE, CallScript(gathers=[None]))
    number = referral_of_last_call(app).id
    phone = SmsEmulator(
        flask_poster(client), app.config["TWILIO_AUTH_TOKEN"], "http://localhost", HOTLINE
    )
    (taken,) = phone.send(program.ana.phone, f"ACK {number}").replies
    assert taken == f"You have #{number}: the caller left no number, so nobody was told."
    (missed,) = phone.send(program.ana.phone, f"NONCOMPLY {number} no show").replies
    assert missed == (
        f"#{number}: intake not completed; the caller left no number, so nobody was told."
    )
