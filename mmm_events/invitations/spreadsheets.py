"""Reading the rows of an uploaded Excel (.xlsx) file without letting it exhaust the server.

An .xlsx file is a zip of XML files. Before openpyxl expands anything, the zip's own directory
is checked: the sizes it declares for its members once uncompressed (Python's zip reader never
returns more than the declared size, so a lying header cannot slip past), the presence of a
worksheet, and the number of distinct strings the workbook holds. A damaged file, whatever
part of it is damaged, becomes an ``ImportFileError`` with a message for the organiser.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from .importing import ImportFileError

MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
# Distinct text values in the workbook; openpyxl holds them all in memory while reading. Ten
# per row of the largest list an import accepts is far more than a real list has.
SHARED_STRINGS_PER_ROW = 10
_SCAN_CHUNK = 1024 * 1024

# The ways openpyxl (and the zip and XML readers under it) report a damaged file: a missing
# part (KeyError), broken XML (ParseError, a SyntaxError), bad compressed data (zlib.error,
# EOFError), or attribute values it cannot convert (ValueError, TypeError, IndexError,
# AttributeError). None of them is a fault of ours, so each gets the same message.
_DAMAGED = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    KeyError,
    SyntaxError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
)


def _damaged() -> ImportFileError:
    return ImportFileError(
        _l("This Excel file is damaged: part of it could not be read. Please save it again.")
    )


def _too_many_rows(max_rows: int) -> ImportFileError:
    return ImportFileError(
        _l("The file has more than %(max)d rows; please split it.", max=max_rows)
    )


def _shared_strings(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """How many strings the shared-strings part holds, read in pieces, never whole.

    Counts the ``<si>`` elements as Excel, LibreOffice and Google Sheets write them; a file
    that spells them otherwise is still bounded by the size limit.
    """
    count = 0
    tail = b""
    with archive.open(info) as part:
        while chunk := part.read(_SCAN_CHUNK):
            # The three bytes kept from the previous piece complete a tag cut in two, and
            # are too short to hold a whole one, so none is counted twice.
            window = tail + chunk
            count += window.count(b"<si>") + window.count(b"<si ")
            tail = window[-3:]
    return count


def check_archive(data: bytes, *, max_rows: int) -> None:
    """Refuse, before anything is expanded, a file that is no zip, has no worksheet, or
    would take too much memory or time to read."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise ImportFileError(_l("This is not a readable Excel (.xlsx) file.")) from exc
    with archive:
        if sum(info.file_size for info in members) > MAX_UNCOMPRESSED_BYTES:
            raise ImportFileError(
                _l(
                    "This Excel file is too large once uncompressed (more than %(size)d MB); "
                    "please split it.",
                    size=MAX_UNCOMPRESSED_BYTES // (1024 * 1024),
                )
            )
        names = [info.filename.lower() for info in members]
        if not any(n.startswith("xl/worksheets/") and n.endswith(".xml") for n in names):
            raise ImportFileError(_l("This Excel file has no worksheet."))
        for info in members:
            if info.filename.lower().endswith("sharedstrings.xml"):
                try:
                    strings = _shared_strings(archive, info)
                except _DAMAGED as exc:
                    raise _damaged() from exc
                if strings > SHARED_STRINGS_PER_ROW * max_rows:
                    raise _too_many_rows(max_rows)


def xlsx_rows(data: bytes, *, max_rows: int) -> Iterator[tuple[int, list]]:
    """The first worksheet's rows, numbered from 1, as lists of cell values.

    ``max_rows`` counts the rows after the header. A worksheet that declares more rows than
    that is refused at once; one whose declared size is missing or wrong is still stopped by
    the caller's count of the rows it actually reads.
    """
    check_archive(data, max_rows=max_rows)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _DAMAGED as exc:
        raise _damaged() from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError(_l("This Excel file has no worksheet."))
        sheet = workbook.worksheets[0]
        if sheet.max_row is not None and sheet.max_row > max_rows + 1:
            raise _too_many_rows(max_rows)
        # Without this, openpyxl pads the rows it reads with empty ones up to the declared size.
        sheet.reset_dimensions()
        try:
            yield from enumerate((list(row) for row in sheet.iter_rows(values_only=True)), 1)
        except _DAMAGED as exc:
            raise _damaged() from exc
    finally:
        workbook.close()
