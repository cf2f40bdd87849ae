"""Members: `member admit/resign/leave/exclude/update`, and the views `register`, `movements`, `history`."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import click
import msgspec

from coopledger.commands.completion import complete_members
from coopledger.commands.context import (
    App,
    Asked,
    Choice,
    Count,
    NotFound,
    ledger_errors,
    parse_text,
    pass_app,
)
from coopledger.commands.desk import BINARY, certificate, cooperative_option, output_option, register_document
from coopledger.commands.entering import choices, entry_options, record_fields
from coopledger.commands.personal import resolve_joined, reveal
from coopledger.commands.render import ENTRY_COLUMNS, emit, emit_chunks, entry_row
from coopledger.commands.view import View, view_options
from coopledger.ledger import events as ev
from coopledger.ledger.identity import ERASED, NOT_HELD
from coopledger.ledger.timeline import live_entries, retractions
from coopledger.ledger.words import counted
from coopledger.projections.register.queries import movement_chunks_between, register_chunks

REGISTER = ["member", "name", "category", "shares", "paid_up", "admitted", "founder"]
# A movement's kind is its entry type's name after the dot (`member.resigned`: resigned);
# every entry about one member is a movement but an update of name, address or e-mail.
KINDS = tuple(
    name.partition(".")[2]
    for name, cls in ev.EVENT_TYPES.items()
    if issubclass(cls, ev.MemberEntry) and cls is not ev.MemberUpdated
)
FORMER = ["status", "exit_date", "exit_kind", "exit_reason"]
_json = msgspec.json.Encoder(decimal_format="string")


@click.group()
def member() -> None:
    """Friendly entry of the common membership events (the same events as `record`)."""


@member.command()
@click.argument("member_id", metavar="MEMBER")
@click.option("--name", cls=Asked, required=True)
@click.option("--category", cls=Asked, required=True)
@click.option("--shares", type=Count(), cls=Asked, required=True)
@click.option("--founder", is_flag=True, help="a founder of the cooperative")
@click.option("--address")
@click.option("--email")
@click.option("--share-price", help="price of one share (default: the statutes')")
@entry_options
@pass_app
def admit(app: App, /, member_id: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Admit a member.

    \b
    Example:
      coopledger member admit S1 --name "Ada Lovelace" --category A --shares 2 --date 2025-03-02
    """
    record_fields(app, "member.admitted", date, entry_id, member=member_id, **fields)


