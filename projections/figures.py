"""The year's figures, computed in SQL on the persisted read models.

Every membership and capital figure is a sum over register rows: spells (a
position on a date) or movements (a flow within the period), counted as
known after one sequence number. So a report is reproducible: same period,
same sequence number, same figures, whatever was recorded since. Grouping
the same sums by the entry that added or withdrew each row explains a
restatement entry by entry (`restatement`). Assemblies and the board come
from the governance read models (`projections.governance_queries`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Connection, Engine, and_, case, cast, func, or_, select

from ledger import events as ev
from projections.governance_queries import AssemblyFigures, BoardFigures, assemblies_between, board_figures
from projections.queries import known_at
from projections.schema import movements, spells
from projections.source import EntrySource

GENESIS = "0" * 64  # the chain hash before the first entry
REASONS = ("death", "end_of_employment", "bankruptcy", "other")
EXITS = ("resigned", "left", "excluded")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Provenance:
    """What a report was computed from: enough to re-run it and get the same bytes.

    `fingerprint` is the chain hash of entry `last_seq`, which covers every
    entry before it; `known_at` is the moment asked for (None: as recorded
    up to `last_seq`).
    """

    known_at: str | None
    last_seq: int
    last_recorded: str | None
    fingerprint: str


@dataclass(frozen=True)
class Members:
    """Members at the start and end of the period, and the movements in between."""

    at_start: int
    by_category_at_start: dict[str, int]
    applied: int
    admitted: int
    admission_refused: int
    resigned: int
    left_by_right: int
    left_by_right_by_reason: dict[str, int]
    excluded: int
    exit_requested: int
    exit_refused: int
    category_changes: int
    total_at_end: int
    by_category_at_end: dict[str, int]


@dataclass(frozen=True)
class Capital:
    """The share capital on a date: shares held, subscribed at their price, paid up."""

    shares: int
    subscribed: Decimal
    paid_up: Decimal
    shares_by_category: dict[str, int]


@dataclass(frozen=True)
class Flow:
    """Shares moved in the period and what they were worth."""

    shares: int
    amount: Decimal


@dataclass(frozen=True)
class CapitalFigures:
    """Capital at the start (eve of the first day) and end of the period, and its flows.

    `subscribed` counts shares taken on admission and later, at the member's
    share price; `transferred` is at nominal value; `redeemed` is what the
    cooperative paid back for shares it bought back; `withdrawn` the shares
    and paid-up capital of members who left.
    """

    at_start: Capital
    at_end: Capital
    subscribed: Flow
    paid: Decimal
    transferred: Flow
    redeemed: Flow
    withdrawn: Flow


@dataclass(frozen=True)
class Figures:
    """Everything the annual report states, for one period as known after one entry."""

    start: dt.date
    end: dt.date
    provenance: Provenance
    members: Members
    capital: CapitalFigures
    assemblies: tuple[AssemblyFigures, ...]
    board: BoardFigures


@dataclass(frozen=True)
class Scope:
    """Which read-model rows count.

    `since` None: the rows known after entry `seq`, one report. Otherwise the
    rows each entry in (since, seq] added (+) or withdrew (-), keyed by that
    entry's sequence number: the sums then say what each entry changed.
    """

    seq: int
    since: int | None = None

    def views(self, table: Any) -> list[tuple[int, Any, Any]]:
        """(sign, key column or None, row filter) for each pass over `table`."""
        if self.since is None:
            return [(1, None, known_at(table, self.seq))]
        window = (self.since, self.seq)
        return [
            (1, table.c.known_from, and_(table.c.known_from > window[0], table.c.known_from <= window[1])),
            (-1, table.c.known_to, and_(table.c.known_to > window[0], table.c.known_to <= window[1])),
        ]


@dataclass
class Tally:
    """Signed raw sums: positions per (date, category), flows per (kind, reason)."""

    # (date, category) -> [members, shares, subscribed cents, paid-up cents]
    positions: dict[tuple[dt.date, str], list[int]]
    # (kind, reason of a departure by right) -> [rows, shares, amount cents]
    flows: dict[tuple[str, str | None], list[int]]


def _cents(expr: Any) -> Any:
    """Sum of euro amounts as whole cents: exact on SQLite (REAL) and PostgreSQL alike."""
    return func.coalesce(func.sum(cast(func.round(expr * 100), BigInteger)), 0)


def new_tally() -> Tally:
    return Tally(defaultdict(lambda: [0, 0, 0, 0]), defaultdict(lambda: [0, 0, 0]))


def tallies(
    conn: Connection, start: dt.date, end: dt.date, days: Iterable[dt.date], scope: Scope
) -> dict[int, Tally]:
    """The raw sums for the period, per sequence number of the scope.

    Positions are taken at the end of each of `days`; flows over movements
    dated in [start, end].
    """
    found: dict[int, Tally] = defaultdict(new_tally)
    days = sorted(set(days))
    s = spells.c
    # One scan for every date: the rows are grouped by which of the dates they are in force on.
    flags = [
        case((and_(s.valid_from <= d, or_(s.valid_to.is_(None), s.valid_to > d)), 1), else_=0) for d in days
    ]
    sums = [func.count(), func.sum(s.shares), _cents(s.shares * s.share_price), _cents(s.paid_up)]
    for sign, key, known in scope.views(spells) if days else ():
        # No date range in the filter: nearly every row is in range, and a scan beats the index.
        query = select(s.category, *flags, *sums).where(known, s.status == "member")
        for seq, row in _grouped(conn, query, key, scope.seq, s.category, *flags):
            for day, in_force in zip(days, row[1 : 1 + len(days)], strict=True):
                if in_force:
                    totals = found[seq].positions[(day, row[0])]
                    for j, value in enumerate(row[1 + len(days) :]):
                        totals[j] += sign * int(value)
    price = spells.alias("price")
    m = movements.c
    # The share price in force for the member on the movement's date, as known with the movement.
    share_price = (
        select(price.c.share_price)
        .where(
            price.c.member == m.member,
            price.c.valid_from <= m.date,
            price.c.known_from <= m.known_from,
            or_(price.c.known_to.is_(None), price.c.known_to > m.known_from),
        )
        .order_by(price.c.valid_from.desc())
        .limit(1)
        .scalar_subquery()
    )
    amount = case((m.kind.in_(("admitted", "transferred")), m.count * share_price), else_=m.amount)
    reason = case((m.kind == "left", m.reason), else_=None)
    for sign, key, known in scope.views(movements):
        query = select(
            m.kind, reason, func.count(), func.coalesce(func.sum(m.count), 0), _cents(amount)
        ).where(known, m.date >= start, m.date <= end)
        for seq, row in _grouped(conn, query, key, scope.seq, m.kind, reason):
            totals = found[seq].flows[(row[0], row[1])]
            for i, value in enumerate(row[2:]):
                totals[i] += sign * int(value)
    return dict(found)


def _grouped(
    conn: Connection, query: Any, key: Any, seq: int, *columns: Any
) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Run an aggregate grouped by `columns`, and by `key` when given; yield (seq, row)."""
    if key is None:
        for row in conn.execute(query.group_by(*columns)):
            yield seq, tuple(row)
        return
    for row in conn.execute(query.add_columns(key).group_by(*columns, key)):
        yield int(row[-1]), tuple(row[:-1])


