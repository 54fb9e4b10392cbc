"""Participants, their consents, plan and charges, and the provider directory (SPEC §8)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g

from ..db import get_session
from ..permissions import can
from ..schemas.participants import (
    ChargeIn,
    ChargeOut,
    ConsentIn,
    ConsentOut,
    ParticipantIn,
    ParticipantOut,
    ParticipantPatch,
    ParticipantQuery,
    ParticipantSeen,
    ParticipantSeenList,
    PlanEntryIn,
    PlanEntryOut,
    PlanEntryPatch,
    ProviderIn,
    ProviderOut,
    ProviderPatch,
)
from ..services import participant_views as views
from ..services import participants, providers, service_plan
from ..services.errors import NotFound
from ..services.participant_match import suggest
from .framework import ApiError, current_actor, endpoint
from .lists import ItemsOf

bp = Blueprint("api_participants", __name__)
ONE = "/participants/<int:participant_id>"


def now() -> datetime:
    return datetime.now(UTC)


def in_full() -> bool:
    """Tell whether the caller reads whole records (the program) or the prosecutor's view."""
    return can(g.api_user, "read_participants")


@endpoint(
    bp,
    "/participants",
    "GET",
    summary="List participants (a prosecutor: those in their view)",
    access="see_participants",
    query=ParticipantQuery,
    returns=ParticipantSeenList,
)
def list_participants(query: ParticipantQuery) -> dict[str, Any]:
    if query.match is None and query.date_of_birth is not None:
        # It narrows a name's suggestions; alone it would be ignored, read as applied.
        message = "date_of_birth narrows a match: give match (the name) with it"
        raise ApiError(400, "bad_query", message, "date_of_birth")
    if query.date_of_birth is not None and not in_full():
        # A birth date rules a person out or lifts a match: tried one by one, the dates
        # that answer someone would tell the prosecutor theirs, which the view leaves out.
        message = "a prosecutor's view has no birth dates: match by the name alone"
        raise ApiError(400, "bad_query", message, "date_of_birth")
    session = get_session()
    manager = int(query.case_manager_id) if query.case_manager_id else None
    # The other filters narrow the suggestions: ignored, they would be read as applied.
    rows = participants.list_participants(session, manager, query.status)
    if query.match is not None:  # who this person may already be, best first
        if not in_full():  # the best among those in the view, not ahead of it
            rows = views.in_prosecutor_view(session, rows, now())
        # A prosecutor's view has no aliases: their match is on the name alone.
        found = suggest(session, query.match, query.date_of_birth, among=rows, aliases=in_full())
        rows = [row for row, _score in found]
    if in_full():
        return {"items": [views.participant_detail(session, row) for row in rows]}
    # A prosecutor's filters choose among those in their view, never beyond it.
    items = views.prosecutor_list(session, current_actor(), now(), rows)
    session.commit()  # each disclosure stays recorded, though a GET changes nothing else
    return {"items": items}


@endpoint(
    bp,
    "/participants",
    "POST",
    summary="Add a participant",
    access="write_participants",
    body=ParticipantIn,
    returns=ParticipantOut,
    status=201,
)
def create_participant(body: ParticipantIn) -> Any:
    return participants.create_participant(get_session(), body, current_actor(), now())


@endpoint(
    bp, ONE, "GET", summary="Show a participant", access="see_participants", returns=ParticipantSeen
)
def show_participant(participant_id: int) -> dict[str, Any]:
    session = get_session()
    if in_full():
        return views.participant_detail(
            session, participants.get_participant(session, participant_id)
        )
    seen = views.prosecutor_view(session, participant_id, current_actor(), now())
    session.commit()  # the disclosure stays recorded, though a GET changes nothing else
    return seen


@endpoint(
    bp,
    ONE,
    "PATCH",
    summary="Change a participant",
    access="write_participants",
    body=ParticipantPatch,
    returns=ParticipantOut,
)
def patch_participant(participant_id: int, body: ParticipantPatch) -> Any:
    return participants.update_participant(
        get_session(), participant_id, body, current_actor(), now()
    )


@endpoint(
    bp,
    ONE + "/consents",
    "POST",
    summary="Record a consent to share",
    access="write_participants",
    body=ConsentIn,
    returns=ConsentOut,
    status=201,
)
def add_consent(participant_id: int, body: ConsentIn) -> Any:
    zone = ZoneInfo(current_app.config["HOTLINE_TIMEZONE"])
    return participants.add_consent(
        get_session(), participant_id, body, current_actor(), now(), zone
    )


@endpoint(
    bp,
    ONE + "/consents/<int:consent_id>",
    "DELETE",
    summary="Revoke a consent (its record stays)",
    access="write_participants",
    returns=ConsentOut,
)
def revoke_consent(participant_id: int, consent_id: int) -> Any:
    return participants.revoke_consent(
        get_session(), participant_id, consent_id, current_actor(), now()
    )


@endpoint(
    bp,
    ONE + "/plan",
    "POST",
    summary="Add a need to the service plan",
    access="write_participants",
    body=PlanEntryIn,
    returns=PlanEntryOut,
    status=201,
)
def add_plan_entry(participant_id: int, body: PlanEntryIn) -> Any:
    return service_plan.add_plan_entry(get_session(), participant_id, body, current_actor(), now())


@endpoint(
    bp,
    ONE + "/plan/<int:entry_id>",
    "PATCH",
    summary="Change a plan entry",
    access="write_participants",
    body=PlanEntryPatch,
    returns=PlanEntryOut,
)
def patch_plan_entry(participant_id: int, entry_id: int, body: PlanEntryPatch) -> Any:
    return service_plan.update_plan_entry(
        get_session(), participant_id, entry_id, body, current_actor(), now()
    )


@endpoint(
    bp,
    ONE + "/charges",
    "POST",
    summary="Record a pending charge; the case manager is texted at once",
    access="record_charge",
    body=ChargeIn,
    returns=ChargeOut,
    status=201,
)
def add_charge(participant_id: int, body: ChargeIn) -> Any:
    session, at = get_session(), now()
    row = participants.get_participant(session, participant_id)
    if not in_full() and not views.prosecutor_may_see(session, row, at):
        raise NotFound(f"no participant with id {participant_id}")  # outside their view
    sender = current_app.config.get("HOTLINE_NUMBER")
    return service_plan.add_charge(session, participant_id, body, current_actor(), at, sender)


@endpoint(
    bp,
    "/providers",
    "GET",
    summary="List the provider directory",
    access="read_participants",
    returns=ItemsOf(ProviderOut),
)
def list_providers() -> dict[str, Any]:
    return {"items": providers.list_providers(get_session())}


@endpoint(
    bp,
    "/providers",
    "POST",
    summary="Add a provider",
    access="write_participants",
    body=ProviderIn,
    returns=ProviderOut,
    status=201,
)
def create_provider(body: ProviderIn) -> Any:
    return providers.create_provider(get_session(), body, current_actor(), now())


@endpoint(
    bp,
    "/providers/<int:provider_id>",
    "GET",
    summary="Show a provider",
    access="read_participants",
    returns=ProviderOut,
)
def show_provider(provider_id: int) -> Any:
    return providers.get_provider(get_session(), provider_id)


@endpoint(
    bp,
    "/providers/<int:provider_id>",
    "PATCH",
    summary="Change a provider",
    access="write_participants",
    body=ProviderPatch,
    returns=ProviderOut,
)
def patch_provider(provider_id: int, body: ProviderPatch) -> Any:
    return providers.update_provider(get_session(), provider_id, body, current_actor(), now())
