"""Referrals: the list, one referral's timeline and actions, and its brief assessment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import false, func, select
from werkzeug.wrappers import Response

from ..audit import Actor, record
from ..db import get_session
from ..digits import ascii_number
from ..i18n import N_
from ..messaging.transport import LOG_SID_PREFIX, Transport, transport_for
from ..models import (
    CLOSED_STATUSES,
    OPEN_FOR_ACK,
    Callback,
    Officer,
    Referral,
)
from ..rotation.bounds import MAX_YEAR, MIN_YEAR
from ..services import referral_actions as actions
from ..services.assessments import latest_assessment
from ..services.callbacks import CallbackQueued, place_due_callbacks, request_callback
from ..services.departed_holders import holder_is_gone
from ..services.people import user_names
from . import bp, program_zone
from .action_words import action_message, caller_label
from .assessment import why_not_assessable
from .auth import current_user, requires, user_can
from .form_once import form_used, repeated_post
from .language import web_text as _
from .referral_timeline import timeline
from .words import word

WAITING = ("received", "notified", "acknowledged")
PAGE_SIZE = 100
NO_TYPE = "none"  # the type filter's value for a referral whose type is not set
STATUS_ACTIONS = ("ack", "intake_completed", "intake_missed", "not_a_referral")
# What the services answer when a race settled against this click (the page had offered it).
REFUSED = (actions.AlreadyYours, actions.TakenBy, actions.NotOpen, actions.NotTakenYet)


def _filters() -> dict[str, str]:
    keys = ("status", "channel", "type", "agency", "officer", "since", "until")
    return {key: request.args.get(key, "").strip() for key in keys}


@bp.get("/referrals")
@requires("read_referrals")
def referrals() -> tuple[str, int]:
    """List referrals, those waiting for an ACK or an assessment first."""
    chosen = _filters()
    statement = select(Referral).outerjoin(Officer, Officer.id == Referral.officer_id)
    for column in ("status", "channel"):
        if chosen[column]:
            statement = statement.where(getattr(Referral, column) == chosen[column])
    if chosen["type"] == NO_TYPE:  # a call nobody has completed yet (the reports' "not set")
        statement = statement.where(Referral.type.is_(None))
    elif chosen["type"]:
        statement = statement.where(Referral.type == chosen["type"])
    if chosen["agency"]:
        statement = statement.where(Officer.agency == chosen["agency"])
    if (officer_id := ascii_number(chosen["officer"])) is not None:
        statement = statement.where(Referral.officer_id == officer_id)
    elif chosen["officer"].isascii() and chosen["officer"].isdigit():  # past any officer's id
        statement = statement.where(false())
    zone = program_zone()
    errors: dict[str, str] = {}
    for key, compare in (
        ("since", Referral.created_at.__ge__),
        ("until", Referral.created_at.__lt__),
    ):
        if not chosen[key]:
            continue
        try:
            day = datetime.strptime(chosen[key], "%Y-%m-%d").replace(tzinfo=zone)
        except ValueError:  # a day that is none (2026-02-30) is named, not dropped unseen
            errors[key] = _("Write the date as YYYY-MM-DD, a day that exists.")
            continue
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            # No referral is that old or new (and the day after 9999-12-31 is no date): a
            # bound on the far side of them all keeps none, on the near side every one.
            if (day.year > MAX_YEAR) == (key == "since"):
                statement = statement.where(false())
            continue
        statement = statement.where(
            compare(day + (timedelta(days=1) if key == "until" else timedelta()))
        )
    session = get_session()
    # Every waiting referral, the longest waiting first, however many newer ones there are;
    # then the newest of the others, with how many there are in all.
    waiting = session.scalars(
        statement.where(Referral.status.in_(WAITING)).order_by(Referral.created_at, Referral.id)
    ).all()
    others = statement.where(Referral.status.not_in(WAITING))
    newest = session.scalars(
        others.order_by(Referral.created_at.desc(), Referral.id.desc()).limit(PAGE_SIZE)
    ).all()
    other_count = session.scalar(select(func.count()).select_from(others.subquery())) or 0
    rows = [*waiting, *newest]
    officers = {o.id: o for o in session.scalars(select(Officer))}
    names = user_names(session)
    agencies = sorted({o.agency for o in officers.values()})
    return render_template(
        "referrals.html",
        rows=rows,
        chosen=chosen,
        officers=officers,
        names=names,
        agencies=agencies,
        now=datetime.now(UTC),
        waiting=WAITING,
        shown_others=len(newest),
        other_count=other_count,
        errors=errors,
    ), 400 if errors else 200


def offered(referral: Referral, user_id: int, holder_gone: bool) -> dict[str, str | None]:
    """Return each action with None when it is offered, else why it is not (SPEC §9).

    `holder_gone`: its holder may no longer work referrals, so anyone may take it over.
    """
    number, status = referral.id, referral.status
    # Calling the officer back needs their phone, not an open referral.
    always: dict[str, str | None] = {
        "note": None,
        "callback": None
        if referral.officer_phone
        else _("#{n} has no officer phone to call back.", n=number),
    }
    if status in CLOSED_STATUSES:
        closed = _(
            "#{n} is closed ({status}): its status cannot change.", n=number, status=word(status)
        )
        return dict.fromkeys(STATUS_ACTIONS, closed) | always
    reasons: dict[str, str | None] = dict.fromkeys(STATUS_ACTIONS) | always
    # Offered to its holder too while it is still open for ACK (their `unable_to_contact`
    # assessment left it so): as ACK by text, it moves it on, so its intake can be closed.
    holder = referral.acknowledged_by
    if holder_gone:
        reasons["ack"] = None  # "Take it" takes it over, whatever its open status
    elif holder == user_id and status not in OPEN_FOR_ACK:
        reasons["ack"] = _("You already have #{n}.", n=number)
    elif holder not in (None, user_id) or status not in OPEN_FOR_ACK:
        reasons["ack"] = _("#{n} is already taken: it is {status}.", n=number, status=word(status))
    if status not in actions.OPEN_FOR_INTAKE:
        later = _("#{n} is not acknowledged yet: acknowledge it first.", n=number)
        reasons["intake_completed"] = reasons["intake_missed"] = later
    return reasons


def _page(
    row: Referral, error: str | None = None, typed: str = "", note_refused: bool = False
) -> str:
    """Render one referral's page, `typed` back in the note box; its being shown is recorded.

    `note_refused` marks the note box as the field `error` is about.
    """
    session = get_session()
    user = current_user()
    assert user is not None
    record(session, Actor(user.id, "web"), datetime.now(UTC), "view", "referral", row.id)
    session.commit()
    latest, versions = latest_assessment(session, row.id)
    officer = session.get(Officer, row.officer_id) if row.officer_id else None
    names = user_names(session)
    holder_gone = holder_is_gone(session, row.id)
    return render_template(
        "referral.html",
        referral=row,
        officer=officer,
        latest=latest,
        versions=versions,
        timeline=timeline(row, names),
        names=names,
        # A case manager reads the referral; only coordinators and supervisors act on it.
        holder_gone=holder_gone,
        offered={k for k, why in offered(row, user.id, holder_gone).items() if why is None}
        if user_can("work_referrals")
        else set(),
        error=error,
        typed=typed,
        note_refused=note_refused,
        assessable=why_not_assessable(row) is None,
    )


@bp.get("/referrals/<int:referral_id>")
@requires("read_referrals")
def referral(referral_id: int) -> str:
    """Show one referral: facts, timeline, assessment versions and the actions it allows."""
    row = get_session().get(Referral, referral_id)
    if row is None:
        abort(404)
    return _page(row)


@bp.post("/referrals/<int:referral_id>/actions")
@requires("work_referrals")
def referral_action(referral_id: int) -> Response | tuple[str, int]:
    """Acknowledge, note, close the intake or mark not a referral, as by text."""
    session = get_session()
    user = current_user()
    assert user is not None
    now, sender = datetime.now(UTC), current_app.config["HOTLINE_NUMBER"]
    action = request.form.get("action", "")
    text = request.form.get("text", "").strip()
    row = session.get(Referral, referral_id)
    if row is None:
        abort(404)
    refusal = offered(row, user.id, holder_is_gone(session, row.id)).get(action)
    if refusal is not None:  # a stale page, or a hand-made POST: say why, change nothing
        if form_used():  # unless a phone's retry, refused by its first post's own effect
            return redirect(url_for("web.referral", referral_id=referral_id))
        return _page(row, refusal, typed=text), 409
    if action in ("note", "intake_completed", "intake_missed") and len(text) > actions.NOTE_LIMIT:
        too_long = _(
            "A note holds at most 2,000 characters; this one has {count}. Nothing was saved: "
            "shorten it below and send it again.",
            count=format(len(text), ","),
        )
        return _page(row, too_long, typed=text, note_refused=True), 422
    if action == "note" and not text:
        return _page(row, _("Write the note first: nothing was saved."), note_refused=True), 422
    if repeated_post():
        return redirect(url_for("web.referral", referral_id=referral_id))
    outcome: actions.ActionOutcome | None = None
    if action == "ack":
        outcome = actions.acknowledge(session, referral_id, user, now, "web", sender)
    elif action == "note":
        outcome = actions.add_note(session, referral_id, user, text, now, "web")
    elif action in ("intake_completed", "intake_missed"):
        completed = action == "intake_completed"
        outcome = actions.close_intake(
            session, referral_id, user, completed, text, now, "web", sender
        )
    elif action == "not_a_referral":
        outcome = actions.mark_not_a_referral(session, referral_id, user, now, "web", sender)
    elif action == "callback":
        message = call_back(referral_id, user.id, now, transport_for(current_app.config))
    else:
        abort(400)
    if outcome is not None:
        message = action_message(outcome)
        if isinstance(outcome, REFUSED):  # another got there first: said as a stale page is
            session.rollback()  # the form's token too: it changed nothing
            return _page(row, message, typed=text), 409
    session.commit()
    flash(message)
    return redirect(url_for("web.referral", referral_id=referral_id))


CALLBACK_REFUSALS = {
    "no_referral": N_("There is no referral #{n}."),
    "no_officer_phone": N_("#{n} has no officer phone to call back."),
    "not_staff": N_("Only active coordinators and supervisors may call back."),
    "already_calling": N_("A call back for #{n} is already ringing your phone."),
}


def call_back(referral_id: int, user_id: int, now: datetime, transport: Transport) -> str:
    """Ask for a callback and place it at once; return what the coordinator reads."""
    session = get_session()
    outcome = request_callback(session, referral_id, user_id, now, "web")
    session.commit()
    if not isinstance(outcome, CallbackQueued):
        return _(CALLBACK_REFUSALS[outcome.reason], n=referral_id)
    sender = current_app.config["HOTLINE_NUMBER"]
    placements = place_due_callbacks(session, now, transport, sender, only=outcome.callback_id)
    placed = placements[0] if placements else None
    if placed is None:
        # The clock's dispatch-outbox run claimed it first: it rings, unless that run failed.
        callback = session.get_one(Callback, outcome.callback_id, populate_existing=True)
        failed, reason = callback.outcome == "not_placed", callback.error
        sid = callback.call_sid
    else:
        failed, reason, sid = not placed.result.succeeded, placed.result.error, placed.result.sid
    if failed:
        return _(
            "The call back could not be placed ({reason}). Try again, or call the officer.",
            reason=reason or "?",
        )
    if (sid or "").startswith(LOG_SID_PREFIX):
        return _(
            "No phone rings in development (HOTLINE_TRANSPORT=log): the phone simulator's "
            "Call back plays the whole call."
        )
    return _(
        "Your phone ({phone}) is ringing from the hotline: press 1 to be put through to "
        "{officer}. They will see the hotline's number, not yours.",
        phone=outcome.coordinator_phone,
        officer=caller_label(outcome.officer),
    )
