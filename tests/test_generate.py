"""The journal generator (bench/generate.py) and the demo journal (examples/demo.jsonl).

The ledger refuses any entry that breaks a rule of the cooperative, so a generated
journal is only useful if every entry is valid. These tests re-check the rules with a
small checker written here, independently of the generator's own bookkeeping.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bench import generate as gen

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo.jsonl"
SHARE = Decimal("25.00")
EXITS = {"member.resigned", "member.left", "member.excluded"}
MEMBERSHIP_TYPES = {
    "member.applied",
    "member.refused",
    "member.admitted",
    "member.updated",
    "member.category_changed",
    "shares.subscribed",
    "shares.paid",
    "shares.transferred",
    "shares.redeemed",
    "member.exit_requested",
    "member.exit_refused",
    "member.resigned",
    "member.left",
    "member.excluded",
}
GOVERNANCE_TYPES = {
    "assembly.convened",
    "assembly.voted",
    "resolution.decided",
    "result.allocated",
    "body.seats",
    "mandate.elected",
    "mandate.renewed",
    "mandate.resigned",
    "mandate.coopted",
    "mandate.confirmed",
}


def _phase(kind: str) -> int:
    """The ledger's order within one date: requests, then exits, then the rest."""
    if kind in ("member.exit_requested", "member.exit_refused"):
        return 0
    if kind in EXITS or kind in ("mandate.resigned", "mandate.revoked", "mandate.rejected"):
        return 1
    return 2


def _four_years_later(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 4)
    except ValueError:
        return dt.date(day.year + 4, 2, 28)


@dataclass
class Coop:
    """What the checker knows after replaying a journal (for the figures tests)."""

    status: dict[str, str] = field(default_factory=dict)
    category: dict[str, str] = field(default_factory=dict)
    seats: int = 0
    holders: dict[str, dt.date] = field(default_factory=dict)


