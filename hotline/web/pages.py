"""Sign-in, sign-out and the dashboard."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from flask import (
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import and_, select
from werkzeug.wrappers import Response

from ..db import get_session
from ..demo_tour import next_gap_day
from ..models import Call, Officer, OptOut, Referral
from ..services import people
from ..services.completion import next_to_complete
from ..services.departed_holders import HOLDER_CAN_ACT, orphaned
from ..services.oncall import broken_rows, schedule_segments, who_is_on_call
from ..services.referral_actions import TAKEN_UNASSESSED, UNOWNED
from . import bp, program_zone
from .auth import (
    attempt_login,
    current_user,
    is_supervisor,
    login_required,
    seconds_left,
    site_target,
    start_session,
    user_can,
)
from .calendar_days import calendar_context, day_window
from .language import web_text as _
from .second_factor import begin_second_step, needs_second_step
from .timeline import age_words

DASHBOARD_DAYS = 7


def user_names() -> dict[int, str]:
    """Return every user's name by id."""
    return people.user_names(get_session())


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    """Sign in with email and password."""
    error = None
    if request.method == "POST":
        address = request.remote_addr or "unknown"
        outcome = attempt_login(
            get_session(),
            request.form.get("email", ""),
            request.form.get("password", ""),
            address,
            datetime.now(UTC),
        )
        if isinstance(outcome, str):
            error = _(outcome)  # a refusal marked N_ in auth
        else:
            target = site_target(request.args.get("next", ""))
            if needs_second_step(outcome):
                return begin_second_step(outcome, target, datetime.now(UTC))
            start_session(outcome)
            return redirect(target)
    status = 200 if error is None else 401
    return render_template("login.html", error=error), status  # type: ignore[return-value]


@bp.get("/session/stay")
@login_required
def stay_signed_in() -> Response:
    """Count as activity (the idle warning's "Stay signed in"); answer nothing."""
    return Response(status=204)


@bp.get("/session/left")
def session_left() -> Response:
    """Say how many seconds this session has left, without counting as activity."""
    # Each tab's timer asks before it warns or signs out: another tab may have been used.
    return jsonify(seconds=seconds_left(time.time()))


@bp.get("/logout")
def confirm_logout() -> str | Response:
    """Offer the sign-out button at the bookmarkable address (signing out is a POST)."""
    if current_user() is None:
        return redirect(url_for("web.login"))
    return render_template("logout.html")


@bp.post("/logout")
def logout() -> Response:
    """Sign out: this browser and every other one signed in as the same user."""
    user = current_user()
    if user is not None:
        db = get_session()
        people.end_sessions(db, user)
        db.commit()
    session.clear()
    flash(_("Signed out."))
    return redirect(url_for("web.login"))


class Unowned(NamedTuple):
    """A referral nobody has taken, its age in words, and whether it is past the ACK time."""

    referral: Referral
    age: str
    overdue: bool


def unowned_referrals(now: datetime, ack_minutes: int) -> list[Unowned]:
    """Return the referrals nobody owns (received, notified), oldest first (SPEC §6)."""
    referrals = get_session().scalars(
        select(Referral).where(UNOWNED).order_by(Referral.created_at, Referral.id)
    )
    return [
        Unowned(
            r, age_words(now - r.created_at), now - r.created_at >= timedelta(minutes=ack_minutes)
        )
        for r in referrals
    ]


class Orphaned(NamedTuple):
    """A referral whose holder can no longer act on it: who, whether they left, its age."""

    referral: Referral
    holder: str
    left: bool
    role: str
    age: str


def orphaned_referrals(now: datetime) -> list[Orphaned]:
    """Return the open referrals held by someone gone, oldest first: anyone may take them over."""
    return [
        Orphaned(r, holder.name, not holder.active, holder.role, age_words(now - r.created_at))
        for r, holder in orphaned(get_session())
    ]


@bp.get("/")
@login_required
def dashboard() -> str | Response:
    """Show who is on call now, the next 7 days with gaps, and the work waiting.

    A case manager's home is their caseload, a prosecutor's their status-only view.
    """
    user = current_user()
    if user is not None and not user_can("take_calls") and user_can("see_participants"):
        return redirect(url_for("web.participants_page"))
    now = datetime.now(UTC)
    zone = program_zone()
    db = get_session()
    answer = who_is_on_call(db, now, current_app.config["HOTLINE_FALLBACK_NUMBERS"])
    if answer["tiers"] and all(tier["tier"] != 1 for tier in answer["tiers"]):
        # /oncall lists only tiers with a rotation; the first step of the chain is shown
        # anyway, as the calendar below shows it: calls then ring tier 2 first.
        unscheduled = {"tier": 1, "user": None, "source": None, "until": None, "unscheduled": True}
        answer = {**answer, "tiers": [unscheduled, *answer["tiers"]]}
    on_call_phones = [tier["user"]["phone"] for tier in answer["tiers"] if tier["user"]]
    # Their SMS alerts are suppressed (they are passed over): say so where it is seen.
    texts_off = set(db.scalars(select(OptOut.phone).where(OptOut.phone.in_(on_call_phones))))
    today = now.astimezone(zone).date()
    start, end = day_window(today, DASHBOARD_DAYS, zone)
    segments = schedule_segments(db, start, end, None, primary=True)
    names = user_names()
    unowned = unowned_referrals(now, current_app.config["HOTLINE_ACK_MINUTES"])
    waiting = db.scalars(
        select(Referral)
        .where(and_(TAKEN_UNASSESSED, HOLDER_CAN_ACT))  # the others are listed as orphaned
        .order_by(Referral.created_at)
    ).all()
    midnight = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    calls = db.scalars(
        select(Call).where(Call.started_at >= midnight).order_by(Call.started_at.desc())
    ).all()
    return render_template(
        "dashboard.html",
        now=now,
        answer=answer,
        texts_off=texts_off,
        **calendar_context(segments, today, DASHBOARD_DAYS, names, zone, now),
        unowned=unowned,
        orphaned=orphaned_referrals(now),
        waiting=waiting,
        calls=calls,
        names=names,
        # The guided tour calls as the roster's first officer (Officer Smith in the demo).
        tour_officer=db.scalars(select(Officer).order_by(Officer.id)).first(),
        tour_referral=tour_referral(),
        # In the demo, Fay's weekend: the next gap, however long ago the demo was built.
        tour_weekend=next_gap_day(db, now, zone)
        if current_app.config.get("HOTLINE_DEMO")
        else None,
        is_supervisor=is_supervisor(),
        # Left out of the answer above: the hole it makes must not go unexplained (SPEC §2).
        broken=broken_rows(db) if is_supervisor() else [],
    )


def tour_referral() -> Referral | None:
    """Return the tour's next step: the newest open call referral that still lacks something."""
    return next_to_complete(get_session())
