"""Send the outbox: claim each due text, send it, record the outcome (job `dispatch-outbox`).

Delivery is at least once. A text is claimed (its attempt counted and its next
attempt pushed a lease ahead) and that claim committed before anything is sent,
so two clock processes never send the same text at the same time. A process
that dies after the claim leaves the text queued: when the lease runs out the
next run tries again — and sends it a second time if the first attempt had in
fact reached Twilio before the crash. A duplicate text beats a lost referral.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..models import OPEN_FOR_ACK, Message, OptOut, Referral
from ..phones import mask_phone
from ..statements import insert_unless_present, unless_held, updated_one_row
from .notices import DeliveryFailed, Undelivered, queue_notice
from .outbox import is_opted_out
from .recipients import SUPERVISOR_RECIPIENTS
from .transport import UNEXPECTED, UNSUBSCRIBED_RECIPIENT, SendResult, Transport

log = logging.getLogger(__name__)

# Far longer than a send takes (the Twilio client gives up after 10 s), so a
# live process records its outcome before another may claim the text. Each
# claim is dated by the run's `now` plus the time the run has taken so far, so
# a long run of slow sends still leases its last texts for this long.
LEASE = timedelta(minutes=2)

# Wait before each retry. Supervisors hear of a text that could not go out
# within about 20 minutes, while the 30-minute arrest-diversion hand-off still
# has time left for a phone call.
RETRY_DELAYS = tuple(timedelta(minutes=minutes) for minutes in (0.5, 1, 2, 5, 10))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1

FAILURE_NOTICE = "failure_notice"

# The message log's error column holds this many characters.
ERROR_LENGTH = 200


class DueText(NamedTuple):
    """What sending a queued text needs, read without loading the row as an object."""

    id: int
    to: str
    sender: str
    body: str | None
    attempts: int


@dataclass(frozen=True)
class DispatchReport:
    """How many due texts one run sent, put off for a retry, gave up on, or suppressed.

    `tried` counts the texts handed to the carrier. `carrier_error` is set when the
    run sent none and the carrier's last answer was a failure of the carrier or
    of the account (down, throttling, credentials refused) rather than of one text:
    texts are not going out.
    """

    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0
    tried: int = field(default=0, compare=False)
    carrier_error: str | None = field(default=None, compare=False)


def dispatch_outbox(
    session: Session,
    now: datetime,
    transport: Transport,
    *,
    batch: int = 50,
    clock: Callable[[], float] = time.monotonic,
) -> DispatchReport:
    """Send up to `batch` due texts, oldest first, committing after each one.

    `clock` (seconds) times the run: each claim is leased from `now` plus the
    run's time so far, so that it holds off other runs for a whole lease.
    """
    started = clock()
    due = session.execute(
        select(Message.id, Message.to_number, Message.from_number, Message.body, Message.attempts)
        .where(
            Message.direction == "out",
            Message.status == "queued",
            # A queued row written without a time is due at once rather than never.
            or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
        )
        .order_by(Message.created_at, Message.id)
        .limit(batch)
    ).all()
    counts = {"sent": 0, "retried": 0, "failed": 0, "suppressed": 0, "tried": 0}
    carrier_error = None
    for row in due:
        claimed_at = now + timedelta(seconds=clock() - started)
        outcome, result = None, None
        with unless_held(session, f"message {row.id}"):  # a stuck transaction's: the next run
            outcome, result = _dispatch_one(session, DueText(*row), now, transport, claimed_at)
            session.commit()
        if outcome is not None:
            counts[outcome] += 1
        if result is None:
            continue
        counts["tried"] += 1
        if result.retryable:
            # Twilio is failing (down, slow or throttling us): the rest would most
            # likely fail too, each after up to a timeout. They wait for the next
            # run, so that a run stays far shorter than the lease of its claims.
            carrier_error = result.error
            break
    if counts["sent"]:
        carrier_error = None
    return DispatchReport(**counts, carrier_error=carrier_error)


def claim_message(session: Session, message_id: int, attempts_seen: int, now: datetime) -> bool:
    """Count an attempt at a queued text and lease it to this run; tell whether this run won.

    The caller must commit before sending: only then does the claim hold off
    other processes.
    """
    result = session.execute(
        update(Message)
        .where(
            Message.id == message_id,
            Message.status == "queued",
            Message.attempts == attempts_seen,
        )
        .values(attempts=attempts_seen + 1, next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    return updated_one_row(result)


def _dispatch_one(
    session: Session, due: DueText, now: datetime, transport: Transport, claimed_at: datetime
) -> tuple[str | None, SendResult | None]:
    """Take one due text as far as it goes now, leasing a claim from `claimed_at`.

    Return the report's count it adds to (if any), and what sending it gave
    (if it was sent).
    """
    message_id, to, sender, body, attempts = due
    if is_opted_out(session, to):
        settled = _settle(session, message_id, attempts, "suppressed")
        return ("suppressed" if settled else None), None
    if attempts >= MAX_ATTEMPTS:
        # Every attempt was claimed yet none recorded an outcome (crashed runs).
        reason = Undelivered("no outcome", tries=attempts)
        return _give_up(session, message_id, attempts, reason, now=now), None
    if not claim_message(session, message_id, attempts, claimed_at):
        return None, None  # another run has it, or it changed since it was read
    session.commit()
    attempts += 1

    try:
        result = transport.send(to=to, sender=sender, body=body or "")
    except Exception as error:  # a transport must not raise; one bug must not stop the outbox
        log.exception("transport raised sending message %s", message_id)
        result = SendResult.retry(f"transport raised {type(error).__name__}", kind=UNEXPECTED)

    return _record(session, message_id, to, attempts, result, now), result


def _record(
    session: Session, message_id: int, to: str, attempts: int, result: SendResult, now: datetime
) -> str | None:
    """Record what sending a claimed text gave; return the report's count it adds to."""
    if result.succeeded:
        _record_sent(session, message_id, result.sid)
        return "sent"
    log.warning(
        "message %s to %s: attempt %s failed: %s",
        message_id,
        mask_phone(to),
        attempts,
        result.error_code or result.error,
    )
    if result.error_code == UNSUBSCRIBED_RECIPIENT:
        insert_unless_present(session, OptOut, {"phone": to, "at": now, "source": "carrier"})
        settled = _settle(session, message_id, attempts, "suppressed", result.error)
        return "suppressed" if settled else None
    if result.retryable and attempts < MAX_ATTEMPTS:
        # Twilio's Retry-After, when it asks for longer, up to our own longest wait.
        asked = min(result.retry_after or timedelta(0), RETRY_DELAYS[-1])
        retry_at = now + max(RETRY_DELAYS[attempts - 1], asked)
        session.execute(
            update(Message)
            .where(
                Message.id == message_id, Message.status == "queued", Message.attempts == attempts
            )
            .values(next_attempt_at=retry_at, error=_clip(result.error))
            .execution_options(synchronize_session=False)
        )
        return "retried"
    reason = Undelivered.of(result, attempts if result.retryable else None)
    return _give_up(session, message_id, attempts, reason, now=now, error=result.error)


