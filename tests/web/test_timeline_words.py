"""A referral's timeline says every event through the web catalog, never as a stored code."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

import hotline
from hotline.db import session_scope
from hotline.models import Call, CallLeg, Message, ReferralEvent, User
from hotline.web.words import WORDS
from tests.factories import add_referral
from tests.web.conftest import Web

PACKAGE = Path(hotline.__file__).parent
# add_event(session, referral_id, "kind", ...) and an event's {"kind": "...", ...} values.
WRITTEN_KIND = re.compile(r'add_event\(\s*[\w.]+,\s*[\w.]+,\s*"(\w+)"|"kind": "(\w+)", "channel"')


def kinds_written() -> set[str]:
    """Return the event kinds the hotline's code writes under a fixed name."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for match in WRITTEN_KIND.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) or match.group(2))
    return found


def test_every_event_kind_the_hotline_writes_is_said_in_words() -> None:
    kinds = kinds_written()
    assert {"call_received", "note", "assessment", "referral_sent"} <= kinds  # the scan works
    # Without words, a kind showed as its code ("call received" from call_received),
    # which no catalog could translate.
    # "completed" is said field by field (referral_timeline.completion_words).
    assert sorted(kinds - set(WORDS) - {"completed"}) == []


SPANISH = {
    "call received": "llamada recibida",
    "note": "nota",
    "dialled": "marcado",
    "voicemail": "buzón de voz",
    "caller": "quien llamó",
    "{n} segment": "{n} segmento",
}


def test_a_later_web_language_says_the_timeline_in_its_own_words(
    app: Flask,
    coordinator: User,
    as_coordinator: Web,
    spanish_pages: Callable[[User, dict[str, str]], None],
) -> None:
    number = add_referral(app, status="notified", channel="voice")
    at = datetime.now(UTC)
    with session_scope(app) as session:
        call = Call(call_sid="CA1", from_number="+12065550177", to_number="+12065550100")
        call.referral_id, call.started_at, call.ended_at = number, at, at
        call.recording_url = "https://api.twilio.com/recordings/RE1"
        session.add(call)
        session.flush()
        session.add(CallLeg(call_id=call.id, step=0, number="+12065550101", at=at))
        for kind in ("call_received", "note"):
            session.add(ReferralEvent(referral_id=number, kind=kind, channel="voice", at=at))
        text = Message(direction="out", from_number="+12065550100", body="Referral #1")
        text.to_number, text.status = "+12065550120", "sent"
        text.referral_id, text.created_at = number, at
        session.add(text)
    spanish_pages(coordinator, SPANISH)
    page = as_coordinator.text(f"/referrals/{number}")
    timeline = page[page.index("<h2>") :]
    for words in SPANISH.values():
        shown = words.replace("{n}", "1")
        assert shown in timeline, shown
    for english in ("call received", "dialled", "(1 segment)"):
        assert english not in timeline, english
