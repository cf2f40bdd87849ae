"""PDF pages of long tables, drawn with reportlab's canvas as the rows stream in.

The register of 45,600 members is some 900 pages: laid out row by row on the canvas, each
page's text in one text object, it renders in seconds in constant memory (a page is
compressed as soon as it is finished). WeasyPrint, from HTML, needed 109 s and 752 MB for a
tenth of it (docs/architecture.md, "The secretary's desk"); reportlab installs from wheels
alone, with no system library.

The font is DejaVu Sans, which matplotlib (a dependency) ships: every Latin, Greek and
Cyrillic name prints, not only those of the PDF standard fonts' Latin-1. Failing that, the
standard Helvetica.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

CUT = "\u2026"
PAD = 8.0  # points between a column's text and the next column
MARGIN = 28.0  # points: about a centimetre
GREY = (0.45, 0.45, 0.45)


def _fonts() -> tuple[str, str, str]:
    """Regular, bold and monospaced fonts: DejaVu from matplotlib's data, else the standard ones."""
    spec = importlib.util.find_spec("matplotlib")
    folder = Path(next(iter(spec.submodule_search_locations or []), "")) if spec else None
    ttf = folder / "mpl-data" / "fonts" / "ttf" if folder else None
    names = {
        "DejaVuSans": "DejaVuSans.ttf",
        "DejaVuSans-Bold": "DejaVuSans-Bold.ttf",
        "DejaVuSansMono": "DejaVuSansMono.ttf",
    }
    if ttf is None or not all((ttf / f).is_file() for f in names.values()):
        return "Helvetica", "Helvetica-Bold", "Courier"
    registered = pdfmetrics.getRegisteredFontNames()
    for name, file in names.items():
        if name not in registered:
            pdfmetrics.registerFont(TTFont(name, str(ttf / file)))
    return "DejaVuSans", "DejaVuSans-Bold", "DejaVuSansMono"


@dataclass(frozen=True)
class Column:
    """A table column: its header, width in points, and whether its figures align right."""

    header: str
    width: float
    right: bool = False


