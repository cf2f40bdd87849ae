"""Queries of the secretary's documents: the legal register with its movements, one member's
entry for a certificate, an assembly's roll. Indexed SELECTs on the register's read model, as
of a date and as known after an entry, streamed where a register of millions could be asked.

Identity columns (`name`, `address`, `email`) name an identity record by its entry's sequence
number; with `identities` each is followed at the end of the row by that record's fields (JSON text, None once
erased), as `queries.register_chunks` does, for `commands/personal.py` to resolve.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, Select, exists, func, select

from coopledger.ledger import scan
from coopledger.projections.governance.schema import participations
from coopledger.projections.register.fold import Movement
from coopledger.projections.register.queries import in_force_on, register_select, streamed
from coopledger.projections.register.schema import movements, spells
from coopledger.projections.tables import known_at

# What the register of a cooperative records about a member beyond their line (CSA art. 6:24):
# admission, new shares, payments, transfers, redemptions, category changes and the exit.
# Applications, refusals and exit requests are not the register's; they stay in `movements`.
REGISTER_KINDS = (
    "admitted",
    "category_changed",
    "subscribed",
    "paid",
    "transferred",
    "redeemed",
    "resigned",
    "left",
    "excluded",
)
RECEIVED = "received"  # a transfer seen from its receiver (the movement is the giver's row)


class Totals(NamedTuple):
    """The members on a date of one category, their shares and paid-up capital."""

    category: str
    members: int
    shares: int
    paid_up: Decimal


def member_line(
    engine: Engine,
    member: str,
    columns: Sequence[str],
    as_of: dt.date,
    known_seq: int | None = None,
    identities: bool = False,
) -> tuple[Any, ...] | None:
    """One member's register line on `as_of` (a former member's too), or None if not registered."""
    query = register_select(columns, identities).where(
        spells.c.member == member, known_at(spells, known_seq), in_force_on(as_of)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
        if row is not None:  # a certificate formats its figures: no text among them
            scan.of_their_types(conn, list(query.selected_columns), [row])
    return None if row is None else tuple(row)


def totals_on(engine: Engine, as_of: dt.date, known_seq: int | None = None) -> list[Totals]:
    """Members, shares and paid-up capital by category on `as_of` (members only), by category."""
    query = (
        select(spells.c.category, func.count(), func.sum(spells.c.shares), func.sum(spells.c.paid_up))
        .where(known_at(spells, known_seq), in_force_on(as_of), spells.c.status == "member")
        .group_by(spells.c.category)
        .order_by(spells.c.category)
    )
    with engine.connect() as conn:
        return [
            Totals(category, int(count), int(shares or 0), Decimal(paid or 0).quantize(Decimal("0.01")))
            for category, count, shares, paid in conn.execute(query)
        ]


def _movements(known_seq: int | None, as_of: dt.date) -> Select[Any]:
    return select(*[movements.c[name] for name in Movement._fields]).where(
        known_at(movements, known_seq),
        movements.c.date <= as_of,
        movements.c.kind.in_(REGISTER_KINDS),
    )


def movement_chunks(engine: Engine, as_of: dt.date, known_seq: int | None = None) -> Iterator[list[Movement]]:
    """Every register movement dated on or before `as_of`, by member, date and sequence, a chunk
    at a time from a server-side cursor (a transfer once, as the giver's, naming the receiver)."""
    query = _movements(known_seq, as_of).order_by(movements.c.member, movements.c.date, movements.c.seq)
    for chunk in streamed(engine, query):
        yield [Movement(*row) for row in chunk]


def movements_of(
    conn: Connection, members: Sequence[str], as_of: dt.date, known_seq: int | None = None
) -> dict[str, list[Movement]]:
    """The register movements of these members (their own rows, by the member index), each in
    date and sequence order."""
    found: dict[str, list[Movement]] = defaultdict(list)
    if not members:
        return found
    query = _movements(known_seq, as_of).where(movements.c.member.in_(sorted(set(members))))
    for row in conn.execute(query.order_by(movements.c.date, movements.c.seq)):
        found[row.member].append(Movement(*row))
    return found


def transfers_received(
    conn: Connection,
    as_of: dt.date,
    known_seq: int | None = None,
    member: str | None = None,
    givers: Sequence[str] = (),
) -> dict[str, list[Movement]]:
    """Transfers dated on or before `as_of` by receiver, each seen from the receiver: kind
    `received`, `member` the receiver, `reason` the giver.

    A transfer's movement is the giver's row, naming the receiver in `reason`; transfers are
    few beside the members, so a register holds them all in memory at once. For one receiver,
    `member` with the `givers` its timeline names (the ledger's subject index has a transfer on
    both members' timelines): read through the member index, not by a scan of every movement
    (1 ms against 220 ms on a 450,000-member ledger)."""
    query = _movements(known_seq, as_of).where(movements.c.kind == "transferred")
    if member is not None:
        if not givers:
            return defaultdict(list)
        query = query.where(movements.c.member.in_(sorted(set(givers))), movements.c.reason == member)
    found: dict[str, list[Movement]] = defaultdict(list)
    for row in conn.execute(query.order_by(movements.c.date, movements.c.seq)):
        giver = Movement(*row)
        receiver = giver.reason or ""
        found[receiver].append(giver._replace(member=receiver, kind=RECEIVED, reason=giver.member))
    return found


def roll_chunks(
    engine: Engine,
    columns: Sequence[str],
    day: dt.date,
    known_seq: int | None = None,
    identities: bool = False,
    with_email: bool = False,
) -> Iterator[list[tuple[Any, ...]]]:
    """The members on `day` (end of day) in member order, a chunk at a time: an assembly's roll.
    With `with_email`, only those whose line has an e-mail (erased or not: the caller resolves)."""
    query = register_select(columns, identities).where(
        known_at(spells, known_seq), in_force_on(day), spells.c.status == "member"
    )
    if with_email:
        query = query.where(spells.c.email.is_not(None))
    return streamed(engine, query.order_by(spells.c.member))


def shares_on(conn: Connection, day: dt.date, known_seq: int | None = None) -> int:
    """The shares the members hold on `day`: the votes of a roll under one share, one vote."""
    query = select(func.sum(spells.c.shares)).where(
        known_at(spells, known_seq), in_force_on(day), spells.c.status == "member"
    )
    return int(conn.execute(query).scalar() or 0)


class Taking(NamedTuple):
    """A participation recorded at an assembly, beside the roll: is the member (and the proxy
    holder) on it, and how many shares the member held that day (None: not on the roll)."""

    member: str
    proxy: str | None
    entitled: bool
    proxy_entitled: bool | None
    shares: int | None


def participation_against_roll(
    conn: Connection, assembly: str, day: dt.date, known_seq: int | None = None
) -> list[Taking]:
    """Every recorded participation of `assembly`, checked against the roll of `day`."""
    on_roll = spells.alias("on_roll")
    proxy_roll = spells.alias("proxy_roll")

    def entitled(alias: Any, member: Any) -> Any:
        return exists().where(
            alias.c.member == member,
            known_at(alias, known_seq),
            (alias.c.valid_from <= day) & ((alias.c.valid_to.is_(None)) | (alias.c.valid_to > day)),
            alias.c.status == "member",
        )

    shares = (
        select(spells.c.shares)
        .where(
            spells.c.member == participations.c.member,
            known_at(spells, known_seq),
            in_force_on(day),
            spells.c.status == "member",
        )
        .scalar_subquery()
    )
    query = (
        select(
            participations.c.member,
            participations.c.proxy,
            entitled(on_roll, participations.c.member),
            entitled(proxy_roll, participations.c.proxy),
            shares,
        )
        .where(participations.c.assembly == assembly, known_at(participations, known_seq))
        .order_by(participations.c.member)
    )
    return [
        Taking(member, proxy, bool(ok), None if proxy is None else bool(proxy_ok), held)
        for member, proxy, ok, proxy_ok, held in conn.execute(query)
    ]
