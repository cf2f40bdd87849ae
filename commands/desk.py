"""The secretary's desk: the legal register as a document (`register --format xlsx|ods|pdf`), a
member's certificate (`member certificate`), an assembly's roll and mailing list (`assembly
roll`), and the roll beside the participation recorded (`assembly show`).

The commands are declared here and joined to their groups (`member`, `assembly`) in those
groups' modules; the documents are drawn in reports/ (register_document, certificate, roll,
spreadsheet, pdf), which this module imports only when a document is asked for.

Every document includes exactly the entries 1 to N known when it starts (N the last entry, or
the last known at --known-at), and says so with the checkpoint of those N entries: a document
written while a clerk records more entries still matches its checkpoint.
"""

from __future__ import annotations

import base64
import contextlib
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any

import click

from coopledger.commands.completion import complete_assemblies, complete_members
from coopledger.commands.context import (
    App,
    BadInput,
    NotFound,
    did_you_mean,
    ledger_errors,
    parse_text,
    pass_app,
)
from coopledger.commands.view import View, view_options
from coopledger.ledger import events as ev
from coopledger.ledger.words import counted

BINARY = ("xlsx", "ods", "pdf")
COOPERATIVE_HELP = "the cooperative's name, for the title (default: COOPLEDGER_COOPERATIVE)"
OUTPUT_HELP = "write to FILE (whole or not at all), not standard output"


def cooperative_option(f: Any) -> Any:
    return click.option(
        "--cooperative", envvar="COOPLEDGER_COOPERATIVE", callback=parse_text, help=COOPERATIVE_HELP
    )(f)


def output_option(f: Any) -> Any:
    return click.option("-o", "--output", callback=parse_text, metavar="FILE", help=OUTPUT_HELP)(f)


@contextlib.contextmanager
def output_stream(output: str | None, fmt: str) -> Iterator[IO[bytes]]:
    """Where a document goes: FILE, written whole or not at all, else standard output, which
    a binary format may not be when it is a terminal."""
    from coopledger.commands.context import written

    if output is None and fmt in BINARY and sys.stdout.isatty():
        raise BadInput(f"--format {fmt} writes a binary file: give -o FILE, or redirect standard output")
    sys.stdout.flush()
    with written(output or "-") as stream:
        yield stream


def entries_included(app: App, known_seq: int | None) -> int:
    """The last entry a document includes, fixed once (after the read models caught up)."""
    if known_seq is not None:
        return known_seq
    head = app.store.head()
    return head.seq if head else 0


def make_heading(
    app: App, engine: Any, view: View, size: int, cooperative: str | None, day: Any, totals: bool = False
) -> Any:
    """The heading every document starts with; see reports/register_document.py `Heading`."""
    from coopledger.ledger.timeline import statutes_of
    from coopledger.ledger.tree import StoredTree
    from coopledger.projections.register.documents import totals_on
    from coopledger.reports.register_document import Heading

    statutes = statutes_of(app.store.timelines([ev.STATUTES], size))
    root = base64.b64encode(StoredTree(app.store).root(size)).decode()
    recorded = [(taken, text) for taken, at, text in app.store.checkpoint_rows() if at == size]
    signed = [(taken, text) for taken, text in recorded if "\n\n" in text and not text.endswith("\n\n")]
    taken, text = (signed or recorded)[-1] if recorded else (None, None)
    if cooperative is None:
        click.echo(
            "coopledger: no --cooperative (nor COOPLEDGER_COOPERATIVE): the title names no cooperative",
            err=True,
        )
    return Heading(
        lang=view.lang,
        cooperative=cooperative,
        as_of=day,
        known_at=view.known_text,
        size=size,
        root=root,
        signed=text,
        signed_at=taken,
        voting=statutes.get("voting", day),
        cap=statutes.get("share_vote_cap", day),
        totals=totals_on(engine, day, size) if totals else (),
    )


