"""Every sentence a channel speaks or texts is in each language's catalog (issue 15)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

import hotline
from hotline.db import session_scope
from hotline.i18n import CHANNELS, LANGUAGES, SOURCE_LANGUAGE, Translate, catalog_path, translator
from hotline.models import User

PACKAGE = Path(hotline.__file__).resolve().parent
KEYWORDS = {"_": None, "N_": None}
# The page modules write their sentences with web_text("..."): its first argument is one.
WEB_KEYWORDS = {**KEYWORDS, "web_text": None}
PLACEHOLDER = re.compile(r"\{(\w+)\}")
# The code that speaks for each channel (and only it: a sentence belongs to one channel).
# The services write the words pages show of what they work out (report columns, say).
SOURCES = {"voice": ["voice"], "sms": ["sms"], "web": ["web", "services", "templates"]}
METHODS = [("**.py", "python"), ("**.html", "jinja2")]
# The web is English only (SPEC §9): its catalog template is kept current, ready for a language.
WEB_TEMPLATE = PACKAGE / "translations" / "web.pot"
REFRESH_WEB = (
    "pybabel extract -F babel.cfg -k _ -k N_ -k web_text --no-location --omit-header "
    "-o hotline/translations/web.pot hotline/web hotline/services hotline/templates"
)


def sentences(channel: str) -> set[str]:
    """Return the message ids the channel's code marks with _() or N_() (or web_text())."""
    found: set[str] = set()
    keywords = WEB_KEYWORDS if channel == "web" else KEYWORDS
    for folder in SOURCES[channel]:
        for _file, _line, message, _comments, _context in extract_from_dir(
            PACKAGE / folder, METHODS, keywords=keywords
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def translations(channel: str, language: str) -> dict[str, str]:
    path = catalog_path(channel, language)
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle) if m.id}


TRANSLATED = [
    (c, lang) for c in CHANNELS for lang in LANGUAGES if lang != SOURCE_LANGUAGE and c != "web"
]


@pytest.mark.parametrize(("channel", "language"), TRANSLATED)
def test_every_sentence_has_a_translation(channel: str, language: str) -> None:
    catalog = translations(channel, language)
    missing = sorted(m for m in sentences(channel) if not catalog.get(m))
    assert missing == [], f"{catalog_path(channel, language)} lacks {len(missing)}: {missing[:5]}"


@pytest.mark.parametrize(("channel", "language"), TRANSLATED)
def test_no_translation_is_left_over_or_loses_a_placeholder(channel: str, language: str) -> None:
    catalog = translations(channel, language)
    assert sorted(set(catalog) - sentences(channel)) == []  # run pybabel update (README)
    for english, translated in catalog.items():
        assert set(PLACEHOLDER.findall(translated)) == set(PLACEHOLDER.findall(english)), english


def test_a_language_without_a_sentence_falls_back_to_english() -> None:
    _ = translator("voice", "xx")
    assert _("Press {digit}.", digit=1) == "Press 1."


def test_the_web_catalog_template_is_current() -> None:
    with WEB_TEMPLATE.open("rb") as handle:
        kept = {str(m.id) for m in read_po(handle) if m.id}
    assert kept == sentences("web"), f"refresh it: {REFRESH_WEB}"
    assert len(kept) > 400  # the pages' words, not a handful
    assert "Consent recorded." in kept  # a page module's web_text() sentence


