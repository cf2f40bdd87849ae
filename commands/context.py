"""What every command shares: the opened ledger, errors at the edge, common options.

Library errors become click exceptions only here: a refusal exits 1 with one
line per broken rule, unreadable input or a store that cannot be opened
exits 2, a store that fails while in use exits 3 saying what was written.
`today` is read here; the view options that use it are in `commands/view.py`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import click
from sqlalchemy import Engine

from coopledger.ledger.database import DEFAULT_URL, parse_database
from coopledger.ledger.errors import (
    CommitUncertain,
    JournalError,
    ReadModelDamaged,
    Refused,
    StoreDamaged,
    StoreError,
    StoreFailed,
    WriteFailed,
)
from coopledger.ledger.events import FIRST_DATE, LAST_DATE, Entry
from coopledger.ledger.presence import Presence, ledger_opening, ledger_state, no_ledger
from coopledger.ledger.provenance import format_recorded
from coopledger.ledger.store import Store
from coopledger.projections import assertions, read_models
from coopledger.projections.projector import LostRace
from coopledger.projections.read_models import create_tables
from coopledger.projections.register.queries import members_on

if TYPE_CHECKING:
    from coopledger.ledger.application import Ledger

F = TypeVar("F", bound=Callable[..., Any])
# Said when another session holds the ledger's tables (`ledger.presence.Opening`): the command
# waits for it without a word otherwise, up to a quarter of an hour at 5,000,000 members.
HELD = (
    "another session holds this ledger's tables until it commits (an import into the empty "
    "ledger, or a rebuild): waiting for it"
)


class DryRun(Exception):
    """Raised inside the write transaction of a dry run, so that it rolls back: what it would add."""

    def __init__(self, added: list[Entry], day: dt.date, members: int):
        super().__init__("dry run")
        self.added, self.day, self.members = added, day, members


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


class NotFound(click.ClickException):
    """Exit 1: what was asked for is not in the ledger (a member, an assembly, an entry)."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"coopledger: error: {self.message}", err=True)


def did_you_mean(value: str, known: Sequence[str], what: str = "known") -> str:
    """'did you mean `x`? known: a, b, c' (at most 20 named), for an error about `value`."""
    close = difflib.get_close_matches(value, list(known), n=1)
    hint = f"did you mean `{close[0]}`? " if close else ""
    listed = ", ".join(list(known)[:20]) + (f", ... ({len(known)} in all)" if len(known) > 20 else "")
    return f"{hint}{what}: {listed or 'none'}"


class StoreFailure(click.ClickException):
    """Exit 3: the store failed while in use; the message says what was written and what to do."""

    exit_code = 3

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"coopledger: failed: {self.message}", err=True)


# How the databases say a write gave up waiting for a lock (`POSTGRES_LOCK_TIMEOUT`,
# `SQLITE_LOCK_TIMEOUT`: 30 s, `ledger/database.py`).
LOCKED = ("lock timeout", "database is locked")