def _euros(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def members_of(tally: Tally, start: dt.date, end: dt.date) -> Members:
    """Member figures from a tally: positions on the eve of `start` and on `end`."""
    eve = start - dt.timedelta(days=1)
    categories = sorted({c for (day, c) in tally.positions if day in (eve, end)})
    flows = tally.flows

    def at(day: dt.date) -> dict[str, int]:
        return {c: tally.positions.get((day, c), [0])[0] for c in categories}

    def rows(kind: str) -> int:
        return sum(v[0] for (k, _), v in flows.items() if k == kind)

    by_reason = {r: flows.get(("left", r), [0])[0] for r in REASONS}
    return Members(
        at_start=sum(at(eve).values()),
        by_category_at_start=at(eve),
        applied=rows("applied"),
        admitted=rows("admitted"),
        admission_refused=rows("refused"),
        resigned=rows("resigned"),
        left_by_right=rows("left"),
        left_by_right_by_reason=by_reason,
        excluded=rows("excluded"),
        exit_requested=rows("exit_requested"),
        exit_refused=rows("exit_refused"),
        category_changes=rows("category_changed"),
        total_at_end=sum(at(end).values()),
        by_category_at_end=at(end),
    )


def capital_of(tally: Tally, start: dt.date, end: dt.date) -> CapitalFigures:
    """Capital figures from a tally."""
    eve = start - dt.timedelta(days=1)
    categories = sorted({c for (day, c) in tally.positions if day in (eve, end)})

    def position(day: dt.date) -> Capital:
        rows = [tally.positions.get((day, c), [0, 0, 0, 0]) for c in categories]
        return Capital(
            shares=sum(r[1] for r in rows),
            subscribed=_euros(sum(r[2] for r in rows)),
            paid_up=_euros(sum(r[3] for r in rows)),
            shares_by_category={c: r[1] for c, r in zip(categories, rows, strict=True)},
        )

    def flow(*kinds: str) -> Flow:
        found = [v for (k, _), v in tally.flows.items() if k in kinds]
        return Flow(sum(v[1] for v in found), _euros(sum(v[2] for v in found)))

    return CapitalFigures(
        at_start=position(eve),
        at_end=position(end),
        subscribed=flow("admitted", "subscribed"),
        paid=flow("paid").amount,
        transferred=flow("transferred"),
        redeemed=flow("redeemed"),
        withdrawn=flow(*EXITS),
    )


def provenance(source: EntrySource, seq: int, known: str | None) -> Provenance:
    """Name the last entry a report includes and fingerprint the ledger up to it."""
    last = next(source.entries(seq - 1, seq), None) if seq else None
    return Provenance(
        known_at=known,
        last_seq=seq,
        last_recorded=last.recorded if last else None,
        fingerprint=(last.hash or GENESIS) if last else GENESIS,
    )


def compute(
    engine: Engine, source: EntrySource, start: dt.date, end: dt.date, seq: int, known: str | None = None
) -> Figures:
    """The period's figures as known after entry `seq` (the caller fixes `seq` once).

    `known` is the --known-at moment the caller asked for (UTC, as recorded
    times are written), only to be stated in the provenance.
    """
    eve = start - dt.timedelta(days=1)
    with engine.connect() as conn:
        tally = tallies(conn, start, end, (eve, end), Scope(seq)).get(seq, new_tally())
    return Figures(
        start=start,
        end=end,
        provenance=provenance(source, seq, known),
        members=members_of(tally, start, end),
        capital=capital_of(tally, start, end),
        assemblies=tuple(assemblies_between(engine, start, end, seq)),
        board=board_figures(engine, start, end, seq),
    )


# -- the figures as data (JSON, CSV, templates) -------------------------------------


def participation(assembly: AssemblyFigures) -> Decimal | None:
    """Voters as a percentage of the members on the assembly's day (two decimals)."""
    if not assembly.members_on_date:
        return None
    return (Decimal(100 * assembly.voters) / assembly.members_on_date).quantize(CENT)


def _capital_data(capital: Capital) -> dict[str, Any]:
    return {
        "shares": capital.shares,
        "subscribed": capital.subscribed,
        "paid_up": capital.paid_up,
        "shares_by_category": capital.shares_by_category,
    }


def _flow_data(flow: Flow) -> dict[str, Any]:
    return {"shares": flow.shares, "amount": flow.amount}


def assembly_data(assembly: AssemblyFigures) -> dict[str, Any]:
    return {
        "assembly": assembly.assembly,
        "date": assembly.date,
        "kind": assembly.kind,
        "voters": assembly.voters,
        "in_person": assembly.in_person,
        "by_proxy": assembly.by_proxy,
        "members_on_date": assembly.members_on_date,
        "participation": participation(assembly),
        "quorum": assembly.quorum,
        "resolutions": [
            {
                "resolution": r.resolution,
                "title": r.title,
                "for": r.for_,
                "against": r.against,
                "abstain": r.abstain,
                "majority": r.majority,
                "outcome": r.outcome,
            }
            for r in assembly.resolutions
        ],
    }


def members_data(m: Members) -> dict[str, Any]:
    return {
        "at_start": m.at_start,
        "by_category_at_start": m.by_category_at_start,
        "applied": m.applied,
        "admitted": m.admitted,
        "admission_refused": m.admission_refused,
        "resigned": m.resigned,
        "left_by_right": m.left_by_right,
        "left_by_right_by_reason": m.left_by_right_by_reason,
        "excluded": m.excluded,
        "exit_requested": m.exit_requested,
        "exit_refused": m.exit_refused,
        "category_changes": m.category_changes,
        "total_at_end": m.total_at_end,
        "by_category_at_end": m.by_category_at_end,
    }


def capital_data(c: CapitalFigures) -> dict[str, Any]:
    return {
        "at_start": _capital_data(c.at_start),
        "at_end": _capital_data(c.at_end),
        "subscribed": _flow_data(c.subscribed),
        "paid": c.paid,
        "transferred": _flow_data(c.transferred),
        "redeemed": _flow_data(c.redeemed),
        "withdrawn": _flow_data(c.withdrawn),
    }


def governance_data(assemblies: Iterable[AssemblyFigures], board: BoardFigures) -> dict[str, Any]:
    """The assemblies, the allocations of the result they decided, and the board."""
    assemblies = list(assemblies)
    return {
        "assemblies": [assembly_data(a) for a in assemblies],
        "result_allocation": [
            {
                "assembly": a.assembly,
                "date": a.date,
                "year": a.allocation.year,
                "reserves": a.allocation.reserves,
                "dividend_rate": a.allocation.dividend_rate,
            }
            for a in assemblies
            if a.allocation is not None
        ],
        "board": {
            "seats": board.seats,
            "elected": board.elected,
            "renewed": board.renewed,
            "coopted": board.coopted,
            "members_at_end": board.members_at_end,
            "vacant_at_end": board.vacant_at_end,
        },
    }


def to_data(figures: Figures) -> dict[str, Any]:
    """The figures as plain data, keys in a fixed order (CONTRACT.md section 3 and more)."""
    p = figures.provenance
    return {
        "period": {"from": figures.start, "to": figures.end},
        "provenance": {
            "known_at": p.known_at,
            "last_seq": p.last_seq,
            "last_recorded": p.last_recorded,
            "fingerprint": p.fingerprint,
        },
        "members": members_data(figures.members),
        "capital": capital_data(figures.capital),
        **governance_data(figures.assemblies, figures.board),
    }


def flatten(data: Mapping[str, Any], prefix: str = "", header: bool = False) -> dict[str, Any]:
    """Figure paths to values, e.g. `members.by_category_at_end.A`; lists keyed by their id.

    The period and the provenance say what was computed, they are not
    figures: left out unless `header` is asked for.
    """
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if not prefix and not header and key in ("period", "provenance"):
            continue
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, path + "."))
        elif isinstance(value, list):
            for item in value:
                name = item.get("resolution") or item["assembly"]
                rest = {k: v for k, v in item.items() if k not in ("assembly", "resolution")}
                flat.update(flatten(rest, f"{path}.{name}."))
        else:
            flat[path] = value
    return flat


