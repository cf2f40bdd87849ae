"""The `coopledger` command group: store selection, then one sub-command per noun."""

from __future__ import annotations

import click

from commands import audit, entries, journal, views
from commands.context import App, db_url


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db", envvar="COOPLEDGER_DB", help="store URL or SQLite path (default sqlite:///coopledger.db)"
)
@click.option("--by", "user", help="who enters the entries (default: the OS user)")
@click.version_option(package_name="coopledger")
@click.pass_context
def cli(ctx: click.Context, db: str | None, user: str | None) -> None:
    """coopledger: an event-sourced governance ledger for cooperatives.

    Every membership change, share movement, vote and mandate is an immutable
    entry; the register, the board and the year's figures are rebuilt from
    them as of any date, and as the ledger knew them at any moment.
    """
    ctx.obj = App(db_url(db), user)


for command in (
    journal.init,
    journal.import_,
    journal.export,
    entries.record,
    entries.member,
    entries.retract,
    views.register,
    views.movements,
    views.history,
    views.log,
    audit.verify,
    audit.rebuild,
):
    cli.add_command(command)
