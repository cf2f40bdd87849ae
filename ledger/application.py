"""The ledger application: accept or refuse entries, and record them with provenance.

`Ledger.record` is the one write path. It drops entries already recorded
(same id, same content; in a file imported again, entries without id found by
their content, `Ledger._drop_matched`), fills in what the ledger owns (sequence, recorded
time, id, author, hash chain, the share price in force), loads the timelines
the entries touch, checks the rules (filling in on the way the paid-up
amount a transfer carries, which depends on the giver's position on its
date), and appends the batch in one transaction, together with the read
models (`project`), so that an entry is never recorded without its
read-model rows. If another writer got there first
it starts again from the new head, after a short random back-off, so two
clerks admitting the same member at once cannot both succeed, and a refusal
is only given against a head that did not move while the batch was checked.
"""

from __future__ import annotations

import bisect
import datetime as dt
import getpass
import random
import time
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import Enum, auto
from functools import cache, partial
from typing import NoReturn, TypeVar

import msgspec
from sqlalchemy import Connection

from coopledger.ledger import events as ev
from coopledger.ledger.errors import (
    Clash,
    ConcurrentWrite,
    Refusal,
    Refused,
    Source,
    StoreDamaged,
    StoreError,
)
from coopledger.ledger.identity import (
    IdentityRecord,
    carries_identity,
    same_identity,
    seal_all,
    values_of,
)
from coopledger.ledger.provenance import GENESIS, chain, content_digest, format_recorded, parse_recorded
from coopledger.ledger.recorders import HeadRow, IndexRow
from coopledger.ledger.rules import reads_beyond
from coopledger.ledger.rules.batch import entry_id_unique, retraction_target
from coopledger.ledger.rules.identity import erasure_date
from coopledger.ledger.store import Store
from coopledger.ledger.timeline import Find, joins, retractions, stands_for, statutes_of
from coopledger.ledger.validate import check_and_fill, check_whole, statutes_only

# A batch loads the timelines it touches, unless it is a sizeable part of the ledger: past a
# quarter of its entries, two streamed reads of the whole ledger (`check_whole`) cost at most a
# few times the batch itself, in bounded memory.
FULL_LOAD_SHARE = 4
# An amendment loads the whole timelines of the subjects of the entries it can change (`Bounded`
# counts those entries): past an eighth of the ledger, the two reads are about as fast and hold
# half the memory (a `proxy_limit` ten years back at 5,000,000 members: 16.6 % of the entries,
# 53 s and 3.7 GiB through the timelines, 50 s and 1.75 GiB in two reads).
REACH_SHARE = 8
_AMOUNT_BITS = 24  # of a key of `Settled`: the index of its amount; above them, its line number
ATTEMPTS = 30
BACK_OFF = 0.02  # seconds; doubled each attempt, capped at 1 s, with jitter

T = TypeVar("T")
Clock = Callable[[], dt.datetime]
# Writes the read models of just-appended entries, inside the write transaction; with `True`,
# then raises `Refused` if the register breaks a journal assertion.
Projector = Callable[[Connection, Sequence[ev.Entry], bool], None]
# Writes every read model from all the recorded entries at once (a rebuild), inside the write
# transaction; raises `Refused` if the register then breaks a journal assertion.
WholeProjector = Callable[[Connection], None]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _identity_key(entry: ev.Entry) -> object:
    """What two lines of one batch with one id must share besides their digest."""
    if not isinstance(entry, ev.Identified):
        return None
    return (entry.identity, tuple(sorted(values_of(entry).items())))


def _recorded_without_paid_up(entry: ev.Entry) -> bool:
    """A transfer as a ledger recorded it before `paid_up` existed (an old export's line, with its
    `seq`, `recorded` and `hash`): kept so, the paid-up money staying with the giver, so that an
    old export imports into the register it came from."""
    return (
        isinstance(entry, ev.SharesTransferred)
        and entry.paid_up is None
        and None not in (entry.seq, entry.recorded, entry.hash)
    )


def _generated_id(seq: int, taken: set[str]) -> str:
    """`@SEQ`, or `@SEQ.K` if a clerk already gave an entry that id."""
    candidate, suffix = f"@{seq}", 1
    while candidate in taken:
        candidate, suffix = f"@{seq}.{suffix}", suffix + 1
    return candidate


def _project(
    project: Projector, conn: Connection, added: list[ev.Entry], sources: dict[int, Source], asserting: bool
) -> None:
    """Write the read models; a refusal they raise (a journal assertion the batch breaks,
    `projections/assertions.py`) gets the source of the entry it blames."""
    try:
        project(conn, added, asserting)
    except Refused as refused:
        found = refused.refusals
        raise Refused(
            [replace(r, source=r.source or sources.get((r.cause or r.entry).seq or 0)) for r in found]
        ) from None


@dataclass(frozen=True)
class Bounded:
    """The store as the rules' reaches read it (`rules.reads_beyond`): past `most` entries dated
    from an amendment on, the batch is checked on the whole ledger rather than those entries'
    timelines, which then need not be found one by one (millions of them, on a large ledger)."""

    store: Store
    most: int

    def timelines(self, subjects: Sequence[str], upto: int | None = None) -> list[ev.Entry]:
        return self.store.timelines(subjects, upto)

    def subjects_dated_from(self, day: dt.date, types: Collection[str]) -> set[str] | None:
        return self.store.subjects_dated_from(day, types, self.most)

    def subjects_named(self, prefix: str) -> set[str]:
        return self.store.subjects_named(prefix)


@dataclass(frozen=True)
class Recorded:
    """The outcome of a write: entries added, and entries that were already there.

    `withheld`: entries already there whose identity is no longer held (erased, or recorded
    without personal data), given again with personal data that was not restored. `matched`:
    the sources of the entries of `present` that had no id (found by their content).
    """

    added: list[ev.Entry]
    present: list[ev.Entry]
    withheld: list[ev.Entry] = field(default_factory=list)
    # Where the entries given without id that were found present by their content came from.
    matched: list[Source] = field(default_factory=list)
    # Where the journal assertions added came from, by sequence number.
    pinned: dict[int, Source] = field(default_factory=dict)


class _CheckWhole(Exception):
    """A part of a file of several was refused, or would change what an earlier part filled in
    (`Carried`): the file is checked whole (`record_parts`)."""


