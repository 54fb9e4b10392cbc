"""Schemathesis drives every operation of /api/v1/openapi.json: no 500s, answers as documented."""

from __future__ import annotations

from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import token_for
from tests.factories import add_officer, add_referral, add_rotation, add_user
from tests.fuzzing import examples

EXAMPLES_PER_OPERATION = examples(25)
# No 500s, and every answer as documented. Schema-valid input may still fail the
# domain's own rules (a phone number that cannot exist), so "accepts valid data" is not asked.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_every_operation_answers_within_its_schema(app: Flask) -> None:
    ana = add_user(app, "Ana Diaz")
    add_rotation(app, 1, ana)
    add_officer(app)
    add_referral(app)
    headers = {
        "Authorization": f"Bearer {token_for(app, add_user(app, 'Sam Reyes', 'supervisor').id)}"
    }
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
