"""The legal register of members as a document: XLSX, ODS or PDF, in French, Dutch or English.

Every document of the secretary's desk opens with the same heading (`Heading`): the
cooperative, what it is, the date it is as of, how the ledger was known then, and the
checkpoint of exactly the entries it includes, so that anyone can tie a printed page to the
ledger (`coopledger verify --checkpoint`, `prove`).

The register holds every member registered on the date, former members with their exit
(the Code keeps them: the date and kind of an exit are part of the register), one row each,
and every movement of their shares up to that date: admission, subscriptions, payments,
transfers given and received, redemptions, changes of category, the exit. What the Code of
Companies and Associations asks of it, and how each requirement maps to a column, is in
docs/user-guide.md ("The legal register").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from coopledger.ledger.identity import ERASED, NOT_HELD
from coopledger.projections.register.documents import RECEIVED, Totals
from coopledger.projections.register.fold import Movement
from coopledger.reports.desk_words import counted, day, money, number, word
from coopledger.reports.spreadsheet import Cell, Sheet

# The register's columns, as the read model names them (register_spells).
COLUMNS = [
    "member",
    "name",
    "address",
    "category",
    "admitted",
    "founder",
    "shares",
    "paid_up",
    "status",
    "exit_date",
    "exit_kind",
    "exit_reason",
]
MOVEMENT_COLUMNS = ["member", "date", "kind", "category", "count", "amount", "detail", "seq"]
LEFT_REASONS = ("death", "end_of_employment", "bankruptcy", "other")


@dataclass(frozen=True)
class Heading:
    """What every document of the desk says first: whose, what, as of when, as known when,
    and the checkpoint of the entries it includes (1 to `size`, base64 `root`).

    `signed` is the text of a checkpoint the ledger recorded for exactly that size, signed,
    with `signed_at` when it was taken; `voting` and `cap` are the statutes' voting rule on the
    date."""

    lang: str
    cooperative: str | None
    as_of: dt.date
    known_at: str | None  # the --known-at moment, ISO as the ledger records times
    size: int
    root: str
    signed: str | None = None
    signed_at: str | None = None
    voting: str = "person"
    cap: Decimal = Decimal(10)
    totals: Sequence[Totals] = field(default_factory=tuple)

    def w(self, key: str, **values: object) -> str:
        return word(key, self.lang, **values)

    @property
    def who(self) -> str:
        return self.cooperative or self.w("the_cooperative")

    def moment(self, iso: str) -> str:
        from coopledger.reports.text import Style  # Babel: only for a heading

        return Style(self.lang).moment(iso)

    @property
    def known(self) -> str:
        return (
            self.w("known_at", moment=self.moment(self.known_at)) if self.known_at else self.w("as_recorded")
        )

    @property
    def entries(self) -> str:
        return self.w("entries", count=self.size) if self.size != 1 else self.w("entry")

    @property
    def checkpoint(self) -> str:
        return self.w("checkpoint", size=self.entries, root=self.root)

    @property
    def provenance(self) -> str:
        """`Tel qu'enregistré — point de contrôle (arbre de Merkle) : …`: the ledger behind it."""
        return f"{sentence(self.known)} — {self.checkpoint}"

    @property
    def voting_rule(self) -> str:
        if self.voting == "share":
            return self.w(
                "voting_share",
                cap=number(int(self.cap), self.lang) if self.cap == int(self.cap) else self.cap,
            )
        return self.w("voting_person")

    def totals_lines(self) -> list[str]:
        members = sum(t.members for t in self.totals)
        shares = sum(t.shares for t in self.totals)
        paid = sum((t.paid_up for t in self.totals), Decimal("0.00"))
        lines = [
            self.w(
                "totals",
                date=day(self.as_of),
                members=counted(members, "member", self.lang),
                shares=counted(shares, "share", self.lang),
                paid_up=money(paid, self.lang),
            )
        ]
        if len(self.totals) > 1:
            lines += [
                self.w(
                    "totals_category",
                    category=t.category,
                    members=counted(t.members, "member", self.lang),
                    shares=counted(t.shares, "share", self.lang),
                    paid_up=money(t.paid_up, self.lang),
                )
                for t in self.totals
            ]
        return lines

    def signed_lines(self) -> list[str]:
        if not self.signed:
            return []
        intro = self.w("signed_checkpoint", moment=self.moment(self.signed_at) if self.signed_at else "")
        return [intro, *self.signed.rstrip("\n").split("\n")]

    def register_title(self) -> str:
        return f"{self.who} — {self.w('register')} {self.w('as_of', date=day(self.as_of))}"


def sentence(text: str) -> str:
    """A line of a heading begins with a capital."""
    return text[:1].upper() + text[1:]


# -- cells -------------------------------------------------------------------------------------


def identity(value: str | None, lang: str) -> str:
    """A name or address as the document prints it: `[erased]` and `[not held]` (never held:
    imported without personal data) in the document's words."""
    if value is None:
        return ""
    if value == ERASED:
        return word("erased", lang)
    return word("not_held", lang) if value == NOT_HELD else value