@dataclass
class Imported:
    """What a file recorded part by part came to: counts of the entries, not the entries (a long
    file's parts are let go one after another), and the few lines worth naming."""

    added: int = 0
    present: int = 0
    withheld: list[ev.Entry] = field(default_factory=list)
    matched: list[Source] = field(default_factory=list)
    whole: bool = False  # a file of several parts, checked and recorded in one batch
    settled: bool = False  # a file of several parts, checked by date, then recorded without the rules
    erased: bool = False  # identities erased: their records' bytes to be checkpointed out
    pinned: dict[int, Source] = field(default_factory=dict)  # the file's journal assertions' lines

    def take(self, part: Recorded) -> None:
        self.erased = self.erased or any(isinstance(e, ev.IdentityErased) for e in part.added)
        self.added += len(part.added)
        self.present += len(part.present)
        self.withheld += part.withheld
        self.matched += part.matched
        self.pinned |= part.pinned

    def unheld(self, refused: Refused) -> _Gathered:
        """The journal assertions of the file that the register, once every part is in, breaks,
        named by their lines: as one batch names them, since every part held the rules (one
        batch gives an assertion's refusal only then). One of an assertion recorded before the
        file, which one batch credits to a line of it (`cause`): the file is checked whole."""
        if any(r.cause is not None or (r.entry.seq or 0) not in self.pinned for r in refused.refusals):
            raise _CheckWhole
        return _Gathered([replace(r, source=self.pinned[r.entry.seq or 0]) for r in refused.refusals])


@dataclass
class Matching:
    """Finding a file's lines without id by content across its parts: only among the entries
    recorded before the file (`upto`), the k-th line with a digest against the k-th such entry
    (`taken`: per digest, how many were matched in the parts before)."""

    upto: int
    taken: dict[str, int] = field(default_factory=dict)


@dataclass
class Carried:
    """The transfers of a file's earlier parts whose paid-up amount the ledger filled in (from the
    giver's paid-up capital and shares then: `state.completed`), by giver: the latest place of one.

    A later part with an entry of the giver placed before that one (a backdated payment, the
    retraction of an earlier one) changes what it would have carried had the file been one
    batch, and the rules may well accept the amount filled in without it: the file is then
    checked whole (`changed_by`), so that the amounts are those of one batch. Likewise an
    amendment of the share price (or its retraction) dated on or before an admission the
    ledger priced in an earlier part.
    """

    latest: dict[str, ev.Place] = field(default_factory=dict)
    price_from: dt.date | None = None  # the day of the latest admission priced by the statutes
    last_day: dt.date | None = None  # the latest day of either: an entry after it changes none

    def priced(self, days: Iterable[dt.date]) -> None:
        """Note the days of the admissions the ledger priced (given without a share price)."""
        for day in days:
            self.price_from = max(day, self.price_from or day)
            self.last_day = max(day, self.last_day or day)

    def note(self, filled: Collection[ev.Entry]) -> None:
        """Note the entries the check filled in (`state.completed`: the transfers)."""
        for transfer in filled:
            if isinstance(transfer, ev.SharesTransferred):
                place = ev.effective_order(transfer)
                self.latest[transfer.member] = max(place, self.latest.get(transfer.member, place))
                self.last_day = max(transfer.date, self.last_day or transfer.date)

    def changed_by(self, new: Sequence[ev.Entry], find: Find) -> bool:
        """Whether an entry of `new` (a retraction: its target) is of a giver, placed before a
        transfer filled in."""
        latest, last_day = self.latest, self.last_day
        if last_day is None:
            return False
        for entry in new:
            target = stands_for(entry, find) or entry
            if target.date > last_day:  # a file in date order: every line of a later part
                continue
            if self._reprices(target):
                return True
            place = ev.effective_order(target)
            for member in target.members():
                # A transfer filled in and withdrawn (at its own place): one batch, where it
                # is dead, fills in nothing.
                if member in latest and (
                    place < latest[member] or (place == latest[member] and entry is not target)
                ):
                    return True
        return False

    def _reprices(self, entry: ev.Entry) -> bool:
        """Whether an amendment (or its retraction's target) changes the price of an admission
        the ledger priced: of the share price, from a day on or before it."""
        return (
            isinstance(entry, ev.StatutesAmended)
            and self.price_from is not None
            and entry.parameter.partition(".")[0] == "share_price"
            and entry.date <= self.price_from
        )


