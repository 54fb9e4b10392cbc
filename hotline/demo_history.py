"""Two quarters of made-up referrals, calls and texts, in every status, for the demo's reports."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .models import Assessment, Call, CallLeg, Message, Officer, Referral, ReferralEvent, User
from .services.escalation import first_recipients, notify_recipients
from .services.intake_steps import OFFENSES
from .services.program_store import load_on_call
from .services.voicemail import notify_voicemail

HOTLINE = "+12065550100"
PARTICIPANTS = (
    "Alex Rivera", "Jordan Lee", "Sam Carter", "Riley Chen",
    "Casey Brooks", "Morgan Price", "Drew Hill", "Jamie Fox",
)  # fmt: skip
PLACES = [
    "3rd & Pine", "Union Station", "Pioneer Square",
    "Aurora & 85th", "Rainier Beach", "Ballard Ave",
]  # fmt: skip
# The assessment form's own choices, so that the demo's disparity table reads as a real one.
RACES = [
    "Black or African American", "White", "Hispanic or Latino", "Asian",
    "American Indian or Alaska Native", "Multiracial", "declined to say", None,
]  # fmt: skip
NEEDS = ["substance_use", "mental_health", "housing", "medical", "food", "documents", "benefits"]
# Closed referrals dominate a quarter's history; open ones are the last minutes'.
CLOSED = {
    "intake_completed": 40,
    "intake_missed": 15,
    "ineligible": 8,
    "declined": 7,
    "not_a_referral": 3,
    "assessed": 10,
    "acknowledged": 7,
}
# Nobody has taken them yet: staff were texted as the app texts them, so they are `notified`
# (`received` lasts only while a call rings) and the clock's escalate-unacked carries them on.
OPEN = ["notified"]
MISSED_CALLS = 0.25  # a share of past calls, taken later by ACK
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
    statuses = rng.choices(list(CLOSED), weights=list(CLOSED.values()), k=count - 4) + OPEN * 4
    # Some are older than the intake window: the replayed intake-deadlines job closes them.
    ages = [
        timedelta(minutes=rng.randint(5, 50))
        if status in OPEN
        else timedelta(days=rng.uniform(1, HISTORY_DAYS))
        for status in statuses
    ]
    # Numbered in the order they arrived, as the app numbers them: #30 came before #104.
    arrivals = sorted(zip((now - age for age in ages), statuses, strict=True))
    for index, (created, status) in enumerate(arrivals):
        recent = status in OPEN
        officer = rng.choice(officers)
        coordinator = rng.choice(coordinators)
        channel = "voice" if index % 3 == 0 else "sms"
        # Some calls rang out (a voicemail, a hang-up): the reports' missed calls are not all 0.
        missed = channel == "voice" and not recent and rng.random() < MISSED_CALLS
        if recent or missed:  # nobody took it then: it rang, or was texted to, tier 1 on call
            chain = load_on_call(session).chain_at(created)
            coordinator = session.get_one(User, chain[0]) if chain else coordinator
        arrest = rng.random() < 0.7
        referral = Referral(
            channel=channel,
            type="arrest_diversion" if arrest else "social_contact",
            offense=rng.choice(["possession", "subsistence_sale", "sex_work", "other"])
            if arrest
            else None,
            status="received" if recent or missed else status,
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
        # As the app opens each: a call's first webhook, a text's SEND.
        if channel == "voice":
            kind, detail = "call_received", {"verified": referral.officer_id is not None}
        else:
            kind, detail = "referral_sent", None
        arrival = {"at": created, "kind": kind, "channel": channel, "detail": detail}
        session.add(ReferralEvent(referral_id=referral.id, **arrival))
        if missed:  # staff were texted as the call ended; one of them took it by ACK later
            call = _call(session, rng, referral, coordinator, created, now)
            _told_then(session, call)
            referral.status, referral.acknowledged_by = status, coordinator.id
            referral.acknowledged_at = (call.ended_at or created) + timedelta(
                minutes=rng.randint(2, 25)
            )
        elif not recent:  # a call is taken by pressing 1 as it rings, a text by ACK minutes on
            referral.acknowledged_by = coordinator.id
            referral.acknowledged_at = created + (
                timedelta(seconds=rng.randint(8, 70))
                if referral.channel == "voice"
                else timedelta(minutes=rng.randint(1, 25))
            )
        assessed = None
        if status in DISPOSITION_OF:
            assessed = _assessment(session, rng, referral, coordinator, DISPOSITION_OF[status])
        _events(session, rng, referral, coordinator, created, assessed, now)
        if missed:
            continue
        if referral.channel == "voice":
            call = _call(session, rng, referral, coordinator, created, now)
            if recent:  # as the call's end tells the chain (and, for a voicemail, supervisors)
                notify_voicemail(session, call, call.ended_at or now, HOTLINE, None)
        else:
            _texts(session, referral, coordinator, created)
            if recent:  # as SEND tells the chain's first reachable person
                recipients = first_recipients(session, created)
                notify_recipients(session, referral, recipients, created, HOTLINE, "first")


def _told_then(session: Session, call: Call) -> None:
    """Tell staff of a past call nobody took, as its end did; its texts went out then."""
    notify_voicemail(session, call, call.ended_at or call.started_at, HOTLINE, None)
    session.execute(
        update(Message)
        .where(Message.referral_id == call.referral_id, Message.status == "queued")
        .values(status="delivered", next_attempt_at=None)
    )


def _as_a_call_arrives(referral: Referral) -> None:
    """Leave a call nobody has taken blank, as real calls arrive: the coordinator completes it."""
    referral.type = referral.offense = None
    referral.participant_name = referral.location = None
    referral.consent_at = None


def _events(
    session: Session,
    rng: random.Random,
    referral: Referral,
    coordinator: User,
    created: datetime,
    assessed: datetime | None,
    now: datetime,
) -> None:
    """Write a taken referral's timeline after its arrival as the app would: told, taken, decided.

    An open referral gets nothing here; telling staff writes the rest.
    """
    voice = referral.channel == "voice"
    # A call is taken by pressing 1 as it rings; a text, or a call that rang out, by ACK.
    rang_out = referral.call_outcome in ("voicemail", "abandoned")
    taken_by = "voice" if voice and not rang_out else "sms"
    events: list[tuple[datetime, str, str, int | None]] = []
    if referral.acknowledged_at is not None:
        if not voice:  # the alert went out with the referral; an answered call texts nobody
            events.append((created, "notified", "sms", None))
        events.append((referral.acknowledged_at, "acknowledged", taken_by, coordinator.id))
    if assessed is not None:
        events.append((assessed, "assessment", "web", coordinator.id))
        status_after = "assessed" if referral.status.startswith("intake_") else referral.status
        events.append((assessed, status_after, "web", coordinator.id))
    if referral.status in ("intake_completed", "intake_missed", "not_a_referral"):
        after = assessed or referral.acknowledged_at or created
        # Days later, never past now: the history holds no event still to come.
        ended = min(after + timedelta(hours=rng.uniform(2, 96)), now - timedelta(minutes=1))
        events.append((max(ended, after), referral.status, "sms", coordinator.id))
    for at, kind, channel, actor in events:
        session.add(
            ReferralEvent(
                referral_id=referral.id, at=at, kind=kind, actor_id=actor, channel=channel
            )
        )


def _call(
    session: Session,
    rng: random.Random,
    referral: Referral,
    coordinator: User,
    created: datetime,
    now: datetime,
) -> Call:
    # Calls nobody took: a voicemail and a hang-up, both kinds the tour shows.
    untaken = "voicemail" if referral.id % 2 else "abandoned"
    outcome = "answered" if referral.acknowledged_by else untaken
    ended = min(created + timedelta(seconds=rng.randint(60, 600)), now)
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
        # Pressing 1 is what took it: answered and acknowledged at one instant.
        answered_at=referral.acknowledged_at if outcome == "answered" else None,
        ended_at=ended,
        duration=int((ended - created).total_seconds()),
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
    return call


def _texts(session: Session, referral: Referral, coordinator: User, created: datetime) -> None:
    phone = referral.officer_phone or ""
    answers = ["REFER", "1" if referral.type == "arrest_diversion" else "2"]
    answers.append(referral.participant_name or "")
    # In the intake's own order: an arrest diversion is asked its offence after the name.
    answers += [digit for digit, name in OFFENSES.items() if name == referral.offense]
    answers += [referral.location or "", "Y", "SEND"]
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
    if referral.acknowledged_at is None:
        return  # an open one's alert is queued as the app queues it (add_history)
    alert = f"LEAD #{referral.id}: Reply ACK {referral.id} to take it."
    status = "delivered"
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
) -> datetime:
    """Add the referral's brief assessment, after it was taken; return when it was saved."""
    at = (referral.acknowledged_at or referral.created_at) + timedelta(minutes=rng.randint(10, 180))
    session.add(
        Assessment(
            referral_id=referral.id,
            version=1,
            offense=referral.offense or "none",
            exclusions=["violent_history"] if disposition == "ineligible" else [],
            consent_confirmed=disposition == "accepted",
            needs=rng.sample(NEEDS, k=2),
            risks=[],
            services=["case manager assigned"],
            disposition=disposition,
            race_ethnicity=rng.choice(RACES),
            completed_by=coordinator.id,
            completed_at=at,
        )
    )
    return at
