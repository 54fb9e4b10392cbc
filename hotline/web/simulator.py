"""The phone simulator: an officer's phone and an on-call phone against the real webhooks."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import abort, current_app, flash, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..db import get_session
from ..digits import ascii_number
from ..jobs import run_job
from ..models import CLOSED_STATUSES, Call, Message, Officer, Referral, User
from ..phones import normalized
from ..services.calls import find_call
from ..services.completion import MISSING_WORDS, missing_fields
from ..services.oncall import who_is_on_call
from ..simulator import CallScript, Leg, VoiceEmulator, flask_poster
from ..simulator.script import DEFAULT_RECORDING
from ..simulator.transport import Poster
from . import bp
from .auth import requires
from .language import web_text as _
from .simulator_transcript import LEG_CHOICES, transcript

log = logging.getLogger(__name__)

MIN_LEG_ROWS = 3
MAX_LEG_ROWS = 8
CHAT_LENGTH = 50
CALLBACK_CHOICES = 20
KEYS = "0123456789*#"
SIMULATED_HOTLINE = "+12065550100"  # the hotline's number when HOTLINE_NUMBER is unset
UNKNOWN_PHONE = "+12065550199"  # the officer's phone while the roster is empty


@dataclass(frozen=True)
class CallReport:
    """One simulated call: its transcript, its webhook requests and the app's record of it."""

    lines: list[tuple[str, str]]
    requests: list[tuple[str, int]]
    record: Call | None
    # What the call's referral still lacks, in words, while it is open: the tour's next step.
    missing: list[str] = field(default_factory=list)


def still_missing(record: Call | None) -> list[str]:
    """Return, in words, what the call's open referral lacks (empty once complete or closed)."""
    referral = get_session().get(Referral, record.referral_id) if record is not None else None
    if referral is None or referral.status in CLOSED_STATUSES:
        return []
    return [_(MISSING_WORDS[name]) for name in missing_fields(referral)]


def simulator_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer 404 unless the simulator is on; then require a role that reads texts.

    Its phones show the texts, names and places included: a prosecutor's
    status-only view must not open onto them, even in development.
    """
    guarded = requires("read_referrals")(view)

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not current_app.config.get("HOTLINE_SIMULATOR"):
            abort(404)
        return guarded(*args, **kwargs)

    return checked


def hotline_number() -> str:
    """Return the number the phones call and text."""
    return str(current_app.config.get("HOTLINE_NUMBER") or SIMULATED_HOTLINE)


def webhooks() -> tuple[Poster, str, str]:
    """Return an in-process poster, the token to sign with and the URL the app checks."""
    config = current_app.config
    base = config.get("HOTLINE_PUBLIC_URL") or "http://localhost"
    return flask_poster(current_app.test_client()), config["TWILIO_AUTH_TOKEN"], base


def dispatch_outbox() -> None:
    """Send the texts the last action queued, as the clock would within ten seconds."""
    try:
        run_job(current_app, "dispatch-outbox", datetime.now(UTC))
    except Exception:
        log.exception("dispatch-outbox failed in the simulator")
        flash(_("Sending the queued texts failed: see the log."))


def chosen_officer_phone(values: Mapping[str, str]) -> str:
    """Return the officer phone's number: typed, chosen from the roster, or a default."""
    region = current_app.config["HOTLINE_DEFAULT_REGION"]
    for candidate in (values.get("other", "").strip(), values.get("officer", "").strip()):
        if candidate:
            number = normalized(candidate, region)
            if number is not None:
                return number
            flash(
                _(
                    "{number} is not a phone number: write it with + and the country code.",
                    number=candidate,
                )
            )
    on_roster = select(Officer.phone).where(Officer.active.is_(True)).order_by(Officer.name)
    first = get_session().scalars(on_roster).first()
    return first or UNKNOWN_PHONE


def chosen_oncall(values: Mapping[str, str]) -> User | None:
    """Return the on-call phone's owner: chosen, else the first a call rings now, else anyone.

    In a tier-1 gap a call rings tier 2 first: that phone is the one to answer on.
    """
    session = get_session()
    raw = values.get("oncall", "")
    user = session.get(User, user_id) if (user_id := ascii_number(raw)) is not None else None
    if user is not None:
        return user
    answer = who_is_on_call(session, datetime.now(UTC), [])
    for tier in sorted(answer["tiers"], key=lambda tier: tier["tier"]):
        if tier["user"] is not None:
            return session.get(User, tier["user"]["id"])
    return session.scalars(select(User).order_by(User.active.desc(), User.name)).first()


