"""A referral whose holder left, or may no longer work referrals, can be taken over (SPEC §6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from hotline.audit import Actor
from hotline.db import session_scope
from hotline.models import AuditEvent, Referral, ReferralEvent, ReferralNotice, User
from hotline.schemas.people import UserPatch
from hotline.services.people import update_user
from hotline.simulator import SmsEmulator
from tests.api.conftest import Api, token_for
from tests.factories import add_user
from tests.sms.conftest import Program, converse, outbox
from tests.sms.test_ack_race import acks_at_once
from tests.sms.test_commands import refer
from tests.sms.test_escalation import run_at
from tests.sms.test_implied_acknowledgement import could_not_reach

LEAVES = {"deactivated": {"active": False}, "made a case manager": {"role": "case_manager"}}


def leave(app: Flask, user: User, how: str) -> None:
    """Deactivate `user`, or give them a role that cannot work referrals, as a supervisor does."""
    with session_scope(app) as session:
        patch = UserPatch(**LEAVES[how])
        update_user(session, user.id, patch, Actor(None, "web"), datetime.now(UTC))


def holding(app: Flask, number: int) -> tuple[str, int | None]:
    with session_scope(app) as session:
        referral = session.get_one(Referral, number)
        return referral.status, referral.acknowledged_by


@pytest.mark.parametrize("how", list(LEAVES))
def test_ack_takes_over_an_acknowledged_referral_from_someone_who_can_no_longer_work_it(
    app: Flask, phone: SmsEmulator, program: Program, how: str
) -> None:
    number = refer(phone, program)
    converse(phone, program.ana.phone, f"ACK {number}")
    leave(app, program.ana, how)
    officer_before = outbox(app, program.officer.phone)

    (reply,) = converse(phone, program.ben.phone, f"ACK {number}")

    assert reply == (
        f"You have #{number}, taken over from Ana Diaz, who no longer works referrals. "
        "It stays acknowledged."
    )
    assert holding(app, number) == ("acknowledged", program.ben.id)
    # Its status did not change: the officer, told "with a coordinator" already, is not texted.
    assert outbox(app, program.officer.phone) == officer_before
    with session_scope(app) as session:
        events = session.scalars(
            select(ReferralEvent)
            .where(ReferralEvent.referral_id == number, ReferralEvent.kind == "acknowledged")
            .order_by(ReferralEvent.id)
        ).all()
        assert [(e.actor_id, e.detail) for e in events] == [
            (program.ana.id, None),
            (program.ben.id, {"took_over_from": program.ana.id}),
        ]
        audit = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity == "referral", AuditEvent.action == "acknowledge")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert audit is not None and audit.actor_id == program.ben.id
        assert audit.before == {"status": "acknowledged", "acknowledged_by": program.ana.id}
        assert audit.after == {"status": "acknowledged", "acknowledged_by": program.ben.id}


def test_ack_takes_over_an_assessed_referral_and_leaves_it_assessed(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    converse(phone, program.ana.phone, f"ACK {number}")
    with session_scope(app) as session:
        session.get_one(Referral, number).status = "assessed"
    leave(app, program.ana, "deactivated")

    (reply,) = converse(phone, program.ben.phone, f"ACK {number}")

    assert reply.startswith(f"You have #{number}, taken over from Ana Diaz,")
    assert reply.endswith("It stays assessed.")
    assert holding(app, number) == ("assessed", program.ben.id)
    (closed,) = converse(phone, program.ben.phone, f"INTAKE {number}")
    assert closed == f"#{number}: intake completed; the officer was told."


def test_ack_takes_over_a_notified_referral_its_departed_assessor_held_and_tells_the_officer(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    could_not_reach(app, number, program.ana)  # Ana holds it; it stays `notified`
    leave(app, program.ana, "made a case manager")
    (refused,) = converse(phone, program.ben.phone, f"INTAKE {number}")
    assert refused == f"#{number} is not taken yet: reply ACK {number} first."

    (reply,) = converse(phone, program.ben.phone, f"ACK {number}")

    assert reply.startswith(f"You have #{number}, taken over from Ana Diaz, who no longer works")
    assert reply.endswith(f"Officer Smith (SPD) {program.officer.phone} was told.")
    assert holding(app, number) == ("acknowledged", program.ben.id)
    # As a normal ACK: the officer learns the coordinator's name with the new status.
    assert outbox(app, program.officer.phone)[-1] == (
        f"LEAD #{number}: with a coordinator, Ben Okafor."
    )


def test_a_holder_who_still_works_referrals_keeps_the_referral(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    converse(phone, program.ana.phone, f"ACK {number}")
    leave(app, program.ana, "deactivated")
    with session_scope(app) as session:  # back again, or made a supervisor: still theirs
        session.get_one(User, program.ana.id).active = True
    (reply,) = converse(phone, program.ben.phone, f"ACK {number}")
    assert reply == f"#{number} is already taken by Ana Diaz ({program.ana.phone})."
    assert holding(app, number) == ("acknowledged", program.ana.id)


def test_two_simultaneous_take_overs_have_one_winner(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    cy = add_user(app, "Cy Park")
    numbers = [refer(phone, program) for _ in range(4)]
    for number in numbers:
        converse(phone, program.ana.phone, f"ACK {number}")
    leave(app, program.ana, "deactivated")
    senders = {program.ben.phone: program.ben.id, cy.phone: cy.id}
    for number in numbers:
        replies = acks_at_once(app, number, list(senders))
        winners = [s for s, reply in replies.items() if reply.startswith(f"You have #{number}")]
        assert len(winners) == 1, replies
        (loser,) = set(replies) - set(winners)
        assert replies[loser].startswith(f"#{number} is already taken by "), replies
        assert "Ana Diaz" not in replies[loser]
        assert holding(app, number) == ("acknowledged", senders[winners[0]])
        with session_scope(app) as session:
            takeovers = session.scalars(
                select(ReferralEvent).where(
                    ReferralEvent.referral_id == number, ReferralEvent.kind == "acknowledged"
                )
            ).all()
            assert len(takeovers) == 2  # Ana's ACK, and one take-over


def test_a_notified_referral_whose_holder_left_escalates_again_until_someone_takes_it(
    app: Flask, runner: FlaskCliRunner, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    could_not_reach(app, number, program.ana)  # Ana holds it; it stays `notified`
    with session_scope(app) as session:
        last = session.scalar(select(func.max(ReferralNotice.at)))
    assert last is not None
    run_at(runner, last + timedelta(minutes=10))
    assert outbox(app, program.ben.phone) == []  # Ana owns it: nobody else is asked
    leave(app, program.ana, "deactivated")
    # Nobody who can act holds it now: it climbs the chain as an untaken referral does.
    run_at(runner, last + timedelta(minutes=20))
    assert outbox(app, program.ben.phone)[-1].startswith(f"LEAD #{number}: Reply ACK {number}")
    converse(phone, program.ben.phone, f"ACK {number}")
    assert holding(app, number) == ("acknowledged", program.ben.id)
    run_at(runner, last + timedelta(minutes=40))
    assert outbox(app, program.sue.phone) == []  # taken: no supervisor is asked


def test_an_acceptance_on_a_referral_its_departed_assessor_held_names_nobody_gone_to_the_officer(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    """Ana could not reach the person and left; Ben's accepted assessment moves it on."""
    number = refer(phone, program)
    could_not_reach(app, number, program.ana)
    leave(app, program.ana, "deactivated")
    officer_before = len(outbox(app, program.officer.phone))
    api = Api(app.test_client(), token_for(app, program.ben.id))
    body = {"offense": "possession", "consent_confirmed": True, "disposition": "accepted"}
    assert api.post(f"/referrals/{number}/assessment", body).status_code == 201
    # The officer must not be sent to a coordinator who left: the status, with no name.
    assert outbox(app, program.officer.phone)[officer_before:] == [
        f"LEAD #{number}: with a coordinator."
    ]
