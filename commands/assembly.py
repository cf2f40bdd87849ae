"""General assemblies: `assembly convene/vote/decide/allocate/show`, and `assemblies` for a period."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from typing import IO, Any

import click
import msgspec

from coopledger.commands.completion import complete_assemblies, complete_members
from coopledger.commands.context import (
    App,
    Asked,
    BadInput,
    Choice,
    Count,
    NotFound,
    Year,
    did_you_mean,
    ledger_errors,
    parse_text,
    pass_app,
    today,
)
from coopledger.commands.desk import roll, roll_comparison, show_roll_comparison
from coopledger.commands.entering import (
    assembly_date,
    assembly_entry_options,
    choices,
    entry_options,
    plausible,
    record_at,
    record_fields,
)
from coopledger.commands.render import emit
from coopledger.commands.view import View, view_options
from coopledger.ledger import bounds
from coopledger.ledger import events as ev
from coopledger.ledger.errors import Source
from coopledger.ledger.events import FIRST_DATE, LAST_DATE
from coopledger.ledger.words import counted
from coopledger.projections.governance.queries import assemblies_between, find_assembly
from coopledger.projections.governance.summary import AssemblyFigures, participation, quorum_met

RESOLUTION = ["resolution", "title", "for", "against", "abstain", "majority", "outcome"]
PARTICIPATION = ["assembly", "date", "kind", "voters", "in_person", "by_proxy", "members_on_date"]
_json = msgspec.json.Encoder(decimal_format="string")


@click.group()
def assembly() -> None:
    """General assemblies: convene, record participation and decisions, show one assembly.

    The same events as `coopledger record assembly.convened ...`; votes,
    resolutions and allocations are dated on the assembly's day by default.
    """


@assembly.command()
@click.argument("assembly_id", metavar="ASSEMBLY")
@click.option(
    "--kind", type=Choice(choices(ev.AssemblyConvened, "kind")), default="ordinary", show_default=True
)
@entry_options
@pass_app
def convene(app: App, /, assembly_id: str, date: dt.date | None, entry_id: str | None, **fields: Any) -> None:
    """Record that a general assembly met (its date is the meeting day).

    \b
    Example:
      coopledger assembly convene AG2025 --kind ordinary --date 2025-06-17
    """
    record_fields(app, "assembly.convened", date, entry_id, assembly=assembly_id, **fields)


def read_voters(stream: IO[str], assembly_id: str, date: dt.date, **common: Any) -> list[Any]:
    """Participation lines from a CSV (header `member[,proxy]`) or a plain column of member ids.

    In-person lines come first, so a proxy holder's own line precedes the proxies they hold
    whatever the file's order; each entry keeps its line number for refusals.
    """
    name = getattr(stream, "name", "-")
    rows = [(n, [c.strip() for c in row]) for n, row in enumerate(csv.reader(stream), start=1)]
    rows = [(n, row) for n, row in rows if any(row)]
    columns = ["member"]
    if rows and rows[0][1][0].lower() == "member":
        columns = [c.lower() for c in rows.pop(0)[1]]
        if columns not in (["member"], ["member", "proxy"], ["proxy", "member"]):
            raise BadInput(
                f"{name}: line 1: the header must be member or member,proxy, not {','.join(columns)}"
            )
    problems, batch = [], []
    for number, row in rows:
        if len(row) > len(columns) or not row[0]:
            problems.append(f"line {number}: expected {','.join(columns)}, got {','.join(row)!r}")
            continue
        fields = dict(zip(columns, row, strict=False))
        try:
            entry = bounds.check_input(
                ev.AssemblyVoted(
                    assembly=assembly_id,
                    member=fields["member"],
                    proxy=fields.get("proxy") or None,
                    date=date,
                    **common,
                )
            )
        except msgspec.ValidationError as e:
            problems.append(f"line {number}: {str(e).replace('at `$.', 'field `')}")
            continue
        batch.append((entry, Source(name, number)))
    if problems:
        raise BadInput(f"{name}: {len(problems)} unreadable lines\n  " + "\n  ".join(problems))
    return sorted(batch, key=lambda line: line[0].proxy is not None)


@assembly.command()
@click.argument("assembly_id", metavar="ASSEMBLY", shell_complete=complete_assemblies)
@click.argument("member_id", metavar="MEMBER", required=False, shell_complete=complete_members)
@click.option("--proxy", help="member who holds MEMBER's proxy (and takes part in person)")
@click.option(
    "--from-file",
    "voters",
    type=click.File("r", encoding="utf-8-sig"),
    help="the participation list: CSV with a header member[,proxy], or one member id a line",
)
@assembly_entry_options
@pass_app
def vote(
    app: App,
    /,
    assembly_id: str,
    member_id: str | None,
    proxy: str | None,
    voters: IO[str] | None,
    date: dt.date | None,
    entry_id: str | None,
    **common: Any,
) -> None:
    """Record that members took part in an assembly's votes (never how they voted).

    One member, or a whole participation list in one transaction: if any line
    is refused, every refused line is listed (with its line number and the rule
    it breaks) and nothing is written.

    \b
    Examples:
      coopledger assembly vote AG2025 S7
      coopledger assembly vote AG2025 S8 --proxy S7
      coopledger assembly vote AG2025 --from-file voters.csv
    """
    if (member_id is None) == (voters is None):
        raise click.UsageError("give either MEMBER or --from-file")
    if voters is None:
        fields = {"member": member_id, "proxy": proxy, **common}
        record_at(app, assembly_id, "assembly.voted", date, entry_id=entry_id, **fields)
        return
    if proxy or entry_id or common.pop("confirm"):
        raise click.UsageError("--proxy, --id and --confirm go with MEMBER, not --from-file")
    day = date or assembly_date(app, assembly_id) or today()
    allow_future, allow_early = common.pop("allow_future"), common.pop("allow_early")
    batch = read_voters(voters, assembly_id, day, **{k: v for k, v in common.items() if v is not None})
    plausible(app, [entry for entry, _ in batch[:1]], allow_future, allow_early)
    with ledger_errors():
        added = app.ledger.record(batch).added
    by_proxy = sum(1 for e in added if isinstance(e, ev.AssemblyVoted) and e.proxy)
    click.echo(
        f"{assembly_id}: {len(added)} took part ({len(added) - by_proxy} in person, {by_proxy} by proxy)"
    )


@assembly.command()
@click.argument("assembly_id", metavar="ASSEMBLY", shell_complete=complete_assemblies)
@click.argument("resolution")
@click.option("--title", cls=Asked, required=True)
@click.option("--for", "votes_for", type=Count(), cls=Asked, required=True, help="votes for")
@click.option("--against", type=Count(), cls=Asked, required=True)
@click.option("--abstain", type=Count(), default=0, show_default=True)
@click.option(
    "--majority",
    type=Choice(choices(ev.ResolutionDecided, "majority")),
    default="simple",
    show_default=True,
    help="the majority the resolution needs (abstentions are not counted)",
)
@assembly_entry_options
@pass_app
def decide(
    app: App, /, assembly_id: str, votes_for: int, date: dt.date | None, entry_id: str | None, **fields: Any
) -> None:
    """Record a resolution's counts; adopted or rejected follows from the majority and the quorum.

    \b
    Example:
      coopledger assembly decide AG2025 R1 --title "Approval of the 2024 accounts" \\
          --for 1480 --against 31 --abstain 18
    """
    record_at(app, assembly_id, "resolution.decided", date, entry_id=entry_id, **{"for": votes_for}, **fields)


@assembly.command()
@click.argument("assembly_id", metavar="ASSEMBLY", shell_complete=complete_assemblies)
@click.option(
    "--year",
    type=Year(),
    cls=Asked,
    required=True,
    help="the fiscal year whose result is allocated, as `--year` of `report` counts it",
)
@click.option("--reserves", help="amount put in the reserves, in euros")
@click.option("--dividend-rate", help="dividend in % of the paid-up capital (at most the statutes' cap)")
@assembly_entry_options
@pass_app
def allocate(
    app: App, /, assembly_id: str, date: dt.date | None, entry_id: str | None, **fields: Any
) -> None:
    """Record how the assembly allocated a fiscal year's result.

    \b
    Example:
      coopledger assembly allocate AG2025 --year 2024 --reserves 1250.00 --dividend-rate 0
    """
    record_at(app, assembly_id, "result.allocated", date, entry_id=entry_id, **fields)


def resolution_rows(figures: AssemblyFigures) -> list[dict[str, Any]]:
    return [{**r._asdict(), "for": r.for_} for r in figures.resolutions]


def assembly_data(figures: AssemblyFigures) -> dict[str, Any]:
    allocation = figures.allocation._asdict() if figures.allocation else None
    return {
        **{c: getattr(figures, c) for c in PARTICIPATION},
        "participation_pct": participation(figures),
        "quorum_pct": figures.quorum,
        "quorum_met": quorum_met(figures.voters, figures.members_on_date, figures.quorum),
        "resolutions": [{c: row[c] for c in RESOLUTION} for row in resolution_rows(figures)],
        "allocation": allocation,
    }


def show_table(figures: AssemblyFigures) -> None:
    data = assembly_data(figures)
    share = f" ({data['participation_pct']} %)" if data["participation_pct"] is not None else ""
    click.echo(f"Assembly {figures.assembly}: {figures.kind}, {figures.date}")
    click.echo(
        f"Participation: {figures.voters} of {counted(figures.members_on_date, 'member')}{share}: "
        f"{figures.in_person} in person, {figures.by_proxy} by proxy"
    )
    if figures.quorum:
        click.echo(f"Quorum: {figures.quorum} % of the members, {'met' if data['quorum_met'] else 'NOT met'}")
    if figures.resolutions:
        click.echo("")
        emit(resolution_rows(figures), RESOLUTION, "table")
    else:
        click.echo("No resolutions recorded.")
    if figures.allocation is not None:
        year, reserves, rate = figures.allocation
        click.echo(
            f"\nResult {year}: reserves {reserves if reserves is not None else '-'}, dividend rate {rate} %"
        )


@assembly.command()
@click.argument("assembly_id", metavar="ASSEMBLY", shell_complete=complete_assemblies, callback=parse_text)
@view_options("table", "json", "csv")
@pass_app
def show(app: App, view: View, assembly_id: str) -> None:
    """One assembly: date, kind, participation, resolutions with their counts and outcome.

    \b
    Examples:
      coopledger assembly show AG2025
      coopledger assembly show AG2025 --known-at 2025-07-01 --format json
    """
    with ledger_errors():
        figures = find_assembly(app.read_models(), assembly_id, view.known_seq)
    if figures is None:
        known = f" as known at {view.known_text}" if view.known_at else ""
        with ledger_errors():
            convened = [f.assembly for f in assemblies_between(app.read_models(), FIRST_DATE, LAST_DATE)]
        hint = did_you_mean(assembly_id, convened, "convened")
        raise NotFound(f"no assembly {assembly_id!r} was convened{known} ({hint})")
    with ledger_errors():  # the roll of the assembly's day beside the participation recorded
        checked = roll_comparison(app, app.read_models(), figures, view.known_seq)
    if view.fmt == "json":
        sys.stdout.write(_json.encode({**assembly_data(figures), "roll": checked}).decode() + "\n")
    elif view.fmt == "csv":
        base = {c: getattr(figures, c) for c in PARTICIPATION}
        rows = [{**base, **row} for row in resolution_rows(figures)] or [base]
        emit(rows, PARTICIPATION + RESOLUTION, "csv")
    else:
        show_table(figures)
        click.echo("")
        show_roll_comparison(checked)


assembly.add_command(roll)


@click.command()
@view_options("table", "json", "csv", period=True)
@pass_app
def assemblies(app: App, view: View) -> None:
    """The assemblies held in a period, with participation and how many resolutions passed.

    \b
    Examples:
      coopledger assemblies --year 2025
      coopledger assemblies --from 2020-01-01 --to 2025-12-31 --format csv
    """
    first, last = view.period
    with ledger_errors():
        found = assemblies_between(app.read_models(), first, last, view.known_seq)
    rows = [
        {
            **{c: getattr(f, c) for c in PARTICIPATION},
            "participation_pct": participation(f),
            "resolutions": len(f.resolutions),
            "adopted": sum(r.outcome == "adopted" for r in f.resolutions),
        }
        for f in found
    ]
    columns = [*PARTICIPATION, "participation_pct", "resolutions", "adopted"]
    emit(rows, columns, view.fmt, f"Assemblies from {first} to {last}")
