"""What the hotline tells people by text, as typed notices; the SMS channel words them.

The domain decides who is told what and queues a notice; the words, in the
recipient's language, come from the wording the app installs on its sessions
(`hotline.sms.notices`), so no sentence is written below the channels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol

from sqlalchemy.orm import Session, sessionmaker

from .outbox import queue_text
from .transport import SendResult

WORDING_KEY = "notice_wording"


@dataclass(frozen=True)
class Caller:
    """Who referred: a roster officer, or an unverified caller known by badge or number."""

    name: str | None
    agency: str | None
    phone: str | None
    badge: str | None = None


@dataclass(frozen=True)
class NewReferral:
    """A referral nobody has taken yet: its details and `Reply ACK n` for the coordinators."""

    referral_id: int
    type: str | None
    offense: str | None
    caller: Caller
    participant_name: str | None
    location: str | None


@dataclass(frozen=True)
class CallNotTaken:
    """A call nobody accepted: who called, what happened, `Reply ACK n`."""

    referral_id: int
    caller: Caller
    callback_number: str | None
    ending: Literal["abandoned", "voicemail", "silent"]
    link: str | None


@dataclass(frozen=True)
class RecordingAfterAll:
    """A voicemail announced as empty turned out to hold a message (its step came late).

    `taken` is false while nobody has the referral: the text then says `Reply ACK n`.
    """

    referral_id: int
    link: str | None
    taken: bool


@dataclass(frozen=True)
class OfficerStatus:
    """The referring officer's status-only update (SPEC §6): the status word, maybe who has it."""

    referral_id: int
    status: str
    coordinator: str | None = None


@dataclass(frozen=True)
class TakenByOther:
    """Someone told earlier learns that a colleague has taken the referral."""

    referral_id: int
    taker: str


@dataclass(frozen=True)
class IntakeWindowClosed:
    """The coordinator's referral passed its intake window and is now `intake_missed`."""

    referral_id: int
    days: int


@dataclass(frozen=True)
class ShiftStarting:
    """A person's on-call shift starts soon."""

    tier: int
    start: datetime
    until: datetime | None
    zone: str


@dataclass(frozen=True)
class CoverageGap:
    """Supervisors learn of tier-1 gaps: the first few named, how many more, where to look."""

    gaps: tuple[tuple[datetime, datetime | None], ...]  # end None: no cover scheduled
    more: int
    zone: str
    link: str | None


@dataclass(frozen=True)
class CallbackNotPlaced:
    """The coordinator's `CALL n` could not be placed."""

    referral_id: int
    reason: Undelivered


@dataclass(frozen=True)
class Undelivered:
    """Why a text did not get through, in Twilio's terms; the channel words it.

    `what` is Twilio's status (`undelivered`, `failed`, `canceled`), `refused` (its
    error code says why), or what sending met (`timed out`, `connection failed`,
    `no outcome`, else a short technical note); `tries`, when it was retried.
    """

    what: str
    code: str | None = None
    tries: int | None = None

    @classmethod
    def of(cls, result: SendResult, tries: int | None = None) -> Undelivered:
        """Return why the carrier's answer `result` is a failure, after `tries` if retried."""
        if result.error_code:
            return cls("refused", result.error_code, tries)
        return cls(result.kind or result.error or "no reason", None, tries)


@dataclass(frozen=True)
class DeliveryFailed:
    """Supervisors learn a text could not be delivered (the number masked, no participant)."""

    masked_number: str
    referral_id: int | None
    reason: Undelivered
    # Nobody holds the referral: the supervisors are asked to take it (SPEC §5).
    untaken: bool = False


@dataclass(frozen=True)
class ChargeRecorded:
    """A prosecutor (or a supervisor) recorded a new charge on the participant (no details)."""

    participant_id: int
    on: date
    by_prosecutor: bool = True  # False: a supervisor recorded it


@dataclass(frozen=True)
class OfficerMetParticipant:
    """A case manager learns an officer met their participant (never what else was said)."""

    participant_id: int
    participant_name: str
    officer_name: str
    at: datetime
    zone: str
    texted: bool = True  # False: the officer called, and a coordinator recorded it


@dataclass(frozen=True)
class ParticipantReferredAgain:
    """A case manager learns an officer referred their participant again (nothing clinical)."""

    participant_id: int
    participant_name: str
    officer_name: str | None  # None: an unverified caller
    referral_id: int


Notice = (
    NewReferral
    | CallNotTaken
    | RecordingAfterAll
    | OfficerStatus
    | TakenByOther
    | IntakeWindowClosed
    | ShiftStarting
    | CoverageGap
    | CallbackNotPlaced
    | DeliveryFailed
    | ChargeRecorded
    | OfficerMetParticipant
    | ParticipantReferredAgain
)
Wording = Callable[[Notice, str | None], str]


def install_wording(maker: sessionmaker[Session], wording: Wording) -> None:
    """Give every session of `maker` the wording that turns notices into texts."""
    maker.configure(info={WORDING_KEY: wording})


def words_for(session: Session, notice: Notice, language: str | None) -> str:
    """Return the notice's text in `language` (None: the program's language)."""
    wording: Wording | None = session.info.get(WORDING_KEY)
    if wording is None:
        raise RuntimeError("no notice wording on this session: create_app installs it")
    return wording(notice, language)


def queue_notice(
    session: Session,
    notice: Notice,
    *,
    to: str,
    language: str | None,
    sender: str | None,
    now: datetime,
    referral_id: int | None = None,
    kind: str | None = None,
    opted_out: bool | None = None,
) -> int:
    """Word a notice for its recipient and add it to the outbox; return the text's id."""
    return queue_text(
        session,
        sender=sender,
        to=to,
        body=words_for(session, notice, language),
        now=now,
        referral_id=referral_id,
        kind=kind,
        opted_out=opted_out,
    )


class Addressee(Protocol):
    """Anyone the hotline texts in their own language: a user, an officer, a recipient."""

    @property
    def phone(self) -> str: ...

    @property
    def language(self) -> str | None: ...


def notify(
    session: Session,
    notice: Notice,
    person: Addressee,
    *,
    sender: str | None,
    now: datetime,
    referral_id: int | None = None,
    opted_out: bool | None = None,
) -> int:
    """Queue a notice to one person, worded in their language; return the text's id."""
    return queue_notice(
        session,
        notice,
        to=person.phone,
        language=person.language,
        sender=sender,
        now=now,
        referral_id=referral_id,
        opted_out=opted_out,
    )