def register_document(app: App, view: View, cooperative: str | None, output: str | None) -> None:
    """`register --format xlsx|ods|pdf`: the legal register, every member registered on the date
    (former members too, with their exit) and the movements of their shares."""
    from coopledger.commands.personal import resolve_joined
    from coopledger.projections.register.documents import (
        movement_chunks,
        movements_of,
        transfers_received,
    )
    from coopledger.projections.register.queries import register_chunks
    from coopledger.reports.register_document import (
        COLUMNS,
        flattened,
        merged,
        register_sheets,
        write_register_pdf,
    )
    from coopledger.reports.spreadsheet import write_ods, write_xlsx

    day, fmt = view.day, view.fmt
    with ledger_errors():
        engine = app.read_models()
        size = entries_included(app, view.known_seq)
        heading = make_heading(app, engine, view, size, cooperative, day, totals=True)
        chunks = register_chunks(engine, COLUMNS, day, size, True, identities=True)
        rows = resolve_joined(chunks, COLUMNS, app.store)
        with output_stream(output, fmt) as stream:
            if fmt == "pdf":
                with engine.connect() as conn:
                    received = transfers_received(conn, day, size)

                    def movements(members: Sequence[str]) -> dict[str, list[Any]]:
                        return merged(movements_of(conn, members, day, size), received, members)

                    pages = write_register_pdf(stream, heading, rows, movements)
                done = f"{counted(pages, 'page')}"
            else:
                sheets = register_sheets(
                    heading, flattened(rows), flattened(movement_chunks(engine, day, size))
                )
                (write_xlsx if fmt == "xlsx" else write_ods)(stream, sheets)
                done = fmt.upper()
    if output:
        click.echo(f"wrote {output}: {done}, entries 1 to {size} (checkpoint root {heading.root})")


@click.command()
@click.argument("member_id", metavar="MEMBER", shell_complete=complete_members, callback=parse_text)
@cooperative_option
@output_option
@view_options("pdf", "html", as_of=True, lang=True)
@pass_app
def certificate(app: App, view: View, member_id: str, cooperative: str | None, output: str | None) -> None:
    """A member's certificate of registration: their entry in the register on a date.

    What the register holds about MEMBER on --as-of (default today): identity, category,
    shares, paid-up capital, admission and any exit, and every movement of their shares up to
    that date, signed off with the checkpoint of the entries it reproduces (a signed one when
    the ledger recorded one for exactly those entries). In French, Dutch or English (--lang).
    A member not in the register on that date exits 1.

    \b
    Examples:
      coopledger member certificate M01 --as-of 2025-12-31 -o M01.pdf
      coopledger member certificate M01 --lang nl --format html > M01.html
      coopledger member certificate M01 --known-at ag-2025.txt -o M01-ag2025.pdf
    """
    from coopledger.commands.context import today
    from coopledger.commands.personal import resolve_joined
    from coopledger.projections.register.documents import member_line, movements_of, transfers_received
    from coopledger.reports.certificate import Certificate
    from coopledger.reports.register_document import COLUMNS, merged

    day = view.day
    with ledger_errors():
        engine = app.read_models()
        size = entries_included(app, view.known_seq)
        line = member_line(engine, member_id, COLUMNS, day, size, identities=True)
        if line is None:
            known = f" as known at {view.known_text}" if view.known_at else ""
            raise NotFound(f"{member_id} is not in the register on {day}{known}")
        timeline = app.store.timelines([ev.MEMBER + member_id], size)  # the subject index
        givers = [e.member for e in timeline if isinstance(e, ev.SharesTransferred) and e.to == member_id]
        with engine.connect() as conn:
            own = movements_of(conn, [member_id], day, size)
            received = transfers_received(conn, day, size, member_id, givers)
        heading = make_heading(app, engine, view, size, cooperative, day)
        resolved = next(iter(resolve_joined([[line]], COLUMNS, app.store)))[0]
    document = Certificate(heading, resolved, merged(own, received, [member_id]).get(member_id, []), today())
    if view.fmt == "html":
        from coopledger.reports.certificate import certificate_html

        with output_stream(output, "html") as stream:
            stream.write(certificate_html(document).encode())
    else:
        from coopledger.reports.certificate import write_certificate_pdf

        with output_stream(output, "pdf") as stream:
            write_certificate_pdf(stream, document)
    if output:
        click.echo(f"wrote {output}: {member_id} as of {day}, entries 1 to {size}")


