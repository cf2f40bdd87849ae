"""The journal itself: `init`, `import`, `export` files of entries, `record` and `retract` one, `log`."""

from __future__ import annotations

import datetime as dt
import gc
import io
import os
import re
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import IO, TYPE_CHECKING, Any

import click
import msgspec

from coopledger.commands import sheets
from coopledger.commands.completion import complete_types
from coopledger.commands.context import (
    App,
    Asked,
    BadInput,
    Choice,
    Count,
    DryRun,
    InputFile,
    NotFound,
    ledger_errors,
    parse_moment,
    parse_since,
    parse_text,
    parse_texts,
    pass_app,
    written,
)
from coopledger.commands.entering import build_entry, entry_options, plausible, record_fields, record_one
from coopledger.commands.personal import reveal
from coopledger.commands.progress import progress
from coopledger.commands.render import ENTRY_COLUMNS, emit, emit_chunks, entry_row
from coopledger.commands.view import View, view_options
from coopledger.commands.wording import amendment_problem, clerk_words, type_help, unknown_type, wherever
from coopledger.ledger import bounds
from coopledger.ledger import events as ev
from coopledger.ledger.errors import JournalError, Source
from coopledger.ledger.identity import personal_of
from coopledger.ledger.provenance import format_recorded
from coopledger.ledger.recorders import stored_bytes
from coopledger.ledger.timeline import retractions
from coopledger.ledger.words import counted

if TYPE_CHECKING:
    from coopledger.ledger.application import Parts

PROGRESS_FROM = 5_000  # lines from which reading a journal shows its bar (on a terminal)
# Lines of a journal file checked and recorded at a time, all in one transaction: memory holds
# one part (COOPLEDGER_IMPORT_PART sets another size: smaller for tests, larger to trade memory
# for fewer reads of the subject index).
PART_LINES = 100_000
_json = msgspec.json.Encoder(decimal_format="string")
BOM = b"\xef\xbb\xbf"


def line_words(line: bytes, message: str) -> str:
    """The decoder's message about one journal line, in the clerk's words."""
    try:
        data = msgspec.json.decode(line)
    except msgspec.DecodeError:
        data = None
    if not isinstance(data, dict):
        return clerk_words(message, None)
    cls = ev.EVENT_TYPES.get(str(data.get("type")))
    return clerk_words(message, cls, data.get)


def read_journal(stream: IO[bytes], name: str, show_progress: bool) -> list[tuple[ev.Entry, Source]]:
    """Decode every line of a JSON Lines journal; the first bad line stops everything.

    Each line is checked on input: every field within its bounds, no field given twice.
    """
    content = stream.read()
    if content.startswith(BOM):  # files saved by Notepad or Excel start with one
        content = content[len(BOM) :]
    lines = content.splitlines()
    with click.progressbar(
        length=len(lines),
        label="reading",
        file=sys.stderr,
        hidden=not show_progress or len(lines) < PROGRESS_FROM,
    ) as bar:
        return decoded(lines, bounds.is_plain(content), name, 0, bar.update)


# A file's parts, decoded, read from its start each time it is called.
FileParts = Callable[[], Iterator[list[tuple[ev.Entry, Source]]]]


def journal_parts(stream: IO[bytes], name: str, size: int, show_progress: bool = False) -> FileParts:
    """A seekable journal's parts of `size` lines, decoded as `read_journal` decodes them, read
    from the start each time the result is called: a long file is never in memory whole. On
    a terminal, a file of `PROGRESS_FROM` lines or more shows a bar of the bytes read."""

    def parts() -> Iterator[list[tuple[ev.Entry, Source]]]:
        stream.seek(0)
        total = os.fstat(stream.fileno()).st_size
        with click.progressbar(length=total, label="reading", file=sys.stderr, hidden=True) as bar:
            done = 0
            while data := b"".join(islice(stream, size)):
                if done == 0:
                    data = data.removeprefix(BOM)
                    bar.hidden = not show_progress or data.count(b"\n") < PROGRESS_FROM
                lines = data.splitlines()
                entries = decoded(lines, bounds.is_plain(data), name, done)
                bar.update(stream.tell() - bar.pos)
                yield entries
                done += len(lines)

    return parts


def passed_over(line: bytes) -> bool:
    """A line of no entry: blank, or a comment. (A line of the journal starts with its object,
    so only a line that does not is looked at.)"""
    return not line.strip() or line.lstrip().startswith(b"#")


