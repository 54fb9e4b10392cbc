"""One bad night on call, played through the real entry points in order (SPEC §3, §4, §5, §7).

Each piece has its own tests; this one checks the hand-overs between them:
the rotation to the shift notice, a call to its referral and the API, an
unanswered text up the escalation chain to two ACKs, an empty voicemail to one
notice, the outbox through a Twilio outage, and the morning's pages.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Call, Referral
from hotline.simulator import CallScript, Leg, SmsEmulator, VoiceEmulator
from tests.api.conftest import Api, token_for
from tests.messaging.fake_twilio import FakeTwilio
from tests.night.conftest import HOTLINE, STRANGER, Night, local
from tests.sms.test_intake import ARREST
from tests.web.conftest import Web


def evening_hand_over(night: Night) -> None:
    """Ana takes tier 1 from Dee at 18:00; she is told once, whoever runs the job twice."""
    clock = night.clock
    for minute in range(0, 60, 5):  # every 5 min from 16:00: nothing yet
        clock.at(local(31, 16, minute))
        assert night.run("shift-notices") == "0 shift notices"
    clock.at(local(31, 17))
    assert night.run("shift-notices") == "1 shift notices"
    assert night.run("shift-notices") == "0 shift notices"  # a second clock, same instant
    assert night.run("dispatch-outbox").startswith("1 sent")
    clock.at(local(31, 17, 5))
    assert night.run("shift-notices") == "0 shift notices"
    assert night.texts_to(night.ana) == [
        "You are LEAD on-call (tier 1) from Sat 10/31 18:00 to Sun 11/01 06:00."
    ]


def a_call_through_a_voicemail_box(night: Night, voice: VoiceEmulator, api: Api) -> int:
    """Ana's voicemail box picks up and presses nothing; Ben presses 1 and takes it."""
    night.clock.at(local(31, 22, 10))
    rings = {night.ana.phone: [Leg("voicemail")], night.ben.phone: [Leg("accept")]}
    result = voice.call(night.smith.phone, HOTLINE, CallScript(legs=rings))
    assert result.dialled == [[night.ana.phone], [night.ben.phone]]
    assert result.answered_by == night.ben.phone
    with session_scope(night.app) as session:
        call = session.scalars(select(Call)).one()
        referral = session.get_one(Referral, call.referral_id)
        legs = [(leg.user_id, leg.outcome) for leg in call.legs]
        assert legs == [(night.ana.id, "declined"), (night.ben.id, "accepted")]
        assert (call.call_outcome, call.answered_by) == ("answered", night.ben.id)
        assert (referral.status, referral.acknowledged_by) == ("acknowledged", night.ben.id)
        number = referral.id
    listed = api.get("/calls").get_json()["items"]
    assert len(listed) == 1 and listed[0]["referral_id"] == number
    assert [(leg["user_id"], leg["outcome"]) for leg in listed[0]["legs"]] == legs
    assert (listed[0]["call_outcome"], listed[0]["answered_by"]) == ("answered", night.ben.id)
    shown = api.get(f"/referrals/{number}").get_json()
    assert (shown["status"], shown["acknowledged_by"]) == ("acknowledged", night.ben.id)
    assert shown["acknowledged_at"] == listed[0]["answered_at"]
    taken = [e for e in shown["events"] if e["actor_id"] == night.ben.id]
    assert taken and all(e["channel"] == "voice" for e in taken), shown["events"]
    return number


def a_text_nobody_takes(night: Night, phone: SmsEmulator) -> int:
    """Jones texts a referral at 23:30; the chain, then the supervisors, are texted in turn."""
    clock = night.clock
    clock.at(local(31, 23, 30))
    for text in [*ARREST, "SEND"]:
        clock.tick(0.5)
        answer = phone.send(night.jones.phone, text)
        assert answer.status == 200
    number = int(answer.replies[-1].split("#", 1)[1].split(".", 1)[0])
    sent_at = clock.now
    assert len(night.texts_to(night.ana)) == 2  # the shift notice, then this referral
    assert f"Reply ACK {number}" in night.texts_to(night.ana)[-1]
    escalated: list[tuple[int, int]] = []
    for minute in range(1, 26):
        clock.tick()
        done = night.run("escalate-unacked")
        night.run("dispatch-outbox")
        if not done.startswith("0 "):
            escalated.append((minute, int(done.split()[0])))
        assert clock.now - sent_at == timedelta(minutes=minute)
    assert escalated == [(10, 1), (20, 2)]  # Ben, then both supervisors at once
    assert f"Reply ACK {number}" in night.texts_to(night.ben)[-1]
    assert f"Reply ACK {number}" in night.texts_to(night.sue)[-1]
    assert f"Reply ACK {number}" in night.texts_to(night.tess)[-1]
    return number


def two_acks_at_once(night: Night, phone: SmsEmulator, number: int) -> None:
    """Sue and Ana ACK at the same instant: Sue's is first; Ana hears who has it."""
    won = phone.send(night.sue.phone, f"ACK {number}")
    lost = phone.send(night.ana.phone, f"ack #{number}")
    assert won.status == lost.status == 200
    assert "Sue Pervis" in " ".join(lost.replies), lost.replies
    with session_scope(night.app) as session:
        referral = session.get_one(Referral, number)
        assert (referral.status, referral.acknowledged_by) == ("acknowledged", night.sue.id)
    told = [body for body in night.texts_to(night.jones) if "Sue Pervis" in body]
    assert len(told) == 1, night.texts_to(night.jones)
    for other in (night.ben, night.tess):  # texted about it earlier: told it is taken
        assert "Sue Pervis" in night.texts_to(other)[-1], night.texts_to(other)


