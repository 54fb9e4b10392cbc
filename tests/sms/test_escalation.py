"""Unacknowledged SMS referrals climb the chain, then reach every supervisor (SPEC §7)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.db import session_scope
from hotline.models import Message, ReferralNotice
from hotline.services import escalation
from hotline.simulator import SmsEmulator
from tests.factories import add_user
from tests.jobs.conftest import SPEC_JOBS
from tests.sms.conftest import STRANGER, Program, clock_sent_texts, converse, outbox
from tests.sms.test_commands import refer
from tests.sms.test_intake import ARREST


def run_at(runner: FlaskCliRunner, instant: object) -> str:
    result = runner.invoke(args=["jobs", "run", "escalate-unacked", "--at", instant.isoformat()])  # type: ignore[attr-defined]
    assert result.exit_code == 0, result.output
    return result.output


def test_escalates_at_each_ack_interval_and_stops_after_supervisors(
    app: Flask, runner: FlaskCliRunner, phone: SmsEmulator, program: Program
) -> None:
    tess = add_user(app, "Tess Walker", "supervisor")
    number = refer(phone, program)
    with session_scope(app) as session:
        first = session.scalars(select(ReferralNotice.at)).one()
    assert len(outbox(app, program.ana.phone)) == 1

    assert "0 people" in run_at(runner, first + timedelta(minutes=9, seconds=59))
    assert outbox(app, program.ben.phone) == []
    assert "1 people" in run_at(runner, first + timedelta(minutes=10))
    assert outbox(app, program.ben.phone)[0].startswith(f"LEAD #{number}: Reply ACK {number}")
    assert "0 people" in run_at(
        runner, first + timedelta(minutes=10)
    )  # same instant: nothing twice
    assert "0 people" in run_at(runner, first + timedelta(minutes=19))
    assert "2 people" in run_at(runner, first + timedelta(minutes=20))  # every supervisor at once
    assert len(outbox(app, program.sue.phone)) == len(outbox(app, tess.phone)) == 1
    assert "0 people" in run_at(runner, first + timedelta(minutes=60))
    assert len(outbox(app, program.ana.phone)) == 1


def test_acknowledged_referrals_do_not_escalate(
    app: Flask, runner: FlaskCliRunner, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    converse(phone, program.ana.phone, f"ACK {number}")
    with session_scope(app) as session:
        first = session.scalars(select(ReferralNotice.at)).one()
    assert "0 people" in run_at(runner, first + timedelta(minutes=30))


def test_jobs_list_names_each_job_first_with_its_last_run(
    runner: FlaskCliRunner, app: Flask
) -> None:
    listing = runner.invoke(args=["jobs", "list"]).output.splitlines()
    assert [line.split()[0] for line in listing] == list(SPEC_JOBS)
    assert all("never run" in line for line in listing)
    runner.invoke(args=["jobs", "run", "dispatch-outbox"])
    listing = runner.invoke(args=["jobs", "list"]).output
    assert "dispatch-outbox  interval (10 seconds)  last run" in listing
    bad = runner.invoke(args=["jobs", "run", "nope"])
    assert bad.exit_code != 0 and "no job 'nope'" in bad.output


class TestOptedOutCoordinators:
    """A coordinator whose number opted out of texts is passed over at once, not waited on."""

    def test_new_referral_goes_past_an_opted_out_tier_one(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        assert phone.send(program.ana.phone, "STOP").replies == []
        clock_sent_texts(app)  # the clock runs: the texts go out
        reply = converse(phone, program.officer.phone, *ARREST, "SEND")[-1]
        assert "A coordinator will text you." in reply
        number = int(reply.split("#", 1)[1].split(".", 1)[0])
        assert outbox(app, program.ben.phone)[0].startswith(f"LEAD #{number}: Reply ACK {number}")
        assert statuses_to(app, program.ana.phone) == ["suppressed"]
        assert outbox(app, program.sue.phone) == []  # Ben can be reached: no supervisor yet

    def test_escalation_skips_an_opted_out_next_person(
        self, app: Flask, runner: FlaskCliRunner, phone: SmsEmulator, program: Program
    ) -> None:
        number = refer(phone, program)
        assert phone.send(program.ben.phone, "STOP").replies == []
        with session_scope(app) as session:
            first = session.scalars(select(ReferralNotice.at)).one()
        assert "1 people" in run_at(runner, first + timedelta(minutes=10))
        assert statuses_to(app, program.ben.phone) == ["suppressed"]
        assert outbox(app, program.sue.phone)[0].startswith(f"LEAD #{number}: Reply ACK {number}")

    def test_a_coordinator_opted_out_after_their_notice_is_passed_over_at_the_next_run(
        self, app: Flask, runner: FlaskCliRunner, phone: SmsEmulator, program: Program
    ) -> None:
        # Ana's alert came back 21610 from the carrier, or she texted STOP: nobody will read
        # it, so the referral goes on at once, not after HOTLINE_ACK_MINUTES of nobody.
        number = refer(phone, program)
        assert phone.send(program.ana.phone, "STOP").replies == []
        with session_scope(app) as session:
            first = session.scalars(select(ReferralNotice.at)).one()
        assert "1 people" in run_at(runner, first + timedelta(minutes=1))
        assert outbox(app, program.ben.phone)[0].startswith(f"LEAD #{number}: Reply ACK {number}")
        # Ben can read his: the next step waits its ten minutes again.
        assert "0 people" in run_at(runner, first + timedelta(minutes=10))
        assert "1 people" in run_at(runner, first + timedelta(minutes=11))
        assert outbox(app, program.sue.phone)[0].startswith(f"LEAD #{number}: Reply ACK {number}")

    def test_nobody_reachable_tells_the_officer_to_call(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        for person in (program.ana, program.ben, program.sue):
            assert phone.send(person.phone, "STOP").replies == []
        reply = converse(phone, program.officer.phone, *ARREST, "SEND")[-1]
        assert "Nobody could be texted: call the hotline." in reply


def statuses_to(app: Flask, number: str) -> list[str]:
    """Return the statuses of the texts logged to a number."""
    with session_scope(app) as session:
        return list(session.scalars(select(Message.status).where(Message.to_number == number)))


def test_a_referral_taken_while_the_job_runs_is_not_passed_on(
    app: Flask,
    runner: FlaskCliRunner,
    phone: SmsEmulator,
    program: Program,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = refer(phone, program), refer(phone, program)
    real = escalation.notify_next
    acked: list[str] = []

    def ack_the_second_meanwhile(*args: Any, **kwargs: Any) -> int:
        if not acked:  # Ana takes #2 while the job texts about #1
            acked.append(converse(phone, program.ana.phone, f"ACK {second}")[-1])
        return real(*args, **kwargs)

    monkeypatch.setattr(escalation, "notify_next", ack_the_second_meanwhile)
    with session_scope(app) as session:
        last = session.scalar(select(func.max(ReferralNotice.at)))
    assert last is not None
    run_at(runner, last + timedelta(minutes=10))
    assert acked[0].startswith(f"You have #{second}")
    to_ben = outbox(app, program.ben.phone)
    assert any(f"#{first}" in text for text in to_ben)
    assert not any(f"Reply ACK {second}" in text for text in to_ben), to_ben


def test_two_clocks_escalating_at_one_instant_pass_a_referral_on_one_step(
    app: Flask,
    runner: FlaskCliRunner,
    phone: SmsEmulator,
    program: Program,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_user(app, "Tess Walker", "supervisor")
    number = refer(phone, program)
    with session_scope(app) as session:
        first = session.scalars(select(ReferralNotice.at)).one()
    due = first + timedelta(minutes=10)
    real_refresh = Session.refresh
    other_clock: list[str] = []

    def other_clock_finishes_first(self: Session, *args: Any, **kwargs: Any) -> None:
        # This clock has read the same list; the other one passes #n on to Ben meanwhile.
        if not other_clock:
            other_clock.append("running")
            other_clock[0] = run_at(runner, due)
        real_refresh(self, *args, **kwargs)

    monkeypatch.setattr(Session, "refresh", other_clock_finishes_first)
    assert "0 people" in run_at(runner, due)
    assert "1 people" in other_clock[0]
    assert outbox(app, program.ben.phone)[0].startswith(f"LEAD #{number}: Reply ACK {number}")
    assert outbox(app, program.sue.phone) == []  # supervisors wait their ten minutes


class TestTextsWaiting:
    """An officer is not told a coordinator will text while the clock sends no texts."""

    @pytest.mark.parametrize("ago", [None, timedelta(minutes=10)])
    def test_a_referral_sent_while_no_texts_go_out_tells_the_officer_to_call(
        self, app: Flask, phone: SmsEmulator, program: Program, ago: timedelta | None
    ) -> None:
        # None: the clock never ran (not started after a deploy); else it stopped 10 min ago.
        if ago is not None:
            clock_sent_texts(app, ago)
        reply = converse(phone, program.officer.phone, *ARREST, "SEND")[-1]
        number = int(reply.split("#", 1)[1].split(".", 1)[0])
        assert reply == (
            f"Sent: LEAD referral #{number}. Texts to coordinators are delayed: call the "
            f"hotline now. STATUS {number} tells where it is."
        )
        # The alert still waits in the outbox: it goes once the clock runs again.
        assert outbox(app, program.ana.phone)[0].startswith(f"LEAD #{number}: Reply ACK")

    def test_a_spanish_officer_is_told_in_spanish(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        spanish = converse(phone, STRANGER, "REFERIR", "555", "2", "Juan", "Pine", "S", "enviar")
        assert "van con retraso: llame ahora a la linea" in spanish[-1]