def decoded(
    lines: list[bytes],
    plain: bool,
    name: str,
    before: int,
    advance: Callable[[int], None] | None = None,
    numbers: list[int] | None = None,
) -> list[tuple[ev.Entry, Source]]:
    """The entries of a journal's lines (`before` lines precede them in the file, or `numbers`
    gives each line's), each with its line; `plain`: the lines as a whole are plain
    (`bounds.is_plain`), so no line needs looking at for it. `advance` moves a progress bar on
    by lines read."""
    entries: list[tuple[ev.Entry, Source]] = []
    last, decode, keep, plainly = len(lines), bounds.decode_input, entries.append, plain or None
    for number, line in enumerate(lines, start=1):
        if advance is not None and (number % 1000 == 0 or number == last):  # the bar ends full
            advance(1000 if number % 1000 == 0 else number % 1000)
        if line[:1] != b"{" and passed_over(line):
            continue
        where = Source(name, before + number if numbers is None else numbers[number - 1])
        try:
            entry = decode(line, plain=plainly)
        except (msgspec.ValidationError, msgspec.DecodeError) as e:
            raise JournalError(line_words(line, str(e)), where) from None
        if type(entry) is ev.StatutesAmended and (problem := amendment_problem(entry)) is not None:
            raise JournalError(wherever(problem, lambda f: f"field `{f}`"), where)
        keep((entry, where))
    return entries


