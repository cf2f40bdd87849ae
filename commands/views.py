"""Reading the ledger: `register`, `movements`, `history`, `log`."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import click
import msgspec

from commands.context import (
    App,
    OptionConflict,
    Year,
    as_of_options,
    known_at_option,
    ledger_errors,
    output_options,
    parse_date,
    parse_moment,
    parse_since,
    parse_text,
    parse_texts,
    pass_app,
    today,
)
from commands.render import emit, emit_values
from ledger import events as ev
from ledger.application import format_recorded
from projections.queries import movements_between, register_columns
from projections.register import live_entries

REGISTER = ["member", "name", "category", "shares", "paid_up", "admitted", "founder"]
FORMER = ["status", "exit_date", "exit_kind", "exit_reason"]
COMMON = {"date", "id", "ref", "note", "by", "seq", "recorded", "hash", "type"}
ENTRY_COLUMNS = ["seq", "date", "type", "details", "id", "recorded", "by", "ref", "note", "retracted"]


def period(year: int | None, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """The period of a view: a calendar year, or --from/--to (default: this year)."""
    if year is not None and (start or end):
        raise OptionConflict("give either --year or --from/--to, not both")
    if year is None and start is None and end is None:
        year = today().year
    if year is not None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if start is None or end is None:
        raise OptionConflict("--from and --to go together")
    if start > end:
        raise OptionConflict(f"--from {start} is after --to {end}")
    return start, end


def period_options(f: Any) -> Any:
    f = click.option("--to", "end", callback=parse_date, help="last day of the period")(f)
    f = click.option("--from", "start", callback=parse_date, help="first day of the period")(f)
    return click.option("--year", type=Year(), help="a calendar year, e.g. 2025")(f)


@click.command()
@as_of_options
@click.option("--all", "include_former", is_flag=True, help="also former members, with exit date and reason")
@output_options("table", "csv", "json")
@pass_app
def register(
    app: App, as_of: dt.date | None, known_at: dt.datetime | None, include_former: bool, fmt: str
) -> None:
    """The register of members on a date, ordered by member id.

    \b
    Examples:
      coopledger register --as-of 2025-12-31
      coopledger register --as-of 2025-12-31 --known-at 2026-03-01 --format csv
      coopledger register --as-of 2025-12-31 --all --format json
    """
    day = as_of or today()
    with ledger_errors():
        engine = app.read_models()
        columns = REGISTER + FORMER if include_former else REGISTER
        rows = register_columns(engine, columns, day, app.known_seq(known_at), include_former)
    members = sum(1 for row in rows if row[-4] == "member") if include_former else len(rows)
    known = f", as known at {format_recorded(known_at)}" if known_at else ""
    emit_values(rows, columns, fmt, f"Register as of {day}{known}: {members} members")


@click.command()
@period_options
@known_at_option
@click.option(
    "--kind", multiple=True, callback=parse_texts, help="only these kinds, e.g. admitted, resigned, left"
)
@output_options("table", "csv", "json")
@pass_app
def movements(
    app: App,
    year: int | None,
    start: dt.date | None,
    end: dt.date | None,
    known_at: dt.datetime | None,
    kind: tuple[str, ...],
    fmt: str,
) -> None:
    """Member movements in a period: admissions, exits, share movements, with totals.

    \b
    Examples:
      coopledger movements --year 2025
      coopledger movements --from 2025-01-01 --to 2025-06-30 --kind resigned --format csv
    """
    first, last = period(year, start, end)
    with ledger_errors():
        engine = app.read_models()
        rows = movements_between(engine, first, last, app.known_seq(known_at))
    rows = [r for r in rows if not kind or r.kind in kind]
    columns = ["date", "member", "kind", "category", "count", "amount", "reason", "seq"]
    emit([r._asdict() for r in rows], columns, fmt, f"Movements from {first} to {last}")
    if fmt == "table":
        totals = Counter(r.kind for r in rows)
        click.echo("\nTotals: " + (", ".join(f"{k} {n}" for k, n in sorted(totals.items())) or "none"))


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


def retractions(entries: list[ev.Entry]) -> dict[str, ev.Entry]:
    return {str(e.entry): e for e in entries if isinstance(e, ev.EntryRetracted)}


@click.command()
@click.argument("member_id", metavar="MEMBER", callback=parse_text)
@known_at_option
@output_options("table", "csv", "json")
@pass_app
def history(app: App, member_id: str, known_at: dt.datetime | None, fmt: str) -> None:
    """Every entry about one member, in effective-date order (retracted ones marked).

    \b
    Example:
      coopledger history S1
    """
    with ledger_errors():
        timeline = app.store.timelines([ev.MEMBER + member_id], app.known_seq(known_at))
    if not timeline:
        click.echo(f"coopledger: no entry about member {member_id!r}", err=True)
    withdrawn = retractions(timeline)
    ordered = sorted(timeline, key=ev.effective_order)
    emit([entry_row(e, withdrawn) for e in ordered], ENTRY_COLUMNS, fmt, f"History of {member_id}")
    if fmt == "table":
        live = {e.seq for e in live_entries(timeline)}
        click.echo(f"\n{len(live)} live entries, {len(withdrawn)} retracted")


@click.command()
@click.option(
    "--type", "types", multiple=True, callback=parse_texts, help="only this type, or a prefix such as member."
)
@click.option("--since", callback=parse_since, help="recorded at or after (ISO date or date-time, UTC)")
@click.option("--until", callback=parse_moment, help="recorded at or before (ISO date: end of that day)")
@output_options("table", "csv", "json")
@pass_app
def log(
    app: App, types: tuple[str, ...], since: dt.datetime | None, until: dt.datetime | None, fmt: str
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
    emit([entry_row(e, withdrawn) for e in chosen], ENTRY_COLUMNS, fmt, f"Log: {len(chosen)} entries")
