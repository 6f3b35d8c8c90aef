"""The registrant list, with the organiser's filters, as CSV (streamed) and as XLSX.

Rows are read from the database in batches and written out as they come, so that 100,000
registrations start downloading at once and the worker's memory stays flat.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Response, request, send_file, stream_with_context
from flask_babel import _
from openpyxl import Workbook
from sqlalchemy import select

from ..extensions import db
from ..models import Event, Registration, RegistrationDay
from .access import event_for_organiser
from .registrants import RegistrantFilter, filtered_query
from .views import bp

BATCH = 2000
# A spreadsheet runs a cell starting with one of these as a formula ("CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
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


def export_rows(event: Event, f: RegistrantFilter) -> Iterator[list]:
    """One list per registration, in the list's order, as typed values (datetimes are local)."""
    zone = ZoneInfo(event.timezone)
    days = event.days
    query = filtered_query(event, f, *_COLUMNS).execution_options(yield_per=BATCH)
    for batch in db.session.execute(query).partitions():
        attends: dict[int, set[date]] = defaultdict(set)
        ids = [row.id for row in batch]
        for registration_id, day in db.session.execute(
            select(RegistrationDay.registration_id, RegistrationDay.day).where(
                RegistrationDay.registration_id.in_(ids)
            )
        ):
            attends[registration_id].add(day)
        for row in batch:
            yield [
                row.id,
                row.full_name,
                row.email,
                row.organisation,
                row.country,
                row.language.value,
                row.status.value,
                _local(row.created_at, zone),
                _local(row.checked_in_at, zone),
                _local(row.cancelled_at, zone),
                row.needs,
            ] + ["yes" if day in attends[row.id] else "" for day in days]


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if moment is None else moment.astimezone(zone).replace(tzinfo=None)


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str):
        return neutralise(value)
    return str(value)


def csv_chunks(event: Event, f: RegistrantFilter, rows: Iterable[list]) -> Iterator[bytes]:
    """The CSV file in pieces: a byte-order mark so that Excel reads UTF-8, then the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def drain() -> bytes:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    writer.writerow([neutralise(h) for h in header(event)])
    yield "\ufeff".encode() + drain()
    for n, row in enumerate(rows, start=1):
        writer.writerow([_csv_cell(v) for v in row])
        if n % BATCH == 0:
            yield drain()
    yield drain()


def _filename(event: Event, extension: str) -> str:
    return f"{event.slug}-registrants.{extension}"


@bp.get("/events/<int:event_id>/registrants.csv")
def export_csv(event_id: int):
    event = event_for_organiser(event_id)
    f = RegistrantFilter.from_args(request.args, event)
    chunks = _stream(event, f)
    return Response(
        stream_with_context(chunks),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(event, "csv")}"',
        },
    )


def _stream(event: Event, f: RegistrantFilter) -> Iterator[bytes]:
    yield from csv_chunks(event, f, export_rows(event, f))


@bp.get("/events/<int:event_id>/registrants.xlsx")
def export_xlsx(event_id: int):
    event = event_for_organiser(event_id)
    f = RegistrantFilter.from_args(request.args, event)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Registrants")[:31])
    sheet.append([neutralise(h) for h in header(event)])
    for row in export_rows(event, f):
        sheet.append([neutralise(v) if isinstance(v, str) else v for v in row])
    # Kept in memory while small, spilled to disk when large.
    output = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    workbook.save(output)
    output.seek(0)
    return send_file(
        output,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=_filename(event, "xlsx"),
    )