def _record_sent(session: Session, message_id: int, sid: str | None) -> None:
    """Mark a text sent under the carrier's sid."""
    # Not conditioned on this run's claim: the text did go out, even if a lease
    # ran out meanwhile, and a text another run already settled stays as it is.
    session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == "queued")
        .values(status="sent", message_sid=sid, next_attempt_at=None, error=None)
        .execution_options(synchronize_session=False)
    )


def _settle(
    session: Session, message_id: int, attempts: int, status: str, error: str | None = None
) -> bool:
    """Give a queued text its final status unless another run moved it on; tell whether."""
    result = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == "queued", Message.attempts == attempts)
        .values(status=status, next_attempt_at=None, error=_clip(error))
        .execution_options(synchronize_session=False)
    )
    return updated_one_row(result)


def _give_up(
    session: Session,
    message_id: int,
    attempts: int,
    reason: Undelivered,
    *,
    now: datetime,
    error: str | None = None,
) -> str | None:
    """Mark a text failed and tell every active supervisor, unless it was such a notice."""
    if not _settle(session, message_id, attempts, "failed", error or logged(reason)):
        return None
    message = session.get_one(Message, message_id, populate_existing=True)
    tell_supervisors(session, message, reason, now=now)
    return "failed"


def logged(reason: Undelivered) -> str:
    """Return why a text failed as the message log keeps it, e.g. "no outcome after 6 tries"."""
    said = f"{reason.what}, error {reason.code}" if reason.code else reason.what
    return f"{said} after {reason.tries} tries" if reason.tries else said


def tell_supervisors(
    session: Session, failed: Message, reason: Undelivered, *, now: datetime
) -> None:
    """Queue a short failure notice, naming no participant, to every active supervisor.

    Nothing is queued about a failure notice itself.
    """
    # A notice about a failed notice would fail the same way, and so on forever.
    if failed.kind == FAILURE_NOTICE:
        return
    untaken = failed.referral_id is not None and _untaken(session, failed.referral_id)
    notice = DeliveryFailed(mask_phone(failed.to_number), failed.referral_id, reason, untaken)
    supervisors = session.execute(SUPERVISOR_RECIPIENTS).all()
    for supervisor in {row.phone: row for row in supervisors}.values():
        queue_notice(
            session,
            notice,
            to=supervisor.phone,
            language=supervisor.language,
            sender=failed.from_number,
            now=now,
            referral_id=failed.referral_id,
            kind=FAILURE_NOTICE,
            opted_out=supervisor.opted_out,
        )


def _untaken(session: Session, referral_id: int) -> bool:
    """Tell whether nobody holds the referral and it still waits for an ACK."""
    held = session.execute(
        select(Referral.status, Referral.acknowledged_by).where(Referral.id == referral_id)
    ).first()
    return held is not None and held.acknowledged_by is None and held.status in OPEN_FOR_ACK


def _clip(error: str | None) -> str | None:
    """Shorten an error to what the message log keeps."""
    return error[:ERROR_LENGTH] if error else error
