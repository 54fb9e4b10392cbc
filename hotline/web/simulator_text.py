"""The phones' texts in the simulator: one text to the hotline, then both conversations."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask.blueprints import BlueprintSetupState
from werkzeug.wrappers import Response

from ..simulator import SmsEmulator
from . import bp
from .language import web_text as _
from .simulator import (
    chosen_officer_phone,
    chosen_oncall,
    dispatch_outbox,
    hotline_number,
    simulator_only,
    webhooks,
)
from .simulator_callback import play_texted_callbacks


@simulator_only
def simulator_text() -> Response:
    """Text the hotline from one of the phones, then show both conversations."""
    officer = chosen_officer_phone(request.form)
    oncall = chosen_oncall(request.form)
    side = "oncall" if request.form.get("phone") == "oncall" else "officer"
    sender = officer if side == "officer" else (oncall.phone if oncall is not None else None)
    body = request.form.get("body", "").strip()
    if sender is None or not body:
        flash(_("Write a text to send.") if sender else _("Choose whose phone replies first."))
    else:
        with current_app.app_context():
            answer = SmsEmulator(*webhooks(), hotline_number()).send(sender, body)
        if answer.status != 200:
            flash(_("The hotline's SMS webhook answered HTTP {status}.", status=answer.status))
        if side == "oncall":
            play_texted_callbacks()
        dispatch_outbox()
    target = url_for(
        "web.simulator",
        officer=officer,
        oncall=oncall.id if oncall is not None else None,
        _anchor=f"{side}-latest",
    )
    return redirect(target)


def register_routes(state: BlueprintSetupState) -> None:
    """Add the route where the simulator is on (elsewhere it does not exist)."""
    if state.app.config.get("HOTLINE_SIMULATOR"):
        state.add_url_rule("/simulator/text", "simulator_text", simulator_text, methods=["POST"])


bp.record(register_routes)