# -- restatement: what changed since a moment, and which entries changed it ---------


@dataclass(frozen=True)
class Cause:
    """An entry recorded after the earlier report, and the figures it moved."""

    seq: int
    type: str
    member: str | None
    date: dt.date
    moved: tuple[str, ...]


@dataclass(frozen=True)
class Restatement:
    """The figures as known then and now, their differences, and the entries behind them."""

    before: Figures
    after: Figures
    differences: tuple[tuple[str, Any, Any], ...]
    causes: tuple[Cause, ...]


# Which governance figures each type of entry can move (paths below its assembly or the
# board); any other type (mandates) may move all of them.
GOVERNANCE_MOVES: dict[str, tuple[str, ...]] = {
    "assembly.convened": ("",),
    "assembly.voted": ("voters", "in_person", "by_proxy", "participation"),
    "resolution.decided": ("resolutions.",),
    "result.allocated": ("",),
    "body.seats": ("seats", "vacant_at_end"),
}


def restatement(
    engine: Engine,
    source: EntrySource,
    start: dt.date,
    end: dt.date,
    before: tuple[int, str | None],
    after: tuple[int, str | None],
) -> Restatement:
    """The figures as known after `before` and after `after`, every difference explained.

    Membership and capital differences are sums of row changes, so each is
    attributed exactly to the entries that added or withdrew those rows
    (their effects add up to the difference). Assembly and board differences
    go to the entries of that assembly or of the board recorded in between;
    any left unexplained (a vote that stopped counting when its member's
    admission was withdrawn) are found by bisecting the entries in between.
    """
    old = compute(engine, source, start, end, *before)
    new = compute(engine, source, start, end, *after)
    flat_old, flat_new = flatten(to_data(old)), flatten(to_data(new))
    differences = tuple(
        (path, flat_old.get(path), flat_new.get(path))
        for path in sorted(flat_old.keys() | flat_new.keys())
        if _differ(flat_old.get(path), flat_new.get(path))
    )
    changed = {path for path, _, _ in differences}
    moved: dict[int, set[str]] = defaultdict(set)
    eve = start - dt.timedelta(days=1)
    days = {a.assembly: a.date for a in (*old.assemblies, *new.assemblies)}
    with engine.connect() as conn:
        deltas = tallies(conn, start, end, {eve, end, *days.values()}, Scope(after[0], before[0]))
    for seq, tally in deltas.items():
        effect = _effects(tally, start, end, days)
        moved[seq] |= {path for path, value in effect.items() if value and path in changed}
    governance = [p for p in changed if p.startswith(("assemblies.", "result_allocation.", "board."))]
    if governance:
        subjects = [ev.ASSEMBLY + name for name in days] + [ev.BODY + "board"]
        for entry in source.timelines(subjects, after[0]):
            if (entry.seq or 0) > before[0]:
                moved[entry.seq or 0] |= _governance_paths(_target(entry, source), governance)
    explained = set().union(*moved.values())
    unexplained = [path for path in governance if path not in explained]
    if unexplained:

        def at(seq: int) -> dict[str, Any]:
            figures = governance_data(
                assemblies_between(engine, start, end, seq), board_figures(engine, start, end, seq)
            )
            return flatten(figures)

        _bisect(at, (before[0], at(before[0])), (after[0], at(after[0])), unexplained, moved)
    causes = tuple(_cause(entry, source, moved[entry.seq or 0]) for entry in _entries(source, moved))
    return Restatement(old, new, differences, causes)


