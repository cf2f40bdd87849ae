"""For auditors: `verify` the whole history, `rebuild` the read models."""

from __future__ import annotations

import time

import click

from coopledger.commands.context import App, ledger_errors, pass_app
from coopledger.commands.progress import progress
from coopledger.commands.render import emit
from coopledger.commands.transparency import check_checkpoints
from coopledger.commands.view import View, view_options
from coopledger.ledger.audit import Finding, audit, named
from coopledger.ledger.words import counted
from coopledger.projections import read_models
from coopledger.projections.audit import ReadModels
from coopledger.projections.governance.flags import Flag, flags


@click.command()
@click.option(
    "--checkpoint", "checkpoints", multiple=True, help="a checkpoint file the ledger must extend (repeatable)"
)
@click.option(
    "--key", "keys", multiple=True, help="a verifier key file (.pub) of the checkpoints (repeatable)"
)
@pass_app
def verify(app: App, checkpoints: tuple[str, ...], keys: tuple[str, ...]) -> None:
    """Check the hash chain, the Merkle tree, the checkpoints, the rules and the read models.

    Recomputes every entry's hash from its content and the previous hash,
    re-checks every rule on the full effective timeline, and folds the
    entries afresh to compare the read models with them, row for row (all
    knowledge intervals included). Exits 1 if anything differs, naming the
    first entry that differs.

    With --checkpoint, checks each checkpoint's signatures (with the --key
    files, else the keys the ledger recorded when it signed) and that the
    ledger's Merkle tree extends it (RFC 9162 consistency proof): a history
    rewritten with every hash recomputed fails here. Without --checkpoint,
    the checkpoints the ledger recorded are checked.

    \b
    Examples:
      coopledger verify
      coopledger verify --checkpoint ag-2025.txt --key coop-example.pub
    """
    with ledger_errors(), progress() as step:
        step("catching up the read models")
        app.read_models()
        ledger = audit(app.store, lambda shared: [ReadModels(shared)], step)
        findings = ledger.findings
        step("checking the checkpoints")
        held, problems, departs = check_checkpoints(app, checkpoints, keys)
        if held or problems:
            findings.append(Finding(f"checkpoints ({len(held)} extended)", problems, departs))
        first = min((f.first for f in findings if f.problems and f.first is not None), default=None)
        differs = named(app.store, first) if first is not None else None
    for finding in findings:
        click.echo(f"{finding.name}: {'ok' if not finding.problems else 'BROKEN'}")
        for problem in finding.problems:
            click.echo(f"  {problem}", err=True)
    if differs is not None:
        click.echo(f"  first entry that differs: {differs}", err=True)
    if ledger.last is not None:
        click.echo(f"last entry: #{ledger.last.seq}, hash {ledger.last.hash}")
    if any(finding.problems for finding in findings):
        raise SystemExit(1)


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
    with ledger_errors(), progress() as step, app.store.transaction() as conn:  # all, or the old ones
        step("rebuilding the read models")
        count = read_models.rebuild(conn, app.store)
    click.echo(
        f"rebuilt the read models from {counted(count, 'entry', 'entries')} "
        f"in {time.perf_counter() - started:.2f} s"
    )


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
        rows = [flag._asdict() for flag in flags(engine, day, known)]
    emit(rows, list(Flag._fields), view.fmt, f"Flags as of {day}: {len(rows)}")
    if strict and rows:
        raise SystemExit(1)
