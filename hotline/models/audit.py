"""The audit log: every change, by whom, through what, before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class AuditEvent(Base):
    """One recorded change to a resource."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    channel: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(default=None)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class ProgramSetting(Base):
    """A program-wide value such as the calendar feed's secret token."""

    __tablename__ = "program_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))


class JobRun(Base):
    """The last run of a scheduled job, for `hotline jobs list`."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # The instant the job ran as of (`--at`), which may differ from the clock.
    ran_for: Mapped[datetime | None] = mapped_column(default=None)
    result: Mapped[str | None] = mapped_column(String(300), default=None)
    ok: Mapped[bool] = mapped_column(default=True)
    # Wall-clock end of the last successful run (not `ran_for`): /healthz and
    # the metrics judge whether the clock is really running from it.
    succeeded_at: Mapped[datetime | None] = mapped_column(default=None)
    # The carrier's answer that keeps texts from going out (e.g. "Twilio answered
    # HTTP 401 …"), kept until a text goes out; null while they go out.
    refused: Mapped[str | None] = mapped_column(String(300), default=None)


class FormPost(Base):
    """A web form sent once: its one-time token, so that sending it again changes nothing."""

    __tablename__ = "form_posts"
    __table_args__ = (UniqueConstraint("user_id", "token"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)
