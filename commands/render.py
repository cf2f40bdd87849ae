"""Rendering rows for people (aligned table) and machines (CSV, JSON), to stdout; entries as rows."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import itertools
import re
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import click
import msgspec

from coopledger.ledger import events as ev

_json = msgspec.json.Encoder(decimal_format="string")
YES_NO = {True: "yes", False: "no", None: ""}
_BOOLEAN = {bool, type(None)}  # what a column of booleans holds
COMMON = {"date", "id", "ref", "note", "by", "seq", "recorded", "hash", "type"}
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@")
_FORMULA_CELL = re.compile("^[=+@-]", re.MULTILINE)  # a cell of a column joined by newlines
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
ENTRY_COLUMNS = ["seq", "date", "type", "details", "id", "recorded", "by", "ref", "note", "retracted"]
# A table of up to this many rows is laid out from all of them, under its title; a longer one
# (a register of 5,000,000 members held 9 GiB so) is written as it is read (`long_table`).
TABLE_ROWS = 10_000
# The width of the terminal tables are printed for, while one is (None: print them whole).
_terminal_width: int | None = None
CUT = "\u2026"  # …, ending a cell cut to fit the terminal
NARROWEST = 6  # a text column is never cut below this (or its header)
TEXT_FLOOR = 8  # free text is cut to this before any other column is cut
# A table too wide for the terminal first leaves out the columns no row fills, then these, in this
# order, while its free text would be narrower than READABLE (WRAP_READABLE for a wrapped column,
# which is narrowed first, losing nothing):
# an entry's bookkeeping (when and by whom it was recorded, its id and document, its note), which
# `show ENTRY` and --format csv|json give whole. A line under the table names what was left out.
LEFT_OUT_FIRST = ("recorded", "by", "id", "ref", "note")
READABLE = 24  # every entry type is whole (member.category_changed: 23)
WRAP_READABLE = 40
# Columns wrapped onto more lines, not cut, when narrowed: an entry's own fields.
WRAPPED = ("details",)


@contextlib.contextmanager
def for_terminal(pager: bool) -> Iterator[None]:
    """While a command prints for a terminal: tables fit its width, and (when `pager`) output
    longer than the screen goes through `click.echo_via_pager` (PAGER, else less).

    Nothing changes when stdout is not a terminal (a pipe, a file)."""
    global _terminal_width
    if not sys.stdout.isatty():
        yield
        return
    size = shutil.get_terminal_size()
    _terminal_width = size.columns
    if not pager:  # nothing to hold: a long table is written as it is read
        try:
            yield
        finally:
            _terminal_width = None
        return
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured):
            yield
    finally:
        _terminal_width = None
        text = captured.getvalue()
        if text.count("\n") >= size.lines:
            click.echo_via_pager(text.removesuffix("\n"))  # which ends with its own newline
        else:
            sys.stdout.write(text)
            sys.stdout.flush()


def fitted(
    widths: list[int],
    headers: Sequence[str],
    free: Sequence[bool | None],
    room: int,
    readable: Sequence[int] = (),
) -> list[int]:
    """Column widths within `room` characters (two between columns). Free text (cells of varying
    length: details, names, notes; None for numbers) is narrowed first, the widest first: down to
    its `readable` width if given, then down to TEXT_FLOOR; then, if need be, any text column;
    numbers are never cut."""
    widths = list(widths)
    excess = sum(widths) + 2 * (len(widths) - 1) - room
    passes = [(free, [TEXT_FLOOR] * len(widths)), ([w is not None for w in free], [NARROWEST] * len(widths))]
    if readable:
        passes.insert(0, (free, list(readable)))
    for columns, floors in passes:
        while excess > 0:
            cuttable = [i for i, w in enumerate(widths) if columns[i] and w > max(floors[i], len(headers[i]))]
            if not cuttable:
                break
            widest = max(cuttable, key=lambda i: widths[i])
            widths[widest] -= 1
            excess -= 1
    return widths


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + CUT


def cell(value: Any) -> str:
    """How one value reads in a table or CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date | Decimal):
        return str(value)
    return str(value)