def exit_words(kind: str | None, reason: str | None, lang: str) -> tuple[str, str]:
    """The kind of an exit and its reason, in words (a departure by right's reason is a word)."""
    if kind is None:
        return "", ""
    if kind == "left" and reason in LEFT_REASONS:
        return word("left", lang), word(reason, lang)
    return word(kind, lang), reason or ""


def register_cells(row: Sequence[Any], lang: str) -> list[Cell]:
    """A register row (COLUMNS, identities resolved) as spreadsheet cells."""
    member, name, address, category, admitted, founder, shares, paid_up, status, exit_date, kind, reason = row
    kind_words, reason_words = exit_words(kind, reason, lang)
    return [
        member,
        identity(name, lang),
        identity(address, lang),
        category,
        admitted,
        word("yes" if founder else "no", lang),
        shares,
        Decimal(paid_up).quantize(Decimal("0.01")),
        word(f"status_{status}", lang),
        exit_date,
        kind_words,
        reason_words,
    ]


def kind_word(kind: str, lang: str) -> str:
    return word("admitted_kind" if kind == "admitted" else kind, lang)


def detail(movement: Movement, lang: str) -> str:
    """What a movement's reason says, in words: the other member of a transfer, the categories
    of a change, the reason of an exit."""
    kind, reason = movement.kind, movement.reason
    if kind == "transferred":
        return word("to", lang, member=reason or "?")
    if kind == RECEIVED:
        return word("from", lang, member=reason or "?")
    if kind == "category_changed":
        return word("category_from", lang, old=reason or "?", new=movement.category or "?")
    if kind in ("resigned", "left", "excluded"):
        return exit_words(kind, reason, lang)[1]
    return reason or ""


def movement_cells(movement: Movement, lang: str) -> list[Cell]:
    amount = None if movement.amount is None else Decimal(movement.amount).quantize(Decimal("0.01"))
    return [
        movement.member,
        movement.date,
        kind_word(movement.kind, lang),
        movement.category,
        movement.count,
        amount,
        detail(movement, lang),
        movement.seq,
    ]


def movement_line(movement: Movement, lang: str) -> str:
    """A movement as one line of a member's entry: `17/06/2025  Souscription : 2 parts, 50,00 €`."""
    kind, count, amount = movement.kind, movement.count, movement.amount
    parts: list[str] = []
    if kind in ("resigned", "left", "excluded"):
        why = detail(movement, lang)
        if why:
            parts.append(why)
        parts.append(
            word(
                "exit_holding",
                lang,
                shares=counted(count or 0, "share", lang),
                amount=money(amount or Decimal(0), lang),
            )
        )
    else:
        if count is not None:
            parts.append(counted(count, "share", lang))
        if kind in ("transferred", RECEIVED):
            parts[-1:] = [f"{parts[-1]} {detail(movement, lang)}"] if parts else [detail(movement, lang)]
            if amount is not None:
                parts.append(word("amount_carried", lang, amount=money(amount, lang)))
        else:
            if amount is not None:
                parts.append(money(amount, lang))
            if kind == "category_changed":
                parts.append(detail(movement, lang))
    colon = "\u00a0: " if lang == "fr" else ": "
    text = kind_word(kind, lang) + (colon + ", ".join(parts) if parts else "")
    return f"{day(movement.date)}  {text}  ({word('seq', lang)} {movement.seq})"


# -- the documents ------------------------------------------------------------------------------

WIDTHS = [11, 28, 40, 10, 12, 10, 9, 14, 14, 12, 22, 30]
MOVEMENT_WIDTHS = [11, 12, 30, 10, 9, 14, 36, 11]


def register_sheets(
    heading: Heading, rows: Iterable[Sequence[Any]], movements: Iterable[Movement]
) -> list[Sheet]:
    """The register and its movements as two sheets (read in turn: rows, then movements)."""
    lang = heading.lang
    movements_title = f"{heading.w('sheet_movements')} {heading.w('as_of', date=day(heading.as_of))}"
    title = [
        heading.register_title(),
        sentence(heading.w("register_law")),
        heading.provenance,
        *heading.signed_lines(),
        sentence(heading.voting_rule),
        *map(sentence, heading.totals_lines()),
    ]
    return [
        Sheet(
            heading.w("sheet_register"),
            title,
            [heading.w(c) for c in COLUMNS],
            WIDTHS,
            (register_cells(row, lang) for row in rows),
        ),
        Sheet(
            heading.w("sheet_movements"),
            [f"{heading.who} — {movements_title}", heading.checkpoint],
            [heading.w(c) for c in MOVEMENT_COLUMNS],
            MOVEMENT_WIDTHS,
            (movement_cells(m, lang) for m in movements),
        ),
    ]