@dataclass
class Settled:
    """A file out of date order, checked part by part in effective-date order (`Ledger.record_parts`):
    what the check filled in, by the line that left it out (an admission's share price, a transfer's
    paid-up capital), and the subjects of each retraction's target, so that the file recorded
    again in its own order, without the rules, holds exactly those amounts and index rows.

    The rules fold in effective order, and ties within a day and phase keep the file's order
    either way, so the file in its own order gets the verdict of the check by date: that of the
    file in one batch (`tests/test_date_order.py`). `held`: the check accepted the file.

    An amount is kept as one integer a line (its line number, then the index of its spelling
    among the distinct amounts: a few prices for every admission), sorted by line once the
    check is done: 8 bytes a line, where a dict of the amounts took about ten times that.
    """

    keys: array[int] = field(default_factory=lambda: array("q"))
    amounts: list[Decimal] = field(default_factory=list)  # each distinct spelling once
    spelt: dict[str, int] = field(default_factory=dict)  # a spelling's index in `amounts`
    # A retraction's line: its target's subjects.
    joined: dict[int, tuple[str, ...]] = field(default_factory=dict)
    refusals: list[Refusal] = field(default_factory=list)  # of the parts checked so far
    refused_ids: set[str] = field(default_factory=set)
    # What the refused lines' verdicts read (`Ledger._near`; None: too much to say), and the
    # last date among them: a later retraction withdrawing nothing of it leaves them as they are.
    near: set[str] | None = field(default_factory=lambda: {ev.STATUTES})
    followed: set[str] = field(default_factory=set)  # the timelines whose entries are in `near`
    latest: dt.date = dt.date.min
    held: bool = False
    # The file's parts are in effective order (`--in-date-order`): checked as they are recorded,
    # a refused line left out and the check gone on, its refusals raised at the end.
    dated: bool = False

    def note(self, source: Source, amount: Decimal | None) -> None:
        if source.line is None or amount is None:
            return
        index = self.spelt.setdefault(str(amount), len(self.amounts))  # "25.0" is not "25.00"
        if index == len(self.amounts):
            self.amounts.append(amount)
        if index >> _AMOUNT_BITS or source.line >> (63 - _AMOUNT_BITS):
            raise _CheckWhole  # beyond what a key holds: no such file in practice
        self.keys.append(source.line << _AMOUNT_BITS | index)

    def refused(self, refused: Refused) -> set[int]:
        """A part's refusals by the rules, kept, and the lines they refuse, which the check
        then leaves out as the fold does (a refused entry changes no state). A refusal the
        file in one batch may word otherwise sends the file to be screened (`_Screen`: one
        found before the rules, an id, a retraction's target, an erasure's date: one batch
        reports only those) or checked whole: one of an entry recorded before this part (its
        cause, a line of this part, would be the file's first line of its subject in one
        batch). The journal assertions are checked after the last part."""
        found = refused.refusals
        if any(r.rule in _BEFORE_RULES for r in found):
            raise _Screen
        if any(r.cause is not None or r.source is None for r in found):
            raise _CheckWhole
        self.refusals += found
        self.refused_ids.update(r.entry.id for r in found if r.entry.id is not None)
        self.latest = max(self.latest, *(r.entry.date for r in found))
        return {r.source.line for r in found if r.source is not None and r.source.line is not None}

    def read(
        self,
        entries: list[ev.Entry],
        near: Callable[[list[ev.Entry], set[str]], tuple[set[str], set[str]] | None],
    ) -> None:
        """Note what the verdicts of a part's refused `entries` read, once the rest of the part
        is recorded (its entries are in the timelines read): `near`, given the timelines
        followed already."""
        if self.near is None:
            return
        found = near(entries, self.followed)
        if found is None:
            self.near = None
            return
        followed, them = found
        self.followed |= followed
        self.near |= followed | them

    def unsure(self, part: Sequence[tuple[ev.Entry, Source]], finder: Callable[[], Find]) -> bool:
        """Whether a part may change what one batch says of the lines refused before it. The
        id of a refused line again (one batch takes the second line for the first: one
        refusal, not two); or a retraction, whose target one batch withdraws from the start,
        so that the refused lines were checked with it: unless the target is dated after
        them all, or is of none of the timelines their verdicts read (`near`). A target
        further on, or of the whole ledger (statutes, a meeting that mandates name), is
        anyone's. The file is then checked whole. (`finder`: what finds the targets, made
        only if a line was refused.)"""
        if not self.refusals:
            return False
        find = finder()
        for entry, _ in part:
            if entry.id in self.refused_ids:
                return True
            if type(entry) is not ev.EntryRetracted:
                continue
            target = find(str(entry.entry))
            if target is None or self.near is None or type(target) in _EVERYONES or not target.subjects():
                return True
            if target.date <= self.latest and self.near.intersection(target.subjects()):
                return True
        return False

    def hold(self) -> None:
        """The check accepted the file: its amounts sorted by line, to be found as it is recorded."""
        self.keys = array("q", sorted(self.keys))
        self.spelt.clear()
        self.held = True

    def note_part(
        self,
        stamped: list[tuple[ev.Entry, Source]],
        subjects: dict[int, tuple[str, ...]],
        filled: dict[int, ev.Entry],
    ) -> None:
        """Note what the check of a part filled in, and its retractions' subjects."""
        for entry, source in stamped:
            seq = entry.seq or 0
            if type(entry) is ev.EntryRetracted and source.line is not None:
                self.joined[source.line] = subjects[seq]
            elif seq in filled:
                self.note(source, getattr(filled[seq], "paid_up", None))

    def amount(self, source: Source) -> Decimal:
        """The amount the check filled in on this line; none noted: the file is checked whole."""
        line, keys = source.line or 0, self.keys
        at = bisect.bisect_left(keys, line << _AMOUNT_BITS)
        if at == len(keys) or keys[at] >> _AMOUNT_BITS != line:
            raise _CheckWhole
        return self.amounts[keys[at] & ((1 << _AMOUNT_BITS) - 1)]

    def fill(
        self,
        stamped: list[tuple[ev.Entry, Source]],
        fill: set[int],
        find: Find,
        subjects: dict[int, tuple[str, ...]],
        projected: bool,
    ) -> dict[int, ev.Entry]:
        """A part in the file's order: its transfers of `fill` with the amounts the check filled
        in, and the subjects of a retraction whose target is further on in the file (not yet
        recorded) as the check found them. Projected part by part (a ledger that held entries),
        such a retraction would reach no target yet: the file is then checked whole."""
        filled = {}
        for entry, source in stamped:
            seq = entry.seq or 0
            if type(entry) is ev.EntryRetracted and stands_for(entry, find) is None:
                if projected or source.line not in self.joined:
                    raise _CheckWhole
                subjects[seq] = self.joined[source.line]
            elif seq in fill:
                filled[seq] = msgspec.structs.replace(entry, paid_up=self.amount(source))
        return filled


def _line(refusal: Refusal) -> int:
    return refusal.source.line or 0 if refusal.source is not None else 0


# Entries whose withdrawal changes the check of entries in no timeline of theirs: the statutes'
# parameters, a meeting that mandates name.
_EVERYONES = (ev.StatutesAmended, ev.AssemblyConvened)
# Refused before the rules are checked: a batch with one of these is refused for it alone.
_BEFORE_RULES = frozenset({entry_id_unique.name, retraction_target.name, erasure_date.name})


class _Screen(_CheckWhole):
    """A part of a file of several was refused before the rules: the file is screened for those
    refusals alone (`Screened`) before it is checked by date or whole."""