def find_convened(engine: Any, assembly_id: str, known_seq: int | None, known_text: str | None) -> Any:
    """The assembly's figures, or exit 1 naming the assemblies that were convened."""
    from coopledger.ledger.events import FIRST_DATE, LAST_DATE
    from coopledger.projections.governance.queries import assemblies_between, find_assembly

    figures = find_assembly(engine, assembly_id, known_seq)
    if figures is None:
        known = f" as known at {known_text}" if known_text else ""
        convened = [f.assembly for f in assemblies_between(engine, FIRST_DATE, LAST_DATE, known_seq)]
        hint = did_you_mean(assembly_id, convened, "convened")
        raise NotFound(f"no assembly {assembly_id!r} was convened{known} ({hint})")
    return figures


@click.command()
@click.argument("assembly_id", metavar="ASSEMBLY", shell_complete=complete_assemblies, callback=parse_text)
@click.option(
    "--mailing",
    is_flag=True,
    help="the convocation's mailing list instead: member, name and e-mail of each member on the roll "
    "who has one (personal data)",
)
@cooperative_option
@output_option
@view_options("table", "csv", "xlsx", "pdf", lang=True)
@pass_app
def roll(
    app: App, view: View, assembly_id: str, mailing: bool, cooperative: str | None, output: str | None
) -> None:
    """An assembly's roll: the members entitled to take part, with a column to sign in.

    The members in the register at the end of the assembly's day (the date of its
    `assembly.convened`), as the rule `voter-is-member` admits them and the quorum counts
    them, with their category, shares and votes (one each, or one per share when the
    statutes say `voting` = `share`), and empty columns for a proxy holder's name and the
    signature. --mailing lists instead the e-mail addresses of the members on the roll who
    gave one, to send the convocation (personal data: keep the file no longer than needed).

    \b
    Examples:
      coopledger assembly roll AG2025 --format pdf --cooperative "Coop Example SC" -o AG2025-roll.pdf
      coopledger assembly roll AG2025 --format xlsx -o AG2025-roll.xlsx
      coopledger assembly roll AG2025 --mailing --format csv > AG2025-mailing.csv
    """
    from coopledger.commands.personal import resolve_joined
    from coopledger.commands.render import emit_chunks
    from coopledger.ledger.identity import ERASED, NOT_HELD
    from coopledger.projections.register.documents import roll_chunks, shares_on
    from coopledger.projections.register.queries import members_on
    from coopledger.reports.roll import MAILING, ROLL, RollHeading, roll_sheet, votes_of, write_roll_pdf

    fmt = view.fmt
    if mailing and fmt not in ("table", "csv"):
        raise click.UsageError("--mailing writes a table or CSV (--format csv)")
    with ledger_errors():
        engine = app.read_models()
        size = entries_included(app, view.known_seq)
        figures = find_convened(engine, assembly_id, size, view.known_text)
        day = figures.date
        if mailing:
            rows = resolve_joined(
                roll_chunks(engine, MAILING, day, size, identities=True, with_email=True), MAILING, app.store
            )
            skipped = 0

            def addressed() -> Iterator[list[tuple[Any, ...]]]:
                nonlocal skipped
                for chunk in rows:
                    kept = [row for row in chunk if row[2] not in (ERASED, NOT_HELD)]
                    skipped += len(chunk) - len(kept)
                    yield kept

            written = emit_chunks(addressed(), MAILING, fmt, lambda: f"Mailing list of {assembly_id} ({day})")
            with engine.connect() as conn:
                members = members_on(conn, day, size)
            click.echo(
                f"{assembly_id}: {written} of {counted(members, 'member')} on the roll have an e-mail address"
                + (f" ({skipped} erased or not held)" if skipped else "")
                + f"; {members - written} to convene by letter",
                err=True,
            )
            return
        columns = ["member", "name", "category", "shares"]
        rows = resolve_joined(roll_chunks(engine, columns, day, size, identities=True), columns, app.store)
        if fmt in ("table", "csv"):
            from coopledger.ledger.timeline import statutes_of

            voting = statutes_of(app.store.timelines([ev.STATUTES], size)).get("voting", day)

            def with_votes() -> Iterator[list[tuple[Any, ...]]]:
                for chunk in rows:
                    yield [(*row, votes_of(row[3], voting), None, None) for row in chunk]

            title = f"Roll of {assembly_id} ({figures.kind}, {day}): members entitled to take part"
            count = emit_chunks(with_votes(), ROLL, fmt, lambda: title)
            if fmt == "table":
                click.echo(f"\n{counted(count, 'member')} entitled")
            return
        heading = make_heading(app, engine, view, size, cooperative, day)
        with engine.connect() as conn:
            members = members_on(conn, day, size)
            shares = shares_on(conn, day, size)
        votes = shares if heading.voting == "share" else members
        document = RollHeading(heading, assembly_id, figures.kind, day, members, votes)
        with output_stream(output, fmt) as stream:
            if fmt == "pdf":
                done = counted(write_roll_pdf(stream, document, rows), "page")
            else:
                from coopledger.reports.spreadsheet import write_xlsx

                write_xlsx(stream, [roll_sheet(document, (r for chunk in rows for r in chunk))])
                done = "XLSX"
    if output:
        click.echo(f"wrote {output}: {counted(members, 'member')} entitled, {done}")