@member.command()
@click.argument("member_id", metavar="MEMBER", shell_complete=complete_members)
@entry_options
@pass_app
def resign(app: App, /, member_id: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Record a member's resignation (first six months of the fiscal year, by default).

    \b
    Example:
      coopledger member resign S1 --date 2025-05-31
    """
    record_fields(app, "member.resigned", date, entry_id, member=member_id, **fields)


@member.command()
@click.argument("member_id", metavar="MEMBER", shell_complete=complete_members)
@click.option("--reason", cls=Asked, required=True, type=Choice(choices(ev.MemberLeft, "reason")))
@entry_options
@pass_app
def leave(app: App, /, member_id: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Record a departure by right (death, end of employment, bankruptcy, other).

    \b
    Example:
      coopledger member leave S1 --reason death --date 2025-08-14
    """
    record_fields(app, "member.left", date, entry_id, member=member_id, **fields)


@member.command()
@click.argument("member_id", metavar="MEMBER", shell_complete=complete_members)
@click.option("--reason", cls=Asked, required=True)
@entry_options
@pass_app
def exclude(app: App, /, member_id: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Record the exclusion of a member.

    \b
    Example:
      coopledger member exclude S1 --reason "statutes art. 12" --date 2025-10-02
    """
    record_fields(app, "member.excluded", date, entry_id, member=member_id, **fields)


@member.command()
@click.argument("member_id", metavar="MEMBER", shell_complete=complete_members)
@click.option("--name")
@click.option("--address")
@click.option("--email")
@entry_options
@pass_app
def update(app: App, /, member_id: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Change a member's name, address or e-mail.

    \b
    Example:
      coopledger member update S1 --address "Rue Haute 1, 1000 Bruxelles" --date 2025-04-01
    """
    record_fields(app, "member.updated", date, entry_id, member=member_id, **fields)


@member.command()
@click.argument("member_id", metavar="MEMBER", shell_complete=complete_members)
@click.option("--count", type=Count(), cls=Asked, required=True, help="how many more shares")
@click.option("--category", help="the member's own category (optional: checked when given)")
@entry_options
@pass_app
def subscribe(app: App, /, member_id: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Record that a member subscribes more shares (`shares.subscribed`).

    \b
    Example:
      coopledger member subscribe S1 --count 2 --date 2025-06-01 --ref CA-2025-05
    """
    record_fields(app, "shares.subscribed", date, entry_id, member=member_id, **fields)


@member.command()
@click.argument("member_id", metavar="MEMBER", shell_complete=complete_members)
@click.option(
    "--amount", cls=Asked, required=True, help="amount paid up, e.g. 50.00 (12,50 is read as 12.50)"
)
@entry_options
@pass_app
def pay(app: App, /, member_id: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Record a payment towards a member's subscribed capital (`shares.paid`).

    \b
    Example:
      coopledger member pay S1 --amount 50.00 --date 2025-01-20 --id BANK-2025-031
    """
    record_fields(app, "shares.paid", date, entry_id, member=member_id, **fields)


@member.command()
@click.argument("member_id", metavar="MEMBER", shell_complete=complete_members)
@click.option(
    "--to",
    cls=Asked,
    required=True,
    shell_complete=complete_members,
    help="the member who receives the shares",
)
@click.option("--count", type=Count(), cls=Asked, required=True, help="how many shares")
@click.option(
    "--paid-up",
    help="paid-up capital the shares carry to the receiver (default: their even part of the giver's)",
)
@entry_options
@pass_app
def transfer(app: App, /, member_id: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Record that MEMBER transfers shares to another member (`shares.transferred`).

    The shares keep their category: the receiver holds the giver's category, unless the
    statutes allow transfers between categories (`transfers_between_categories`; the shares
    then become the receiver's category). They carry their paid-up capital with them: by
    default their even part of the giver's (4 shares with 100.00 paid up: 2 carry 50.00),
    rounded down to the cent; --paid-up says otherwise (shares paid up unevenly).

    \b
    Example:
      coopledger member transfer S1 --to S3 --count 1 --date 2025-04-02 --ref CA-2025-03
    """
    record_fields(app, "shares.transferred", date, entry_id, member=member_id, **fields)


@member.command()
@click.argument("member_id", metavar="MEMBER", shell_complete=complete_members)
@click.option("--count", type=Count(), cls=Asked, required=True, help="how many shares")
@click.option("--amount", help="amount paid back (default: the shares' paid-up value)")
@entry_options
@pass_app
def redeem(app: App, /, member_id: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Record that the cooperative buys back shares of a member (`shares.redeemed`).

    \b
    Example:
      coopledger member redeem S1 --count 1 --amount 25.00 --date 2025-09-30 --ref CA-2025-08
    """
    record_fields(app, "shares.redeemed", date, entry_id, member=member_id, **fields)


@member.command()
@click.argument("member_id", metavar="MEMBER", shell_complete=complete_members, callback=parse_text)
@click.option(
    "--reason", cls=Asked, required=True, help="why, e.g. the person's request (no personal data here)"
)
@click.option("--ref", help="supporting document, e.g. the request's number")
@click.option("--id", "entry_id", help="entry id (default: generated)")
@pass_app
def forget(app: App, member_id: str, reason: str, ref: str | None, entry_id: str | None) -> None:
    """Erase a person's identity (name, address, e-mail) once the law allows.

    Records `identity.erased` today and, in the same transaction, deletes every
    identity record of MEMBER (a member id, or the person id of a mandate
    holder). The history keeps every date, category, share and amount, and the
    commitments; views show the person as [erased]. Refused (exit 1, naming the
    first day it is allowed) while MEMBER is a member, an applicant or holds a
    mandate, and until the statutes' `retention_years` after the end of the
    fiscal year of the exit (`applicant_retention_years` after a refusal).

    \b
    Example:
      coopledger member forget S1 --reason "request of 2033-02-01, art. 17 GDPR"
    """
    with ledger_errors():
        records = len(app.store.identities_of(member_id))
    erasing = dt.datetime.now(dt.UTC)
    record_fields(app, "identity.erased", None, entry_id, member=member_id, reason=reason, ref=ref)
    click.echo(f"erased {counted(records, 'identity record')} of {member_id}")
    if app.database.backend == "postgresql":
        table = f"{app.database.schema}.coop_identities" if app.database.schema else "coop_identities"
        click.echo(f"run VACUUM (FULL) {table} so that the server's files hold no copy (docs/user-guide.md)")
        _older_transactions(app, erasing)


def _older_transactions(app: App, erasing: dt.datetime) -> None:
    """Name the transactions begun before the erasure: a VACUUM run while they are open keeps the
    erased rows (found when an erasure ran beside a 27-minute import)."""
    from coopledger.ledger.postgres_recorder import transactions_older_than

    with ledger_errors():
        older = transactions_older_than(app.database.eventsourcing_env, erasing)
    if older:
        one = len(older) == 1
        named = ", ".join(
            f"{pid} since {began.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC" for pid, began in older
        )
        click.echo(
            f"{counted(len(older), 'transaction')} begun before the erasure "
            f"{'is' if one else 'are'} still open (server process{'' if one else 'es'} {named}): "
            f"VACUUM keeps the erased rows while {'it' if one else 'they'} may see them; "
            f"run it once {'that ends' if one else 'they end'}"
        )


@member.command()
@click.argument("member_id", metavar="MEMBER", shell_complete=complete_members, callback=parse_text)
@view_options("table", "json")
@pass_app
def show(app: App, view: View, member_id: str) -> None:
    """Everything the ledger holds about one person, for a subject access request.

    Their identity (every record of the identity store; [erased] once erased,
    [not held] if the ledger never had it), every entry about them, their
    mandates and the assemblies whose votes they took part in (never how they
    voted).

    \b
    Examples:
      coopledger member show S1
      coopledger member show S1 --format json > S1-access-request.json
    """
    with ledger_errors():
        timeline = app.store.timelines([ev.MEMBER + member_id], view.known_seq)
        records = app.store.identities_of(member_id)
        entries = reveal(app.store, sorted(timeline, key=ev.effective_order))
    if not timeline:
        raise NotFound(f"no entry about {member_id!r}")
    withdrawn = retractions(timeline)
    live = {e.seq for e in live_entries(timeline)}
    identity = [
        {"seq": r.seq, **json.loads(r.fields)}
        for r in records
        if view.known_seq is None or r.seq <= view.known_seq
    ]
    erased = [e for e in entries if isinstance(e, ev.IdentityErased) and e.seq in live]
    mandates = [
        {
            "date": e.date,
            "body": e.body,
            "type": e.type,
            "until": getattr(e, "until", None),
            "assembly": getattr(e, "assembly", None),
            "seq": e.seq,
        }
        for e in entries
        if isinstance(e, ev.MandateEntry) and e.seq in live
    ]
    votes = [
        {"assembly": e.assembly, "date": e.date, "member": e.member, "proxy": e.proxy, "seq": e.seq}
        for e in entries
        if isinstance(e, ev.AssemblyVoted) and e.seq in live
    ]
    rows = [entry_row(e, withdrawn) for e in entries]
    if view.fmt == "json":
        data = {
            "member": member_id,
            "identity": identity,
            "erased": [{"date": e.date, "seq": e.seq, "reason": e.reason} for e in erased],
            "entries": [{k: row[k] for k in ENTRY_COLUMNS} for row in rows],
            "mandates": mandates,
            "votes": votes,
        }
        click.echo(_json.encode(data).decode())
        return
    click.echo(f"Identity of {member_id} (identity store):")
    for item in identity:
        click.echo("  " + ", ".join(f"{k}={v}" for k, v in item.items()))
    if not identity:
        click.echo(f"  {ERASED} on {erased[-1].date} (#{erased[-1].seq})" if erased else f"  {NOT_HELD}")
    click.echo("")
    emit(rows, ENTRY_COLUMNS, "table", f"Entries about {member_id} ({len(rows)})")
    click.echo("")
    emit(
        mandates, ["date", "body", "type", "until", "assembly", "seq"], "table", f"Mandates ({len(mandates)})"
    )
    click.echo("")
    emit(
        votes, ["assembly", "date", "member", "proxy", "seq"], "table", f"Votes taken part in ({len(votes)})"
    )


member.add_command(certificate)


@click.command()
@click.option("--all", "include_former", is_flag=True, help="also former members, with exit date and reason")
@cooperative_option
@output_option
@view_options("table", "csv", "json", "xlsx", "ods", "pdf", as_of=True, lang=True)
@pass_app
def register(app: App, view: View, include_former: bool, cooperative: str | None, output: str | None) -> None:
    """The register of members on a date, ordered by member id.

    --format xlsx, ods or pdf writes the legal register (-o FILE): every member registered on
    the date, former members too, with identity, address, category, shares, paid-up capital,
    admission, exit, and every movement of their shares, titled with --cooperative, the date
    and the checkpoint of the entries it includes, in --lang (fr, nl, en).

    \b
    Examples:
      coopledger register --as-of 2025-12-31
      coopledger register --as-of 2025-12-31 --known-at 2026-03-01 --format csv
      coopledger register --as-of 2025-12-31 --all --format json
      coopledger register --as-of 2025-12-31 --format pdf --cooperative "Coop Example SC" -o register.pdf
    """
    if view.fmt in BINARY:
        register_document(app, view, cooperative, output)
        return
    if output is not None:
        raise click.UsageError("-o FILE goes with --format xlsx, ods or pdf")
    day = view.day
    columns = REGISTER + FORMER if include_former else REGISTER
    members = 0  # a table's title counts them

    def counting() -> Iterator[list[tuple[Any, ...]]]:
        nonlocal members
        for chunk in resolve_joined(chunks, columns, app.store):
            members += sum(1 for row in chunk if row[-4] == "member") if include_former else len(chunk)
            yield chunk

    def title() -> str:
        return f"Register as of {day}{view.known_suffix}: {counted(members, 'member')}"

    with ledger_errors():
        engine = app.read_models()
        chunks = register_chunks(engine, columns, day, view.known_seq, include_former, identities=True)
        emit_chunks(counting(), columns, view.fmt, title)


@click.command()
@click.option("--kind", multiple=True, type=Choice(KINDS), help="only these kinds (repeatable)")
@view_options("table", "csv", "json", period=True)
@pass_app
def movements(app: App, view: View, kind: tuple[str, ...]) -> None:
    """Member movements in a period: admissions, exits, share movements, with totals.

    \b
    Examples:
      coopledger movements --year 2025
      coopledger movements --from 2025-01-01 --to 2025-06-30 --kind resigned --format csv
    """
    columns = ["date", "member", "kind", "category", "count", "amount", "reason", "seq"]
    totals: Counter[str] = Counter()  # a table's, under it

    at = columns.index("kind")

    def tallied() -> Iterator[list[tuple[Any, ...]]]:
        for chunk in chunks:
            if view.fmt == "table":
                totals.update(row[at] for row in chunk)
            yield chunk

    with ledger_errors():
        engine = app.read_models()
        chunks = movement_chunks_between(engine, columns, *view.period, view.known_seq, kind)
        emit_chunks(tallied(), columns, view.fmt, lambda: f"Movements from {view.start} to {view.end}")
    if view.fmt == "table":
        click.echo("\nTotals: " + (", ".join(f"{k} {n}" for k, n in sorted(totals.items())) or "none"))


@click.command()
@click.argument("member_id", metavar="MEMBER", shell_complete=complete_members, callback=parse_text)
@view_options("table", "csv", "json")
@pass_app
def history(app: App, view: View, member_id: str) -> None:
    """Every entry about one member, in effective-date order (retracted ones marked).

    Each retraction stands right below the entry it withdraws. With --known-at, the entries
    and retractions the ledger held then: a retraction recorded later is not shown, and its
    entry is not marked.

    \b
    Examples:
      coopledger history S1
      coopledger history S1 --known-at '#14'
    """
    with ledger_errors():
        timeline = app.store.timelines([ev.MEMBER + member_id], view.known_seq)
    if not timeline:
        known = f" as known at {view.known_text}" if view.known_at else ""
        raise NotFound(f"no entry about member {member_id!r}{known}")
    withdrawn = retractions(timeline)
    with ledger_errors():
        ordered = reveal(app.store, beside_targets(sorted(timeline, key=ev.effective_order)))
    emit([entry_row(e, withdrawn) for e in ordered], ENTRY_COLUMNS, view.fmt, f"History of {member_id}")
    if view.fmt == "table":
        live = {e.seq for e in live_entries(timeline)}
        click.echo(f"\n{counted(len(live), 'live entry', 'live entries')}, {len(withdrawn)} retracted")


def beside_targets(entries: list[ev.Entry]) -> list[ev.Entry]:
    """The entries in their order, each retraction moved right after the entry it withdraws
    (where that entry is among them), so a correction reads beside what it corrects."""
    present = {e.id for e in entries}
    withdrawing = {str(e.entry): e for e in entries if isinstance(e, ev.EntryRetracted)}
    placed: list[ev.Entry] = []
    for entry in entries:
        if isinstance(entry, ev.EntryRetracted) and str(entry.entry) in present:
            continue
        placed.append(entry)
        if (retraction := withdrawing.get(entry.id or "")) is not None:
            placed.append(retraction)
    return placed
