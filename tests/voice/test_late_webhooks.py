"""Webhooks that arrive twice, late or out of order leave the call's record true (SPEC §4)."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hotline.db import session_scope
from hotline.models import Call, CallLeg, Referral, ReferralEvent, User
from hotline.services import call_end, calls, referral_actions
from tests.jobs.conftest import texts_to
from tests.races import Meanwhile, race_needs_postgresql, take_on_the_web
from tests.voice.conftest import HOTLINE, STRANGER, Program
from tests.voice.test_badge import local
from tests.voice.test_webhooks import post


def start(client: FlaskClient, call_sid: str, caller: str) -> ET.Element:
    """Post the call's first webhook and return its TwiML."""
    params = {"CallSid": call_sid, "From": caller, "To": HOTLINE}
    answer = post(client, "/voice/incoming", params)
    assert answer.status_code == 200
    return ET.fromstring(answer.data)


def call_of(app: Flask, call_sid: str) -> tuple[Call, Referral, list[CallLeg]]:
    with session_scope(app) as session:
        call = session.scalars(select(Call).where(Call.call_sid == call_sid)).one()
        referral = session.get_one(Referral, call.referral_id)
        legs = list(session.scalars(select(CallLeg).where(CallLeg.call_id == call.id)))
        session.expunge_all()
        return call, referral, legs


def events(app: Flask, referral_id: int, kind: str) -> int:
    with session_scope(app) as session:
        statement = select(func.count()).select_from(ReferralEvent)
        where = (ReferralEvent.referral_id == referral_id, ReferralEvent.kind == kind)
        return session.scalar(statement.where(*where)) or 0


def hang_up(client: FlaskClient, call_sid: str, caller: str, seconds: str = "20") -> None:
    params = {"CallSid": call_sid, "From": caller, "To": HOTLINE, "CallStatus": "completed"}
    assert post(client, "/voice/status", {**params, "CallDuration": seconds}).status_code == 204


