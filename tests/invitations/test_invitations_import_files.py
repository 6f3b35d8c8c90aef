"""Bad Excel files: each gets the import form back with its message and a 4xx, stores nothing,
and cannot exhaust the server (sizes are checked before anything is expanded)."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from mmm_events.extensions import db
from mmm_events.invitations import importing
from mmm_events.models import Invitation, PendingImport
from tests.conftest import sign_in

SHEET = "xl/worksheets/sheet1.xml"
# The import's row limit during these tests: the real one (50,000) would make building and
# reading the files that cross it slow, and the checks scale with it alike.
MAX_ROWS = 100


@pytest.fixture(autouse=True)
def small_row_limit(monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", MAX_ROWS)


def workbook_bytes() -> bytes:
    workbook = Workbook()
    workbook.active.append(["Email", "Name", "Organisation", "Language"])
    workbook.active.append(["zoe@example.org", "Zoé", "UNESCO", "fr"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rebuilt(replace: dict[str, bytes | None]) -> bytes:
    """A real workbook with some parts replaced (or, given None, left out)."""
    source = zipfile.ZipFile(io.BytesIO(workbook_bytes()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in replace:
                target.writestr(info.filename, source.read(info))
        for name, data in replace.items():
            if data is not None:
                target.writestr(name, data)
    return buffer.getvalue()


def without_worksheet() -> bytes:
    return rebuilt({SHEET: None})


def broken_worksheet() -> bytes:
    return rebuilt({SHEET: b'<?xml version="1.0"?><worksheet><sheetData><row r="1"><c'})


def declared_huge() -> bytes:
    """A small file whose zip directory says one part expands to 3.75 GB."""
    data = bytearray(rebuilt({"xl/media/padding.bin": b"x" * 100}))
    entry = data.rfind(b"PK\x01\x02")
    # The uncompressed size sits 24 bytes into a central directory entry.
    struct.pack_into("<I", data, entry + 24, 0xF000_0000)
    return bytes(data)


def real_bomb() -> bytes:
    """60 MB of zeros that compress to a few dozen kilobytes."""
    buffer = io.BytesIO(rebuilt({}))
    with (
        zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/zeros.bin", "w") as part,
    ):
        for _ in range(60):
            part.write(bytes(1024 * 1024))
    return buffer.getvalue()


def sheet_of(rows: int, *, dimension: bool) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    lines.append('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
    if dimension:
        lines.append(f'<dimension ref="A1:D{rows}"/>')
    lines.append("<sheetData>")
    header = ("email", "name", "organisation", "language")
    for number in range(1, rows + 1):
        values = header if number == 1 else (f"p{number}@example.org", "P", "Org", "en")
        cells = "".join(
            f'<c r="{column}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
            for column, value in zip("ABCD", values, strict=True)
        )
        lines.append(f'<row r="{number}">{cells}</row>')
    lines.append("</sheetData></worksheet>")
    return "".join(lines).encode()


def too_many_strings() -> bytes:
    count = 10 * MAX_ROWS + 1
    strings = "".join("<si><t>s</t></si>" for _ in range(count))
    table = (
        '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
        f'2006/main" count="{count}" uniqueCount="{count}">{strings}</sst>'
    )
    return rebuilt({"xl/sharedStrings.xml": table.encode()})


def post_file(client, url: str, data: bytes):
    """Post the file as an upload. The body is encoded here, in memory: the test client
    would spool a large one to a temporary file that nothing closes."""
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), "list.xlsx")})
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


ROWS_MESSAGE = f"The file has more than {MAX_ROWS} rows; please split it."


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (without_worksheet, "This Excel file has no worksheet."),
        (
            broken_worksheet,
            "This Excel file is damaged: part of it could not be read. Please save it again.",
        ),
        (
            declared_huge,
            "This Excel file is too large once uncompressed (more than 50 MB); please split it.",
        ),
        (
            real_bomb,
            "This Excel file is too large once uncompressed (more than 50 MB); please split it.",
        ),
        (lambda: rebuilt({SHEET: sheet_of(MAX_ROWS + 2, dimension=True)}), ROWS_MESSAGE),
        (lambda: rebuilt({SHEET: sheet_of(MAX_ROWS + 2, dimension=False)}), ROWS_MESSAGE),
        (too_many_strings, ROWS_MESSAGE),
    ],
    ids=[
        "no-worksheet",
        "broken-xml",
        "declared-huge",
        "zip-bomb",
        "rows-declared",
        "rows-counted",
        "shared-strings",
    ],
)
def test_bad_excel_file_gets_the_form_back(app, client, create_event, create_user, build, message):
    event = create_event()
    sign_in(client, create_user(events=[event]))
    response = post_file(client, f"/organiser/events/{event.id}/invitations/import", build())
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'type="file"' in page and "Check the file</button>" in page
    assert message.replace("'", "&#39;") in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
        assert db.session.scalar(select(func.count()).select_from(PendingImport)) == 0


def test_a_sheet_of_exactly_the_limit_is_read(app, client, create_event, create_user):
    """The refusals above are about size, not about spreadsheets as such: the largest list
    the import accepts still gets its report."""
    event = create_event()
    sign_in(client, create_user(events=[event]))
    data = rebuilt({SHEET: sheet_of(MAX_ROWS + 1, dimension=True)})
    response = post_file(client, f"/organiser/events/{event.id}/invitations/import", data)
    assert response.status_code == 200
    assert f"{MAX_ROWS} rows will be added." in response.get_data(as_text=True)
