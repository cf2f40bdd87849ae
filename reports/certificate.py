"""A member's certificate of registration: their entry in the register on a date, in HTML or
PDF, signed off with the checkpoint of the entries it reproduces.

The Code of Companies and Associations lets a member ask for a certificate of what the
register holds about them; this one says it as of a date and as the ledger was known then,
and ends with the checkpoint, so the member can later have the entries proved against it
(`coopledger prove --member M --checkpoint FILE`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from coopledger.projections.register.fold import Movement
from coopledger.reports.desk_words import counted, day, money, number
from coopledger.reports.register_document import Heading, exit_words, identity, movement_line


@dataclass(frozen=True)
class Certificate:
    """What the certificate says: the heading, the member's register line (COLUMNS, identities
    resolved), their movements up to the date, and the day it is issued."""

    heading: Heading
    line: Sequence[Any]
    movements: Sequence[Movement]
    issued: dt.date

    @property
    def member(self) -> str:
        return str(self.line[0])

    def fields(self) -> list[tuple[str, str]]:
        """The register's columns for the member, as label and value, in the document's words."""
        lang = self.heading.lang
        (
            member,
            name,
            address,
            category,
            admitted,
            founder,
            shares,
            paid_up,
            status,
            exit_date,
            kind,
            reason,
        ) = self.line
        w = self.heading.w
        rows = [
            (w("member"), member),
            (w("name"), identity(name, lang)),
            (w("address"), identity(address, lang) or "—"),
            (w("category"), category),
            (w("admitted"), day(admitted)),
            (w("founder"), w("yes" if founder else "no")),
            (w("shares"), number(shares, lang)),
            (w("paid_up"), money(Decimal(paid_up), lang)),
            (w("status"), w(f"status_{status}")),
        ]
        if exit_date is not None:
            kind_words, reason_words = exit_words(kind, reason, lang)
            rows += [
                (w("exit_date"), day(exit_date)),
                (w("exit_kind"), f"{kind_words} ({reason_words})" if reason_words else kind_words),
            ]
        return rows

    def texts(self) -> dict[str, Any]:
        h = self.heading
        lang = h.lang
        checkpoint = h.signed.rstrip("\n") if h.signed else f"{h.entries}\n{h.root}"
        return {
            "lang": lang,
            "who": h.who,
            "title": h.w("certificate"),
            "member": self.member,
            "intro": h.w("certificate_intro", cooperative=h.who, date=day(h.as_of), known=h.known),
            "fields": self.fields(),
            "movements_title": h.w("movements"),
            "movements": [movement_line(m, lang) for m in self.movements],
            "no_movement": h.w("no_movement"),
            "checkpoint_intro": h.w("certificate_checkpoint", entries=h.entries),
            "checkpoint": checkpoint,
            "proof": h.w("certificate_proof", member=self.member),
            "issued": h.w("issued", date=day(self.issued)),
            "for_the_board": h.w("for_the_board"),
            "shares_words": counted(int(self.line[6]), "share", lang),
        }


def certificate_html(certificate: Certificate) -> str:
    """The certificate as one HTML page (every value escaped)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("coopledger.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    return env.get_template("certificate.html.j2").render(**certificate.texts())


def write_certificate_pdf(stream: IO[bytes], certificate: Certificate) -> None:
    """The certificate as an A4 page (more if the member's movements need them)."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, Preformatted, SimpleDocTemplate, Spacer, Table, TableStyle
    from reportlab.platypus.flowables import HRFlowable

    from coopledger.reports.pdf import _fonts

    regular, bold, mono = _fonts()
    t = certificate.texts()
    base = ParagraphStyle("base", fontName=regular, fontSize=10, leading=13.5)
    small = ParagraphStyle("small", parent=base, fontSize=8.5, leading=11, textColor=(0.25, 0.25, 0.25))
    who = ParagraphStyle("who", parent=base, fontName=bold, fontSize=13, leading=16, spaceAfter=4)
    title = ParagraphStyle("title", parent=base, fontName=bold, fontSize=15, leading=19, spaceAfter=10)
    heading = ParagraphStyle(
        "heading", parent=base, fontName=bold, fontSize=10.5, spaceBefore=8, spaceAfter=4
    )
    item = ParagraphStyle("item", parent=base, fontSize=9, leading=12, leftIndent=10)
    code = ParagraphStyle(
        "code",
        parent=base,
        fontName=mono,
        fontSize=7.5,
        leading=9.5,
        backColor=(0.95, 0.95, 0.95),
        borderPadding=4,
    )

    def para(text: str, style: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(text), style)

    fields = Table(
        [[para(label, small), para(str(value), base)] for label, value in t["fields"]],
        colWidths=[4.5 * cm, 11.5 * cm],
        hAlign="LEFT",
    )
    fields.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    story: list[Any] = [
        para(t["who"], who),
        para(t["title"], title),
        para(t["intro"], base),
        Spacer(1, 8),
        fields,
        para(t["movements_title"], heading),
    ]
    story += [para(line, item) for line in t["movements"]] or [para(t["no_movement"], item)]
    story += [
        Spacer(1, 10),
        para(t["checkpoint_intro"], small),
        Spacer(1, 6),
        Preformatted(t["checkpoint"], code, maxLineLength=90),
        Spacer(1, 10),
        para(t["proof"], small),
        Spacer(1, 14),
        para(t["issued"], base),
        Spacer(1, 10),
        para(t["for_the_board"], base),
        Spacer(1, 36),
        HRFlowable(width=6 * cm, thickness=0.5, color=(0.5, 0.5, 0.5), hAlign="LEFT"),
    ]
    document = SimpleDocTemplate(
        stream,
        pagesize=A4,
        leftMargin=2.2 * cm,
        rightMargin=2.2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
        title=f"{t['title']} — {t['member']}",
        subject=certificate.heading.checkpoint,
        creator="coopledger",
        invariant=1,
    )
    document.build(story)
