"""An officer who left the roster texts as a stranger: no name, no participant's status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import Consent, Contact, Participant, Referral
from hotline.simulator import SmsEmulator
from hotline.sms.prompts import PROMPTS
from tests.factories import add_user, leave_roster
from tests.sms.conftest import STRANGER, Program, converse, outbox
from tests.sms.test_contact import NEUTRAL
from tests.sms.test_intake import ARREST


def test_contact_from_a_former_officers_phone_learns_nothing(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    cam = add_user(app, "Cam Reed", "case_manager")
    now = datetime.now(UTC)
    with session_scope(app) as session:
        jane = Participant(
            name="Jane Doe", aliases=[], status="active", case_manager_id=cam.id, created_at=now
        )
        session.add(jane)
        session.flush()
        given = now - timedelta(days=1)
        session.add(Consent(participant_id=jane.id, scope="officer_status", given_at=given))
    leave_roster(app, program.officer)

    assert converse(phone, program.officer.phone, "CONTACT Jane Doe") == [NEUTRAL]
    assert outbox(app, cam.phone) == []
    with session_scope(app) as session:
        assert session.scalars(select(Contact)).all() == []


def test_a_former_officer_refers_as_an_unverified_phone(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    leave_roster(app, program.officer)

    replies = converse(phone, program.officer.phone, "REFER", "4711", *ARREST[1:], "SEND")

    assert replies[0] == PROMPTS["badge"]  # not greeted by name
    with session_scope(app) as session:
        referral = session.scalars(select(Referral)).one()
        assert (referral.officer_id, referral.badge) == (None, "4711")
    (alert,) = outbox(app, program.ana.phone)
    assert "unverified caller (badge 4711" in alert


def test_a_badge_keyed_from_another_phone_no_longer_names_the_officer(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    leave_roster(app, program.officer)
    converse(phone, STRANGER, "REFER", "4711", *ARREST[1:], "SEND")
    with session_scope(app) as session:
        assert session.scalars(select(Referral.officer_id)).one() is None
