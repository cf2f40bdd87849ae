"""Journal entries from a spreadsheet (.csv, .xlsx, .ods): a header row, then one entry per row.

A cooperative arrives with its register in a spreadsheet. Each row becomes the journal
line a clerk would have typed, and goes through the same checks as a JSON Lines line
(`bounds.decode_input`), so a spreadsheet can say nothing a journal cannot. The header
names journal fields (`type`, `date`, `member`, `name`, ...); `--type` gives the type of
a file of one type; `--map FILE.toml` renames columns and gives the date format of a
register exported from elsewhere. A sheet shaped like `coopledger register`'s own output
(a `member` and an `admitted` column, no `type` and no `date`) is read as a register:
each row admits its member on the admission date and, if it shows paid-up capital, pays
it on that date. Refusals name the row and the column.
"""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

import msgspec

from coopledger.commands.wording import clerk_words
from coopledger.ledger import bounds
from coopledger.ledger import events as ev
from coopledger.ledger.errors import JournalError, Source

SUFFIXES = (".csv", ".xlsx", ".ods")
TRUE = {"yes", "true", "1", "y", "x", "oui", "ja", "vrai", "waar"}
FALSE = {"no", "false", "0", "n", "non", "nee", "faux", "onwaar"}
JOURNAL_FIELDS = {f for cls in ev.EVENT_TYPES.values() for f in cls.__struct_fields__} | {"type"}
REGISTER_SHAPE = {"member", "admitted"}  # the columns of `coopledger register` that make it one
# What the legal register (`register --format xlsx|ods`) says of a member's exit: read, not imported.
EXIT_COLUMNS = {"status", "exit_date", "exit_kind", "exit_reason"}


@dataclass(frozen=True)
class SheetMap:
    """How a spreadsheet's columns read as journal fields (`--map FILE.toml`).

    The TOML file names, for each journal field, the column that holds it
    (`date = "Date d'entrée"`), and optionally `type` (for a file of one type),
    `date_format` (strftime, e.g. "%d/%m/%Y"), `sheet` (a worksheet's name) and a
    `[values.FIELD]` table translating a column's values (`sell_back = "shares.redeemed"`).
    """

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    type: str | None = None
    date_format: str | None = None
    sheet: str | None = None

    @classmethod
    def load(cls, path: str) -> SheetMap:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise JournalError(f"cannot read the mapping {path}: {e}") from None
        options = {key: data.pop(key) for key in ("type", "date_format", "sheet") if key in data}
        values = data.pop("values", {})
        wrong = [key for key, value in [*data.items(), *options.items()] if not isinstance(value, str)]
        wrong += [f"values.{key}" for key, table in values.items() if not isinstance(table, dict)]
        if wrong:
            raise JournalError(f"mapping {path}: `{wrong[0]}` must be text (a column name or an option)")
        return cls(columns=data, values=values, **options)


def is_sheet(name: str) -> bool:
    return name.lower().endswith(SUFFIXES)


@dataclass(frozen=True)
class SheetRead:
    """A spreadsheet's entries, and the rows of former members a register sheet left out."""

    entries: list[tuple[ev.Entry, Source]]
    former: list[int]


def read_sheet(path: str, entry_type: str | None, sheet_map: SheetMap) -> SheetRead:
    """Every row of the spreadsheet as an entry, checked as a journal line; the first bad row stops.

    The header is the first row with two cells or more: the title lines of the legal register
    (`register --format xlsx|ods`) above it are passed over, and its columns are read in any
    of its languages. A register row with an exit date is a former member's, whose holding the
    register no longer shows: it is left out, and its row number returned.
    """
    name = Path(path).name
    rows = _rows(path, sheet_map.sheet)
    header = next((row for _, row in rows if sum(map(_filled, row)) >= 2), None)
    if header is None:
        raise JournalError(f"{name} is empty: the first row must name the columns")
    header = [str(h).strip() if h is not None else "" for h in header]
    field_of = _fields(header, sheet_map)
    kind = entry_type or sheet_map.type
    register = kind is None and "type" not in field_of.values() and _register_shaped(field_of)
    column_of = {f: header[i] for i, f in field_of.items()}
    if register:  # a refusal names the register's own columns
        column_of |= {"date": column_of["admitted"], "amount": column_of.get("paid_up", "paid_up")}
    entries: list[tuple[ev.Entry, Source]] = []
    former: list[int] = []
    for number, row in rows:
        cells = {field_of[i]: value for i, value in enumerate(row) if i in field_of and _filled(value)}
        for field_name, table in sheet_map.values.items():
            if field_name in cells:
                cells[field_name] = table.get(str(cells[field_name]).strip(), cells[field_name])
        if not cells:
            continue
        if register:
            if "exit_date" in cells:
                former.append(number)
                continue
            cells = {f: value for f, value in cells.items() if f not in EXIT_COLUMNS}
        lines = _register_lines(cells) if register else [{"type": kind, **cells} if kind else cells]
        for line in lines:
            entry = _entry(line, column_of, sheet_map.date_format, number)
            entries.append((entry, Source(name, number, unit="row")))
    return SheetRead(entries, former)


def _register_shaped(field_of: dict[int, str]) -> bool:
    fields = set(field_of.values())
    return fields >= REGISTER_SHAPE and "date" not in fields


def _register_lines(cells: dict[str, Any]) -> list[dict[str, Any]]:
    """A register row: the admission on its date, and the paid-up capital paid on that date."""
    paid_up = cells.pop("paid_up", None)
    admitted = {"type": "member.admitted", "date": cells.pop("admitted"), **cells}
    lines = [admitted]
    if paid_up is not None and _decimal(paid_up) not in (None, Decimal(0)):
        lines.append(
            {"type": "shares.paid", "date": admitted["date"], "member": cells["member"], "amount": paid_up}
        )
    return lines


