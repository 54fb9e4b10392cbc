"""The web's words: one catalog per language (English today), the values filled in escaped."""

from __future__ import annotations

from flask import g, has_request_context
from markupsafe import Markup, escape

from ..i18n import SOURCE_LANGUAGE, catalog_path, translator


def web_language() -> str:
    """Return the language of this page: the signed-in user's, once the web has its catalog.

    The web is English today (SPEC §9): no language but English has a web catalog, so
    every page is English. Adding `translations/<lang>/LC_MESSAGES/web.po` is all a
    later language takes.
    """
    user = g.get("web_user") if has_request_context() else None
    language = getattr(user, "language", None) or SOURCE_LANGUAGE
    return language if catalog_path("web", language).exists() else SOURCE_LANGUAGE


def web_text(message: str, **params: object) -> Markup:
    """Return a page's sentence from the web catalog, placeholders filled (`{name}`).

    The catalog is part of the code, so its words are safe HTML as written (an
    apostrophe stays one); only the values filled in are escaped, as Jinja's own
    i18n extension does.
    """
    values = {name: escape(value) for name, value in params.items()}
    return Markup(translator("web", web_language())(message, **values))