def directory(session: Session) -> dict[str, str]:
    """Return a name for every number the simulator may show: people, officers, fallbacks."""
    fallback = _("fallback number")
    names: dict[str, str] = {
        number: fallback for number in current_app.config["HOTLINE_FALLBACK_NUMBERS"]
    }
    # A phone handed on names the officer who has it now.
    officers = select(Officer.phone, Officer.name).order_by(Officer.active)
    names.update({row.phone: row.name for row in session.execute(officers)})
    names.update({row.phone: row.name for row in session.execute(select(User.phone, User.name))})
    return names


def conversation(session: Session, number: str) -> list[Message]:
    """Return the latest texts from or to `number`, oldest first."""
    statement = (
        select(Message)
        .where(or_(Message.from_number == number, Message.to_number == number))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(CHAT_LENGTH)
    )
    return list(reversed(session.scalars(statement).all()))


def path_of(url: str) -> str:
    """Return a webhook URL's path and query, as the page lists requests."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def call_script(form: Mapping[str, str], voicemail: str) -> CallScript:
    """Read the call form: the caller's keys, each dialled phone's answer, the voicemail."""
    prompts = [part.strip() for part in form.get("keys", "").split(",")]
    gathers: list[str | None] = [
        "".join(key for key in part if key in KEYS) or None for part in prompts
    ]
    legs = []
    for row in range(1, MAX_LEG_ROWS + 1):
        value = form.get(f"leg{row}")
        if value is not None:
            legs.append(Leg(next((o for o in LEG_CHOICES if o == value), "no-answer")))
    # The app's own sample at `voicemail`: the referral page's "play the voicemail" plays it.
    recording = (voicemail, DEFAULT_RECORDING[1]) if form.get("voicemail") == "leave" else None
    return CallScript(
        gathers=gathers if any(gathers) else [], legs_in_order=legs, recording=recording
    )


def render_phones(
    officer: str, oncall: User | None, call: CallReport | None = None, **extra: Any
) -> str:
    """Render both phones, their conversations and, after a call, its transcript."""
    session = get_session()
    answer = who_is_on_call(
        session, datetime.now(UTC), current_app.config["HOTLINE_FALLBACK_NUMBERS"]
    )
    names = directory(session)
    officers = session.scalars(select(Officer).order_by(Officer.name)).all()
    steps = [names.get(number, number) for number in answer["chain"]]
    steps += [""] * (MIN_LEG_ROWS - len(steps))
    return render_template(
        "simulator.html",
        officer=officer,
        officer_name=next((o.name for o in officers if o.phone == officer and o.active), None),
        officers=officers,
        oncall=oncall,
        users=session.scalars(select(User).order_by(User.active.desc(), User.name)).all(),
        tiers=answer["tiers"],
        officer_chat=conversation(session, officer),
        oncall_chat=conversation(session, oncall.phone) if oncall is not None else [],
        steps=steps[:MAX_LEG_ROWS],
        choices={value: _(words) for value, words in LEG_CHOICES.items()},
        call=call,
        names=names,
        hotline=hotline_number(),
        # What the on-call phone may call back: referrals with an officer phone, newest first.
        callback_referrals=session.execute(
            select(Referral.id, Referral.officer_phone)
            .where(Referral.officer_phone.is_not(None))
            .order_by(Referral.id.desc())
            .limit(CALLBACK_CHOICES)
        ).all(),
        **extra,
    )


@simulator_only
def simulator() -> str:
    """Show the officer's phone and the on-call phone side by side."""
    return render_phones(chosen_officer_phone(request.args), chosen_oncall(request.args))


@simulator_only
def simulator_call() -> str:
    """Call the hotline from the officer's phone and show what everyone heard."""
    officer = chosen_officer_phone(request.form)
    oncall = chosen_oncall(request.form)
    base = current_app.config.get("HOTLINE_PUBLIC_URL") or request.url_root
    script = call_script(request.form, base.rstrip("/") + url_for("web.demo_voicemail"))
    # A fresh app context: the webhooks get sessions of their own, as from Twilio.
    with current_app.app_context():
        result = VoiceEmulator(*webhooks()).call(officer, hotline_number(), script)
    dispatch_outbox()
    session = get_session()
    requests = [(path_of(url), status) for url, _, status in result.requests]
    record = find_call(session, result.call_sid)
    report = CallReport(
        transcript(result, directory(session)), requests, record, still_missing(record)
    )
    return render_phones(officer, oncall, report)


def register_routes(state: BlueprintSetupState) -> None:
    """Add the simulator's routes to an app that has it on (elsewhere they do not exist)."""
    if not state.app.config.get("HOTLINE_SIMULATOR"):
        return
    state.add_url_rule("/simulator", "simulator", simulator, methods=["GET"])
    state.add_url_rule("/simulator/call", "simulator_call", simulator_call, methods=["POST"])


bp.record(register_routes)
