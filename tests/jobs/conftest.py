"""Helpers to run jobs as of an instant and read what they texted."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.jobs import run_job
from hotline.models import Message
from tests.api.conftest import supervisor_api  # noqa: F401 - a fixture for these tests

# SPEC §7's jobs, in its order: each registered once in `hotline scheduler`.
SPEC_JOBS = (
    "escalate-unacked",
    "shift-notices",
    "coverage-gaps",
    "intake-deadlines",
    "dispatch-outbox",
    "retention",
)


def run(app: Flask, name: str, at: datetime) -> str:
    """Run one job as of `at`."""
    return run_job(app, name, at)


def texts_to(app: Flask, phone: str) -> list[str]:
    """Return the bodies of every outbound text to `phone`, oldest first."""
    with session_scope(app) as session:
        statement = select(Message.body).where(
            Message.direction == "out", Message.to_number == phone
        )
        return [body or "" for body in session.scalars(statement.order_by(Message.id))]
