"""The `coopledger` command group: store selection, then one sub-command per noun."""

from __future__ import annotations

import gc

import click

from commands import assembly, audit, board, journal, mandate, member, report
from commands.context import App, db_url, parse_text


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db", envvar="COOPLEDGER_DB", help="store URL or SQLite path (default sqlite:///coopledger.db)"
)
@click.option("--by", "user", callback=parse_text, help="who enters the entries (default: the OS user)")
@click.version_option(package_name="coopledger")
@click.pass_context
def cli(ctx: click.Context, db: str | None, user: str | None) -> None:
    """coopledger: an event-sourced governance ledger for cooperatives.

    Every membership change, share movement, vote and mandate is an immutable
    entry; the register, the board and the year's figures are rebuilt from
    them as of any date, and as the ledger knew them at any moment.
    """
    # A command is a short process that allocates many small objects (rows, entries) and
    # makes no reference cycles of its own: freezing what the imports built and collecting
    # young objects less often saves about a fifth of a large import or register.
    gc.freeze()
    gc.set_threshold(100_000, 20, 20)
    ctx.obj = App(db_url(db), user)


# Every command, one line per module: a command's name gives its file.
COMMANDS = (
    *(journal.init, journal.import_, journal.export, journal.record, journal.retract, journal.log),
    *(member.member, member.register, member.movements, member.history),
    *(assembly.assembly, assembly.assemblies),
    mandate.mandate,
    board.board,
    *(audit.verify, audit.check_flags, audit.rebuild),
    *(report.report, report.chart),
)
for command in COMMANDS:
    cli.add_command(command)