def neutral(value: Any) -> Any:
    """A CSV cell no spreadsheet runs: text starting with =, +, - or @ gets a leading '
    (a number such as -5.00 stays as it is)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def left_out(
    columns: Sequence[str],
    widths: Sequence[int],
    free: Sequence[bool | None],
    empty: Sequence[bool],
    room: int,
) -> list[int]:
    """The columns a table leaves out to fit `room` readably: none if it fits whole; else the
    empty ones, then those of LEFT_OUT_FIRST in order while the rest, its free text narrowed to
    READABLE, would still not fit."""
    if sum(widths) + 2 * (len(widths) - 1) <= room:
        return []
    out = [i for i, e in enumerate(empty) if e and len(columns) > 1]

    def need() -> int:
        kept = [i for i in range(len(columns)) if i not in out]
        least = [WRAP_READABLE if columns[i] in WRAPPED else READABLE if free[i] else widths[i] for i in kept]
        return sum(min(widths[i], w) for i, w in zip(kept, least, strict=True)) + 2 * (len(kept) - 1)

    for name in LEFT_OUT_FIRST:
        if need() <= room:
            break
        if name in columns and columns.index(name) not in out:
            out.append(columns.index(name))
    return sorted(out)


def wrapped_or_cut(text: str, width: int, wrap: bool) -> list[str]:
    """A cell's lines within `width`: wrapped at spaces (long words broken) or cut with an ellipsis."""
    if len(text) <= width:
        return [text]
    return textwrap.wrap(text, width, break_on_hyphens=False) if wrap else [cut(text, width)]


Fitted = tuple[list[int], list[list[list[str]]], list[int], list[bool], str | None]


def fit(
    columns: Sequence[str], cells: list[list[str]], widths: list[int], numeric: list[bool], room: int
) -> Fitted:
    """A table for a terminal `room` wide: the places of the columns kept (`left_out`), each
    cell as its lines (WRAPPED columns wrapped, others cut), the widths, which columns are
    numbers, and a line naming the columns left out (None if none held anything)."""
    free: list[bool | None] = [
        None if num else c in WRAPPED or len({len(r[i]) for r in cells}) > 1
        for i, (c, num) in enumerate(zip(columns, numeric, strict=True))
    ]
    empty = [bool(cells) and not any(r[i] for r in cells) for i in range(len(columns))]
    out = left_out(columns, widths, free, empty, room)
    named = [columns[i] for i in out if not empty[i]]
    note = textwrap.fill(f"(left out to fit: {', '.join(named)}; --format csv|json has them)", room)
    kept = [i for i in range(len(columns)) if i not in out]
    names = [columns[i] for i in kept]
    readable = [WRAP_READABLE if c in WRAPPED else READABLE for c in names]
    widths = fitted([widths[i] for i in kept], names, [free[i] for i in kept], room, readable)
    lines = [
        [wrapped_or_cut(r[i], w, columns[i] in WRAPPED) for i, w in zip(kept, widths, strict=True)]
        for r in cells
    ]
    return kept, lines, widths, [numeric[i] for i in kept], note if named else None


