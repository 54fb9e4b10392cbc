"""The demo's participants: case managers, a prosecutor, providers, plans, consents, a contact."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from .audit import Actor
from .models import Assessment, Consent, Contact, Participant, PlanEntry, Provider, Referral
from .permissions import Role
from .schemas.people import UserCreate
from .services import people

SYSTEM = Actor(None, "system")
STAFF: list[tuple[str, Role]] = [
    ("Cam Reed", "case_manager"),
    ("Dana Brooks", "case_manager"),
    ("Pru Vance", "prosecutor"),
]
PROVIDERS = [
    ("Evergreen Treatment Services", "+12065550301", ["substance_use"]),
    ("Downtown Emergency Service Center", "+12065550302", ["housing", "mental_health"]),
    ("Harborview Medical Center", "+12065550303", ["medical"]),
    ("Benefits Navigator", "+12065550304", ["benefits", "documents", "food"]),
]
PARTICIPANTS = 8


def add_participants(session: Session, now: datetime, password: str) -> None:
    """Add the case managers and the prosecutor, the directory, and participants with plans."""
    staff = []
    for number, (name, role) in enumerate(STAFF, start=110):
        email = name.split()[0].lower() + "@demo.lead.example"
        data = UserCreate(name=name, email=email, phone=f"+1206555{number:04d}", role=role)
        staff.append(
            people.create_user(session, data, SYSTEM, now, generate_password_hash(password))
        )
    managers = [user for user in staff if user.role == "case_manager"]
    providers = []
    for name, phone, needs in PROVIDERS:
        provider = Provider(name=name, phone=phone, needs=needs, active=True, created_at=now)
        session.add(provider)
        providers.append(provider)
    session.flush()
    accepted = session.scalars(
        select(Referral)
        .join(Assessment, Assessment.referral_id == Referral.id)
        .where(Assessment.disposition == "accepted", Referral.participant_name.is_not(None))
        .order_by(Referral.created_at)
    ).all()
    # One participant per person: a later accepted referral of the same name is that
    # person referred again, linked to the participant as the assessment would link it.
    by_name: dict[str, Participant] = {}
    index = -1
    for referral in accepted:
        name = referral.participant_name or ""
        if name in by_name:
            referral.participant_id = by_name[name].id
            continue
        if len(by_name) >= PARTICIPANTS:
            continue
        index += 1
        participant = Participant(
            name=referral.participant_name or "",
            aliases=[],
            status="active",
            case_manager_id=managers[index % len(managers)].id,
            created_at=referral.created_at,
        )
        session.add(participant)
        session.flush()
        by_name[name] = participant
        referral.participant_id = participant.id
        needs = session.scalars(
            select(Assessment.needs).where(Assessment.referral_id == referral.id)
        ).first() or ["substance_use"]
        for step, need in enumerate(needs):
            serving = next((p for p in providers if need in p.needs), None)
            started = referral.created_at + timedelta(days=2)
            session.add(
                PlanEntry(
                    participant_id=participant.id,
                    need=need,
                    provider_id=serving.id if serving else None,
                    status=("started", "planned", "completed")[(index + step) % 3],
                    started_on=started.date() if (index + step) % 3 != 1 else None,
                    created_at=referral.created_at,
                    updated_at=referral.created_at,
                )
            )
        if index % 2 == 0:  # half consented to officers hearing they are in LEAD
            session.add(
                Consent(
                    participant_id=participant.id,
                    scope="officer_status",
                    given_at=referral.created_at,
                )
            )
        if index % 3 == 0:
            session.add(
                Consent(
                    participant_id=participant.id, scope="prosecutor", given_at=referral.created_at
                )
            )
        if index == 0 and referral.officer_id is not None:  # one officer met them again
            session.add(
                Contact(
                    participant_id=participant.id,
                    at=now - timedelta(days=3),
                    channel="sms",
                    officer_id=referral.officer_id,
                    officer_phone=referral.officer_phone,
                    disclosed=True,
                )
            )
