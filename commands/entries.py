"""Entering events one by one: `record TYPE --field value`, `member ...`, `retract`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import click
import msgspec

from commands.context import (
    App,
    BadInput,
    Choice,
    Count,
    date_option,
    ledger_errors,
    pass_app,
    today,
)
from ledger import events as ev
from ledger.errors import Source, describe


def build_entry(entry_type: str, fields: dict[str, Any]) -> ev.Entry:
    """Turn command-line strings into a typed entry; bad input exits 2 naming the option."""
    cls = ev.EVENT_TYPES.get(entry_type)
    if cls is None:
        raise BadInput(f"unknown entry type {entry_type!r}; known: {', '.join(sorted(ev.EVENT_TYPES))}")
    fields = {k: v for k, v in fields.items() if v is not None}
    fields.setdefault("date", today().isoformat())
    try:
        return ev.check_input(msgspec.convert(fields, type=cls, strict=False))
    except msgspec.ValidationError as e:
        message = re.sub(r"at `\$\.(\w+)`", r"at --\1", str(e))
        raise BadInput(f"{entry_type}: {message}") from None


def record_one(app: App, entry: ev.Entry) -> None:
    """Record one entry from the command line and say what was recorded."""
    with ledger_errors():
        result = app.ledger.record([(entry, Source("command line"))])
    for added in result.added:
        click.echo(f"recorded {describe(added)} id {added.id}")
    for present in result.present:
        click.echo(f"already recorded: {describe(present)} id {present.id}")


def parse_fields(args: Sequence[str]) -> dict[str, Any]:
    """`--key value` pairs (a key alone is `true`), dashes in keys read as underscores."""
    fields: dict[str, Any] = {}
    index = 0
    while index < len(args):
        key = args[index]
        if not key.startswith("--") or len(key) < 3:
            raise BadInput(f"expected --field value, got {key!r}")
        name = key[2:].replace("-", "_")
        if index + 1 < len(args) and not args[index + 1].startswith("--"):
            fields[name] = args[index + 1]
            index += 2
        else:
            fields[name] = True
            index += 1
    return fields


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("entry_type", metavar="TYPE")
@click.pass_context
def record(ctx: click.Context, entry_type: str) -> None:
    """Record one entry of the journal vocabulary, given as --field value pairs.

    The fields are those of the journal format (docs/user-guide.md); `--date`
    defaults to today.

    \b
    Example:
      coopledger record member.admitted --member S1 --name "Ada" \\
          --category A --shares 1 --date 2025-03-02
    """
    record_one(ctx.find_object(App), build_entry(entry_type, parse_fields(ctx.args)))  # type: ignore[arg-type]


@click.group()
def member() -> None:
    """Friendly entry of the common membership events (the same events as `record`)."""


def entry_options(f: Any) -> Any:
    f = click.option("--note", help="free text")(f)
    f = click.option("--ref", help="supporting document, e.g. board decision CA-2025-03")(f)
    f = click.option("--id", "entry_id", help="entry id (default: generated)")(f)
    return date_option()(f)


def record_fields(
    app: App, entry_type: str, date: dt.date | None, entry_id: str | None, **fields: Any
) -> None:
    fields["date"] = date.isoformat() if date else None
    fields["id"] = entry_id
    record_one(app, build_entry(entry_type, fields))


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
@click.option("--reason", required=True, type=Choice(["death", "end_of_employment", "bankruptcy", "other"]))
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
@click.argument("entry", metavar="ENTRY")
@click.option("--reason", required=True, help="why the entry is withdrawn")
@entry_options
@pass_app
def retract(app: App, entry: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Withdraw an earlier entry (by id or sequence number); nothing is deleted.

    Projections ignore the entry from now on; `--known-at` before now still
    shows it. Refused if later entries depend on it.

    \b
    Example:
      coopledger retract @42 --reason "typed the wrong member"
    """
    record_fields(app, "entry.retracted", date, entry_id, entry=entry, **fields)