def _fields(header: Sequence[str], sheet_map: SheetMap) -> dict[int, str]:
    """Column index -> journal field: the mapping's names first, else the header's own."""
    by_column = {column: journal for journal, column in sheet_map.columns.items()}
    missing = [column for column in by_column if column not in header]
    if missing:
        raise JournalError(f"the mapping names a column that is not in the header: `{missing[0]}`")
    fields = {}
    labels = {} if by_column else _register_labels()
    for i, title in enumerate(header):
        name = title.lower().replace(" ", "_").replace("-", "_")
        if title in by_column:
            fields[i] = by_column[title]
        elif title.casefold() in labels and name not in JOURNAL_FIELDS:
            fields[i] = labels[title.casefold()]
        elif title and (not by_column or name in JOURNAL_FIELDS):  # with a mapping, others are ignored
            fields[i] = name
    return fields


@cache
def _register_labels() -> dict[str, str]:
    """The legal register's column titles, in each of its languages, and the field each holds."""
    from coopledger.reports.desk_words import WORDS
    from coopledger.reports.register_document import COLUMNS

    return {words[column].casefold(): column for words in WORDS.values() for column in COLUMNS}


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _entry(line: dict[str, Any], column_of: dict[str, str], date_format: str | None, row: int) -> ev.Entry:
    """One row's line, typed after its entry type's fields, decoded as a journal line is."""
    cls = ev.EVENT_TYPES.get(str(line.get("type")))

    def where(name: str) -> str:
        return f"column `{column_of.get(name, name)}`"

    typed = {}
    for name, value in line.items():
        try:
            typed[name] = _typed(value, _annotation(cls, name), date_format)
        except ValueError as e:
            raise JournalError(f"row {row}, {where(name)}: {e}") from None
    try:
        return bounds.decode_input(msgspec.json.encode(typed))
    except (msgspec.ValidationError, msgspec.DecodeError) as e:
        raise JournalError(f"row {row}: {clerk_words(str(e), cls, typed.get, where=where)}") from None


def _annotation(cls: type[ev.Entry] | None, name: str) -> Any:
    return _field_types(cls).get(name, str) if cls is not None else str


@cache
def _field_types(cls: type[ev.Entry]) -> dict[str, Any]:
    """An entry type's fields and their types (msgspec resolves them slowly: once per type)."""
    return {info.name: info.type for info in msgspec.structs.fields(cls)}


def _typed(value: Any, annotation: Any, date_format: str | None) -> Any:
    """A cell as its journal field expects it: ISO dates, whole counts, amounts as text."""
    text = str(annotation)
    if "datetime.date" in text or annotation is dt.date:
        return _date(value, date_format)
    if annotation is bool or text == "bool":
        return _boolean(value)
    if "Decimal" in text:
        amount = _decimal(value)
        if amount is None:
            raise ValueError(f"{value!r} is not an amount (write 12.50 or 12,50)")
        return str(amount)
    if "int" in text and not isinstance(value, str | bool):
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{value!r} is not a whole number")
        return int(value)
    if "int" in text and isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a member number typed as a number: 12, not 12.0
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return value.strip() if isinstance(value, str) else value


def _date(value: Any, date_format: str | None) -> str:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    for form in (date_format, "%Y-%m-%d"):
        if form:
            try:
                return dt.datetime.strptime(text, form).date().isoformat()
            except ValueError:
                pass
    expected = f" (expected {date_format} or YYYY-MM-DD)" if date_format else " (expected YYYY-MM-DD)"
    raise ValueError(f"{text!r} is not a date{expected}")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise ValueError(f"{value!r} is not yes or no")


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, float):
        return Decimal(f"{value:.2f}") if round(value, 2) == value else Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value).quantize(Decimal("0.01"))
    try:
        return Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        return None


# -- the three formats: numbered rows of cell values -------------------------------------------


def _rows(path: str, sheet: str | None) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) pairs, numbered as the spreadsheet shows them."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        try:
            yield from _csv_rows(path)
        except (OSError, ValueError) as e:
            raise JournalError(f"cannot read {Path(path).name} as a CSV spreadsheet: {e}") from None
        return
    from python_calamine import CalamineError, CalamineWorkbook  # only for a spreadsheet import

    try:
        book = CalamineWorkbook.from_path(path)
        worksheet = book.get_sheet_by_name(sheet) if sheet else book.get_sheet_by_index(0)
        yield from _numbered(worksheet.iter_rows())
    except (OSError, CalamineError) as e:
        raise JournalError(
            f"cannot read {Path(path).name} as a {suffix[1:].upper()} spreadsheet: {e or type(e).__name__}"
        ) from None


def _numbered(rows: Iterator[Sequence[Any]]) -> Iterator[tuple[int, list[Any]]]:
    for number, row in enumerate(rows, start=1):
        yield number, list(row)


def _csv_rows(path: str) -> Iterator[tuple[int, list[Any]]]:
    """CSV in UTF-8 (with or without a byte-order mark), separated by commas or semicolons."""
    with open(path, encoding="utf-8-sig", newline="") as stream:
        sample = stream.read(8192)
        stream.seek(0)
        first = sample.splitlines()[0] if sample else ""
        delimiter = ";" if first.count(";") > first.count(",") else ","
        yield from _numbered(
            [_unneutral(cell) for cell in row] for row in csv.reader(stream, delimiter=delimiter)
        )


def _unneutral(cell: str) -> str:
    """A cell as it was before a CSV writer (coopledger's own) kept a spreadsheet from running it."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@") else cell
