"""What every writing command shares: one entry from options, recorded and reported.

`member`, `assembly`, `mandate`, `record` and `retract` all end here, so an
entry typed with a friendly command and the same entry given to `record` are
checked and recorded the same way.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from typing import Any, Literal, get_args, get_origin, get_type_hints

import click
import msgspec

from coopledger.commands.context import App, BadInput, date_option, ledger_errors, parse_text, today
from coopledger.commands.wording import amendment_problem, clerk_words, unknown_type, wherever
from coopledger.ledger import bounds
from coopledger.ledger import events as ev
from coopledger.ledger.errors import Source, describe
from coopledger.ledger.timeline import live_entries


def choices(entry_type: type[ev.Entry], field: str) -> tuple[str, ...]:
    """The values a `Literal` field of an entry type admits, for a `click.Choice`."""
    return get_args(get_type_hints(entry_type)[field])


def argument_fields() -> dict[str, str]:
    """The fields the current command takes as arguments, with their metavar (`member`: MEMBER)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return {}
    return {
        (p.name or "").removesuffix("_id"): p.human_readable_name
        for p in ctx.command.params
        if isinstance(p, click.Argument)
    }


_COMMA_AMOUNT = re.compile(r"-?[0-9]+,[0-9]{1,2}")


def build_entry(entry_type: str, fields: dict[str, Any]) -> ev.Entry:
    """Turn command-line strings into a typed entry; bad input exits 2 naming the option or argument."""
    cls = ev.EVENT_TYPES.get(entry_type)
    if cls is None:
        raise BadInput(unknown_type(entry_type))
    fields = {k: v for k, v in fields.items() if v is not None}
    fields.setdefault("date", today().isoformat())
    for name in cls.amounts:  # a Belgian writes 12,50: on the command line it means 12.50
        value = fields.get(name)
        if isinstance(value, str) and _COMMA_AMOUNT.fullmatch(value.strip()):
            fields[name] = value.strip().replace(",", ".")
    arguments = argument_fields()

    def where(field: str) -> str:
        return arguments.get(field) or "--" + field.replace("_", "-")

    if sys.stdin.isatty():  # a clerk at a terminal is asked for what is missing; a script never
        for info in msgspec.structs.fields(cls):
            if info.required and info.name not in fields:
                known = get_args(info.type) if get_origin(info.type) is Literal else ()
                kind = click.Choice(known) if known else click.STRING
                fields[info.name] = click.prompt(f"{where(info.name)} ({info.name})", type=kind)
    try:
        entry = bounds.check_input(msgspec.convert(fields, type=cls, strict=False))
    except msgspec.ValidationError as e:
        raise BadInput(f"{entry_type}: {clerk_words(str(e), cls, fields.get, where)}") from None
    problem = amendment_problem(entry)
    if problem is not None:
        raise BadInput(f"{entry_type}: {wherever(problem, where)}")
    return entry


def record_one(
    app: App, entry: ev.Entry, allow_future: bool = False, allow_early: bool = False, confirm: bool = False
) -> None:
    """Record one entry from the command line and say what was recorded (after asking, with
    --confirm, whether the entry shown is the one meant)."""
    plausible(app, [entry], allow_future, allow_early)
    if confirm:
        click.echo(ev.encode(entry).decode())
        if not click.confirm("record this entry?", default=False):
            raise BadInput("not recorded: the entry was not confirmed")
    with ledger_errors():
        result = app.ledger.record([(entry, Source("command line"))])
    for added in result.added:
        click.echo(f"recorded {describe(added)} id {added.id}")
    for present in result.present:
        click.echo(f"already recorded: {describe(present)} id {present.id}")


FUTURE = dt.timedelta(days=366)


def plausible(app: App, entries: list[ev.Entry], allow_future: bool, allow_early: bool = True) -> None:
    """Refuse (exit 2) a date more than a year after today, or (unless `allow_early`) before the
    ledger's first entry: most likely a typo (2031 for 2021, 1825 for 2025)."""
    if not allow_future:
        latest = today() + FUTURE
        for entry in entries:
            if entry.date > latest:
                raise BadInput(
                    f"{describe(entry, recorded=False)}: the date is more than a year after today "
                    f"({today()}); if it is right, give --allow-future"
                )
    if not allow_early and entries:
        with ledger_errors():
            first = app.store.entry(1)
        for entry in entries:
            if first is not None and entry.date < first.date:
                raise BadInput(
                    f"{describe(entry, recorded=False)}: the date is before the ledger's first entry "
                    f"({first.date}); if it is right, give --allow-early"
                )


ASSEMBLY_DATE_HELP = "effective date (YYYY-MM-DD; default: the day the assembly met)"


def assembly_entry_options(f: Any) -> Any:
    """`entry_options` for an entry an assembly decides: --date defaults to the assembly's date."""
    return entry_options(f, date_help=ASSEMBLY_DATE_HELP)


def entry_options(f: Any, date_help: str | None = None) -> Any:
    """--date, --id, --ref, --note, --by, --allow-future, --allow-early, --confirm: what every
    entry command takes."""
    f = click.option("--confirm", is_flag=True, help="show the entry and ask before recording it")(f)
    f = click.option("--allow-early", is_flag=True, help="accept a date before the ledger's first entry")(f)
    f = click.option("--allow-future", is_flag=True, help="accept a date more than a year after today")(f)
    f = click.option(
        "--by",
        callback=parse_text,
        help="who enters the entry (default: --by before the command, COOPLEDGER_BY, the OS user)",
    )(f)
    f = click.option("--note", help="free text")(f)
    f = click.option("--ref", help="supporting document, e.g. board decision CA-2025-03")(f)
    f = click.option("--id", "entry_id", help="entry id (default: generated)")(f)
    return (date_option(help=date_help) if date_help else date_option())(f)


def record_fields(
    app: App, entry_type: str, date: dt.date | None, entry_id: str | None, **fields: Any
) -> None:
    """Record one entry from a friendly command's options."""
    fields["date"] = date.isoformat() if date else None
    fields["id"] = entry_id
    allow_future, allow_early = fields.pop("allow_future", False), fields.pop("allow_early", False)
    confirm = fields.pop("confirm", False)
    record_one(app, build_entry(entry_type, fields), allow_future, allow_early, confirm)


def assembly_date(app: App, assembly_id: str) -> dt.date | None:
    """The day the assembly met, if convened: entries it decides default to that date."""
    with ledger_errors():
        timeline = app.store.timelines([ev.ASSEMBLY + assembly_id])
    return next((e.date for e in live_entries(timeline) if isinstance(e, ev.AssemblyConvened)), None)


def record_at(app: App, assembly_id: str, entry_type: str, date: dt.date | None, **fields: Any) -> None:
    """Record an entry an assembly decided, dated (unless told otherwise) on the day it met."""
    record_fields(app, entry_type, date or assembly_date(app, assembly_id), assembly=assembly_id, **fields)
