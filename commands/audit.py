"""For auditors: `verify` the whole history, `rebuild` the read models."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import click
from sqlalchemy import Engine, delete, select

from commands.context import App, ledger_errors, pass_app
from commands.render import emit
from commands.view import View, view_options
from ledger.database import parse_database
from ledger.events import Entry, EntryRetracted, decode, encode
from ledger.provenance import GENESIS, chain_hash, content_digest
from ledger.validate import check
from projections import read_models
from projections.engine import open_engine
from projections.governance_queries import board_as_of, bodies, cooptations_overdue
from projections.governance_schema import TABLES as GOVERNANCE_TABLES
from projections.queries import register_columns
from projections.schema import movements, spells, tracking


def chain_problems(entries: list[Entry]) -> list[str]:
    """Breaks in the sequence, the recorded clock or the hash chain."""
    problems = []
    previous_hash, previous_recorded = GENESIS, ""
    for expected, entry in enumerate(entries, start=1):
        if entry.seq != expected:
            problems.append(f"entry {entry.id}: sequence {entry.seq}, expected {expected}")
        if (entry.recorded or "") <= previous_recorded:
            problems.append(f"entry #{entry.seq}: recorded {entry.recorded} not after {previous_recorded}")
        if chain_hash(previous_hash, entry) != entry.hash:
            problems.append(f"entry #{entry.seq}: hash does not match its content and the previous hash")
        previous_hash, previous_recorded = entry.hash or "", entry.recorded or ""
    return problems


def table_rows(engine: Engine, table: Any) -> Counter[tuple[Any, ...]]:
    columns = [c for c in table.c if c.name != "id"]
    with engine.connect() as conn:
        return Counter(tuple(row) for row in conn.execute(select(*columns)))


@click.command()
@pass_app
def verify(app: App) -> None:
    """Check the hash chain, the rules over the whole history, and the read models.

    Recomputes every entry's hash from its content and the previous hash,
    re-checks every rule on the full effective timeline, and rebuilds the
    read models from scratch in memory to compare them, row for row (all
    knowledge intervals included), with the persisted ones. Exits 1 if
    anything differs.

    \b
    Example:
      coopledger verify
    """
    with ledger_errors():
        engine = app.read_models()
        states = list(app.store.states())
        entries = [decode(state) for state in states]
        index, subjects = app.store.index_rows(), app.store.subject_pairs()
        fresh = open_engine(parse_database("sqlite://"))
        read_models.catch_up(fresh, app.store)
        positions = read_models.positions(engine)
    head = entries[-1].seq or 0 if entries else 0
    checks = [
        (
            f"hash chain ({len(entries)} entries)",
            chain_problems(entries) + encoding_problems(entries, states),
        ),
        ("entry and subject indexes", index_problems(entries, index, subjects)),
        (
            "rules (every entry re-checked on its effective date)",
            [str(r) for r in check(entries, set(), {}, None)],
        ),
        *[
            (
                f"read model {table.name}",
                []
                if table_rows(engine, table) == table_rows(fresh, table)
                else [f"{table.name} differs from a fresh replay of the entries"],
            )
            for table in (spells, movements, *GOVERNANCE_TABLES)
        ],
        (
            "read-model positions",
            [
                f"read model {name} is at #{at}, the ledger at #{head}"
                for name, at in positions.items()
                if at != head
            ],
        ),
    ]
    for name, problems in checks:
        click.echo(f"{name}: {'ok' if not problems else 'BROKEN'}")
        for problem in problems:
            click.echo(f"  {problem}", err=True)
    if entries:
        click.echo(f"last entry: #{entries[-1].seq}, hash {entries[-1].hash}")
    if any(problems for _, problems in checks):
        raise SystemExit(1)


def encoding_problems(entries: list[Entry], states: list[bytes]) -> list[str]:
    """Each stored entry must be exactly its canonical bytes: an edit that decodes the same
    (spaces, key order, escapes) would otherwise pass the hash chain unseen."""
    return [
        f"entry #{entry.seq}: stored bytes are not its canonical encoding"
        for entry, state in zip(entries, states, strict=True)
        if encode(entry) != bytes(state)
    ]


def index_problems(
    entries: list[Entry], index: list[tuple[int, str, str, str, str]], subjects: set[tuple[str, int]]
) -> list[str]:
    """The ledger's own indexes must say exactly what the entries say."""
    expected = {(e.seq, e.id, e.recorded, content_digest(e), e.hash) for e in entries}
    problems = [
        f"coop_entries row for #{row[0]} does not match the entry"
        for row in index
        if tuple(row) not in expected
    ]
    if len(index) != len(expected):
        problems.append(f"coop_entries has {len(index)} rows for {len(entries)} entries")
    by_id = {e.id: e for e in entries}
    wanted = {
        (subject, e.seq or 0)
        for e in entries
        for subject in (by_id[str(e.entry)] if isinstance(e, EntryRetracted) else e).subjects()
    }
    problems += [f"coop_subjects lacks ({s}, #{seq})" for s, seq in sorted(wanted - subjects)]
    problems += [f"coop_subjects has a stray ({s}, #{seq})" for s, seq in sorted(subjects - wanted)]
    return problems


@click.command()
@pass_app
def rebuild(app: App) -> None:
    """Throw the read models away and rebuild them from the entries.

    \b
    Example:
      coopledger rebuild
    """
    started = time.perf_counter()
    _ = app.engine  # the tables exist
    with ledger_errors(), app.store.transaction() as conn:  # all of it, or the old read models
        for table in (spells, movements, *GOVERNANCE_TABLES, tracking):
            conn.execute(delete(table))
        count = read_models.project(conn, app.store)
    click.echo(f"rebuilt the read models from {count} entries in {time.perf_counter() - started:.2f} s")


@click.command(name="check")
@click.option("--strict", is_flag=True, help="exit 1 when anything is flagged")
@view_options("table", "csv", "json", as_of=True)
@pass_app
def check_flags(app: App, view: View, strict: bool) -> None:
    """Flag what needs the secretary's attention on a date (the entries themselves are valid).

    Flags a cooptation still unconfirmed after the assembly that should have
    confirmed it, and a seat held by someone who is no longer a member.

    \b
    Examples:
      coopledger check --as-of 2025-12-31
      coopledger check --strict --format json
    """
    day, known = view.day, view.known_seq
    with ledger_errors():
        engine = app.read_models()
        members = {row[0] for row in register_columns(engine, ["member"], day, known)}
        rows = [
            {
                "flag": "cooptation-overdue",
                "body": body,
                "person": holder.person,
                "detail": f"coopted {holder.since}, not confirmed at {holder.overdue}, the next assembly",
            }
            for body, holder in cooptations_overdue(engine, day, known)
        ]
        rows += [
            {
                "flag": "holder-not-member",
                "body": body,
                "person": holder.person,
                "detail": f"holds a seat since {holder.since} but is not a member on {day}",
            }
            for body in bodies(engine, known)
            for holder in board_as_of(engine, day, known, body).holders
            if holder.person not in members
        ]
    emit(rows, ["flag", "body", "person", "detail"], view.fmt, f"Flags as of {day}: {len(rows)}")
    if strict and rows:
        raise SystemExit(1)
