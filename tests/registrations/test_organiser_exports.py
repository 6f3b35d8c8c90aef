"""Exports that open well in a spreadsheet (issue 11, point 5): the XLSX streamed, with a
frozen header, filters, column widths and real dates; the CSV with commas or semicolons;
yes/no in the export's language."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from mmm_events.registrations.spreadsheet import column_name, xlsx_stream

from . import test_organiser_registrants as registrants
from .test_organiser_registrants import HEADER, bulk_registrations, local, read_csv

# A download commits its audit entry on a connection of its own (audit.record_at_once).
pytestmark = pytest.mark.real_commits

# The registrant list's fixtures: its event, its people, an organiser signed in.
event = registrants.event
people = registrants.people
organiser_client = registrants.organiser_client


def xlsx(organiser_client, event, **args):
    response = organiser_client.get(
        f"/organiser/events/{event.id}/registrants.xlsx", query_string=args
    )
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return response


def test_the_xlsx_opens_with_a_frozen_header_filters_widths_and_dates(
    organiser_client, event, people
):
    response = xlsx(organiser_client, event)
    assert response.is_streamed
    workbook = load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook.active
    assert sheet.title == "Registrants"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:M5"
    assert [c.font.b for c in sheet[1]] == [True] * 13
    assert [sheet.column_dimensions[column_name(n)].width for n in range(13)] == [
        21, 28, 32, 28, 16, 10, 12, 18, 18, 18, 40, 20, 20
    ]
    fatima = sheet[2]
    # A date, in the event's zone (Casablanca, UTC+1), shown with its time.
    assert fatima[7].value == local(2027, 4, 1, 10, 0)
    assert fatima[7].number_format == "yyyy-mm-dd hh:mm"
    assert fatima[7].is_date
    assert [c.value for c in sheet[3]][3] == "'=HYPERLINK(\"http://evil\")"
    assert [c.value for c in sheet[4]][-2:] == ["yes", "no"]
    assert [c.value for c in sheet[1]] == HEADER


def test_the_xlsx_says_yes_and_no_in_the_export_language(organiser_client, event, people):
    sheet = load_workbook(io.BytesIO(xlsx(organiser_client, event, lang="fr").get_data())).active
    assert [c.value for c in sheet[4]][-2:] == ["oui", "non"]
    assert sheet.title == "Personnes inscrites"


def test_the_xlsx_leaves_in_pieces_as_the_rows_come(app, organiser_client, event):
    bulk_registrations(app, event, 4500)
    chunks = list(xlsx(organiser_client, event).response)
    # The start of the workbook, one piece per batch of 2,000 rows, then the end.
    assert len(chunks) == 5
    assert chunks[0].startswith(b"PK")
    sheet = load_workbook(io.BytesIO(b"".join(chunks)), read_only=True).active
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert (len(names), names[0], names[-1]) == (4500, "Bulk 0000", "Bulk 4499")


def test_the_xlsx_writer_keeps_text_xml_cannot_hold_out():
    data = b"".join(
        xlsx_stream("A 'sheet' & co", ["Name"], [10], [[["bell\x07 <b> & \"x\"\r"], [None]]])
    )
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.active.title == "A 'sheet' & co"
    assert workbook.active["A2"].value == 'bell <b> & "x"\r'
    assert workbook.active.auto_filter.ref == "A1:A3"


def test_column_names():
    assert [column_name(n) for n in (0, 25, 26, 27, 701, 702)] == [
        "A", "Z", "AA", "AB", "ZZ", "AAA"
    ]


def test_the_csv_comes_with_semicolons_for_french_excel(organiser_client, event, people):
    response = organiser_client.get(
        f"/organiser/events/{event.id}/registrants.csv",
        query_string={"separator": "semicolon", "lang": "fr"},
    )
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode(), newline=""), delimiter=";"))
    assert rows[0][:3] == ["Numéro d'inscription", "Nom", "E-mail"]
    assert rows[1][1:3] == ["Fatima Zahra", "fatima@example.org"]
    assert rows[3][-2:] == ["oui", "non"]
    assert data[3:].decode().splitlines()[1].count(";") == 12


def test_the_csv_separator_is_comma_by_default_and_nothing_else(
    organiser_client, event, people
):
    base = f"/organiser/events/{event.id}/registrants.csv"
    comma = organiser_client.get(base, query_string={"separator": "comma"})
    assert read_csv(comma) == read_csv(organiser_client.get(base))
    assert organiser_client.get(base, query_string={"separator": "tab"}).status_code == 400


def test_the_list_offers_both_separators_and_says_which_is_which(
    organiser_client, event, people
):
    page = organiser_client.get(f"/organiser/events/{event.id}/registrants").text
    base = f"/organiser/events/{event.id}/registrants.csv"
    assert f'<a href="{base}" download>Download CSV (comma-separated)</a>' in page
    assert (
        f'<a href="{base}?separator=semicolon" download>'
        "Download CSV (semicolon-separated, for Excel in French)</a>"
    ) in page


def _openpyxl_reference(header, rows) -> bytes:
    """The plain way: openpyxl's write-only workbook, which cannot stream."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Registrants")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _values(data: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(data)).active
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


# Text that would start a formula is neutralised by the callers before it gets here.
_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    max_size=40,
).filter(lambda text: text == text.strip() and text != "" and text[0] not in "=+-@")
_CELL = st.one_of(
    st.none(),
    st.integers(min_value=-(2**31), max_value=2**31),
    _TEXT,
    st.datetimes(
        min_value=datetime(1901, 1, 1), max_value=datetime(2200, 1, 1)  # noqa: DTZ001
    ).map(lambda moment: moment.replace(microsecond=0)),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(_TEXT, _CELL, _CELL).map(list), max_size=12))
def test_the_streamed_xlsx_holds_what_openpyxl_would_write(rows):
    """The hand-written stream (kept because only it can stream) against openpyxl's own, on
    rows that start with a name, as every registrant's does."""
    header = ["Name", "Seats", "Registered"]
    streamed = b"".join(xlsx_stream("Registrants", header, [20, 8, 18], [rows[:5], rows[5:]]))
    assert _values(streamed) == _values(_openpyxl_reference(header, rows))


@pytest.mark.parametrize(
    ("language", "header", "fatima", "wanjiru"),
    [
        ("fr", ["Langue", "Statut"], ["Anglais", "Confirmée"], ["Anglais", "Liste d'attente"]),
        ("ar", ["اللغة", "الحالة"], ["الإنجليزية", "مؤكَّد"], ["الإنجليزية", "قائمة الانتظار"]),
    ],
)
def test_the_exports_name_statuses_and_languages_in_the_organisers_language(
    organiser_client, event, people, language, header, fatima, wanjiru
):
    response = organiser_client.get(
        f"/organiser/events/{event.id}/registrants.csv", query_string={"lang": language}
    )
    rows = list(csv.reader(io.StringIO(response.get_data()[3:].decode(), newline="")))
    assert [rows[0][5:7], rows[1][5:7], rows[3][5:7]] == [header, fatima, wanjiru]
    sheet = load_workbook(io.BytesIO(xlsx(organiser_client, event, lang=language).get_data()))
    values = [[c.value for c in row][5:7] for row in sheet.active.iter_rows(max_row=4)]
    assert [values[0], values[1], values[3]] == [header, fatima, wanjiru]
