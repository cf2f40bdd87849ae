"""The special report as Markdown or HTML: one Jinja2 template per language.

A language template (`report.fr.j2`, ...) writes the sections with their
sentences, and draws its headings, paragraphs and lists through a small
macro file per format (`_md.j2`, `_html.j2`), so one template serves both
formats. Numbers, amounts and dates follow Belgian usage through Babel
(`Style`); plural forms follow Babel's plural rules, and zero is always
written out in words by the templates ("aucune demande").
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shlex
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache, cached_property
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal, format_percent, get_group_symbol
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from coopledger.ledger.provenance import format_recorded
from coopledger.projections.figures.compute import Figures, Provenance
from coopledger.projections.figures.data import to_data
from coopledger.projections.figures.restatement import Restatement
from coopledger.reports.labels import entry_label, figure_label
from coopledger.reports.options import LOCALES, THOUSANDS, ReportOptions


@dataclass(frozen=True)
class Style:
    """Belgian number, amount and date formats in one language, and its plural rule."""

    lang: str
    separator: str | None = None  # None: the language's own

    @property
    def thousands(self) -> str:
        return self.separator or THOUSANDS[self.lang]

    @cached_property
    def locale(self) -> Locale:
        return Locale.parse(LOCALES[self.lang])

    def _grouped(self, text: str) -> str:
        """Put the chosen thousands separator in place of the locale's."""
        return text.replace(get_group_symbol(self.locale), self.thousands)

    def number(self, value: int | Decimal) -> str:
        return self._grouped(format_decimal(value, locale=self.locale))

    def money(self, amount: Decimal) -> str:
        return self._grouped(format_currency(amount, "EUR", locale=self.locale))

    def percent(self, value: Decimal) -> str:
        """A percentage given in percent (3.53 -> "3,5 %"), one decimal."""
        pattern = self.locale.percent_formats[None].pattern.replace("#,##0", "#,##0.0")
        return self._grouped(format_percent(value / 100, format=pattern, locale=self.locale))

    def date(self, day: dt.date) -> str:
        """A date in words: 31 décembre 2025, 1er janvier 2025."""
        text = format_date(day, "long", locale=self.locale)
        return "1er" + text[1:] if self.lang == "fr" and day.day == 1 else text

    def day(self, day: dt.date) -> str:
        """A date in figures, as Belgian minutes write it: 17/06/2025."""
        return format_date(day, "dd/MM/yyyy", locale=self.locale)

    def moment(self, iso: str) -> str:
        """A recorded moment (ISO, as the ledger writes it) in words, to the second, in UTC as
        recorded: 2 décembre 2026, 16:55:07 UTC; the date and the time joined as the
        language's long date-time pattern joins them."""
        moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(dt.UTC)
        time = format_time(moment, "HH:mm:ss", tzinfo=dt.UTC, locale=self.locale) + " UTC"
        return str(self.locale.datetime_formats["long"]).format(time, self.date(moment.date()))

    def month(self, first: dt.date, months: int) -> str:
        """A month on a chart axis, shorter as the axis gets longer."""
        pattern = "MMM" if months <= 12 else "MMM yy" if months <= 36 else "yyyy"
        return format_date(first, pattern, locale=self.locale)

    def plural(self, count: int, one: str, other: str) -> str:
        """The form of a word for `count`, by the language's plural rule."""
        return one if self.locale.plural_form(count) == "one" else other

    def figure(self, path: str, value: Any) -> str:
        """A figure of the report by its path: a fiscal year is a name (2024), never 2.024."""
        if path.endswith(".year") and isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return self.value(value)

    def value(self, value: Any) -> str:
        """Any figure in a table cell: counts, amounts, dates, words."""
        if value is None:
            return "—"
        if isinstance(value, bool | str):
            return str(value)
        if isinstance(value, Decimal):
            return self._grouped(format_decimal(value, "#,##0.00", locale=self.locale))
        if isinstance(value, dt.date):
            return self.day(value)
        return self.number(value)


def _oneline(text: str) -> str:
    """Collapse a template paragraph onto one line, with no plain space before , . ; or :

    (French puts a no-break space before ; and : itself, as its typography wants.)
    """
    joined = re.sub(r"[ \t\n]+(\u00a0?[,.;:])", r"\1", re.sub(r"[ \t\n]+", " ", str(text).strip()))
    return Markup(joined) if isinstance(text, Markup) else joined


# What French spacing must not touch: markup, embedded stylesheets and charts, code spans.
_NOT_PROSE = re.compile(
    r"(<style.*?</style>|<svg.*?</svg>|<code>.*?</code>|<[^>]*>|&#?\w+;|`[^`\n]*`)", re.DOTALL
)
# A colon, semicolon, question or exclamation mark that ends a word (not 16:47 or https://).
_HIGH_PUNCTUATION = re.compile(r"(?<=\S)[ \u00a0\u202f]?([:;?!])(?=[\s<»)]|$)", re.MULTILINE)


def french_spacing(text: str) -> str:
    """French typography: a no-break space before `:`, `;`, `?` and `!`, so that the sign never
    starts a line; markup, entities and code are left as they are."""
    parts = _NOT_PROSE.split(text)
    return "".join(
        part if index % 2 else _HIGH_PUNCTUATION.sub("\u00a0\\1", part) for index, part in enumerate(parts)
    )


def _upfirst(text: str) -> str:
    """Capitalise the first letter only (Jinja's `capitalize` lowers the rest)."""
    joined = str(text)[:1].upper() + str(text)[1:]
    return Markup(joined) if isinstance(text, Markup) else joined