class Pages:
    """A PDF of table pages: a running head on every page, the table's header under it, rows
    that wrap their long cells, and below a row, lines of detail (a member's movements).

    `head(pages)` draws the running head and returns where the table starts; `first(pages)`
    draws more on the first page (the title block) and returns where the table starts there.
    The foot of each page says `page N of M` (`page_words(N)` then M), M written once, when the
    document ends, in a form every page draws.
    """

    def __init__(
        self,
        stream: IO[bytes] | str,
        columns: Sequence[Column],
        page_words: Callable[[int], str],
        *,
        wide: bool = True,
        size: float = 7.5,
        row_gap: float = 2.0,
        min_row: float = 0.0,
        title: str = "",
        subject: str = "",
    ) -> None:
        self.regular, self.bold, self.mono = _fonts()
        width, height = landscape(A4) if wide else A4
        self.width, self.height = float(width), float(height)
        self.canvas = Canvas(stream, pagesize=(self.width, self.height), pageCompression=1, invariant=1)
        self.canvas.setTitle(title)
        self.canvas.setSubject(subject)
        self.canvas.setCreator("coopledger")
        self.columns = list(columns)
        self.xs: list[float] = []
        x = MARGIN
        for column in self.columns:
            self.xs.append(x)
            x += column.width
        self.size = size
        self.leading = size * 1.25
        self.row_gap = row_gap
        self.min_row = min_row
        self.page_words = page_words
        self.page = 0
        self.y = 0.0
        self.text: Any = None
        self.face: tuple[str, float] | None = None  # the text object's font and size
        self.rules: Any = None
        self.head: Callable[[Pages], float] = lambda pages: self.height - MARGIN
        self.first: Callable[[Pages], float] | None = None

    # -- text ---------------------------------------------------------------------------------
    def measure(self, text: str, font: str | None = None, size: float | None = None) -> float:
        return float(pdfmetrics.stringWidth(text, font or self.regular, size or self.size))

    def fits(self, text: str, width: float, font: str | None = None, size: float | None = None) -> bool:
        size = size or self.size
        if len(text) * size * 0.62 <= width:  # DejaVu's widest common letters stay within 0.62 em
            return True
        return self.measure(text, font, size) <= width

    def cut(self, text: str, width: float, font: str | None = None, size: float | None = None) -> str:
        """`text` within `width`, ending with … when cut."""
        if self.fits(text, width, font, size):
            return text
        while text and not self.fits(text + CUT, width, font, size):
            text = text[: max(0, min(len(text) - 1, int(len(text) * 0.9)))] if len(text) > 40 else text[:-1]
        return text + CUT

    def wrap(self, text: str, width: float, lines: int = 3) -> list[str]:
        """`text` in at most `lines` lines of `width`, broken between words, the last one cut."""
        if self.fits(text, width):
            return [text]
        out: list[str] = []
        words = text.split(" ")
        line = ""
        for index, word in enumerate(words):
            trial = f"{line} {word}" if line else word
            if self.fits(trial, width):
                line = trial
                continue
            if line:
                out.append(line)
            line = word
            if len(out) == lines - 1:
                out.append(self.cut(" ".join([line, *words[index + 1 :]]), width))
                return out
        out.append(self.cut(line, width))
        return out

    def write(
        self, x: float, y: float, text: str, font: str | None = None, size: float | None = None
    ) -> None:
        if not text:
            return
        face = (font or self.regular, size or self.size)
        if face != self.face:  # a page's text says its font once per change, not once per cell
            self.text.setFont(*face)
            self.face = face
        self.text.setTextOrigin(x, y)
        self.text.textOut(text)

    def write_right(
        self, right: float, y: float, text: str, font: str | None = None, size: float | None = None
    ) -> None:
        self.write(right - self.measure(text, font, size), y, text, font, size)

    # -- pages --------------------------------------------------------------------------------
    def _begin_page(self) -> None:
        self.page += 1
        self.text = self.canvas.beginText()
        self.face = None
        self.rules = self.canvas.beginPath()
        top = self.first(self) if self.page == 1 and self.first is not None else self.head(self)
        self.y = top
        self._table_header()
        words = self.page_words(self.page)
        self.canvas.setFont(self.regular, 6.5)
        self.canvas.setFillColorRGB(*GREY)
        self.canvas.drawRightString(self.width - MARGIN - 24, MARGIN / 2, words)
        self.canvas.doForm("pages")  # the total after the words, drawn once at the end
        self.canvas.setFillColorRGB(0, 0, 0)

    def _table_header(self) -> None:
        if not self.columns:
            return
        self.y -= self.leading
        for x, column in zip(self.xs, self.columns, strict=True):
            label = self.cut(column.header, column.width - PAD, self.bold)
            if column.right:
                self.write_right(x + column.width - PAD, self.y, label, self.bold)
            else:
                self.write(x, self.y, label, self.bold)
        self._rule(self.y - self.size * 0.35)
        self.y -= self.row_gap

    def _rule(self, y: float) -> None:
        self.rules.moveTo(MARGIN, y)
        self.rules.lineTo(self.width - MARGIN, y)

    def _end_page(self) -> None:
        self.canvas.drawText(self.text)
        self.canvas.setLineWidth(0.3)
        self.canvas.setStrokeColorRGB(0.6, 0.6, 0.6)
        self.canvas.drawPath(self.rules, stroke=1, fill=0)
        self.canvas.showPage()
        self.text = None

    def room(self, height: float) -> None:
        """Start a new page unless `height` points fit above the bottom margin."""
        if self.text is None:
            self._begin_page()
        elif self.y - height < MARGIN + 10:
            self._end_page()
            self._begin_page()

    def row(self, cells: Sequence[str], details: Sequence[str] = (), detail_from: int = 1) -> None:
        """One row, its long cells wrapped (three lines at most); then `details`, one line each,
        from column `detail_from` to the right edge, in a smaller grey type. A row and its
        details stay on one page when they fit on one."""
        wrapped = [
            [text] if column.right else self.wrap(text, column.width - PAD)
            for text, column in zip(cells, self.columns, strict=True)
        ]
        lines = max(len(w) for w in wrapped)
        small = self.size * 0.9
        height = max(lines * self.leading, self.min_row) + len(details) * small * 1.25 + self.row_gap
        self.room(min(height, self.height / 2))
        top = self.y
        for x, column, texts in zip(self.xs, self.columns, wrapped, strict=True):
            y = top
            for text in texts:
                y -= self.leading
                if column.right:
                    self.write_right(x + column.width - PAD, y, text)
                else:
                    self.write(x, y, text)
        self.y = top - max(lines * self.leading, self.min_row)
        if details:
            self.text.setFillColorRGB(*GREY)
            left = self.xs[detail_from]
            for line in details:
                self.room(small * 1.25)
                self.y -= small * 1.25
                self.write(left, self.y, self.cut(line, self.width - MARGIN - left, size=small), size=small)
            self.text.setFillColorRGB(0, 0, 0)
        self._rule(self.y - self.size * 0.45)  # below the descenders of the last line
        self.y -= self.size * 0.45 + self.row_gap

    def lines(self, texts: Sequence[tuple[str, str, float]], x: float = MARGIN) -> None:
        """Paragraph lines below the table (font, text, size), each cut to the page's width."""
        for font, text, size in texts:
            self.room(size * 1.4)
            self.y -= size * 1.4
            self.write(x, self.y, self.cut(text, self.width - MARGIN - x, font, size), font, size)

    def close(self) -> None:
        """Finish the last page and write the total of pages where each page asked for it."""
        if self.text is None:
            self._begin_page()
        self._end_page()
        self.canvas.beginForm("pages")
        self.canvas.setFont(self.regular, 6.5)
        self.canvas.setFillColorRGB(*GREY)
        self.canvas.drawString(self.width - MARGIN - 22, MARGIN / 2, str(self.page))
        self.canvas.endForm()
        self.canvas.save()
