"""What each page shows, computed with the same queries and folds as the commands.

Each function takes the read-only ledger, the page's `View` (as of, known at, language) and
its own arguments, and returns plain data for its template. Nothing here formats HTML: the
templates do, with autoescape.
"""

from __future__ import annotations

import datetime as dt
import json
from array import array
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import ColumnElement, Select, and_, func, select

from coopledger.commands.board import holder_flags, how
from coopledger.commands.personal import resolve_names, resolve_rows, reveal
from coopledger.commands.render import entry_row
from coopledger.commands.report import last_seq
from coopledger.commands.view import View, fiscal_period
from coopledger.ledger import events as ev
from coopledger.ledger import scan
from coopledger.ledger.events import FIRST_DATE
from coopledger.ledger.timeline import live_entries, retractions
from coopledger.projections import read_models
from coopledger.projections.figures.compute import EXITS, Scope, compute, sum_in_cents, tallies
from coopledger.projections.figures.data import flatten, to_data
from coopledger.projections.figures.series import month_ends, series
from coopledger.projections.governance.queries import assemblies_between, board_as_of, bodies, find_assembly
from coopledger.projections.governance.summary import participation, quorum_met
from coopledger.projections.problems import problems
from coopledger.projections.register.fold import Spell, member_history
from coopledger.projections.register.queries import in_force_on
from coopledger.projections.register.schema import spells
from coopledger.projections.tables import known_at
from coopledger.reports.labels import figure_label
from coopledger.reports.text import Style
from coopledger.web import charts
from coopledger.web.source import ReadOnlyLedger
from coopledger.web.words import Words

HIDDEN = "[hidden]"
PERSONAL = ("address", "email")
REGISTER = ["member", "name", "category", "shares", "paid_up", "admitted", "founder"]
FORMER = ["status", "exit_date", "exit_kind", "exit_reason"]
SORTS = ("member", "category", "shares", "paid_up", "admitted", "exit_date")
STATUSES = ("member", "former", "all")
PER_PAGE = (50, 100, 250, 500)
CSV_CHUNK = 2_000


class NotInLedger(LookupError):
    """What the URL names is not in the ledger (as known then): the page answers 404."""


# ---------------------------------------------------------------- the register


@dataclass(frozen=True)
class RegisterQuery:
    """The register's filters, order and page, as read from the URL."""

    status: str = "member"
    category: str = ""
    prefix: str = ""
    sort: str = "member"
    descending: bool = False
    page: int = 1
    per: int = 100

    def columns(self, personal: bool) -> list[str]:
        shown = REGISTER + (list(PERSONAL) if personal else [])
        return shown + FORMER if self.status != "member" else shown


def _register_filter(view: View, query: RegisterQuery) -> list[ColumnElement[bool]]:
    """The register's own condition (`projections.register.queries`), then the page's filters."""
    where = [known_at(spells, view.known_seq), in_force_on(view.day)]
    if query.status != "all":
        where.append(spells.c.status == query.status)
    if query.category:
        where.append(spells.c.category == query.category)
    if query.prefix:
        where.append(spells.c.member.startswith(query.prefix, autoescape=True))
    return where


def _ordered(statement: Select[Any], query: RegisterQuery) -> Select[Any]:
    column = spells.c[query.sort]
    keys = [column.desc() if query.descending else column.asc()]
    if query.sort != "member":
        keys.append(spells.c.member.desc() if query.descending else spells.c.member.asc())
    return statement.order_by(*keys)


