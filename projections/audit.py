"""The auditor's check of the read models: every persisted row against the pure folds, streamed.

`verify` works out what one catch-up from position 0 would write, with the folds
the projectors use (`member_history`, `body_history`, `assembly_row`) and the
same refold at every sequence number that touched a subject (`tables.refold`
into `RowChanges`), and compares it with the persisted rows, knowledge intervals
included, as it goes (no second database):

- a member's register rows, a body's seats and mandates: subject by subject, the
  subject's timeline (through the subject index, `scan.timelines`) and its rows
  in each table all read in subject order, compared as multisets;
- an assembly or statutes row: with the entry it stands for, during the ledger's
  single pass in sequence order (`ledger.audit.audit`); the row is known until
  the entry's retraction, if any.

It holds one subject's timeline and rows at a time, and the retractions of
assembly entries: nothing that grows with the ledger. A difference names the
row, what the fold gives instead, and the entry the row became true at.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Date, Numeric, Table

from coopledger.ledger import events as ev
from coopledger.ledger import scan
from coopledger.ledger.audit import ALL, ORDERED, SUBJECTS_PART, Finding, Pass, Problems, Stored, finder
from coopledger.ledger.errors import ReadModelDamaged
from coopledger.ledger.scan import Ahead
from coopledger.ledger.timeline import stands_for
from coopledger.ledger.words import counted
from coopledger.projections.governance.fold import assembly_row, body_history
from coopledger.projections.governance.schema import ASSEMBLY_TABLES, mandate_spells, seat_spells
from coopledger.projections.projector import Projector
from coopledger.projections.register import positions as register_positions
from coopledger.projections.register.fold import member_history
from coopledger.projections.register.schema import movements, spells
from coopledger.projections.tables import RowChanges, Rows, refold

if TYPE_CHECKING:
    from coopledger.ledger.store import Store

Row = tuple[Any, ...]


class TableDiff:
    """What differs in one read-model table: the first lines, and the first entry concerned."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.columns = [column.name for column in table.c if column.name != "id"]
        self.problems = Problems()

    def compare(self, label: str, expected: list[Row], stored: list[Row], cut: bool = False) -> None:
        """The rows of one subject (or entry): the fold's against the table's, as multisets.

        Rows end with their knowledge interval (known_from, known_to); `cut` rows end with
        known_from (the assembly rows, whose known_to is checked against the retractions).
        """
        if len(expected) == len(stored) and (expected == stored or Counter(expected) == Counter(stored)):
            return
        at = -1 if cut else -2

        def known(row: Row) -> int:
            return _known(row, at)

        missing = sorted((Counter(expected) - Counter(stored)).elements(), key=known)
        extra = sorted((Counter(stored) - Counter(expected)).elements(), key=known)
        names = self.columns[:-1] if cut else self.columns
        for held in list(extra):  # a row changed in place: paired with the fold's row most like it
            if not missing:
                break
            fold = max(missing, key=lambda row: sum(a == b for a, b in zip(row, held, strict=True)))
            missing.remove(fold)
            extra.remove(held)
            changed = "; ".join(
                f"{name} {_shown(a)} in the table, {_shown(b)} in a fresh fold"
                for name, a, b in zip(names, held, fold, strict=True)
                if a != b
            )
            valid = f"valid from {fold[names.index('valid_from')]}, " if "valid_from" in names else ""
            self.problems.add(
                f"{label}: row {valid}known from #{held[at]}: {changed}", min(known(fold), known(held))
            )
        for row in missing:
            self.problems.add(
                f"{label}: a fresh fold gives a row the table lacks: {_row(names, row)}", known(row)
            )
        for row in extra:
            self.problems.add(f"{label}: the table has a row no fold gives: {_row(names, row)}", known(row))

    def finding(self) -> Finding:
        return self.problems.finding(f"read model {self.table.name}")


def _known(row: Row, at: int = -2) -> int:
    """The entry after which a persisted row became true (`known_from`). One that is no number,
    written outside coopledger, is after every entry, as SQLite orders a text or bytes after
    every number: a row of no entry."""
    value = row[at]
    return value if type(value) is int else _NO_ENTRY


_NO_ENTRY = ev.MAX_SEQ + 1


def _shown(value: Any) -> str:
    return "NULL" if value is None else str(value)


def _row(names: Sequence[str], row: Row) -> str:
    return " ".join(f"{name}={_shown(value)}" for name, value in zip(names, row, strict=True))


# -- subjects folded over time: members, bodies ------------------------------------------------


