"""Sample data for `hotline demo`: a small program to try the hotline with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from .audit import Actor
from .models import User
from .schemas.oncall import OverrideIn, RotationIn
from .schemas.people import OfficerCreate, Role, UserCreate
from .services import oncall, people

DEMO_PASSWORD = "demo-password"
SYSTEM = Actor(None, "system")
COORDINATORS = ["Ana Diaz", "Ben Okafor", "Chloe Nguyen", "Dev Patel", "Eli Morgan"]
SUPERVISORS = ["Sam Reyes", "Tess Walker"]
OFFICERS = [("Officer Smith", "4711", "Seattle PD"), ("Officer Jones", "5120", "King County SO")]


def seed(session: Session, now: datetime) -> list[User]:
    """Fill an empty database with a sample program; return its users (supervisors last)."""
    if session.scalars(select(User.id)).first() is not None:
        return list(session.scalars(select(User).order_by(User.id)))
    users = []
    names: list[tuple[str, Role]] = [(n, "coordinator") for n in COORDINATORS]
    names += [(n, "supervisor") for n in SUPERVISORS]
    for number, (name, role) in enumerate(names, start=101):
        email = name.split()[0].lower() + "@demo.lead.example"
        data = UserCreate(name=name, email=email, phone=f"+1206555{number:04d}", role=role)
        users.append(
            people.create_user(session, data, SYSTEM, now, generate_password_hash(DEMO_PASSWORD))
        )
    for number, (name, badge, agency) in enumerate(OFFICERS, start=150):
        officer = OfficerCreate(
            name=name, badge=badge, agency=agency, phone=f"+1206555{number:04d}"
        )
        people.create_officer(session, officer, SYSTEM, now)
    monday = (now - timedelta(days=now.weekday() + 7)).strftime("%Y-%m-%dT09:00")
    coordinator_ids = [u.id for u in users[:5]]
    primary = RotationIn(
        name="Primary (weekly)", tier=1, timezone="America/Los_Angeles", start=monday,
        shift_hours=168, participants=coordinator_ids,
    )  # fmt: skip
    backup = RotationIn(
        name="Backup (daily)", tier=2, timezone="America/Los_Angeles", start=monday,
        shift_hours=24, participants=coordinator_ids[::-1],
    )  # fmt: skip
    oncall.create_rotation(session, primary, SYSTEM, now)
    oncall.create_rotation(session, backup, SYSTEM, now)
    cover_start = (now + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    cover = OverrideIn(
        user_id=users[5].id, tier=1, start=cover_start, end=cover_start + timedelta(hours=12)
    )
    oncall.create_override(session, cover, SYSTEM, now)
    return users


def utcnow() -> datetime:
    """Return the current instant."""
    return datetime.now(UTC)
