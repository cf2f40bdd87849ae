"""The special report's text: sentences with the figures in French, Dutch and English, singular,
plural and zero written as people write them, Belgian number and date formats, the secretary's
sections, HTML that escapes data and prints, and charts that are the same bytes for the same data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopledger.ledger.provenance import GENESIS
from coopledger.projections.figures.compute import Capital, CapitalFigures, Figures, Flow, Members, Provenance
from coopledger.projections.figures.restatement import Cause, Restatement
from coopledger.projections.figures.series import Series, month_ends
from coopledger.projections.governance.summary import (
    AllocationFigures,
    AssemblyFigures,
    BoardFigures,
    ResolutionFigures,
)
from coopledger.reports.charts import inline_svg, members_chart
from coopledger.reports.options import ReportOptions
from coopledger.reports.text import Style, html_text, render

YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
REASONS = ("death", "end_of_employment", "bankruptcy", "other")
NOTHING = Capital(0, Decimal("0.00"), Decimal("0.00"), {})
NO_BOARD = BoardFigures(0, 0, 0, 0, 0, 0)


def members(**figures: Any) -> Members:
    """Member figures, all zero unless given."""
    by_reason = {reason: figures.pop(reason, 0) for reason in REASONS}
    base: dict[str, Any] = {field.name: 0 for field in dataclasses.fields(Members)}
    base.update(by_category_at_start={}, by_category_at_end={}, left_by_right_by_reason=by_reason)
    base["left_by_right"] = sum(by_reason.values())
    return Members(**{**base, **figures})


def figures(
    member_figures: Members | None = None,
    assemblies: tuple[AssemblyFigures, ...] = (),
    board: BoardFigures = NO_BOARD,
    capital: CapitalFigures | None = None,
    period: tuple[dt.date, dt.date] = YEAR,
) -> Figures:
    none = Flow(0, Decimal("0.00"))
    return Figures(
        *period,
        provenance=Provenance(None, 12, "2026-03-01T10:00:00.000000Z", GENESIS),
        members=member_figures or members(),
        capital=capital or CapitalFigures(NOTHING, NOTHING, none, Decimal("0.00"), none, none, none),
        assemblies=assemblies,
        board=board,
    )


def text(f: Figures, lang: str = "fr", fmt: str = "md", **options: Any) -> str:
    year = options.pop("year", 2025)
    return render(ReportOptions(f.start, f.end, year=year, fmt=fmt, lang=lang, **options), f)


def assembly(voters: int, in_person: int, on_date: int, *resolutions: ResolutionFigures) -> AssemblyFigures:
    return AssemblyFigures(
        "AG2025",
        dt.date(2025, 6, 17),
        "ordinary",
        voters,
        in_person,
        voters - in_person,
        on_date,
        Decimal("0"),
        list(resolutions),
        AllocationFigures(2024, Decimal("1250.00"), Decimal("0")),
    )


def test_zero_is_written_in_words() -> None:
    report = text(figures())
    assert "En 2025, aucun nouveau sociétaire n'a rejoint la coopérative." in report
    assert (
        "La société n'a refusé aucune demande d'adhésion et n'a constaté ni démission ni départ de "
        "plein droit. Aucune demande de sortie n'a été refusée et aucun sociétaire n'a été exclu." in report
    )
    assert "Au 31 décembre 2025, la société coopérative ne comptait aucun sociétaire." in report
    assert "Aucune assemblée générale ne s'est tenue en 2025." in report
    assert "Il n'y a pas eu de cooptation au cours de l'année 2025." in report
    assert "Aucune décision d'affectation du résultat n'a été prise en 2025." in report
    assert "aucune part n'a été souscrite" in report


def test_one_is_singular() -> None:
    f = figures(
        members(admitted=1, admission_refused=1, death=1, exit_refused=1, excluded=1),
        board=BoardFigures(seats=3, elected=1, renewed=0, coopted=1, members_at_end=2, vacant_at_end=1),
    )
    report = text(f)
    assert "En 2025, un sociétaire a rejoint volontairement la coopérative." in report
    assert (
        "La société a refusé une demande d'adhésion et n'a constaté aucune démission, mais bien le "
        "départ de plein droit (décès) d'un sociétaire. Une demande de sortie a été refusée et un "
        "sociétaire a été exclu conformément aux règles fixées par la coopérative." in report
    )
    assert "une nouvelle personne a été élue au conseil d'administration et aucun mandat" in report
    assert "Il y a eu une cooptation au cours de l'année 2025\u00a0; elle doit être confirmée" in report
    assert "comporte un poste vacant." in report


def test_plurals_and_departures_by_right_name_their_reasons() -> None:
    f = figures(members(admitted=4104, resigned=213, end_of_employment=4, death=2, bankruptcy=1, excluded=3))
    report = text(f)
    assert "a constaté la démission de 213 sociétaires et le départ de plein droit " in report
    assert "(fin du contrat de travail, décès ou faillite) de 7 sociétaires." in report
    assert "3 sociétaires ont été exclus conformément" in report


def test_an_assembly_states_its_participation_and_resolutions() -> None:
    adopted = ResolutionFigures("R1", "Comptes 2024", 1500, 40, 1, "simple", "adopted")
    rejected = ResolutionFigures("R2", "Statuts", 10, 9, 2, "two_thirds", "rejected")
    report = text(figures(assemblies=(assembly(1611, 1418, 43388, adopted, rejected),)))
    assert (
        "1.611 sociétaires ont voté à l'Assemblée générale ordinaire du 17/06/2025, dont 1.418 en "
        "personne et 193 par procuration\u00a0; la participation atteint 3,7\u00a0% des 43.388 "
        "sociétaires inscrits ce jour-là."
    ) in report
    assert "«\u00a0Comptes 2024\u00a0»\u00a0: 1.500 voix pour, 40 contre, 1 abstention — adoptée" in report
    assert "adoptée à la majorité simple\u00a0;" in report
    assert "— rejetée, faute d'avoir atteint la majorité des deux tiers." in report
    assert "a affecté le résultat de l'exercice 2024 aux réserves, à concurrence de 1.250,00\u00a0€" in report
    assert "n'a distribué aucun dividende." in report


def test_dutch_and_english_read_the_same_figures() -> None:
    at_end = {"A": 45473, "B": 101, "C": 24}
    counts = members(admitted=4104, resigned=213, end_of_employment=4, death=2, excluded=3)
    f = figures(dataclasses.replace(counts, total_at_end=45598, by_category_at_end=at_end))
    dutch = text(f, "nl")
    assert "In 2025 zijn 4.104 vennoten vrijwillig tot de coöperatie toegetreden." in dutch
    assert (
        "De vennootschap heeft geen enkele aanvraag tot toetreding geweigerd, heeft het ontslag van 213 "
        "vennoten en de uittreding van rechtswege (einde van de arbeidsovereenkomst of overlijden) van 6 "
        "vennoten vastgesteld." in dutch
    )
    assert "Op 31 december 2025 telde de coöperatieve vennootschap 45.598 vennoten, als volgt" in dutch
    assert "- 101 vennoten van categorie B;" in dutch
    english = text(f, "en")
    assert "In 2025, 4,104 members voluntarily joined the cooperative." in english  # English numbers
    assert "the departure by right (end of employment contract or death) of 6 members." in english
    assert "No request to leave was refused and 3 members were excluded" in english
    assert "- 24 members in category C." in english
    assert "one member voluntarily joined" in text(figures(members(admitted=1)), "en")
    assert "is één vennoot vrijwillig tot de coöperatie" in text(figures(members(admitted=1)), "nl")


small = st.integers(0, 3)


@settings(max_examples=30, deadline=None)
@given(
    counts=st.fixed_dictionaries(
        {
            k: small
            for k in ("admitted", "admission_refused", "resigned", "exit_refused", "excluded", *REASONS)
        }
    ),
    at_end=st.dictionaries(st.sampled_from("ABC"), st.integers(0, 2)),
    board=st.builds(BoardFigures, small, small, small, small, small, small),
    voters=st.tuples(small, small, small),
    lang=st.sampled_from(["fr", "nl", "en"]),
    fmt=st.sampled_from(["md", "html"]),
)
def test_every_combination_of_figures_reads_as_sentences(
    counts: dict[str, int],
    at_end: dict[str, int],
    board: BoardFigures,
    voters: tuple[int, int, int],
    lang: str,
    fmt: str,
) -> None:
    base = members(**counts)
    figures_ = figures(
        dataclasses.replace(base, total_at_end=sum(at_end.values()), by_category_at_end=at_end),
        assemblies=(assembly(voters[0] + voters[1], voters[0], voters[2]),),
        board=board,
    )
    report = text(figures_, lang, fmt)
    body = re.split(r"Annexe?\b|Bijlage\b", report.split("<main>")[-1])[0]  # the sentences, not the tables
    prose = re.sub(r"`[^`]*`|<[^>]+>", "", body)
    assert "None" not in prose and "  " not in prose
    assert not re.search(r"[^\W\d][,.;:][^\W\d]", prose), prose  # a word glued to the next
    assert not re.search(r"(adhésion|toetreding|membership)(et|en|and)\b", prose)


def test_a_period_other_than_a_calendar_year_is_named_by_its_dates() -> None:
    half = (dt.date(2025, 1, 1), dt.date(2025, 6, 30))
    report = text(figures(members(admitted=2), period=half), year=None)
    assert "Du 1er janvier 2025 au 30 juin 2025, 2 sociétaires ont rejoint volontairement" in report
    assert "--from 2025-01-01 --to 2025-06-30" in report


@pytest.mark.parametrize(
    ("lang", "separator", "number", "money", "day"),
    [
        ("fr", ".", "45.598", "1.250,50\u00a0€", "1er janvier 2025"),
        ("fr", " ", "45 598", "1 250,50\u00a0€", "1er janvier 2025"),
        ("nl", ".", "45.598", "€\u00a01.250,50", "1 januari 2025"),
        ("en", ",", "45,598", "€1,250.50", "1 January 2025"),
        ("en", None, "45,598", "€1,250.50", "1 January 2025"),
        ("fr", None, "45.598", "1.250,50\u00a0€", "1er janvier 2025"),
    ],
)
def test_belgian_numbers_and_dates(
    lang: str, separator: str | None, number: str, money: str, day: str
) -> None:
    style = Style(lang, separator)
    assert style.number(45598) == number
    assert style.money(Decimal("1250.50")) == money
    assert style.date(dt.date(2025, 1, 1)) == day
    assert style.day(dt.date(2025, 6, 17)) == "17/06/2025"
    assert style.plural(1, "part", "parts") == "part"
    assert style.plural(2, "part", "parts") == "parts"
    assert style.percent(Decimal("61.5")) == {"fr": "61,5\u00a0%", "nl": "61,5%", "en": "61.5%"}[lang]


def test_the_secretary_fills_in_the_other_sections() -> None:
    includes = {"principle4": "La société n'a conclu **aucun** accord.\n\n- un\n- deux <script>"}
    report = text(figures(), includes=includes)
    assert "La société n'a conclu **aucun** accord." in report
    assert "--include principle4=FICHIER" not in report
    assert "--include principle5=FICHIER" in report  # still a placeholder
    page = text(figures(), fmt="html", includes=includes)
    assert "<p>La société n&#x27;a conclu <strong>aucun</strong> accord.</p>" in page
    assert "<li>deux &lt;script&gt;</li>" in page
    assert html_text("## Titre") == "<h4>Titre</h4>"


def test_html_escapes_data_and_prints_cleanly() -> None:
    sneaky = ResolutionFigures("R1", "<b>bold</b> & co", 1, 0, 0, "simple", "adopted")
    page = text(figures(assemblies=(assembly(1, 1, 2, sneaky),)), fmt="html", cooperative="Coop <3")
    assert page.startswith("<!DOCTYPE html>")
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page
    assert "Coop &lt;3" in page
    assert "@media print" in page and "@page" in page
    assert "<b>" not in page


def test_provenance_names_the_last_entry_and_how_to_rerun() -> None:
    report = text(figures())
    moment = "2026-03-01T10:00:00.000000Z"
    words = "1er mars 2026, 10:00:00 UTC"  # the recorded moment in words, the exact one in the command
    assert f"il inclut les écritures n° 1 à 12 (la dernière enregistrée le {words})" in report
    assert f"`coopledger report --year 2025 --known-at {moment} --format md --lang fr`" in report
    options = {
        "cooperative": "Coop Demo",
        "include_files": ("principle4=p 4.md",),
        "thousands_separator": " ",
    }
    assert "--cooperative 'Coop Demo' --include 'principle4=p 4.md'`" in text(figures(), **options)


def series() -> Series:
    days = month_ends(*YEAR)
    return Series(
        days=tuple(days),
        members={"A": tuple(range(100, 113)), "B": tuple([5] * 13)},
        months=tuple(d.replace(day=1) for d in days[1:]),
        admitted=tuple([2] * 12),
        exits={"resigned": tuple([1] * 12), "left": tuple([0] * 12), "excluded": tuple([0] * 12)},
    )


def test_charts_are_the_same_bytes_for_the_same_data() -> None:
    style = Style("fr")
    svg = members_chart(series(), style, "svg")
    assert svg == members_chart(series(), style, "svg")
    assert "catégorie A\u00a0: 100 → 112".encode() in svg and b"admissions" in svg
    assert inline_svg(svg).startswith("<svg")
    assert members_chart(series(), Style("nl"), "png").startswith(b"\x89PNG")
    page = render(ReportOptions(*YEAR, year=2025, fmt="html"), figures(), chart=inline_svg(svg))
    assert '<figure class="chart">\n<svg' in page


def chart_numbers(svg: bytes) -> list[int]:
    """The whole numbers a chart writes as text (tick labels), in order of appearance."""
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg.decode())
    return [int(t.replace(".", "")) for t in texts if re.fullmatch(r"[0-9.]+", t)]


def test_a_small_category_beside_a_large_one_has_an_axis_of_its_own() -> None:
    """Issue 9.13: at 45,000 members, categories of 101 and 24 vanished in a stacked area
    from zero, and growth looked flat; each category now has a panel and a range of its own."""
    days = month_ends(*YEAR)
    big = tuple(40_000 + 400 * i for i in range(13))
    small = tuple(24 + i // 3 for i in range(13))
    data = dataclasses.replace(series(), members={"A": big, "C": small})
    numbers = chart_numbers(members_chart(data, Style("fr"), "svg"))
    assert any(38_000 <= n <= 46_000 for n in numbers), numbers  # A's axis shows the change
    assert not any(n < 38_000 for n in numbers[: numbers.index(max(numbers)) + 1]), numbers
    assert any(20 <= n <= 30 for n in numbers), numbers  # C is readable on its own axis
    assert len(days) == len(big)


def test_a_chart_with_nothing_to_draw_says_so() -> None:
    """Issue 9.13: a year with no movement drew an empty axis labelled 0, 0, 0."""
    empty = dataclasses.replace(
        series(),
        members={},
        admitted=(0,) * 12,
        exits={k: (0,) * 12 for k in ("resigned", "left", "excluded")},
    )
    svg = members_chart(empty, Style("fr"), "svg")
    assert "aucune admission ni sortie sur la période".encode() in svg
    assert "aucun sociétaire sur la période".encode() in svg
    assert chart_numbers(svg) == []


def test_month_ends_start_on_the_eve_and_end_on_the_last_day() -> None:
    assert month_ends(dt.date(2025, 1, 15), dt.date(2025, 3, 10)) == [
        dt.date(2025, 1, 14),
        dt.date(2025, 1, 31),
        dt.date(2025, 2, 28),
        dt.date(2025, 3, 10),
    ]


def test_french_puts_a_no_break_space_before_high_punctuation() -> None:
    """Issue 9.13: "résolutions :" and "comme suit:" were both written; French wants a no-break
    space before `:`, `;`, `?` and `!`, in headings, lists and sentences alike."""
    resolution = ResolutionFigures("R1", "Budget: 2025?", 7, 0, 1, "simple", "adopted")
    f = figures(
        members(admitted=3, total_at_end=5, by_category_at_end={"A": 3, "B": 2}),
        assemblies=(assembly(8, 7, 13, resolution, resolution),),
    )
    for fmt in ("md", "html"):
        report = html.unescape(text(f, fmt=fmt)) if fmt == "html" else text(f, fmt=fmt)
        prose = re.sub(r"<style.*?</style>|<code>.*?</code>|<[^>]*>|`[^`]*`", "", report, flags=re.DOTALL)
        assert not re.findall(r"(?:^|[^\u00a0\u202f])[:;?!](?=\s|$)", prose, re.MULTILINE), fmt
        assert "l'ACI\u00a0: Adhésion" in report
        assert "répartis comme suit\u00a0:" in report
        assert "«\u00a0Budget\u00a0: 2025\u00a0?\u00a0»" in report
        assert "T10:00:00.000000Z" in report  # times are not punctuation
    assert "--include introduction=FICHIER`" in text(f)  # code is left as typed
    english = text(f, lang="en")
    assert "Budget: 2025?" in english and "\u00a0:" not in english


def test_the_restatement_annex_speaks_the_report_s_words() -> None:
    """Issue 9.13: no raw key (`capital.at_end.paid_up`, `member.admitted`) nor ISO timestamp."""
    before, after = figures(members(admitted=2)), figures(members(admitted=3))
    paths = (
        "members.admitted",
        "members.by_category_at_end.B",
        "capital.at_end.paid_up",
        "members.left_by_right_by_reason.end_of_employment",
        "assemblies.AG2025.resolutions.R1.for",
    )
    restated = Restatement(
        dataclasses.replace(before, provenance=Provenance("2026-01-15T09:30:00.000000Z", 10, None, GENESIS)),
        after,
        ((paths[0], 2, 3), (paths[1], None, 4), (paths[2], Decimal("10.00"), Decimal("35.00"))),
        (Cause(11, "member.admitted", "S9", dt.date(2025, 3, 3), paths),),
    )
    words = {
        "fr": [
            "| Admissions | 2 | 3 |",
            "| Sociétaires de catégorie B au 31/12/2025 | 0 | 4 |",
            "Capital libéré au 31/12/2025",
            "| Admission | S9 |",
            "15 janvier 2026, 09:30:00 UTC",
            "(+2)",
        ],
        "nl": [
            "| Toetredingen | 2 | 3 |",
            "Volgestort kapitaal op 31/12/2025",
            "| Toetreding | S9 |",
            "15 januari 2026, 09:30:00 UTC",
        ],
        "en": [
            "| Admissions | 2 | 3 |",
            "| Members in category B on 31/12/2025 | 0 | 4 |",
            "Paid-up capital on 31/12/2025 | 10.00 | 35.00 |",
            "| Admission | S9 |",
            "15 January 2026, 09:30:00 UTC",
        ],
    }
    for lang, expected in words.items():
        report = render(
            ReportOptions(after.start, after.end, year=2025, fmt="md", lang=lang), after, restated
        )
        annex = report[report.index("\n## ", report.index("|---|")) :]  # from the restatement annex on
        for text_ in expected:
            assert text_ in annex, (lang, text_)
        for raw in (*paths, "member.admitted", "2026-01-15T09:30"):
            assert raw not in annex.split("coopledger report")[0], (lang, raw)


def test_shares_by_category_sit_under_shares_in_the_capital_annex() -> None:
    """Issue 9.13: the category rows were printed under "Capital libéré"."""
    at = Capital(5, Decimal("125.00"), Decimal("100.00"), {"A": 3, "B": 2})
    none = Flow(0, Decimal("0.00"))
    capital = CapitalFigures(at, at, none, Decimal("0.00"), none, none, none)
    for lang, (shares, category, subscribed) in {
        "fr": ("| Parts |", "| — parts de catégorie B |", "| Capital souscrit |"),
        "nl": ("| Aandelen |", "| — aandelen van categorie B |", "| Geplaatst kapitaal |"),
        "en": ("| Shares |", "| — shares in category B |", "| Subscribed capital |"),
    }.items():
        report = text(figures(capital=capital), lang=lang)
        assert report.index(shares) < report.index(category) < report.index(subscribed), lang
