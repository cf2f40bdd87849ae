"""An assembly's roll: the members entitled to take part, with their category, shares and votes,
and a column to sign in: the attendance list, as a spreadsheet or PDF pages to print.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from coopledger.reports.desk_words import counted, day, number
from coopledger.reports.register_document import Heading, identity, sentence
from coopledger.reports.spreadsheet import Cell, Sheet

ROLL = ["member", "name", "category", "shares", "votes", "proxy", "signature"]
MAILING = ["member", "name", "email"]


@dataclass(frozen=True)
class RollHeading:
    """The roll's heading: the register's (as of the assembly's day), the assembly, and how many
    members and votes the roll holds."""

    heading: Heading
    assembly: str
    kind: str
    date: dt.date
    members: int
    votes: int

    def lines(self) -> list[str]:
        h = self.heading
        lang = h.lang
        return [
            f"{h.who} — {h.w('roll')}",
            h.w("roll_assembly", kind=h.w(f"kind_{self.kind}"), assembly=self.assembly, date=day(self.date)),
            h.w(
                "roll_entitled",
                members=counted(self.members, "member", lang),
                votes=counted(self.votes, "vote", lang),
            ),
            sentence(h.voting_rule),
            h.provenance,
            *h.signed_lines(),
            h.w("roll_sign"),
        ]


def votes_of(shares: int, voting: str) -> int:
    """A member's votes on the roll: one, or one per share under share voting (the cap applies
    to the votes present at the meeting, which the roll cannot know)."""
    return shares if voting == "share" else 1


def roll_cells(row: Sequence[Any], lang: str, voting: str) -> list[Cell]:
    """A roll row (member, name, category, shares; the name resolved) as cells, signature blank."""
    member, name, category, shares = row
    return [member, identity(name, lang), category, shares, votes_of(shares, voting), None, None]


def roll_sheet(roll: RollHeading, rows: Iterable[Sequence[Any]]) -> Sheet:
    h = roll.heading
    return Sheet(
        h.w("roll"),
        roll.lines(),
        [h.w(c) for c in ROLL],
        [11, 32, 10, 9, 9, 24, 30],
        (roll_cells(row, h.lang, h.voting) for row in rows),
    )


def write_roll_pdf(stream: IO[bytes], roll: RollHeading, chunks: Iterable[Sequence[Sequence[Any]]]) -> int:
    """The attendance list as portrait A4 pages with room to sign; returns the number of pages."""
    from coopledger.reports.pdf import MARGIN, Column, Pages

    h = roll.heading
    lang = h.lang
    columns = [
        Column(h.w("member"), 46),
        Column(h.w("name"), 150),
        Column(h.w("category_short"), 30),
        Column(h.w("shares"), 44, right=True),
        Column(h.w("votes"), 44, right=True),
        Column(h.w("proxy"), 105),
        Column(h.w("signature"), 120),
    ]
    pages = Pages(
        stream,
        columns,
        lambda page: h.w("page", page=number(page, lang)),
        wide=False,
        size=8.5,
        row_gap=3,
        min_row=20,
        title=roll.lines()[0],
        subject=h.checkpoint,
    )
    lines = roll.lines()
    running = f"{lines[0]} — {lines[1]}"

    def head(p: Pages) -> float:
        y = p.height - MARGIN
        p.write(MARGIN, y - 8, p.cut(running, p.width - 2 * MARGIN, p.bold, 8), p.bold, 8)
        p.text.setFillColorRGB(0.45, 0.45, 0.45)
        p.write(MARGIN, y - 17, p.cut(h.checkpoint, p.width - 2 * MARGIN, size=6.5), size=6.5)
        p.text.setFillColorRGB(0, 0, 0)
        return y - 24

    def first(p: Pages) -> float:
        y = p.height - MARGIN - 14
        p.write(MARGIN, y, p.cut(h.who, p.width - 2 * MARGIN, p.bold, 14), p.bold, 14)
        y -= 17
        p.write(MARGIN, y, p.cut(f"{h.w('roll')} — {lines[1]}", p.width - 2 * MARGIN, p.bold, 11), p.bold, 11)
        y -= 6
        for text in lines[2:]:
            for part in p.wrap(text, p.width - 2 * MARGIN, 4):
                y -= 10.5
                font = p.mono if text in (h.signed or "") else p.regular
                p.write(MARGIN, y, part, font, 8)
        return y - 8

    pages.head = head
    pages.first = first
    for chunk in chunks:
        for row in chunk:
            member, name, category, shares = row
            pages.row(
                [
                    member,
                    identity(name, lang),
                    category,
                    number(shares, lang),
                    number(votes_of(shares, h.voting), lang),
                    "",
                    "",
                ]
            )
    pages.close()
    return pages.page
