"""The web app for supervisors and coordinators: server-rendered pages (SPEC §9)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, abort, current_app, request
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup

from ..db import get_session
from ..health import clock_state, last_clock_run
from ..permissions import ROLES, can, holders
from ..schemas.assessment import NEEDS
from . import errors
from .assessment_words import answer_word
from .auth import current_user, idle_limit, is_supervisor, user_can
from .form_fields import MAX_ID
from .form_once import form_once
from .language import web_language, web_text
from .override_form import cover_query
from .timeline import age_words, day_pattern, local, local_day
from .words import (
    call_word,
    channel_word,
    leg_word,
    plan_dates,
    role_word,
    source_word,
    text_word,
    word,
    words,
)

bp = Blueprint("web", __name__)
csrf = CSRFProtect()


def program_zone() -> ZoneInfo:
    """Return the program's time zone, in which every page shows times."""
    return ZoneInfo(current_app.config["HOTLINE_TIMEZONE"])


@bp.before_request
def refuse_nul_characters() -> None:
    """Refuse (422) a form or query holding NUL, which PostgreSQL cannot store."""
    if any("\x00" in value for _, value in request.values.items(multi=True)):
        abort(
            422,
            web_text("A field holds a NUL character, which cannot be saved: nothing was changed."),
        )


@bp.url_value_preprocessor
def refuse_ids_past_the_database(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Answer 404 for an id in the address that no row can have (PostgreSQL's ids are 32-bit)."""
    if values and any(isinstance(value, int) and value > MAX_ID for value in values.values()):
        abort(404)


def clock_warning(now: datetime) -> Markup | None:
    """Return why texts are not going out and whom to ask (every signed-in page's banner)."""
    run = last_clock_run(get_session())
    if clock_state(run, now) == "ok":
        return None
    if run.succeeded_at is None:
        when = web_text("The clock process has never sent the queued texts.")
    else:
        zone = program_zone()
        last = local(run.succeeded_at, zone, this_year=now.astimezone(zone).year)
        when = web_text("The clock process last sent the queued texts on {last}.", last=last)
    if run.refused:
        # The clock runs: the account is what to check (credentials, balance, Twilio's status).
        return (
            when
            + " "
            + web_text(
                "Twilio did not take the last text: {reason}. Call officers and coordinators"
                " back by phone, and ask whoever runs the servers to check the Twilio account"
                " and its credentials (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN).",
                reason=run.refused.removeprefix("Twilio answered "),
            )
        )
    return (
        when
        + " "
        + web_text(
            "Call officers and coordinators back by phone, and ask whoever runs the servers to"
            " check that the clock process (hotline scheduler) is running."
        )
    )


def unsent_texts(config: Mapping[str, Any]) -> Markup | None:
    """Return why a production program sends no text at all (a banner), or None."""
    if config["HOTLINE_ENV"] != "production":
        return None
    if config["HOTLINE_TRANSPORT"] == "log":
        return web_text(
            "This program stores its texts and sends none: it has no Twilio account to send"
            " them with (TWILIO_ACCOUNT_SID is not set, or HOTLINE_TRANSPORT is log). Call"
            " officers and coordinators back by phone, and ask whoever runs the servers to"
            " set the Twilio credentials."
        )
    if not config["HOTLINE_NUMBER"]:
        return web_text(
            "HOTLINE_NUMBER is not set: Twilio refuses every text without the hotline's own"
            " number to send it from. Call officers and coordinators back by phone, and ask"
            " whoever runs the servers to set HOTLINE_NUMBER."
        )
    return None


def init_app(app: Flask, exempt: list[Blueprint]) -> None:
    """Register the pages and CSRF protection (webhooks and the token API are exempt)."""
    # Importing the page modules registers their routes on bp.
    from . import (  # noqa: F401
        account,
        assessment,
        audit,
        demo_voicemail,
        overrides,
        pages,
        participant_actions,
        participants,
        people,
        providers,
        referral_completion,
        referrals,
        reports,
        rotations,
        schedule,
        second_factor,
        simulator,
        simulator_callback,
        simulator_text,
        single_sign_on,
    )

    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a form left open overnight still posts
    csrf.init_app(app)
    exempt_names = {blueprint.name for blueprint in exempt}
    for name, blueprint in app.blueprints.items():
        if name.split(".")[0] in exempt_names:  # nested ones ("api.api_people") too
            csrf.exempt(blueprint)
    app.register_blueprint(bp)
    errors.init_app(app)
    single_sign_on.init_app(app)

    # Every sentence of a page goes through the web catalog: `{{ _("Hello {name}", name=n) }}`.
    app.jinja_env.globals["_"] = web_text
    app.jinja_env.globals["role_word"] = role_word  # macros see globals, not the context
    app.jinja_env.globals["roles"] = ROLES
    app.jinja_env.globals["on_call_roles"] = holders("take_calls")
    app.jinja_env.globals["user_may"] = can  # what another user (a token's owner) may do
    app.jinja_env.globals["need_codes"] = NEEDS
    app.jinja_env.globals["form_once"] = form_once

    @app.context_processor
    def page_context() -> dict[str, Any]:
        zone = program_zone()
        now = datetime.now(UTC)
        user = current_user()
        this_year = now.astimezone(zone).year
        return {
            "current_user": user,
            # One small query per signed-in page: the banner SPEC §2 asks for.
            "clock_warning": clock_warning(now) if user is not None else None,
            # Production on the `log` transport stores texts and sends none: say so.
            "texts_unsent": unsent_texts(current_app.config) if user is not None else None,
            "is_supervisor": is_supervisor(),
            "idle_seconds": int(idle_limit().total_seconds()),
            "can": user_can,
            "web_language": web_language(),
            "zone_name": f"{zone.key} ({now.astimezone(zone):%Z})",
            "local": lambda instant, pattern=None, name_pass=False: local(
                instant, zone, pattern, this_year, name_pass
            ),
            "cover_query": lambda user_id, tier, start, end: cover_query(
                user_id, tier, start, end, zone
            ),
            "local_day": lambda stamp: local_day(stamp, zone),
            "day_label": lambda day: day.strftime(day_pattern(day.year, this_year)),
            "has_page": lambda endpoint: endpoint in current_app.view_functions,
            "word": word,
            "answer_word": answer_word,
            "words": words,
            "call_word": call_word,
            "leg_word": leg_word,
            "text_word": text_word,
            "channel_word": channel_word,
            "source_word": source_word,
            "age_words": age_words,
            "plan_dates": plan_dates,
        }
