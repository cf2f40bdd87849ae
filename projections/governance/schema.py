"""The governance read models' tables, on the shared `metadata` (one database, one create_all).

Assembly rows stand for one entry each: `known_from` is that entry's sequence number and
`known_to` its retraction's. Seats and mandates are intervals of effective dates
[valid_from, valid_to) folded from a body's timeline, with the same knowledge columns.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, Index, Integer, Numeric, String, Table, Text

from coopledger.ledger.timeline import Amendment
from coopledger.projections.governance.fold import Allocation, Convened, Decision, Participation
from coopledger.projections.tables import Id, Money, key, knowledge, metadata

convened = Table(
    "governance_assemblies",
    metadata,
    key(),
    Column("assembly", Id, nullable=False),
    Column("date", Date, nullable=False),
    Column("kind", String(20), nullable=False),
    *knowledge(),
    Index("governance_assemblies_date", "date"),
    Index("governance_assemblies_assembly", "assembly"),
)

participations = Table(
    "governance_votes",
    metadata,
    key(),
    Column("assembly", Id, nullable=False),
    Column("member", Id, nullable=False),
    Column("proxy", Id),
    Column("date", Date, nullable=False),
    *knowledge(),
    Index("governance_votes_assembly", "assembly"),
    Index("governance_votes_known", "known_from"),
)

decisions = Table(
    "governance_resolutions",
    metadata,
    key(),
    Column("assembly", Id, nullable=False),
    Column("resolution", Id, nullable=False),
    Column("title", Text, nullable=False),
    Column("votes_for", Integer, nullable=False),
    Column("against", Integer, nullable=False),
    Column("abstain", Integer, nullable=False),
    Column("majority", String(20), nullable=False),
    Column("date", Date, nullable=False),
    *knowledge(),
    Index("governance_resolutions_assembly", "assembly"),
)

allocations = Table(
    "governance_allocations",
    metadata,
    key(),
    Column("assembly", Id, nullable=False),
    Column("year", Integer, nullable=False),
    Column("reserves", Money),
    Column("dividend_rate", Numeric(7, 2)),  # percent, at most two decimals like amounts
    Column("date", Date, nullable=False),
    *knowledge(),
    Index("governance_allocations_assembly", "assembly"),
)

amendments = Table(
    "governance_statutes",
    metadata,
    key(),
    Column("parameter", Id, nullable=False),
    Column("value", Text, nullable=False),
    Column("date", Date, nullable=False),
    Column("seq", BigInteger, nullable=False),
    *knowledge(),
)

seat_spells = Table(
    "governance_seats",
    metadata,
    key(),
    Column("body", Id, nullable=False),
    Column("seats", Integer, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date),
    *knowledge(),
    Index("governance_seats_body", "body", "known_to"),
)

mandate_spells = Table(
    "governance_mandates",
    metadata,
    key(),
    Column("body", Id, nullable=False),
    Column("person", Id, nullable=False),
    Column("name", BigInteger),  # the sequence number of the entry whose identity record holds it
    Column("how", String(20), nullable=False),
    Column("term_start", Date, nullable=False),
    Column("until", Date, nullable=False),
    Column("assembly", Id),
    Column("replaces", Id),
    Column("cooptation", String(20)),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=False),
    *knowledge(),
    Index("governance_mandates_body", "body", "known_to"),
)

ASSEMBLY_TABLES: dict[type, Table] = {
    Convened: convened,
    Participation: participations,
    Decision: decisions,
    Allocation: allocations,
    Amendment: amendments,
}
TABLES = (*ASSEMBLY_TABLES.values(), seat_spells, mandate_spells)
