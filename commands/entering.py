"""What every writing command shares: one entry from options, recorded and reported.

`member`, `assembly`, `mandate`, `record` and `retract` all end here, so an
entry typed with a friendly command and the same entry given to `record` are
checked and recorded the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, get_args, get_type_hints

import click
import msgspec

from commands.context import App, BadInput, date_option, ledger_errors, today
from ledger import bounds
from ledger import events as ev
from ledger.errors import Source, describe
from ledger.timeline import live_entries


def choices(entry_type: type[ev.Entry], field: str) -> tuple[str, ...]:
    """The values a `Literal` field of an entry type admits, for a `click.Choice`."""
    return get_args(get_type_hints(entry_type)[field])


def build_entry(entry_type: str, fields: dict[str, Any]) -> ev.Entry:
    """Turn command-line strings into a typed entry; bad input exits 2 naming the option."""
    cls = ev.EVENT_TYPES.get(entry_type)
    if cls is None:
        raise BadInput(f"unknown entry type {entry_type!r}; known: {', '.join(sorted(ev.EVENT_TYPES))}")
    fields = {k: v for k, v in fields.items() if v is not None}
    fields.setdefault("date", today().isoformat())
    try:
        return bounds.check_input(msgspec.convert(fields, type=cls, strict=False))
    except msgspec.ValidationError as e:
        message = re.sub(r"at `\$\.(\w+)`", r"at --\1", str(e))
        raise BadInput(f"{entry_type}: {message}") from None


def record_one(app: App, entry: ev.Entry) -> None:
    """Record one entry from the command line and say what was recorded."""
    with ledger_errors():
        result = app.ledger.record([(entry, Source("command line"))])
    for added in result.added:
        click.echo(f"recorded {describe(added)} id {added.id}")
    for present in result.present:
        click.echo(f"already recorded: {describe(present)} id {present.id}")


def entry_options(f: Any) -> Any:
    """--date, --id, --ref, --note: the fields every entry has."""
    f = click.option("--note", help="free text")(f)
    f = click.option("--ref", help="supporting document, e.g. board decision CA-2025-03")(f)
    f = click.option("--id", "entry_id", help="entry id (default: generated)")(f)
    return date_option()(f)


def record_fields(
    app: App, entry_type: str, date: dt.date | None, entry_id: str | None, **fields: Any
) -> None:
    """Record one entry from a friendly command's options."""
    fields["date"] = date.isoformat() if date else None
    fields["id"] = entry_id
    record_one(app, build_entry(entry_type, fields))


def assembly_date(app: App, assembly_id: str) -> dt.date | None:
    """The day the assembly met, if convened: entries it decides default to that date."""
    with ledger_errors():
        timeline = app.store.timelines([ev.ASSEMBLY + assembly_id])
    return next((e.date for e in live_entries(timeline) if isinstance(e, ev.AssemblyConvened)), None)


def record_at(app: App, assembly_id: str, entry_type: str, date: dt.date | None, **fields: Any) -> None:
    """Record an entry an assembly decided, dated (unless told otherwise) on the day it met."""
    record_fields(app, entry_type, date or assembly_date(app, assembly_id), assembly=assembly_id, **fields)
