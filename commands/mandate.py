"""Mandates in the board and other bodies: `mandate elect/renew/coopt/confirm/reject/resign/revoke`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from coopledger.commands.completion import complete_assemblies, complete_members
from coopledger.commands.context import App, Asked, parse_date, pass_app
from coopledger.commands.entering import assembly_entry_options, entry_options, record_at, record_fields


@click.group()
def mandate() -> None:
    """Friendly entry of mandates (the same events as `coopledger record mandate.elected ...`).

    `--body` defaults to the board; other bodies (e.g. ethics_committee) use the
    same commands. Decisions of an assembly are dated on its day by default.
    """


def _person(f: Any) -> Any:
    f = click.option("--body", default="board", show_default=True, help="the body, e.g. ethics_committee")(f)
    return click.argument("person", shell_complete=complete_members)(f)


def _until(f: Any) -> Any:
    return click.option(
        "--until",
        cls=Asked,
        required=True,
        callback=parse_date,
        help="the day the mandate ends (no longer held that day)",
    )(f)


def _by_assembly(f: Any) -> Any:
    return click.option(
        "--assembly",
        "assembly_id",
        cls=Asked,
        required=True,
        shell_complete=complete_assemblies,
        help="the deciding assembly",
    )(f)


@mandate.command()
@_person
@_until
@_by_assembly
@click.option("--name", help="the person's name (default: the register's)")
@assembly_entry_options
@pass_app
def elect(app: App, /, assembly_id: str, date: dt.date | None, **fields: Any) -> None:
    """An assembly elects a person to a seat until a date (at most `mandate_max_years` on).

    \b
    Example:
      coopledger mandate elect S7 --until 2029-06-17 --assembly AG2025
    """
    record_at(app, assembly_id, "mandate.elected", date, **fields)


@mandate.command()
@_person
@_until
@_by_assembly
@assembly_entry_options
@pass_app
def renew(app: App, /, assembly_id: str, date: dt.date | None, **fields: Any) -> None:
    """An assembly renews a running mandate (at the latest on the day it ends).

    \b
    Example:
      coopledger mandate renew S3 --until 2029-06-17 --assembly AG2025
    """
    record_at(app, assembly_id, "mandate.renewed", date, **fields)


@mandate.command()
@_person
@click.option("--replaces", help="the person whose seat is filled: the cooptation ends when their term would")
@click.option("--until", callback=parse_date, help="the day the mandate ends, if it replaces nobody")
@click.option("--name", help="the person's name (default: the register's)")
@entry_options
@pass_app
def coopt(app: App, /, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """The board coopts a person into a vacancy, pending confirmation by the next assembly.

    \b
    Example:
      coopledger mandate coopt S9 --replaces S4 --date 2025-10-01
    """
    record_fields(app, "mandate.coopted", date, entry_id, **fields)


@mandate.command()
@_person
@_by_assembly
@assembly_entry_options
@pass_app
def confirm(app: App, /, assembly_id: str, date: dt.date | None, **fields: Any) -> None:
    """An assembly confirms a cooptation.

    \b
    Example:
      coopledger mandate confirm S9 --assembly AG2026
    """
    record_at(app, assembly_id, "mandate.confirmed", date, **fields)


@mandate.command()
@_person
@_by_assembly
@assembly_entry_options
@pass_app
def reject(app: App, /, assembly_id: str, date: dt.date | None, **fields: Any) -> None:
    """An assembly rejects a cooptation: the mandate ends that day.

    \b
    Example:
      coopledger mandate reject S9 --assembly AG2026
    """
    record_at(app, assembly_id, "mandate.rejected", date, **fields)


@mandate.command()
@_person
@entry_options
@pass_app
def resign(app: App, /, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """A person resigns from a body: no longer holds the seat as of that date.

    \b
    Example:
      coopledger mandate resign S4 --date 2025-09-01
    """
    record_fields(app, "mandate.resigned", date, entry_id, **fields)


@mandate.command()
@_person
@_by_assembly
@assembly_entry_options
@pass_app
def revoke(app: App, /, assembly_id: str, date: dt.date | None, **fields: Any) -> None:
    """An assembly revokes a mandate: the seat is left that day.

    \b
    Example:
      coopledger mandate revoke S4 --assembly AGE2025
    """
    record_at(app, assembly_id, "mandate.revoked", date, **fields)
