"""Codes in words for pages: one mapping used by the referral page and the audit log."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from ..i18n import N_
from .assessment_words import EXCLUSION_WORDS
from .language import web_text

WORDS: dict[str, str] = {
    # Offences and referral types.
    "possession": N_("possession"),
    "subsistence_sale": N_("sale for subsistence"),
    "sex_work": N_("sex work"),
    "other": N_("other"),
    "none": N_("none"),
    "arrest_diversion": N_("arrest diversion"),
    "social_contact": N_("social contact"),
    # Exclusions (worded once, beside their codes, for the form too).
    **EXCLUSION_WORDS,
    # Needs.
    "substance_use": N_("substance use"),
    "mental_health": N_("mental health"),
    "housing": N_("housing"),
    "medical": N_("medical care"),
    "food": N_("food"),
    "documents": N_("documents"),
    "benefits": N_("benefits"),
    # Risks.
    "overdose": N_("overdose"),
    "self_harm": N_("self-harm"),
    "medical_emergency": N_("medical emergency"),
    # Dispositions.
    "accepted": N_("accepted"),
    "ineligible": N_("ineligible"),
    "declined": N_("declined"),
    "unable_to_contact": N_("unable to contact"),
    # Referral statuses.
    "received": N_("received"),
    "notified": N_("coordinator texted"),
    "acknowledged": N_("acknowledged"),
    "assessed": N_("assessed"),
    "not_a_referral": N_("not a referral"),
    # Marked not a referral after its acceptance enrolled someone.
    "participant_exited": N_("the participant its acceptance enrolled was exited"),
    "participant_unlinked": N_("unlinked from its participant, who stays in the program"),
    "intake_completed": N_("intake completed"),
    "intake_missed": N_("intake not completed"),
    # Staff texted about a call nobody took (services.voicemail): "<kind>_notified".
    "abandoned_notified": N_("staff texted that nobody took the call"),
    "voicemail_notified": N_("staff texted about the voicemail"),
    "recording_notified": N_("staff texted about the recording"),
    # A call whose final status never reached the app, closed by the clock.
    "call_end_unheard": N_("the call's end never reached the hotline: closed by its clock"),
    # A referral's other events, as its timeline says them (its kinds, services' add_event).
    "call_received": N_("call received"),
    "badge_entered": N_("badge entered"),
    "call_answered": N_("call answered"),
    "call_abandoned": N_("call abandoned"),
    "voicemail_offered": N_("voicemail offered"),
    "voicemail_recorded": N_("voicemail recorded"),
    "referral_sent": N_("referral sent"),
    "note": N_("note"),
    "assessment": N_("assessment"),
    # A referral's "completed" event: the timeline says each completion's field
    # (completion_words); "completed" below is a plan entry's status.
    # Calls back through the hotline: the timeline's events and how each ended.
    "callback_requested": N_("call back asked for"),
    "callback_ended": N_("call back ended"),
    "requested": N_("asked for"),
    "connected": N_("connected to the officer"),
    "officer_no_answer": N_("the officer did not answer"),
    "officer_busy": N_("the officer's line was busy"),
    "officer_failed": N_("the officer's phone could not be reached"),
    "coordinator_no_answer": N_("the coordinator's phone did not answer"),
    "coordinator_declined": N_("the coordinator did not press 1"),
    "not_placed": N_("the call could not be placed"),
    "not_allowed": N_("refused: the coordinator is no longer active staff"),
    # Its <Dial> action was lost (the database was down): closed by the clock.
    "officer_unknown": N_("the officer was dialled; how that call ended never reached the hotline"),
    # No webhook of its call reached the hotline (the database was down): closed by the clock.
    "coordinator_unknown": N_(
        "the coordinator's phone was called; how that call ended never reached the hotline"
    ),
    # A participant's status, a consent's scope, a plan entry's status (models.participants),
    # and what the participant's timeline lists (services.participant_views).
    "active": N_("active"),
    "exited": N_("exited"),
    "officer_status": N_("officer status"),
    "prosecutor": N_("prosecutor"),
    "planned": N_("planned"),
    "started": N_("started"),
    "completed": N_("completed"),
    "stopped": N_("stopped"),
    "referral": N_("referral"),
    "consent": N_("consent"),
    "consent_revoked": N_("consent revoked"),
    "plan": N_("plan"),
    "charge": N_("charge"),
    "contact": N_("contact"),
}

# How each line a call rang ended (call_legs.outcome; None: no outcome yet). Apart from
# WORDS: a text's "failed" is not a phone that could not be reached.
LEG_WORDS: dict[str | None, str] = {
    "accepted": N_("accepted"),
    "declined": N_("declined"),
    "no-answer": N_("did not answer"),
    "busy": N_("line busy"),
    "failed": N_("could not be reached"),
    "canceled": N_("stopped ringing"),
    None: N_("ringing"),
}

# How a call to the hotline went (calls.call_outcome, else Twilio's calls.status), for the
# dashboard's list of today's calls. Apart from WORDS: a call's "failed" is its line's.
CALL_WORDS: dict[str, str] = {
    "answered": N_("answered"),
    "voicemail": N_("went to voicemail"),
    "abandoned": N_("the caller hung up before anyone answered"),
    "queued": N_("starting"),
    "ringing": N_("ringing"),
    "in-progress": N_("in progress"),
    "completed": N_("ended"),
    "busy": N_("line busy"),
    "no-answer": N_("not answered"),
    "failed": N_("could not be connected"),
    "canceled": N_("canceled"),
}

# Where an on-call stretch comes from (rotation.Segment.source), beside a name.
SOURCE_WORDS: dict[str, str] = {"rotation": N_("rotation"), "override": N_("override")}

# Who made a change nobody signed in for: an officer's text or call, a command, the clock.
NOBODY_WORDS = {
    "cli": N_("command line"),
    "sms": N_("officer (by text)"),
    "voice": N_("caller"),
    "system": N_("the hotline"),
}

# How a text fared (messages.status), as the referral's timeline says it.
TEXT_WORDS: dict[str, str] = {
    "received": N_("received"),
    "queued": N_("waiting to be sent"),
    "sent": N_("sent"),
    "delivered": N_("delivered"),
    "failed": N_("could not be sent"),
    "suppressed": N_("not sent: the number opted out with STOP"),
}

# How a change came in (audit and event channels; a referral's is voice, sms or web),
# for supervisors rather than developers.
CHANNEL_WORDS: dict[str, str] = {
    "api": N_("API"),
    "cli": N_("command line"),
    "web": N_("web app"),
    "sms": N_("text message"),
    "voice": N_("phone call"),
    "system": N_("automatic"),
}

# Audit actions, as the log's kind filter and rows name them.
ACTION_WORDS: dict[str, str] = {
    "acknowledge": N_("acknowledged (taken)"),
    "assess": N_("assessment saved"),
    "complete": N_("referral completed or corrected"),
    "status": N_("status changed"),
    "view": N_("viewed"),
    "create": N_("created"),
    "update": N_("changed"),
    "delete": N_("deleted"),
    "erase": N_("erased"),
    "revoke": N_("revoked"),
    "rotate": N_("rotated"),
    "set_password": N_("password set"),
    "callback": N_("call back"),
    "consent": N_("consent recorded"),
    "revoke_consent": N_("consent revoked"),
    "plan": N_("service plan changed"),
    "charge": N_("charge recorded"),
    "disclose": N_("shown outside the program"),
    "enrol": N_("second factor enrolled"),
    "reset": N_("second factor reset"),
}

# What an audit event is about, as the log's entity filter and rows name it.
ENTITY_WORDS: dict[str, str] = {
    "api_token": N_("API token"),
    "calendar_token": N_("calendar feed link"),
    "message": N_("text message"),
    "officer": N_("officer"),
    "override": N_("override"),
    "participant": N_("participant"),
    "provider": N_("provider"),
    "referral": N_("referral"),
    "rotation": N_("rotation"),
    "second_factor": N_("second factor"),
    "user": N_("person"),
}


# A person's role, as every page names it (its header, the people list, the forms).
ROLE_NAMES: dict[str, str] = {
    "coordinator": N_("coordinator"),
    "supervisor": N_("supervisor"),
    "case_manager": N_("case manager"),
    "prosecutor": N_("prosecutor"),
}


def role_word(role: str) -> str:
    """Return a role in the reader's words ("case manager"); an unknown one as it is."""
    return in_words(ROLE_NAMES, role)


