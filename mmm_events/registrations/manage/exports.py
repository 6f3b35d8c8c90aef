"""The registrant list, with the organiser's filters and sort, as CSV and as XLSX.

One statement reads the registrations with one yes/no column per day of the event; its rows
are fetched in batches of ``BATCH`` (a server-side cursor on PostgreSQL) and turned into
``ExportRow`` records, read by column name. Both files are streamed as the batches come, so
that 100,000 registrations start downloading at once and memory stays flat (the XLSX by
``spreadsheet.xlsx_stream``, the CSV by ``spreadsheet.csv_stream``). The CSV comes with commas,
or with semicolons, the separator Excel expects where the decimal mark is a comma (French
Excel). Cells that a spreadsheet would run as a formula are prefixed with an apostrophe
(``spreadsheet.neutralise``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import Response, abort, request, stream_with_context
from flask_babel import _
from sqlalchemy import exists

from ... import audit
from ...extensions import db
from ...i18n import current_language
from ...models import Event, Question, Registration, RegistrationDay, RegistrationStatus
from ...organiser.access import event_for_organiser
from ...organiser.blueprint import bp
from ...questions.exports import answer_cells, export_questions, question_headers
from ...web import LANGUAGE_LABELS, status_label
from ..management import RegistrantFilter, filtered_query
from ..spreadsheet import FORMULA_CHARS, csv_stream, neutralise, xlsx_stream
from ..spreadsheet import MIMETYPE as XLSX_MIMETYPE

BATCH = 2000
# The separators the CSV export offers, by the value of its ``separator`` parameter.
SEPARATORS = {"comma": ",", "semicolon": ";"}
# Column widths in the XLSX, in characters: the fixed columns, then each day's.
_WIDTHS = (14, 28, 32, 28, 16, 10, 12, 18, 18, 18, 40)
_DAY_WIDTH = 18
_COLUMNS = (
    Registration.id,
    Registration.full_name,
    Registration.email,
    Registration.organisation,
    Registration.country,
    Registration.language,
    Registration.status,
    Registration.created_at,
    Registration.checked_in_at,
    Registration.cancelled_at,
    Registration.needs,
)


def header(event: Event, questions: Sequence[Question] = ()) -> list[str]:
    fixed = [
        _("Registration number"),
        _("Name"),
        _("Email"),
        _("Organisation"),
        _("Country"),
        _("Language"),
        _("Status"),
        _("Registered at"),
        _("Checked in at"),
        _("Cancelled at"),
        _("Needs"),
    ]
    days = [_("Attends %(day)s", day=day.isoformat()) for day in event.days]
    return fixed + days + question_headers(questions, current_language())


class ExportRow(NamedTuple):
    """One registration as exported: typed values, times in the event's time zone, and one
    "yes" or "no" per day of the event, in the export's language; text not yet made safe for
    spreadsheets."""

    number: int
    name: str
    email: str
    organisation: str
    country: str
    language: str
    status: str
    registered_at: datetime
    checked_in_at: datetime | None
    cancelled_at: datetime | None
    needs: str
    days: tuple[str, ...]
    # One typed value per question of the export (None: not answered).
    answers: tuple = ()

    def cells(self) -> list:
        """The values in the order of ``header``."""
        return [*self[:-2], *self.days, *self.answers]


def export_batches(
    event: Event, f: RegistrantFilter, questions: Sequence[Question] = ()
) -> Iterator[list[ExportRow]]:
    """The registrations in the list's order, a batch at a time, with their answers to
    ``questions`` (read in one query per batch)."""
    zone = ZoneInfo(event.timezone)
    # One yes/no column per day of the event, answered by the primary key of registration_day
    # in the same statement: no second query, no list of ids sent back to the database.
    attends = [
        exists()
        .where(RegistrationDay.registration_id == Registration.id, RegistrationDay.day == day)
        .label(f"day_{n}")
        for n, day in enumerate(event.days)
    ]
    query = filtered_query(event, f, *_COLUMNS, *attends).execution_options(
        stream_results=True, max_row_buffer=BATCH
    )
    # Plain rows from the connection: the ORM's row processing would double the time taken.
    result = db.session.connection().execute(query)
    yes, no = _("yes"), _("no")
    # Statuses in the organiser's words, each translated once rather than once a row.
    statuses = {status: status_label(status) for status in RegistrationStatus}
    languages = {code: str(label) for code, label in LANGUAGE_LABELS.items()}
    language = current_language()
    unanswered = (None,) * len(questions)
    for batch in result.partitions(BATCH):
        answers = answer_cells(questions, [row[0] for row in batch], language)
        # Each row unpacked by name, in the order of _COLUMNS: reading a Row's attributes one
        # by one would take longer than writing the whole CSV.
        yield [
            ExportRow(
                number=number,
                name=full_name,
                email=email,
                organisation=organisation,
                country=country,
                language=languages[language],
                status=statuses[status],
                registered_at=created_at.astimezone(zone),
                checked_in_at=checked_in_at and checked_in_at.astimezone(zone),
                cancelled_at=cancelled_at and cancelled_at.astimezone(zone),
                needs=needs,
                days=tuple([yes if present else no for present in day_flags]),
                answers=tuple(answers.get(number, unanswered)),
            )
            for (
                number, full_name, email, organisation, country, language, status,
                created_at, checked_in_at, cancelled_at, needs, *day_flags,
            ) in batch
        ]


def _text(value: str) -> str:
    # The same rule as neutralise(), inlined: it runs for five cells of every row.
    return "'" + value if value and value[0] in FORMULA_CHARS else value


def _csv_answer(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return _text(value) if isinstance(value, str) else str(value)


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def csv_chunks(
    event: Event,
    batches: Iterable[list[ExportRow]],
    delimiter: str = ",",
    questions: Sequence[Question] = (),
) -> Iterator[bytes]:
    """The registrant list as CSV, cells made safe for spreadsheets."""
    return csv_stream(
        header(event, questions),
        (
            (
                [
                    r.number, _text(r.name), _text(r.email), _text(r.organisation),
                    _text(r.country), r.language, r.status, _when(r.registered_at),
                    _when(r.checked_in_at), _when(r.cancelled_at), _text(r.needs), *r.days,
                    *map(_csv_answer, r.answers),
                ]
                for r in batch
            )
            for batch in batches
        ),
        delimiter,
    )


def _xlsx_cell(value):
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, datetime):
        # A spreadsheet has no time zones: the event's wall-clock time, as in the CSV.
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        # A date answer: midnight of that day, shown as a date.
        return datetime(value.year, value.month, value.day)  # noqa: DTZ001 - wall-clock
    return value


def _filename(event: Event, extension: str) -> str:
    return f"{event.slug}-registrants.{extension}"


@bp.get("/events/<int:event_id>/registrants.csv")
def export_csv(event_id: int):
    event = event_for_organiser(event_id)
    f = RegistrantFilter.from_args(request.args, event)
    delimiter = SEPARATORS.get(request.args.get("separator", "comma"))
    if delimiter is None:
        abort(400)
    sensitive = _sensitive_asked()
    audit.record_at_once(audit.REGISTRANTS_EXPORTED, event_id=event.id,
                         detail={"format": "csv"} | ({"sensitive": True} if sensitive else {}))
    chunks = _stream(event, f, delimiter, export_questions(event, sensitive=sensitive))
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(event, "csv")}"',
        },
    )


def _sensitive_asked() -> bool:
    """The organiser asked explicitly for the answers to sensitive questions (audited)."""
    return request.args.get("sensitive") == "1"


def _stream(
    event: Event, f: RegistrantFilter, delimiter: str, questions: Sequence[Question]
) -> Iterator[bytes]:
    yield from csv_chunks(event, export_batches(event, f, questions), delimiter, questions)


@bp.get("/events/<int:event_id>/registrants.xlsx")
def export_xlsx(event_id: int):
    event = event_for_organiser(event_id)
    f = RegistrantFilter.from_args(request.args, event)
    sensitive = _sensitive_asked()
    audit.record_at_once(audit.REGISTRANTS_EXPORTED, event_id=event.id,
                         detail={"format": "xlsx"} | ({"sensitive": True} if sensitive else {}))
    questions = export_questions(event, sensitive=sensitive)
    return Response(
        stream_with_context(_xlsx_chunks(event, f, questions)),
        mimetype=XLSX_MIMETYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(event, "xlsx")}"',
        },
    )


def _xlsx_chunks(
    event: Event, f: RegistrantFilter, questions: Sequence[Question]
) -> Iterator[bytes]:
    labels = header(event, questions)
    widths = [*_WIDTHS, *[_DAY_WIDTH] * len(event.days), *[_DAY_WIDTH] * len(questions)]
    yield from xlsx_stream(
        _("Registrants"),
        [neutralise(h) for h in labels],
        [max(width, len(label) + 2) for width, label in zip(widths, labels, strict=True)],
        (
            ([_xlsx_cell(v) for v in row.cells()] for row in batch)
            for batch in export_batches(event, f, questions)
        ),
    )
