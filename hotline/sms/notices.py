"""The words of every notice the hotline texts (hotline.messaging.notices), in each language."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from ..i18n import N_, Translate, translator
from ..messaging.notices import (
    CallbackNotPlaced,
    Caller,
    CallNotTaken,
    ChargeRecorded,
    CoverageGap,
    DeliveryFailed,
    IntakeWindowClosed,
    NewReferral,
    Notice,
    OfficerMetParticipant,
    OfficerStatus,
    ParticipantReferredAgain,
    RecordingAfterAll,
    ShiftStarting,
    TakenByOther,
    Undelivered,
    Wording,
)
from ..messaging.segments import fit, gsm_folded
from ..services.local_times import shown_twice

# What an officer reads of a referral's state (the domain chose the status; SPEC §6).
OFFICER_STATUS_WORDS = {
    "received": N_("received"),
    "with_coordinator": N_("with a coordinator"),
    "not_accepted": N_("not accepted"),
    "intake_completed": N_("intake completed"),
    "intake_missed": N_("intake not completed"),
}
KIND_WORDS = {
    "arrest_diversion": N_("Arrest diversion"),
    "social_contact": N_("Social contact"),
    None: N_("Referral"),
}
OFFENSE_WORDS = {
    "possession": N_("possession"),
    "subsistence_sale": N_("subsistence sale"),
    "sex_work": N_("sex work"),
    "other": N_("other low-level"),
}
# Why a text did not get through (Undelivered.what): Twilio's statuses, or what sending met.
UNDELIVERED_WORDS = {
    "undelivered": N_("undelivered"),
    "failed": N_("failed"),
    "canceled": N_("canceled"),
    "timed out": N_("timed out"),
    "connection failed": N_("connection failed"),
    "no outcome": N_("no outcome"),
    "unexpected error": N_("unexpected error"),
    # A call back's own (services.callbacks).
    "not placed within 2 minutes": N_("not placed within 2 minutes"),
    "the run placing it stopped": N_("the run placing it stopped"),
}
# Weekdays without accents: an accent would make the whole text UCS-2 (a third the length).
WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lun", "mar", "mie", "jue", "vie", "sab", "dom"),
}


def wording(default_language: str) -> Wording:
    """Return the wording for notices; a recipient with no language reads `default_language`."""
    return partial(word_notice, default_language=default_language)


def word_notice(notice: Notice, language: str | None, *, default_language: str = "en") -> str:
    """Return the text of one notice in `language`, folded to GSM-7 where that is all it takes."""
    return gsm_folded(spelled_out(notice, language or default_language))


def spelled_out(notice: Notice, language: str) -> str:
    """Return the text of one notice in `language`, as the catalog spells it."""
    _ = translator("sms", language)
    match notice:
        case NewReferral():
            return new_referral(_, notice)
        case CallNotTaken():
            return call_not_taken(_, notice)
        case RecordingAfterAll(referral_id=n, link=link, taken=taken):
            after_all = _("LEAD #{n}: the voicemail has a message after all.", n=n)
            after_all = asking_to_take(_, after_all, n, not taken)
            return f"{after_all} {link}" if link else after_all
        case OfficerStatus(referral_id=n, status=status, coordinator=None):
            return _("LEAD #{n}: {status}.", n=n, status=_(OFFICER_STATUS_WORDS[status]))
        case OfficerStatus(referral_id=n, status=status, coordinator=name):
            words = _(OFFICER_STATUS_WORDS[status])
            return _("LEAD #{n}: {status}, {name}.", n=n, status=words, name=name)
        case TakenByOther(referral_id=n, taker=taker):
            return _("LEAD #{n} is taken by {name}. Nothing to do.", n=n, name=taker)
        case IntakeWindowClosed(referral_id=n, days=days):
            return _(
                "LEAD #{n}: the {days}-day intake window closed, so it is now intake not "
                "completed. If it was completed, reply NOTE {n} and what happened.",
                n=n,
                days=days,
            )
        case ShiftStarting():
            return shift_starting(_, notice, language)
        case CoverageGap():
            return coverage_gap(_, notice, language)
        case CallbackNotPlaced(referral_id=n, reason=reason):
            return _(
                "LEAD #{n}: the call back could not be placed ({error}). "
                "Reply CALL {n} to try again.",
                n=n,
                error=undelivered_words(_, reason),
            )
        case ChargeRecorded(participant_id=n, on=on, by_prosecutor=by_prosecutor):
            return _(
                "LEAD participant #{n}: {who} recorded a new charge dated {date}. "
                "See the participant's page.",
                n=n,
                who=_("a prosecutor") if by_prosecutor else _("a supervisor"),
                date=on.isoformat(),
            )
        case OfficerMetParticipant(participant_id=n, participant_name=who, officer_name=officer):
            met: dict[str, object] = {
                "n": n,
                "name": who,
                "officer": caller_words(_, Caller(officer, None, None), with_phone=False),
                "time": clock_text(notice.at, zone=ZoneInfo(notice.zone), language=language, _=_),
            }
            if notice.texted:
                return _(
                    "LEAD participant #{n} {name}: {officer} met them and texted CONTACT "
                    "at {time}.",
                    **met,
                )
            return _(
                "LEAD participant #{n} {name}: {officer} met them; a coordinator recorded it "
                "at {time}.",
                **met,
            )
        case ParticipantReferredAgain(participant_id=n, participant_name=who, referral_id=r):
            officer = caller_words(_, Caller(notice.officer_name, None, None), with_phone=False)
            return _(
                "LEAD participant #{n} {name}: {officer} referred them again, referral #{r}.",
                n=n,
                name=who,
                officer=officer,
                r=r,
            )
        case DeliveryFailed(masked_number=number, referral_id=None, reason=reason):
            return _(
                "LEAD hotline: a text to {number} could not be delivered ({reason}).",
                number=number,
                reason=undelivered_words(_, reason),
            )
        case DeliveryFailed(masked_number=number, referral_id=n, reason=reason):
            failed = _(
                "LEAD hotline: a text to {number} about referral #{n} could not be delivered "
                "({reason}).",
                number=number,
                n=n,
                reason=undelivered_words(_, reason),
            )
            assert n is not None  # the case above takes a text about no referral
            return asking_to_take(_, failed, n, notice.untaken)
    raise TypeError(f"no words for {notice!r}")


def undelivered_words(_: Translate, reason: Undelivered) -> str:
    """Return why a text did not get through, e.g. "error 20500 after 6 tries"."""
    if reason.what == "refused":
        said = _("error {code}", code=reason.code) if reason.code else _("refused")
    else:
        # A technical note of no known kind ("HTTP 404") is shown as it is.
        what = (
            _(UNDELIVERED_WORDS[reason.what]) if reason.what in UNDELIVERED_WORDS else reason.what
        )
        said = _("{what}, error {code}", what=what, code=reason.code) if reason.code else what
    if reason.tries:
        return _("{reason} after {n} tries", reason=said, n=reason.tries)
    return said


def asking_to_take(_: Translate, text: str, n: int, untaken: bool) -> str:
    """End a text about referral `n` with how to take it while nobody has (SPEC §5)."""
    if not untaken:
        return text
    return text + " " + _("Reply ACK {n} to take it.", n=n)


def caller_words(_: Translate, caller: Caller, *, with_phone: bool = True) -> str:
    """Return how staff read the referrer: "Officer Smith (SPD) +1…" or an unverified caller."""
    if caller.name is not None:
        head, _space, rest = caller.name.partition(" ")
        bare = rest if head.lower() == "officer" and rest else caller.name
        name = _("Officer {name}", name=bare)  # the title in the reader's words
        if not with_phone:
            return name
        return f"{name} ({caller.agency}) {caller.phone}"
    if not with_phone:
        return _("an unverified caller")
    if caller.badge:
        return _(
            "unverified caller (badge {badge}, {phone})",
            badge=caller.badge,
            phone=caller.phone or _("no number"),
        )
    return _("unverified caller ({phone})", phone=caller.phone or _("no number"))


def new_referral(_: Translate, notice: NewReferral) -> str:
    """Return the alert about a new referral; the ACK line comes first so it is never cut."""
    kind = _(KIND_WORDS.get(notice.type, KIND_WORDS[None]))
    if notice.offense:
        kind += ", " + _(OFFENSE_WORDS.get(notice.offense, notice.offense))
    head = _(
        "LEAD #{n}: Reply ACK {n} to take it. {kind} from {who}.",
        n=notice.referral_id,
        kind=kind,
        who=caller_words(_, notice.caller),
    )
    details = " " + _(
        "{name} at {place}.",
        name=notice.participant_name or "",
        place=notice.location or _("unknown place"),
    )
    return fit(head, details)


def call_not_taken(_: Translate, notice: CallNotTaken) -> str:
    """Return the staff text about a call nobody took: who, what happened, `Reply ACK n`."""
    endings = {
        "abandoned": _("hung up before anyone answered"),
        "voicemail": _("left a voicemail"),
        "silent": _("reached voicemail and hung up without a message"),
    }
    body = _(
        "LEAD hotline: a call from {who} ({number}) {what}; nobody has taken it. "
        "Referral #{n}. Reply ACK {n} to take it.",
        who=caller_words(_, notice.caller, with_phone=False),
        number=notice.callback_number or _("no number"),
        what=endings[notice.ending],
        n=notice.referral_id,
    )
    return f"{body} {notice.link}" if notice.link else body


def shift_starting(_: Translate, notice: ShiftStarting, language: str) -> str:
    """Return the text telling someone their shift starts, and until when."""
    clock = partial(clock_text, zone=ZoneInfo(notice.zone), language=language, _=_)
    if notice.until is None:  # nobody is scheduled to take over
        return _(
            "You are LEAD on-call (tier {tier}) from {start} until further notice.",
            tier=notice.tier,
            start=clock(notice.start),
        )
    return _(
        "You are LEAD on-call (tier {tier}) from {start} to {until}.",
        tier=notice.tier,
        start=clock(notice.start),
        until=clock(notice.until),
    )


def coverage_gap(_: Translate, notice: CoverageGap, language: str) -> str:
    """Return the supervisors' text about tier-1 gaps."""
    clock = partial(clock_text, zone=ZoneInfo(notice.zone), language=language, _=_)
    named = "; ".join(
        _("{start} to {end}", start=clock(start), end=clock(end))
        if end is not None
        else _("{start} until further notice", start=clock(start))
        for start, end in notice.gaps
    )
    more = " " + _("and {count} more", count=notice.more) if notice.more else ""
    where = _("See {link}", link=notice.link) if notice.link else _("See hotline schedule.")
    return _("LEAD coverage gap: nobody on tier 1 {gaps}{more}.", gaps=named, more=more) + (
        " " + where
    )


def clock_text(
    instant: datetime | None,
    *,
    zone: ZoneInfo,
    language: str,
    _: Translate,
    with_zone: bool = False,
) -> str:
    """Return an instant as people read it in the program's zone, e.g. "Sat 12/06 08:00".

    A time the clocks show twice (the hour repeated at fall-back) says which pass
    it is, "01:30 PDT" or "01:30 PST"; `with_zone` adds the zone's abbreviation always.
    """
    if instant is None:
        return _("further notice")
    local = instant.astimezone(zone)
    weekday = WEEKDAYS.get(language, WEEKDAYS["en"])[local.weekday()]
    day = local.strftime("%d/%m") if language == "es" else local.strftime("%m/%d")
    abbreviation = f" {local:%Z}" if with_zone or shown_twice(local) else ""
    return f"{weekday} {day} {local:%H:%M}{abbreviation}"