def test_pages_are_written_through_the_web_catalog(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hotline.web.language as web

    def bracketed(channel: str, language: str | None) -> Translate:
        return lambda message, **params: "[[" + message.format(**params) + "]]"

    monkeypatch.setattr(web, "translator", bracketed)
    page = client.get("/login").get_data(as_text=True)
    assert "[[LEAD hotline]]" in page and "[[Skip to content]]" in page
    assert "[[Sign in]]" in page


def test_a_web_sentence_escapes_what_is_filled_in_but_not_its_own_words() -> None:
    from hotline.web.language import web_text

    said = web_text("Added {name}'s record.", name="<b>Bo</b>")
    assert str(said) == "Added &lt;b&gt;Bo&lt;/b&gt;'s record."


def test_a_later_web_language_is_only_a_catalog(
    app: Flask, client: FlaskClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hotline.i18n as i18n
    from tests.factories import add_user
    from tests.web.conftest import PASSWORD, Web

    catalog = tmp_path / "es" / "LC_MESSAGES" / "web.po"
    catalog.parent.mkdir(parents=True)
    catalog.write_text('msgid "Sign out"\nmsgstr "Cerrar sesión"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    i18n._table.cache_clear()
    try:
        spanish = add_user(app, "Lupe Ortiz", "coordinator", password=PASSWORD)
        with session_scope(app) as session:
            session.get_one(User, spanish.id).language = "es"
        web = Web(client)
        assert web.login(spanish).status_code == 302
        page = web.text("/")
        assert "Cerrar sesión" in page and 'lang="es"' in page
        assert "Dashboard" in page  # a sentence the catalog lacks stays English
    finally:
        i18n._table.cache_clear()


# Literals in the page modules that look like sentences but no page shows, each with why.
NOT_PROSE = {
    "Allow": "an HTTP header's name",
    "Cache-Control": "an HTTP header's name",
    "Content-Disposition": "an HTTP header's name",
    "Retry-After": "an HTTP header's name",
    'attachment; filename="{}"': "an HTTP header's value",
    "text/csv; charset=utf-8": "a media type",
    "openid email": "the OAuth scopes single sign-on asks for",
    "(not an OAuth error code)": "written to the log only",
    "not anyone's password": "hashed so that an unknown email takes as long to refuse",
    "Twilio answered ": "the prefix a stored refusal loses before a page quotes it",
    "Value error, ": "the prefix pydantic puts before a validator's message, removed",
    "no words for {}": "a TypeError for a programming slip, never a page",
    '<input type="hidden" name="{}" value="{}">': "markup with no words in it",
}
IANA_ZONE = re.compile(r"[A-Z][a-z]+/[A-Za-z_]+")  # America/New_York: a time zone's name
CATALOG_CALLS = {"_", "N_", "web_text"}
LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical", "log_exception"}
WORD = re.compile(r"[A-Za-z][a-z']+")


def literal_text(node: ast.AST) -> str | None:
    """Return a string literal's text, an f-string's with each value as `{}`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = [v.value if isinstance(v, ast.Constant) else "{}" for v in node.values]
        return "".join(str(part) for part in parts)
    return None


def reads_as_prose(text: str) -> bool:
    """Tell whether a literal reads as words for a person: a capitalised word, or a phrase."""
    if text in NOT_PROSE or IANA_ZONE.fullmatch(text):
        return False
    words = WORD.findall(text.replace("{}", " "))
    capitalised = re.match(r"\W*[A-Z][a-z]", text) is not None
    return bool(words) and (capitalised or (" " in text.strip() and len(words) >= 1))


def called(node: ast.Call) -> str:
    function = node.func
    if isinstance(function, ast.Name):
        return function.id
    return function.attr if isinstance(function, ast.Attribute) else ""


def uncatalogued(path: Path) -> list[str]:
    """Return `file:line: text` for each prose literal of a module outside the catalog."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    spoken_for: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            spoken_for.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Call) and called(node) in CATALOG_CALLS | LOG_CALLS:
            spoken_for.update(id(inner) for arg in node.args for inner in ast.walk(arg))
        if isinstance(node, ast.JoinedStr):
            spoken_for.update(id(inner) for inner in ast.walk(node) if inner is not node)
    found = []
    for node in ast.walk(tree):
        text = literal_text(node)
        if text is not None and id(node) not in spoken_for and reads_as_prose(text):
            found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {text!r}")
    return sorted(found)


def test_every_sentence_a_web_page_shows_is_in_the_catalog() -> None:
    # An f-string or bare literal in a page module never reaches web.pot, so no
    # translator sees it: mark it _("… {name} …", name=…), or N_ in a table.
    found = [line for path in sorted((PACKAGE / "web").glob("*.py")) for line in uncatalogued(path)]
    assert found == [], "\n".join(found)


def test_every_word_a_service_marks_for_the_pages_is_in_the_web_catalog() -> None:
    # A page says a services N_ word with web_text(value): without it in web.pot,
    # there is nothing to translate.
    marked = {
        str(message)
        for _file, _line, message, _comments, _context in extract_from_dir(
            PACKAGE / "services", METHODS, keywords={"N_": None}
        )
    }
    with WEB_TEMPLATE.open("rb") as handle:
        kept = {str(m.id) for m in read_po(handle) if m.id}
    assert {"6 months", "time to ACK", "not set"} <= marked
    assert sorted(marked - kept) == [], f"refresh it: {REFRESH_WEB}"