def failure_message(error: StoreFailed) -> str:
    """What happened to the ledger, in the clerk's words, and how to go on."""
    if isinstance(error, CommitUncertain):
        return (
            f"the store failed while committing ({error}): the entries may or may not be recorded; "
            "run `coopledger verify`, then the same command again (entries with an id are never added twice)"
        )
    if isinstance(error, ReadModelDamaged):
        return (
            f"the store holds a value coopledger did not write ({error}): it was changed outside "
            "coopledger, or is damaged; nothing was written; `coopledger verify` names the rows "
            "concerned, and `coopledger rebuild` writes the read models again from the entries"
        )
    if isinstance(error, StoreDamaged):
        return (
            f"the store holds rows coopledger did not write ({error}): it was changed outside "
            "coopledger, or is damaged; nothing was written; `coopledger verify` names the entries concerned"
        )
    if isinstance(error, WriteFailed) and any(sign in str(error) for sign in LOCKED):
        return (
            f"another session held the ledger's tables longer than a write waits ({error}): a rebuild "
            "or an import into the empty ledger, most likely; nothing was written, the ledger is as it "
            "was; run the same command again once that session has finished"
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
        self.creates = False  # only `init` and `import` may create a store
        self.upgrades = False  # only `rebuild` opens a ledger whose read models are of an older format
        self.dry_run = False  # `import --dry-run`: check and project everything, then roll back

    def may_create(self) -> None:
        """This command creates the store when there is none (`init`, `import`)."""
        self.creates = True

    def rehearse(self) -> None:
        """`import --dry-run`: check and project everything, then roll back. Where there is no
        ledger yet, against an empty one in memory, so that the rehearsal creates nothing."""
        self.dry_run = True
        with ledger_errors():
            absent = ledger_state(self.database) is Presence.ABSENT
        if absent:
            self.url = "sqlite://"
            del self.database  # the cached one, of the URL given

    @cached_property
    def database(self) -> Any:
        with ledger_errors():
            return parse_database(self.url)

    @cached_property
    def store(self) -> Store:
        with ledger_errors():
            state, held = ledger_opening(self.database, read_models.RELATIONS)
            if state is Presence.ABSENT and not self.creates:
                raise no_ledger(self.url)
            if held:
                click.echo(f"coopledger: {HELD}", err=True)
            return Store(self.database, upgrade=self.upgrades, ready=state is Presence.READY)

    @cached_property
    def ledger(self) -> Ledger:
        """The write side, writing the read models in the same transaction as the entries."""
        from coopledger.ledger.application import Ledger  # the rules: only commands that write

        _ = self.engine  # the read-model tables must exist before the first write

        def project(conn: Any, recent: Sequence[Entry], asserting: bool) -> None:
            read_models.project(conn, self.store, recent)
            if asserting and (unheld := assertions.refusals(conn, self.store, recent)):
                raise Refused(unheld)
            if self.dry_run:  # everything checked and projected: say what, and write nothing
                day = max(today(), *(entry.date for entry in recent))
                raise DryRun(list(recent), day, members_on(conn, day, None))

        def asserted(conn: Any) -> None:
            if unheld := assertions.broken(conn, self.store):
                raise Refused(unheld)

        def project_all(conn: Any) -> None:
            read_models.rebuild(conn, self.store)
            asserted(conn)

        return Ledger(
            self.store,
            user=self.user,
            project=project,
            project_all=project_all,
            asserted=asserted,
            today=today,
        )

    @cached_property
    def engine(self) -> Engine:
        with ledger_errors():
            store = self.store
            if store.ready:
                return store.engine
            try:
                with store.creating():
                    return create_tables(store.engine, indexes=store.upgrading is None)
            except Exception as e:  # SQLAlchemy's own errors, e.g. server down
                raise StoreError(f"cannot open the read models at {self.url}: {e}") from e

    def close(self) -> None:
        """Give the store's connections back (a command run in-process, by tests or the web view)."""
        if "store" in self.__dict__:
            self.store.close()

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


class Asked(click.Option):
    """A required option of an entry: a clerk at a terminal is asked for it (a choice shows its
    values) instead of being refused; a script, whose standard input is no terminal, never is."""

    def consume_value(self, ctx: click.Context, opts: Any) -> tuple[Any, Any]:
        self.prompt = self.opts[0] if sys.stdin.isatty() else None
        return super().consume_value(ctx, opts)


class BadOption(click.BadParameter):
    """Exit 2 on one line: an option's value the ledger cannot use (never a traceback)."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"coopledger: error: {self.format_message()}", err=True)


class OptionConflict(click.UsageError):
    """Exit 2 on one line: options that do not go together."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"coopledger: error: {self.format_message()}", err=True)


DATES = f"the ledger's dates run from {FIRST_DATE} to {LAST_DATE}"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YEAR = re.compile(r"[0-9]{4}")
# Control characters and unpaired surrogates (from undecodable bytes on the command line).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
TEXT_LENGTH = 1000


def shown(value: str) -> str:
    """A value as an error shows it: quoted, escaped, on one line, at most about 40 characters."""
    text = repr(value[:40])
    return text if len(value) <= 40 else f"{text[:-1]}...{text[-1]} ({len(value)} characters)"


def in_range(day: dt.date, what: str) -> dt.date:
    if not FIRST_DATE <= day <= LAST_DATE:
        raise BadOption(f"{what} is out of range: {DATES}")
    return day


def parse_date(_ctx: Any, param: click.Parameter | None, value: str | None) -> dt.date | None:
    """A date YYYY-MM-DD within the ledger's dates."""
    if value is None:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise BadOption(f"{shown(value)} is not a date (YYYY-MM-DD)", param=param) from None
    return in_range(day, value)


def parse_moment(_ctx: Any, param: click.Parameter | None, value: str | None) -> dt.datetime | None:
    """An ISO date (end of that day) or date-time, read as UTC when it has no zone; in UTC, it
    must fall within the ledger's dates."""
    if value is None:
        return None
    try:
        if not (value.isascii() and _DATE.match(value)) or (len(value) > 10 and value[10] not in "T "):
            raise ValueError(value)
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            moment = dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)
        else:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadOption(f"{shown(value)} is not an ISO date or date-time", param=param) from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    in_range(moment.date(), value)  # first, so that the conversion to UTC cannot overflow
    utc = moment.astimezone(dt.UTC)
    in_range(utc.date(), value if utc.date() == moment.date() else f"{value} ({format_recorded(utc)})")
    return moment


