"""Rendering rows for people (aligned table) and machines (CSV, JSON), to stdout; entries as rows."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import click
import msgspec

from coopledger.ledger import events as ev

_json = msgspec.json.Encoder(decimal_format="string")
YES_NO = {True: "yes", False: "no", None: ""}
COMMON = {"date", "id", "ref", "note", "by", "seq", "recorded", "hash", "type"}
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@")
_FORMULA_CELL = re.compile("^[=+@-]", re.MULTILINE)  # a cell of a column joined by newlines
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
ENTRY_COLUMNS = ["seq", "date", "type", "details", "id", "recorded", "by", "ref", "note", "retracted"]
# The width of the terminal tables are printed for, while one is (None: print them whole).
_terminal_width: int | None = None
CUT = "\u2026"  # …, ending a cell cut to fit the terminal
NARROWEST = 6  # a text column is never cut below this (or its header)
TEXT_FLOOR = 8  # free text is cut to this before any other column is cut


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
    captured = io.StringIO()
    _terminal_width = size.columns
    try:
        with contextlib.redirect_stdout(captured):
            yield
    finally:
        _terminal_width = None
        text = captured.getvalue()
        if pager and text.count("\n") >= size.lines:
            click.echo_via_pager(text.removesuffix("\n"))  # which ends with its own newline
        else:
            sys.stdout.write(text)
            sys.stdout.flush()


def fitted(widths: list[int], headers: Sequence[str], free: Sequence[bool | None], room: int) -> list[int]:
    """Column widths within `room` characters (two between columns). Free text (cells of varying
    length: details, names, notes; None for numbers) is narrowed first, the widest first, down to
    TEXT_FLOOR; then,
    if need be, any text column; numbers are never cut."""
    widths = list(widths)
    excess = sum(widths) + 2 * (len(widths) - 1) - room
    for columns, floor in ((free, TEXT_FLOOR), ([w is not None for w in free], NARROWEST)):
        while excess > 0:
            cuttable = [i for i, w in enumerate(widths) if columns[i] and w > max(floor, len(headers[i]))]
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


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """A plain aligned text table, numbers right-aligned."""
    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(row.get(c), int | Decimal) for row in rows) and bool(rows) for c in columns]
    if _terminal_width is not None:
        full = widths
        free = [None if num else len({len(r[i]) for r in cells}) > 1 for i, num in enumerate(numeric)]
        widths = fitted(widths, columns, free, _terminal_width)
        if widths != full:
            cells = [[cut(v, w) for v, w in zip(r, widths, strict=True)] for r in cells]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(columns), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


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
    bounded memory), a table needs them all for its widths. Returns how many rows."""
    written = 0
    if fmt == "table":
        rows = [dict(zip(columns, row, strict=True)) for chunk in chunks for row in chunk]
        if heading := title():
            click.echo(heading)
        click.echo(table(rows, columns))
        return len(rows)
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
        writer.writerows(_csv_cells(chunk, len(columns)))
        written += len(chunk)
    return written


def _csv_cells(rows: Sequence[Sequence[Any]], width: int) -> Sequence[Sequence[Any]]:
    """Rows as CSV cells: booleans as yes/no, text a spreadsheet would run neutralised.
    A column is rewritten only when it needs it (the fast path for large registers)."""
    for i in [i for i in range(width) if rows and isinstance(rows[0][i], bool)]:
        rows = [(*row[:i], YES_NO[row[i]], *row[i + 1 :]) for row in rows]  # one column at a time
    for i, values in enumerate(zip(*rows, strict=True)):
        text = [v for v in values if isinstance(v, str)]
        if text and _FORMULA_CELL.search("\n".join(text)):
            rows = [(*row[:i], neutral(row[i]), *row[i + 1 :]) for row in rows]
    return rows


def entry_row(entry: ev.Entry, retracted_by: dict[str, ev.Entry]) -> dict[str, Any]:
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
