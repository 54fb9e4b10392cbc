"""Every API write leaves an audit event with who, what, before and after."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from hotline.db import session_scope
from hotline.models import AuditEvent
from tests.api.conftest import Api, add_user, rotation_body


def test_rotation_changes_are_audited_with_before_and_after(
    app: Flask, supervisor_api: Api
) -> None:
    alice, bob = add_user(app, name="Alice"), add_user(app, name="Bob")
    rotation_id = supervisor_api.post("/rotations", rotation_body([alice])).json["id"]
    supervisor_api.put(f"/rotations/{rotation_id}", rotation_body([alice, bob]))
    supervisor_api.delete(f"/rotations/{rotation_id}")
    refused = supervisor_api.post("/rotations", rotation_body([alice], shift_hours=0))
    assert refused.status_code == 422
    with session_scope(app) as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "rotation").order_by(AuditEvent.id)
        ).all()
        assert [(e.action, e.channel) for e in events] == [
            ("create", "api"),
            ("update", "api"),
            ("delete", "api"),
        ]
        assert all(e.actor_id == 1 for e in events)  # the supervisor
        assert events[1].before["participants"] == [alice]
        assert events[1].after["participants"] == [alice, bob]
        assert events[2].after is None
