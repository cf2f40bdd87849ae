"""How the secretary's documents were chosen: the same register table written by each candidate
library (run by hand, not in tests; docs/architecture.md, "The secretary's desk").

    python bench/desk_formats.py weasyprint 4500        # in a venv with `pip install weasyprint`
    python bench/desk_formats.py platypus 45600         # reportlab's tables
    python bench/desk_formats.py canvas 45600           # reportlab's canvas, as reports/pdf.py draws
    python bench/desk_formats.py odfpy 45600            # OpenDocument through odfpy's tree
    python bench/desk_formats.py ods 45600              # reports/spreadsheet.py's streamed ODS
    python bench/desk_formats.py openpyxl 45600         # write-only XLSX

Each prints the wall and CPU time of the writing alone and the process's peak memory. The rows
are synthetic, shaped like the register's (member, name, address, category, date, shares,
amount...); seeded, so every library gets the same ones.
"""

from __future__ import annotations

import datetime as dt
import html
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

HEAD = ["member", "name", "address", "cat.", "admitted", "shares", "paid up", "exit", "kind"]


def rows(count: int) -> Iterator[list[Any]]:
    pick = random.Random(1)
    for i in range(count):
        yield [
            f"M{i:06d}",
            f"Name {i} Lastname",
            f"Rue de la Station {i % 200}, 1348 Louvain-la-Neuve",
            pick.choice("ABC"),
            dt.date(2019, 3, 4),
            pick.randint(1, 9),
            Decimal(pick.randint(0, 900)),
            None,
            None,
        ]


def text(value: Any) -> str:
    return "" if value is None else str(value)


def weasyprint(count: int, out: Path) -> None:
    import weasyprint as wp

    css = (
        "@page { size: A4 landscape; margin: 1.5cm; @bottom-right { content: counter(page) } }"
        " body { font-family: DejaVu Sans; font-size: 7.5pt }"
        " table { border-collapse: collapse; width: 100% }"
        " td, th { border-bottom: 0.3pt solid #999; padding: 1pt 3pt } thead { display: table-header-group }"
    )
    cells = "".join(f"<th>{h}</th>" for h in HEAD)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(text(c))}</td>" for c in r) + "</tr>" for r in rows(count)
    )
    page = (
        f"<html><head><style>{css}</style></head><body><table><thead><tr>{cells}</tr></thead>{body}</table>"
    )
    wp.HTML(string=page + "</body></html>").write_pdf(out)


def platypus(count: int, out: Path) -> None:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import cm
    from reportlab.platypus import LongTable, SimpleDocTemplate, TableStyle

    document = SimpleDocTemplate(str(out), pagesize=landscape(A4))
    style = TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica", 7.5)])
    widths = [1.8 * cm, 4.5 * cm, 7.5 * cm, 1 * cm, 2 * cm, 1.4 * cm, 2 * cm, 2 * cm, 2 * cm]
    data = [[text(c) for c in r] for r in rows(count)]
    story = [
        LongTable([HEAD, *data[i : i + 1000]], colWidths=widths, repeatRows=1, style=style)
        for i in range(0, len(data), 1000)
    ]
    document.build(story)


def canvas(count: int, out: Path) -> None:
    from coopledger.reports.pdf import Column, Pages

    pages = Pages(str(out), [Column(h, 80) for h in HEAD], lambda page: f"page {page} of")
    for r in rows(count):
        pages.row([text(c) for c in r])
    pages.close()


def odfpy(count: int, out: Path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="Register")
    for r in rows(count):
        row = TableRow()
        for value in r:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=text(value)))
            row.addElement(cell)
        table.addElement(row)
    document.spreadsheet.addElement(table)
    document.save(str(out))


def sheet(count: int) -> Any:
    from coopledger.reports.spreadsheet import Sheet

    return [Sheet("Register", ["title"], HEAD, [12] * len(HEAD), rows(count))]


def ods(count: int, out: Path) -> None:
    from coopledger.reports.spreadsheet import write_ods

    with out.open("wb") as stream:
        write_ods(stream, sheet(count))


def openpyxl(count: int, out: Path) -> None:
    from coopledger.reports.spreadsheet import write_xlsx

    with out.open("wb") as stream:
        write_xlsx(stream, sheet(count))


WRITERS = {
    "weasyprint": (weasyprint, "pdf"),
    "platypus": (platypus, "pdf"),
    "canvas": (canvas, "pdf"),
    "odfpy": (odfpy, "ods"),
    "ods": (ods, "ods"),
    "openpyxl": (openpyxl, "xlsx"),
}


def main() -> None:
    name, count = sys.argv[1], int(sys.argv[2])
    writer, suffix = WRITERS[name]
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"register.{suffix}"
        start, cpu = time.perf_counter(), time.process_time()
        writer(count, out)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = out.stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{name} {count} rows: {wall:.2f} s wall, {cpu:.2f} s CPU, peak {peak:.0f} MB, {size:,} bytes")


if __name__ == "__main__":
    main()
