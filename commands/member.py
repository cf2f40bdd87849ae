"""Members: `member admit/resign/leave/exclude/update`, and the views `register`, `movements`, `history`."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import click

from commands.context import App, Choice, Count, ledger_errors, parse_text, parse_texts, pass_app
from commands.entering import choices, entry_options, record_fields
from commands.render import ENTRY_COLUMNS, emit, emit_values, entry_row
from commands.view import View, view_options
from ledger import events as ev
from ledger.timeline import live_entries, retractions
from projections.register.queries import movements_between, register_columns

REGISTER = ["member", "name", "category", "shares", "paid_up", "admitted", "founder"]
FORMER = ["status", "exit_date", "exit_kind", "exit_reason"]


@click.group()
def member() -> None:
    """Friendly entry of the common membership events (the same events as `record`)."""


@member.command()
@click.argument("member_id", metavar="MEMBER")
@click.option("--name", required=True)
@click.option("--category", required=True)
@click.option("--shares", type=Count(), required=True)
@click.option("--founder", is_flag=True, help="a founder of the cooperative")
@click.option("--address")
@click.option("--email")
@click.option("--share-price", help="price of one share (default: the statutes')")
@entry_options
@pass_app
def admit(app: App, member_id: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Admit a member.

    \b
    Example:
      coopledger member admit S1 --name "Ada Lovelace" --category A --shares 2 --date 2025-03-02
    """
    record_fields(app, "member.admitted", date, entry_id, member=member_id, **fields)


@member.command()
@click.argument("member_id", metavar="MEMBER")
@entry_options
@pass_app
def resign(app: App, member_id: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Record a member's resignation (first six months of the fiscal year, by default).

    \b
    Example:
      coopledger member resign S1 --date 2025-05-31
    """
    record_fields(app, "member.resigned", date, entry_id, member=member_id, **fields)


@member.command()
@click.argument("member_id", metavar="MEMBER")
@click.option("--reason", required=True, type=Choice(choices(ev.MemberLeft, "reason")))
@entry_options
@pass_app
def leave(app: App, member_id: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Record a departure by right (death, end of employment, bankruptcy, other).

    \b
    Example:
      coopledger member leave S1 --reason death --date 2025-08-14
    """
    record_fields(app, "member.left", date, entry_id, member=member_id, **fields)


@member.command()
@click.argument("member_id", metavar="MEMBER")
@click.option("--reason", required=True)
@entry_options
@pass_app
def exclude(app: App, member_id: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Record the exclusion of a member.

    \b
    Example:
      coopledger member exclude S1 --reason "statutes art. 12" --date 2025-10-02
    """
    record_fields(app, "member.excluded", date, entry_id, member=member_id, **fields)


@member.command()
@click.argument("member_id", metavar="MEMBER")
@click.option("--name")
@click.option("--address")
@click.option("--email")
@entry_options
@pass_app
def update(app: App, member_id: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Change a member's name, address or e-mail.

    \b
    Example:
      coopledger member update S1 --address "Rue Haute 1, 1000 Bruxelles" --date 2025-04-01
    """
    record_fields(app, "member.updated", date, entry_id, member=member_id, **fields)


@click.command()
@click.option("--all", "include_former", is_flag=True, help="also former members, with exit date and reason")
@view_options("table", "csv", "json", as_of=True)
@pass_app
def register(app: App, view: View, include_former: bool) -> None:
    """The register of members on a date, ordered by member id.

    \b
    Examples:
      coopledger register --as-of 2025-12-31
      coopledger register --as-of 2025-12-31 --known-at 2026-03-01 --format csv
      coopledger register --as-of 2025-12-31 --all --format json
    """
    day = view.day
    with ledger_errors():
        engine = app.read_models()
        columns = REGISTER + FORMER if include_former else REGISTER
        rows = register_columns(engine, columns, day, view.known_seq, include_former)
    members = sum(1 for row in rows if row[-4] == "member") if include_former else len(rows)
    emit_values(rows, columns, view.fmt, f"Register as of {day}{view.known_suffix}: {members} members")


@click.command()
@click.option(
    "--kind", multiple=True, callback=parse_texts, help="only these kinds, e.g. admitted, resigned, left"
)
@view_options("table", "csv", "json", period=True)
@pass_app
def movements(app: App, view: View, kind: tuple[str, ...]) -> None:
    """Member movements in a period: admissions, exits, share movements, with totals.

    \b
    Examples:
      coopledger movements --year 2025
      coopledger movements --from 2025-01-01 --to 2025-06-30 --kind resigned --format csv
    """
    with ledger_errors():
        engine = app.read_models()
        rows = movements_between(engine, *view.period, view.known_seq)
    rows = [r for r in rows if not kind or r.kind in kind]
    columns = ["date", "member", "kind", "category", "count", "amount", "reason", "seq"]
    emit([r._asdict() for r in rows], columns, view.fmt, f"Movements from {view.start} to {view.end}")
    if view.fmt == "table":
        totals = Counter(r.kind for r in rows)
        click.echo("\nTotals: " + (", ".join(f"{k} {n}" for k, n in sorted(totals.items())) or "none"))


@click.command()
@click.argument("member_id", metavar="MEMBER", callback=parse_text)
@view_options("table", "csv", "json")
@pass_app
def history(app: App, view: View, member_id: str) -> None:
    """Every entry about one member, in effective-date order (retracted ones marked).

    \b
    Example:
      coopledger history S1
    """
    with ledger_errors():
        timeline = app.store.timelines([ev.MEMBER + member_id], view.known_seq)
    if not timeline:
        click.echo(f"coopledger: no entry about member {member_id!r}", err=True)
    withdrawn = retractions(timeline)
    ordered = sorted(timeline, key=ev.effective_order)
    emit([entry_row(e, withdrawn) for e in ordered], ENTRY_COLUMNS, view.fmt, f"History of {member_id}")
    if view.fmt == "table":
        live = {e.seq for e in live_entries(timeline)}
        click.echo(f"\n{len(live)} live entries, {len(withdrawn)} retracted")
