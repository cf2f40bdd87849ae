"""Journal files in and out: `init`, `import`, `export`."""

from __future__ import annotations

import sys
import time
from typing import IO

import click
import msgspec

from commands.context import App, InputFile, ledger_errors, parse_text, pass_app, written
from ledger import events as ev
from ledger.errors import JournalError, Source

PROGRESS_FROM = 5_000


def read_journal(stream: IO[bytes], name: str, show_progress: bool) -> list[tuple[ev.Entry, Source]]:
    """Decode every line of a JSON Lines journal; the first bad line stops everything.

    Each line is checked on input: every field within its bounds, no field given twice.
    """
    content = stream.read()
    plain = ev.is_plain(content) or None  # plain as a whole: no line needs looking at for it
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
                entries.append((ev.decode_input(line, plain=plain), Source(name, number)))
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
