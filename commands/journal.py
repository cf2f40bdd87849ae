"""The journal itself: `init`, `import`, `export` files of entries, `record` and `retract` one, `log`."""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Sequence
from typing import IO, Any

import click
import msgspec

from commands.context import (
    App,
    BadInput,
    InputFile,
    ledger_errors,
    parse_moment,
    parse_since,
    parse_text,
    parse_texts,
    pass_app,
    written,
)
from commands.entering import build_entry, entry_options, record_fields, record_one
from commands.render import ENTRY_COLUMNS, emit, entry_row
from commands.view import View, view_options
from ledger import bounds
from ledger import events as ev
from ledger.errors import JournalError, Source
from ledger.provenance import format_recorded
from ledger.timeline import retractions

PROGRESS_FROM = 5_000


def read_journal(stream: IO[bytes], name: str, show_progress: bool) -> list[tuple[ev.Entry, Source]]:
    """Decode every line of a JSON Lines journal; the first bad line stops everything.

    Each line is checked on input: every field within its bounds, no field given twice.
    """
    content = stream.read()
    plain = bounds.is_plain(content) or None  # plain as a whole: no line needs looking at for it
    lines = content.splitlines()
    entries: list[tuple[ev.Entry, Source]] = []
    with click.progressbar(
        length=len(lines), label="reading", file=sys.stderr, hidden=not show_progress
    ) as bar:
        for number, line in enumerate(lines, start=1):
            if number % 1000 == 0:
                bar.update(1000)
            if not line.strip() or line.lstrip().startswith(b"#"):
                continue
            try:
                entries.append((bounds.decode_input(line, plain=plain), Source(name, number)))
            except (msgspec.ValidationError, msgspec.DecodeError) as e:
                raise JournalError(str(e).replace("at `$.", "field `"), Source(name, number)) from None
    return entries


@click.command()
@pass_app
def init(app: App) -> None:
    """Create the store and the read models (idempotent).

    \b
    Example:
      coopledger --db sqlite:///coop.db init
    """
    app.read_models()
    click.echo(f"ledger ready at {app.url}")


@click.command(name="import")
@click.argument("journal", type=InputFile())
@pass_app
def import_(app: App, journal: IO[bytes]) -> None:
    """Load a journal file (JSON Lines; - for stdin), all or nothing.

    Entries whose id is already recorded with the same content are skipped,
    so importing a file twice adds nothing. A refused entry refuses the whole
    file and names its line.

    \b
    Example:
      coopledger import examples/demo.jsonl
    """
    started = time.perf_counter()
    name = getattr(journal, "name", "-")
    show = sys.stderr.isatty()
    with ledger_errors():
        batch = read_journal(journal, name, show)
        if show and len(batch) >= PROGRESS_FROM:
            click.echo(f"checking and recording {len(batch)} entries...", err=True)
        result = app.ledger.record(batch)
    elapsed = time.perf_counter() - started
    click.echo(
        f"{name}: {len(result.added)} entries added, {len(result.present)} already present ({elapsed:.2f} s)"
    )


@click.command()
@click.argument("output", default="-", callback=parse_text)
@pass_app
def export(app: App, output: str) -> None:
    """Write the whole journal as JSON Lines, with sequence, recorded time, id and hash.

    The output imports into an empty ledger and reproduces the same register. A
    file is written whole or not at all (it replaces FILE only once complete).

    \b
    Example:
      coopledger export backup.jsonl
    """
    with ledger_errors(), written(output) as stream:
        for entry in app.store.entries():
            stream.write(ev.encode(entry) + b"\n")


def parse_fields(args: Sequence[str]) -> dict[str, Any]:
    """`--key value` pairs (a key alone is `true`), dashes in keys read as underscores."""
    fields: dict[str, Any] = {}
    index = 0
    while index < len(args):
        key = args[index]
        if not key.startswith("--") or len(key) < 3:
            raise BadInput(f"expected --field value, got {key!r}")
        name = key[2:].replace("-", "_")
        if index + 1 < len(args) and not args[index + 1].startswith("--"):
            fields[name] = args[index + 1]
            index += 2
        else:
            fields[name] = True
            index += 1
    return fields


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("entry_type", metavar="TYPE")
@click.pass_context
def record(ctx: click.Context, entry_type: str) -> None:
    """Record one entry of the journal vocabulary, given as --field value pairs.

    The fields are those of the journal format (docs/user-guide.md); `--date`
    defaults to today.

    \b
    Example:
      coopledger record member.admitted --member S1 --name "Ada" \\
          --category A --shares 1 --date 2025-03-02
    """
    record_one(ctx.find_object(App), build_entry(entry_type, parse_fields(ctx.args)))  # type: ignore[arg-type]


@click.command()
@click.argument("entry", metavar="ENTRY")
@click.option("--reason", required=True, help="why the entry is withdrawn")
@entry_options
@pass_app
def retract(app: App, entry: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Withdraw an earlier entry (by id or sequence number); nothing is deleted.

    Projections ignore the entry from now on; `--known-at` before now still
    shows it. Refused if later entries depend on it.

    \b
    Example:
      coopledger retract @42 --reason "typed the wrong member"
    """
    record_fields(app, "entry.retracted", date, entry_id, entry=entry, **fields)


@click.command()
@click.option(
    "--type", "types", multiple=True, callback=parse_texts, help="only this type, or a prefix such as member."
)
@click.option("--since", callback=parse_since, help="recorded at or after (ISO date or date-time, UTC)")
@click.option("--until", callback=parse_moment, help="recorded at or before (ISO date: end of that day)")
@view_options("table", "csv", "json", known_at=False)
@pass_app
def log(
    app: App, view: View, types: tuple[str, ...], since: dt.datetime | None, until: dt.datetime | None
) -> None:
    """Every entry in recording order, with who entered it and when.

    \b
    Examples:
      coopledger log --type member.admitted
      coopledger log --since 2026-01-01 --format json
    """
    low = format_recorded(since) if since else ""
    high = format_recorded(until) if until else "~"
    with ledger_errors():
        entries = list(app.store.entries())
    withdrawn = retractions(entries)
    chosen = [
        e
        for e in entries
        if low <= (e.recorded or "") <= high
        and (not types or any(e.type == t or (t.endswith(".") and e.type.startswith(t)) for t in types))
    ]
    emit([entry_row(e, withdrawn) for e in chosen], ENTRY_COLUMNS, view.fmt, f"Log: {len(chosen)} entries")
