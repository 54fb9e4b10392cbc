"""The provider directory through the API (SPEC §8 `/providers`)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from hotline.db import session_scope
from hotline.models import AuditEvent
from tests.api.conftest import Api


def audit_rows(app: Flask) -> int:
    with session_scope(app) as session:
        return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_a_provider_sent_back_unchanged_records_no_change(app: Flask, supervisor_api: Api) -> None:
    # A script's read, change, write of the directory: the audit log read
    # "changed" for every provider it sent back as it was.
    body = {"name": "Evergreen", "phone": "+12065550190", "needs": ["housing"]}
    provider = supervisor_api.post("/providers", body).json
    before = audit_rows(app)
    same = {key: provider[key] for key in ("name", "phone", "needs", "active")}
    answer = supervisor_api.patch(f"/providers/{provider['id']}", same)
    assert answer.status_code == 200 and answer.json == provider
    assert audit_rows(app) == before
    changed = supervisor_api.patch(f"/providers/{provider['id']}", {"active": False})
    assert changed.status_code == 200 and audit_rows(app) == before + 1
