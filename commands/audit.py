"""For auditors: `verify` the whole history, `rebuild` the read models."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import click

from coopledger.commands.context import App, StoreFailure, ledger_errors, pass_app
from coopledger.commands.progress import progress
from coopledger.commands.render import emit
from coopledger.commands.transparency import check_checkpoints
from coopledger.commands.view import View, view_options
from coopledger.ledger.audit import TREE, Finding, audit, named
from coopledger.ledger.errors import ReadModelDamaged, describe
from coopledger.ledger.recorders import FORMAT
from coopledger.ledger.words import counted
from coopledger.projections import beside, read_models
from coopledger.projections.assertions import asserted, unheld
from coopledger.projections.audit import ReadModels
from coopledger.projections.beside import Worker
from coopledger.projections.problems import Problem, problems


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
        head = app.store.head()
        with _worker(app, head.seq if head is not None else 0) as beside:
            step("catching up the read models")
            try:
                app.read_models()
            except StoreFailure as e:
                if not isinstance(e.__cause__, ReadModelDamaged):
                    raise
                # a position that is no entry's number: left as it is, for the check to name
            ledger = audit(app.store, lambda shared: [ReadModels(shared)], step, beside)
        findings = ledger.findings
        step("checking the journal assertions")
        findings.append(_assertions(app))
        step("checking the checkpoints")
        held, problems, departs = check_checkpoints(app, checkpoints, keys)
        if held and any(f.name == TREE and f.problems for f in findings):
            problems.append(  # extended by the stored tree, which is not the entries' tree
                "checked against the stored Merkle tree, which does not match the entries (above): "
                "the entries are not shown to extend them"
            )
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


@contextmanager
def _worker(app: App, size: int) -> Iterator[Worker | None]:
    """A worker process for the rules and the read models on a long ledger
    (`projections.beside`), ended however `verify` ends."""
    if not beside.worthwhile(app.store.database, size):
        yield None
        return
    worker = beside.Worker(app.store.database)
    try:
        yield worker
    finally:
        worker.close()


def _assertions(app: App) -> Finding:
    """The journal assertions, against the register the audit has just compared with the entries."""
    recorded = asserted(app.store)
    with app.engine.connect() as conn:
        failing = unheld(conn, recorded)
    problems = [f"{describe(f.assertion)}: {f.reason}" for f in failing]
    first = min((f.assertion.seq or 0 for f in failing), default=None)
    return Finding(f"journal assertions ({len(recorded) - len(failing)} held)", problems, first)


@click.command()
@pass_app
def rebuild(app: App) -> None:
    """Throw the read models away and rebuild them from the entries.

    Also migrates a ledger of an older store format whose entries this
    version reads as they are (format 2): its read models are laid out
    anew, and the ledger is marked with this version's format.

    \b
    Example:
      coopledger rebuild
    """
    started = time.perf_counter()
    app.upgrades = True  # a ledger of an older store format gets this version's read models
    _ = app.engine  # the tables exist
    with ledger_errors(), progress() as step, app.store.transaction() as conn:  # all, or the old ones
        step("rebuilding the read models")
        older = app.store.upgrading
        count = read_models.rebuild(conn, app.store, remake=older is not None)
        if older is not None:
            app.store.mark_format(conn)
    if older is not None:
        click.echo(f"upgraded the ledger from store format {older} to {FORMAT}")
    click.echo(
        f"rebuilt the read models from {counted(count, 'entry', 'entries')} "
        f"in {time.perf_counter() - started:.2f} s"
    )


@click.command(name="check")
@click.option("--strict", is_flag=True, hidden=True, expose_value=False, help="accepted for old scripts")
@view_options("table", "csv", "json", as_of=True)
@pass_app
def check_problems(app: App, view: View) -> None:
    """Report every problem in one run: journal assertions that fail, and what needs the secretary.

    A journal assertion (`assert.members`, `assert.shares`) the register
    disagrees with; a cooptation still unconfirmed after the assembly that
    should have confirmed it; a seat held by someone who is no longer a
    member (the flags on the --as-of date, today by default). Each with its
    rule, its date and the entry it is about. Exits 1 when there is any.

    \b
    Examples:
      coopledger check
      coopledger check --as-of 2025-12-31 --format json
    """
    day, known = view.day, view.known_seq
    with ledger_errors():
        engine = app.read_models()
        rows = [problem._asdict() for problem in problems(engine, app.store, day, known)]
    emit(rows, list(Problem._fields), view.fmt, f"Problems as of {day}: {len(rows)}")
    if rows:
        raise SystemExit(1)
