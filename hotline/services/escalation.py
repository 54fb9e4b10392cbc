"""Who is texted about a new referral, and who next when nobody acknowledges it (SPEC §5, §7)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Exists, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ..messaging.notices import Notice
from ..messaging.recipients import SUPERVISOR_RECIPIENTS, USER_RECIPIENT, Recipient
from ..models import OptOut, Referral, ReferralNotice, User
from ..statements import unless_held
from .alerts import notified_users, notify_user, unowned_notice
from .departed_holders import NO_ABLE_HOLDER, holder_is_gone
from .program_store import load_on_call


def first_recipients(session: Session, now: datetime) -> list[Recipient]:
    """Return who hears of a new referral: the chain down to its first reachable person.

    A person whose number opted out of texts cannot be reached, so the next one
    is texted at once instead of after HOTLINE_ACK_MINUTES; with nobody
    reachable in the chain, every supervisor is texted too.
    """
    return reachable_prefix(session, load_on_call(session).chain_at(now), set())


def next_recipients(session: Session, referral: Referral, now: datetime) -> list[Recipient]:
    """Return who to text next: untold users of the chain down to a reachable one."""
    told = set(notified_users(session, referral.id))
    return reachable_prefix(session, load_on_call(session).chain_at(now), told)


def reachable_prefix(session: Session, chain: list[int], told: set[int]) -> list[Recipient]:
    """Return the untold users of `chain` up to the first who can get texts, else + supervisors."""
    connection = session.connection()
    recipients: list[Recipient] = []
    for user_id in chain:
        if user_id in told:
            continue
        told.add(user_id)
        recipient = Recipient(*connection.execute(USER_RECIPIENT, {"user_id": user_id}).one())
        recipients.append(recipient)
        if not recipient.opted_out:
            return recipients
    supervisors = [Recipient(*row) for row in connection.execute(SUPERVISOR_RECIPIENTS)]
    return recipients + [user for user in supervisors if user.id not in told]


def notify_recipients(
    session: Session,
    referral: Referral,
    recipients: list[Recipient],
    now: datetime,
    sender: str | None,
    kind: str,
    notice: Notice | None = None,
) -> int:
    """Text each recipient about a referral once; return how many newly told can get texts.

    An opted-out recipient is recorded as told (their text is logged
    `suppressed`), so escalation never waits on them again.
    """
    return sum(
        notify_user(session, referral, user, kind, now, sender, notice) and not user.opted_out
        for user in recipients
    )


def notify_next(
    session: Session,
    referral: Referral,
    now: datetime,
    sender: str | None,
    kind: str,
    public_url: str | None = None,
) -> int:
    """Text the next recipients about a referral; return how many newly told can get texts."""
    recipients = next_recipients(session, referral, now)
    if not recipients:
        return 0
    notice = unowned_notice(session, referral, public_url)
    return notify_recipients(session, referral, recipients, now, sender, kind, notice)


def escalate_unacked(
    session: Session,
    now: datetime,
    ack_minutes: int,
    sender: str | None,
    public_url: str | None = None,
) -> int:
    """Pass each referral still `notified` ack_minutes after its last notice onwards.

    SMS referrals and calls nobody accepted alike (SPEC §6 "Every referral has an owner").
    """
    due = now - timedelta(minutes=ack_minutes)
    last_notice = (
        select(ReferralNotice.referral_id, func.max(ReferralNotice.at).label("last"))
        .group_by(ReferralNotice.referral_id)
        .subquery()
    )
    referrals = session.scalars(
        select(Referral)
        .join(last_notice, last_notice.c.referral_id == Referral.id)
        .where(
            Referral.status == "notified",
            # An assessment's author holds it, unless they left or may no longer work it.
            NO_ABLE_HOLDER,
            or_(last_notice.c.last <= due, ~read_since(Referral.id, due)),
        )
        .order_by(Referral.id)
    ).all()
    escalated = 0
    for referral in referrals:
        # A stuck transaction holds this one: the rest go on, it waits for the next run.
        with unless_held(session, f"referral {referral.id}"):
            escalated += _escalate_one(session, referral, now, due, sender, public_url)
    return escalated


def _escalate_one(
    session: Session,
    referral: Referral,
    now: datetime,
    due: datetime,
    sender: str | None,
    public_url: str | None,
) -> int:
    """Pass one referral on if it is still due; commit; return how many were texted."""
    # Taken since the list was read (an ACK between two referrals' texts), or passed on
    # by another clock at this instant? Look again, holding the row on PostgreSQL so
    # that an ACK or the other clock waits for these texts or wins first.
    session.refresh(referral, with_for_update=True)
    told = 0
    if still_due(session, referral, due):
        told = notify_next(session, referral, now, sender, "escalation", public_url)
    session.commit()
    return told


def read_since(
    referral_id: ColumnElement[int] | InstrumentedAttribute[int] | int, due: datetime
) -> Exists:
    """Tell whether anyone texted about a referral after `due` can still read texts.

    Whoever opted out since their notice (STOP, or the carrier's 21610 when it was
    sent) reads nothing: waiting HOTLINE_ACK_MINUTES on them would wait on nobody.
    """
    return exists(
        select(ReferralNotice.id)
        .join(User, User.id == ReferralNotice.user_id)
        .where(
            ReferralNotice.referral_id == referral_id,
            ReferralNotice.at > due,
            User.phone.not_in(select(OptOut.phone)),
        )
    )


def still_due(session: Session, referral: Referral, due: datetime) -> bool:
    """Tell whether a referral is still unacknowledged and its last notices' wait is over.

    It is over HOTLINE_ACK_MINUTES after the last notice, or at once when nobody
    told since can read texts any more.
    """
    if referral.status != "notified":
        return False
    if referral.acknowledged_by is not None and not holder_is_gone(session, referral.id):
        return False
    last = session.scalar(
        select(func.max(ReferralNotice.at)).where(ReferralNotice.referral_id == referral.id)
    )
    if last is None:
        return False
    return last <= due or not session.scalar(select(read_since(referral.id, due)))