def roll_comparison(app: App, engine: Any, figures: Any, known_seq: int | None) -> dict[str, Any]:
    """The roll of an assembly beside the participation recorded: how many were entitled, took
    part in person, were represented, stayed away; who took part (or held a proxy) without being
    on the roll; and under share voting the votes present, each capped as `votes-present` caps."""
    from decimal import Decimal

    from coopledger.ledger.timeline import statutes_of
    from coopledger.projections.register.documents import participation_against_roll, shares_on

    day = figures.date
    with engine.connect() as conn:
        taking = participation_against_roll(conn, figures.assembly, day, known_seq)
        shares = shares_on(conn, day, known_seq)
    statutes = statutes_of(app.store.timelines([ev.STATUTES], known_seq))
    voting, cap = statutes.get("voting", day), statutes.get("share_vote_cap", day)
    entitled = figures.members_on_date
    present = sum(1 for t in taking if t.proxy is None)
    represented = sum(1 for t in taking if t.proxy is not None)
    on_roll = sum(1 for t in taking if t.entitled)
    data: dict[str, Any] = {
        "date": day,
        "voting": voting,
        "entitled": entitled,
        "in_person": present,
        "represented": represented,
        "absent": max(0, entitled - on_roll),
        "not_entitled": sorted(t.member for t in taking if not t.entitled),
        "proxy_not_entitled": sorted(t.proxy for t in taking if t.proxy is not None and not t.proxy_entitled),
    }
    if voting == "share":
        weights = [t.shares or 0 for t in taking if t.entitled]
        ceiling = Decimal(sum(weights)) * Decimal(cap) / 100
        data["votes_entitled"] = shares
        data["votes_present"] = sum((min(Decimal(w), ceiling) for w in weights), Decimal(0))
    return data


def show_roll_comparison(data: dict[str, Any]) -> None:
    """`assembly show`'s lines on the roll (table)."""
    click.echo(
        f"Roll of {data['date']}: {counted(data['entitled'], 'member')} entitled; "
        f"{data['in_person']} in person, {data['represented']} represented, {data['absent']} absent"
    )
    if "votes_present" in data:
        click.echo(
            f"Votes (one share, one vote): {data['votes_entitled']} on the roll, "
            f"{data['votes_present']} present or represented (capped)"
        )
    for member in data["not_entitled"]:
        click.echo(f"FLAG: {member} took part but is not on the roll of {data['date']}")
    for member in data["proxy_not_entitled"]:
        click.echo(f"FLAG: proxy holder {member} is not on the roll of {data['date']}")
