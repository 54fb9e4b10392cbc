"""Retention erases the texts of the intake conversation that made a referral (SPEC §7)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select, update

from hotline.db import session_scope
from hotline.jobs import run_job
from hotline.models import Consent, Conversation, Message, Participant, Referral
from hotline.simulator import SmsEmulator
from tests.factories import add_user
from tests.sms.conftest import STRANGER, Program, converse

NAME, PLACE = "Jane Quixote", "3rd & Pine"


def bodies(app: Flask) -> list[str]:
    """Return every message body still stored."""
    with session_scope(app) as session:
        return [body for body in session.scalars(select(Message.body)) if body is not None]


def close_and_age(app: Flask, days: int) -> datetime:
    """Close every referral as if its intake completed `days` ago; return that instant.

    The texts waiting in the outbox are sent first: one still to send keeps its words.
    """
    run_job(app, "dispatch-outbox", datetime.now(UTC))
    created = datetime.now(UTC) - timedelta(days=days)
    with session_scope(app) as session:
        session.execute(update(Referral).values(status="intake_completed", created_at=created))
    return created


def test_a_full_text_intake_leaves_no_name_or_place_after_retention(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 30
    officer = program.officer.phone
    replies = converse(phone, officer, "REFER", "1", NAME, "1", PLACE, "Y", "nope", "SEND")
    assert NAME in replies[5] and PLACE in replies[5]  # the confirmation repeats them
    assert replies[-1].startswith("Sent: LEAD referral #")
    # A stranger's intake (badge first) and a later, unrelated text of the officer's.
    converse(phone, STRANGER, "REFER", "4711", "2", "Sam Sample", "Union St", "Y", "SEND")
    converse(phone, officer, "HELP")
    assert any(NAME in body for body in bodies(app))
    created = close_and_age(app, 31)
    assert (
        run_job(app, "retention", created + timedelta(days=31))
        == "2 referrals erased, 0 participants erased, 0 texts outside any record erased"
    )
    left = bodies(app)
    for secret in (NAME, PLACE, "Sam Sample", "Union St"):
        assert not [body for body in left if secret in body], secret
    assert any(body.startswith("LEAD hotline.") for body in left)  # the HELP reply stays


def test_retention_erases_the_texts_of_an_intake_started_over(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 30
    officer = program.officer.phone
    converse(phone, officer, "REFER", "1", NAME)  # started over at once
    replies = converse(phone, officer, "REFER", "1", NAME, "1", PLACE, "Y", "SEND")
    assert replies[-1].startswith("Sent: LEAD referral #")
    created = close_and_age(app, 31)
    summary = run_job(app, "retention", created + timedelta(days=31))
    assert summary.startswith("1 referrals erased"), summary
    assert not [body for body in bodies(app) if NAME in body]


def test_an_open_referral_keeps_its_conversation(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 30
    converse(phone, program.officer.phone, "REFER", "2", NAME, PLACE, "Y", "SEND")
    summary = run_job(app, "retention", datetime.now(UTC) + timedelta(days=365))
    assert summary.startswith("0 referrals erased, 0 participants erased"), summary
    assert any(NAME in body for body in bodies(app))


def test_a_coordinators_texted_note_and_reason_go_with_the_referral(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 30
    officer, ana = program.officer.phone, program.ana.phone
    replies = converse(phone, officer, "REFER", "1", NAME, "1", PLACE, "Y", "SEND")
    number = int(re.search(r"#(\d+)", replies[-1]).group(1))  # type: ignore[union-attr]
    note, reason = f"{NAME} sleeps behind the church", f"{NAME} moved to her sister's"
    answers = converse(
        phone, ana, f"ACK {number}", f"NOTE {number} {note}", f"NONCOMPLY {number} {reason}"
    )
    assert answers[1] == f"Noted on #{number}."
    # A command naming a referral that does not exist is kept, filed with nothing.
    assert converse(phone, ana, f"NOTE 999 {NAME}")[0] == "No referral #999."
    with session_scope(app) as session:
        filed = session.scalars(select(Message.body).where(Message.referral_id == number)).all()
    assert f"NOTE {number} {note}" in filed and f"NONCOMPLY {number} {reason}" in filed
    created = close_and_age(app, 31)
    assert (
        run_job(app, "retention", created + timedelta(days=31))
        == "1 referrals erased, 0 participants erased, 0 texts outside any record erased"
    )
    left = bodies(app)
    assert not [body for body in left if note in body or reason in body]
    assert f"NOTE 999 {NAME}" in left  # no referral to erase it with


def test_an_erased_participants_name_goes_from_the_contact_texts_too(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 90
    cam = add_user(app, "Cam Reed", "case_manager")
    met = datetime.now(UTC)
    with session_scope(app) as session:
        person = Participant(
            name=NAME, aliases=[], status="active", case_manager_id=cam.id, created_at=met
        )
        session.add(person)
        session.flush()
        session.add(Consent(participant_id=person.id, scope="officer_status", given_at=met))
        number = person.id
    reply = converse(phone, program.officer.phone, f"CONTACT {NAME}")[-1]
    assert reply.startswith("LEAD participant — case manager Cam Reed")
    converse(phone, program.officer.phone, "CONTACT Someone Else")  # no match: no participant
    assert sum(NAME in body for body in bodies(app)) == 2  # the officer's text, Cam's notice
    with session_scope(app) as session:
        session.execute(
            update(Participant)
            .where(Participant.id == number)
            .values(status="exited", exited_at=met)
        )
    # Cam's notice went out long before (one still to send keeps its words).
    run_job(app, "dispatch-outbox", datetime.now(UTC))
    summary = run_job(app, "retention", met + timedelta(days=91))
    assert summary.startswith("0 referrals erased, 1 participants erased"), summary
    assert not [body for body in bodies(app) if NAME in body]
    assert "CONTACT Someone Else" not in bodies(app)  # nobody's record, as old: erased too


def test_texts_filed_with_nobody_go_once_older_than_the_period_with_an_abandoned_intake(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    app.config["HOTLINE_RETENTION_DAYS"] = 30
    officer = program.officer.phone
    converse(phone, officer, "REFER", "1", NAME, "1", PLACE)  # never sent: no referral
    converse(phone, STRANGER, "CONTACT Sam Sample")  # matches nobody
    texted = datetime.now(UTC)
    with session_scope(app) as session:  # a text the outbox has not sent yet, as old
        session.add(
            Message(
                direction="out",
                from_number=officer,
                to_number=STRANGER,
                status="queued",
                body="Still to send",
                created_at=texted,
            )
        )
    assert run_job(app, "retention", texted + timedelta(days=29)).endswith(
        "0 participants erased, 0 texts outside any record erased"
    )
    assert any(NAME in body for body in bodies(app))  # not yet older than the period
    summary = run_job(app, "retention", texted + timedelta(days=31))
    assert re.search(r", [1-9]\d* texts outside any record erased$", summary), summary
    left = bodies(app)
    for secret in (NAME, PLACE, "Sam Sample"):
        assert not [body for body in left if secret in body], secret
    assert left == ["Still to send"]  # a text still to send keeps its words
    with session_scope(app) as session:
        assert session.scalars(select(Conversation.phone)).all() == []  # the intake's answers


def test_a_text_filed_with_nobody_exactly_the_period_old_is_kept_as_a_referral_is(
    app: Flask,
) -> None:
    """ "Older than the period" (SPEC §7), the same boundary as a closed referral's."""
    app.config["HOTLINE_RETENTION_DAYS"] = 30
    texted = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    with session_scope(app) as session:
        session.add(
            Message(
                direction="in",
                from_number=STRANGER,
                to_number="+12065550100",
                status="received",
                body=f"CONTACT {NAME}",
                created_at=texted,
            )
        )
        session.add(
            Conversation(
                phone=STRANGER,
                step="name",
                answers={"name": NAME},
                started_at=texted,
                updated_at=texted,
            )
        )
    run_job(app, "retention", texted + timedelta(days=30))
    assert bodies(app) == [f"CONTACT {NAME}"]
    with session_scope(app) as session:
        assert session.scalars(select(Conversation.phone)).all() == [STRANGER]
    run_job(app, "retention", texted + timedelta(days=30, microseconds=1))
    assert bodies(app) == []
    with session_scope(app) as session:
        assert session.scalars(select(Conversation.phone)).all() == []