@dataclass
class Screened:
    """A file of several parts with a line refused before the rules (an id used twice, a
    retraction's target, an erasure's date). One batch gives those refusals alone, whatever
    the rules say of the rest: the ids' and erasure dates' if any, else the targets'. They are
    gathered a part at a time (`Ledger._screen`), each part recorded without its refused lines
    and without the rules in a transaction rolled back, so that a later line meets the ids and
    retractions before it as in one batch, in bounded memory.

    Where the file in one batch may say otherwise, the screening is unsure and says nothing
    (the file goes on to its check by date, or to one batch): an id of the form `@N` given
    (generated in one part, given in another; or after a line left out and a line without
    id, whose generated id shifts), the id of a line left out given again, a target named
    before the line that holds it, and an entry given again after the file erased an
    identity (compared with the erased record).
    """

    unique: list[Refusal] = field(default_factory=list)  # ids used twice
    erasures: list[Refusal] = field(default_factory=list)  # erasures dated after today
    targets: list[Refusal] = field(default_factory=list)  # retractions' targets
    missing: set[str] = field(default_factory=set)  # targets not found when refused
    gone: set[str] = field(default_factory=set)  # ids of lines left out, not recorded before
    dropped: bool = False  # a line was left out
    shifted: bool = False  # a line without id came after one left out
    unnamed: bool = False  # a line without id: its generated id may be given again
    erased: bool = False  # the file erased an identity

    def take(self, refused: Refused, find: Callable[[str], int | None]) -> set[int]:
        """A part's refusals, kept; the lines they refuse, which the part is recorded without."""
        out = set()
        for refusal in refused.refusals:
            source, entry = refusal.source, refusal.entry
            if source is None or source.line is None or refusal.rule not in _BEFORE_RULES or refusal.cause:
                raise _CheckWhole
            if refusal.rule == entry_id_unique.name:
                if (entry.id or "").startswith("@"):  # generated in one part, given in another?
                    raise _CheckWhole
                self.unique.append(refusal)
            else:
                if entry.id:
                    self.gone.add(entry.id)
                if refusal.rule == erasure_date.name:
                    self.erasures.append(refusal)
                else:
                    self.targets.append(refusal)
                    if isinstance(entry, ev.EntryRetracted) and find(str(entry.entry)) is None:
                        self.missing.add(str(entry.entry))
            out.add(source.line)
        if not out:
            raise _CheckWhole
        self.dropped = True
        return out

    def look(self, part: Sequence[tuple[ev.Entry, Source]], recorded: Recorded) -> None:
        """After a part is recorded: whether one batch might say otherwise of the lines so far."""
        names = [entry.id or "" for entry, _ in part]
        names += [str(entry.entry) for entry, _ in part if isinstance(entry, ev.EntryRetracted)]
        generated = (self.shifted or self.unnamed) and any(name.startswith("@") for name in names)
        if generated or self.gone.intersection(names) or (self.erased and recorded.withheld):
            raise _CheckWhole
        unnamed = any(entry.id is None for entry, _ in part)
        self.unnamed, self.shifted = self.unnamed or unnamed, self.shifted or (self.dropped and unnamed)
        self.erased = self.erased or any(isinstance(e, ev.IdentityErased) for e in recorded.added)

    def verdict(self, find: Callable[[str], int | None]) -> list[Refusal]:
        """One batch's refusals, once every part is recorded; unsure: `_CheckWhole`."""
        if self.missing & self.gone or any(find(name) is not None for name in self.missing):
            raise _CheckWhole  # a target further on in the file: one batch finds it
        return self.unique + self.erasures or self.targets


class _Gathered(Exception):
    """The refusals of a file in effective order, checked to its end (`Settled.dated`): raised
    in its transaction, so that nothing is written."""

    def __init__(self, refusals: list[Refusal]):
        super().__init__("refused")
        self.refusals = refusals


class _Rehearsed(Exception):
    """The check by date of a file out of date order ended: its writes are rolled back."""


class Pass(Enum):
    """Which pass over a long file the ledger makes: the parts are told, for the progress line."""

    RECORD = auto()  # checked and recorded part by part
    SCREEN = auto()  # screened for the refusals found before the rules (`Screened`)
    BY_DATE = auto()  # checked in effective-date order, then rolled back (`Settled`)
    SETTLED = auto()  # recorded in the file's own order, as the check by date found it
    WHOLE = auto()  # read whole, to be checked in one batch


# A file's parts, read from its start each time it is called (`Ledger.record_parts`).
Parts = Callable[[Pass], Iterator[list[tuple[ev.Entry, Source]]]]


