"""A roster import writes new officers in batches; a batch beaten meanwhile is refused by line."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from hotline.audit import Actor
from hotline.db import database
from hotline.models import AuditEvent, Officer
from hotline.services import roster_import
from tests.factories import add_officer

NOW = datetime(2026, 12, 6, 11, 0, tzinfo=UTC)
SUPERVISOR = Actor(user_id=None, channel="cli")
HEADER = "name,badge,agency,phone\n"


def roster_of(count: int) -> str:
    """Return a roster file of `count` officers, badges 1000 on, phones +1206555xxxx."""
    rows = (f"Officer {n},{1000 + n},SPD,+1206{3000000 + n:07d}\n" for n in range(count))
    return HEADER + "".join(rows)


def test_a_roster_of_thousands_takes_a_few_statements_per_batch_not_per_officer(
    app: Flask, session: Session
) -> None:
    """A city's whole roster is written well within the web worker's 15 s."""
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append(str(args[2]))

    engine = database(app).engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        report = roster_import.import_officers(session, roster_of(1000), "US", SUPERVISOR, NOW)
        session.commit()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert (report.imported, report.errors) == (1000, [])
    assert session.scalar(select(func.count()).select_from(Officer)) == 1000
    created = select(func.count()).where(AuditEvent.entity == "officer")
    assert session.scalar(created.where(AuditEvent.action == "create")) == 1000
    # Five batches of 200: their rows and audit events a statement each, and the commits.
    assert len(sent) < 40, len(sent)


def test_a_batch_another_supervisor_beat_is_written_row_by_row_and_refused_by_line(
    app: Flask, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An officer added since the import read the roster is refused on their line alone."""
    read = roster_import.roster_now

    def read_then_another_adds(reading: Session) -> tuple[dict[str, bool], set[str]]:
        roster = read(reading)
        add_officer(app, "Olive Smith", "4711", "+12065550141")  # another supervisor, meanwhile
        return roster

    monkeypatch.setattr(roster_import, "roster_now", read_then_another_adds)
    text = HEADER + "Pat Jones,4714,SPD,2065550144\nOlive Smith,4711,SPD,2065550141\nx,,,\n"
    report = roster_import.import_officers(session, text, "US", SUPERVISOR, NOW)
    session.commit()
    assert report.imported == 1
    assert report.errors == [
        (3, "badge 4711 is already used"),
        (4, "badge: use 1 to 20 digits, nothing else"),
    ]
    badges = session.scalars(select(Officer.badge).order_by(Officer.badge)).all()
    assert badges == ["4711", "4714"]


def test_a_language_column_in_words_is_read_and_one_it_cannot_read_is_refused_in_words(
    session: Session,
) -> None:
    text = (
        "name,badge,agency,phone,language\n"
        "Ana Ruiz,101,SPD,2065550101,Spanish\n"
        "Bo Chen,102,SPD,2065550102,English\n"
        "Cruz Peña,103,SPD,2065550103,Español\n"
        "Dee Roy,104,SPD,2065550104,French\n"
    )
    report = roster_import.import_officers(session, text, "US", SUPERVISOR, NOW)
    session.commit()
    assert report.errors == [(5, "language: write English or Spanish (or en, es)")]
    languages = session.execute(select(Officer.badge, Officer.language).order_by(Officer.badge))
    assert list(languages) == [("101", "es"), ("102", "en"), ("103", "es")]


def test_a_badge_or_phone_twice_in_the_file_names_the_line_that_has_it(session: Session) -> None:
    text = HEADER + (
        "Ana Ruiz,101,SPD,2065550101\nAna Ruiz,101,SPD,2065550101\nBo Chen,102,SPD,2065550101\n"
    )
    report = roster_import.import_officers(session, text, "US", SUPERVISOR, NOW)
    assert report.errors == [
        (3, "badge 101 is on line 2 of this file too: check which row is right"),
        (4, "phone +12065550101 is on line 2 of this file too: check which row is right"),
    ]
