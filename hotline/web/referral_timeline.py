"""One referral's timeline: its events, the call's legs and voicemail, and its texts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..db import get_session
from ..messaging.segments import is_gsm, segments
from ..models import Call, Message, Referral, ReferralEvent
from .field_words import FIELD_WORDS
from .language import web_text as _
from .words import actor_word, leg_word, text_word, word


def segment_words(body: str | None) -> str | None:
    """Return what a text costs: its segments and, when not GSM-7, its encoding."""
    if not body:
        return None
    count = segments(body)
    said = _("{n} segment", n=count) if count == 1 else _("{n} segments", n=count)
    return said + ("" if is_gsm(body) else ", UCS-2")  # the encoding's name, not words


def completion_words(detail: dict[str, Any] | None) -> str:
    """Return what one completion did, as "type set: arrest diversion" (SPEC §6)."""
    if not detail or "field" not in detail:  # erased by retention: only that it happened
        return _("referral completed or corrected")
    field = detail["field"]
    if field == "consent":
        return _("consent confirmed")
    name = _(FIELD_WORDS[field]) if field in FIELD_WORDS else field.replace("_", " ")
    before, after = (
        word(value) if field in ("type", "offense") and value is not None else value
        for value in (detail.get("before"), detail.get("after"))
    )
    if after is None:
        return _("{field} cleared", field=name)
    if before is None:
        return _("{field} set: {value}", field=name, value=after)
    return _("{field} changed from {before} to {after}", field=name, before=before, after=after)


def timeline(referral: Referral, names: dict[int, str]) -> list[dict[str, Any]]:
    """Merge a referral's events, call legs and texts into one list ordered by time."""
    session = get_session()
    entries: list[dict[str, Any]] = []
    for event in session.scalars(
        select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)
    ):
        completed = event.kind == "completed"
        detail = dict(event.detail or {})
        if event.channel == "system" and detail.get("reason") == "deadline":  # the clock's code
            detail["reason"] = _("the intake window passed without an intake")
        entries.append(
            {
                "at": event.at,
                "what": completion_words(event.detail) if completed else word(event.kind),
                "who": actor_word(event.actor_id, event.channel, names),
                "detail": detail,
            }
        )
    for call in session.scalars(select(Call).where(Call.referral_id == referral.id)):
        for leg in call.legs:
            who = names.get(leg.user_id or 0) or _("fallback number")
            detail = {
                "number": leg.number,
                "outcome": leg_word(leg.outcome),
                "seconds": leg.duration,
            }
            entries.append({"at": leg.at, "what": _("dialled"), "who": who, "detail": detail})
        if call.recording_url:
            entries.append(
                {
                    "at": call.ended_at or call.started_at,
                    "what": _("voicemail"),
                    "who": _("caller"),
                    "detail": {"recording": call.recording_url, "seconds": call.recording_duration},
                }
            )
    texts = session.scalars(select(Message).where(Message.referral_id == referral.id))
    for text in texts:
        arrow = (
            _("text from {number}", number=text.from_number)
            if text.direction == "in"
            else _("text to {number}", number=text.to_number)
        )
        entries.append(
            {
                "at": text.created_at,
                "what": arrow,
                "who": text_word(text.status),
                "detail": {"body": text.body, "segments": segment_words(text.body)},
            }
        )
    return sorted(entries, key=lambda entry: entry["at"])
