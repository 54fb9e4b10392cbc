"""Read the participant pages' forms: strings in, the interfaces' schemas out, every field named."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, request
from pydantic import BaseModel, ValidationError

from ..digits import ascii_number
from ..schemas.common import validation_context
from .people_forms import Errors, sentence

DATE_FIELDS = ("date_of_birth", "started_on", "ended_on", "date", "given_at", "expires_at")
ID_FIELDS = ("case_manager_id", "provider_id", "participant_id")


def form_values(*names: str) -> dict[str, Any]:
    """Return the posted fields: blank ones absent, ids as numbers, lists split by commas."""
    values: dict[str, Any] = {}
    for name in names:
        text = request.form.get(name, "").strip()
        if name == "aliases":
            values[name] = [part.strip() for part in text.split(",") if part.strip()]
        elif name == "needs":
            values[name] = request.form.getlist("needs")
        elif not text:
            continue
        elif name in ID_FIELDS:
            number = ascii_number(text)
            values[name] = text if number is None else number
        else:
            values[name] = text
    return values


def checked(model: type[BaseModel], values: dict[str, Any]) -> tuple[Any | None, Errors]:
    """Return the validated model, or None and one message per field (dates read as ISO)."""
    try:
        # JSON mode: dates arrive as the text the browser's date input sends.
        context = validation_context(current_app.config)
        return model.model_validate_json(json.dumps(values), context=context), {}
    except ValidationError as error:
        errors: Errors = {}
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "form"
            errors.setdefault(name, sentence(problem["msg"].removeprefix("Value error, ")))
        return None, errors