@dataclass
class Ledger:
    """The write side: entries in, rules checked, events out."""

    store: Store
    clock: Clock = utc_now
    user: str = ""
    project: Projector | None = None
    # A file recorded part by part into an empty ledger writes its read models once, after its
    # last part (`_record_parts`); without it, each part is projected as any batch is.
    project_all: WholeProjector | None = None
    # Raises `Refused` if the register breaks a live journal assertion: after a file checked by
    # date and recorded in its own order (`Settled`), or recorded in date order, whose parts
    # were projected without them.
    asserted: WholeProjector | None = None
    # Today's date, for the erasures (which act now): the clock's unless the edge says.
    today: Callable[[], dt.date] | None = None

    def __post_init__(self) -> None:
        if not self.user:
            try:
                self.user = getpass.getuser()
            except (KeyError, OSError):
                self.user = "unknown"

    def record(self, batch: Sequence[tuple[ev.Entry, Source]], by_content: bool = False) -> Recorded:
        """Check and record a batch, all or nothing; raises `Refused` with every refusal.

        `by_content`: entries without id that the ledger already holds are present (`_drop_matched`),
        for a file imported again; an entry typed at the command line is always a new one.
        """
        return self._again(lambda: self._record_whole(batch, by_content))

    def record_parts(
        self, parts: Parts, by_content: bool = False, by_date: Parts | None = None, dated: bool = False
    ) -> Imported:
        """Record a long file part by part, in one transaction: all of it or none of it.

        Each part is checked and recorded as a batch after the parts before it (which its
        store reads see), so memory holds one part at a time, and the state of the members.
        If a part of a file of several is refused, the file is checked again whole, so that
        every verdict, and its refusals' words, are those of `record` (a line may need one
        further on that is effective before it). `by_date` gives the same lines in effective
        order (`commands/date_order.py`): the file is then checked in those parts and, if
        accepted, recorded again in its own order without the rules (`Settled`), in bounded
        memory, and held to the journal assertions at its end (`asserted`); without it, or
        if that check refuses, in one batch. A part refused before the rules (an id, a
        retraction's target, an erasure's date) has the file screened for those refusals
        alone (`Screened`), in bounded memory. `dated`: `parts` are in effective order
        already (`--in-date-order`): a refused part's lines are left out and the parts checked
        and recorded on, as by date, and every refusal is raised at the end (`Settled.dated`).
        `parts` gives the file's parts from the start, each time it is called. Into an empty
        ledger, the read models are written once, after the last part (`project_all`).
        """
        try:
            return self._in_parts(parts, by_content, by_date, dated)
        except _Gathered as gathered:
            raise Refused(gathered.refusals) from None

    def _in_parts(self, parts: Parts, by_content: bool, by_date: Parts | None, dated: bool) -> Imported:
        """`record_parts`' passes: in the file's order, then if need be screened, checked by date
        and recorded in the file's order, or in one batch. A pass that names every refusal
        raises `_Gathered` in its transaction."""
        try:
            imported = self._again(
                lambda: self._record_parts(
                    parts(Pass.RECORD), by_content, Settled(dated=True) if dated else None
                )
            )
            return self._checkpointed(imported)
        except _CheckWhole as check:
            screen = isinstance(check, _Screen)
        try:
            if screen:
                self._again(lambda: self._screen(parts, by_content))
            if by_date is not None and not dated:
                try:
                    settled = self._again(lambda: self._record_settled(parts, by_date, by_content))
                    return self._checkpointed(settled)
                except _Screen:
                    if not screen:
                        self._again(lambda: self._screen(parts, by_content))
        except _CheckWhole:
            pass
        whole = [line for part in parts(Pass.WHOLE) for line in part]
        imported = Imported(whole=True)
        imported.take(self.record(whole, by_content))
        return imported

    def _record_settled(self, parts: Parts, by_date: Parts, by_content: bool) -> Imported:
        """Check the file in effective-date order, part by part, then roll that back and record
        it in its own order, part by part, with the amounts the check filled in (`Settled`)."""
        settled = Settled()
        try:
            with self.store.transaction():
                self._record_parts(by_date(Pass.BY_DATE), by_content, settled)
                raise _Rehearsed
        except _Rehearsed:
            if settled.refusals:  # in the order one batch gives them: the file's
                raise Refused(sorted(settled.refusals, key=_line)) from None
            settled.hold()
        imported = self._record_parts(parts(Pass.SETTLED), by_content, settled)
        imported.settled = True
        return imported

    def _screen(self, parts: Parts, by_content: bool) -> None:
        """Raise one batch's refusals of the file found before the rules (`Screened`), if any.
        Nothing is written. Unsure, it says nothing: the file is checked by date, or whole."""
        screened = Screened()
        try:
            with self.store.transaction():
                matching = Matching((self.store.head() or HeadRow(0, "", GENESIS)).seq)
                for part in parts(Pass.SCREEN):
                    while True:
                        taken = dict(matching.taken)  # as before the part, should it be refused
                        try:
                            recorded = self._record_once(part, by_content, matching, False, screened=screened)
                            break
                        except Refused as refused:
                            out, matching.taken = screened.take(refused, self.store.seq_of), taken
                            part = [(entry, source) for entry, source in part if source.line not in out]
                    screened.look(part, recorded)
                    del part, recorded
                refusals = screened.verdict(self.store.seq_of)
                raise _Rehearsed
        except _Rehearsed:
            if refusals:
                raise Refused(refusals) from None
        except _CheckWhole:
            pass

    def _checkpointed(self, imported: Imported) -> Imported:
        """After a file that erased identities: their records' bytes out of the write-ahead log too."""
        if imported.erased:
            self.store.checkpoint()
        return imported

    def _again(self, write: Callable[[], T]) -> T:
        """Write, starting again from the new head while other writers get there first.

        A row already there (`Clash`) is another writer's only if the head has moved since
        the last look: otherwise the store itself holds rows coopledger did not write, every
        attempt would meet them (a long import run again thirty times), so it fails at once.
        """
        last = ""
        head = self.store.head()
        for attempt in range(ATTEMPTS):
            try:
                return write()
            except ConcurrentWrite as lost:
                last = str(lost).splitlines()[0] if str(lost) else ""
                if isinstance(lost, Clash):
                    head, before = self.store.head(), head
                    if head == before:
                        said = "; ".join(
                            " ".join(line.split()) for line in str(lost).splitlines() if line.strip()
                        )
                        raise StoreDamaged(f"a write met one already there: {said}") from lost
                time.sleep(random.uniform(0, min(1.0, BACK_OFF * 2**attempt)))
        # Other writers kept moving the head: their last clash, for the record.
        raise StoreError(
            f"gave up after {ATTEMPTS} attempts: other writers keep appending "
            f"(the last refusal: {last or 'the ledger moved'}); nothing written"
        )

    def _record_whole(self, batch: Sequence[tuple[ev.Entry, Source]], by_content: bool) -> Recorded:
        recorded = self._record_once(batch, by_content)
        if any(isinstance(e, ev.IdentityErased) for e in recorded.added):
            self.store.checkpoint()  # the erased records' bytes out of the write-ahead log too
        return recorded

    def _record_parts(
        self,
        parts: Iterator[list[tuple[ev.Entry, Source]]],
        by_content: bool,
        settled: Settled | None = None,
    ) -> Imported:
        """Every part in one transaction. A refused part of a file of several raises
        `_CheckWhole` (`_Screen` if refused before the rules); the refusal of a file of one
        part is the file's. `settled`: the check by date (rolled back by the caller, or with
        `dated` the recording itself, its refusals raised at the end: `_Gathered`), or once it
        held, the recording in the file's order."""
        matching = Matching((self.store.head() or HeadRow(0, "", GENESIS)).seq)
        # Into an empty ledger, the read models are written once, after the last part, as
        # `rebuild` writes them (every timeline read once), instead of each part reading back
        # the timelines it touches to fold them again: a quarter of a 5,000,000-member import.
        # A file's check by date, rolled back, writes no read models: the rules read none, and
        # the journal assertions are checked on the file recorded in its own order, at its end.
        checking = settled is not None and not settled.held  # by date, naming every refusal
        rehearsing = checking and settled is not None and not settled.dated
        at_once = self.project_all if matching.upto == 0 and not rehearsing else None
        each = at_once is None and not rehearsing  # each part projected as it is recorded
        imported, count, carried = Imported(), 0, Carried()
        try:
            with self.store.transaction() as conn:
                for part in parts:
                    count += 1
                    taken = None
                    if checking and settled is not None:
                        if settled.unsure(part, partial(self._finder, part, matching.upto)):
                            raise _CheckWhole
                        taken = dict(matching.taken)  # as before the part, should it be refused
                    try:
                        recorded = self._record_once(part, by_content, matching, each, carried, settled)
                    except Refused as refused:
                        if settled is None or taken is None:
                            raise
                        # The check by date goes on without the refused lines, to name them all.
                        out, matching.taken = settled.refused(refused), taken
                        part = [(entry, source) for entry, source in part if source.line not in out]
                        try:
                            recorded = self._record_once(part, by_content, matching, each, carried, settled)
                        except Refused:
                            raise _CheckWhole from None
                        settled.read([r.entry for r in refused.refusals], self._near)
                    imported.take(recorded)
                    del recorded, part  # the next part is read without this one in memory
                if settled is not None and settled.dated and settled.refusals:
                    raise _Gathered(settled.refusals)
                try:
                    if at_once is not None and imported.added:
                        at_once(conn)
                    elif each and settled is not None and self.asserted is not None:
                        self.asserted(conn)  # its parts were projected without them
                except Refused as refused:  # an assertion the file breaks: named by its line
                    raise imported.unheld(refused) from None
        except Refused as refused:
            if count > 1 or next(parts, None) is not None:
                if any(r.rule in _BEFORE_RULES for r in refused.refusals):
                    raise _Screen from None
                raise _CheckWhole from None
            raise
        return imported

    def _record_once(
        self,
        batch: Sequence[tuple[ev.Entry, Source]],
        by_content: bool,
        matching: Matching | None = None,
        project: bool = True,
        carried: Carried | None = None,
        settled: Settled | None = None,
        screened: Screened | None = None,
    ) -> Recorded:
        """Check and record one batch (a file's part, after the parts before it); `settled`: a
        part of a file checked by date (`Settled`), noting what the check fills in, or once it
        held, recorded in the file's order with those amounts and without the rules; `screened`:
        a part of a file screened for what one batch refuses before the rules (`Screened`),
        checked for that alone."""
        head = self.store.head() or HeadRow(0, "", GENESIS)
        trusted = settled if settled is not None and settled.held else None
        matching = matching or Matching(head.seq)
        batch_ids = {entry.id for entry, _ in batch if entry.id}
        normalised: list[tuple[ev.Entry, Source]] = []
        as_recorded: set[int] = set()  # id() of the normalised transfers kept as recorded
        unpriced: list[tuple[int, ev.MemberAdmitted]] = []  # the admissions given without a share price
        amending: list[ev.Entry] = []  # the batch's amendments and retractions
        for entry, source in batch:
            normal = self._normalise(entry, batch_ids, matching.upto)
            if isinstance(normal, ev.MemberAdmitted):
                if normal.share_price is None:
                    unpriced.append((len(normalised), normal))
            elif isinstance(normal, ev.StatutesAmended | ev.EntryRetracted):
                amending.append(normal)
            elif _recorded_without_paid_up(entry):
                as_recorded.add(id(normal))
            normalised.append((normal, source))
        if unpriced:  # the share price in force on the admission's date, as the batch amends it
            if trusted is not None:  # as the file's check by date found it
                prices = [trusted.amount(normalised[at][1]) for at, _ in unpriced]
            else:
                statutes = statutes_of([*self.store.timelines([ev.STATUTES]), *amending])
                prices = [statutes.get("share_price", a.date, a.category) for _, a in unpriced]
            for (at, admitted), price in zip(unpriced, prices, strict=True):
                if settled is not None and trusted is None:
                    settled.note(normalised[at][1], price)
                normalised[at] = (msgspec.structs.replace(admitted, share_price=price), normalised[at][1])
        fresh, present, withheld, refusals = self._drop_present(normalised, head.seq > 0)
        fresh, matched = self._drop_matched(fresh, present, withheld, matching if by_content else None)
        today = self.today() if self.today is not None else self.clock().date()
        refusals += [
            Refusal(erasure_date.name, entry, reason, source)
            for entry, source, _ in fresh
            if isinstance(entry, ev.IdentityErased) and (reason := erasure_date.check(entry, today))
        ]
        if refusals:
            self._refuse(refusals, head)
        stamped = self._stamp(fresh, head)
        # The transfers whose paid-up amount the ledger computes (`state.completed`) as it checks them.
        fill = {
            stamped_entry.seq or 0
            for (stamped_entry, _), (entry, _, _) in zip(stamped, fresh, strict=True)
            if isinstance(entry, ev.SharesTransferred) and entry.paid_up is None
            if id(entry) not in as_recorded
        }
        find = self._finder(stamped, matching.upto)
        subjects = {entry.seq or 0: joins(entry, find) for entry, _ in stamped}  # a retraction: its target's
        sources = {entry.seq or 0: source for entry, source in stamped}
        new = [entry for entry, _ in stamped]
        if trusted is not None:
            filled = trusted.fill(stamped, fill, find, subjects, project)
        elif screened is not None:
            if refusals := self._check_retractions(stamped, find):
                self._refuse(refusals, head)
            filled = {}
        else:
            priced = [admitted.date for _, admitted in unpriced]
            filled = self._checked(stamped, new, sources, head, find, subjects, fill, carried, priced)
            if settled is not None:
                settled.note_part(stamped, subjects, filled)
        digests = [digest for _, _, digest in fresh]
        if filled:  # transfers whose paid-up amount the check filled in: their entries and digests
            new = [filled.get(e.seq or 0, e) for e in new]
            refilled = {seq: content_digest(entry) for seq, entry in filled.items()}
            digests = [refilled.get(e.seq or 0, digest) for e, digest in zip(new, digests, strict=True)]
        new, identities, erasures = seal_all(new)
        chained = chain(new, head.hash)
        index = [
            IndexRow(seq, e.id or "", e.recorded or "", digest, e.hash or "", subjects[seq])
            for e, digest in zip(chained.entries, digests, strict=True)
            if (seq := e.seq or 0)
        ]
        # The batch's earlier forms are not needed any more, nor, once written, its bytes: a
        # large import lets them go before the projections fold (a quarter of its peak memory).
        del normalised, fresh, stamped, new, find, digests, filled
        added = chained.entries
        if added:
            with self.store.transaction() as conn:
                self.store.append(conn, chained, index, identities, erasures)
                del chained, index, identities
                if project and self.project is not None:
                    # Held to the journal assertions as one batch is, unless a part of a file
                    # checked by date or in date order: the file's last part may make one true
                    # that this part breaks, so they are checked once, after it (`_record_parts`).
                    _project(self.project, conn, added, sources, settled is None)
        pinned = {seq: sources[seq] for e in added if isinstance(e, ev.Assertion) and (seq := e.seq or 0)}
        return Recorded(added, present, withheld, matched, pinned)

    def _checked(
        self,
        stamped: list[tuple[ev.Entry, Source]],
        new: list[ev.Entry],
        sources: dict[int, Source],
        head: HeadRow,
        find: Find,
        subjects: dict[int, tuple[str, ...]],
        fill: set[int],
        carried: Carried | None,
        priced: list[dt.date],
    ) -> dict[int, ev.Entry]:
        """The rules over the batch (`stamped`: its entries `new`, with their `sources`) after
        the ledger (refused: `Refused`), on the timelines it touches or the whole ledger; the
        transfers of `fill` as the check filled them in."""
        refusals = self._check_retractions(stamped, find)
        if refusals:
            self._refuse(refusals, head)
        if carried is not None:  # against the parts before this one, then this one noted
            if carried.changed_by(new, find):
                raise _CheckWhole
            carried.priced(priced)
        wide = (
            len(new) * FULL_LOAD_SHARE > head.seq
            # a meeting withdrawn: the mandates naming it are in no timeline of its own
            or any(
                type(stands_for(e, find)) is ev.AssemblyConvened for e in new if type(e) is ev.EntryRetracted
            )
        )
        touched = {s for subject_list in subjects.values() for s in subject_list}
        touched.add(ev.STATUTES)
        if not wide:
            # A retraction reaches what its target reached: a statutes amendment withdrawn
            # changes the statutes from its date on, as much as one recorded.
            targets = [t for e in new if type(e) is ev.EntryRetracted if (t := stands_for(e, find))]
            beyond = reads_beyond([*new, *targets], Bounded(self.store, head.seq // REACH_SHARE))
            touched |= beyond or set()
            wide = beyond is None  # an amendment dated years back
        reading = statutes_only(new, find)  # an amendment: only the rules reading its parameter
        if head.seq == 0:
            refusals, filled = check_and_fill(new, {e.seq or 0 for e in new}, sources, None, fill)
        elif wide:
            refusals, filled = check_whole(
                partial(self.store.states, upto=head.seq), new, sources, fill, reading
            )
        else:  # the timelines loaded, an argument only, are let go as soon as they are checked
            refusals, filled = check_and_fill(
                self._timelines(touched) + new,
                {e.seq or 0 for e in new},
                sources,
                frozenset(touched),
                fill,
                reading,
            )
        if refusals:
            self._refuse(refusals, head)
        if carried is not None:
            carried.note(filled.values())
        return filled

    def _near(self, entries: list[ev.Entry], followed: set[str]) -> tuple[set[str], set[str]] | None:
        """The timelines the check of refused entries reads: theirs and what their rules read
        beyond (`reads_beyond`), then the subjects of every entry in those (a transfer's other
        side, a vote's meeting: what their states follow from), those `followed` already left
        out; None: a retraction's (its target's), or most of the ledger. A retraction of an
        entry of none of them, nor of the statutes, cannot change these verdicts."""
        if any(type(entry) is ev.EntryRetracted for entry in entries):
            return None
        head = self.store.head() or HeadRow(0, "", GENESIS)
        beyond = reads_beyond(entries, Bounded(self.store, head.seq // REACH_SHARE))
        if beyond is None:
            return None
        read = {subject for entry in entries for subject in entry.subjects()} | beyond
        them = {s for entry in self.store.timelines(sorted(read - followed)) for s in entry.subjects()}
        return read, them

    def _timelines(self, touched: set[str]) -> list[ev.Entry]:
        """The recorded entries of the timelines the batch touches, and of the other side of each
        transfer among them, which joins `touched`: a transfer's rules read both members' states,
        so a backdated change on one side is checked against the other (`transfer-category`)."""
        loaded = self.store.timelines(sorted(touched))
        others = {s for e in loaded if isinstance(e, ev.SharesTransferred) for s in e.subjects()} - touched
        if not others:
            return loaded
        touched |= others
        more = self.store.timelines(sorted(others))
        return sorted({e.seq: e for e in [*loaded, *more]}.values(), key=lambda e: e.seq or 0)

    def _refuse(self, refusals: list[Refusal], head: HeadRow) -> NoReturn:
        """Refuse, unless another writer committed while the batch was read and checked.

        The head, the known ids and the timelines are read one after another; an entry
        committed in between (the same file imported at once elsewhere) could make a
        batch look refused when it is merely already recorded: then check it again.
        """
        if (self.store.head() or HeadRow(0, "", GENESIS)) != head:
            raise ConcurrentWrite("the ledger moved while the batch was checked")
        raise Refused(refusals)

    def _normalise(self, entry: ev.Entry, batch_ids: set[str], upto: int) -> ev.Entry:
        """Drop the provenance the input may carry; name a retraction's recorded target by id."""
        if entry.seq is not None or entry.recorded is not None or entry.hash is not None:
            entry = msgspec.structs.replace(entry, seq=None, recorded=None, hash=None)
        entry = ev.with_cents(entry)
        if isinstance(entry, ev.EntryRetracted):
            # Name a recorded target by its id, so the retraction survives export and import.
            target = stands_for(entry, lambda name: None if name in batch_ids else self._stored(name, upto))
            if target is not None:
                entry = msgspec.structs.replace(entry, entry=target.id)
        return entry

    def _drop_present(
        self, batch: list[tuple[ev.Entry, Source]], recorded: bool = True
    ) -> tuple[list[tuple[ev.Entry, Source, str]], list[ev.Entry], list[ev.Entry], list[Refusal]]:
        """Split off entries whose id is already recorded (or repeated) with the same content.

        The content digest leaves the identity out; a recorded entry's identity is compared
        through its commitment, recomputed with the recorded salt. When the recorded identity
        is no longer held, the entry is present and its personal data `withheld`: an erasure
        wins over an old export. `recorded`: whether the ledger held any entry when the batch
        was read (an empty one knows no id: nothing to look up).
        """
        known = self.store.known_ids([e.id for e, _ in batch if e.id]) if recorded else {}
        records = self.store.identities(
            [
                known[e.id].seq
                for e, _ in batch
                if e.id in known and isinstance(e, ev.Identified) and carries_identity(e)
            ]
        )
        seen: dict[str, tuple[str, ev.Entry]] = {}
        fresh, present, withheld, refusals = [], [], [], []
        for entry, source in batch:
            digest = content_digest(entry)
            if entry.id is None:
                fresh.append((entry, source, digest))
                continue
            same: bool | None = True
            if entry.id in known:
                earlier: str | None = known[entry.id].digest
                if earlier != digest:
                    digest = self._filled_digest(entry, known[entry.id].seq) or digest
                if earlier == digest:
                    same = self._same_identity(entry, known[entry.id].seq, records)
            elif entry.id in seen:
                earlier, first = seen[entry.id]
                same = _identity_key(entry) == _identity_key(first)
            else:  # a new id: nothing to compare with (`entry_id_unique` holds)
                seen[entry.id] = (digest, entry)
                fresh.append((entry, source, digest))
                continue
            reason = entry_id_unique.check(entry, digest, earlier, same is not False)
            if reason:
                refusals.append(Refusal(entry_id_unique.name, entry, reason, source))
            else:
                present.append(entry)
                if same is None:
                    withheld.append(entry)
        return fresh, present, withheld, refusals

    def _drop_matched(
        self,
        fresh: list[tuple[ev.Entry, Source, str]],
        present: list[ev.Entry],
        withheld: list[ev.Entry],
        matching: Matching | None,
    ) -> tuple[list[tuple[ev.Entry, Source, str]], list[Source]]:
        """Split off the entries without id that the ledger already holds, found by content.

        The k-th entry of the batch with content digest D is present when the ledger holds at
        least k entries with digest D: identical lines of one file stay distinct (two payments
        of 25.00 on one day are two payments), and a file imported again adds nothing. A match
        is compared as an id's is: a transfer given without `paid_up` against the recorded
        transfers whatever amount the ledger filled in, and an identity through its commitment.
        Appends to `present` (and `withheld`); returns the entries left and the matches' sources.
        `matching`: None for a batch that is not a file's; for a file's part, where its file
        has got to (the entries recorded before it are the ones looked among).
        """
        loose = [(entry, digest) for entry, _, digest in fresh if entry.id is None]
        if matching is None or not matching.upto or not loose:
            return fresh, []
        upto = matching.upto
        seqs = {
            digest: before
            for digest, found in self.store.digest_seqs(sorted({digest for _, digest in loose})).items()
            if (before := [seq for seq in found if seq <= upto])
        }
        unfilled = [e for e, _ in loose if isinstance(e, ev.SharesTransferred) and e.paid_up is None]
        if unfilled:  # recorded transfers, by the digest they have without their paid-up amount
            givers = sorted({subject for e in unfilled for subject in e.subjects()[:1]})
            for stored in self.store.timelines(givers, upto):
                if isinstance(stored, ev.SharesTransferred) and stored.paid_up is not None and stored.seq:
                    key = content_digest(msgspec.structs.replace(stored, paid_up=None))
                    seqs.setdefault(key, []).append(stored.seq)
            seqs = {digest: sorted(set(found)) for digest, found in seqs.items()}
        if not seqs:
            return fresh, []
        records = self.store.identities(
            [
                seq
                for e, d in loose
                if d in seqs and isinstance(e, ev.Identified) and carries_identity(e)
                for seq in seqs[d]
            ]
        )
        taken = matching.taken  # per digest, how many of its recorded entries were matched
        kept, matched = [], []
        for entry, source, digest in fresh:
            if entry.id is None and taken.get(digest, 0) < len(seqs.get(digest, ())):
                seq = seqs[digest][taken.get(digest, 0)]
                same = self._same_identity(entry, seq, records) if isinstance(entry, ev.Identified) else True
                if same is not False:
                    taken[digest] = taken.get(digest, 0) + 1
                    present.append(entry)
                    matched.append(source)
                    if same is None:
                        withheld.append(entry)
                    continue
            kept.append((entry, source, digest))
        return kept, matched

    def _filled_digest(self, entry: ev.Entry, seq: int) -> str | None:
        """The digest of a transfer given without `paid_up` as the ledger filled it in for entry `seq`.

        Left out, the amount is the ledger's to compute: the line is the recorded transfer
        whatever amount that one carries, so importing a journal twice adds nothing.
        """
        if not isinstance(entry, ev.SharesTransferred) or entry.paid_up is not None:
            return None
        stored = self.store.entry(seq)
        if not isinstance(stored, ev.SharesTransferred) or stored.paid_up is None:
            return None
        return content_digest(msgspec.structs.replace(entry, paid_up=stored.paid_up))

    def _same_identity(self, entry: ev.Entry, seq: int, records: dict[int, IdentityRecord]) -> bool | None:
        """Whether a re-imported entry's identity is the recorded one (None: no longer held)."""
        if not carries_identity(entry):
            record = None
            stored = self.store.entry(seq) if isinstance(entry, ev.Identified) else None
            return stored is None or not carries_identity(stored)
        record = records.get(seq)
        commitment = record.commitment if record is not None else None
        if record is None:
            stored = self.store.entry(seq)
            commitment = stored.identity if isinstance(stored, ev.Identified) else None
            if commitment is None:
                return False
            if isinstance(entry, ev.Identified) and entry.identity is None:
                return None  # values given, identity erased: the erasure wins
            if isinstance(entry, ev.Identified) and entry.identity == commitment and entry.personal:
                return None  # a full export's line: same commitment, data not restored
        return same_identity(entry, record, commitment)

    def _stamp(
        self, batch: list[tuple[ev.Entry, Source, str]], head: HeadRow
    ) -> list[tuple[ev.Entry, Source]]:
        """Give each entry its sequence number, recorded time, author and (if missing) id. The
        last entry's time and hash, which they follow, must be what coopledger writes."""
        now = self.clock()
        if not isinstance(head.hash, str):  # bytes written there outside coopledger (SQLite)
            raise StoreDamaged(f"the last entry's hash, #{head.seq}, is {head.hash!r}")
        if head.recorded:
            try:
                last = parse_recorded(head.recorded)
            except (ValueError, TypeError):
                raise StoreDamaged(
                    f"the last entry's recorded time, #{head.seq}, is {head.recorded!r}"
                ) from None
            now = max(now, last + dt.timedelta(microseconds=1))
        base = format_recorded(now)[:-8]  # up to the seconds; microseconds counted below
        micro = now.microsecond
        taken = self._taken_ids(batch, head)
        stamped = []
        for offset, (entry, source, _) in enumerate(batch, start=1):
            seq = head.seq + offset
            tick = micro + offset - 1
            moment = (
                f"{base}.{tick:06d}Z"
                if tick < 1_000_000
                else format_recorded(now + dt.timedelta(microseconds=offset - 1))
            )
            entry_id = entry.id or _generated_id(seq, taken)
            entry = msgspec.structs.replace(
                entry, seq=seq, recorded=moment, id=entry_id, by=entry.by or self.user
            )
            stamped.append((entry, source))
        return stamped

    def _taken_ids(self, batch: list[tuple[ev.Entry, Source, str]], head: HeadRow) -> set[str]:
        """Ids of the form `@N` that clerks already used, so generated ids step around them."""
        generated = [f"@{head.seq + offset}" for offset, (e, _, _) in enumerate(batch, 1) if e.id is None]
        in_batch = {e.id for e, _, _ in batch if e.id and e.id.startswith("@")}
        return in_batch | set(self.store.known_ids(generated)) if generated else in_batch

    def _finder(self, stamped: list[tuple[ev.Entry, Source]], upto: int) -> Find:
        """Finds what a retraction names: an entry of this batch (by id), else a recorded one."""
        by_id = {entry.id: entry for entry, _ in stamped}

        @cache
        def find(name: str) -> ev.Entry | None:
            return by_id.get(name) or self._stored(name, upto)

        return find

    def _stored(self, name: str, upto: int) -> ev.Entry | None:
        """The recorded entry a retraction names, by id or by sequence number; by number, only
        one recorded before the file (`upto`), as a line of the same batch has no number yet:
        a file's earlier parts are not known by theirs either."""
        seq = self.store.seq_of(name)
        if seq is None and name.lstrip("#").isdigit() and int(name.lstrip("#")) <= upto:
            seq = int(name.lstrip("#"))
        return self.store.entry(seq) if seq else None

    def _check_retractions(self, stamped: list[tuple[ev.Entry, Source]], find: Find) -> list[Refusal]:
        """Each retraction's target, checked against the store and the batch's earlier retractions."""
        refusals = []
        withdrawn: set[str] = set()

        def retracted(target: ev.Entry) -> bool:
            if target.id in withdrawn:
                return True
            return target.id in retractions(self.store.timelines(target.subjects() or ("",)))

        for entry, source in stamped:
            if not isinstance(entry, ev.EntryRetracted):
                continue
            target = stands_for(entry, find)
            reason = retraction_target.check(entry, target, retracted)
            if reason:
                refusals.append(Refusal(retraction_target.name, entry, reason, source))
            elif target is not None:
                withdrawn.add(target.id or "")
        return refusals