def _differ(old: Any, new: Any) -> bool:
    """A real change: a category that merely appears with no one in it is not one."""
    return old != new and not (old is None and new == 0) and not (new is None and old == 0)


def _bisect(
    at: Any,
    low: tuple[int, dict[str, Any]],
    high: tuple[int, dict[str, Any]],
    paths: list[str],
    moved: dict[int, set[str]],
) -> None:
    """Find the entries in (low, high] at which the given figures change value."""
    differing = [p for p in paths if low[1].get(p) != high[1].get(p)]
    if not differing:
        return
    if high[0] - low[0] == 1:
        moved[high[0]] |= set(differing)
        return
    middle = (low[0] + high[0]) // 2
    mid = (middle, at(middle))
    _bisect(at, low, mid, differing, moved)
    _bisect(at, mid, high, differing, moved)


def _effects(tally: Tally, start: dt.date, end: dt.date, days: Mapping[str, dt.date]) -> dict[str, Any]:
    """What one entry's row changes did to the membership and capital figures (as paths).

    Members on an assembly's day come from the same spells; when they move,
    so does the participation rate.
    """
    on_day = {
        name: sum(v[0] for (d, _), v in tally.positions.items() if d == day) for name, day in days.items()
    }
    return flatten(
        {
            "members": members_data(members_of(tally, start, end)),
            "capital": capital_data(capital_of(tally, start, end)),
            "assemblies": {name: {"members_on_date": n, "participation": n} for name, n in on_day.items()},
        }
    )