def parse_since(ctx: Any, param: click.Parameter | None, value: str | None) -> dt.datetime | None:
    """Like `parse_moment`, but a bare date means the start of that day."""
    moment = parse_moment(ctx, param, value)
    if moment is not None and value is not None and len(value) == 10:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment


def parse_text(_ctx: Any, param: click.Parameter | None, value: str | None) -> str | None:
    """A one-line text (an id, a name, a type): no control character, at most 1,000 characters."""
    if value is None:
        return None
    if len(value) > TEXT_LENGTH:
        raise BadOption(f"{shown(value)} is longer than {TEXT_LENGTH} characters", param=param)
    found = _CONTROL.search(value)
    if found is not None:
        what = "an undecodable byte" if "\ud800" <= found.group() <= "\udfff" else "a control character"
        raise BadOption(f"{shown(value)} holds {what} at character {found.start() + 1}", param=param)
    return value


def parse_texts(ctx: Any, param: click.Parameter | None, values: tuple[str, ...]) -> tuple[str, ...]:
    """`parse_text` for an option given several times."""
    return tuple(str(parse_text(ctx, param, value)) for value in values)


class Year(click.ParamType[int, Any]):
    """A year of four digits within the ledger's dates."""

    name = "year"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value)
        if not (text.isascii() and _YEAR.fullmatch(text)):
            raise BadOption(f"{shown(text)} is not a year (four digits, e.g. 2025)", ctx=ctx, param=param)
        if not FIRST_DATE.year <= int(text) <= LAST_DATE.year:
            raise BadOption(f"{text} is out of range: {DATES}", ctx=ctx, param=param)
        return int(text)


class Count(click.ParamType[int, Any]):
    """A whole number of digits (bounds are the entry's own)."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value)
        if not (text.isascii() and text.isdigit()):
            raise BadOption(f"{shown(text)} is not a whole number", ctx=ctx, param=param)
        if len(text) > 18:
            raise BadOption(f"{shown(text)} is too large", ctx=ctx, param=param)
        return int(text)


class Choice(click.Choice):  # type: ignore[type-arg]
    """click's Choice, with a one-line error."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            choices = ", ".join(map(str, self.choices))
            close = difflib.get_close_matches(str(value), list(map(str, self.choices)), n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            raise BadOption(
                f"{shown(str(value))} is not one of {choices}{hint}", ctx=ctx, param=param
            ) from None


class InputFile(click.File):
    """click's File for reading, with a one-line error."""

    def __init__(self) -> None:
        super().__init__("rb")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as e:
            raise BadOption(e.message, ctx=ctx, param=param) from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def written(name: str) -> Iterator[IO[bytes]]:
    """A file written whole or not at all: into a temporary file beside it, renamed over it
    only when everything is written; '-' is standard output."""
    if name == "-":
        yield sys.stdout.buffer
        return
    target = Path(name)
    try:
        if target.is_dir():
            raise IsADirectoryError(0, "it is a folder")
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in the `with` below)
            "wb", dir=target.absolute().parent, prefix=f".{target.name}.", delete=False
        )
    except (OSError, ValueError) as e:  # ValueError: a NUL in the name
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise BadInput(f"cannot write {shown(name)}: {reason}") from None
    try:
        with handle:
            yield handle
        os.chmod(handle.name, 0o666 & ~_umask())  # as `open` would have made it
        os.replace(handle.name, target)
    except BaseException:
        os.unlink(handle.name)
        raise


def today() -> dt.date:
    """Today's date, read once at the edge (COOPLEDGER_TODAY overrides it for reproducible runs)."""
    forced = os.environ.get("COOPLEDGER_TODAY")
    if not forced:
        return dt.date.today()
    try:
        return parse_date(None, None, forced)  # type: ignore[return-value]
    except click.BadParameter as e:
        raise BadInput(f"COOPLEDGER_TODAY: {e.message}") from None


def date_option(
    name: str = "--date", help: str = "effective date (YYYY-MM-DD; default today)"
) -> Callable[[F], F]:
    return click.option(name, callback=parse_date, help=help)


def db_url(value: str | None) -> str:
    """The store URL (--db, else COOPLEDGER_DB, else the default), checked before anything opens it."""
    if value == "":
        raise BadInput("--db is empty: give a store URL or an SQLite path")
    if value is None and os.environ.get("COOPLEDGER_DB") == "":
        raise BadInput("COOPLEDGER_DB is empty: give a store URL or an SQLite path, or unset it")
    url = value or DEFAULT_URL
    with ledger_errors():
        parse_database(url)
    return url