@click.command()
@pass_app
def init(app: App) -> None:
    """Create the store and the read models (idempotent).

    \b
    Example:
      coopledger --db sqlite:///coop.db init
    """
    app.may_create()
    app.read_models()
    click.echo(f"ledger ready at {app.url}")


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused: an import allocates an object or more per line and keeps
    most of them to the end, which the collector would scan again and again (a tenth of the
    import's time on the 45k bench journal) for cycles it makes none of. Reference counting
    frees everything as before, so memory stays the same (docs/architecture.md, "Performance")."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@click.command(name="import")
@click.argument("journal", type=InputFile())
@click.option(
    "--by",
    callback=parse_text,
    help="who enters the entries that name nobody (default: --by before the command)",
)
@click.option("--allow-future", is_flag=True, help="accept dates more than a year after today")
@click.option(
    "--type",
    "entry_type",
    type=Choice(sorted(ev.EVENT_TYPES)),
    help="a spreadsheet of one entry type: the type of every row",
)
@click.option("--map", "sheet_map", type=InputFile(), help="a spreadsheet's columns and date format (TOML)")
@click.option("--dry-run", is_flag=True, help="check everything and say what would be added; write nothing")
@click.option(
    "--in-date-order",
    is_flag=True,
    help="record a JSON Lines file's lines by effective date, not in the file's order: a history "
    "sorted by member or newest first then imports a part at a time",
)
@pass_app
@no_cycle_collection()
def import_(
    app: App,
    journal: IO[bytes],
    by: str | None,
    allow_future: bool,
    entry_type: str | None,
    sheet_map: IO[bytes] | None,
    dry_run: bool,
    in_date_order: bool,
) -> None:
    """Load a journal file (JSON Lines; - for stdin) or a spreadsheet (.csv, .xlsx, .ods),
    all or nothing.

    Entries whose id is already recorded with the same content are skipped,
    so importing a file twice adds nothing. A refused entry refuses the whole
    file and names its line (a spreadsheet's row and column).

    \b
    A spreadsheet's first row names journal fields (type, date, member, name,
    ...); --type gives the type of a file of one type; --map FILE.toml renames
    columns and gives the date format (docs/migration.md). A sheet with the
    columns of `coopledger register` (member, admitted, ...) is read as a
    register: each row admits its member and pays its paid-up capital.

    \b
    Examples:
      coopledger import examples/demo.jsonl
      coopledger import --dry-run members.xlsx
      coopledger import --map examples/register-map.toml examples/register-export.csv
    """
    started = time.perf_counter()
    app.may_create()
    name = getattr(journal, "name", "-")
    show = sys.stderr.isatty()
    if by:
        app.user = by
    from coopledger.ledger.application import Imported, Pass  # the rules: only commands that write

    batch: list[tuple[ev.Entry, Source]] = []
    parts: FileParts | None = None
    by_date: FileParts | None = None
    if in_date_order and sheets.is_sheet(name):
        raise click.UsageError("--in-date-order orders a JSON Lines journal; a spreadsheet is read whole")
    with ledger_errors():
        if sheets.is_sheet(name):
            mapping = sheets.SheetMap.load(sheet_map.name) if sheet_map else sheets.SheetMap()
            read = sheets.read_sheet(name, entry_type, mapping)
            batch, former = read.entries, read.former
        elif entry_type or sheet_map:
            raise BadInput("--type and --map read a spreadsheet (.csv, .xlsx, .ods), not JSON Lines")
        elif in_date_order:
            if name == "-" or not journal.seekable():
                raise BadInput("--in-date-order reads a journal file twice: give a file, not standard input")
            from coopledger.commands.date_order import DateOrdered

            parts, former = DateOrdered(journal, name, _part_lines()).parts, []
            if dry_run:  # one batch, as any dry run
                batch, parts = [line for part in parts() for line in part], None
        elif journal.seekable() and not dry_run:  # a file on disk: part by part (stdin: whole)
            parts, former = journal_parts(journal, name, _part_lines(), show), []
            if name != "-":  # out of date order, checked by date (`Ledger.record_parts`)
                from coopledger.commands.date_order import DateOrdered

                by_date = DateOrdered(journal, name, _part_lines()).parts
        else:
            batch, former = read_journal(journal, name, show), []
    if former:
        _say_former(name, former)
    if dry_run:
        app.rehearse()
    result = Imported()
    try:
        with ledger_errors(), progress() as step:
            if parts is not None:
                checked = None if by_date is None else _dated(by_date, app, allow_future, step)
                result = app.ledger.record_parts(
                    _dated(parts, app, allow_future, step), True, checked, in_date_order
                )
            else:
                for whole in _dated(lambda: iter([batch]), app, allow_future, step)(Pass.RECORD):
                    result.take(app.ledger.record(whole, by_content=True))
    except DryRun as run:
        _say_dry_run(name, run.added, len(batch) - len(run.added), run.day, run.members)
        return
    if dry_run:  # nothing new: no transaction was opened
        _say_dry_run(name, [], result.present, None, None)
        return
    elapsed = time.perf_counter() - started
    click.echo(
        f"{name}: {counted(result.added, 'entry', 'entries')} added, "
        f"{result.present} already present{_matched(result.matched)} ({elapsed:.2f} s)"
    )
    if result.whole and not in_date_order:
        click.echo(
            f"coopledger: note: {name} is out of date order: it was checked and recorded in one batch, "
            "holding the whole file in memory; --in-date-order records such a file a part at a time"
        )
    elif result.settled and not in_date_order:
        click.echo(
            f"coopledger: note: {name} is out of date order: it was checked in effective-date order, then "
            "recorded in its own order, a part at a time; --in-date-order records it by date, at once"
        )
    if result.withheld:
        whose = (getattr(e, "member", None) or getattr(e, "person", "") for e in result.withheld)
        members = sorted({str(subject) for subject in whose})
        shown = ", ".join(members[:5]) + (f" and {len(members) - 5} more" if len(members) > 5 else "")
        click.echo(
            f"{name}: personal data of {counted(len(result.withheld), 'entry', 'entries')} not restored: "
            "the ledger no longer "
            f"holds those identities (erased, or recorded without personal data): {shown}"
        )


def _part_lines() -> int:
    try:
        return max(1, int(os.environ.get("COOPLEDGER_IMPORT_PART", PART_LINES)))
    except ValueError:
        return PART_LINES


def _dated(lines: FileParts, app: App, allow_future: bool, step: Callable[[str], None]) -> Parts:
    """The parts, each refused (exit 2) if a date is implausible (`plausible`) before it is
    checked and recorded; an export's lines (with their recorded time) were accepted once
    already: a restore. Each part's progress line says which pass of the ledger it serves."""
    from coopledger.ledger.application import Pass

    doing = {
        Pass.RECORD: "checking and recording {}",
        Pass.SCREEN: "screening {} for ids used twice, retraction targets and erasure dates",
        Pass.BY_DATE: "checking {} by date",
        Pass.SETTLED: "recording {} in the file's order, as checked by date",
        Pass.WHOLE: "reading {} to check the file in one batch",
    }

    def checked(serving: Pass) -> Iterator[list[tuple[ev.Entry, Source]]]:
        for part in lines():
            step("checking the dates")
            plausible(app, [entry for entry, _ in part if entry.recorded is None], allow_future)
            step(doing[serving].format(counted(len(part), "entry", "entries")))
            yield part

    return checked


def _say_former(name: str, rows: list[int]) -> None:
    """A register sheet's former members are not imported: it no longer shows what they held."""
    click.echo(
        f"coopledger: note: {name}: {counted(len(rows), 'former member', 'former members')} left out "
        f"(row{'s' if len(rows) > 1 else ''} {_first_five(map(str, rows))}): a register shows no "
        "holding after an exit; "
        "their history comes in with the ledger's journal (`coopledger export`)",
        err=True,
    )


def _matched(sources: list[Source]) -> str:
    """` (K without id, matched by content: lines a, b, …)`: which lines without id were found."""
    if not sources:
        return ""
    unit = sources[0].unit
    lines = list(dict.fromkeys(str(s.line) for s in sources if s.line is not None))  # a row can give two
    where = f": {unit}{'s' if len(lines) > 1 else ''} {_first_five(lines)}" if lines else ""
    return f" ({len(sources)} without id, matched by content{where})"


def _first_five(items: Iterable[str]) -> str:
    """`a, b, c, d, e, …`: the first five line or row numbers, and an ellipsis if there are more."""
    shown = list(items)
    return ", ".join(shown[:5]) + (", …" if len(shown) > 5 else "")


def _say_dry_run(
    name: str, added: list[ev.Entry], present: int, day: dt.date | None, members: int | None
) -> None:
    """What an import would do: entries by type, the register's size after; nothing was written."""
    click.echo(
        f"{name}: dry run, nothing written: {counted(len(added), 'entry', 'entries')} would be added, "
        f"{present} already present"
    )
    for kind, count in sorted(Counter(entry.type for entry in added).items()):
        click.echo(f"  {kind:<28} {count:>9}")
    if day is not None and members is not None:
        click.echo(f"the register would hold {counted(members, 'member')} on {day}")


@click.command()
@click.argument("output", default="-", callback=parse_text)
@click.option(
    "--without-personal-data",
    "pseudonymous",
    is_flag=True,
    help="identities as their commitments only: each line is the entry exactly as chained",
)
@click.option("--bundle", help="write the auditor's bundle in this folder (journal, checkpoints, keys)")
@pass_app
def export(app: App, output: str, pseudonymous: bool, bundle: str | None) -> None:
    """Write the whole journal as JSON Lines, with sequence, recorded time, id and hash.

    The output imports into an empty ledger and reproduces the same register. A
    file is written whole or not at all (it replaces FILE only once complete).
    An entry with personal data ends with a "personal" member (the values and
    the salt of its commitment); without it, the line is the entry as chained.
    --without-personal-data leaves it out everywhere: such a file holds no name,
    imports, verifies and gives the same figures.

    \b
    --bundle DIR writes the auditor's bundle instead: DIR/journal.jsonl, the
    signed checkpoints, the public keys and verify_bundle.py, which checks it
    all with the Python standard library (docs/auditor-guide.md).

    \b
    Examples:
      coopledger export backup.jsonl
      coopledger export --without-personal-data for-the-auditor.jsonl
      coopledger export --bundle audit-2025 --without-personal-data
    """
    if bundle is not None:
        buffer = io.BytesIO()
        with ledger_errors():
            _write_journal(app, buffer, pseudonymous)
            from coopledger.commands import transparency  # signatures: only for a bundle

            transparency.write_bundle(app, bundle, buffer.getvalue())
        return
    with ledger_errors(), written(output) as stream:
        _write_journal(app, stream, pseudonymous)


CHUNK = 2_000  # entries whose identities are read at once: memory bounded by the chunk


def _write_journal(app: App, stream: IO[bytes], pseudonymous: bool) -> None:
    entries = app.store.entries()
    while chunk := list(islice(entries, CHUNK)):
        wanted = [] if pseudonymous else [e.seq for e in chunk if e.seq and getattr(e, "identity", None)]
        records = app.store.identities(wanted)
        lines = []
        for entry in chunk:
            record = records.get(entry.seq or 0) if records else None
            if record is not None and record.commitment == getattr(entry, "identity", None):
                entry = msgspec.structs.replace(entry, personal=personal_of(record))
            lines.append(ev.encode(entry))
        stream.write(b"\n".join(lines) + b"\n")


def parse_fields(args: Sequence[str]) -> dict[str, Any]:
    """`--key value` pairs (a key alone is `true`), dashes in keys read as underscores."""
    fields: dict[str, Any] = {}
    index = 0
    while index < len(args):
        key = args[index]
        if not key.startswith("--") or len(key) < 3:
            raise BadInput(f"expected --field value, got {key!r}")
        name, equals, value = key[2:].partition("=")
        name = name.replace("-", "_")
        if equals:
            fields[name] = value
            index += 1
        elif index + 1 < len(args) and not args[index + 1].startswith("--"):
            fields[name] = args[index + 1]
            index += 2
        else:
            fields[name] = True
            index += 1
    return fields


class RecordCommand(click.Command):
    """`record TYPE --help` shows the fields of TYPE, from the entry's struct."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and not args[0].startswith("-") and any(a in ("-h", "--help") for a in args[1:]):
            if args[0] not in ev.EVENT_TYPES:
                raise BadInput(unknown_type(args[0]))
            click.echo(type_help(args[0]))
            ctx.exit(0)
        return super().parse_args(ctx, args)


@click.command(
    cls=RecordCommand,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    epilog="Types (`coopledger record TYPE --help` lists the fields of one): "
    + ", ".join(sorted(ev.EVENT_TYPES)),
)
@click.argument("entry_type", metavar="TYPE", shell_complete=complete_types)
@click.pass_context
def record(ctx: click.Context, entry_type: str) -> None:
    """Record one entry of the journal vocabulary, given as --field value pairs.

    The fields are those of the journal format (docs/user-guide.md); `--date`
    defaults to today; `record TYPE --help` lists the fields of TYPE, and
    `--field=value` works too. A date more than a year after today, or before
    the ledger's first entry, is taken for a typo unless `--allow-future` or
    `--allow-early` is given. Names, addresses and e-mails (--name, --address,
    --email) are kept apart and can be erased; free text (--note, --reason,
    --ref) stays in the history for good: never put personal data there.

    \b
    Example:
      coopledger record member.admitted --member S1 --name "Ada" \\
          --category A --shares 1 --date 2025-03-02
    """
    fields = parse_fields(ctx.args)
    allow_future, allow_early = (
        bool(fields.pop("allow_future", False)),
        bool(fields.pop("allow_early", False)),
    )
    entry = build_entry(entry_type, fields)
    record_one(ctx.find_object(App), entry, allow_future, allow_early)  # type: ignore[arg-type]


@click.command()
@click.argument("entry", metavar="ENTRY")
@click.option("--reason", cls=Asked, required=True, help="why the entry is withdrawn")
@entry_options
@pass_app
def retract(app: App, /, entry: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Withdraw an earlier entry (by id or sequence number); nothing is deleted.

    Projections ignore the entry from now on; `--known-at` before now still
    shows it. Refused if later entries depend on it.

    \b
    Example:
      coopledger retract @42 --reason "typed the wrong member"
    """
    # ENTRY names what `show ENTRY` shows: an id, else `#N`, `@N` or `N`; the retraction names
    # the entry by its id (what is not found goes as given, for the ledger to refuse in its words).
    target = find_entry(app, entry)
    named = target.id if target is not None and target.id else entry
    record_fields(app, "entry.retracted", date, entry_id, entry=named, **fields)


@click.command()
@click.option(
    "--type",
    "types",
    multiple=True,
    callback=parse_texts,
    shell_complete=complete_types,
    help="only this type, or a prefix such as member.",
)
@click.option("--since", callback=parse_since, help="recorded at or after (ISO date or date-time, UTC)")
@click.option("--until", callback=parse_moment, help="recorded at or before (ISO date: end of that day)")
@click.option("-n", "--last", type=Count(), help="only the last N entries (of those chosen)")
@click.option("--since-checkpoint", help="only the entries recorded after this checkpoint (a file)")
@view_options("table", "csv", "json", known_at=False)
@pass_app
def log(
    app: App,
    view: View,
    types: tuple[str, ...],
    since: dt.datetime | None,
    until: dt.datetime | None,
    last: int | None,
    since_checkpoint: str | None,
) -> None:
    """Every entry in recording order, with who entered it and when.

    \b
    Examples:
      coopledger log --type member.admitted
      coopledger log -n 10
      coopledger log --since 2026-01-01 --format json
      coopledger log --since-checkpoint ag-2025.txt
    """
    after = 0
    if since_checkpoint:
        from coopledger.commands import transparency  # signatures: only for a checkpoint

        after = transparency.extended_size(app, since_checkpoint)
    low = format_recorded(since) if since else ""
    high = format_recorded(until) if until else "~"

    def wanted(entry: ev.Entry) -> bool:
        return low <= (entry.recorded or "") <= high and (
            not types or any(entry.type == t or (t.endswith(".") and entry.type.startswith(t)) for t in types)
        )

    with ledger_errors():
        # A retraction follows what it withdraws: a first pass finds them (few), decoding only
        # the entries whose bytes name the type; then the entries stream, a chunk at a time.
        # Both passes end at the head read now, so an entry recorded meanwhile is in neither.
        head = app.store.head()
        upto = head.seq if head is not None else 0
        withdrawn = retractions(
            ev.decode(state) for state in app.store.states(after, upto) if _RETRACTION in stored_bytes(state)
        )
    chosen: Iterator[ev.Entry] = filter(wanted, app.store.entries(after, upto))
    if last is not None:  # the last N: held N at most
        chosen = iter(deque(chosen, maxlen=last) if last else ())
    shown = 0

    def chunks() -> Iterator[list[tuple[Any, ...]]]:
        nonlocal shown
        with ledger_errors():
            while chunk := list(islice(chosen, CHUNK)):
                shown += len(chunk)
                rows = [entry_row(entry, withdrawn) for entry in reveal(app.store, chunk)]
                yield [tuple(row.get(column) for column in ENTRY_COLUMNS) for row in rows]

    emit_chunks(chunks(), ENTRY_COLUMNS, view.fmt, lambda: f"Log: {counted(shown, 'entry', 'entries')}")


_RETRACTION = b'"entry.retracted"'  # in the bytes of every retraction (its type)
_SEQ = re.compile(r"[@#]?([0-9]{1,18})")


def find_entry(app: App, name: str) -> ev.Entry | None:
    """The entry named by its id, else by `#N`, `@N` or `N`: the entry with sequence number N."""
    with ledger_errors():
        seq = app.store.seq_of(name)
        number = _SEQ.fullmatch(name)
        if seq is None and number is not None:
            seq = int(number.group(1))
        return app.store.entry(seq) if seq else None


def entry_fields(entry: ev.Entry) -> dict[str, Any]:
    """Every field of an entry, the common ones first, as `export` writes them."""
    data: dict[str, Any] = msgspec.to_builtins(entry)
    first = ("seq", "type", "date", "id", "recorded", "by", "ref", "note")
    return {**{k: data[k] for k in first if k in data}, **{k: v for k, v in data.items() if k not in first}}


@click.command()
@click.argument("name", metavar="ENTRY", callback=parse_text)
@view_options("table", "json")
@pass_app
def show(app: App, view: View, name: str) -> None:
    """One entry, whole: every field, who recorded it and when, its hash, and its retraction if any.

    ENTRY is an entry's id (generated ids are @N), or #N for the entry with
    sequence number N. With --known-at, as the ledger knew it then.

    \b
    Examples:
      coopledger show @14
      coopledger show BANK-2025-031 --format json
    """
    found = find_entry(app, name)
    if found is None or (view.known_seq is not None and (found.seq or 0) > view.known_seq):
        raise NotFound(f"no entry {name!r} (give an id, or #N for the entry with sequence number N)")
    with ledger_errors():
        timeline = app.store.timelines(found.subjects() or ("",), view.known_seq)
        retraction = retractions(timeline).get(found.id or "")
        entries = reveal(app.store, [found, *([retraction] if retraction else [])])
    shown = [entry_fields(e) for e in entries]
    if view.fmt == "json":
        data = {"entry": shown[0], "retraction": shown[1] if retraction else None}
        sys.stdout.write(msgspec.json.format(_json.encode(data), indent=2).decode() + "\n")
        return
    title = f"Entry #{found.seq}" + (f", retracted by #{retraction.seq}" if retraction else "")
    emit([{"field": k, "value": v} for k, v in shown[0].items()], ["field", "value"], "table", title)
    if retraction:
        click.echo()
        rows = [{"field": k, "value": v} for k, v in shown[1].items()]
        emit(rows, ["field", "value"], "table", f"Retracted by #{retraction.seq}")
