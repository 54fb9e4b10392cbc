"""Rows for tests: people, officers and rotations, written straight to the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count

from flask import Flask
from werkzeug.security import generate_password_hash

from hotline.db import database, session_scope
from hotline.models import (
    Officer,
    Override,
    Participant,
    Referral,
    Rotation,
    RotationParticipant,
    User,
)
from hotline.services.call_arrival import Arrival, IncomingCall, start_call
from hotline.services.program_cache import bump_revision

_numbers = count(100)

HOTLINE_NUMBER = "+12065550100"  # the number officers call


def add_user(
    app: Flask,
    name: str,
    role: str = "coordinator",
    *,
    phone: str | None = None,
    active: bool = True,
    password: str | None = None,
    email: str | None = None,
) -> User:
    """Add a coordinator or supervisor (able to sign in when given a password)."""
    with session_scope(app) as session:
        user = User(
            name=name,
            email=email or f"{name.lower().replace(' ', '.')}.{next(_numbers)}@example.org",
            # Exchange 556: never the officers', the hotline's or the strangers' 555 numbers.
            phone=phone or f"+1206556{next(_numbers):04d}",
            role=role,
            active=active,
            created_at=datetime.now(UTC),
            # A fast hash: tests sign in often, and the algorithm is not what they test.
            password_hash=generate_password_hash(password, "pbkdf2:sha256:1") if password else None,
        )
        session.add(user)
        bump_revision(session)  # as every change through the app does
    return user


def add_officer(
    app: Flask, name: str = "Officer Smith", badge: str = "4711", phone: str = "+12065550177"
) -> Officer:
    """Add an officer to the roster."""
    with session_scope(app) as session:
        officer = Officer(
            name=name, badge=badge, agency="SPD", phone=phone, created_at=datetime.now(UTC)
        )
        session.add(officer)
    return officer


def leave_roster(app: Flask, officer: Officer) -> None:
    """Take an officer off the roster, as a supervisor does when they leave."""
    with session_scope(app) as session:
        session.get_one(Officer, officer.id).active = False


def add_rotation(
    app: Flask,
    tier: int,
    *people: User,
    start: datetime = datetime(2020, 1, 6, 8),
    shift_hours: int = 8760,
) -> Rotation:
    """Add a rotation of `people` on `tier` (by default yearly shifts since 2020)."""
    now = datetime.now(UTC)
    with session_scope(app) as session:
        rotation = Rotation(
            name=f"Tier {tier}",
            tier=tier,
            priority=0,
            timezone="America/Los_Angeles",
            start_local=start,
            shift_hours=shift_hours,
            windows=[],
            created_at=now,
            updated_at=now,
            participants=[
                RotationParticipant(position=i, user_id=p.id) for i, p in enumerate(people)
            ],
        )
        session.add(rotation)
        bump_revision(session)
    return rotation


def add_override(app: Flask, user: User, tier: int, start: datetime, end: datetime) -> Override:
    """Add an override."""
    with session_scope(app) as session:
        override = Override(
            user_id=user.id, tier=tier, start=start, end=end, created_at=datetime.now(UTC)
        )
        session.add(override)
        bump_revision(session)
    return override


def add_referral(app: Flask, status: str = "notified", **fields: object) -> int:
    """Add an SMS referral; return its number."""
    values: dict[str, object] = {
        "channel": "sms",
        "type": "arrest_diversion",
        "offense": "possession",
        "participant_name": "Jane Doe",
        "location": "3rd & Pine",
        "created_at": datetime.now(UTC),
        **fields,
    }
    with session_scope(app) as session:
        referral = Referral(status=status, **values)
        session.add(referral)
        session.flush()
        return referral.id


def add_referred_participant(app: Flask, *referred_at: datetime, status: str = "active") -> int:
    """Add a participant referred at each of these instants; return their id."""
    with session_scope(app) as session:
        person = Participant(name="P", aliases=[], status=status, created_at=referred_at[0])
        session.add(person)
        session.flush()
        closed = {"channel": "sms", "status": "intake_completed", "participant_id": person.id}
        session.add_all(Referral(**closed, created_at=at) for at in referred_at)
        return person.id


# A referral as a call leaves it: nothing of the participant yet (SPEC §6 "Completing a referral").
BLANK_CALL_REFERRAL: dict[str, object] = {
    "channel": "voice",
    "type": None,
    "offense": None,
    "participant_name": None,
    "location": None,
}


def arrive(
    app: Flask, call_sid: str, caller: str, now: datetime, fallback: tuple[str, ...] = ()
) -> Arrival:
    """Record a call's first webhook as /voice/incoming does: on the engine, no session."""
    call = IncomingCall(call_sid, caller, HOTLINE_NUMBER, now, "US", list(fallback), rings=True)
    return start_call(database(app).engine, call)


@dataclass
class Program:
    """Who is who in the webhook tests."""

    officer: Officer
    ana: User  # tier 1
    ben: User  # tier 2
    sue: User  # supervisor, on no tier


def add_program(app: Flask) -> Program:
    """Put Ana on tier 1, Ben on tier 2; Sue supervises; Officer Smith is on the roster."""
    ana, ben = add_user(app, "Ana Diaz"), add_user(app, "Ben Okafor")
    sue = add_user(app, "Sue Pervis", "supervisor")
    add_rotation(app, 1, ana)
    add_rotation(app, 2, ben)
    return Program(add_officer(app), ana, ben, sue)
