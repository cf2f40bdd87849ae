"""What every command shares: the opened ledger, errors at the edge, common options.

Library errors become click exceptions only here: a refusal exits 1 with one
line per broken rule, unreadable input or a store that cannot be opened
exits 2, a store that fails while in use exits 3 saying what was written.
`today` and the `--known-at` moment are read here and passed down.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import IO, Any, TypeVar

import click
from sqlalchemy import Engine

from ledger.application import Ledger, format_recorded
from ledger.database import DEFAULT_URL, parse_database
from ledger.errors import CommitUncertain, JournalError, Refused, StoreError, StoreFailed, WriteFailed
from ledger.events import Entry
from ledger.store import Store
from projections import read_models
from projections.engine import create_tables
from projections.tracking import LostRace

F = TypeVar("F", bound=Callable[..., Any])


class RefusedByLedger(click.ClickException):
    """Exit 1: the ledger refused; one line per refusal on stderr."""

    exit_code = 1

    def __init__(self, refused: Refused):
        super().__init__(str(refused))
        self.refused = refused

    def show(self, file: IO[Any] | None = None) -> None:
        for refusal in self.refused.refusals:
            click.echo(f"coopledger: refused: {refusal}", err=True)


class BadInput(click.ClickException):
    """Exit 2: bad usage, unreadable input, or a store that cannot be opened."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"coopledger: error: {self.message}", err=True)


class StoreFailure(click.ClickException):
    """Exit 3: the store failed while in use; the message says what was written and what to do."""

    exit_code = 3

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"coopledger: failed: {self.message}", err=True)


def failure_message(error: StoreFailed) -> str:
    """What happened to the ledger, in the clerk's words, and how to go on."""
    if isinstance(error, CommitUncertain):
        return (
            f"the store failed while committing ({error}): the entries may or may not be recorded; "
            "run `coopledger verify`, then the same command again (entries with an id are never added twice)"
        )
    if isinstance(error, WriteFailed):
        return (
            f"the store failed while writing ({error}): nothing was written, the ledger is as it was; "
            "fix the cause and run the same command again"
        )
    return f"the store failed ({error}): nothing was written; fix the cause and run the command again"


@contextmanager
def ledger_errors() -> Iterator[None]:
    """Translate the ledger's errors into exit codes at the edge."""
    try:
        yield
    except Refused as e:
        raise RefusedByLedger(e) from e
    except StoreFailed as e:
        raise StoreFailure(failure_message(e)) from e
    except (JournalError, StoreError) as e:
        raise BadInput(str(e)) from e


class App:
    """The ledger behind one command: store, write side and read models, opened lazily."""

    def __init__(self, url: str, user: str | None):
        self.url = url
        self.user = user or ""

    @cached_property
    def database(self) -> Any:
        with ledger_errors():
            return parse_database(self.url)

    @cached_property
    def store(self) -> Store:
        with ledger_errors():
            return Store(self.database)

    @cached_property
    def ledger(self) -> Ledger:
        """The write side, writing the read models in the same transaction as the entries."""
        _ = self.engine  # the read-model tables must exist before the first write

        def project(conn: Any, recent: Sequence[Entry]) -> None:
            read_models.project(conn, self.store, recent)

        return Ledger(self.store, user=self.user, project=project)

    @cached_property
    def engine(self) -> Engine:
        with ledger_errors():
            try:
                with self.store.creating():
                    return create_tables(self.store.engine)
            except Exception as e:  # SQLAlchemy's own errors, e.g. server down
                raise StoreError(f"cannot open the read models at {self.url}: {e}") from e

    def read_models(self) -> Engine:
        """The read models, caught up with every recorded entry (a no-op unless they lag)."""
        engine = self.engine
        with ledger_errors():
            for attempt in range(read_models.ATTEMPTS):
                try:
                    with self.store.transaction() as conn:
                        read_models.project(conn, self.store)
                    break
                except LostRace:
                    if attempt == read_models.ATTEMPTS - 1:
                        raise
        return engine

    def known_seq(self, known_at: dt.datetime | None) -> int | None:
        """The last sequence number known at a moment (None: everything)."""
        if known_at is None:
            return None
        return self.store.seq_known_at(format_recorded(known_at))


pass_app = click.make_pass_decorator(App)


def parse_date(_ctx: Any, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param=param) from None


def parse_moment(_ctx: Any, param: click.Parameter, value: str | None) -> dt.datetime | None:
    """An ISO date (end of that day) or date-time, read as UTC when it has no zone."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO date or date-time", param=param) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def parse_since(ctx: Any, param: click.Parameter, value: str | None) -> dt.datetime | None:
    """Like `parse_moment`, but a bare date means the start of that day."""
    moment = parse_moment(ctx, param, value)
    if moment is not None and value is not None and len(value) == 10:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment


def today() -> dt.date:
    """Today's date, read once at the edge (COOPLEDGER_TODAY overrides it for reproducible runs)."""
    forced = os.environ.get("COOPLEDGER_TODAY")
    return dt.date.fromisoformat(forced) if forced else dt.date.today()


def date_option(
    name: str = "--date", help: str = "effective date (YYYY-MM-DD; default today)"
) -> Callable[[F], F]:
    return click.option(name, callback=parse_date, help=help)


def known_at_option(f: F) -> F:
    """--known-at MOMENT: entries recorded later are ignored."""
    return click.option(
        "--known-at",
        callback=parse_moment,
        help="as the ledger knew it then: ISO date (end of day) or date-time, UTC",
    )(f)


def as_of_options(f: F) -> F:
    """--as-of DATE (default today) and --known-at MOMENT, shared by every view."""
    f = known_at_option(f)
    return click.option("--as-of", callback=parse_date, help="effective date, end of day (default today)")(f)


def output_options(*formats: str) -> Callable[[F], F]:
    """--format with the given choices, table first (for people)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(formats),
        default=formats[0],
        show_default=True,
        help="output format",
    )


def db_url(value: str | None) -> str:
    return value or os.environ.get("COOPLEDGER_DB") or DEFAULT_URL
