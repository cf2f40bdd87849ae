"""The year's report: `report` (figures, special report, restatement) and `chart`.

Every flag is read once into a `ReportOptions` by `report_options`, with
today's date and the cooperative's fiscal year taken here, at the edge;
then one library call computes the figures and a renderer writes them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import msgspec
from sqlalchemy import Engine

from commands.context import (
    App,
    BadOption,
    Choice,
    OptionConflict,
    Year,
    ledger_errors,
    output_options,
    parse_date,
    parse_moment,
    parse_text,
    pass_app,
    shown,
    today,
    written,
)
from commands.render import emit
from commands.views import period
from ledger import events as ev
from ledger.application import format_recorded
from ledger.validate import statutes_of
from projections import read_models
from projections.figures import Figures, Restatement, compute, flatten, restatement, series, to_data
from reports.options import LANGS, LOCALES, SECTIONS, THOUSANDS, ReportOptions

F = TypeVar("F", bound=Callable[..., Any])
_json = msgspec.json.Encoder(decimal_format="string")


def fiscal_period(app: App, year: int | None, known_at: dt.datetime | None) -> tuple[dt.date, dt.date, int]:
    """A fiscal year by the statutes in force (calendar by default); this one if none is given."""
    statutes = statutes_of(app.store.timelines([ev.STATUTES], app.known_seq(known_at)))
    if year is None:
        year = statutes.fiscal_year(today())[1]
    first = dt.date.fromisoformat(f"{year}-{statutes.get('fiscal_year_start', dt.date(year, 12, 31))}")
    return first, first.replace(year=year + 1) - dt.timedelta(days=1), year


INCLUDE_SIZE = 1_000_000  # characters of the secretary's text for one section


def _includes(values: tuple[str, ...]) -> dict[str, str]:
    """--include SECTION=FILE, read now: a missing file or unknown section is bad usage."""
    texts = {}
    for value in values:
        section, _, name = value.partition("=")
        if section not in SECTIONS or not name:
            raise BadOption(
                f"{shown(value)}: expected SECTION=FILE, SECTION one of {', '.join(SECTIONS)}",
                param_hint="--include",
            )
        try:
            with open(name, encoding="utf-8") as file:
                text = file.read(INCLUDE_SIZE + 1)
        except (OSError, ValueError) as e:  # ValueError: a NUL in the name, or not UTF-8
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            raise BadOption(f"cannot read {shown(name)}: {reason}", param_hint="--include") from None
        if len(text) > INCLUDE_SIZE:
            raise BadOption(
                f"{shown(name)} is longer than {INCLUDE_SIZE:,} characters", param_hint="--include"
            )
        texts[section] = text
    return texts


# Digits, control characters, undecodable bytes, and what Markdown or HTML would read as markup.
_NOT_SEPARATOR = re.compile(r"[\d\x00-\x1f\x7f-\x9f\ud800-\udfff<>&`*_\[\]|~\\]")


def _separator(value: str | None, lang: str) -> str | None:
    """A thousands separator that cannot be mistaken for the decimal sign."""
    if value is None:
        return value
    from babel.numbers import get_decimal_symbol

    if len(value) > 3 or value == get_decimal_symbol(LOCALES[lang]) or _NOT_SEPARATOR.search(value):
        raise BadOption(
            f"{shown(value)} cannot separate thousands (at most 3 characters, not the decimal sign, "
            "no digit, control character or any of <>&`*_[]|~\\)",
            param_hint="--thousands-separator",
        )
    return value


def report_options(*formats: str, document: bool = False) -> Callable[[F], F]:
    """The period, --known-at, --lang, --thousands-separator (and --format, and for the
    report document --compare-known-at, --include, --cooperative) as one `options`."""

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def wrapper(
            year: int | None,
            start: dt.date | None,
            end: dt.date | None,
            known_at: dt.datetime | None,
            lang: str,
            thousands_separator: str | None,
            fmt: str = "table",
            compare_known_at: dt.datetime | None = None,
            include: tuple[str, ...] = (),
            cooperative: str | None = None,
            **rest: Any,
        ) -> Any:
            if year is not None and (start or end):
                raise OptionConflict("give either --year or --from/--to, not both")
            if start is None and end is None:
                app = click.get_current_context().find_object(App)
                with ledger_errors():
                    start, end, year = fiscal_period(app, year, known_at)  # type: ignore[arg-type]
            else:
                start, end = period(None, start, end)
            if compare_known_at and known_at and compare_known_at >= known_at:
                raise OptionConflict("--compare-known-at must be before --known-at")
            options = ReportOptions(
                start=start,
                end=end,
                year=year,
                known_at=known_at,
                compare_known_at=compare_known_at,
                fmt=fmt,
                lang=lang,
                thousands_separator=_separator(thousands_separator, lang),
                cooperative=cooperative,
                includes=_includes(include),
                include_files=include,
            )
            return f(options, **rest)

        if document:
            wrapper = click.option(
                "--cooperative", callback=parse_text, help="the cooperative's name, for the title"
            )(wrapper)
            wrapper = click.option(
                "--include",
                multiple=True,
                metavar="SECTION=FILE",
                help=f"the secretary's text for a section ({', '.join(SECTIONS)}); Markdown",
            )(wrapper)
            wrapper = click.option(
                "--compare-known-at",
                callback=parse_moment,
                help="also the figures as known then, every difference explained by the entries since",
            )(wrapper)
        if formats:
            wrapper = output_options(*formats)(wrapper)
        wrapper = click.option(
            "--thousands-separator",
            help="between groups of thousands in md, html and charts "
            f"(default: {' '.join(f'{k} {v!r}' for k, v in THOUSANDS.items())})",
        )(wrapper)
        wrapper = click.option("--lang", type=Choice(LANGS), default="fr", show_default=True)(wrapper)
        wrapper = click.option(
            "--known-at",
            callback=parse_moment,
            help="as the ledger knew it then: ISO date (end of day) or date-time, UTC",
        )(wrapper)
        wrapper = click.option("--to", "end", callback=parse_date, help="last day of the period")(wrapper)
        wrapper = click.option("--from", "start", callback=parse_date, help="first day of the period")(
            wrapper
        )
        year = "a fiscal year, e.g. 2025 (calendar unless the statutes say otherwise)"
        return click.option("--year", type=Year(), help=year)(wrapper)  # type: ignore[return-value]

    return decorate


def _moment(moment: dt.datetime | None) -> str | None:
    return format_recorded(moment) if moment else None


def last_seq(app: App, engine: Engine, known_at: dt.datetime | None) -> int:
    """The last entry a report includes: fixed once, so every query reads the same ledger."""
    projected = min(read_models.positions(engine).values())
    known = app.known_seq(known_at)
    return projected if known is None else min(known, projected)


def restatement_data(restated: Restatement) -> dict[str, Any]:
    return {
        "before": to_data(restated.before),
        "after": to_data(restated.after),
        "differences": [{"figure": p, "before": old, "after": new} for p, old, new in restated.differences],
        "causes": [
            {"seq": c.seq, "type": c.type, "member": c.member, "date": c.date, "moved": list(c.moved)}
            for c in restated.causes
        ],
    }


def _people(figures: Figures, restated: Restatement | None) -> None:
    """Aligned tables: the figures by group, then any restatement."""
    data = to_data(figures)
    p = data["provenance"]
    known = f"as known at {p['known_at']}" if p["known_at"] else "as recorded"
    click.echo(f"Report {figures.start} to {figures.end}, {known}: entries 1 to {p['last_seq']}")
    click.echo(f"fingerprint {p['fingerprint']}")
    flat = flatten(data)
    for group in ("members", "capital", "assemblies", "result_allocation", "board"):
        rows = [
            {"figure": k[len(group) + 1 :], "value": v} for k, v in flat.items() if k.startswith(group + ".")
        ]
        if rows:
            click.echo()
            emit(rows, ["figure", "value"], "table", group.replace("_", " ").capitalize())
    if restated is not None:
        before = to_data(restated.before)["provenance"]
        click.echo(f"\nChanged since {before['known_at']} (entry {before['last_seq']}):")
        rows = [{"figure": f, "then": old, "now": new} for f, old, new in restated.differences]
        emit(rows, ["figure", "then", "now"], "table")
        click.echo("\nEntries recorded since that moved them:")
        causes = [{**vars(c), "moved": ", ".join(c.moved)} for c in restated.causes]
        emit(causes, ["seq", "type", "member", "date", "moved"], "table")


@click.command()
@report_options("table", "json", "csv", "md", "html", document=True)
@pass_app
def report(app: App, options: ReportOptions) -> None:
    """The year's figures and the special report of an accredited cooperative.

    The figures (CONTRACT.md section 3: members, capital, assemblies, board)
    come from the read models as known after one entry, named with its
    chain hash, so the same command with the same --known-at prints the
    same bytes later. md and html write the special report (ICA principles
    1 to 3 from the figures, the other sections from --include files);
    --compare-known-at adds what changed since then and which entries did it.

    \b
    Examples:
      coopledger report --year 2025 --format json
      coopledger report --year 2025 --format html --lang nl > rapport.html
      coopledger report --year 2025 --format md --include principle4=p4.md
      coopledger report --year 2025 --compare-known-at 2026-06-17
    """
    restated = None
    with ledger_errors():
        engine = app.read_models()
        seq = last_seq(app, engine, options.known_at)
        if options.compare_known_at:
            earlier = (last_seq(app, engine, options.compare_known_at), _moment(options.compare_known_at))
            later = (seq, _moment(options.known_at))
            restated = restatement(engine, app.store, options.start, options.end, earlier, later)
            figures = restated.after
        else:
            figures = compute(engine, app.store, options.start, options.end, seq, _moment(options.known_at))
        chart = series(engine, options.start, options.end, seq) if options.fmt == "html" else None
    if options.fmt == "json":
        data = restatement_data(restated) if restated else to_data(figures)
        sys.stdout.write(msgspec.json.format(_json.encode(data), indent=2).decode() + "\n")
    elif options.fmt == "csv":
        if restated:
            rows = [{"figure": f, "before": old, "after": new} for f, old, new in restated.differences]
            emit(rows, ["figure", "before", "after"], "csv")
        else:
            rows = [{"figure": f, "value": v} for f, v in flatten(to_data(figures), header=True).items()]
            emit(rows, ["figure", "value"], "csv")
    elif options.fmt in ("md", "html"):
        from reports.text import Style, render

        svg = None
        if chart is not None:
            from reports.charts import inline_svg, members_chart

            svg = inline_svg(members_chart(chart, Style(options.lang, options.thousands_separator)))
        sys.stdout.write(render(options, figures, restated, svg))
    else:
        _people(figures, restated)


@click.command()
@click.argument("subject", type=Choice(["members"]))
@report_options()
@click.option("-o", "--output", required=True, callback=parse_text, help="FILE.svg or FILE.png")
@pass_app
def chart(app: App, options: ReportOptions, subject: str, output: str) -> None:
    """Draw a chart alone: members over time by category, with admissions and exits by month.

    \b
    Examples:
      coopledger chart members --year 2025 -o members-2025.svg
      coopledger chart members --from 2016-01-01 --to 2025-12-31 --lang nl -o leden.png
    """
    fmt = Path(output).suffix.lower().lstrip(".")
    if fmt not in ("svg", "png"):
        raise BadOption("the file name must end in .svg or .png", param_hint="--output")
    if Path(output).is_dir():
        raise BadOption(f"{shown(output)} is a folder", param_hint="--output")
    if not Path(output).absolute().parent.is_dir():
        raise BadOption(f"cannot write {shown(output)}: no such folder", param_hint="--output")
    with ledger_errors():
        engine = app.read_models()
        data = series(engine, options.start, options.end, last_seq(app, engine, options.known_at))
    from reports.charts import members_chart
    from reports.text import Style

    drawn = members_chart(data, Style(options.lang, options.thousands_separator), fmt)
    with written(output) as stream:
        stream.write(drawn)
    click.echo(f"wrote {output}")