def an_empty_voicemail(night: Night, voice: VoiceEmulator) -> int:
    """A caller with no badge reaches nobody and leaves nothing: staff are told once."""
    night.clock.at(local(1, 1, 40))  # PDT, before the clocks fall back
    script = CallScript(gathers=[None], recording=None, record_finish="")
    result = voice.call(STRANGER, HOTLINE, script)
    voice.status_callback(result.call_sid, "completed", CallDuration="40")  # Twilio again
    with session_scope(night.app) as session:
        call = session.scalars(select(Call).where(Call.call_sid == result.call_sid)).one()
        referral = session.get_one(Referral, call.referral_id)
        assert (call.call_outcome, referral.status) == ("voicemail", "notified")
        assert call.officer_id is None and call.recording_url is None
        number = referral.id
    for person in (night.ana, night.ben, night.sue, night.tess):
        about = [body for body in night.texts_to(person) if f"#{number}" in body]
        assert len(about) == 1, (person.name, about)
        assert f"Reply ACK {number}" in about[0]
    return number


def through_the_repeated_hour(night: Night, voice: VoiceEmulator, api: Api) -> int:
    """01:45 PDT to 05:30 PST, every 5 min: Ana answers at 01:30 PST; Dee hears of 06:00 once."""
    clock, number = night.clock, 0
    for minutes in range(5, 5 * 60, 5):
        clock.at(local(1, 1, 40) + timedelta(minutes=minutes))
        assert night.run("shift-notices") in ("0 shift notices", "1 shift notices")
        night.run("dispatch-outbox")
        if clock.now == local(1, 1, 30, fold=1):  # the second 01:30, in PST
            on_call = api.get(f"/oncall?at={clock.now.isoformat()}").get_json()
            tier_one = on_call["tiers"][0]
            assert (tier_one["user"]["id"], tier_one["until"]) == (
                night.ana.id,
                "2026-11-01T14:00:00Z",
            ), on_call
            script = CallScript(legs={night.ana.phone: [Leg("accept")]})
            assert voice.call(night.smith.phone, HOTLINE, script).answered_by == night.ana.phone
            number = api.get("/referrals").get_json()["items"][-1]["id"]
    assert night.texts_to(night.dee) == [
        "You are LEAD on-call (tier 1) from Sun 11/01 06:00 to Sun 11/01 18:00."
    ]
    return number


def words(html: str) -> str:
    """Return a page's text as one line, its tags taken out."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def morning(night: Night, client: FlaskClient, api: Api, twilio_rest: FakeTwilio) -> None:
    """At 07:30 PST every text went out once, and the pages tell the same night."""
    night.clock.at(local(1, 7, 30))
    night.run("dispatch-outbox")
    logged = api.get("/messages").get_json()["items"]
    outbox = [m for m in logged if m["direction"] == "out" and m["message_sid"]]
    assert outbox and all(m["status"] == "sent" for m in outbox)
    sent = Counter((r.to, r.body) for r in twilio_rest.accepted)
    assert len(sent) == len(twilio_rest.accepted) == len(outbox)  # none twice, none lost
    assert len(twilio_rest.requests) - len(twilio_rest.accepted) == 3  # the outage's tries

    web = Web(client)
    assert web.login(night.sue).status_code == 302
    dashboard = words(web.text("/"))
    assert f"1 Dee Park {night.dee.phone} (rotation) Sun 11/01 18:00" in dashboard
    assert "#3 overdue waiting 6 h 50 min : call, voicemail, staff texted" in dashboard
    for taken in (
        "#1 since Sat 10/31 22:10, with Ben Okafor",
        "#2 since Sat 10/31 23:33, with Sue Pervis",
        "#4 since Sun 11/01 01:30 PST, with Ana Diaz",
        "01:30 PST from +12065550177: answered by Ana Diaz "
        "01:40 PDT from +12065550666: went to voicemail",
    ):
        assert taken in dashboard, taken
    audit = words(web.text("/audit?entity=referral"))
    for line in (
        "2026-11-01 01:30:00 PST Ana Diaz phone call acknowledged (taken) referral #4",
        "2026-10-31 23:58:30 Sue Pervis text message acknowledged (taken) referral #2",
        "2026-10-31 22:10:00 Ben Okafor phone call acknowledged (taken) referral #1",
    ):
        assert line in audit, line
    report = words(web.text("/reports?from=2026-10-31&to=2026-11-01"))
    assert "answered 2 voicemail 1 abandoned 0 missed (voicemail + abandoned) 1" in report
    assert "time to ACK 3 0:00:00 0:25:00" in report


def test_a_night_on_call(
    app: Flask,
    client: FlaskClient,
    night: Night,
    voice: VoiceEmulator,
    phone: SmsEmulator,
    twilio_rest: FakeTwilio,
) -> None:
    api = Api(client, token_for(app, night.sue.id))
    evening_hand_over(night)
    a_call_through_a_voicemail_box(night, voice, api)
    twilio_rest.fail_next("503", times=3)  # Twilio is down as the text comes in
    number = a_text_nobody_takes(night, phone)
    two_acks_at_once(night, phone, number)
    an_empty_voicemail(night, voice)
    through_the_repeated_hour(night, voice, api)
    morning(night, client, api, twilio_rest)
