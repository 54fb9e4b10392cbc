"""The provider directory: who the program refers participants to, for which needs."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..db import get_session
from ..schemas.participants import ProviderIn
from ..services import providers as directory
from . import bp
from .auth import requires
from .form_once import repeated_post
from .language import web_text
from .participant_forms import checked, form_values
from .people import actor
from .people_forms import Errors

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
