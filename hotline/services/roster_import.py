"""The officer roster from a CSV file: each good row added, each bad one reported by line."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..audit import Actor, record_many, snapshot
from ..models import Officer
from ..schemas.people import OfficerCreate, OfficerPatch
from .errors import Conflict, FieldInvalid
from .participant_match import folded_words
from .people import create_officer, officer_fields, plain_first_error, update_officer
from .people_unique import already_used, possessive

OFFICER_CSV_COLUMNS = ("name", "badge", "agency", "phone")
# New officers written at a time: one statement for their rows and one for their audit
# events. One of each per officer made a roster of 10,000 outlast the web worker's 15 s.
BATCH = 200


@dataclass
class ImportReport:
    """What an officer CSV import did: officers added or put back, rows refused with reasons."""

    imported: int = 0
    reactivated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


# An optional `language` column, as a sheet writes it: a word as often as a code.
LANGUAGE_WORDS = {"english": "en", "inglés": "en", "spanish": "es", "español": "es"}

# Excel for Windows' "CSV (Comma delimited)" is cp1252: refused rather than guessed, since a
# guess read wrong would put a misspelt name in every whisper; "CSV UTF-8" is one click away.
NOT_UTF8 = "this file is not UTF-8 text: save it as CSV UTF-8."


def roster_text(data: bytes) -> str:
    """Return a roster file's text without its byte-order mark, or refuse one not in UTF-8."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FieldInvalid(NOT_UTF8, "file") from None


def import_officers(
    session: Session, text: str, region: str, actor: Actor, now: datetime, language: str = "en"
) -> ImportReport:
    """Add each good row of a roster CSV (header: name,badge,agency,phone); report each bad one."""
    report = ImportReport()
    # Universal newlines: a file saved with bare CR line ends (Excel for Mac) reads too.
    reader = csv.DictReader(io.StringIO(text, newline=None), delimiter=_separator(text))
    try:
        # A spreadsheet's header reads "Name, Badge, Agency, Phone" as often as not.
        reader.fieldnames = [name.strip().lower() for name in reader.fieldnames or []]
        missing = [c for c in OFFICER_CSV_COLUMNS if c not in reader.fieldnames]
    except csv.Error as error:
        report.errors.append((1, f"the header cannot be read as CSV ({error})"))
        return report
    repeated = _repeated(reader.fieldnames)
    if repeated:
        # Each row would keep the last such cell alone: a phone nobody chose, say.
        report.errors.append((1, repeated))
        return report
    if missing:
        report.errors.append((1, f"the header lacks: {', '.join(missing)}"))
        return report
    last_line = _line_count(text)
    writer = _Writer(session, actor, now, report)
    for first, line, row in _rows_with_lines(reader, report):
        if not any(isinstance(value, str) and value.strip() for value in row.values()):
            continue  # ",,,": Excel keeps rows whose cells once held something; no officer
        if any("\n" in value for value in row.values() if isinstance(value, str)):
            if line == last_line:
                # An opening quote never closed: csv read the lines after it as one value.
                reason = f"a quote opened on line {first} is not closed: "
                report.errors.append((first, f"{reason}lines {first} to {line} were not imported"))
            else:
                # Closed further down: a cell with a line break, or a stray quote that
                # joined rows; either way no officer is read from it.
                reason = f"a quoted value runs over lines {first} to {line}: "
                reason += (
                    f"put each officer on one line (lines {first} to {line} were not imported)"
                )
                report.errors.append((first, reason))
            continue
        values: dict[str, str | None] = {c: (row.get(c) or "") for c in OFFICER_CSV_COLUMNS}
        language_typed = (row.get("language") or "").strip().lower()
        values["language"] = LANGUAGE_WORDS.get(language_typed, language_typed) or None
        try:
            context = {"region": region, "language": language}
            data = OfficerCreate.model_validate(values, context=context)
            writer.take(line, data, bool(values["language"]))
        except ValidationError as error:
            field_name, message = plain_first_error(error)
            if field_name == "language":
                message = "write English or Spanish (or en, es)"
            report.errors.append((line, f"{field_name}: {message}"))
        except Conflict as error:
            report.errors.append((line, error.message))
    writer.write()
    report.errors.sort(key=lambda error: error[0])  # rows refused as a batch was written
    return report


def roster_now(session: Session) -> tuple[dict[str, bool], set[str]]:
    """Return every badge (whether its officer is on the roster) and the phones in use."""
    badges = {
        badge: active for badge, active in session.execute(select(Officer.badge, Officer.active))
    }
    phones = set(session.scalars(select(Officer.phone).where(Officer.active.is_(True))))
    return badges, phones


