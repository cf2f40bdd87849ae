"""The year's report: `report` (figures, special report, restatement) and `chart`.

Every flag is read once into a `ReportOptions` by `report_options`, on top of
the view record (today, the fiscal year, the entry known at --known-at, taken
at the edge); then one library call computes the figures and a renderer writes them.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import io
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import click
import msgspec
from sqlalchemy import Engine

from coopledger.commands.context import (
    App,
    BadOption,
    Choice,
    OptionConflict,
    ledger_errors,
    parse_text,
    pass_app,
    shown,
    written,
)
from coopledger.commands.render import emit
from coopledger.commands.view import Known, View, parse_known, resolve_known, view_options
from coopledger.ledger.provenance import format_recorded
from coopledger.ledger.tree import StoredTree
from coopledger.projections import read_models
from coopledger.projections.figures.compute import Figures, TreeHead, compute
from coopledger.projections.figures.data import flatten, to_data
from coopledger.projections.figures.restatement import Restatement, restatement
from coopledger.projections.figures.series import series
from coopledger.reports.labels import entry_label, figure_label, table_word, value_word
from coopledger.reports.options import LOCALES, SECTIONS, THOUSANDS, ReportOptions

F = TypeVar("F", bound=Callable[..., Any])
_json = msgspec.json.Encoder(decimal_format="string")


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
    """The view (period, --known-at, --lang, --format) and --thousands-separator (and for the
    report document --compare-known-at, --include, --cooperative) as one `options`."""

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def wrapper(
            view: View,
            thousands_separator: str | None,
            compare_known_at: Known | None = None,
            include: tuple[str, ...] = (),
            cooperative: str | None = None,
            **rest: Any,
        ) -> Any:
            if isinstance(compare_known_at, int):  # `#N`: the moment entry N was recorded
                app = click.get_current_context().find_object(App)
                compare_known_at = resolve_known(app, compare_known_at, "--compare-known-at")[0]  # type: ignore[arg-type]
            if compare_known_at and view.known_at and compare_known_at >= view.known_at:
                raise OptionConflict("--compare-known-at must be before --known-at")
            start, end = view.period
            options = ReportOptions(
                start=start,
                end=end,
                year=view.year,
                known_at=view.known_at,
                compare_known_at=compare_known_at,
                fmt=view.fmt,
                lang=view.lang,
                thousands_separator=_separator(thousands_separator, view.lang),
                cooperative=cooperative,
                includes=_includes(include),
                include_files=include,
            )
            return f(view=view, options=options, **rest)

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
                callback=parse_known,
                help="also the figures as known then (a moment, or #N: after entry N), every difference "
                "explained by the entries since",
            )(wrapper)
        wrapper = click.option(
            "--thousands-separator",
            help="between groups of thousands in md, html and charts "
            f"(default: {' '.join(f'{k} {v!r}' for k, v in THOUSANDS.items())})",
        )(wrapper)
        return view_options(*formats, period=True, lang=True)(wrapper)  # type: ignore[return-value]

    return decorate


def last_seq(engine: Engine, known_seq: int | None) -> int:
    """The last entry a report includes: fixed once, so every query reads the same ledger."""
    projected = min(read_models.positions(engine).values())
    return projected if known_seq is None else min(known_seq, projected)


def checkpointed(figures: Figures, tree: StoredTree) -> Figures:
    """The figures with the checkpoint of exactly the entries they include (1 to `last_seq`):
    their Merkle tree's size and root, as `coopledger checkpoint` prints them."""
    size = figures.provenance.last_seq
    head = TreeHead(size, base64.b64encode(tree.root(size)).decode())
    return replace(figures, provenance=replace(figures.provenance, checkpoint=head))


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


def zero_if_new(old: Any, new: Any) -> Any:
    """A figure that did not exist then (a new category, a new assembly) was zero."""
    return (
        type(new)(0) if old is None and isinstance(new, int | Decimal) and not isinstance(new, bool) else old
    )


MOVED_SHOWN = 3  # figures named per entry in the table; --format json names them all


def shortened(names: list[str], more: str) -> str:
    """At most MOVED_SHOWN names, and how many more: `a; b; c (+2)`."""
    left = len(names) - MOVED_SHOWN
    return "; ".join(names[:MOVED_SHOWN]) + (" " + more.format(count=left) if left > 0 else "")


Rows = list[dict[str, Any]]


def worded(rows: Rows, columns: list[str], lang: str) -> tuple[Rows, list[str]]:
    """Rows and columns with the columns named in the report's language (TABLE_WORDS)."""
    names = [table_word(c, lang) for c in columns]
    return [{name: row.get(c) for c, name in zip(columns, names, strict=True)} for row in rows], names