class Layout:
    """A table's columns, widths and alignment, worked out from its rows (value tuples in the
    order of `columns`); for a terminal (`for_terminal`) fitted to its width (`fit`): columns left
    out, free text narrowed, an entry's details wrapped onto more lines, other text cut with an
    ellipsis. `lines` gives the text of these rows, `more` that of a row laid out as they were."""

    def __init__(self, rows: Sequence[Sequence[Any]], columns: Sequence[str]) -> None:
        cells = [[cell(value) for value in row] for row in rows]
        widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
        numeric = [
            all(isinstance(row[i], int | Decimal) for row in rows) and bool(rows) for i in range(len(columns))
        ]
        self.fitted = _terminal_width is not None
        self.note: str | None = None
        if _terminal_width is not None:
            self.kept, self.cells, widths, numeric, self.note = fit(
                columns, cells, widths, numeric, _terminal_width
            )
        else:
            self.kept, self.cells = list(range(len(columns))), [[[v] for v in r] for r in cells]
        self.names = [columns[i] for i in self.kept]
        self.widths, self.numeric = widths, numeric
        self.wrapped = [name in WRAPPED for name in self.names]

    def line(self, values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, self.widths, self.numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    def lines(self) -> list[str]:
        """The header, its rule and the rows laid out (a row of several lines: the cells of one
        line each are blank below it)."""
        out = [self.line(self.names), self.line(["-" * w for w in self.widths])]
        for row in self.cells:
            out += self._row(row)
        return out

    def more(self, row: Sequence[Any]) -> list[str]:
        """A row after those the layout was made from: cut or wrapped to the widths on a terminal,
        whole elsewhere (a longer value then pushes the rest of its line right)."""
        texts = [cell(row[i]) for i in self.kept]
        if self.fitted:
            shape = zip(texts, self.widths, self.wrapped, strict=True)
            return self._row([wrapped_or_cut(t, w, wrap) for t, w, wrap in shape])
        return [self.line(texts)]

    def _row(self, row: list[list[str]]) -> list[str]:
        return [
            self.line([c[k] if k < len(c) else "" for c in row]) for k in range(max(map(len, row), default=1))
        ]


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A plain aligned text table, numbers right-aligned (`Layout`)."""
    layout = Layout([[row.get(c) for c in columns] for row in rows], columns)
    return "\n".join(layout.lines() + ([layout.note] if layout.note else []))


def emit(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], fmt: str, title: str | None = None
) -> None:
    """Write rows (mappings) in the chosen format; machine formats go to stdout unadorned."""
    emit_values([tuple(row.get(c) for c in columns) for row in rows], columns, fmt, title)


def emit_values(
    rows: Sequence[Sequence[Any]], columns: Sequence[str], fmt: str, title: str | None = None
) -> None:
    """Write rows given as value tuples in column order."""
    emit_chunks([rows], columns, fmt, lambda: title)


def emit_chunks(
    chunks: Iterable[Sequence[Sequence[Any]]],
    columns: Sequence[str],
    fmt: str,
    title: Callable[[], str | None] = lambda: None,
) -> int:
    """Write rows arriving in chunks; CSV and JSON stream them (a register of millions in
    bounded memory), and so does a table of more than `TABLE_ROWS` rows (`long_table`); a
    shorter table takes its widths from all its rows, under its title. Returns how many rows."""
    written = 0
    if fmt == "table":
        chunks = iter(chunks)
        first: list[Sequence[Any]] = []
        for chunk in chunks:
            first.extend(chunk)
            # Past TABLE_ROWS and more to come (rows given at once are laid out at once):
            if len(first) > TABLE_ROWS and (following := next(chunks, None)) is not None:
                return long_table(first, itertools.chain([following], chunks), columns, title)
        if heading := title():
            click.echo(heading)
        click.echo(table([dict(zip(columns, row, strict=True)) for row in first], columns))
        return len(first)
    if fmt == "json":
        sys.stdout.write("[")
        for chunk in chunks:
            if chunk:
                items = _json.encode([dict(zip(columns, row, strict=True)) for row in chunk])
                sys.stdout.write(("," if written else "") + items[1:-1].decode())
                written += len(chunk)
        sys.stdout.write("]\n")
        return written
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow([neutral(c) for c in columns])
    for chunk in chunks:
        writer.writerows(csv_cells(chunk))
        written += len(chunk)
    return written


def long_table(
    first: list[Sequence[Any]],
    rest: Iterator[Sequence[Sequence[Any]]],
    columns: Sequence[str],
    title: Callable[[], str | None],
) -> int:
    """A table of more than `TABLE_ROWS` rows, written as its rows are read: laid out from its
    first rows (`first`), each later row as they were (`Layout.more`), its title under it (the
    title counts the rows, known at the end). A column the layout left out for the terminal,
    empty in the first rows but not later, is named under the table."""
    layout, write = Layout(first, columns), sys.stdout.write  # a chunk at a time: click.echo flushes
    write("\n".join(layout.lines()) + "\n")
    count, late = len(first), set[int]()
    # The columns left out for the terminal that the first rows left empty (the layout's note
    # names the others): named under the table if a later row fills one.
    out = [i for i in range(len(columns)) if i not in layout.kept and all(r[i] in (None, "") for r in first)]
    for chunk in rest:
        write("".join(text + "\n" for row in chunk for text in layout.more(row)))
        late.update(i for row in chunk for i in out if row[i] not in (None, ""))
        count += len(chunk)
    echo = click.echo
    named = [columns[i] for i in out if i in late]
    if layout.note or named:
        echo(layout.note or "")
    if named:
        echo(f"(left out too, filled after the first {TABLE_ROWS:,} rows: {', '.join(named)})")
    if heading := title():
        echo(heading)
    return count


def csv_cells(rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    """Rows as CSV cells: booleans as yes/no, text a spreadsheet would run neutralised.

    A column at a time, by the types it holds (a set of them, made in C): only a column of
    booleans or one whose text starts like a formula is rewritten, and the rows rebuilt once.
    """
    if not rows:
        return rows
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
    changed = False
    for i, values in enumerate(columns):
        kinds = set(map(type, values))
        if bool in kinds and kinds <= _BOOLEAN:
            columns[i], changed = [YES_NO[value] for value in values], True
        elif any(issubclass(kind, str) for kind in kinds):
            text = values if kinds == {str} else [v for v in values if isinstance(v, str)]
            if _FORMULA_CELL.search("\n".join(text)):
                columns[i], changed = [neutral(value) for value in values], True
    return list(zip(*columns, strict=True)) if changed else rows


def entry_row(entry: ev.Entry, retracted_by: Mapping[str, ev.Entry]) -> dict[str, Any]:
    """One entry as a row: common fields, its own fields as details, and its retraction."""
    data = msgspec.to_builtins(entry)
    details = " ".join(f"{k}={v}" for k, v in data.items() if k not in COMMON)
    retraction = retracted_by.get(entry.id or "")
    return {
        **{k: data.get(k) for k in ("seq", "date", "id", "recorded", "by", "ref", "note")},
        "type": entry.type,
        "details": details,
        "retracted": f"by #{retraction.seq}" if retraction else None,
    }
