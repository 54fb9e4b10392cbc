"""A consent is revoked once, even when two people revoke it at the same moment (SPEC §6, §9)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import func, select

from hotline.audit import Actor
from hotline.db import database, session_scope
from hotline.models import AuditEvent, Consent, Participant
from hotline.services import participants
from hotline.services.errors import Conflict
from tests.services.test_people import wait_for_a_blocked_writer

SYSTEM = Actor(None, "system")


def a_consent(app: Flask) -> tuple[int, int]:
    """Return a participant and their current officer-status consent."""
    with session_scope(app) as session:
        person = Participant(
            name="Jane Doe", aliases=[], status="active", created_at=datetime.now(UTC)
        )
        session.add(person)
        session.flush()
        consent = Consent(
            participant_id=person.id, scope="officer_status", given_at=datetime.now(UTC)
        )
        session.add(consent)
        session.flush()
        return person.id, consent.id


def test_two_revocations_at_once_revoke_it_once_and_audit_it_once(app: Flask) -> None:
    person, consent = a_consent(app)
    outcome: list[BaseException | None] = []

    def revoke_again() -> None:
        with database(app).sessionmaker() as session:
            try:
                participants.revoke_consent(session, person, consent, SYSTEM, datetime.now(UTC))
                session.commit()
                outcome.append(None)
            except BaseException as error:  # handed to the test thread
                session.rollback()
                outcome.append(error)

    with database(app).sessionmaker() as first:
        participants.revoke_consent(first, person, consent, SYSTEM, datetime.now(UTC))
        first.flush()
        second = threading.Thread(target=revoke_again)
        second.start()
        wait_for_a_blocked_writer(app)
        first.commit()
    second.join(timeout=30)

    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
    with session_scope(app) as session:
        revoked = select(func.count()).select_from(AuditEvent)
        assert session.scalar(revoked.where(AuditEvent.action == "revoke_consent")) == 1