def word(code: Any) -> str:
    """Return a code in words; unknown text as it is, with underscores as spaces."""
    if code is None:
        return "—"
    if isinstance(code, bool):
        return web_text("yes") if code else web_text("no")
    text = str(code)
    return web_text(WORDS[text]) if text in WORDS else text.replace("_", " ")


def words(codes: list[Any] | None, sep: str = ", ") -> str:
    """Return a list of codes in words, joined."""
    return sep.join(word(code) for code in codes or []) or web_text("none")


def in_words(table: Mapping[Any, str], code: Any) -> str:
    """Return a stored code in words from `table`; a code not in it as it is ("—" for none)."""
    if code in table:
        return web_text(table[code])
    return "—" if code is None else str(code)


# How a text fared, how a referral came in, how a call to the hotline went, how a line it
# rang ended: each from its own table, since one code ("failed") means something else in each.
text_word = functools.partial(in_words, TEXT_WORDS)
channel_word = functools.partial(in_words, CHANNEL_WORDS)
call_word = functools.partial(in_words, CALL_WORDS)
leg_word = functools.partial(in_words, LEG_WORDS)
source_word = functools.partial(in_words, SOURCE_WORDS)


def actor_word(actor_id: int | None, channel: str, names: Mapping[int, str]) -> str:
    """Name who made a change: a user, else the CLI, an officer, a caller or the hotline."""
    if actor_id is not None:
        return names.get(actor_id) or web_text("user {n}", n=actor_id)
    return web_text(NOBODY_WORDS.get(channel, NOBODY_WORDS["system"]))


def plan_dates(entry: Mapping[str, Any]) -> str:
    """Name a plan entry's dates by what they mean under its status: " (since …, to end …)"."""
    # A completed entry's start alone read as the day it ended: each date says which it is.
    began = ended = ""
    status = entry["status"]
    if day := entry["started_on"]:  # ISO dates, as the API gives them
        if status == "planned":
            began = web_text("to start {day}", day=day)
        elif status == "started":
            began = web_text("since {day}", day=day)
        else:
            began = web_text("started {day}", day=day)
    if day := entry["ended_on"]:
        if status in ("completed", "stopped"):
            ended = web_text("ended {day}", day=day)
        else:
            ended = web_text("to end {day}", day=day)
    named = ", ".join(part for part in (began, ended) if part)
    return f" ({named})" if named else ""
