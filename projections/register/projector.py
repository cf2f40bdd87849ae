"""Keep the persisted register up to date from the store's sequence.

A catch-up finds the members the new entries touch (a retraction touches its
target's), refolds each one's timeline at every sequence number that touched
them, and writes only the difference: rows that stopped being true get
`known_to`, new rows get `known_from`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import ClassVar

from sqlalchemy import Connection, Table

from coopledger.ledger import events as ev
from coopledger.ledger.timeline import member_timelines, stands_for
from coopledger.projections.projector import Projector
from coopledger.projections.register import positions
from coopledger.projections.register.fold import Movement, Spell, member_history
from coopledger.projections.register.schema import movements, spells
from coopledger.projections.source import EntrySource, find_in
from coopledger.projections.tables import RowChanges, open_rows, refold, write_changes

# Touched members beyond a quarter of the ledger's entries read their timelines in one scan of
# the ledger: it then costs at most a few times the batch itself.
WIDE_SHARE = 4


class RegisterProjector(Projector[tuple[RowChanges, RowChanges]]):
    """Members' register lines (spells) and movements."""

    name: ClassVar[str] = "register"
    follows: ClassVar[tuple[type[ev.Entry], ...]] = (ev.MemberEntry,)
    tables: ClassVar[tuple[Table, ...]] = (spells, movements)

    def changes(
        self, conn: Connection, source: EntrySource, start: int, new: list[ev.Entry]
    ) -> tuple[RowChanges, RowChanges]:
        """Refold every touched member at each sequence number that touched them."""
        touched = self.members_touched(new, source)
        # From scratch (a rebuild, a fresh replay) every timeline comes from one scan of the
        # entries, independent of the store's subject index; so does a catch-up touching many.
        # Otherwise the touched members' timelines come in one read of the subject index.
        wide = start == 0 or len(touched) * WIDE_SHARE > start
        read = (
            (new if start == 0 else source.entries())
            if wide
            else source.timelines([ev.MEMBER + member for member in touched])
        )
        timelines = member_timelines(read, touched)
        spell_changes = RowChanges(open_rows(conn, spells, touched, Spell._fields, wide))
        movement_changes = RowChanges(open_rows(conn, movements, touched, Movement._fields, wide))
        changes = (spell_changes, movement_changes)
        refold(touched, timelines.__getitem__, member_history, changes)
        return changes

    def members_touched(self, new: list[ev.Entry], source: EntrySource) -> dict[str, list[int]]:
        """Member id -> the new sequence numbers that change their register line, ascending.

        Votes and mandates concern members too, but never their line: they are left out.
        """
        touched: dict[str, list[int]] = defaultdict(list)
        find = find_in(new, source)
        for entry in new:
            target = stands_for(entry, find)
            if isinstance(target, self.follows):
                for member in target.members():
                    touched[member].append(entry.seq or 0)
        return touched

    def write(self, conn: Connection, start: int, changes: tuple[RowChanges, RowChanges]) -> None:
        for table, table_changes in zip(self.tables, changes, strict=True):
            write_changes(conn, table, table_changes, first=start == 0)
        positions.add(conn, positions.changes_of(changes[0]), first=start == 0)