def test_a_badge_step_sent_twice_records_one_badge_entry(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    gather = start(client, "CA-twice", STRANGER).find("Gather")
    assert gather is not None
    params = {"CallSid": "CA-twice", "From": STRANGER, "To": HOTLINE, "Digits": "5150"}
    for _ in range(2):  # Twilio retries a webhook whose answer it did not get
        assert post(client, local(gather.attrib["action"]), params).status_code == 200
    _, referral, _ = call_of(app, "CA-twice")
    assert referral.badge == "5150"
    assert events(app, referral.id, "badge_entered") == 1


def test_a_badge_that_arrives_after_the_caller_hung_up_rings_nobody(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    gather = start(client, "CA-keyed-gone", STRANGER).find("Gather")
    assert gather is not None
    hang_up(client, "CA-keyed-gone", STRANGER, "9")  # the final status wins the race
    params = {"CallSid": "CA-keyed-gone", "From": STRANGER, "To": HOTLINE, "Digits": "4711"}
    answer = post(client, local(gather.attrib["action"]), params)
    assert answer.status_code == 200 and answer.mimetype == "text/xml"
    assert ET.fromstring(answer.data).find("Dial") is None  # nobody is left to connect
    call, referral, legs = call_of(app, "CA-keyed-gone")
    # No line stays "ringing" for good on the referral's page and in /api/v1/calls.
    assert legs == [] and call.call_outcome == "abandoned"
    assert referral.officer_id == program.officer.id  # the badge still says who called


def test_a_key_pressed_after_the_caller_hung_up_does_not_answer_the_call(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    dial = start(client, "CA-gone", program.officer.phone).find("Dial/Number")
    assert dial is not None
    call, _, _ = call_of(app, "CA-gone")
    hang_up(client, "CA-gone", program.officer.phone, "4")
    accept = f"/voice/accept?call={call.id}&step=0"
    answer = post(client, accept, {"CallSid": "CA-leg", "Digits": "1"})
    assert answer.status_code == 200
    assert ET.fromstring(answer.data).find("Hangup") is not None  # nobody to bridge to
    call, referral, [leg] = call_of(app, "CA-gone")
    assert call.call_outcome == referral.call_outcome == "abandoned"
    assert call.answered_by is None and referral.status != "acknowledged"
    assert leg.outcome != "accepted"


def test_a_leg_that_never_reported_is_closed_as_canceled_when_the_call_ends(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    start(client, "CA-short", program.officer.phone)
    hang_up(client, "CA-short", program.officer.phone, "2")
    _, _, [leg] = call_of(app, "CA-short")
    assert leg.outcome == "canceled"


def ring_out(client: FlaskClient, app: Flask, call_sid: str, caller: str) -> int:
    """Call and let every step go unanswered until the recording prompt; return the call id."""
    start(client, call_sid, caller)
    call, _, _ = call_of(app, call_sid)
    params = {"CallSid": call_sid, "DialCallStatus": "no-answer", "CallStatus": "in-progress"}
    for step in range(len(call.chain)):
        answer = post(client, f"/voice/dial-result?call={call.id}&step={step}", params)
        assert answer.status_code == 200
    assert ET.fromstring(answer.data).find("Record") is not None
    return call.id


def test_a_recording_that_arrives_after_the_final_status_is_announced(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    call_id = ring_out(client, app, "CA-late-rec", program.officer.phone)
    hang_up(client, "CA-late-rec", program.officer.phone, "60")  # Twilio sent this first
    [first] = texts_to(app, program.ana.phone)
    assert "without a message" in first
    recording = {"CallSid": "CA-late-rec", "RecordingUrl": "https://api.twilio.test/RE1"}
    answer = post(
        client, f"/voice/recorded?call={call_id}", {**recording, "RecordingDuration": "31"}
    )
    assert answer.status_code == 200
    _, referral, _ = call_of(app, "CA-late-rec")
    for person in (program.ana, program.ben, program.sue):
        later = texts_to(app, person.phone)[-1]
        assert later.startswith(f"LEAD #{referral.id}: the voicemail has a message after all")
    post(client, f"/voice/recorded?call={call_id}", {**recording, "RecordingDuration": "31"})
    assert len(texts_to(app, program.ana.phone)) == 2  # a retried step texts nobody again


def test_a_recording_before_the_final_status_is_announced_once(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    call_id = ring_out(client, app, "CA-rec", program.officer.phone)
    recording = {"CallSid": "CA-rec", "RecordingUrl": "https://api.twilio.test/RE2"}
    post(client, f"/voice/recorded?call={call_id}", {**recording, "RecordingDuration": "12"})
    hang_up(client, "CA-rec", program.officer.phone, "60")
    [only] = texts_to(app, program.ana.phone)
    assert "left a voicemail" in only


@pytest.mark.parametrize("status_first", [False, True])
def test_a_recording_of_zero_seconds_is_not_announced_as_a_message(
    app: Flask, client: FlaskClient, program: Program, status_first: bool
) -> None:
    # Twilio names a recording of 0 s that holds nothing to play: the caller left no message.
    call_id = ring_out(client, app, "CA-rec-0", program.officer.phone)
    if status_first:
        hang_up(client, "CA-rec-0", program.officer.phone, "60")
    recording = {"CallSid": "CA-rec-0", "RecordingUrl": "https://api.twilio.test/RE0"}
    answer = post(
        client, f"/voice/recorded?call={call_id}", {**recording, "RecordingDuration": "0"}
    )
    heard = [say.text or "" for say in ET.fromstring(answer.data).iter("Say")]
    assert not any("message was delivered" in words for words in heard), heard
    assert any("told you called" in words for words in heard), heard
    hang_up(client, "CA-rec-0", program.officer.phone, "60")
    [only] = texts_to(app, program.ana.phone)  # once, and never "a message after all"
    assert "without a message" in only, only


@pytest.mark.parametrize("taken", [False, True])
def test_a_late_recording_of_an_untaken_referral_says_how_to_take_it(
    app: Flask, client: FlaskClient, program: Program, taken: bool
) -> None:
    # SPEC §5: "Every text that tells staff about a referral nobody has taken — a new SMS
    # referral, a voicemail, a call that nobody accepted — names its number and `Reply ACK 42`."
    call_id = ring_out(client, app, "CA-late-ack", program.officer.phone)
    hang_up(client, "CA-late-ack", program.officer.phone, "60")  # "without a message"
    _, referral, _ = call_of(app, "CA-late-ack")
    if taken:
        with session_scope(app) as session:
            ana = session.get_one(User, program.ana.id)
            referral_actions.acknowledge(
                session, referral.id, ana, datetime.now(UTC), "sms", HOTLINE
            )
    recording = {"CallSid": "CA-late-ack", "RecordingUrl": "https://api.twilio.test/RE3"}
    post(client, f"/voice/recorded?call={call_id}", {**recording, "RecordingDuration": "31"})
    later = texts_to(app, program.ana.phone)[-1]
    assert "message after all" in later
    # The holder has it already: an ACK would only tell them so.
    assert (f"Reply ACK {referral.id} to take it." in later) is not taken, later


def dial_ended(client: FlaskClient, call_id: int, status: str, seconds: str) -> ET.Element:
    """Post step 0's dial result, with no key press on record; return the TwiML."""
    params = {"CallSid": "CA-x", "DialCallStatus": status, "CallStatus": "in-progress"}
    answer = post(
        client, f"/voice/dial-result?call={call_id}&step=0", {**params, "DialCallDuration": seconds}
    )
    assert answer.status_code == 200
    return ET.fromstring(answer.data)


def test_a_coordinator_bridged_while_the_database_missed_their_key_is_not_followed_by_tier_2(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    start(client, "CA-talked", program.officer.phone)
    call, _, _ = call_of(app, "CA-talked")
    # Ana pressed 1 while the database was stuck: the fail-open answer bridged her unrecorded.
    after = dial_ended(client, call.id, "completed", "240")
    assert after.find("Dial") is None and after.find("Hangup") is not None
    call, referral, [leg] = call_of(app, "CA-talked")
    assert leg.outcome == "accepted" and call.answered_by == program.ana.id
    assert referral.status == "acknowledged" and referral.acknowledged_by == program.ana.id


def test_a_voicemail_box_that_took_the_whisper_is_still_not_an_answer(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    start(client, "CA-box", program.officer.phone)
    call, _, _ = call_of(app, "CA-box")
    after = dial_ended(client, call.id, "completed", "16")  # the whisper, then its hang-up
    number = after.find("Dial/Number")
    assert number is not None and number.text == program.ben.phone
    _, referral, legs = call_of(app, "CA-box")
    assert legs[0].outcome == "declined" and referral.status == "received"


def test_a_1_pressed_as_the_step_timed_out_leaves_the_next_step_free_to_accept(
    app: Flask, client: FlaskClient, program: Program
) -> None:
    start(client, "CA-race", program.officer.phone)
    call, _, _ = call_of(app, "CA-race")
    after = dial_ended(client, call.id, "no-answer", "0")  # Ana's step timed out: Ben rings
    number = after.find("Dial/Number")
    assert number is not None and number.text == program.ben.phone
    late = post(client, f"/voice/accept?call={call.id}&step=0", {"CallSid": "CA-a", "Digits": "1"})
    assert ET.fromstring(late.data).find("Hangup") is not None  # her leg is gone
    ben = post(client, f"/voice/accept?call={call.id}&step=1", {"CallSid": "CA-b", "Digits": "1"})
    assert ET.fromstring(ben.data).find("Hangup") is None  # he is bridged
    call, referral, _ = call_of(app, "CA-race")
    assert call.answered_by == referral.acknowledged_by == program.ben.id


def test_a_1_that_lands_while_the_final_status_is_applied_keeps_the_call_answered(
    app: Flask, client: FlaskClient, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    dial = start(client, "CA-race", program.officer.phone).find("Dial/Number")
    assert dial is not None
    call, _, _ = call_of(app, "CA-race")
    pressed: list[int] = []
    accept = f"/voice/accept?call={call.id}&step=0"

    def press() -> None:
        leg = {"CallSid": "CA-leg", "Digits": "1"}
        pressed.append(post(app.test_client(), accept, leg).status_code)

    # The status webhook has read the call; Ana's 1, in another worker, commits first.
    Meanwhile(press, hold=None).at(monkeypatch, call_end, "finish")
    hang_up(client, "CA-race", program.officer.phone)
    assert pressed == [200]
    call, referral, _ = call_of(app, "CA-race")
    assert call.call_outcome == referral.call_outcome == "answered"
    assert referral.status == "acknowledged" and events(app, referral.id, "call_abandoned") == 0
    assert texts_to(app, program.sue.phone) == []  # nobody is told the officer hung up unheard


def test_a_1_and_the_steps_time_out_at_once_leave_the_officer_with_someone(
    app: Flask,
    app_config: dict[str, Any],
    client: FlaskClient,
    program: Program,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    race_needs_postgresql(app_config, "both webhooks")
    start(client, "CA-both", program.officer.phone)
    call, _, _ = call_of(app, "CA-both")
    real_leg_of = calls.leg_of
    pressed: list[bytes] = []

    def ana_presses_1_meanwhile(*args: Any, **kwargs: Any) -> Any:
        leg = real_leg_of(*args, **kwargs)
        # The step's timeout has read Ana's leg; her 1, in another worker, commits first.
        if not pressed:
            pressed.append(b"")

            def press() -> None:
                accept = f"/voice/accept?call={call.id}&step=0"
                pressed[0] = post(
                    app.test_client(), accept, {"CallSid": "CA-a", "Digits": "1"}
                ).data

            worker = threading.Thread(target=press)
            worker.start()
            worker.join()
        return leg

    monkeypatch.setattr(calls, "leg_of", ana_presses_1_meanwhile)
    after = dial_ended(client, call.id, "no-answer", "0")
    monkeypatch.setattr(calls, "leg_of", real_leg_of)
    bridged = ET.fromstring(pressed[0]).find("Hangup") is None
    went_on = after.find("Dial/Number") is not None
    # Either Ana has the officer and the call stops there, or her leg is gone and Ben rings.
    assert bridged != went_on, (bridged, went_on)
    if went_on:
        ben = {"CallSid": "CA-b", "Digits": "1"}
        taken = post(client, f"/voice/accept?call={call.id}&step=1", ben)
        assert ET.fromstring(taken.data).find("Hangup") is None  # Ben is bridged
    call, _, legs = call_of(app, "CA-both")
    accepted = [leg.step for leg in legs if leg.outcome == "accepted"]
    assert accepted == [1 if went_on else 0] and call.answered_by is not None


def test_a_hang_up_as_the_last_step_times_out_still_tells_staff_once(
    app: Flask, client: FlaskClient, program: Program, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The last step times out and the officer hangs up at that very moment: Twilio
    # posts the dial result (the call still in progress) and the final status at once,
    # and two workers apply them. The call ends unheard, so the final status is the
    # only request left to tell staff (SPEC §4.5, §6 "Every referral has an owner").
    start(client, "CA-end", program.officer.phone)
    call, _, _ = call_of(app, "CA-end")
    params = {"CallSid": "CA-end", "DialCallStatus": "no-answer", "CallStatus": "in-progress"}
    last = len(call.chain) - 1
    for step in range(last):
        assert (
            post(client, f"/voice/dial-result?call={call.id}&step={step}", params).status_code
            == 200
        )
    prompted: list[bytes] = []
    result = f"/voice/dial-result?call={call.id}&step={last}"

    def time_out() -> None:
        prompted.append(post(app.test_client(), result, params).data)

    # The status webhook has read the call; the last step's result, in another
    # worker, reaches the recording prompt and commits first.
    Meanwhile(time_out, hold=None).at(monkeypatch, call_end, "finish")
    hang_up(client, "CA-end", program.officer.phone, "65")
    assert ET.fromstring(prompted[0]).find("Record") is not None
    _, referral, _ = call_of(app, "CA-end")
    # Nobody took it: whoever the notice goes to, staff hear of it, once, with its number.
    told = texts_to(app, program.ana.phone)
    assert len(told) == 1 and f"Reply ACK {referral.id}" in told[0]
    assert referral.status == "notified"


def test_a_1_pressed_as_someone_takes_it_on_the_web_leaves_one_owner_as_each_was_told(
    app: Flask,
    app_config: dict[str, Any],
    client: FlaskClient,
    program: Program,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    race_needs_postgresql(app_config, "both requests")
    start(client, "CA-both-ways", program.officer.phone)
    call, referral, _ = call_of(app, "CA-both-ways")
    taken: list[object] = []
    # Ana's 1 has found the referral open; Sue presses "Take it" on the dashboard in
    # another worker. Hers commits first, unless Ana's holds the referral: then it
    # waits (well inside the lock timeout).
    sue_takes_it = take_on_the_web(app, referral.id, program.sue.id, taken)
    sue_takes_it.at(monkeypatch, calls, "audit_ack")
    accept = f"/voice/accept?call={call.id}&step=0"
    assert post(client, accept, {"CallSid": "CA-leg", "Digits": "1"}).status_code == 200
    sue_takes_it.join()
    _, after, _ = call_of(app, "CA-both-ways")
    told_sue = taken[0]
    # Whoever the referral belongs to is who was told so: Sue "You have #n", or
    # "already taken by Ana" when Ana's 1 won.
    if isinstance(told_sue, referral_actions.Taken):
        assert after.acknowledged_by == program.sue.id
    else:
        assert isinstance(told_sue, referral_actions.TakenBy) and told_sue.name == "Ana Diaz"
        assert after.acknowledged_by == program.ana.id
    assert after.status == "acknowledged"