def _target(entry: ev.Entry, source: EntrySource) -> ev.Entry:
    """A retraction stands for the entry it withdraws; any other entry for itself."""
    if isinstance(entry, ev.EntryRetracted):
        return source.entry_by_id(str(entry.entry)) or entry
    return entry


def _governance_paths(entry: ev.Entry, changed: list[str]) -> set[str]:
    """The changed assembly, allocation or board figures an entry belongs to."""
    if isinstance(entry, ev.AssemblyEntry):
        prefixes = [f"assemblies.{entry.assembly}.{s}" for s in GOVERNANCE_MOVES.get(entry.type, ("",))]
        if isinstance(entry, ev.ResultAllocated):
            prefixes.append(f"result_allocation.{entry.assembly}.")
    elif isinstance(entry, ev.BodyEntry) and entry.body == "board":
        prefixes = [f"board.{s}" for s in GOVERNANCE_MOVES.get(entry.type, ("",))]
    else:
        return set()
    return {path for path in changed if path.startswith(tuple(prefixes))}


def _entries(source: EntrySource, moved: Mapping[int, set[str]]) -> Iterator[ev.Entry]:
    """The entries that moved a figure, in sequence order (one scan of their range)."""
    seqs = sorted(seq for seq, paths in moved.items() if paths)
    if not seqs:
        return
    wanted = set(seqs)
    for entry in source.entries(seqs[0] - 1, seqs[-1]):
        if entry.seq in wanted:
            yield entry


