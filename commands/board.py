"""`board`: a body's seats, holders, vacancies and mandates ending soon, as of a date."""

from __future__ import annotations

import sys
from typing import Any

import click
import msgspec

from coopledger.commands.context import (
    App,
    BadOption,
    did_you_mean,
    ledger_errors,
    parse_text,
    pass_app,
    shown,
)
from coopledger.commands.personal import resolve_names
from coopledger.commands.render import emit
from coopledger.commands.view import View, view_options
from coopledger.ledger.words import counted
from coopledger.projections.governance.flags import FLAGS
from coopledger.projections.governance.queries import board_as_of, bodies
from coopledger.projections.governance.summary import Board, Holder

# The table leaves the flags to their own list below it; the CSV has them, and how many seats a
# row stands for (1 for a holder, 1 or more for the vacant seats: the seats column sums to the body's).
COLUMNS = ["person", "name", "how", "since", "until", "assembly", "replaces"]
CSV_COLUMNS = [*COLUMNS, "seats", "flag"]
VACANT_ROWS = 20  # up to this many vacant seats get a row each; past it, one row stands for them all
_json = msgspec.json.Encoder(decimal_format="string")


def how(holder: Holder) -> str:
    """How the seat was obtained: elected, renewed, or coopted and confirmed or not (yet)."""
    if holder.cooptation is None:
        return holder.how
    return f"coopted, {'confirmed' if holder.cooptation == 'confirmed' else 'not confirmed'}"


# What `check` flags about a holder, by person: the same registry, so the two never disagree.
Flagged = dict[str, list[str]]


def holder_flags(engine: Any, board: Board, known_seq: int | None) -> Flagged:
    """The flags of `check` (projections/governance/flags.py) raised on this body's holders."""
    found: Flagged = {}
    for holder in board.holders:
        if holder.overdue is not None:
            found.setdefault(holder.person, []).append(
                f"cooptation not confirmed at {holder.overdue}, the next assembly"
            )
    for name, find in FLAGS.items():
        if name == "cooptation-overdue":  # said above, in the board's words
            continue
        for raised in find(engine, board.as_of, known_seq):
            if raised.body == board.body:
                found.setdefault(raised.person, []).append(f"{name}: {raised.detail}")
    return found


def flag(holder: Holder, flagged: Flagged) -> str | None:
    return "; ".join(flagged.get(holder.person, [])) or None


def holder_row(holder: Holder, flagged: Flagged) -> dict[str, Any]:
    return {**holder._asdict(), "how": how(holder), "flag": flag(holder, flagged)}


def vacant_rows(vacant: int, table: bool) -> list[dict[str, Any]]:
    """The vacant seats as rows, the same in the table and the CSV: a row per seat up to
    VACANT_ROWS, past it one row for them all (a body of 100,000,000 seats is one line, not
    100,000,000), its `seats` saying how many; the table says it in the `how` column."""
    if vacant > VACANT_ROWS:
        return [{"how": f"vacant ({counted(vacant, 'seat')})" if table else "vacant", "seats": vacant}]
    return [{"how": "vacant", "seats": 1}] * vacant


def board_data(board: Board, flagged: Flagged) -> dict[str, Any]:
    return {
        "body": board.body,
        "as_of": board.as_of,
        "seats": board.seats,
        "held": len(board.holders),
        "vacant": board.vacant,
        "holders": [holder_row(h, flagged) for h in board.holders],
        "ending_within_12_months": [h.person for h in board.ending],
        "flags": [f"{h.person}: {text}" for h in board.holders for text in flagged.get(h.person, [])],
    }


def show_table(board: Board, known: str, flagged: Flagged) -> None:
    title = (
        f"{board.body} as of {board.as_of}{known}: {counted(board.seats, 'seat')}, "
        f"{len(board.holders)} held, {board.vacant} vacant"
    )
    vacant = vacant_rows(board.vacant, table=True)
    emit([holder_row(h, flagged) for h in board.holders] + vacant, COLUMNS, "table", title)
    if board.ending:
        click.echo(f"\nMandates ending within 12 months ({len(board.ending)}):")
        for h in board.ending:
            click.echo(f"  {h.person}{f' {h.name}' if h.name else ''}: until {h.until}")
    raised = [(h.person, text) for h in board.holders for text in flagged.get(h.person, [])]
    if raised:
        click.echo(f"\nFlags ({len(raised)}):")
        for person, text in raised:
            click.echo(f"  {person}: {text}")


@click.command()
@click.option(
    "--body", default="board", show_default=True, callback=parse_text, help="the body, e.g. ethics_committee"
)
@view_options("table", "json", "csv", as_of=True)
@pass_app
def board(app: App, view: View, body: str) -> None:
    """A body's composition on a date: seats, holders and how they got the seat, vacancies.

    Lists mandates ending within 12 months, and shows the flags of `check`:
    cooptations still not confirmed after the assembly that should have
    confirmed them, holders who are no longer members (holder-not-member). A
    mandate is no longer held as of its `until` date. Vacant seats get a row
    each, up to 20; past 20, one row stands for them all, in the table and
    the CSV alike (the CSV's `seats` column says how many seats a row is).

    \b
    Examples:
      coopledger board --as-of 2025-12-31
      coopledger board --body ethics_committee --as-of 2025-12-31 --format json
      coopledger board --as-of 2025-12-31 --known-at 2026-03-01 --format csv
    """
    with ledger_errors():
        engine = app.read_models()
        known = sorted({"board", *bodies(engine, view.known_seq)})
        if body not in known:
            raise BadOption(f"no body {shown(body)} ({did_you_mean(body, known)})", param_hint="--body")
        found = board_as_of(engine, view.day, view.known_seq, body)
        resolved = resolve_names(app.store, found.holders)
        named = {id(h): r for h, r in zip(found.holders, resolved, strict=True)}
        found = found._replace(holders=list(named.values()), ending=[named[id(h)] for h in found.ending])
        flagged = holder_flags(engine, found, view.known_seq)
    if view.fmt == "json":
        sys.stdout.write(_json.encode(board_data(found, flagged)).decode() + "\n")
    elif view.fmt == "csv":
        vacant = vacant_rows(found.vacant, table=False)
        held = [{**holder_row(h, flagged), "seats": 1} for h in found.holders]
        emit(held + vacant, CSV_COLUMNS, "csv")
    else:
        show_table(found, view.known_suffix, flagged)