@dataclass(frozen=True)
class SubjectFold:
    """A read model folded per subject: its timelines, what touches a subject, the fold, two tables."""

    prefix: str  # the subject index's prefix (`member:`, `body:`)
    follows: type[ev.Entry]  # the entries (or the retractions of entries) that touch a subject
    keys: Callable[[ev.Entry], Iterable[str]]  # the subjects such an entry touches
    fold: Callable[[str, Sequence[ev.Entry], int], tuple[Rows, Rows]]
    tables: tuple[Table, Table]
    column: str  # the subject's column, the first of both tables
    # Each table's columns that order a subject's rows as one catch-up writes them: by the entry
    # that made them known, then as the fold gives them. Read so, and the fold's refolded rows
    # sorted so, a chunk's rows compare as two lists (a multiset, built in C, took an eighth
    # of the worker's time when the table's rows came in whatever order the server had them).
    orders: tuple[tuple[str, ...], tuple[str, ...]]

    def order(self, conn: Connection, table: Table) -> str:
        """The ORDER BY of a table's rows: the subject byte by byte, then as one catch-up writes them."""
        return ", ".join([scan.bytewise(conn, self.column), *self.orders[self.tables.index(table)]])

    @cached_property
    def _keys(self) -> list[Callable[[Row], Any]]:
        """Each table's `orders` as a key of its rows."""
        found: list[Callable[[Row], Any]] = []
        for table, order in zip(self.tables, self.orders, strict=True):
            names = [column.name for column in table.c if column.name != "id"]
            found.append(itemgetter(*(names.index(name) for name in order)))
        return found

    def in_order(self, first: list[Row], second: list[Row]) -> tuple[list[Row], list[Row]]:
        """A subject's refolded rows in the order `order` reads them."""
        return sorted(first, key=self._keys[0]), sorted(second, key=self._keys[1])

    def expected(
        self, subject: str, timeline: list[ev.Entry], find: Callable[[str], ev.Entry | None]
    ) -> tuple[list[Row], list[Row]]:
        """The rows one catch-up from scratch writes for the subject: refolded at every
        sequence number that touched it, as the projector does (`tables.refold`)."""
        follows, keys = self.follows, self.keys
        if len(timeline) == 1 and not isinstance(entry := timeline[0], ev.EntryRetracted):
            # most subjects: one entry, which touches the subject or not
            touched = [entry.seq or 0] if isinstance(entry, follows) and subject in keys(entry) else []
        elif any(isinstance(entry, ev.EntryRetracted) for entry in timeline):
            by_id = {entry.id: entry for entry in timeline}

            def look(entry_id: str) -> ev.Entry | None:
                return by_id.get(entry_id) or find(entry_id)

            touched = [
                entry.seq or 0
                for entry in timeline
                if isinstance(target := stands_for(entry, look), follows) and subject in keys(target)
            ]
        else:
            touched = [
                entry.seq or 0 for entry in timeline if isinstance(entry, follows) and subject in keys(entry)
            ]
        if not touched:
            return [], []
        if len(touched) == 1:  # what `RowChanges.move_to` makes of a subject new to the tables
            first, second = self.fold(subject, timeline, touched[0])
            known = (touched[0], None)
            return [row + known for row in first], [row + known for row in second]
        changes = (RowChanges(), RowChanges())
        refold({subject: touched}, lambda _: timeline, self.fold, changes)
        return self.in_order([tuple(r) for r in changes[0].inserts], [tuple(r) for r in changes[1].inserts])


REGISTER = SubjectFold(
    ev.MEMBER,
    ev.MemberEntry,
    lambda e: e.members(),
    member_history,
    (spells, movements),
    "member",
    (("known_from", "valid_from"), ("known_from", "date", "seq")),
)
BODIES = SubjectFold(
    ev.BODY,
    ev.BodyEntry,
    lambda e: (e.body,) if isinstance(e, ev.BodyEntry) else (),
    body_history,
    (seat_spells, mandate_spells),
    "body",
    (("known_from", "valid_from"), ("known_from", "valid_from", "person")),
)


def _behind(projector: Projector[Any], conn: Connection, head: int) -> str | None:
    """What is wrong with a read model's position (None: it is the ledger's head)."""
    try:
        seq = projector.position(conn)
    except ReadModelDamaged as e:  # no entry's number: said, and the rest checked
        return str(e)
    return f"read model {projector.name} is at #{seq}, the ledger at #{head}" if seq != head else None


def _grouped(rows: Iterable[Row]) -> Iterator[tuple[str, list[Row]]]:
    for key, group in itertools.groupby(rows, key=lambda row: _subject(row[0])):
        yield key, list(group)


