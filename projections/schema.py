"""The read models' tables (SQLAlchemy Core), beside the event store in one database.

Rows are never updated except to close them: a row is true for effective
dates [valid_from, valid_to) as known from sequence number `known_from` until
`known_to` (exclusive; NULL = still known). So an as-of, known-at query is a
plain indexed SELECT, and the past states of knowledge stay queryable.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)

metadata = MetaData()

Money = Numeric(14, 2)


def _knowledge() -> list[Column[int]]:
    return [
        Column("known_from", BigInteger, nullable=False),
        Column("known_to", BigInteger),
    ]


spells = Table(
    "register_spells",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member", String(200), nullable=False),
    Column("name", Text, nullable=False),
    Column("category", String(200), nullable=False),
    Column("shares", BigInteger, nullable=False),  # a member's total: a sum of bounded counts
    Column("paid_up", Money, nullable=False),
    Column("share_price", Money, nullable=False),
    Column("address", Text),
    Column("email", Text),
    Column("founder", Boolean, nullable=False),
    Column("admitted", Date, nullable=False),
    Column("status", String(10), nullable=False),
    Column("exit_date", Date),
    Column("exit_kind", String(20)),
    Column("exit_reason", Text),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    *_knowledge(),
    Index("register_spells_member", "member", "known_to"),
)

movements = Table(
    "register_movements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member", String(200), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("date", Date, nullable=False),
    Column("kind", String(30), nullable=False),
    Column("category", String(200)),
    Column("count", BigInteger),
    Column("amount", Money),
    Column("reason", Text),
    *_knowledge(),
    Index("register_movements_member", "member", "known_to"),
    Index("register_movements_date", "date"),
)

tracking = Table(
    "projection_tracking",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("position", BigInteger, nullable=False),
)
