"""Codes in words for pages: one mapping used by the referral page and the audit log."""

from __future__ import annotations

from typing import Any

from ..schemas.assessment import EXCLUSION_WORDS

WORDS: dict[str, str] = {
    # Offences and referral types.
    "possession": "possession",
    "subsistence_sale": "sale for subsistence",
    "sex_work": "sex work",
    "other": "other",
    "none": "none",
    "arrest_diversion": "arrest diversion",
    "social_contact": "social contact",
    # Exclusions (worded once, beside their codes, for the form too).
    **EXCLUSION_WORDS,
    # Needs.
    "substance_use": "substance use",
    "mental_health": "mental health",
    "housing": "housing",
    "medical": "medical care",
    "food": "food",
    "documents": "documents",
    "benefits": "benefits",
    # Risks.
    "overdose": "overdose",
    "self_harm": "self-harm",
    "medical_emergency": "medical emergency",
    # Dispositions.
    "accepted": "accepted",
    "ineligible": "ineligible",
    "declined": "declined",
    "unable_to_contact": "unable to contact",
    # Referral statuses.
    "received": "received",
    "notified": "coordinator texted",
    "acknowledged": "acknowledged",
    "assessed": "assessed",
    "not_a_referral": "not a referral",
    "intake_completed": "intake completed",
    "intake_missed": "intake not completed",
    # Calls back through the hotline: the timeline's events and how each ended.
    "callback_requested": "call back asked for",
    "callback_ended": "call back ended",
    "requested": "asked for",
    "connected": "connected to the officer",
    "officer_no_answer": "the officer did not answer",
    "officer_busy": "the officer's line was busy",
    "officer_failed": "the officer's phone could not be reached",
    "coordinator_no_answer": "the coordinator's phone did not answer",
    "coordinator_declined": "the coordinator did not press 1",
    "not_placed": "the call could not be placed",
}

# Field names of audited resources, as a sentence would say them.
FIELD_WORDS: dict[str, str] = {
    "status": "status",
    "acknowledged_by": "taken by",
    "acknowledged_at": "taken at",
    "offense": "offence",
    "exclusions": "exclusions",
    "consent_confirmed": "consent confirmed",
    "needs": "needs",
    "risks": "immediate risks",
    "services": "services",
    "disposition": "disposition",
    "age_range": "age range (self-reported)",
    "gender": "gender (self-reported)",
    "race_ethnicity": "race/ethnicity (self-reported)",
    "notes": "notes",
    "notes_written": "notes written",
    "participant_name_written": "participant name written",
    "location_written": "location written",
    "version": "version",
    "reason": "reason",
    "completed_by": "completed by",
    "consent_at": "consent confirmed at",
    "consent_by": "consent confirmed by",
    "completed_at": "completed at",
    "user_id": "person",
    "callback": "call back number",
    "outcome": "outcome",
}

# Audit actions, as the log's kind filter and rows name them.
ACTION_WORDS: dict[str, str] = {
    "acknowledge": "acknowledged (taken)",
    "assess": "assessment saved",
    "complete": "referral completed or corrected",
    "status": "status changed",
    "view": "viewed",
    "create": "created",
    "update": "changed",
    "delete": "deleted",
    "erase": "erased",
    "revoke": "revoked",
    "rotate": "rotated",
    "set_password": "password set",
    "callback": "call back",
}


def word(code: Any) -> str:
    """Return a code in words; unknown text as it is, with underscores as spaces."""
    if code is None:
        return "—"
    if isinstance(code, bool):
        return "yes" if code else "no"
    text = str(code)
    return WORDS.get(text, text.replace("_", " "))


def words(codes: list[Any] | None, sep: str = ", ") -> str:
    """Return a list of codes in words, joined."""
    return sep.join(word(code) for code in codes or []) or "none"
