"""Spreadsheets written as they stream: XLSX with openpyxl's write-only mode, ODS by hand.

A document is a list of sheets; each sheet has title lines, a header row, column widths and
an iterator of rows, read once. Rows are never all in memory: openpyxl's write-only sheets
spool each row to a temporary file, and the ODS writer writes each row's XML straight into
the zip entry (zipfile streams an entry it is given in pieces, compressing as it goes).

Why not odfpy for ODS: it builds the whole document tree before saving. Measured on the same
45,600 rows of 12 cells (the register's shape): odfpy 76 s and 811 MB of memory, this writer
a few seconds in constant memory (docs/architecture.md, "The secretary's desk").

Cells are str, int, Decimal (an amount, two decimals), date, or None (empty). A text is always
written as text: openpyxl would take a text starting with `=` for a formula, so such a cell
is marked as a string (a name such as `=HYPERLINK(...)` is data, never run), and ODS has no
formulas in a `string` cell.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr

Cell = str | int | Decimal | dt.date | None
# XML 1.0 forbids these characters; the ledger refuses control characters in its text, but a
# name, address or e-mail is printed as the identity store holds it.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class Sheet:
    """One sheet: `title` lines above the table (the first in bold), the header row, the widths
    of the columns in characters, and the rows (an iterator, read once, in order)."""

    name: str
    title: Sequence[str]
    header: Sequence[str]
    widths: Sequence[float]
    rows: Iterable[Sequence[Cell]]


def clean(text: str) -> str:
    return _ILLEGAL.sub("\ufffd", text)


def write_xlsx(stream: IO[bytes], sheets: Sequence[Sheet]) -> None:
    """The sheets as an Office Open XML workbook (openpyxl, write-only: streamed to temporary
    files, zipped at the end): dates as dates (dd/mm/yyyy), amounts as numbers with two
    decimals, the header frozen below the title."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        ws = book.create_sheet(sheet.name[:31])  # Excel's limit on a sheet's name
        for index, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = f"A{len(sheet.title) + 3}"  # below the title, a blank row and the header
        for number, line in enumerate(sheet.title):
            first = WriteOnlyCell(ws, value=clean(line))
            first.data_type = "s"
            if number == 0:
                first.font = bold
            ws.append([first])
        ws.append([])
        header = []
        for name in sheet.header:
            cell = WriteOnlyCell(ws, value=clean(name))
            cell.font = bold
            header.append(cell)
        ws.append(header)

        for row in sheet.rows:
            ws.append(_xlsx_cells(ws, row))
    book.save(stream)


def _xlsx_cells(ws: Any, row: Sequence[Cell]) -> list[Any]:
    """A row's values for openpyxl: plain values where its guess is right, cells where not."""
    from openpyxl.cell import WriteOnlyCell

    out: list[Any] = []
    for value in row:
        if isinstance(value, str):
            if value[:1] == "=" or _ILLEGAL.search(value):
                cell = WriteOnlyCell(ws, value=clean(value))
                cell.data_type = "s"  # data, not a formula
                out.append(cell)
            else:
                out.append(value)
        elif isinstance(value, Decimal):
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format = "#,##0.00"
            out.append(cell)
        elif isinstance(value, dt.date):
            cell = WriteOnlyCell(ws, value=value)
            cell.number_format = "dd/mm/yyyy"
            out.append(cell)
        else:
            out.append(value)
    return out


# The OpenDocument spreadsheet, written by hand: the parts a spreadsheet needs and no more.
_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0" '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
)
_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    'manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="settings.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-styles {_NS}office:version="1.2">'
    "<office:styles/></office:document-styles>"
)
_CELL_STYLES = (
    '<number:date-style style:name="Nday"><number:day number:style="long"/><number:text>/</number:text>'
    '<number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/>'
    "</number:date-style>"
    '<number:number-style style:name="Namount"><number:number number:decimal-places="2" '
    'number:min-decimal-places="2" number:min-integer-digits="1" number:grouping="true"/>'
    "</number:number-style>"
    '<style:style style:name="day" style:family="table-cell" style:data-style-name="Nday"/>'
    '<style:style style:name="amount" style:family="table-cell" style:data-style-name="Namount"/>'
    '<style:style style:name="bold" style:family="table-cell">'
    '<style:text-properties fo:font-weight="bold"/></style:style>'
)