def check_journal(entries: Iterable[dict[str, Any]], upto: dt.date | None = None) -> Coop:
    """Replay a journal and assert every rule of the brief; returns the state at `upto`."""
    entries = list(entries)
    exit_date: dict[str, dt.date] = {}
    for e in entries:
        if e["type"] in EXITS:
            assert e["member"] not in exit_date, f"{e['id']}: second exit"
            exit_date[e["member"]] = dt.date.fromisoformat(e["date"])

    coop = Coop()
    status, category = coop.status, coop.category
    admitted: dict[str, dt.date] = {}
    founder: set[str] = set()
    shares: Counter[str] = Counter()
    paid: defaultdict[str, Decimal] = defaultdict(Decimal)  # paid-up capital, as the ledger counts it
    pending: set[str] = set()
    convened: dict[str, dt.date] = {}
    voters: dict[str, set[str]] = {}
    in_person: dict[str, set[str]] = {}
    proxies: dict[tuple[str, str], int] = {}
    holders = coop.holders
    coopted: dict[str, int] = {}  # person -> assemblies met since cooptation
    ended: dict[str, tuple[dt.date, str]] = {}  # person -> (until, how it ended)
    ids: set[str] = set()
    first_year = dt.date.fromisoformat(entries[0]["date"]).year
    previous: tuple[dt.date, int] | None = None

    def member_on(m: str, day: dt.date, where: str, phase: int = 2) -> None:
        """A member on `day`; entries applied before admissions must follow an earlier one."""
        assert status.get(m) == "member", f"{where}: {m} is not a member"
        assert admitted[m] < day or (phase == 2 and admitted[m] == day), f"{where}: too early"
        if phase != 1:  # an exit dated D: no longer a member as of D
            assert m not in exit_date or exit_date[m] > day, f"{where}: {m} leaves on {day}"

    for e in entries:
        kind, where = e["type"], f"{e.get('id')} ({e['type']})"
        day = dt.date.fromisoformat(e["date"])
        if upto is not None and day > upto:
            break
        assert e.get("id") and e["id"] not in ids, f"{where}: missing or repeated id"
        ids.add(e["id"])
        order = (day, _phase(kind))
        assert previous is None or order >= previous, f"{where}: out of effective order"
        previous = order
        for person, until in list(holders.items()):  # a mandate ends on its until date
            if until <= day:
                del holders[person]
                ended[person] = (until, "expired")
        m: str = e.get("member", "")

        if kind == "member.applied":
            assert m not in status, f"{where}: id already used"
            status[m] = "applicant"
        elif kind == "member.refused":
            assert status.get(m) == "applicant", f"{where}: not an applicant"
            status[m] = "refused"
        elif kind == "member.admitted":
            assert status.get(m) in (None, "applicant"), f"{where}: id {m} reused"
            assert isinstance(e["shares"], int) and e["shares"] >= 1, where
            assert e["category"] in ("A", "B", "C"), where
            status[m], category[m] = "member", e["category"]
            shares[m], admitted[m] = e["shares"], day
            if e.get("founder"):
                assert day.year == first_year, f"{where}: founder after the first year"
                founder.add(m)
        elif kind in MEMBERSHIP_TYPES:
            member_on(m, day, where, _phase(kind))
            if kind == "member.updated":
                assert {"name", "address", "email"} & e.keys(), f"{where}: nothing updated"
            elif kind == "member.category_changed":
                assert e["category"] in ("A", "B", "C"), where
                category[m] = e["category"]
            elif kind == "shares.subscribed":
                assert e["count"] >= 1, where
                shares[m] += e["count"]
            elif kind == "shares.paid":
                amount = Decimal(e["amount"])
                assert amount > 0 and amount == amount.quantize(Decimal("0.01")), where
                paid[m] += amount
                cap = shares[m] * SHARE
                assert paid[m] <= cap, f"{where}: paid above {cap}"
            elif kind == "shares.transferred":
                to, count = e["to"], e["count"]
                assert to != m and 1 <= count <= shares[m] - 1, f"{where}: {m} would keep < 1"
                member_on(to, day, where)
                assert category[to] == category[m], f"{where}: a share keeps its category"
                # the shares carry their even part of the giver's paid-up capital, rounded down
                moved = (paid[m] * 100 * count // shares[m]) / 100
                shares[m] -= count
                shares[to] += count
                paid[m] -= moved
                paid[to] += moved
            elif kind == "shares.redeemed":
                count = e["count"]
                assert 1 <= count <= shares[m] - 1, f"{where}: {m} would keep < 1 share"
                refund = Decimal(e["amount"]) if "amount" in e else min(paid[m], count * SHARE)
                assert refund <= paid[m], f"{where}: refund above paid-up"
                paid[m] -= refund
                shares[m] -= count
            elif kind == "member.exit_requested":
                assert m not in pending, f"{where}: already pending"
                pending.add(m)
            elif kind == "member.exit_refused":
                assert m in pending, f"{where}: no pending exit request"
                pending.discard(m)
            elif kind in EXITS:
                assert m not in holders, f"{where}: {m} still holds a board seat"
                if kind == "member.resigned":
                    assert day.month <= 6, f"{where}: resignation after 30 June"
                    if m in founder:
                        assert day.year >= admitted[m].year + 2, f"{where}: founder too early"
                elif kind == "member.left":
                    assert e["reason"] in ("death", "end_of_employment", "bankruptcy", "other")
                else:
                    assert e["reason"], where
                status[m], shares[m], paid[m] = "former", 0, Decimal(0)
                pending.discard(m)
        elif kind == "assembly.convened":
            ag = e["assembly"]
            assert ag not in convened and e["kind"] in ("ordinary", "extraordinary"), where
            convened[ag], voters[ag], in_person[ag] = day, set(), set()
            for person in coopted:
                coopted[person] += 1
                assert coopted[person] < 2, f"{where}: cooptation of {person} never confirmed"
        elif kind == "assembly.voted":
            ag = e["assembly"]
            assert convened.get(ag) == day, f"{where}: assembly not convened that day"
            member_on(m, day, where)
            assert m not in voters[ag], f"{where}: {m} votes twice"
            voters[ag].add(m)
            if "proxy" in e:
                holder = e["proxy"]
                assert holder != m, where
                member_on(holder, day, where)
                proxies[ag, holder] = proxies.get((ag, holder), 0) + 1
                assert proxies[ag, holder] <= 1, f"{where}: {holder} holds two proxies"
            else:
                in_person[ag].add(m)
        elif kind == "resolution.decided":
            ag = e["assembly"]
            assert convened.get(ag) == day, where
            votes = e["for"] + e["against"] + e["abstain"]
            assert min(e["for"], e["against"], e["abstain"]) >= 0, where
            assert votes <= len(voters[ag]), f"{where}: {votes} votes, {len(voters[ag])} voters"
            assert e.get("majority", "simple") == "simple", where
        elif kind == "result.allocated":
            assert convened.get(e["assembly"]) == day, where
            assert e["year"] == day.year - 1 and e["dividend_rate"] == "0", where
            Decimal(e["reserves"])
        elif kind == "body.seats":
            assert e.get("body", "board") == "board" and e["count"] >= 0, where
            coop.seats = e["count"]
        elif kind.startswith("mandate."):
            p = e["person"]
            if kind in ("mandate.elected", "mandate.renewed", "mandate.confirmed"):
                assert convened.get(e["assembly"]) == day, f"{where}: no assembly that day"
            if kind in ("mandate.elected", "mandate.renewed", "mandate.coopted"):
                until = dt.date.fromisoformat(e["until"])
                assert day < until <= _four_years_later(day), f"{where}: until {until}"
                member_on(p, day, where)
            if kind in ("mandate.elected", "mandate.coopted"):
                assert p not in holders, f"{where}: {p} would hold two seats"
                assert len(holders) < coop.seats, f"{where}: more than {coop.seats} seats"
                holders[p] = until
            if kind == "mandate.renewed":
                current = p in holders or ended.get(p, (None, ""))[0] == day
                assert current, f"{where}: renewing someone whose mandate is not current"
                holders[p] = until
            elif kind == "mandate.coopted":
                replaced = ended.get(e["replaces"])
                assert replaced and replaced[1] == "resigned", f"{where}: replaces no vacancy"
                assert until == replaced[0], f"{where}: until differs from the replaced mandate"
                coopted[p] = 0
            elif kind == "mandate.confirmed":
                assert p in coopted and p in holders, f"{where}: nothing to confirm"
                del coopted[p]
            elif kind == "mandate.resigned":
                assert p in holders, f"{where}: {p} holds no seat"
                ended[p] = (holders.pop(p), "resigned")
        else:
            raise AssertionError(f"{where}: unknown type")

    for (ag, holder), _ in proxies.items():
        assert holder in in_person[ag], f"{ag}: proxy holder {holder} did not vote in person"
    return coop


def figures(entries: list[dict[str, Any]], year: int) -> dict[str, Any]:
    """Count one year's report figures from the entries (CONTRACT.md section 3)."""
    end = dt.date(year, 12, 31)
    inside = [e for e in entries if e["date"].startswith(f"{year}-")]
    kinds = Counter(e["type"] for e in inside)
    coop = check_journal(entries, upto=end)
    at_end = [m for m, s in coop.status.items() if s == "member"]
    holding = [p for p, until in coop.holders.items() if until > end]
    voters: defaultdict[str, set[str]] = defaultdict(set)
    for e in inside:
        if e["type"] == "assembly.voted":
            voters[e["assembly"]].add(e["member"])
    assemblies = [
        {
            "assembly": e["assembly"],
            "date": e["date"],
            "kind": e["kind"],
            "voters": len(voters[e["assembly"]]),
        }
        for e in inside
        if e["type"] == "assembly.convened"
    ]
    return {
        "period": {"from": f"{year}-01-01", "to": f"{year}-12-31"},
        "members": {
            "admitted": kinds["member.admitted"],
            "admission_refused": kinds["member.refused"],
            "resigned": kinds["member.resigned"],
            "left_by_right": kinds["member.left"],
            "left_by_right_by_reason": dict(
                Counter(e["reason"] for e in inside if e["type"] == "member.left")
            ),
            "excluded": kinds["member.excluded"],
            "exit_refused": kinds["member.exit_refused"],
            "total_at_end": len(at_end),
            "by_category_at_end": dict(Counter(coop.category[m] for m in at_end)),
        },
        "assemblies": assemblies,
        "board": {
            "seats": coop.seats,
            "elected": kinds["mandate.elected"],
            "renewed": kinds["mandate.renewed"],
            "coopted": kinds["mandate.coopted"],
            "members_at_end": len(holding),
            "vacant_at_end": coop.seats - len(holding),
        },
    }


@pytest.fixture(scope="module")
def small() -> list[dict[str, Any]]:
    return list(gen.generate(members=3000, years=5))


@pytest.fixture(scope="module")
def reference() -> list[dict[str, Any]]:
    return list(gen.generate(members=45_600, years=10, shape="reference"))


def _jsonl(entries: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO()
    gen.write_jsonl(entries, out)
    return out.getvalue()


def test_same_seed_same_bytes_other_seed_other_journal(small: list[dict[str, Any]]) -> None:
    again = _jsonl(gen.generate(members=3000, years=5, seed=1))
    assert _jsonl(small) == again
    assert _jsonl(gen.generate(members=3000, years=5, seed=2)) != again


def test_cli_writes_the_same_lines(tmp_path: Path, small: list[dict[str, Any]]) -> None:
    target = tmp_path / "journal.jsonl"
    assert gen.main(["--members", "3000", "--years", "5", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == _jsonl(small)


def test_shape_of_a_ten_year_journal() -> None:
    entries = list(gen.generate(members=20_000, years=10))
    assert 1.15 <= len(entries) / 20_000 <= 1.4
    assert entries[0]["date"].startswith("2016-") and entries[-1]["date"].startswith("2025-")
    admitted = Counter(e["category"] for e in entries if e["type"] == "member.admitted")
    assert admitted["A"] / sum(admitted.values()) > 0.99
    assert 0 < admitted["C"] < admitted["B"]
    voted = [e for e in entries if e["type"] == "assembly.voted"]
    assert 0.08 <= sum("proxy" in e for e in voted) / len(voted) <= 0.16


def test_small_journal_keeps_every_rule(small: list[dict[str, Any]]) -> None:
    check_journal(small)
    types = {e["type"] for e in small}
    assert types >= MEMBERSHIP_TYPES
    assert types >= GOVERNANCE_TYPES
    assert {e["reason"] for e in small if e["type"] == "member.left"} == {
        "death",
        "end_of_employment",
        "bankruptcy",
        "other",
    }
    assert any(e.get("founder") for e in small)
    assert figures(small, 2025)["members"]["total_at_end"] == 3000


@pytest.mark.parametrize("seed", [2, 3])
def test_other_seeds_keep_every_rule(seed: int) -> None:
    check_journal(gen.generate(members=800, years=4, seed=seed, last_year=2030))


def test_reference_last_year_matches_the_report(reference: list[dict[str, Any]]) -> None:
    check_journal(reference)
    assert figures(reference, 2025) == gen.reference_figures()


def test_reference_figures_are_the_reports() -> None:
    expected = gen.reference_figures()
    members = expected["members"]
    assert members["admitted"] == 4104 and members["resigned"] == 213
    assert members["total_at_end"] == 45_598 == sum(members["by_category_at_end"].values())
    assert expected["assemblies"] == [
        {"assembly": "AG2025", "date": "2025-06-17", "kind": "ordinary", "voters": 1611}
    ]
    assert expected["board"]["vacant_at_end"] == 3


def test_demo_journal_keeps_every_rule() -> None:
    lines = DEMO.read_text(encoding="utf-8").splitlines()
    assert 30 <= len(lines) <= 60
    entries = [json.loads(line) for line in lines]
    check_journal(entries)
    assert all(e["id"].startswith("demo-") for e in entries)
    types = {e["type"] for e in entries}
    assert types >= MEMBERSHIP_TYPES
    assert types >= GOVERNANCE_TYPES - {"mandate.renewed", "mandate.confirmed"}
    assert sum(e.get("founder", False) for e in entries) == 2


def test_a_redemption_without_amount_lowers_what_the_generator_counts_as_surely_paid() -> None:
    """Seen at 5,000,000 members: a redemption without amount took the member's paid-up capital,
    and a later one stated an amount the member no longer had (`redemption-within-paid-up`)."""
    sim = gen._Simulation(members=10, years=1, seed=1, last_year=2025, reference=False)
    sim.shares.append(6)
    sim.position.append(0)
    sim.active.append(0)
    sim.paid_lo[0] = sim.paid_hi[0] = 2 * gen.SHARE_CENTS  # two shares of six paid up
    sim.rng.random = lambda: 0.99  # redeem five shares: more than are surely paid up
    sim.redeem(dt.date(2025, 5, 9).toordinal(), None)
    assert "amount" not in sim.out[-1] and sim.paid_lo[0] == 0
    sim.shares[0], sim.rng.random = 6, lambda: 0.5  # two shares more: no amount can be stated
    sim.redeem(dt.date(2025, 10, 27).toordinal(), None)
    assert "amount" not in sim.out[-1]
