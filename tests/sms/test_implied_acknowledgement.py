"""An assessment implies the acknowledgement (SPEC §6): its author owns the referral after it.

An `unable_to_contact` assessment leaves the status as it was (`notified`, say),
so ownership is read from `acknowledged_by`, not from the status alone.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Message, Referral, ReferralNotice, User
from hotline.simulator import SmsEmulator
from tests.api.conftest import Api, token_for
from tests.sms.conftest import Program, converse, outbox
from tests.sms.test_commands import refer, status_of
from tests.sms.test_escalation import run_at


def could_not_reach(app: Flask, number: int, user: User) -> None:
    """Post an `unable_to_contact` assessment of referral `number` as `user`."""
    api = Api(app.test_client(), token_for(app, user.id))
    body = {"offense": "possession", "consent_confirmed": False, "disposition": "unable_to_contact"}
    assert api.post(f"/referrals/{number}/assessment", body).status_code == 201


def holder_of(app: Flask, number: int) -> int | None:
    with session_scope(app) as session:
        return session.get_one(Referral, number).acknowledged_by


def test_a_later_ack_is_told_who_has_it_and_the_assessor_may_take_it(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    could_not_reach(app, number, program.ben)
    assert status_of(app, number) == "notified"  # "unchanged for unable_to_contact"

    (refused,) = converse(phone, program.ana.phone, f"ACK {number}")
    assert refused == f"#{number} is already taken by Ben Okafor ({program.ben.phone})."
    assert holder_of(app, number) == program.ben.id and status_of(app, number) == "notified"

    (taken,) = converse(phone, program.ben.phone, f"ACK {number}")
    assert taken.startswith(f"You have #{number}: Officer Smith")
    assert holder_of(app, number) == program.ben.id and status_of(app, number) == "acknowledged"


def test_escalation_passes_over_a_referral_its_assessor_holds(
    app: Flask, runner: FlaskCliRunner, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    could_not_reach(app, number, program.ana)
    with session_scope(app) as session:
        first = session.scalars(select(ReferralNotice.at)).one()
    assert "0 people" in run_at(runner, first + timedelta(minutes=30))
    assert outbox(app, program.ben.phone) == [] and outbox(app, program.sue.phone) == []
    assert holder_of(app, number) == program.ana.id


def texts_to(app: Flask, phone: str) -> list[str]:
    with session_scope(app) as session:
        statement = select(Message.body).where(Message.to_number == phone).order_by(Message.id)
        return [body or "" for body in session.scalars(statement)]


def test_an_assessment_that_takes_a_referral_tells_the_officer_and_the_others_as_ack_does(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    officer_before = len(texts_to(app, program.officer.phone))
    api = Api(app.test_client(), token_for(app, program.ben.id))
    body = {"offense": "possession", "consent_confirmed": True, "disposition": "accepted"}
    assert api.post(f"/referrals/{number}/assessment", body).status_code == 201
    assert status_of(app, number) == "assessed" and holder_of(app, number) == program.ben.id
    told = texts_to(app, program.officer.phone)[officer_before:]
    assert told == [f"LEAD #{number}: with a coordinator, Ben Okafor."]
    assert f"#{number} is taken by Ben Okafor" in texts_to(app, program.ana.phone)[-1]


def test_one_that_could_not_reach_the_person_tells_the_others_but_not_the_officer(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    officer_before = texts_to(app, program.officer.phone)
    could_not_reach(app, number, program.ben)
    assert texts_to(app, program.officer.phone) == officer_before  # still "received" to them
    assert f"#{number} is taken by Ben Okafor" in texts_to(app, program.ana.phone)[-1]


def test_an_acceptance_after_an_unreachable_assessment_tells_the_officer_who_has_it(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    """Ben could not reach the person, then did: the officer's "received" is now stale."""
    number = refer(phone, program)
    could_not_reach(app, number, program.ben)
    officer_before = len(texts_to(app, program.officer.phone))
    api = Api(app.test_client(), token_for(app, program.ben.id))
    body = {"offense": "possession", "consent_confirmed": True, "disposition": "accepted"}
    assert api.post(f"/referrals/{number}/assessment", body).status_code == 201
    assert status_of(app, number) == "assessed"
    told = texts_to(app, program.officer.phone)[officer_before:]
    assert told == [f"LEAD #{number}: with a coordinator, Ben Okafor."]
    # Ben's colleagues were told once, at his first assessment, that he has it.
    taken = [t for t in texts_to(app, program.ana.phone) if "is taken by Ben Okafor" in t]
    assert len(taken) == 1, taken
