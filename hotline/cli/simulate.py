"""`hotline simulate call`: play Twilio's part against the app, with no Twilio account."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import Flask, url_for
from sqlalchemy import func, select

from hotline.base_url import base_url_problem
from hotline.db import session_scope
from hotline.demo import seed, utcnow
from hotline.dev_secrets import DEV_SECRETS_FILE, load_dev_secrets
from hotline.models import CLOSED_STATUSES, Call, Message, Referral
from hotline.phones import parse_phone
from hotline.services.completion import MISSING_WORDS, missing_fields
from hotline.simulator import (
    CallScript,
    Leg,
    SmsEmulator,
    VoiceEmulator,
    flask_poster,
    http_poster,
)
from hotline.simulator.script import DEFAULT_RECORDING, LegOutcome

from .demo import demo_app
from .serve import local_app

OUTCOMES: tuple[LegOutcome, ...] = ("accept", "voicemail", "decline", "no-answer", "busy", "failed")
DEMO_HOTLINE = "+12065550100"
# Twilio's DialCallStatus words, read as what the phone did: "completed" without a 1
# is a voicemail box answering, "answered" a person taking it.
TWILIO_WORDS = {"completed": "voicemail", "answered": "accept"}
# What Twilio sends as From for a caller who withholds their number.
WITHHELD = "anonymous"
KEYS = "0123456789*#"

simulate_cli = click.Group("simulate", help="Send signed Twilio-shaped requests to the app.")


def in_process_app() -> Flask:
    """Return the app to simulate against: DATABASE_URL's program when set, else the demo's."""
    app = local_app()
    if app is None:
        app = demo_app(reset=False)
        with session_scope(app) as session:
            seed(session, utcnow(), app.config)
    return app


def parse_outcomes(text: str) -> list[Leg]:
    """Read "busy,accept" as what each dialled phone does in turn."""
    legs = []
    for raw in (part.strip().lower() for part in text.split(",") if part.strip()):
        word = TWILIO_WORDS.get(raw, raw)
        if word not in OUTCOMES:
            raise click.ClickException(f"--outcome: {word!r} is not one of {', '.join(OUTCOMES)}")
        legs.append(Leg(word))
    return legs


def phone_number(option: str, value: str, withheld: bool = False) -> str:
    """Return a --from/--to number in E.164, as Twilio always sends it, or refuse it in one line."""
    if withheld and value.strip().lower() == WITHHELD:
        return WITHHELD
    region = (os.environ.get("HOTLINE_DEFAULT_REGION") or "US").strip().upper()
    try:
        return parse_phone(value.strip(), region)
    except ValueError as error:
        hint = f" (or {WITHHELD} for a withheld number)" if withheld else ""
        raise click.ClickException(f"{option}: {value!r} is {error}{hint}") from None


def key_presses(presses: tuple[str, ...]) -> list[str | None]:
    """Return --press values as keys a phone has (0-9, * and #), or refuse one in one line."""
    for keys in presses:
        if any(key not in KEYS for key in keys):
            raise click.ClickException(f"--press: {keys!r} holds keys no phone has: use {KEYS}")
    return list(presses)


def app_address(value: str | None) -> str | None:
    """Return --url as the base address of an app, or refuse it in one line."""
    if value is None:
        return None
    # The app answers at its root, as Twilio reaches it: an address is scheme://host[:port].
    problem = base_url_problem(value)
    if problem:
        raise click.BadParameter(f"{problem}: give the app's address, e.g. http://127.0.0.1:5000")
    return value.rstrip("/")


def signed_for(app: Flask) -> str:
    """Return the address in-process requests are signed for: the app's public one, if set."""
    return str(app.config.get("HOTLINE_PUBLIC_URL") or "http://localhost").rstrip("/")


def auth_token(token: str | None) -> str:
    """Return the token to sign with: given, or the development one in the instance folder."""
    if token:
        return token
    instance = Path(Flask("hotline").instance_path)
    return load_dev_secrets(instance / DEV_SECRETS_FILE)["TWILIO_AUTH_TOKEN"]


@simulate_cli.command("call")
@click.option("--from", "caller", required=True, help="the caller's number, e.g. +12065550150")
@click.option(
    "--to", "hotline", default=DEMO_HOTLINE, show_default=True, help="the hotline's number"
)
@click.option("--press", "presses", multiple=True, help="keys at each prompt, e.g. --press 4711")
@click.option(
    "--outcome",
    default="accept",
    show_default=True,
    help=f"what each dialled phone does in turn, comma-separated: {', '.join(OUTCOMES)}",
)
@click.option("--silent", is_flag=True, help="leave an empty voicemail")
@click.option(
    "--url",
    default=None,
    callback=lambda ctx, param, value: app_address(value),
    help=(
        "a running app, e.g. http://127.0.0.1:5000 "
        "(default: in-process, on DATABASE_URL if set, else the demo)"
    ),
)
@click.option(
    "--token", envvar="TWILIO_AUTH_TOKEN", default=None, help="the app's Twilio auth token"
)
def simulate_call(
    caller: str,
    hotline: str,
    presses: tuple[str, ...],
    outcome: str,
    silent: bool,
    url: str | None,
    token: str | None,
) -> None:
    """Call the hotline and print what the caller hears and who is dialled."""
    caller = phone_number("--from", caller, withheld=True)
    hotline = phone_number("--to", hotline)
    gathers, legs = key_presses(presses), parse_outcomes(outcome)
    app: Flask | None = None
    if url:
        emulator = VoiceEmulator(http_poster(), auth_token(token), url.rstrip("/"))
        recording = DEFAULT_RECORDING
    else:
        app = in_process_app()
        token = app.config["TWILIO_AUTH_TOKEN"]
        emulator = VoiceEmulator(flask_poster(app.test_client()), token, signed_for(app))
        recording = playable_recording(app)
    script = CallScript(
        gathers=gathers, legs_in_order=legs, recording=None if silent else recording
    )
    result = emulator.call(caller, hotline, script)
    if url and any(status == 0 for _, _, status in result.requests):
        raise click.ClickException(f"no answer from {url}: is the app running there?")
    click.echo(result.transcript())
    if app is not None:  # in-process, the database shows the texts the call caused
        for message in texts_of_call(app, result.call_sid):
            click.echo(f"    text  to {message.to_number}: {message.body}  [{message.status}]")
    answered = f"answered by {result.answered_by}" if result.answered_by else "not answered"
    click.echo(f"Call {result.call_sid}: {answered}; {result.duration} s.")
    if app is not None:
        click.echo(referral_of_call(app, result.call_sid))


def playable_recording(app: Flask) -> tuple[str, int]:
    """Return the voicemail to leave in-process: the app's own sample where it serves one.

    Twilio's made-up recording would not play from the referral page; the demo's does.
    """
    if not app.config.get("HOTLINE_SIMULATOR"):
        return DEFAULT_RECORDING
    with app.test_request_context():
        return url_for("web.demo_voicemail"), DEFAULT_RECORDING[1]


def referral_of_call(app: Flask, call_sid: str) -> str:
    """Say where the call's referral stands and, while it lacks something, where to complete it."""
    with session_scope(app) as session:
        referral_id = session.scalars(
            select(Call.referral_id).where(Call.call_sid == call_sid)
        ).first()
        referral = session.get(Referral, referral_id) if referral_id is not None else None
        if referral is None:
            return "The call made no referral."
        status = referral.status.replace("_", " ")
        missing = [MISSING_WORDS[name] for name in missing_fields(referral)]
        if referral.status in CLOSED_STATUSES or not missing:
            return f"Referral #{referral.id}: {status}; nothing is missing."
        owner = "nobody has taken it" if referral.acknowledged_by is None else "taken"
        return (
            f"Referral #{referral.id}: {status} ({owner}); missing: {', '.join(missing)}.\n"
            f"Next: complete it on /referrals/{referral.id} in the web app (or PATCH "
            f"/api/v1/referrals/{referral.id}), then fill in the brief assessment there."
        )


def texts_of_call(app: Flask, call_sid: str) -> list[Message]:
    """Return the texts the call caused (voicemail notices), oldest first."""
    with session_scope(app) as session:
        referral_id = session.scalars(
            select(Call.referral_id).where(Call.call_sid == call_sid)
        ).first()
        if referral_id is None:
            return []
        statement = select(Message).where(Message.referral_id == referral_id).order_by(Message.id)
        return list(session.scalars(statement))


@simulate_cli.command("sms")
@click.option("--from", "sender", required=True, help="the sender's number, e.g. +12065550150")
@click.option(
    "--to", "hotline", default=DEMO_HOTLINE, show_default=True, help="the hotline's number"
)
@click.option(
    "--url",
    default=None,
    callback=lambda ctx, param, value: app_address(value),
    help="a running app (default: in-process, on DATABASE_URL if set, else the demo)",
)
@click.option(
    "--token", envvar="TWILIO_AUTH_TOKEN", default=None, help="the app's Twilio auth token"
)
@click.argument("texts", nargs=-1, required=True)
def simulate_sms(
    sender: str, hotline: str, url: str | None, token: str | None, texts: tuple[str, ...]
) -> None:
    """Text the hotline (one or more texts in turn) and print each reply and the texts it caused."""
    sender = phone_number("--from", sender)
    hotline = phone_number("--to", hotline)
    app: Flask | None = None
    if url:
        phone = SmsEmulator(http_poster(), auth_token(token), url, hotline)
    else:
        app = in_process_app()
        phone = SmsEmulator(
            flask_poster(app.test_client()),
            app.config["TWILIO_AUTH_TOKEN"],
            signed_for(app),
            hotline,
        )
    for text in texts:
        last_id = newest_message_id(app) if app is not None else 0
        result = phone.send(sender, text)
        click.echo(f"  {sender} > {text}")
        if result.status == 0:
            raise click.ClickException(f"no answer from {url}: is the app running there?")
        if result.status != 200:
            raise click.ClickException(f"the app answered HTTP {result.status} to {text!r}")
        for reply in result.replies:
            click.echo(f"  {sender} < {reply}")
        if app is not None:
            for message in messages_after(app, last_id):
                click.echo(f"  {message.to_number} < {message.body}  [{message.status}]")


def newest_message_id(app: Flask) -> int:
    """Return the id of the newest message in the log (0 when empty)."""
    with session_scope(app) as session:
        return session.scalar(select(func.max(Message.id))) or 0


def messages_after(app: Flask, message_id: int) -> list[Message]:
    """Return the outbound texts logged after `message_id` that went to the outbox."""
    with session_scope(app) as session:
        statement = (
            select(Message)
            .where(Message.id > message_id, Message.direction == "out", Message.status != "sent")
            .order_by(Message.id)
        )
        return list(session.scalars(statement))