def _cause(entry: ev.Entry, source: EntrySource, paths: set[str]) -> Cause:
    target = _target(entry, source)
    subject = next(iter(target.members()), None)
    if subject is None and isinstance(target, ev.AssemblyEntry):
        subject = target.assembly
    return Cause(entry.seq or 0, entry.type, subject, entry.date, tuple(sorted(paths)))


# -- over time: the chart's data ------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """Members by category at the end of each month, and admissions and exits per month.

    `days` starts with the eve of the period (the opening position); `months`
    are the first days of the months the movements are counted in.
    """

    days: tuple[dt.date, ...]
    members: dict[str, tuple[int, ...]]
    months: tuple[dt.date, ...]
    admitted: tuple[int, ...]
    exits: dict[str, tuple[int, ...]]


def month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """The eve of `start`, the last day of every month in the period, and `end`."""
    days = [start - dt.timedelta(days=1)]
    first = start.replace(day=1)
    while first <= end:
        following = (first + dt.timedelta(days=32)).replace(day=1)
        days.append(min(end, following - dt.timedelta(days=1)))
        first = following
    return days


def series(engine: Engine, start: dt.date, end: dt.date, seq: int) -> Series:
    """Members over time by category and the movements per month, as known after `seq`.

    Three grouped queries: the opening position, then the spells that begin
    and end in the period by date, summed up month by month.
    """
    days = month_ends(start, end)
    eve = days[0]
    known = known_at(spells, seq)
    member = and_(known, spells.c.status == "member")
    steps: dict[str, dict[dt.date, int]] = defaultdict(lambda: defaultdict(int))
    with engine.connect() as conn:
        opening = tallies(conn, start, start, (eve,), Scope(seq)).get(seq, new_tally()).positions
        for column, sign in ((spells.c.valid_from, 1), (spells.c.valid_to, -1)):
            query = (
                select(spells.c.category, column, func.count())
                .where(member, column > eve, column <= end)
                .group_by(spells.c.category, column)
            )
            for category, day, count in conn.execute(query):
                steps[category][day] += sign * count
        kinds = ("admitted", *EXITS)
        query = (
            select(movements.c.kind, movements.c.date, func.count())
            .where(
                known_at(movements, seq), movements.c.kind.in_(kinds), movements.c.date.between(start, end)
            )
            .group_by(movements.c.kind, movements.c.date)
        )
        moved = [(kind, day, count) for kind, day, count in conn.execute(query)]
    categories = sorted({c for (_, c) in opening} | steps.keys())
    members = {}
    for category in categories:
        level, counts, at = opening.get((eve, category), [0])[0], [], 0
        changes = sorted(steps[category].items())
        for day in days:
            while at < len(changes) and changes[at][0] <= day:
                level += changes[at][1]
                at += 1
            counts.append(level)
        members[category] = tuple(counts)
    months = tuple(day.replace(day=1) for day in days[1:])
    index = {month: i for i, month in enumerate(months)}
    per_month: dict[str, list[int]] = {kind: [0] * len(months) for kind in kinds}
    for kind, day, count in moved:
        per_month[kind][index[day.replace(day=1)]] += count
    return Series(
        days=tuple(days),
        members=members,
        months=months,
        admitted=tuple(per_month["admitted"]),
        exits={kind: tuple(per_month[kind]) for kind in EXITS},
    )