# After every text, as SQLite orders bytes after every text: the key of a subject written as
# bytes outside coopledger (its column's text affinity makes a number text).
_BEYOND_TEXT = "\U0010ffff"


def _subject(value: Any) -> str:
    """A row's subject as a key in the database's order: its text, or bytes after every text."""
    if type(value) is str:
        return value
    return _BEYOND_TEXT + (value.hex() if isinstance(value, bytes) else str(value))


def _named(subject: str) -> str:
    """A subject as `verify` says it: bytes as SQL writes them."""
    return f"x'{subject[1:]}'" if subject.startswith(_BEYOND_TEXT) else subject


def merged(*streams: Iterable[tuple[str, Any]]) -> Iterator[tuple[str, list[Any]]]:
    """Streams of (key, value) in ascending key order, joined on the key: (key, one value or
    None per stream)."""
    iterators = [iter(stream) for stream in streams]
    heads = [next(it, None) for it in iterators]
    width = range(len(heads))
    last: str | None = None
    while keys := [head[0] for head in heads if head is not None]:
        key = min(keys)
        if last is not None:
            _ascending(last, key)
        values: list[Any] = [None] * len(heads)
        for i in width:
            head = heads[i]
            if head is not None and head[0] == key:
                values[i] = head[1]
                heads[i] = next(iterators[i], None)
        last = key
        yield key, values


def in_memory(entries: list[ev.Entry], prefixes: Sequence[str]) -> dict[str, dict[str, list[ev.Entry]]]:
    """The timelines of several kinds of subject from entries at hand, in one pass: prefix ->
    subject id -> its entries in sequence order (what `timeline.subject_timelines` gives)."""
    by_id = {entry.id: entry for entry in entries}
    found: dict[str, dict[str, list[ev.Entry]]] = {prefix: {} for prefix in prefixes}
    for entry in entries:
        target = by_id.get(str(entry.entry)) if isinstance(entry, ev.EntryRetracted) else entry
        for subject in target.subjects() if target is not None else ():  # `timeline.joins`
            prefix, _, key = subject.partition(":")
            if (kind := found.get(prefix + ":")) is not None:
                kind.setdefault(key, []).append(entry)
    return found


class Held:
    """One table's rows against the fold's, read as the driver gives them.

    On SQLite the stored values are ISO text, numbers and integers: the fold's rows, their
    dates as text and their amounts of cents as floats, equal them when all holds (1 is `True`,
    25 is 25.0, with equal hashes; a float holds 14 digits exactly), so only rows that differ
    are read typed (`scan.typing`) and compared as `TableDiff.compare` always does: the same
    findings, without typing every row.
    """

    def __init__(self, conn: Connection, table: Table, diff: TableDiff) -> None:
        self.diff = diff
        self.typed = scan.typing(conn, table)
        columns = [column for column in table.c if column.name != "id"]
        dates = [i for i, column in enumerate(columns) if isinstance(column.type, Date)]
        amounts = [i for i, column in enumerate(columns) if isinstance(column.type, Numeric)]
        self.as_stored = _as_stored(len(columns), dates, amounts) if self.typed is not None else _same

    def same(self, expected: list[Row], held: list[Row]) -> bool:
        """Whether the rows are the same multiset (the fold's as `as_stored` gives them)."""
        if len(expected) != len(held):
            return False
        ours = self.as_stored(expected)
        return ours == held or dict(Counter(ours)) == dict(Counter(held))  # dict's, in C

    def compare(self, label: str, expected: list[Row], held: list[Row]) -> None:
        if not self.same(expected, held):
            typed = self.typed
            self.diff.compare(label, expected, held if typed is None else [typed(row) for row in held])


def _same(rows: list[Row]) -> list[Row]:
    return rows


class _Days(dict[Any, str]):
    """A date -> its ISO text, worked out once per date (a ledger has a few thousand)."""

    def __missing__(self, day: Any) -> str:
        text: str = day.isoformat()
        self[day] = text
        return text


class _Cents(dict[Any, Any]):
    """An amount -> as SQLite holds it: a float, if it has at most two decimals (an amount with
    more stays a `Decimal`, so differs from the float stored); worked out once per amount."""

    def __missing__(self, amount: Any) -> Any:
        held = self[amount] = float(amount) if amount.as_tuple().exponent >= -2 else amount
        return held


