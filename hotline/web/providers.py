"""The provider directory: who the program refers participants to, for which needs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..db import get_session
from ..models import Provider
from ..schemas.participants import ProviderIn, ProviderPatch
from ..services import providers as directory
from . import bp
from .auth import requires
from .form_once import repeated_post
from .language import web_text
from .participant_forms import checked, form_values
from .people import actor
from .people_forms import Errors, changed_on_the_page, drawn_on_the_page, row_or_404

Page = tuple[str, int]


def providers_page(status: int = 200, errors: Errors | None = None) -> Page:
    """Render the directory with its add form."""
    rows = directory.list_providers(get_session())
    typed = request.form if errors else {}  # a refused form comes back as typed
    page = render_template("providers.html", providers=rows, errors=errors or {}, typed=typed)
    return page, status


@bp.get("/providers")
@requires("read_participants")
def providers() -> Page:
    """List the providers and the needs each serves."""
    return providers_page()


@bp.post("/providers")
@requires("write_participants")
def add_provider() -> Page | Response:
    """Add a provider."""
    data, errors = checked(ProviderIn, form_values("name", "phone", "needs"))
    if data is None:
        return providers_page(422, errors)
    # At the page's top, where "Added" is said: without a place of its own the browser keeps
    # the form's (#add-provider-heading) and opens at the emptied form, on a phone screens down.
    if repeated_post():
        return redirect(url_for("web.providers", _anchor="main"))
    row = directory.create_provider(get_session(), data, actor(), datetime.now(UTC))
    get_session().commit()
    flash(web_text("Added {name}.", name=row.name))
    return redirect(url_for("web.providers", _anchor="main"))


def provider_page(row: Provider, status: int = 200, errors: Errors | None = None) -> Page:
    """Render one provider's edit form (a refused one as typed)."""
    typed = request.form if errors else None
    page = render_template("provider.html", provider=row, errors=errors or {}, typed=typed)
    return page, status


@bp.get("/providers/<int:provider_id>")
@requires("write_participants")
def provider(provider_id: int) -> Page:
    """Show a provider's name, phone, needs and whether it takes new plan entries."""
    return provider_page(row_or_404(get_session(), Provider, provider_id))


def comparable(fields: dict[str, Any]) -> dict[str, Any]:
    """Return the fields with the needs as a set: ticked in another order is no change."""
    return {k: frozenset(v) if k == "needs" else v for k, v in fields.items()}


def drawn_provider() -> dict[str, Any]:
    """Return what the posted form was drawn with (`was_` fields), so a save undoes no other."""
    drawn: dict[str, Any] = drawn_on_the_page(("name", "phone"))
    if drawn.get("phone") == "":  # drawn with no phone: as stored, None
        drawn["phone"] = None
    if "was_needs" in request.form:
        drawn["needs"] = [n for n in request.form["was_needs"].split(",") if n]
    return drawn


@bp.post("/providers/<int:provider_id>")
@requires("write_participants")
def edit_provider(provider_id: int) -> Page | Response:
    """Change a provider's name, phone, needs, or whether it takes new plan entries."""
    row = row_or_404(get_session(), Provider, provider_id)
    # Every field is posted: an emptied name is refused, an emptied phone removed.
    values: dict[str, Any] = {"name": request.form.get("name", ""), "phone": None}
    values |= form_values("name", "phone", "needs")
    values["active"] = request.form.get("active") == "on"
    data, errors = checked(ProviderPatch, values)
    if data is None:
        return provider_page(row, 422, errors)
    if repeated_post():  # a phone's retry: the first was saved, not "nothing changed"
        return redirect(url_for("web.providers", _anchor="main"))
    posted = data.model_dump(include=set(values))
    current = directory.provider_fields(row)
    changed_keys = changed_on_the_page(
        comparable(posted), comparable(current), comparable(drawn_provider())
    )
    if changed_keys:
        changed = {k: posted[k] for k in changed_keys}
        patch = ProviderPatch.model_construct(**changed)
        directory.update_provider(get_session(), row.id, patch, actor(), datetime.now(UTC))
        get_session().commit()
    name = row.name
    flash(
        web_text("Saved {name}.", name=name)
        if changed_keys
        else web_text("Nothing changed for {name}.", name=name)
    )
    return redirect(url_for("web.providers", _anchor="main"))
