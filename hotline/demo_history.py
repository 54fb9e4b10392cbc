"""Two quarters of made-up referrals, calls and texts, in every status, for the demo's reports."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Assessment, Call, CallLeg, Message, Officer, Referral, ReferralEvent, User

HOTLINE = "+12065550100"
PARTICIPANTS = (
    "Alex Rivera", "Jordan Lee", "Sam Carter", "Riley Chen",
    "Casey Brooks", "Morgan Price", "Drew Hill", "Jamie Fox",
)  # fmt: skip
PLACES = [
    "3rd & Pine",
    "Union Station",
    "Pioneer Square",
    "Aurora & 85th",
    "Rainier Beach",
    "Ballard Ave",
]
# The assessment form's own choices, so that the demo's disparity table reads as a real one.
RACES = [
    "Black or African American",
    "White",
    "Hispanic or Latino",
    "Asian",
    "American Indian or Alaska Native",
    "Multiracial",
    "declined to say",
    None,
]
# Closed referrals dominate a quarter's history; open ones are the last days'.
CLOSED = {
    "intake_completed": 40,
    "intake_missed": 15,
    "ineligible": 8,
    "declined": 7,
    "not_a_referral": 3,
    "assessed": 10,
    "acknowledged": 7,
}
OPEN = ["received", "notified"]
# Two quarters: the reports' default period, the last full quarter, is always in it.
HISTORY_DAYS = 183
DISPOSITION_OF = {
    "intake_completed": "accepted",
    "intake_missed": "accepted",
    "assessed": "accepted",
    "ineligible": "ineligible",
    "declined": "declined",
}


def add_history(session: Session, now: datetime, seed: int, count: int = 130) -> None:
    """Add `count` referrals spread over the last two quarters, with calls, texts and events."""
    rng = random.Random(seed)
    officers = session.scalars(select(Officer)).all()
    coordinators = session.scalars(
        select(User).where(User.role == "coordinator", User.active.is_(True))
    ).all()
    statuses = rng.choices(list(CLOSED), weights=list(CLOSED.values()), k=count - 4) + OPEN * 2
    for index, status in enumerate(statuses):
        recent = status in OPEN
        # Taken referrals may be older than the intake window: the replayed
        # intake-deadlines job (demo_jobs) closes them as it would have.
        created = now - (
            timedelta(minutes=rng.randint(5, 50))
            if recent
            else timedelta(days=rng.uniform(1, HISTORY_DAYS))
        )
        officer = rng.choice(officers)
        coordinator = rng.choice(coordinators)
        arrest = rng.random() < 0.7
        referral = Referral(
            channel="voice" if index % 3 == 0 else "sms",
            type="arrest_diversion" if arrest else "social_contact",
            offense=rng.choice(["possession", "subsistence_sale", "sex_work", "other"])
            if arrest
            else None,
            status=status,
            officer_id=officer.id,
            badge=officer.badge,
            officer_phone=officer.phone,
            participant_name=rng.choice(PARTICIPANTS),
            location=rng.choice(PLACES),
            consent_at=created,
            created_at=created,
        )
        if referral.channel == "voice" and status in OPEN:
            _as_a_call_arrives(referral)
        session.add(referral)
        session.flush()
        _events(session, rng, referral, coordinator, created)
        if referral.channel == "voice":
            _call(session, rng, referral, coordinator, created)
        else:
            _texts(session, referral, coordinator, created)
        if status in DISPOSITION_OF:
            _assessment(session, rng, referral, coordinator, DISPOSITION_OF[status])


def _as_a_call_arrives(referral: Referral) -> None:
    """Leave a call nobody has taken blank, as real calls arrive: the coordinator completes it."""
    referral.type = referral.offense = None
    referral.participant_name = referral.location = None
    referral.consent_at = None


def _events(
    session: Session, rng: random.Random, referral: Referral, coordinator: User, created: datetime
) -> None:
    kinds = ["referral_sent"]
    if referral.status != "received":
        kinds.append("notified")
    if referral.status not in ("received", "notified"):
        referral.acknowledged_by = coordinator.id
        referral.acknowledged_at = created + timedelta(minutes=rng.randint(1, 25))
        kinds.append("acknowledged")
    if referral.status not in ("received", "notified", "acknowledged", "assessed"):
        kinds.append(referral.status)
    for offset, kind in enumerate(kinds):
        actor = coordinator.id if kind not in ("referral_sent", "notified") else None
        session.add(
            ReferralEvent(
                referral_id=referral.id,
                at=created + timedelta(minutes=offset * 7),
                kind=kind,
                actor_id=actor,
                # A call's referral arrived by voice; taking it by text or on a call follows.
                channel=referral.channel if kind in ("referral_sent", "notified") else "sms",
            )
        )


def _call(
    session: Session, rng: random.Random, referral: Referral, coordinator: User, created: datetime
) -> None:
    # Calls nobody took: a voicemail and a hang-up, both kinds the tour shows.
    untaken = "voicemail" if referral.id % 2 else "abandoned"
    outcome = "answered" if referral.acknowledged_by else untaken
    call = Call(
        call_sid=f"CADEMO{referral.id:026d}",
        from_number=referral.officer_phone or "",
        to_number=HOTLINE,
        officer_id=referral.officer_id,
        referral_id=referral.id,
        status="completed",
        call_outcome=outcome,
        answered_by=coordinator.id if outcome == "answered" else None,
        started_at=created,
        answered_at=created + timedelta(seconds=rng.randint(8, 70))
        if outcome == "answered"
        else None,
        ended_at=created + timedelta(minutes=rng.randint(2, 12)),
        duration=rng.randint(60, 600),
        # The demo serves this sample itself (web.demo_voicemail): the link plays offline.
        recording_url="/demo/voicemail.wav" if outcome == "voicemail" else None,
        recording_duration=2 if outcome == "voicemail" else None,
        chain=[{"number": coordinator.phone, "user_id": coordinator.id}],
    )
    session.add(call)
    session.flush()
    leg = "accepted" if outcome == "answered" else "no-answer"
    session.add(
        CallLeg(
            call_id=call.id,
            step=0,
            number=coordinator.phone,
            user_id=coordinator.id,
            outcome=leg,
            at=created,
        )
    )
    referral.call_outcome = outcome
    referral.answered_by = call.answered_by


def _texts(session: Session, referral: Referral, coordinator: User, created: datetime) -> None:
    phone = referral.officer_phone or ""
    answers = [
        "REFER",
        "1" if referral.type == "arrest_diversion" else "2",
        referral.participant_name or "",
        referral.location or "",
        "Y",
        "SEND",
    ]
    for offset, body in enumerate(answers):
        at = created - timedelta(minutes=len(answers) - offset)
        session.add(
            Message(
                direction="in",
                from_number=phone,
                to_number=HOTLINE,
                body=body,
                status="received",
                created_at=at,
                referral_id=referral.id,
            )
        )
    alert = f"LEAD #{referral.id}: Reply ACK {referral.id} to take it."
    status = "queued" if referral.status == "received" else "delivered"
    session.add(
        Message(
            direction="out",
            from_number=HOTLINE,
            to_number=coordinator.phone,
            body=alert,
            status=status,
            created_at=created,
            referral_id=referral.id,
        )
    )


def _assessment(
    session: Session, rng: random.Random, referral: Referral, coordinator: User, disposition: str
) -> None:
    at = (referral.acknowledged_at or referral.created_at) + timedelta(minutes=rng.randint(10, 180))
    session.add(
        Assessment(
            referral_id=referral.id,
            version=1,
            offense=referral.offense or "none",
            exclusions=["violent_history"] if disposition == "ineligible" else [],
            consent_confirmed=disposition == "accepted",
            needs=rng.sample(
                [
                    "substance_use",
                    "mental_health",
                    "housing",
                    "medical",
                    "food",
                    "documents",
                    "benefits",
                ],
                k=2,
            ),
            risks=[],
            services=["case manager assigned"],
            disposition=disposition,
            race_ethnicity=rng.choice(RACES),
            completed_by=coordinator.id,
            completed_at=at,
        )
    )