def _as_stored(width: int, dates: Sequence[int], amounts: Sequence[int]) -> Callable[[list[Row]], list[Row]]:
    """The fold's rows of a table as SQLite gives them back: dates as ISO text, amounts of
    cents as floats (`_Days`, `_Cents`), in one comprehension over the rows, written for the
    table's columns (a loop over the values of each row took 0.18 s of 45k's read models)."""
    names = [f"v{i}" for i in range(width)]
    values = [
        f"None if {name} is None else days[{name}]"
        if i in dates
        else f"None if {name} is None else cents[{name}]"
        if i in amounts
        else name
        for i, name in enumerate(names)
    ]
    source = f"def as_stored(rows):\n    return [({', '.join(values)},) for ({', '.join(names)},) in rows]\n"
    scope: dict[str, Any] = {"days": _Days(), "cents": _Cents()}
    exec(source, scope)  # code of our own, from the table's column numbers
    return scope["as_stored"]  # type: ignore[no-any-return]


SUBJECTS = 5_000  # subjects whose rows are compared at once, as one multiset per table


class Upto:
    """Rows in ascending order of their first column, taken up to a key at a time."""

    def __init__(self, rows: Iterable[Row]) -> None:
        self.rows = iter(rows)
        self.head: Row | None = next(self.rows, None)
        self.last = ""

    def upto(self, key: str | None) -> list[Row]:
        """The rows up to `key` (all that are left if None)."""
        found, head, rows, last = [], self.head, self.rows, self.last
        while head is not None:
            subject = head[0] if type(head[0]) is str else _subject(head[0])
            if key is not None and subject > key:
                break
            _ascending(last, subject, strictly=False)
            last = subject
            found.append(head)
            head = next(rows, None)
        self.head, self.last = head, last
        return found


def _ascending(last: str, key: str, strictly: bool = True) -> None:
    if key < last or (strictly and key == last):
        raise RuntimeError(f"the database returned {key!r} after {last!r}: not in byte order")


def check_subjects(
    shared: Pass,
    fold: SubjectFold,
    diffs: dict[Table, TableDiff],
    timelines: Iterable[tuple[str, list[ev.Entry]]],
) -> None:
    """Every subject's rows in both tables against its fold, `SUBJECTS` subjects at a time:
    their rows as one multiset per table (a row names its subject), and only if that differs,
    subject by subject (`compare_subjects`), which names the rows."""
    conn, find = shared.conn, finder(shared.store)
    held = [Held(conn, table, diffs[table]) for table in fold.tables]
    stored = [Upto(scan.table_rows(conn, table, fold.order(conn, table), raw=True)) for table in fold.tables]
    timelines, previous = iter(timelines), None
    while True:
        chunk = list(itertools.islice(timelines, SUBJECTS))
        last = chunk[-1][0] if len(chunk) == SUBJECTS else None  # the last chunk takes the rest
        rows = [table.upto(last) for table in stored]
        expected: tuple[list[Row], list[Row]] = ([], [])
        for subject, timeline in chunk:
            if previous is not None:
                _ascending(previous, subject)
            previous = subject
            first, second = fold.expected(subject, timeline, find)
            expected[0].extend(first)
            expected[1].extend(second)
        if not all(map(Held.same, held, expected, rows)):
            compare_subjects(fold, held, find, chunk, rows)
        if last is None:
            return


def compare_subjects(
    fold: SubjectFold,
    held: list[Held],
    find: Callable[[str], ev.Entry | None],
    timelines: list[tuple[str, list[ev.Entry]]],
    rows: list[list[Row]],
) -> None:
    """The rows of these subjects compared subject by subject, each difference named."""
    first, second = held
    for subject, (timeline, held_first, held_second) in merged(timelines, *map(_grouped, rows)):
        expected_first, expected_second = fold.expected(subject, timeline or [], find)
        label = f"{fold.column} {_named(subject)}"
        first.compare(label, expected_first, held_first or [])
        second.compare(label, expected_second, held_second or [])


# -- assemblies and statutes: one row per entry ----------------------------------------------


