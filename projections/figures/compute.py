"""The year's figures, computed in SQL on the persisted read models.

Every membership and capital figure is a sum over register rows: spells (a
position on a date) or movements (a flow within the period), counted as
known after one sequence number. So a report is reproducible: same period,
same sequence number, same figures, whatever was recorded since. Grouping
the same sums by the entry that added or withdrew each row explains a
restatement entry by entry (`restatement`). Assemblies and the board come
from the governance read models (`projections.governance.queries`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, func, literal, or_, select

from coopledger.ledger import events as ev
from coopledger.ledger.provenance import GENESIS
from coopledger.projections.governance.queries import assemblies_between, board_figures, meeting_days
from coopledger.projections.governance.summary import AssemblyFigures, BoardFigures
from coopledger.projections.register import positions as register_positions
from coopledger.projections.register.projector import RegisterProjector
from coopledger.projections.register.queries import in_force_on
from coopledger.projections.register.schema import movements, spells
from coopledger.projections.source import EntrySource
from coopledger.projections.tables import in_cents, known_at

REASONS = ("death", "end_of_employment", "bankruptcy", "other")
EXITS = ("resigned", "left", "excluded")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class TreeHead:
    """The checkpoint of the entries a report includes, as `coopledger checkpoint` prints it:
    the size of their RFC 9162 Merkle tree (`last_seq`) and its root, in base64."""

    tree_size: int
    root: str


@dataclass(frozen=True)
class Provenance:
    """What a report was computed from: enough to re-run it and get the same bytes.

    `fingerprint` is the chain hash of entry `last_seq`, which covers every
    entry before it; `known_at` is the moment asked for (None: as recorded
    up to `last_seq`). `checkpoint` is the Merkle checkpoint of entries 1 to
    `last_seq`, set by the `report` command, which has the ledger's tree (None
    for figures computed without it, as the replay computes them).
    """

    known_at: str | None
    last_seq: int
    last_recorded: str | None
    fingerprint: str
    checkpoint: TreeHead | None = None


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


def sum_in_cents(expr: Any) -> Any:
    """Sum of euro amounts as whole cents."""
    return func.coalesce(func.sum(in_cents(expr)), 0)


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
    # One scan for every date, grouped by category alone, each date's sums taken over the rows in
    # force on it: a handful of groups, which PostgreSQL aggregates in a hash (grouping by
    # in-force flags too, it guessed thousands of groups and sorted every row on disk: 1.1 s
    # of 2 at 450,000 members). Rows in force on none of the dates are left out.
    measures = (literal(1), s.shares, in_cents(s.shares * s.share_price), in_cents(s.paid_up))
    sums = [
        func.coalesce(func.sum(case((in_force, measure), else_=0)), 0)
        for in_force in (in_force_on(day) for day in days)
        for measure in measures
    ]
    span = [s.valid_from <= days[-1], or_(s.valid_to.is_(None), s.valid_to > days[0])] if days else []
    # The register as known now is summed already, by day (`register.positions`, kept in the
    # register's transactions, so current when the register's position is the scope's): a few
    # thousand rows instead of every line.
    summed = scope.since is None and bool(days) and RegisterProjector().position(conn) == scope.seq
    if summed:
        found[scope.seq].positions.update(register_positions.at(conn, days))
    for sign, key, known in scope.views(spells) if days and not summed else ():
        query = select(s.category, *sums).where(known, s.status == "member", *span)
        for seq, row in _grouped(conn, query, key, scope.seq, s.category):
            for i, day in enumerate(days):
                count, *values = row[1 + 4 * i : 5 + 4 * i]
                if count:  # a category none of whose members is in force that day has no line
                    totals = found[seq].positions[(day, row[0])]
                    for j, value in enumerate((count, *values)):
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
            m.kind, reason, func.count(), func.coalesce(func.sum(m.count), 0), sum_in_cents(amount)
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
    return provenance_of(next(source.entries(seq - 1, seq), None) if seq else None, seq, known)


def provenance_of(last: ev.Entry | None, seq: int, known: str | None) -> Provenance:
    """The provenance of a report whose last entry is `last` (None before the first)."""
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
    days = meeting_days(engine, start, end, seq)
    with engine.connect() as conn:  # one scan of the register: on millions of lines it takes seconds
        tally = tallies(conn, start, end, (eve, end, *days), Scope(seq)).get(seq, new_tally())
    members = {day: sum(v[0] for (d, _), v in tally.positions.items() if d == day) for day in days}
    assemblies = assemblies_between(engine, start, end, seq, members)
    board = board_figures(engine, start, end, seq)
    return figures_of(start, end, provenance(source, seq, known), tally, assemblies, board)


def figures_of(
    start: dt.date,
    end: dt.date,
    provenance: Provenance,
    tally: Tally,
    assemblies: Iterable[AssemblyFigures],
    board: BoardFigures,
) -> Figures:
    """The report's figures from the raw sums and the governance figures (SQL and replay alike)."""
    members, capital = members_of(tally, start, end), capital_of(tally, start, end)
    return Figures(start, end, provenance, members, capital, tuple(assemblies), board)