def write_register_pdf(
    stream: IO[bytes],
    heading: Heading,
    chunks: Iterable[Sequence[Sequence[Any]]],
    movements_of: Callable[[Sequence[str]], Mapping[str, Sequence[Movement]]],
) -> int:
    """The register as landscape A4 pages: a row per member, their movements below it. Reads
    `chunks` of register rows (COLUMNS) and asks `movements_of` for each chunk's movements.
    Returns the number of pages."""
    from coopledger.reports.pdf import MARGIN, Column, Pages

    lang = heading.lang
    w = heading.w
    columns = [
        Column(w("member"), 50),
        Column(w("name"), 122),
        Column(w("address"), 160),
        Column(w("category_short"), 28),
        Column(w("admitted"), 54),
        Column(w("founder"), 50),
        Column(w("shares"), 44, right=True),
        Column(w("paid_up"), 72, right=True),
        Column(w("exit_date"), 56),
        Column(w("exit_kind"), 150),
    ]
    pages = Pages(
        stream,
        columns,
        lambda page: w("page", page=number(page, lang)),
        title=heading.register_title(),
        subject=heading.checkpoint,
    )
    running = f"{heading.register_title()} — {heading.known}"

    def head(p: Pages) -> float:
        y = p.height - MARGIN
        p.write(MARGIN, y - 8, p.cut(running, p.width - 2 * MARGIN, p.bold, 8), p.bold, 8)
        p.text.setFillColorRGB(0.45, 0.45, 0.45)
        p.write(MARGIN, y - 17, p.cut(heading.checkpoint, p.width - 2 * MARGIN, size=6.5), size=6.5)
        p.text.setFillColorRGB(0, 0, 0)
        return y - 22

    def first(p: Pages) -> float:
        y = p.height - MARGIN - 14
        p.write(MARGIN, y, p.cut(heading.who, p.width - 2 * MARGIN, p.bold, 14), p.bold, 14)
        y -= 16
        title = f"{w('register')} {w('as_of', date=day(heading.as_of))}"
        p.write(MARGIN, y, title, p.bold, 11)
        signed = heading.signed_lines()
        y -= 12
        lines = [
            (sentence(w("register_law")), p.regular, 8),
            (heading.provenance, p.regular, 8),
            *((line, p.regular if n == 0 else p.mono, 8 if n == 0 else 7) for n, line in enumerate(signed)),
            (sentence(heading.voting_rule), p.regular, 8),
            *((sentence(line), p.regular, 8) for line in heading.totals_lines()),
        ]
        for text, font, size in lines:
            y -= size * 1.35
            p.write(MARGIN, y, p.cut(text, p.width - 2 * MARGIN, font, size), font, size)
        return y - 6

    pages.head = head
    pages.first = first
    for chunk in chunks:
        found = movements_of([row[0] for row in chunk])
        for row in chunk:
            (
                member,
                name,
                address,
                category,
                admitted,
                founder,
                shares,
                paid_up,
                _,
                exit_date,
                kind,
                reason,
            ) = row
            kind_words, reason_words = exit_words(kind, reason, lang)
            exit_text = f"{kind_words} ({reason_words})" if reason_words else kind_words
            pages.row(
                [
                    member,
                    identity(name, lang),
                    identity(address, lang),
                    category,
                    day(admitted),
                    w("yes" if founder else "no"),
                    number(shares, lang),
                    money(Decimal(paid_up), lang),
                    day(exit_date),
                    exit_text,
                ],
                [movement_line(m, lang) for m in found.get(member, ())],
            )
    pages.close()
    return pages.page


def merged(
    own: Mapping[str, Sequence[Movement]], received: Mapping[str, Sequence[Movement]], members: Sequence[str]
) -> dict[str, list[Movement]]:
    """Each member's own movements and the transfers they received, in date and entry order."""
    return {
        m: sorted([*own.get(m, ()), *received.get(m, ())], key=lambda x: (x.date, x.seq))
        for m in members
        if m in own or m in received
    }


def flattened(chunks: Iterable[Sequence[Any]]) -> Iterator[Any]:
    for chunk in chunks:
        yield from chunk
