"""The simulator's on-call phone calls an officer back: the hotline rings it first (SPEC §4.10)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, redirect, request, url_for
from flask.blueprints import BlueprintSetupState
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..db import get_session
from ..digits import ascii_number
from ..i18n import N_
from ..models import Callback
from ..services.callbacks import place_due_callbacks
from ..simulator import CallScript, EmulatedCalls, Leg, VoiceEmulator
from ..simulator.script import LegOutcome
from . import bp
from .language import web_text as _
from .referrals import call_back
from .simulator import (
    CallReport,
    chosen_officer_phone,
    chosen_oncall,
    directory,
    dispatch_outbox,
    hotline_number,
    path_of,
    render_phones,
    simulator_only,
    webhooks,
)
from .simulator_transcript import EVENT_LABELS, transcript
from .words import word

# What the officer's phone may do when the hotline dials it (the form words them).
OFFICER_CHOICES: tuple[LegOutcome, ...] = ("accept", "no-answer", "busy")
CALLBACK_LABELS = {**EVENT_LABELS, "say": N_("Your phone hears"), "gather": N_("You press")}


@simulator_only
def simulator_callback() -> str | Response:
    """Call back a referral's officer from the on-call phone and show the whole call."""
    officer = chosen_officer_phone(request.form)
    oncall = chosen_oncall(request.form)
    number = ascii_number(request.form.get("referral", ""))
    if oncall is None or number is None:
        flash(_("Choose whose phone calls back, and which referral."))
        return redirect(url_for("web.simulator", officer=officer))
    leg = request.form.get("officer_leg", "accept")
    script = CallScript(
        gathers=["1" if request.form.get("press") == "1" else None],
        legs_in_order=[Leg(next((o for o in OFFICER_CHOICES if o == leg), "accept"))],
    )
    # A fresh app context: the webhooks get sessions of their own, as from Twilio.
    with current_app.app_context():
        calls = EmulatedCalls(VoiceEmulator(*webhooks()), script)
        message = call_back(number, oncall.id, datetime.now(UTC), calls)
    dispatch_outbox()
    flash(message)
    if not calls.results:
        return render_phones(officer, oncall)
    session = get_session()
    [result] = calls.results
    requests = [(path_of(url), status) for url, _, status in result.requests]
    # On a call back the emulated "caller" is the on-call phone the hotline rang.
    lines = transcript(result, directory(session), CALLBACK_LABELS)
    report = CallReport(lines, requests, None)
    ended = session.scalars(select(Callback).where(Callback.call_sid == result.call_sid)).first()
    outcome = word(ended.outcome) if ended is not None and ended.outcome else _("still under way")
    return render_phones(
        officer,
        oncall,
        callback_call=report,
        callback_outcome=outcome,
        callback_referral=int(number),
    )


def play_texted_callbacks() -> None:
    """Ring the on-call phone for a CALL n just texted: it answers, presses 1, the officer answers.

    The clock would hand it to Twilio within 10 s; the simulator plays it at once instead.
    """
    script = CallScript(gathers=["1"], legs_in_order=[Leg("accept")])
    with current_app.app_context():
        calls = EmulatedCalls(VoiceEmulator(*webhooks()), script)
        session = get_session()
        placed = place_due_callbacks(session, datetime.now(UTC), calls, hotline_number())
    for call in placed:
        ended = get_session().get(Callback, call.callback_id)
        outcome = word(ended.outcome) if ended is not None and ended.outcome else _("under way")
        flash(
            _(
                "The hotline called this phone back about #{n}, you pressed 1: {outcome}. "
                "The referral's timeline shows it.",
                n=call.referral_id,
                outcome=outcome,
            )
        )


def register_routes(state: BlueprintSetupState) -> None:
    """Add the route where the simulator is on (elsewhere it does not exist)."""
    if state.app.config.get("HOTLINE_SIMULATOR"):
        state.add_url_rule(
            "/simulator/callback", "simulator_callback", simulator_callback, methods=["POST"]
        )


bp.record(register_routes)