class _Writer:
    """Add the import's new officers BATCH at a time; put back a former officer at once.

    The roster is read once and kept up to date with the rows taken, so a row is
    checked without a query of its own. Another supervisor may add an officer
    meanwhile: a batch the unique indexes refuse is written again row by row,
    each clash refused by its line as a single add would be.
    """

    def __init__(self, session: Session, actor: Actor, now: datetime, report: ImportReport):
        self.session, self.actor, self.now, self.report = session, actor, now, report
        self.badges, self.phones = roster_now(session)
        self.pending: list[tuple[int, OfficerCreate]] = []
        self.lines: dict[str, int] = {}  # the line of this file each badge and phone came on
        # SQLite has one write lock for the whole file, and a call's webhook waits 1 s for
        # it: each batch lets go of it, or a roster of 1,500 sends every call meanwhile to
        # the fail-open answer. Rows stand alone in the report already.
        self.one_writer = session.get_bind().dialect.name == "sqlite"

    def take(self, line: int, data: OfficerCreate, language_given: bool) -> None:
        """Queue a new officer, put back a former one, or raise Conflict naming the clash."""
        held = self.badges.get(data.badge)
        for column, value in (("badge", data.badge), ("phone", data.phone)):
            if (first := self.lines.get(f"{column} {value}")) is not None:
                raise Conflict(
                    f"{column} {value} is on line {first} of this file too: "
                    "check which row is right",
                    column,
                )
        if held is True:
            raise already_used("badge", data.badge)
        if data.phone in self.phones:
            raise already_used("phone", data.phone)
        if held is False:
            self.write()  # the rows before it first, as the file has them
            _put_back(self.session, data, language_given, self.actor, self.now)
            self._commit()
            self.report.reactivated += 1
        else:
            self.pending.append((line, data))
        self.badges[data.badge] = True
        self.phones.add(data.phone)
        self.lines[f"badge {data.badge}"] = self.lines[f"phone {data.phone}"] = line
        if len(self.pending) >= BATCH:
            self.write()

    def write(self) -> None:
        """Write the queued officers and their audit events; refuse by line what clashes."""
        if not self.pending:
            return
        try:
            with self.session.begin_nested():
                rows = [
                    {**data.model_dump(), "active": True, "created_at": self.now}
                    for _, data in self.pending
                ]
                # One statement for the batch, then its ids by badge (unique for good):
                # RETURNING in the rows' order would cost a statement per row on SQLite.
                self.session.execute(insert(Officer), rows)
                badges = [row["badge"] for row in rows]
                written = select(Officer.badge, Officer.id).where(Officer.badge.in_(badges))
                ids = {badge: officer_id for badge, officer_id in self.session.execute(written)}
                shown = [officer_fields({**row, "id": ids[row["badge"]]}) for row in rows]
                created = [(officer["id"], None, snapshot(officer)) for officer in shown]
                record_many(self.session, self.actor, self.now, "create", "officer", created)
            self.report.imported += len(rows)
        except IntegrityError:
            for line, data in self.pending:
                try:
                    create_officer(self.session, data, self.actor, self.now)
                except Conflict as error:
                    self.report.errors.append((line, error.message))
                else:
                    self.report.imported += 1
        self.pending.clear()
        self._commit()

    def _commit(self) -> None:
        if self.one_writer:
            self.session.commit()


def _put_back(
    session: Session, data: OfficerCreate, language_given: bool, actor: Actor, now: datetime
) -> None:
    """Put back the officer who left with the row's badge, if the row names them.

    A roster exported again from the agency lists an officer back from leave under their
    old badge: the row brings them back with its phone and agency. A badge a former
    officer held, on a row naming someone else, may have been given anew: it is refused,
    since taking it would make the earlier officer's referrals look like the new one's.
    """
    former = session.scalars(
        select(Officer).where(Officer.badge == data.badge, Officer.active.is_(False))
    ).one()
    if folded_words(former.name) != folded_words(data.name):  # case, accents aside
        raise Conflict(
            f"badge {data.badge} is {possessive(former.name)}, who left the roster: "
            "put them back on their page, or check the badge",
            "badge",
        )
    back = OfficerPatch(phone=data.phone, agency=data.agency, active=True)
    if language_given:
        back.language = data.language
    update_officer(session, former.id, back, actor, now)


def _separator(text: str) -> str:
    """Return what separates the header's names: "," unless it has none but ";" or tabs.

    Excel writes ";" where the decimal mark is a comma, and tabs as "Text (Tab delimited)".
    """
    header = text.splitlines()[0] if text else ""
    if "," in header:
        return ","
    return max((";", "\t"), key=header.count) if (";" in header or "\t" in header) else ","


def _repeated(names: list[str]) -> str | None:
    """Return why a header naming a column more than once is refused, or None."""
    # Empty names are the blank cells a spreadsheet leaves after the last column.
    repeated = {name: names.count(name) for name in names if name and names.count(name) > 1}
    if not repeated:
        return None
    said = " and ".join(
        f"{name} {'twice' if count == 2 else f'{count} times'}" for name, count in repeated.items()
    )
    keep = f"keep one {next(iter(repeated))} column" if len(repeated) == 1 else "keep one of each"
    return f"the header names {said}: {keep}"


def _line_count(text: str) -> int:
    """Return the number of lines csv reads in `text`, however its lines end."""
    translated = io.StringIO(text, newline=None).read()
    return translated.count("\n") + (0 if translated.endswith("\n") or not translated else 1)


def _rows_with_lines(
    reader: csv.DictReader[str], report: ImportReport
) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """Yield each row with its first and last line; a line csv cannot read ends the file."""
    while True:
        first = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            reason = f"this line cannot be read as CSV ({error}): "
            report.errors.append((first, f"{reason}it and the lines after it were not imported"))
            return
        yield first, reader.line_num, row
