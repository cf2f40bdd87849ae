"""The register's tables: members' lines over effective dates, and the counted movements."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, Index, String, Table, Text

from coopledger.projections.tables import Id, Money, key, knowledge, metadata

spells = Table(
    "register_spells",
    metadata,
    key(),
    Column("member", Id, nullable=False),
    # The identity columns: the sequence number of the entry whose identity record holds the value.
    Column("name", BigInteger),
    Column("category", Id, nullable=False),
    Column("shares", BigInteger, nullable=False),  # a member's total: a sum of bounded counts
    Column("paid_up", Money, nullable=False),
    Column("share_price", Money, nullable=False),
    Column("address", BigInteger),
    Column("email", BigInteger),
    Column("founder", Boolean, nullable=False),
    Column("admitted", Date, nullable=False),
    Column("status", String(10), nullable=False),
    Column("exit_date", Date),
    Column("exit_kind", String(20)),
    Column("exit_reason", Text),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    *knowledge(),
    Index("register_spells_member", "member", "known_to"),
)

movements = Table(
    "register_movements",
    metadata,
    key(),
    Column("member", Id, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("date", Date, nullable=False),
    Column("kind", String(30), nullable=False),
    Column("category", Id),
    Column("count", BigInteger),
    Column("amount", Money),
    Column("reason", Text),
    *knowledge(),
    Index("register_movements_member", "member", "known_to"),
    Index("register_movements_date", "date"),
)
