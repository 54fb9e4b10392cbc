"""A supervisor saves a rotation while a call is routed, in another worker (SPEC §3, §4.1).

The call rings whoever was on call just before the save or just after it, never
the next tier or the fallback numbers; the call after the save rings the new person.
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET

from flask import Flask

from tests.api.conftest import Api, rotation_body, token_for
from tests.factories import add_user
from tests.races import at_once
from tests.voice.conftest import HOTLINE, Program
from tests.voice.test_webhooks import post


def first_dialled(app: Flask, call_sid: str, caller: str) -> str | None:
    params = {"CallSid": call_sid, "From": caller, "To": HOTLINE}
    answer = post(app.test_client(), "/voice/incoming", params)
    assert answer.status_code == 200
    number = ET.fromstring(answer.data).find("Dial/Number")
    return None if number is None else number.text


def save(api: Api, rotation_id: int, user_id: int) -> int:
    body = rotation_body([user_id], start="2020-01-06T08:00", shift_hours=8760)
    status: int = api.put(f"/rotations/{rotation_id}", json=body).status_code
    return status


def test_a_call_routed_while_a_rotation_is_saved_rings_the_old_or_the_new_person(
    app: Flask, program: Program
) -> None:
    cy = add_user(app, "Cy Young")
    sam = add_user(app, "Sam Super", "supervisor")
    api = Api(app.test_client(), token_for(app, sam.id))
    rotation_id = api.get("/rotations").get_json()["items"][0]["id"]  # tier 1: Ana
    people = {program.ana.id: program.ana.phone, cy.id: cy.phone}
    on_call = program.ana.id
    officer = program.officer.phone
    for round_ in range(8):
        new = cy.id if on_call == program.ana.id else program.ana.id
        # Round 0: the worker keeps no program yet; later rounds: it keeps the last one.
        saved, dialled = at_once(
            functools.partial(save, Api(app.test_client(), api.token), rotation_id, new),
            functools.partial(first_dialled, app, f"CA-during-{round_}", officer),
        )
        assert saved == 200
        assert dialled in (people[on_call], people[new]), (round_, dialled)
        assert first_dialled(app, f"CA-after-{round_}", officer) == people[new], round_
        on_call = new
