"""The year's figures: the SQL on the read models equals a fresh replay for random histories, every
restatement is explained entry by entry, and the reference year comes out exactly as its journal implies.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bench import generate as gen
from coopledger.commands.context import App
from coopledger.ledger.errors import Refused, Source
from coopledger.ledger.events import decode
from coopledger.projections import read_models
from coopledger.projections.figures.compute import Figures, compute
from coopledger.projections.figures.data import flatten, to_data
from coopledger.projections.figures.replay import replay_figures
from coopledger.projections.figures.restatement import restatement
from coopledger.reports.options import ReportOptions
from coopledger.reports.text import render
from tests import journal
from tests.conftest import make_url

START = journal.START
YEAR = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))


def record(app: App, *lines: dict[str, Any]) -> None:
    """Record journal lines as one batch; the ledger may refuse it (then nothing is written)."""
    batch = [(decode(msgspec.json.encode(line)), Source("test", n)) for n, line in enumerate(lines, 1)]
    with contextlib.suppress(Refused):
        app.ledger.record(batch)


def head(app: App) -> int:
    engine = app.read_models()
    return min(read_models.positions(engine).values())


# Entries the other property tests leave out: applications, refusals, exit requests.
extra = st.one_of(
    st.builds(
        lambda m, d: {
            "type": "member.applied",
            "member": m,
            "date": journal.on(d),
            "name": m,
            "category": "A",
            "shares": 1,
        },
        st.sampled_from(["S7", "S8"]),
        journal.days,
    ),
    st.builds(
        lambda m, d: {"type": "member.refused", "member": m, "date": journal.on(d), "reason": "no"},
        st.sampled_from(["S7", "S8"]),
        journal.days,
    ),
    st.builds(
        lambda m, d: {"type": "member.exit_requested", "member": m, "date": journal.on(d)},
        journal.member_id,
        journal.days,
    ),
    st.builds(
        lambda m, d: {"type": "member.exit_refused", "member": m, "date": journal.on(d), "reason": "no"},
        journal.member_id,
        journal.days,
    ),
)
# everyone the governance operations name is admitted early, so that most votes and mandates count
founding = st.lists(
    st.tuples(journal.days.map(lambda d: d % 90), st.sampled_from("AB"), st.integers(1, 4)),
    min_size=len(journal.PEOPLE),
    max_size=len(journal.PEOPLE),
).map(
    lambda drawn: [
        {
            "type": "member.admitted",
            "member": m,
            "date": journal.on(d),
            "name": m,
            "category": c,
            "shares": n,
        }
        for m, (d, c, n) in zip(journal.PEOPLE, drawn, strict=True)
    ]
)
history = st.lists(
    st.one_of(journal.member_operation, journal.governance_operation, extra), min_size=3, max_size=24
)
periods = st.lists(st.tuples(journal.days, st.integers(0, 400)), min_size=1, max_size=3)


@pytest.mark.parametrize("backend", ["sqlite-memory", "sqlite-file", "postgres"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    founding=founding,
    operations=history,
    periods=periods,
    known=st.lists(st.integers(0, 50), min_size=1, max_size=3),
)
def test_figures_from_the_read_models_equal_a_fresh_replay(
    backend: str,
    postgres_available: bool,
    founding: list[dict[str, Any]],
    operations: list[dict[str, Any]],
    periods: list[tuple[int, int]],
    known: list[int],
) -> None:
    if backend == "postgres" and not postgres_available:
        pytest.skip("no PostgreSQL server reachable (outside CI)")
    with journal.fresh_ledger(backend) as url:
        app = App(url, "prop")
        record(app, *founding, *journal.OPENING)
        for operation in operations:  # one by one: the ledger refuses what breaks a rule
            record(app, operation)
        last = head(app)
        entries = list(app.store.entries())
        for kind in sorted({e.type for e in entries}):
            event(f"accepted {kind}")
        points = sorted({last, *(k for k in known if k <= last)})
        for day, length in periods:
            start = START + dt.timedelta(days=day)
            end = start + dt.timedelta(days=length)
            for seq in points:
                figures = compute(app.engine, app.store, start, end, seq)
                assert to_data(figures) == to_data(replay_figures(entries, start, end, seq))
                assert_capital_adds_up(figures)
            restated = restatement(app.engine, app.store, start, end, (points[0], None), (last, None))
            assert_explained(restated.differences, restated.causes, points[0], last)
            event(f"restated: {'some' if restated.differences else 'no'} differences")
        app.engine.dispose()
        app.store.close()


def assert_capital_adds_up(figures: Figures) -> None:
    """Opening position + flows = closing position, in members, shares and paid-up capital."""
    m, c = figures.members, figures.capital
    assert m.total_at_end == m.at_start + m.admitted - m.resigned - m.left_by_right - m.excluded
    assert c.at_end.shares == c.at_start.shares + c.subscribed.shares - c.redeemed.shares - c.withdrawn.shares
    assert c.at_end.paid_up == c.at_start.paid_up + c.paid - c.redeemed.amount - c.withdrawn.amount


def assert_explained(differences: Any, causes: Any, before: int, after: int) -> None:
    """Every difference is moved by some entry recorded in between, and every cause moved something."""
    moved = {path for cause in causes for path in cause.moved}
    assert {path for path, _, _ in differences} <= moved
    assert all(before < cause.seq <= after and cause.moved for cause in causes)


def test_a_restatement_names_the_entries_that_moved_each_figure(db_url: str) -> None:
    app = App(db_url, "clerk")
    record(
        app,
        {"type": "body.seats", "date": "2025-01-01", "count": 3},
        {
            "type": "member.admitted",
            "date": "2025-01-10",
            "member": "S1",
            "name": "Ada",
            "category": "A",
            "shares": 2,
        },
        {
            "type": "member.admitted",
            "date": "2025-02-10",
            "member": "S2",
            "name": "Bob",
            "category": "B",
            "shares": 1,
        },
        {"type": "assembly.convened", "date": "2025-06-17", "assembly": "AG2025", "kind": "ordinary"},
        {"type": "assembly.voted", "date": "2025-06-17", "assembly": "AG2025", "member": "S1"},
    )
    then = head(app)
    record(
        app,
        {
            "type": "member.admitted",
            "date": "2025-03-01",
            "member": "S3",
            "name": "Cy",
            "category": "A",
            "shares": 1,
        },
    )
    record(app, {"type": "assembly.voted", "date": "2025-06-17", "assembly": "AG2025", "member": "S3"})
    record(app, {"type": "shares.paid", "date": "2025-07-01", "member": "S2", "amount": "25.00"})
    restated = restatement(app.engine, app.store, *YEAR, (then, None), (head(app), None))
    changed = {path: (old, new) for path, old, new in restated.differences}
    assert changed["members.admitted"] == (2, 3)
    assert changed["assemblies.AG2025.voters"] == (1, 2)
    assert changed["capital.paid"] == (0, 25)
    by_type = {cause.type: cause for cause in restated.causes}
    assert by_type["member.admitted"].member == "S3"
    assert "members.admitted" in by_type["member.admitted"].moved
    assert "assemblies.AG2025.members_on_date" in by_type["member.admitted"].moved
    assert "assemblies.AG2025.voters" in by_type["assembly.voted"].moved
    assert by_type["shares.paid"].moved == ("capital.at_end.paid_up", "capital.paid")
    assert_explained(restated.differences, restated.causes, then, head(app))
    assert to_data(restated.before) == to_data(compute(app.engine, app.store, *YEAR, then))


def test_a_later_backdated_entry_does_not_change_the_figures_as_known_before(db_url: str) -> None:
    app = App(db_url, "clerk")
    record(
        app,
        {
            "type": "member.admitted",
            "date": "2025-01-10",
            "member": "S1",
            "name": "Ada",
            "category": "A",
            "shares": 1,
        },
    )
    then = head(app)
    before = to_data(compute(app.engine, app.store, *YEAR, then))
    record(app, {"type": "member.resigned", "date": "2025-03-01", "member": "S1"})
    assert to_data(compute(app.engine, app.store, *YEAR, then)) == before
    assert compute(app.engine, app.store, *YEAR, head(app)).members.resigned == 1


# -- the reference year (bench/generate.py --shape reference): built once per backend ------


@pytest.fixture(scope="module", params=["sqlite-file", "postgres"])
def reference(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, postgres_available: bool
) -> Iterator[tuple[App, Figures]]:
    path: Path = tmp_path_factory.mktemp("reference") / "ledger.db"
    url_maker = make_url(request.param, path.parent, postgres_available)
    app = App(next(url_maker), "bench")
    journal = gen.generate(0, 10, shape="reference")
    app.ledger.record(
        [(decode(json.dumps(line)), Source("reference", n)) for n, line in enumerate(journal, 1)]
    )
    yield app, compute(app.read_models(), app.store, *YEAR, head(app))
    app.store.close()
    next(url_maker, None)  # drops the PostgreSQL schema
    app.engine.dispose()
    app.store.close()


def test_the_reference_year_gives_the_reference_figures(reference: tuple[App, Figures]) -> None:
    _, figures = reference
    data, expected = to_data(figures), gen.reference_figures()
    expected["members"]["left_by_right_by_reason"] = {
        reason: expected["members"]["left_by_right_by_reason"].get(reason, 0)
        for reason in ("death", "end_of_employment", "bankruptcy", "other")
    }
    assert {"from": data["period"]["from"].isoformat(), "to": data["period"]["to"].isoformat()} == expected[
        "period"
    ]
    assert {key: data["members"][key] for key in expected["members"]} == expected["members"]
    assemblies = [
        {**{k: a[k] for k in ("assembly", "kind", "voters")}, "date": a["date"].isoformat()}
        for a in data["assemblies"]
    ]
    assert assemblies == expected["assemblies"]
    assert data["board"] == expected["board"]
    assert figures.provenance.fingerprint == reference[0].store.entry(figures.provenance.last_seq).hash  # type: ignore[union-attr]


def test_the_reference_year_reads_like_the_reference_report(reference: tuple[App, Figures]) -> None:
    _, figures = reference
    text = render(ReportOptions(*YEAR, year=2025, fmt="md", lang="fr"), figures)
    heading = "## Principe 1 de l'ACI\u00a0: Adhésion volontaire et ouverte\n\n"
    principle1 = text.split(heading)[1].split("\n## ")[0]
    assert principle1.startswith(
        "En 2025, 4.104 sociétaires ont rejoint volontairement la coopérative.\n\n"
        "La société n'a refusé aucune demande d'adhésion, a constaté la démission de 213 sociétaires "
        "et le départ de plein droit (fin du contrat de travail ou décès) de 6 sociétaires. "
        "Aucune demande de sortie n'a été refusée et 3 sociétaires ont été exclus conformément "
        "aux règles fixées par la coopérative.\n"
    )
    principle2 = text.split("## Principe 2 de l'ACI\u00a0: Contrôle démocratique par les membres\n\n")[1]
    assert principle2.startswith(
        "Au 31 décembre 2025, la société coopérative comptait 45.598 sociétaires "
        "répartis comme suit\u00a0:\n\n"
        "- 45.473 sociétaires de catégorie A\u00a0;\n"
        "- 101 sociétaires de catégorie B\u00a0;\n"
        "- 24 sociétaires de catégorie C.\n\n"
        "1.611 sociétaires ont voté à l'Assemblée générale ordinaire du 17/06/2025, "
    )
    assert "Il n'y a pas eu de cooptation au cours de l'année 2025." in principle2
    assert "comporte 3 postes vacants." in principle2


def test_flatten_names_every_figure_by_a_path(reference: tuple[App, Figures]) -> None:
    flat = flatten(to_data(reference[1]))
    assert flat["members.by_category_at_end.B"] == 101
    assert flat["assemblies.AG2025.voters"] == 1611
    assert flat["board.vacant_at_end"] == 3
    assert not any(path.startswith(("period", "provenance")) for path in flat)
