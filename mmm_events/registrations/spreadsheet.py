"""Spreadsheet files written as streams: a CSV (``csv_stream``) and an XLSX workbook of one
sheet (``xlsx_stream``), whose bytes leave as the rows come. Cells that a spreadsheet would run
as a formula are prefixed with an apostrophe (``neutralise``).

openpyxl, even in its write-only mode, writes the sheet to a temporary file and zips the
workbook at the end, so a large export sends nothing until it is complete and takes several
times as long as the same rows as CSV. The format needs little for a list (SpreadsheetML in a
zip file), and Python's zipfile writes to a stream that cannot seek back (each member's sizes
follow its data), so this writes the sheet's XML straight into the zip, a batch at a time.

What a person opening it sees: the header row frozen and in bold, filters on every column,
columns wide enough for what they hold, times as real dates (the caller gives the wall-clock
time in the event's zone: a spreadsheet has no time zones). Strings are written inline, not in
a shared-strings table that would have to wait for the last row.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from xml.sax.saxutils import escape

# A spreadsheet runs a cell starting with one of these as a formula ("CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_CHARS = frozenset("".join(FORMULA_STARTS))
MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's day zero, for times stored as serial numbers of days.
_EXCEL_EPOCH = datetime(1899, 12, 30)  # noqa: DTZ001 - wall-clock, like the cells
# Characters XML 1.0 cannot hold at all: dropped rather than failing the whole export.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OFFICE}.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    f'ContentType="{_OFFICE}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_OFFICE}.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Style 0: plain; 1: the header (bold); 2: a date and time.
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f"<styleSheet {_NS}>"
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


class _Sink:
    """Where zipfile writes: collects bytes until the stream takes them. It cannot seek, so
    zipfile writes each member's sizes after its data."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.written = 0

    def write(self, data: bytes) -> int:
        self.pieces.append(bytes(data))
        self.written += len(data)
        return len(data)

    def tell(self) -> int:
        return self.written

    def flush(self) -> None:
        return None

    def take(self) -> bytes:
        data = b"".join(self.pieces)
        self.pieces.clear()
        return data


def neutralise(value: str) -> str:
    """Text a spreadsheet shows as text: a leading apostrophe disarms a would-be formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_stream(
    header: list[str], batches: Iterable[Iterable[list]], delimiter: str = ","
) -> Iterator[bytes]:
    """A CSV file in pieces, one per batch of rows, so that a long export starts at once and
    keeps memory flat: a byte-order mark first, so that Excel reads the file as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)

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


def column_name(index: int) -> str:
    """Excel's name for the column at ``index`` (0 is A, 26 is AA)."""
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = chr(65 + remainder) + name
    return name


def _cell(value) -> str:
    # Runs for every cell of every row: text, the usual case, is tested first, and only text
    # holding a character XML treats specially goes through escaping.
    if type(value) is str:
        if not value:
            return "<c/>"
        if _SPECIAL.search(value) is not None:
            value = escape(_NOT_XML.sub("", value), {"\r": "&#13;"})
        return f'<c t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'
    if value is None:
        return "<c/>"
    if isinstance(value, datetime):
        serial = (value - _EXCEL_EPOCH).total_seconds() / 86400
        return f'<c s="2"><v>{serial!r}</v></c>'
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f"<c><v>{value!r}</v></c>"
    return _cell(str(value))


def _sheet_start(header: Sequence[str], widths: Sequence[float]) -> str:
    columns = "".join(
        f'<col min="{n}" max="{n}" width="{width}" customWidth="1"/>'
        for n, width in enumerate(widths, start=1)
    )
    cells = "".join(_cell(h).replace("<c ", '<c s="1" ', 1) for h in header)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet {_NS} xmlns:r="{_REL_NS}">'
        '<sheetViews><sheetView workbookViewId="0" tabSelected="1">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
        f"<cols>{columns}</cols><sheetData><row>{cells}</row>"
    )


def _workbook(title: str, filter_range: str) -> str:
    # The filters' range names the sheet, quoted the way formulas quote it.
    quoted = "'" + title.replace("'", "''") + "'"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook {_NS} xmlns:r="{_REL_NS}">'
        f'<sheets><sheet name="{escape(title, {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/>'
        '</sheets><definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" '
        f'hidden="1">{escape(quoted)}!{filter_range}</definedName></definedNames></workbook>'
    )


def xlsx_stream(
    title: str,
    header: Sequence[str],
    widths: Sequence[float],
    batches: Iterable[Iterable[Sequence]],
) -> Iterator[bytes]:
    """The workbook in pieces: the start at once, then one piece per batch of rows.

    ``title`` names the sheet (31 characters at most, as Excel requires); values are written
    as they are: the caller makes text safe from formulas.
    """
    sink = _Sink()
    last_column = column_name(len(header) - 1)
    rows = 1
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        zf.writestr("xl/styles.xml", _STYLES)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_sheet_start(header, widths).encode())
            yield sink.take()
            for batch in batches:
                lines = ["<row>" + "".join(map(_cell, row)) + "</row>" for row in batch]
                rows += len(lines)
                sheet.write("".join(lines).encode())
                yield sink.take()
            end = f'</sheetData><autoFilter ref="A1:{last_column}{rows}"/></worksheet>'
            sheet.write(end.encode())
        filter_range = f"$A$1:${last_column}${rows}"
        zf.writestr("xl/workbook.xml", _workbook(title[:31], filter_range))
    yield sink.take()