def register_page(ledger: ReadOnlyLedger, view: View, query: RegisterQuery, personal: bool) -> dict[str, Any]:
    """One page of the register on `view.day`, filtered and sorted, with the total and the categories."""
    where = _register_filter(view, query)
    columns = query.columns(personal)

    def categories() -> list[str]:
        everyone = [known_at(spells, view.known_seq), in_force_on(view.day)]
        with ledger.engine.connect() as conn:
            found = conn.execute(select(spells.c.category).where(*everyone).distinct())
            return sorted(found.scalars())

    def order() -> array[int]:
        statement = _ordered(select(spells.c.id).where(*where), query)
        with ledger.engine.connect() as conn:
            return array("q", conn.execute(statement).scalars())

    key = (view.day, view.known_seq, query.status, query.category, query.prefix, query.sort, query.descending)
    ids = ledger.cached(("order", *key), order, bucket="orders")
    total = len(ids)
    pages = max(1, -(-total // query.per))
    page = min(query.page, pages)
    wanted = list(ids[(page - 1) * query.per : page * query.per])
    with ledger.engine.connect() as conn:
        found = conn.execute(
            select(spells.c.id, *[spells.c[c] for c in columns]).where(spells.c.id.in_(wanted))
        )
        by_id = {row[0]: row[1:] for row in found}
    rows = [by_id[i] for i in wanted if i in by_id]  # none missing, unless `rebuild` ran since
    return {
        "columns": columns,
        "rows": resolve_rows(ledger.store, rows, columns),
        "total": total,
        "page": page,
        "pages": pages,
        "categories": ledger.cached(("categories", view.day, view.known_seq), categories),
    }


def register_csv(
    ledger: ReadOnlyLedger, view: View, query: RegisterQuery, personal: bool
) -> Generator[list[Any], None, None]:
    """Every row of the filtered register, in the page's order, a chunk at a time (header first)."""
    columns = query.columns(personal)
    yield [columns]
    statement = _ordered(select(*[spells.c[c] for c in columns]).where(*_register_filter(view, query)), query)
    with ledger.engine.connect() as conn:
        for page in scan.pages(conn, statement, CSV_CHUNK):  # as `register` reads its rows
            yield resolve_rows(ledger.store, page, columns)


# ---------------------------------------------------------------- a member


def _hidden(entry: ev.Entry) -> ev.Entry:
    """An entry with its address and e-mail replaced, when the view hides personal data."""
    changes = {name: HIDDEN for name in PERSONAL if getattr(entry, name, None) is not None}
    return msgspec.structs.replace(entry, **changes) if changes else entry


def member_page(ledger: ReadOnlyLedger, view: View, member_id: str, personal: bool) -> dict[str, Any]:
    """Everything about one member as `member show` and `history` give it, and their register lines."""
    store = ledger.store
    timeline = store.timelines([ev.MEMBER + member_id], view.known_seq)
    if not timeline:
        raise NotInLedger(member_id)
    withdrawn: dict[str, ev.Entry] = dict(retractions(timeline))
    live = {e.seq for e in live_entries(timeline)}
    entries = reveal(store, sorted(timeline, key=ev.effective_order))
    if not personal:
        entries = [_hidden(e) for e in entries]
    lines, moves = member_history(member_id, timeline, view.known_seq)
    lines = [Spell._make(row) for row in resolve_rows(store, lines, Spell._fields)]
    current = next(
        (s for s in lines if s.valid_from <= view.day and (s.valid_to is None or view.day < s.valid_to)), None
    )
    identity = []
    # By the sequence numbers of their entries (the identity store's key), not by subject (a scan).
    seqs = [e.seq for e in timeline if e.seq and getattr(e, "identity", None)]
    for record in sorted(store.identities(seqs).values(), key=lambda r: r.seq):
        if record.subject == member_id and (view.known_seq is None or record.seq <= view.known_seq):
            fields = json.loads(record.fields)
            if not personal:
                fields = {k: (HIDDEN if k in PERSONAL else v) for k, v in fields.items()}
            identity.append({"seq": record.seq, **fields})
    return {
        "member": member_id,
        "identity": identity,
        # no identity shown: erased ([erased]), or never held ([not held], a pseudonymous import)
        "erased": any(isinstance(e, ev.IdentityErased) for e in timeline),
        "current": current,
        "lines": lines,
        "moves": moves,
        "entries": [entry_row(e, withdrawn) for e in entries],
        "mandates": [e for e in entries if isinstance(e, ev.MandateEntry) and e.seq in live],
        "votes": [e for e in entries if isinstance(e, ev.AssemblyVoted) and e.seq in live],
    }


# ---------------------------------------------------------------- the board


def board_page(ledger: ReadOnlyLedger, view: View, body: str) -> dict[str, Any]:
    """A body on `view.day` as `board` shows it: holders and how, vacancies, ends within 12 months, flags."""
    engine = ledger.engine

    def compute_board() -> dict[str, Any]:
        known = sorted({"board", *bodies(engine, view.known_seq)})
        if body not in known:
            raise NotInLedger(body)
        found = board_as_of(engine, view.day, view.known_seq, body)
        resolved = resolve_names(ledger.store, found.holders)
        named = {id(h): r for h, r in zip(found.holders, resolved, strict=True)}
        found = found._replace(holders=list(named.values()), ending=[named[id(h)] for h in found.ending])
        flagged = holder_flags(engine, found, view.known_seq)
        return {
            "bodies": known,
            "board": found,
            "holders": [(h, how(h), flagged.get(h.person, [])) for h in found.holders],
        }

    return ledger.cached(("board", body, view.day, view.known_seq), compute_board)


# ---------------------------------------------------------------- assemblies


def assemblies_page(ledger: ReadOnlyLedger, view: View, words: Words, style: Style) -> dict[str, Any]:
    """Every assembly held up to `view.day`, with participation, and its chart."""
    found = assemblies_of(ledger, FIRST_DATE, view.day, view.known_seq)
    rows = [(f, participation(f), sum(r.outcome == "adopted" for r in f.resolutions)) for f in found]
    chart = charts.bars(
        words["participation_chart"],
        [f.assembly for f in found],
        [(words["participation"], [float(p or 0) for _, p, _ in rows])],
        style.thousands,
        words["no_assemblies"],
        suffix=" %",
    )
    return {"rows": rows, "chart": chart}


def assembly_page(ledger: ReadOnlyLedger, view: View, assembly_id: str) -> dict[str, Any]:
    figures = ledger.cached(
        ("assembly", assembly_id, view.known_seq),
        lambda: find_assembly(ledger.engine, assembly_id, view.known_seq),
    )
    if figures is None:
        raise NotInLedger(assembly_id)
    return {
        "a": figures,
        "participation": participation(figures),
        "quorum_met": quorum_met(figures.voters, figures.members_on_date, figures.quorum),
    }


# ---------------------------------------------------------------- the year's report


def report_period(ledger: ReadOnlyLedger, view: View, year: int | None) -> tuple[dt.date, dt.date, int]:
    """The fiscal year `year` of the statutes as known then (`commands.view.fiscal_period`);
    by default the one holding `view.day`."""
    if year is not None:
        return fiscal_period(ledger, year, view.known_seq)  # type: ignore[arg-type]
    start, end, year = fiscal_period(ledger, view.day.year, view.known_seq)  # type: ignore[arg-type]
    if view.day < start:
        return fiscal_period(ledger, year - 1, view.known_seq)  # type: ignore[arg-type]
    return (start, end, year) if view.day <= end else fiscal_period(ledger, year + 1, view.known_seq)  # type: ignore[arg-type]


def report_figures(ledger: ReadOnlyLedger, view: View, start: dt.date, end: dt.date) -> Any:
    """The report's figures as `report` computes them, as known after one entry fixed once."""

    def figures() -> Any:
        seq = last_seq(ledger.engine, view.known_seq)
        return compute(ledger.engine, ledger.store, start, end, seq, view.known_text), seq

    return ledger.cached(("report", start, end, view.known_seq), figures)


GROUPS = ("members", "capital", "assemblies", "result_allocation", "board")


def report_page(ledger: ReadOnlyLedger, view: View, start: dt.date, end: dt.date) -> dict[str, Any]:
    figures, _ = report_figures(ledger, view, start, end)
    style = Style(view.lang)
    flat = flatten(to_data(figures))
    groups = [
        (
            group,
            [
                (figure_label(k, view.lang, start, end, style.day), style.figure(k, v))
                for k, v in flat.items()
                if k.startswith(group + ".")
            ],
        )
        for group in GROUPS
    ]
    return {"figures": figures, "groups": [(g, rows) for g, rows in groups if rows]}


def report_document(ledger: ReadOnlyLedger, view: View, start: dt.date, end: dt.date, year: int) -> str:
    """The special report in HTML, with its chart, exactly as `report --format html` writes it."""
    from coopledger.reports.charts import inline_svg, members_chart
    from coopledger.reports.options import ReportOptions
    from coopledger.reports.text import render

    figures, seq = report_figures(ledger, view, start, end)

    def document() -> str:
        options = ReportOptions(
            start=start, end=end, year=year, known_at=view.known_at, fmt="html", lang=view.lang
        )
        style = Style(view.lang)
        svg = inline_svg(members_chart(series(ledger.engine, start, end, seq), style))
        return render(options, figures, None, svg)

    return ledger.cached(("document", start, end, year, view.known_seq, view.lang), document)


# ---------------------------------------------------------------- the overview and its charts


def capital_series(
    engine: Any, start: dt.date, end: dt.date, seq: int
) -> tuple[list[dt.date], list[int], list[int], list[int]]:
    """Shares, subscribed and paid-up capital (in cents) at the end of each month of the period.

    As `projections.figures.series` counts members: the opening position (`tallies` on the
    eve), then the register lines that begin and end in the period, summed by date.
    """
    days = month_ends(start, end)
    eve = days[0]
    member = and_(known_at(spells, seq), spells.c.status == "member")
    steps: dict[dt.date, list[int]] = {}
    with engine.connect() as conn:
        opening = tallies(conn, start, start, (eve,), Scope(seq)).get(seq)
        level = [0, 0, 0]
        for (_, _), values in opening.positions.items() if opening else ():
            level = [a + b for a, b in zip(level, values[1:], strict=True)]
        sums = (
            func.sum(spells.c.shares),
            sum_in_cents(spells.c.shares * spells.c.share_price),
            sum_in_cents(spells.c.paid_up),
        )
        for column, sign in ((spells.c.valid_from, 1), (spells.c.valid_to, -1)):
            query = select(column, *sums).where(member, column > eve, column <= end).group_by(column)
            for day, *values in conn.execute(query):
                step = steps.setdefault(day, [0, 0, 0])
                for i, value in enumerate(values):
                    step[i] += sign * int(value or 0)
    changes = sorted(steps.items())
    found: tuple[list[int], list[int], list[int]] = ([], [], [])
    at = 0
    for day in days[1:]:
        while at < len(changes) and changes[at][0] <= day:
            level = [a + b for a, b in zip(level, changes[at][1], strict=True)]
            at += 1
        for i in range(3):
            found[i].append(level[i])
    return days[1:], *found


def assemblies_of(ledger: ReadOnlyLedger, start: dt.date, end: dt.date, known_seq: int | None) -> list[Any]:
    """`assemblies_between`, once per period and ledger head (it counts the members of each date)."""
    return ledger.cached(
        ("assemblies", start, end, known_seq),
        lambda: assemblies_between(ledger.engine, start, end, known_seq),
    )


def overview_page(
    ledger: ReadOnlyLedger, view: View, years: int, words: Words, style: Style
) -> dict[str, Any]:
    """Members and capital on `view.day`, and the charts of the `years` years up to it."""
    engine = ledger.engine

    def first_year() -> int:
        with engine.connect() as conn:
            found = conn.execute(
                select(func.min(spells.c.valid_from)).where(known_at(spells, view.known_seq))
            )
            first = found.scalar()
        return first.year if first else view.day.year

    opened = ledger.cached(("first", view.known_seq), first_year)
    start = dt.date(max(FIRST_DATE.year + 1, view.day.year - years + 1, min(opened, view.day.year)), 1, 1)

    def compute_data() -> dict[str, Any]:
        seq = last_seq(engine, view.known_seq)
        drawn = series(engine, start, view.day, seq)
        days, shares, subscribed, paid = capital_series(engine, start, view.day, seq)
        assemblies = assemblies_of(ledger, start, view.day, view.known_seq)
        return {
            "series": drawn,
            "days": days,
            "subscribed": [cents / 100 for cents in subscribed],
            "paid": [cents / 100 for cents in paid],
            "members": sum(counts[-1] for counts in drawn.members.values()),
            "shares": shares[-1] if shares else 0,
            "assemblies": [(a, participation(a)) for a in assemblies],
        }

    data = ledger.cached(("overview", start, view.day, view.known_seq), compute_data)
    drawn = data["series"]
    months = [style.month(m, len(drawn.months)) for m in drawn.months]
    ends = [style.month(d.replace(day=1), len(data["days"])) for d in data["days"]]
    member_lines = [(f"{words['category']} {c}", v[1:]) for c, v in drawn.members.items()]
    return {
        **data,
        "start": start,
        "months": months,
        "member_chart": charts.lines(
            words["chart_members"], ends, member_lines, style.thousands, words["no_data"]
        ),
        "movement_chart": charts.bars(
            words["chart_movements"],
            months,
            [(words["admissions"], drawn.admitted)],
            style.thousands,
            words["no_data"],
            down=[(words[kind], drawn.exits[kind]) for kind in EXITS],
            colours=("#4f8a5b", "#c8553d", "#8d6a9f", "#3d3d3d"),
        ),
        "capital_chart": charts.lines(
            words["chart_capital"],
            ends,
            [(words["subscribed"], data["subscribed"]), (words["paid_up"], data["paid"])],
            style.thousands,
            words["no_data"],
        ),
        "participation_chart": charts.bars(
            words["participation_chart"],
            [a.assembly for a, _ in data["assemblies"]],
            [(words["participation"], [float(p or 0) for _, p in data["assemblies"]])],
            style.thousands,
            words["no_assemblies"],
            suffix=" %",
        ),
    }


# ---------------------------------------------------------------- the ledger's state


def ledger_page(ledger: ReadOnlyLedger, view: View) -> dict[str, Any]:
    """The last entry, the last checkpoint, the read models' positions and the secretary's flags."""
    store = ledger.store
    head = store.head()
    checkpoints = store.checkpoint_rows()
    at = read_models.positions(ledger.engine)
    raised = ledger.cached(
        ("flags", view.day, view.known_seq),
        lambda: problems(ledger.engine, store, view.day, view.known_seq),
    )
    return {
        "last": head,
        "checkpoint": checkpoints[-1] if checkpoints else None,
        "checkpoints": len(checkpoints),
        "positions": sorted(at.items()),
        "lagging": [name for name, seq in at.items() if seq != (head.seq if head else 0)],
        "flags": raised,
    }


def money(value: Decimal | float | None, style: Style) -> str:
    return "—" if value is None else style.money(Decimal(str(value)))


def cells(row: Sequence[Any], style: Style) -> list[str]:
    return [style.value(v) for v in row]
