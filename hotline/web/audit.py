"""The audit log (supervisors): every change with who, when, through what, before and after."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

from flask import render_template, request
from sqlalchemy import ColumnElement, func, select

from ..db import get_session
from ..digits import ascii_number
from ..models import AuditEvent, Officer, Provider, User
from ..rotation.bounds import MAX_YEAR, MIN_YEAR
from . import bp, program_zone
from .audit_words import OFFICER_FIELDS, Names, changes, plain
from .auth import requires
from .language import web_text
from .pages import user_names
from .timeline import local
from .words import ACTION_WORDS, CHANNEL_WORDS, ENTITY_WORDS, actor_word, in_words, word

PER_PAGE = 50


def who(event: AuditEvent, names: dict[int, str]) -> str:
    """Name who made a change: a user, else the CLI, an officer, a caller or the system."""
    return actor_word(event.actor_id, event.channel, names)


def day_start(day: date) -> datetime:
    """Return the instant the program's day begins."""
    return datetime.combine(day, time(0), tzinfo=program_zone())


def filters(args: dict[str, str]) -> tuple[list[ColumnElement[bool]], dict[str, str]]:
    """Return the query's conditions from the filter form, and a message per bad value."""
    conditions: list[ColumnElement[bool]] = []
    errors: dict[str, str] = {}
    if args.get("entity"):
        conditions.append(AuditEvent.entity == args["entity"])
    if args.get("kind"):
        conditions.append(AuditEvent.action == args["kind"])
    if args.get("channel"):
        conditions.append(AuditEvent.channel == args["channel"])
    if args.get("actor"):
        if (actor_id := ascii_number(args["actor"])) is not None:
            conditions.append(AuditEvent.actor_id == actor_id)
        else:
            errors["actor"] = web_text("Choose a person.")
    days: dict[str, date] = {}
    for name in ("from", "to"):
        if not args.get(name):
            continue
        try:
            day = date.fromisoformat(args[name])
        except ValueError:
            errors[name] = web_text("Write the date as YYYY-MM-DD.")
            continue
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            errors[name] = web_text(
                "Choose a date between the years {first} and {last}.", first=MIN_YEAR, last=MAX_YEAR
            )
            continue
        days[name] = day
        if name == "from":
            conditions.append(AuditEvent.at >= day_start(day))
        else:
            conditions.append(AuditEvent.at < day_start(day + timedelta(days=1)))
    if "from" in days and "to" in days and days["from"] > days["to"]:
        # Else "no events" reads as none.
        errors["from"] = web_text("Start on or before the end date.")
    return conditions, errors


def page_number(text: str) -> int:
    """Return the page asked for, 1 when none or nonsense is given."""
    return ascii_number(text, max_digits=6) or 1


@bp.get("/audit")
@requires("supervise")
def audit() -> tuple[str, int]:
    """List audit events newest first, filtered and 50 to a page."""
    db = get_session()
    args = {k: v.strip() for k, v in request.args.items()}
    conditions, errors = filters(args)
    total = db.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
    pages = max(1, math.ceil(total / PER_PAGE))
    # A link kept from before events went (retention, a narrower filter) shows the last page.
    page = min(page_number(args.get("page", "")), pages)
    events = db.scalars(
        select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    zone = program_zone()
    providers = {row.id: row.name for row in db.execute(select(Provider.id, Provider.name))}
    # Only the officers this page's events name: a roster holds thousands.
    named = {
        value
        for event in events
        for side in (event.before, event.after)
        if isinstance(side, dict)
        for key, value in side.items()
        if key in OFFICER_FIELDS and isinstance(value, int)
    }
    officers: dict[int, str] = {
        row.id: web_text("{name} (badge {badge})", name=row.name, badge=row.badge)
        for row in db.execute(
            select(Officer.id, Officer.name, Officer.badge).where(Officer.id.in_(named))
        )
    }
    names = Names(user_names(), providers, officers)
    recorded = db.scalars(select(AuditEvent.action).distinct()).all()
    shown = {k: v for k, v in args.items() if k != "page" and v}
    return render_template(
        "audit.html",
        rows=[
            (
                event,
                who(event, names.people),
                plain(
                    changes(event.before, event.after),
                    event.before,
                    event.after,
                    names,
                    zone,
                    event.entity,
                ),
            )
            for event in events
        ],
        total=total,
        page=page,
        pages=pages,
        args=args,
        shown=shown,
        errors=errors,
        entities={
            entity: in_words(ENTITY_WORDS, entity)
            for entity in db.scalars(
                select(AuditEvent.entity).distinct().order_by(AuditEvent.entity)
            )
        },
        channels={code: web_text(words) for code, words in CHANNEL_WORDS.items()},
        kinds={
            kind: web_text(ACTION_WORDS[kind]) if kind in ACTION_WORDS else word(kind)
            for kind in sorted({*ACTION_WORDS, *recorded})
        },
        people=db.scalars(select(User).order_by(User.name, User.id)).all(),
        # Two events an hour apart at fall-back read alike without the zone's abbreviation.
        when=lambda at: local(at, zone, "%Y-%m-%d %H:%M:%S", name_pass=True),
    ), 400 if errors else 200