def _people(figures: Figures, restated: Restatement | None, options: ReportOptions) -> None:
    """Aligned tables in the report's language: the provenance, the figures by group, each named
    in the report's words, then any restatement."""
    from coopledger.reports.text import Style, french_spacing

    lang = options.lang
    style = Style(lang, options.thousands_separator)

    def label(path: str) -> str:
        text = figure_label(path, lang, figures.start, figures.end, style.day)
        return french_spacing(text) if lang == "fr" else text

    def shown(value: Any, path: str = "") -> str:
        """A figure as a reader of the language writes it: words translated, numbers formatted."""
        return value_word(value, lang) if isinstance(value, str) else style.figure(path, value)

    def show(rows: Rows, columns: list[str], title: str | None = None) -> None:
        emit(*worded(rows, columns, lang), "table", title)

    data = to_data(figures)
    p = data["provenance"]
    known = table_word("known_at", lang, moment=style.moment(p["known_at"])) if p["known_at"] else None
    title = table_word(
        "title",
        lang,
        start=style.day(figures.start),
        end=style.day(figures.end),
        known=known or table_word("as_recorded", lang),
        last=p["last_seq"],
    )
    click.echo(title)
    click.echo(table_word("fingerprint", lang, fingerprint=p["fingerprint"]))
    if p["checkpoint"]:
        size = p["checkpoint"]["tree_size"]
        entries = table_word(style.plural(size, "entry", "entries"), lang, count=size)
        click.echo(table_word("checkpoint", lang, size=entries, root=p["checkpoint"]["root"]))
    flat = flatten(data)
    for group in ("members", "capital", "assemblies", "result_allocation", "board"):
        rows = [
            {"figure": label(k), "value": shown(v, k)} for k, v in flat.items() if k.startswith(group + ".")
        ]
        if rows:
            click.echo()
            show(rows, ["figure", "value"], table_word(group, lang))
    if restated is not None:
        before = to_data(restated.before)["provenance"]
        moment = style.moment(before["known_at"]) if before["known_at"] else ""
        click.echo("\n" + table_word("changed", lang, moment=moment, last=before["last_seq"]))
        rows = [
            {"figure": label(f), "then": zero_if_new(old, new), "now": new}
            for f, old, new in restated.differences
        ]
        show(rows, ["figure", "then", "now"])
        click.echo("\n" + table_word("causes", lang))
        more = table_word("more", lang, count="{count}")
        causes = [
            {
                **vars(c),
                "type": entry_label(c.type, lang),
                "moved": shortened([label(m) for m in c.moved], more),
            }
            for c in restated.causes
        ]
        show(causes, ["seq", "type", "member", "date", "moved"])


@click.command()
@report_options("table", "json", "csv", "md", "html", document=True)
@click.option(
    "--final",
    is_flag=True,
    help="the text for the assembly: no placeholder for a section not supplied, no command line",
)
@click.option("-o", "--output", callback=parse_text, help="write to FILE (whole or not at all), not stdout")
@pass_app
def report(app: App, view: View, options: ReportOptions, final: bool, output: str | None) -> None:
    """The year's figures and the special report of an accredited cooperative.

    The figures (docs/contract.md section 4: members, capital, assemblies,
    board) come from the read models as known after one entry, named with
    its chain hash and the checkpoint (Merkle tree size and root) of the
    entries included, so the same command with the same --known-at prints
    the same bytes later. md and html write the special report (ICA principles
    1 to 3 from the figures, the other sections from --include files);
    --compare-known-at adds what changed since then and which entries did it.
    --final leaves out what is there for the secretary (placeholders for the
    sections not supplied, the command that prints it again); -o FILE writes
    the output to FILE instead of standard output.

    \b
    Examples:
      coopledger report --year 2025 --format json
      coopledger report --year 2025 --format html --lang nl -o rapport.html
      coopledger report --year 2025 --format md --include principle4=p4.md
      coopledger report --year 2025 --format md --final --include principle4=p4.md -o ag.md
      coopledger report --year 2025 --compare-known-at 2026-06-17
    """
    options = replace(options, final=final)
    if output is None:
        _report(app, view, options)
        return
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        _report(app, view, options)
    with written(output) as stream:
        stream.write(captured.getvalue().encode())
    click.echo(f"wrote {output}")


def _report(app: App, view: View, options: ReportOptions) -> None:
    """The report to standard output."""
    restated = None
    with ledger_errors():
        engine = app.read_models()
        seq = last_seq(engine, view.known_seq)
        if options.compare_known_at:
            compared = last_seq(engine, app.known_seq(options.compare_known_at))
            earlier = (compared, format_recorded(options.compare_known_at))
            later = (seq, view.known_text)
            restated = restatement(engine, app.store, options.start, options.end, earlier, later)
            tree = StoredTree(app.store)
            restated = replace(
                restated, before=checkpointed(restated.before, tree), after=checkpointed(restated.after, tree)
            )
            figures = restated.after
        else:
            figures = compute(engine, app.store, options.start, options.end, seq, view.known_text)
            figures = checkpointed(figures, StoredTree(app.store))
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
        from coopledger.reports.text import Style, render

        svg = None
        if chart is not None:
            from coopledger.reports.charts import inline_svg, members_chart

            svg = inline_svg(members_chart(chart, Style(options.lang, options.thousands_separator)))
        sys.stdout.write(render(options, figures, restated, svg))
    else:
        _people(figures, restated, options)


@click.command()
@click.argument("subject", type=Choice(["members"]))
@report_options()
@click.option("-o", "--output", required=True, callback=parse_text, help="FILE.svg or FILE.png")
@pass_app
def chart(app: App, view: View, options: ReportOptions, subject: str, output: str) -> None:
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
        data = series(engine, options.start, options.end, last_seq(engine, view.known_seq))
    from coopledger.reports.charts import members_chart
    from coopledger.reports.text import Style

    drawn = members_chart(data, Style(options.lang, options.thousands_separator), fmt)
    with written(output) as stream:
        stream.write(drawn)
    click.echo(f"wrote {output}")
