"""Delete at Twilio the voicemails of erased referrals, then their URLs (SPEC §7 `retention`).

Nulling a recording's URL leaves the voice itself at Twilio for good; so a
recording this account keeps there is deleted first, and its URL goes only
once Twilio has said it is gone (404 included). While Twilio cannot be
reached or refuses, the URL stays and the next run tries again. No database
transaction is held while Twilio answers.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..audit import record
from ..messaging.recordings import kept_at_twilio, recording_sid
from ..messaging.transport import SendResult, Transport
from ..models import Call, Referral
from ..statements import unless_held
from .retention import SYSTEM, erased_referrals

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordingsErased:
    """How many recordings Twilio deleted, and how many wait for it to answer."""

    deleted: int
    waiting: int


def delete_erased_recordings(
    session: Session, now: datetime, transport: Transport, account_sid: str | None
) -> RecordingsErased:
    """Delete the account's recordings of erased referrals at Twilio, then erase their URLs."""
    if not account_sid:
        return RecordingsErased(0, 0)  # no account: every URL went with the words
    erased = erased_referrals()
    referrals = session.execute(
        select(Referral.id, Referral.recording_url).where(
            Referral.id.in_(erased), kept_at_twilio(Referral.recording_url, account_sid)
        )
    ).all()
    calls = session.execute(
        select(Call.referral_id, Call.recording_url).where(
            Call.referral_id.in_(erased), kept_at_twilio(Call.recording_url, account_sid)
        )
    ).all()
    session.commit()  # nothing held while Twilio answers
    urls: dict[int, set[str]] = defaultdict(set)
    for referral_id, url in [*referrals, *calls]:
        if referral_id is not None and url is not None:
            urls[referral_id].add(url)
    deletion = _Deletion(transport, account_sid)
    for referral_id in sorted(urls):
        gone = [url for url in sorted(urls[referral_id]) if deletion.gone(url)]
        if gone:
            # Held by a stuck transaction: Twilio answers 404 at the next run, and it goes then.
            with unless_held(session, f"referral {referral_id}"):
                _erase_urls(session, now, referral_id, gone, deletion.deleted_of(gone))
                session.commit()
    return RecordingsErased(len(deletion.deleted), len(deletion.waiting))


class _Deletion:
    """Ask Twilio to delete each recording once per run; after one failure, ask no more."""

    def __init__(self, transport: Transport, account_sid: str) -> None:
        self._transport = transport
        self._account_sid = account_sid
        self.deleted: set[str] = set()
        self.waiting: set[str] = set()
        self._unreachable = False

    def gone(self, url: str) -> bool:
        """Tell whether `url` names no recording at Twilio (any more) and so may be erased."""
        sid = recording_sid(url, self._account_sid)
        if sid is None:
            return True  # not a recording of this account's after all: nothing to delete
        if sid in self.deleted:
            return True
        if sid in self.waiting or self._unreachable:
            self.waiting.add(sid)
            return False
        result = self._delete(sid)
        if result.succeeded:
            self.deleted.add(sid)
            return True
        log.warning("recording %s not deleted at Twilio: %s", sid, result.error)
        self.waiting.add(sid)
        # Down, refusing the credentials or asking to slow down: the rest would fare the same,
        # one timeout each. A refusal of this one recording alone holds back no other.
        self._unreachable = result.retryable
        return False

    def deleted_of(self, urls: list[str]) -> int:
        """Return how many of `urls` name a recording this run deleted."""
        return sum(1 for url in urls if recording_sid(url, self._account_sid) in self.deleted)

    def _delete(self, sid: str) -> SendResult:
        try:
            return self._transport.delete_recording(sid)
        except Exception as error:  # a transport must not raise; the next run tries again
            log.exception("transport raised deleting recording %s", sid)
            return SendResult.retry(f"transport raised {type(error).__name__}")


def _erase_urls(
    session: Session, now: datetime, referral_id: int, gone: list[str], deleted: int
) -> None:
    """Erase one referral's recording URLs that name no recording at Twilio now; audit it."""
    session.execute(
        update(Referral)
        .where(Referral.id == referral_id, Referral.recording_url.in_(gone))
        .values(recording_url=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Call)
        .where(Call.referral_id == referral_id, Call.recording_url.in_(gone))
        .values(recording_url=None)
    )
    detail = {"erased": ["recording_url"], "recordings_deleted_at_twilio": deleted}
    record(session, SYSTEM, now, "erase", "referral", referral_id, None, detail)