def _settings(sheets: Sequence[Sheet]) -> str:
    """settings.xml: each sheet's rows frozen below its header, as LibreOffice reads it."""
    tables = "".join(
        f"<config:config-item-map-entry config:name={quoteattr(clean(sheet.name))}>"
        '<config:config-item config:name="VerticalSplitMode" config:type="short">2</config:config-item>'
        f'<config:config-item config:name="VerticalSplitPosition" config:type="int">{len(sheet.title) + 2}'
        "</config:config-item>"
        f'<config:config-item config:name="PositionBottom" config:type="int">{len(sheet.title) + 2}'
        "</config:config-item>"
        '<config:config-item config:name="ActiveSplitRange" config:type="short">2</config:config-item>'
        "</config:config-item-map-entry>"
        for sheet in sheets
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-settings {_NS}office:version="1.2">'
        '<office:settings><config:config-item-set config:name="ooo:view-settings">'
        '<config:config-item-map-indexed config:name="Views"><config:config-item-map-entry>'
        '<config:config-item config:name="ViewId" config:type="string">view1</config:config-item>'
        f'<config:config-item-map-named config:name="Tables">{tables}</config:config-item-map-named>'
        "</config:config-item-map-entry></config:config-item-map-indexed>"
        "</config:config-item-set></office:settings></office:document-settings>"
    )


_CELL = "<table:table-cell"
_END = "</table:table-cell>"


def _ods_cell(value: Cell) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, bool):  # never given; a bool is an int to Python
        value = str(value)
    if isinstance(value, str):
        return f'{_CELL} office:value-type="string"><text:p>{escape(clean(value))}</text:p>{_END}'
    if isinstance(value, int):
        return f'{_CELL} office:value-type="float" office:value="{value}"><text:p>{value}</text:p>{_END}'
    if isinstance(value, Decimal):
        return (
            f'{_CELL} table:style-name="amount" office:value-type="float" office:value="{value}">'
            f"<text:p>{value:.2f}</text:p>{_END}"
        )
    return (
        f'{_CELL} table:style-name="day" office:value-type="date" office:date-value="{value.isoformat()}">'
        f"<text:p>{value.day:02d}/{value.month:02d}/{value.year:04d}</text:p>{_END}"
    )


def _text_row(texts: Iterable[str], style: str | None = None) -> str:
    styled = f' table:style-name="{style}"' if style else ""
    cells = "".join(
        f'{_CELL}{styled} office:value-type="string"><text:p>{escape(clean(t))}</text:p>{_END}' for t in texts
    )
    return f"<table:table-row>{cells}</table:table-row>"


def write_ods(stream: IO[bytes], sheets: Sequence[Sheet]) -> None:
    """The sheets as an OpenDocument spreadsheet, each row written into the zip as it comes."""
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        # The mimetype comes first, stored uncompressed, so that a reader knows the file by it.
        archive.writestr(
            zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        archive.writestr("META-INF/manifest.xml", _MANIFEST)
        archive.writestr("styles.xml", _STYLES)
        archive.writestr("settings.xml", _settings(sheets))
        columns = "".join(
            f'<style:style style:name="c{s}_{c}" style:family="table-column">'
            f'<style:table-column-properties style:column-width="{width * 0.21:.2f}cm"/></style:style>'
            for s, sheet in enumerate(sheets)
            for c, width in enumerate(sheet.widths)
        )
        with archive.open("content.xml", "w", force_zip64=True) as raw:
            buffer: list[str] = []

            def put(text: str) -> None:
                buffer.append(text)
                if len(buffer) >= 500:
                    raw.write("".join(buffer).encode())
                    buffer.clear()

            put(
                f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_NS}office:version="1.2">'
                f"<office:automatic-styles>{_CELL_STYLES}{columns}</office:automatic-styles>"
                "<office:body><office:spreadsheet>"
            )
            for s, sheet in enumerate(sheets):
                put(f"<table:table table:name={quoteattr(clean(sheet.name))}>")
                put(
                    "".join(
                        f'<table:table-column table:style-name="c{s}_{c}"/>' for c in range(len(sheet.widths))
                    )
                )
                for number, line in enumerate(sheet.title):
                    put(_text_row([line], "bold" if number == 0 else None))
                put("<table:table-row><table:table-cell/></table:table-row>")
                put(_text_row(sheet.header, "bold"))
                for row in sheet.rows:
                    put("<table:table-row>" + "".join(map(_ods_cell, row)) + "</table:table-row>")
                put("</table:table>")
            put("</office:spreadsheet></office:body></office:document-content>")
            raw.write("".join(buffer).encode())