def _alternatives(items: list[str], word: str) -> str:
    """a, b or c."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


INLINE = ((re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"), (re.compile(r"\*(.+?)\*"), r"<em>\1</em>"))


def html_text(source: str) -> Markup:
    """The secretary's text (paragraphs, `- ` lists, `#` headings, *emphasis*) as safe HTML."""
    blocks = []
    for block in re.split(r"\n\s*\n", source.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        text = [html.escape(line) for line in lines]
        for pattern, replacement in INLINE:
            text = [pattern.sub(replacement, line) for line in text]
        if all(line.startswith(("- ", "* ")) for line in lines):
            blocks.append("<ul>" + "".join(f"<li>{line[2:]}</li>" for line in text) + "</ul>")
        elif lines[0].startswith("#") and len(lines) == 1:
            level = min(5, 2 + len(lines[0]) - len(lines[0].lstrip("#")))
            blocks.append(f"<h{level}>{text[0].lstrip('#').strip()}</h{level}>")
        else:
            blocks.append(f"<p>{' '.join(text)}</p>")
    return Markup("\n".join(blocks))


_MARKUP = re.compile(r"[&<>|]")


def md_escaped(value: Any) -> Any:
    """Data made inert in Markdown: `&`, `<`, `>` as entities, so no raw HTML from the ledger
    reaches a renderer, and `|` escaped, so a value cannot split a table cell. Keys are escaped
    too (categories are data); the report's own keys hold none of these characters."""
    if isinstance(value, str):
        return _MARKUP.sub(
            lambda m: html.escape(m.group()) if m.group() in "&<>" else f"\\{m.group()}", value
        )
    if isinstance(value, dict):
        return {md_escaped(k): md_escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(md_escaped(item) for item in value)
    return value


@cache
def environment(fmt: str) -> Environment:
    """The templates, escaping data for HTML and leaving Markdown as written."""
    env = Environment(
        loader=PackageLoader("coopledger.reports", "templates"),
        autoescape=fmt == "html",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.do"],
    )
    env.filters.update(oneline=_oneline, upfirst=_upfirst)
    return env


def rerun(options: ReportOptions, provenance: Provenance) -> str:
    """The command that prints this report again, figure for figure."""
    period = f"--year {options.year}" if options.year else f"--from {options.start} --to {options.end}"
    moment = provenance.known_at or provenance.last_recorded
    parts = ["coopledger report", period]
    if moment:
        parts.append(f"--known-at {moment}")
    if options.compare_known_at:
        parts.append(f"--compare-known-at {format_recorded(options.compare_known_at)}")
    parts += [f"--format {options.fmt}", f"--lang {options.lang}"]
    if options.thousands_separator not in (None, THOUSANDS[options.lang]):
        parts.append(f"--thousands-separator {shlex.quote(options.thousands_separator)}")
    if options.cooperative:
        parts.append(f"--cooperative {shlex.quote(options.cooperative)}")
    parts += [f"--include {shlex.quote(value)}" for value in options.include_files]
    return " ".join(parts)


MOVED_SHOWN = 3  # figures named per entry in the annex; the JSON report names them all


def restatement_data(restatement: Restatement, style: Style, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Differences and causes in the report's words: figures and entry types by name, moments
    and values written for people, a figure that did not exist then shown as zero."""

    def label(path: str) -> str:
        return figure_label(path, style.lang, start, end, style.day)

    def then(old: Any, new: Any) -> Any:
        return type(new)(0) if old is None and isinstance(new, int | Decimal) else old

    def moved(paths: tuple[str, ...]) -> str:
        names = [label(path) for path in paths[:MOVED_SHOWN]]
        more = len(paths) - MOVED_SHOWN
        return "; ".join(names) + (f" (+{style.number(more)})" if more > 0 else "")

    before = to_data(restatement.before)["provenance"]
    return {
        "before": {**before, "known_at": style.moment(before["known_at"])},
        "differences": [
            (label(path), style.value(then(old, new)), style.value(new))
            for path, old, new in restatement.differences
        ],
        "causes": [
            (c.seq, entry_label(c.type, style.lang), c.member or "", style.day(c.date), moved(c.moved))
            for c in restatement.causes
        ],
    }


def render(
    options: ReportOptions, figures: Figures, restatement: Restatement | None = None, chart: str | None = None
) -> str:
    """The special report in the options' language and format (md or html)."""
    style = Style(options.lang, options.thousands_separator)
    template = environment(options.fmt).get_template(f"report.{options.lang}.j2")
    data = to_data(figures)
    restated = restatement_data(restatement, style, figures.start, figures.end) if restatement else None
    shown = options
    if options.fmt == "md":
        data, restated = md_escaped(data), md_escaped(restated)
        shown = replace(options, cooperative=md_escaped(options.cooperative))
    sections = {
        name: html_text(text) if options.fmt == "html" else text.strip()
        for name, text in options.includes.items()
    }
    text = template.render(
        fmt=options.fmt,
        o=shown,
        d=data,
        year=options.calendar_year,
        eve=figures.start - dt.timedelta(days=1),
        sections=sections,
        final=options.final,
        chart=Markup(chart) if chart else None,
        restated=restated,
        rerun=rerun(options, figures.provenance),
        n=style.number,
        eur=style.money,
        pct=style.percent,
        date=style.date,
        day=style.day,
        moment=style.moment,
        plural=style.plural,
        value=style.value,
        alternatives=_alternatives,
    )
    text = re.sub(r"\n{3,}", "\n\n", text).lstrip()
    return french_spacing(text) if options.lang == "fr" else text
