"""Sample data for `hotline demo`: a realistic small program to try the hotline with."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from . import rotation as engine
from .audit import Actor
from .demo_history import HISTORY_DAYS, add_history
from .demo_jobs import replay_jobs
from .demo_participants import add_participants
from .demo_tour import coming_saturday
from .models import User
from .permissions import Role
from .schemas.oncall import OverrideIn, RotationIn
from .schemas.people import OfficerCreate, UserCreate
from .services import oncall, people

DEMO_PASSWORD = "demo-password"
SYSTEM = Actor(None, "system")
COORDINATORS = ["Ana Diaz", "Ben Okafor", "Chloe Nguyen", "Dev Patel", "Eli Morgan"]
SUPERVISORS = ["Sam Reyes", "Tess Walker"]
ON_LEAVE = "Fay Ortiz"  # deactivated but still in a rotation: her turn is a visible gap
AGENCIES = ("Seattle PD", "King County SO")
# The first two are the guided tour's: Officer Smith calls from +1 206 555 0150.
SURNAMES = (
    "Brown Garcia Miller Wilson Moore Taylor Anderson Thomas Jackson White Harris "
    "Martin Thompson Young Allen King Wright Scott"
)
OFFICERS = [("Officer Smith", "4711"), ("Officer Jones", "5120")] + [
    (f"Officer {name}", str(6000 + n)) for n, name in enumerate(SURNAMES.split(" "))
]
ZONE = "America/Los_Angeles"


def seed(session: Session, now: datetime, settings: Mapping[str, Any] | None = None) -> list[User]:
    """Fill an empty database with a sample program; return its active users (supervisors last).

    With the app's `settings`, the clock's jobs then run over the history as time
    passes (demo_jobs), so that nothing in it contradicts what they would have done.
    """
    if session.scalars(select(User.id).limit(1)).first() is None:
        users = _add_people(session, now)
        _add_rotations(session, now, users)
        add_history(session, now, seed=7)
        add_participants(session, now, DEMO_PASSWORD)
        session.flush()
        if settings is not None:
            replay_jobs(session, now - timedelta(days=HISTORY_DAYS), now, settings)
    active = session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)).all()
    return sorted(active, key=lambda user: user.role == "supervisor")


def _add_people(session: Session, now: datetime) -> list[User]:
    names: list[tuple[str, Role]] = [(n, "coordinator") for n in [*COORDINATORS, ON_LEAVE]]
    names += [(n, "supervisor") for n in SUPERVISORS]
    users = []
    for number, (name, role) in enumerate(names, start=101):
        email = name.split()[0].lower() + "@demo.lead.example"
        data = UserCreate(name=name, email=email, phone=f"+1206555{number:04d}", role=role)
        password = generate_password_hash(DEMO_PASSWORD)
        users.append(people.create_user(session, data, SYSTEM, now, password))
    users[5].active = False
    for number, (name, badge) in enumerate(OFFICERS, start=150):
        agency = AGENCIES[(number - 150) % 2]
        officer = OfficerCreate(
            name=name, badge=badge, agency=agency, phone=f"+1206555{number:04d}"
        )
        people.create_officer(session, officer, SYSTEM, now)
    return users


def _rotation(
    name: str, tier: int, start: datetime, hours: int, ids: list[int], **extra: Any
) -> RotationIn:
    return RotationIn(
        name=name,
        tier=tier,
        timezone=ZONE,
        start=start.strftime("%Y-%m-%dT%H:%M"),
        shift_hours=hours,
        participants=ids,
        **extra,
    )


def _add_rotations(session: Session, now: datetime, users: list[User]) -> None:
    ana, ben, chloe, dev, eli, fay, sam, tess = users
    today = now.astimezone(ZoneInfo(ZONE)).date()
    monday = datetime.combine(today - timedelta(days=today.weekday() + 7), time(9))
    # Fay is on leave and the coming weekend is her turn: it shows as a gap, whatever the date.
    weekends_start = datetime.combine(coming_saturday(today) - timedelta(days=14), time(0))
    weekdays = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "00:00", "end": "00:00"}]
    weekend = [{"days": ["sat", "sun"], "start": "00:00", "end": "00:00"}]
    nights = [
        {
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "start": "22:00",
            "end": "07:00",
        }
    ]
    rotations = [
        _rotation(
            "Primary (weekdays)",
            1,
            monday,
            168,
            [ana.id, ben.id, chloe.id, dev.id],
            windows=weekdays,
        ),
        _rotation("Weekends", 1, weekends_start, 168, [eli.id, dev.id, fay.id], windows=weekend),
        _rotation(
            "Nights", 1, monday.replace(hour=22), 24, [ben.id, chloe.id], priority=1, windows=nights
        ),
        # Tier 2 is the supervisors: a call rings two different people, then the fallback.
        _rotation("Backup (supervisors)", 2, monday, 168, [sam.id, tess.id]),
    ]
    for data in rotations:
        oncall.create_rotation(session, data, SYSTEM, now)
    hour = now.replace(minute=0, second=0, microsecond=0)
    covers = [
        (1, hour + timedelta(days=1, hours=3), 4, [chloe, eli, ana]),
        (2, hour + timedelta(days=3), 6, [tess, sam]),
    ]
    for tier, first_try, hours, candidates in covers:
        start = _on_weekdays(first_try, hours)
        holder = engine.assignment_at(oncall.load_program(session), tier, start).user_id
        # Someone covers for the holder, never the holder for themselves.
        user = next(person for person in candidates if person.id != holder)
        cover = OverrideIn(
            user_id=user.id, tier=tier, start=start, end=start + timedelta(hours=hours)
        )
        # Added by a supervisor on the web, as a cover is: the overrides page names Sam.
        oncall.create_override(session, cover, Actor(sam.id, "web"), now)


def _on_weekdays(start: datetime, hours: int) -> datetime:
    """Return the first day's `start` from which `hours` lie on weekdays (in the program's zone).

    A cover on the coming weekend would fill the gap Fay's leave shows.
    """
    zone = ZoneInfo(ZONE)
    while any(t.astimezone(zone).weekday() >= 5 for t in (start, start + timedelta(hours=hours))):
        start += timedelta(days=1)
    return start


def utcnow() -> datetime:
    """Return the current instant."""
    return datetime.now(UTC)
