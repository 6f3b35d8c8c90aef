"""Reading invitee lists from CSV and XLSX files into a report, before anything is saved."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from ..addresses import normalise_email
from ..models import Language
from ..text import clean_name

# Header names people actually write, in English, French and Arabic, mapped to our columns.
COLUMN_ALIASES = {
    "email": "email",
    "e-mail": "email",
    "email address": "email",
    "e-mail address": "email",
    "mail": "email",
    "courriel": "email",
    "adresse e-mail": "email",
    "adresse email": "email",
    "name": "name",
    "full name": "name",
    "nom": "name",
    "nom complet": "name",
    "organisation": "organisation",
    "organization": "organisation",
    "organisme": "organisation",
    "language": "language",
    "langue": "language",
    "lang": "language",
    "note": "note",
    "notes": "note",
    "remarque": "note",
    "البريد الإلكتروني": "email",
    "الاسم": "name",
    "الاسم الكامل": "name",
    "المنظمة": "organisation",
    "الهيئة": "organisation",
    "اللغة": "language",
    "ملاحظة": "note",
    "ملاحظات": "note",
}
REQUIRED_COLUMNS = ("email", "name", "organisation", "language")
LANGUAGE_ALIASES = {
    "en": Language.EN,
    "english": Language.EN,
    "anglais": Language.EN,
    "fr": Language.FR,
    "french": Language.FR,
    "français": Language.FR,
    "francais": Language.FR,
    "ar": Language.AR,
    "arabic": Language.AR,
    "arabe": Language.AR,
    "العربية": Language.AR,
    "عربي": Language.AR,
    "عربية": Language.AR,
}
FIELD_LIMITS = {"name": 200, "organisation": 200, "note": 2000}
MAX_ROWS = 50_000


class ImportFileError(ValueError):
    """The file as a whole cannot be read; the message says why, for the organiser."""


@dataclass
class InviteeRow:
    line: int
    email: str
    email_normalised: str
    name: str
    organisation: str
    language: Language
    note: str


@dataclass
class RejectedRow:
    line: int
    reason: str
    value: str


@dataclass
class MergedRow:
    line: int
    email: str
    # The line of the row it was merged into, or None when it matched an existing invitation.
    first_line: int | None


@dataclass
class ImportReport:
    accepted: list[InviteeRow] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    duplicates: list[MergedRow] = field(default_factory=list)
    already_invited: list[MergedRow] = field(default_factory=list)
    suppressed: list[MergedRow] = field(default_factory=list)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).replace("\r\n", "\n")
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        # Control characters have no place in a name or an address (and PostgreSQL refuses
        # NUL): each becomes a space.
        text = "".join(
            " " if unicodedata.category(c) == "Cc" and c not in "\n\t" else c for c in text
        )
    return text.strip()


def _decode(data: bytes) -> str:
    # Excel writes UTF-8 with a byte-order mark ("CSV UTF-8") or, in older versions and
    # French locales, Windows-1252.
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    # The separator is whichever of these the header line uses most: Excel in French
    # locales writes ";" because "," is the decimal mark.
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise ImportFileError(
            _l("The file could not be read near line %(line)d.", line=reader.line_num)
        ) from exc


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    # Imported here: openpyxl is loaded only when someone imports a spreadsheet.
    from .spreadsheets import xlsx_rows

    for number, row in xlsx_rows(data, max_rows=MAX_ROWS):
        yield number, [_cell(v) for v in row]


def read_rows(filename: str, data: bytes) -> Iterator[tuple[int, list[str]]]:
    """The file's rows with their line numbers (as a spreadsheet program would number them)."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _xlsx_rows(data)
    if name.endswith((".csv", ".txt")):
        return _csv_rows(data)
    raise ImportFileError(_l("Please choose a .csv or .xlsx file."))


def _columns(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        key = COLUMN_ALIASES.get(" ".join(title.strip().lower().split()))
        if key and key not in columns:
            columns[key] = index
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ImportFileError(
            _l(
                "The first line of the file must name the columns email, name, organisation "
                "and language (note is optional). Missing: %(columns)s.",
                columns=", ".join(missing),
            )
        )
    return columns


def _header(rows: Iterator[tuple[int, list[str]]]) -> dict[str, int]:
    """The columns named by the first non-empty row, which ``rows`` moves past."""
    for _line, row in rows:
        if any(_cell(v) for v in row):
            return _columns([_cell(v) for v in row])
    raise ImportFileError(_l("The file is empty."))


def _checked(line: int, cells: list[str], columns: dict[str, int]) -> InviteeRow | RejectedRow:
    """One data row as an invitee, or the reason it cannot be one."""
    shown = ", ".join(cells)[:200]
    if len(cells) <= max(columns[c] for c in REQUIRED_COLUMNS):
        return RejectedRow(line, str(_l("A column is missing on this line.")), shown)
    if not cells[columns["email"]]:
        return RejectedRow(line, str(_l("The email address is empty.")), shown)
    values = {key: cells[index] if index < len(cells) else "" for key, index in columns.items()}
    # A line break inside a quoted cell is kept in the note only.
    for key in ("email", "name", "organisation", "language"):
        values[key] = " ".join(values[key].split())
    # Cleaned here already, so that the preview shows the name as it will be stored.
    values["name"] = clean_name(values["name"])
    try:
        email = validate_email(values["email"], check_deliverability=False).normalized
    except EmailNotValidError:
        return RejectedRow(line, str(_l("This is not a valid email address.")), shown)
    language = LANGUAGE_ALIASES.get(values["language"].lower() or "en")
    if language is None:
        reason = _l("Unknown language “%(value)s”: use en, fr or ar.", value=values["language"])
        return RejectedRow(line, str(reason), shown)
    too_long = [k for k, limit in FIELD_LIMITS.items() if len(values.get(k, "")) > limit]
    if too_long:
        reason = _l("The %(column)s is too long.", column=too_long[0])
        return RejectedRow(line, str(reason), shown)
    return InviteeRow(
        line=line,
        email=email,
        email_normalised=normalise_email(email),
        name=values["name"],
        organisation=values["organisation"],
        language=language,
        note=values.get("note", ""),
    )


def parse_rows(rows: Iterable[tuple[int, list[str]]]) -> ImportReport:
    """Check every row; merge repeated addresses into their first row. Touches no database."""
    report = ImportReport()
    iterator = iter(rows)
    columns = _header(iterator)
    seen: dict[str, InviteeRow] = {}
    for count, (line, raw) in enumerate(iterator, start=1):
        if count > MAX_ROWS:
            raise ImportFileError(
                _l("The file has more than %(max)d rows; please split it.", max=MAX_ROWS)
            )
        cells = [_cell(v) for v in raw]
        if not any(cells):
            continue
        row = _checked(line, cells, columns)
        if isinstance(row, RejectedRow):
            report.rejected.append(row)
            continue
        first = seen.get(row.email_normalised)
        if first is not None:
            # Merged: the first row wins, and later rows fill in what it left empty.
            first.name = first.name or row.name
            first.organisation = first.organisation or row.organisation
            first.note = first.note or row.note
            report.duplicates.append(MergedRow(line, row.email, first.line))
            continue
        seen[row.email_normalised] = row
        report.accepted.append(row)
    return report
