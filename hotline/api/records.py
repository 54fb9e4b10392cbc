"""Referrals, calls and the message log: what the line did."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..audit import record
from ..db import get_session
from ..messaging.segments import is_gsm, segments
from ..models import Call, Message, Referral
from ..phones import normalized
from ..schemas.assessment import AssessmentIn, AssessmentSaved
from ..schemas.referrals import (
    CallOut,
    MessageOut,
    MessageQuery,
    ReferralCompletionIn,
    ReferralDetailOut,
    ReferralOut,
    ReferralQuery,
    SinceQuery,
)
from ..services import referrals
from ..services.assessments import assessment_fields, latest_assessment, record_assessment
from ..services.completion import complete_referral
from .framework import current_actor, endpoint
from .lists import ItemsOf

bp = Blueprint("api_records", __name__)


@endpoint(
    bp,
    "/referrals",
    "GET",
    summary="List referrals",
    query=ReferralQuery,
    returns=ItemsOf(ReferralOut),
    access="read_referrals",
)
def list_referrals(query: ReferralQuery) -> dict[str, Any]:
    statement = select(Referral).order_by(Referral.id)
    if query.status is not None:
        statement = statement.where(Referral.status == query.status)
    if query.since is not None:
        statement = statement.where(Referral.created_at >= query.since)
    rows = get_session().scalars(statement)
    return {"items": [referrals.referral_fields(r) for r in rows]}


@endpoint(
    bp,
    "/referrals/<int:referral_id>",
    "GET",
    summary="Show a referral and its timeline",
    returns=ReferralDetailOut,
    access="read_referrals",
)
def show_referral(referral_id: int) -> dict[str, Any]:
    session = get_session()
    referral = referrals.get_referral(session, referral_id)
    fields = referrals.referral_detail(session, referral)
    latest, versions = latest_assessment(session, referral.id)
    fields["assessment"] = assessment_fields(latest) if latest else None
    fields["assessment_versions"] = versions
    # Clinical fields were shown to a person: that is recorded (SPEC §9 information sharing).
    record(session, current_actor(), datetime.now(UTC), "view", "referral", referral.id)
    session.commit()
    return fields


@endpoint(
    bp,
    "/referrals/<int:referral_id>/assessment",
    "POST",
    summary="Record a brief assessment (a new version each time)",
    access="work_referrals",
    body=AssessmentIn,
    returns=AssessmentSaved,
    status=201,
)
def post_assessment(referral_id: int, body: AssessmentIn) -> dict[str, Any]:
    sender = current_app.config["HOTLINE_NUMBER"]
    now = datetime.now(UTC)
    session = get_session()
    row = record_assessment(session, referral_id, body, current_actor(), now, sender)
    referral = session.get_one(Referral, referral_id)
    return assessment_fields(row) | {"participant_id": referral.participant_id}


@endpoint(
    bp,
    "/referrals/<int:referral_id>",
    "PATCH",
    summary="Complete or correct an open referral's type, offense, name, place and consent",
    access="work_referrals",
    body=ReferralCompletionIn,
    returns=ReferralOut,
)
def patch_referral(referral_id: int, body: ReferralCompletionIn) -> dict[str, Any]:
    now = datetime.now(UTC)
    row = complete_referral(get_session(), referral_id, body, current_actor(), now)
    return referrals.referral_fields(row)


def as_e164(number: str) -> str:
    """Return a number a webhook named, in E.164 when it is a phone number (SPEC §8).

    The call keeps what Twilio sent: a caller written without its `+`, or none at all
    ("anonymous", "client:alice"), which is shown as it came.
    """
    return normalized(number, current_app.config["HOTLINE_DEFAULT_REGION"]) or number


def call_fields(call: Call) -> dict[str, Any]:
    """Return a call as the API shows it."""
    return {
        "id": call.id,
        "call_sid": call.call_sid,
        "from": as_e164(call.from_number),
        "to": as_e164(call.to_number),
        "officer_id": call.officer_id,
        "status": call.status,
        "call_outcome": call.call_outcome,
        "answered_by": call.answered_by,
        "started_at": call.started_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "duration": call.duration,
        "recording_url": call.recording_url,
        "recording_duration": call.recording_duration,
        "referral_id": call.referral_id,
        "legs": [
            {"number": leg.number, "user_id": leg.user_id, "outcome": leg.outcome, "at": leg.at}
            for leg in call.legs
        ],
    }


@endpoint(
    bp,
    "/calls",
    "GET",
    summary="List calls with their legs",
    query=SinceQuery,
    returns=ItemsOf(CallOut),
    access="read_referrals",
)
def list_calls(query: SinceQuery) -> dict[str, Any]:
    statement = select(Call).options(selectinload(Call.legs)).order_by(Call.id)
    if query.since is not None:
        statement = statement.where(Call.started_at >= query.since)
    return {"items": [call_fields(c) for c in get_session().scalars(statement)]}


def message_fields(message: Message) -> dict[str, Any]:
    """Return a message as the API shows it."""
    return {
        "id": message.id,
        "direction": message.direction,
        "from": message.from_number,
        "to": message.to_number,
        "body": message.body,
        "status": message.status,
        "message_sid": message.message_sid,
        "referral_id": message.referral_id,
        "created_at": message.created_at,
        "segments": segments(message.body or ""),
        "encoding": "GSM-7" if is_gsm(message.body or "") else "UCS-2",
    }


@endpoint(
    bp,
    "/messages",
    "GET",
    summary="The message log, oldest first",
    query=MessageQuery,
    returns=ItemsOf(MessageOut),
    access="read_referrals",
)
def list_messages(query: MessageQuery) -> dict[str, Any]:
    statement = select(Message).order_by(Message.id)
    if query.phone:
        phone = normalized(query.phone, current_app.config["HOTLINE_DEFAULT_REGION"]) or query.phone
        statement = statement.where(or_(Message.from_number == phone, Message.to_number == phone))
    if query.since is not None:
        statement = statement.where(Message.created_at >= query.since)
    if query.after_id is not None:
        statement = statement.where(Message.id > query.after_id)
    return {"items": [message_fields(m) for m in get_session().scalars(statement)]}
