"""The registrant list, with the organiser's filters, as CSV (streamed) and as XLSX.

Rows are read from the database in batches and written out as they come, so that 100,000
registrations start downloading at once and the worker's memory stays flat.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Response, request, send_file, stream_with_context
from flask_babel import _
from openpyxl import Workbook
from sqlalchemy import exists

from ..extensions import db
from ..models import Event, Registration, RegistrationDay
from ..privacy import audit
from .access import event_for_organiser
from .blueprint import bp
from .registrants import RegistrantFilter, filtered_query

BATCH = 2000
# A spreadsheet runs a cell starting with one of these as a formula ("CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_CHARS = frozenset("".join(_FORMULA_STARTS))
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


def neutralise(value: str) -> str:
    """Text a spreadsheet shows as text: a leading apostrophe disarms a would-be formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def header(event: Event) -> list[str]:
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
    return fixed + [_("Attends %(day)s", day=day.isoformat()) for day in event.days]


def export_batches(event: Event, f: RegistrantFilter) -> Iterator[list[list]]:
    """The registrations in the list's order, a batch at a time, one list of typed values per
    registration (datetimes in the event's time zone); text is not escaped."""
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
    for batch in result.partitions(BATCH):
        yield [
            [
                row[0], row[1], row[2], row[3], row[4], row[5].value, row[6].value,
                row[7].astimezone(zone),
                row[8] and row[8].astimezone(zone),
                row[9] and row[9].astimezone(zone),
                row[10],
                *["yes" if attended else "" for attended in row[11:]],
            ]
            for row in batch
        ]


def _text(value: str) -> str:
    # The same rule as neutralise(), inlined: it runs for five cells of every row.
    return "'" + value if value and value[0] in _FORMULA_CHARS else value


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def csv_stream(header: list[str], batches: Iterable[Iterable[list]]) -> Iterator[bytes]:
    """A CSV file in pieces, one per batch of rows, so that a long export starts at once and
    keeps memory flat: a byte-order mark first, so that Excel reads the file as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def drain() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    writer.writerow([neutralise(h) for h in header])
    yield "\ufeff".encode() + drain()
    for rows in batches:
        writer.writerows(rows)
        yield drain()


def csv_chunks(event: Event, batches: Iterable[list[list]]) -> Iterator[bytes]:
    """The registrant list as CSV, cells made safe for spreadsheets."""
    return csv_stream(
        header(event),
        (
            (
                [
                    r[0], _text(r[1]), _text(r[2]), _text(r[3]), _text(r[4]), r[5], r[6],
                    _when(r[7]), _when(r[8]), _when(r[9]), _text(r[10]), *r[11:],
                ]
                for r in batch
            )
            for batch in batches
        ),
    )


def _xlsx_cell(value):
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, datetime):
        # A spreadsheet has no time zones: the event's wall-clock time, as in the CSV.
        return value.replace(tzinfo=None)
    return value


def _filename(event: Event, extension: str) -> str:
    return f"{event.slug}-registrants.{extension}"


@bp.get("/events/<int:event_id>/registrants.csv")
def export_csv(event_id: int):
    event = event_for_organiser(event_id)
    f = RegistrantFilter.from_args(request.args, event)
    audit.record_at_once(audit.REGISTRANTS_EXPORTED, event_id=event.id, detail={"format": "csv"})
    chunks = _stream(event, f)
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(event, "csv")}"',
        },
    )


def _stream(event: Event, f: RegistrantFilter) -> Iterator[bytes]:
    yield from csv_chunks(event, export_batches(event, f))


@bp.get("/events/<int:event_id>/registrants.xlsx")
def export_xlsx(event_id: int):
    event = event_for_organiser(event_id)
    f = RegistrantFilter.from_args(request.args, event)
    audit.record_at_once(audit.REGISTRANTS_EXPORTED, event_id=event.id, detail={"format": "xlsx"})
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Registrants")[:31])
    sheet.append([neutralise(h) for h in header(event)])
    for batch in export_batches(event, f):
        for row in batch:
            sheet.append([_xlsx_cell(v) for v in row])
    output = io.BytesIO()
    workbook.save(output)
    output.seek(0)
    return send_file(
        output,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=_filename(event, "xlsx"),
    )
