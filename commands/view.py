"""The view record: what a reading command is asked to show, read and checked once at the edge.

Every reading command takes one `View` instead of building its own dates: today
is read here, the period is resolved here (`--year` is always the fiscal year
of the statutes), and `--known-at` is resolved here to the last sequence
number known then, so every query of the command reads the same ledger.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from coopledger.commands import render
from coopledger.commands.context import (
    App,
    BadOption,
    Choice,
    OptionConflict,
    Year,
    ledger_errors,
    parse_date,
    parse_moment,
    shown,
    today,
)
from coopledger.ledger import events as ev
from coopledger.ledger.provenance import format_recorded
from coopledger.ledger.timeline import statutes_of
from coopledger.reports.options import LANGS

F = TypeVar("F", bound=Callable[..., Any])

YEAR_HELP = "the fiscal year that starts in YEAR on the statutes' fiscal_year_start (default 01-01)"
KNOWN_HELP = (
    "as the ledger knew it then: ISO date (end of day) or date-time, UTC; #N, after entry N; "
    "or a checkpoint file, as it signs"
)
# What --known-at gives before the ledger is read: a moment, or `#N` (an entry's sequence number).
Known = dt.datetime | int


def parse_known(ctx: Any, param: click.Parameter | None, value: str | None) -> Known | None:
    """--known-at: `#14` (as known after entry 14), or a moment as `parse_moment` reads it."""
    if value is not None and value.startswith("#"):
        digits = value[1:]
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 18 or int(digits) < 1:
            raise BadOption(f"{shown(value)} is not an entry number such as #14", param=param)
        return int(digits)
    if value is not None and os.path.isfile(value):  # a checkpoint: as known after its last entry
        from coopledger.commands.transparency import read_note  # signatures: only for a checkpoint

        size = read_note(value).checkpoint().size
        if size < 1:
            raise BadOption(f"{shown(value)} is the checkpoint of an empty ledger", param=param)
        return size
    if value and not value[:1].isdigit():  # no moment begins so: a checkpoint not found
        why = "not a file" if os.path.exists(value) else "no such file"
        raise BadOption(
            f"cannot read the checkpoint {shown(value)}: {why} (or give an ISO date or date-time, or #N)",
            param=param,
        )
    return parse_moment(ctx, param, value)


def resolve_known(
    app: App, known: Known | None, option: str = "--known-at"
) -> tuple[dt.datetime | None, int | None]:
    """The moment and the last sequence number known then; `#N` is the moment entry N was recorded
    (the ledger gives every entry its own recorded time, so nothing after N is known then)."""
    if known is None:
        return None, None
    if isinstance(known, dt.datetime):
        with ledger_errors():
            return known, app.known_seq(known)
    with ledger_errors():
        entry = app.store.entry(known)
        head = app.store.head()
    if entry is None or entry.recorded is None:
        last = f"the last is #{head.seq}" if head else "the ledger is empty"
        raise BadOption(f"there is no entry #{known} ({last})", param_hint=f"'{option}'")
    return dt.datetime.fromisoformat(entry.recorded.replace("Z", "+00:00")), known


@dataclass(frozen=True)
class View:
    """What to show: as of a date, within a period, as known at a moment, in a format and language.

    `as_of` is today unless given; `start`/`end` is the period (the fiscal year
    `year`, this one by default, or --from/--to with `year` None); `known_seq` is
    the last entry recorded at `known_at` (None: everything recorded so far).
    Fields a command does not ask for keep their defaults.
    """

    fmt: str = "table"
    as_of: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    year: int | None = None
    known_at: dt.datetime | None = None
    known_seq: int | None = None
    lang: str = "fr"

    @property
    def day(self) -> dt.date:
        """The --as-of date; set in every view made with `as_of=True`."""
        assert self.as_of is not None, "not a dated view"
        return self.as_of

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        """The first and last day; set in every view made with `period=True`."""
        assert self.start is not None and self.end is not None, "not a view of a period"
        return self.start, self.end

    @property
    def known_text(self) -> str | None:
        """The --known-at moment as recorded times are written, or None."""
        return format_recorded(self.known_at) if self.known_at else None

    @property
    def known_suffix(self) -> str:
        """', as known at …' for a title, or nothing."""
        return f", as known at {self.known_text}" if self.known_at else ""


def fiscal_period(app: App, year: int | None, known_seq: int | None) -> tuple[dt.date, dt.date, int]:
    """A fiscal year by the statutes in force as known then (calendar by default); this one if none."""
    statutes = statutes_of(app.store.timelines([ev.STATUTES], known_seq))
    if year is None:
        year = statutes.fiscal_year(today())[1]
    first = dt.date.fromisoformat(f"{year}-{statutes.get('fiscal_year_start', dt.date(year, 12, 31))}")
    return first, first.replace(year=year + 1) - dt.timedelta(days=1), year


def explicit_period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """--from and --to, both, in order."""
    if start is None or end is None:
        raise OptionConflict("--from and --to go together")
    if start > end:
        raise OptionConflict(f"--from {start} is after --to {end}")
    return start, end


def build_view(
    app: App,
    fmt: str = "table",
    as_of: dt.date | None = None,
    year: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    known_at: Known | None = None,
    lang: str = "fr",
    *,
    dated: bool = False,
    period: bool = False,
) -> View:
    """Check the options together, then resolve what needs the ledger (known-at, the fiscal year)."""
    if year is not None and (start or end):
        raise OptionConflict("give either --year or --from/--to, not both")
    if period and (start or end):
        start, end = explicit_period(start, end)
    moment, known_seq = resolve_known(app, known_at)
    with ledger_errors():
        if period and start is None:
            start, end, year = fiscal_period(app, year, known_seq)
    if dated and as_of is None:
        as_of = today()
    return View(fmt, as_of, start, end, year, moment, known_seq, lang)


def view_options(
    *formats: str, as_of: bool = False, period: bool = False, known_at: bool = True, lang: bool = False
) -> Callable[[F], F]:
    """Declare a reading command's view options and pass it one checked `view`.

    `formats` gives --format (table first, for people); `as_of` --as-of (default
    today); `period` --year or --from/--to; `known_at` --known-at; `lang` --lang.
    A table for a terminal is fitted to its width and paged when longer than the
    screen (`--no-pager` prints it whole); nothing changes when stdout is no terminal.
    """

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            names = ("fmt", "as_of", "year", "start", "end", "known_at", "lang")
            given = {name: kwargs.pop(name) for name in names if name in kwargs}
            pager = not kwargs.pop("no_pager", True)
            app = click.get_current_context().find_object(App)
            view = build_view(app, **given, dated=as_of, period=period)  # type: ignore[arg-type]
            if view.fmt != "table":
                return f(*args, view=view, **kwargs)
            with render.for_terminal(pager):
                return f(*args, view=view, **kwargs)

        if "table" in formats:
            wrapper = click.option(
                "--no-pager", is_flag=True, help="on a terminal, print long output whole, not paged"
            )(wrapper)
        if formats:
            wrapper = click.option(
                "--format",
                "fmt",
                type=Choice(formats),
                default=formats[0],
                show_default=True,
                help="output format",
            )(wrapper)
        if lang:
            wrapper = click.option("--lang", type=Choice(LANGS), default="fr", show_default=True)(wrapper)
        if known_at:
            wrapper = click.option(
                "--known-at",
                callback=parse_known,
                help=KNOWN_HELP,
            )(wrapper)
        if as_of:
            wrapper = click.option(
                "--as-of", callback=parse_date, help="effective date, end of day (default today)"
            )(wrapper)
        if period:
            wrapper = click.option("--to", "end", callback=parse_date, help="last day of the period")(wrapper)
            wrapper = click.option("--from", "start", callback=parse_date, help="first day of the period")(
                wrapper
            )
            wrapper = click.option("--year", type=Year(), help=YEAR_HELP)(wrapper)
        return wrapper  # type: ignore[return-value]

    return decorate
