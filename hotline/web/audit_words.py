"""The audit log's before → after: which fields changed, then in words (names, local times)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .field_words import FIELD_WORDS
from .language import web_text
from .timeline import local
from .words import role_word, word

# Fields that hold a person's id, shown as the person's name.
PERSON_FIELDS = frozenset(
    {
        "acknowledged_by",
        "completed_by",
        "answered_by",
        "consent_by",
        "user_id",
        "created_by",
        "case_manager_id",
    }
)
# Fields that hold a provider's id, shown as the provider's name.
PROVIDER_FIELDS = frozenset({"provider_id"})
# Fields that hold an officer's id (who was told a participant's status), shown as the officer.
OFFICER_FIELDS = frozenset({"officer_id"})
# Fields that hold a participant's id, shown by number: the log never keeps their name.
PARTICIPANT_FIELDS = frozenset({"participant_id"})
# An override's instants (a rotation's `start` is a local reading, without an offset).
TIME_FIELDS = frozenset({"start", "end"})
# Fields that hold codes (or lists of codes) with words in WORDS.
CODED_FIELDS = frozenset(
    {
        "status",
        "type",
        "offense",
        "exclusions",
        "needs",
        "risks",
        "disposition",
        "channel",
        "outcome",
        "scope",
        "need",
    }
)
TIME_FORMAT = "%Y-%m-%d %H:%M"
# What the log keeps of a participant's name, birth date or plan note: that one was written.
WRITTEN = "written"


@dataclass(frozen=True)
class Change:
    """One field of a change: its value before and after as text (None: absent)."""

    key: str
    old: str | None
    new: str | None
    field: str | None = None  # the recorded key, once `key` is in words


def compact(value: Any) -> str:
    """Return a value as short JSON."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """Return the keys whose value differs between before and after, in their order."""
    before, after = before or {}, after or {}
    keys = list(after) + [k for k in before if k not in after]
    return [
        Change(
            key,
            compact(before[key]) if key in before else None,
            compact(after[key]) if key in after else None,
        )
        for key in keys
        if key not in before or key not in after or before[key] != after[key]
    ]


@dataclass(frozen=True)
class Names:
    """The names that ids in the log stand for: people's, providers' and officers'."""

    people: dict[int, str]
    providers: dict[int, str]
    officers: dict[int, str] = field(default_factory=dict)


def say(key: str, value: Any, names: Names, zone: ZoneInfo) -> str:
    """Return one recorded value as a person reads it."""
    if value is None:
        return web_text("none")
    if isinstance(value, bool):
        return web_text("yes") if value else web_text("no")
    if isinstance(value, list):
        return "; ".join(say(key, item, names, zone) for item in value) or web_text("none")
    if key == "role" and isinstance(value, str):
        return role_word(value)
    if key == "erased" and isinstance(value, str):  # retention names the fields it erased
        return web_text(FIELD_WORDS[value]) if value in FIELD_WORDS else value.replace("_", " ")
    if key in PERSON_FIELDS and isinstance(value, int):
        return names.people.get(value) or web_text("person #{n}", n=value)
    if key in PARTICIPANT_FIELDS and isinstance(value, int):
        return web_text("participant #{n}", n=value)
    if key in OFFICER_FIELDS and isinstance(value, int):
        return names.officers.get(value) or web_text("officer #{n}", n=value)
    if key in PROVIDER_FIELDS and isinstance(value, int):
        return names.providers.get(value) or web_text("provider #{n}", n=value)
    if isinstance(value, str) and (key.endswith("_at") or key in TIME_FIELDS):
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            return value
        if instant.tzinfo is None:
            return value
        return local(instant, zone, TIME_FORMAT, name_pass=True)
    if isinstance(value, str):
        return word(value) if key in CODED_FIELDS else value
    return compact(value)


def plain(
    diff: list[Change],
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    names: Names,
    zone: ZoneInfo,
    entity: str = "",
) -> list[Change]:
    """Return the changed fields with their names and values in words (None: absent)."""
    before, after = before or {}, after or {}

    def said(key: str, value: Any) -> str:
        # A participant's name, birth date and plan note are kept only as "written".
        if entity == "participant" and value == WRITTEN:
            return web_text("written")
        return say(key, value, names, zone)

    return [
        Change(
            web_text(FIELD_WORDS[change.key])
            if change.key in FIELD_WORDS
            else change.key.replace("_", " "),
            said(change.key, before[change.key]) if change.old is not None else None,
            said(change.key, after[change.key]) if change.new is not None else None,
            change.key,
        )
        for change in diff
    ]