class AssemblyRows:
    """Each assembly or statutes entry's row, known from the entry until its retraction."""

    def __init__(self, conn: Connection, store: Store, diffs: dict[Table, TableDiff]) -> None:
        self.diffs = diffs
        self.find = finder(store)
        self.stored = {
            table: Ahead(scan.table_rows(conn, table, "known_from"), key=_known)
            for table in ASSEMBLY_TABLES.values()
        }
        self.closed: dict[tuple[Table, int], int] = {}  # (table, entry) -> its row's known_to, where set
        self.retracted: dict[tuple[Table, int], int] = {}  # (table, entry) -> the entry's retraction

    def see(self, entry: ev.Entry) -> None:
        if isinstance(entry, ev.EntryRetracted):
            target = self.find(str(entry.entry))
            withdrawn = assembly_row(target) if target is not None else None
            if target is not None and withdrawn is not None:
                self.retracted[ASSEMBLY_TABLES[type(withdrawn)], target.seq or 0] = entry.seq or 0
            return
        row = assembly_row(entry)
        if row is None:
            return
        seq, table = entry.seq or 0, ASSEMBLY_TABLES[type(row)]
        stored, diff = self.stored[table], self.diffs[table]
        for stray in stored.before(seq):
            diff.compare(f"entry #{stray[-2]}", [], [stray])
        found = stored.at(seq)
        for held in found:
            if held[-1] is not None:
                self.closed[table, seq] = held[-1]
        diff.compare(f"entry #{seq}", [(*row, seq)], [held[:-1] for held in found], cut=True)

    def finish(self) -> None:
        for table, stored in self.stored.items():
            for stray in stored.rest():
                self.diffs[table].compare(f"entry #{stray[-2]}", [], [stray])
        for table, seq in sorted(self.closed.keys() | self.retracted.keys(), key=lambda k: (k[0].name, k[1])):
            closed, retracted = self.closed.get((table, seq)), self.retracted.get((table, seq))
            if closed != retracted:
                held = f"known until #{closed}" if closed is not None else "still known"
                fold = f"retracted by #{retracted}" if retracted is not None else "not retracted"
                self.diffs[table].problems.add(
                    f"entry #{seq}: row {held} in the table, but the entry is {fold}", seq
                )


# -- the check of every read model -----------------------------------------------------------


class ReadModels:
    """Every persisted read model against the folds of the entries, and where each has got to.

    Its two parts, when the pass divides them (`Pass.part`): the rows of one entry each and the
    positions (`ORDERED`: assemblies and statutes, during a pass in sequence order), and the
    subjects' rows (`SUBJECTS_PART`: members and bodies, over their timelines, no pass). Each
    part gives every finding, empty for the tables of the other.
    """

    def __init__(self, shared: Pass) -> None:
        from coopledger.projections.read_models import TABLES

        self.shared = shared
        self.diffs = {table: TableDiff(table) for table in TABLES}
        self.ordered = shared.part != SUBJECTS_PART
        self.assemblies = AssemblyRows(shared.conn, shared.store, self.diffs) if self.ordered else None
        self.head = self.seen = 0

    def see(self, entry: ev.Entry, stored: Stored) -> None:
        self.head = entry.seq or 0
        self.seen += 1
        if self.assemblies is not None:
            self.assemblies.see(entry)

    def findings(self) -> list[Finding]:
        from coopledger.projections.read_models import PROJECTORS

        shared = self.shared
        if self.assemblies is not None:
            self.assemblies.finish()
        if shared.part == ALL:
            shared.phase(f"comparing the read models with a fold of {counted(self.seen, 'entry', 'entries')}")
        elif shared.part == SUBJECTS_PART:
            shared.phase("comparing the members' and the bodies' rows with their folds")
        if shared.part != ORDERED:
            self.subjects()
        behind = [
            problem
            for projector in (PROJECTORS if self.ordered else ())
            if (problem := _behind(projector, shared.conn, self.head))
        ]
        # The register's running sums against its lines (which the subjects' part checks).
        sums = Problems()
        for line in register_positions.problems(shared.conn) if self.ordered else ():
            sums.add(line)
        return [
            *(diff.finding() for diff in self.diffs.values()),
            sums.finding(f"read model {register_positions.positions.name}"),
            Finding("read-model positions", behind),
        ]

    def subjects(self) -> None:
        """The members' and the bodies' rows against their folds."""
        folds = (REGISTER, BODIES)
        shared = self.shared
        if shared.entries is not None:  # the timelines from the entries at hand, whatever the index says
            grouped = in_memory(shared.entries, [fold.prefix for fold in folds])
            for fold in folds:
                timelines = grouped[fold.prefix]
                check_subjects(shared, fold, self.diffs, ((s, timelines[s]) for s in sorted(timelines)))
        else:  # through the subject index, a subject at a time
            for fold in folds:
                check_subjects(
                    shared, fold, self.diffs, scan.timelines(shared.conn, shared.store, fold.prefix)
                )


def check(store: Store) -> list[Finding]:
    """The read models' findings alone (the ledger's own checks aside)."""
    with scan.snapshot(store) as conn:
        shared = Pass(conn, store, lambda _: None)
        models = ReadModels(shared)
        for position, entry in enumerate(store.entries(), start=1):
            models.see(entry, Stored(position, b"", b""))
            shared.keep(entry)
        return models.findings()
