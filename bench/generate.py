"""Seeded, deterministic generator of a synthetic cooperative journal (JSON Lines).

Benchmarks and tests need journals of a realistic size and shape (SmartCoop: about
45,600 members over ten years) that the ledger accepts entry by entry. Rather than
generate and then repair, the generator *simulates* the cooperative: it walks the
calendar through a queue of planned actions in effective order, and each action picks
someone for whom the entry is allowed on that day. Every entry is valid by
construction, and the output is sorted by date with the ledger's own order within a
day (exit requests and refusals, then exits and mandate resignations, then the rest).

    python bench/generate.py --members 45600 --years 10 --seed 1 -o journal.jsonl
    python bench/generate.py --shape reference --years 10 -o smartcoop.jsonl

Standard library only; same arguments, same bytes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import json
import os
import random
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

SHARE_CENTS = 2500  # one share: 25.00 euros (the statutes' default)
SEATS = 12  # board seats
MANDATE_YEARS = 4

# Yearly rates per member (of the year's average membership), tuned to SmartCoop's
# 2025 figures: 213 resignations, 6 departures by right and 3 exclusions among about
# 43,600 members, and 1,611 voters at the ordinary assembly (3.5 %).
RESIGN = 0.0049
RESIGN_ANNOUNCED = 0.25  # share of resignations preceded by member.exit_requested
LEFT = 0.00014
EXCLUDED = 0.00007
EXIT_REFUSED = 0.00006
UPDATED = 0.002
CATEGORY_CHANGED = 0.0003
SUBSCRIBED = 0.0015
TRANSFERRED = 0.001
REDEEMED = 0.0008
APPLIED = 0.002  # of the year's admissions go through member.applied first ...
APPLIED_REFUSED = 0.6  # ... and this share of those applications is refused
PAID_ON_ADMISSION = 0.03  # admissions followed by a shares.paid entry
VOTERS = 0.035
BY_PROXY = 0.12
BOARD_RESIGN = 0.08  # per board member and year
COOPT = 0.5  # share of board resignations filled by cooptation

# Categories: A workers (99.7 %), B (0.22 %), C (0.05 %).
CAT_B = 0.0022
CAT_C = 0.0005

REFERENCE_MEMBERS = 45_600
REFERENCE_START = 41_716  # members on 1 January: 45,598 - 4,104 + 213 + 6 + 3
REF_ADMITTED = 4104
REF_RESIGNED = 213
REF_LEFT = ("end_of_employment",) * 4 + ("death",) * 2
REF_EXCLUDED = 3
REF_VOTERS = 1611
REF_AT_END = {"A": 45_473, "B": 101, "C": 24}
REF_RENEWED = 1
REF_ELECTED = 3
REF_BOARD_AT_END = 9
BOARD_CORE = 7  # reference shape: mandates running past the last assembly

# fmt: off
FIRST = (
    "Sarah", "Lucas", "Emma", "Noah", "Louise", "Arthur", "Léa", "Adam", "Lina", "Jules", "Nora",
    "Victor", "Élise", "Mohamed", "Fatima", "Sofia", "Liam", "Marie", "Thomas", "Julie", "Kevin",
    "Inès", "Hugo", "Anna", "Youssef", "Chloé", "Milan", "Zoé", "Ayoub", "Camille", "Lars", "Eva",
    "Nathan", "Amira", "Olivier", "Hélène", "Pieter", "An", "Bram", "Lotte",
)
LAST = (
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters",
    "De Smet", "Dubois", "Lambert", "Dupont", "Martin", "Simon", "Laurent", "Leclercq", "Lemaire",
    "Renard", "Dumont", "Fontaine", "Hermans", "Michiels", "Vermeulen", "Aerts", "Bernard",
    "Vandenberghe", "Cools", "Diallo", "El Amrani", "Nowak", "Rossi", "Garcia", "Yilmaz", "Nguyen",
    "Kabasele", "Van Damme", "Lejeune", "Mathieu", "Bastin",
)
STREETS = (
    "Rue Coenraets", "Avenue Louise", "Chaussée de Wavre", "Rue Haute", "Kerkstraat",
    "Stationsstraat", "Rue de la Station", "Place Flagey", "Boulevard d'Avroy", "Korenmarkt",
    "Rue des Acacias", "Dorpstraat",
)
CITIES = (
    "1060 Saint-Gilles", "1050 Ixelles", "1000 Bruxelles", "4000 Liège", "9000 Gent",
    "2000 Antwerpen", "5000 Namur", "6000 Charleroi", "3000 Leuven", "7000 Mons", "8000 Brugge",
    "1348 Louvain-la-Neuve",
)
# fmt: on
LEFT_REASONS = ("death", "end_of_employment", "bankruptcy", "other")
LEFT_WEIGHTS = (35, 45, 10, 10)
EXCLUSION_REASONS = (
    "serious breach of the statutes",
    "shares left unpaid after formal notice",
    "acts contrary to the interests of the cooperative",
)
APPLICATION_REFUSALS = ("does not meet the admission criteria", "incomplete application")
EXIT_REFUSALS = (
    "the withdrawal would bring the capital below the statutory minimum",
    "the member still holds an open contract with the cooperative",
)


def _ag_date(year: int) -> int:
    """Ordinal of the ordinary assembly: third Tuesday of June (2025-06-17, as SmartCoop)."""
    first = dt.date(year, 6, 1)
    return first.toordinal() + (1 - first.weekday()) % 7 + 14


def _years_later(day: int, years: int) -> int:
    d = dt.date.fromordinal(day)
    try:
        return d.replace(year=d.year + years).toordinal()
    except ValueError:  # 29 February
        return dt.date(d.year + years, 2, 28).toordinal()


def _term_until(day: int, year: int) -> int:
    """The last ordinary assembly date within four years of `day` (a mandate's end).

    Assemblies move by a few days from year to year, so four years on is sometimes
    just too far: the mandate then ends at the assembly a year earlier.
    """
    cap = _years_later(day, MANDATE_YEARS)
    for k in range(MANDATE_YEARS, 0, -1):
        if _ag_date(year + k) <= cap:
            return _ag_date(year + k)
    raise AssertionError("no assembly within the mandate term")


def _amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def reference_figures(last_year: int = 2025) -> dict[str, Any]:
    """The reference report's figures for the last year (CONTRACT.md section 3 keys).

    What `coopledger report --year 2025` must print for `generate(shape="reference")`.
    """
    by_reason: dict[str, int] = {}
    for reason in REF_LEFT:
        by_reason[reason] = by_reason.get(reason, 0) + 1
    return {
        "period": {"from": f"{last_year}-01-01", "to": f"{last_year}-12-31"},
        "members": {
            "admitted": REF_ADMITTED,
            "admission_refused": 0,
            "resigned": REF_RESIGNED,
            "left_by_right": len(REF_LEFT),
            "left_by_right_by_reason": by_reason,
            "excluded": REF_EXCLUDED,
            "exit_refused": 0,
            "total_at_end": sum(REF_AT_END.values()),
            "by_category_at_end": dict(REF_AT_END),
        },
        "assemblies": [
            {
                "assembly": f"AG{last_year}",
                "date": dt.date.fromordinal(_ag_date(last_year)).isoformat(),
                "kind": "ordinary",
                "voters": REF_VOTERS,
            }
        ],
        "board": {
            "seats": SEATS,
            "elected": REF_ELECTED,
            "renewed": REF_RENEWED,
            "coopted": 0,
            "members_at_end": REF_BOARD_AT_END,
            "vacant_at_end": SEATS - REF_BOARD_AT_END,
        },
    }


# Within one day the ledger applies exit requests and refusals first, then exits and
# mandate resignations, then everything else; the queue uses the same phases so that
# file order and effective order agree.
REQUEST, EXIT, OTHER, ASSEMBLY = 0, 1, 2, 3


def _stop(day: int, arg: None) -> None:
    """Sentinel closing a year's plan."""


class _Simulation:
    """The cooperative's state, just enough to pick valid subjects for each entry."""

    def __init__(self, members: int, years: int, seed: int, last_year: int, reference: bool):
        self.rng = random.Random(seed)
        self.years = years
        self.first_year = last_year - years + 1
        self.reference = reference
        self.out: list[dict[str, Any]] = []
        self.entry_no = 0
        self.planned: list[tuple[int, int, int, Callable[..., None], Any]] = []
        self.queue: list[tuple[int, int, int, Callable[..., None], Any]] = []
        self.queued = 0
        self.iso: dict[int, str] = {}
        # Members are dense integers; per-member facts live in parallel lists.
        self.names: list[str] = []
        self.category: list[str] = []
        self.shares: list[int] = []
        self.paid_hi: dict[int, int] = {}  # paid-up cents, upper bound under any reading
        self.paid_lo: dict[int, int] = {}  # paid-up cents, lower bound under any reading
        self.founded: dict[int, int] = {}  # founder -> first fiscal year
        self.position: list[int] = []  # index in `active`, -1 when not a member
        self.active: list[int] = []
        self.by_category = {"A": 0, "B": 0, "C": 0}
        self.pending: set[int] = set()  # exit requested, not yet decided
        self.holders: dict[int, int] = {}  # board member -> until (ordinal)
        self.ever_held: set[int] = set()
        self.coopted: list[int] = []  # awaiting confirmation at the next assembly
        self.left_count = 0
        self.founders = 3  # as SmartCoop: admitted on the founding day
        self.exit_only_a = False
        self.category_plan: list[str] = []
        self.caps = {"A": 10**9, "B": 10**9, "C": 10**9}
        if reference:
            end = REF_AT_END
            self.caps = {"A": 10**9, "B": end["B"] - 6, "C": end["C"] - 3}
            before = [round(REFERENCE_START * (i + 1) / (years - 1)) for i in range(years - 1)]
            self.targets = [*before, sum(end.values())]
        else:
            self.targets = [round(members * (i + 1) / years) for i in range(years)]
            self.founders = max(1, min(3, self.targets[0]))

    # -- plumbing ------------------------------------------------------------------

    def plan(self, day: int, phase: int, action: Callable[..., None], arg: Any = None) -> None:
        """Queue an action planned at the start of the year (sorted once, in bulk)."""
        self.queued += 1
        self.planned.append((day, phase, self.queued, action, arg))

    def push(self, day: int, phase: int, action: Callable[..., None], arg: Any = None) -> None:
        """Queue a follow-up decided while the year runs (a payment, a decision)."""
        self.queued += 1
        heapq.heappush(self.queue, (day, phase, self.queued, action, arg))

    def entry(self, kind: str, day: int) -> dict[str, Any]:
        """Append a new entry (id, type, date) to the output; the caller adds its fields."""
        self.entry_no += 1
        iso = self.iso.get(day)
        if iso is None:
            iso = self.iso[day] = dt.date.fromordinal(day).isoformat()
        entry = {"id": f"g{self.entry_no:07d}", "type": kind, "date": iso}
        self.out.append(entry)
        return entry

    def emit(self, kind: str, day: int, fields: dict[str, Any]) -> None:
        self.entry(kind, day).update(fields)

    @staticmethod
    def mid(n: int) -> str:
        return f"M{n + 1:06d}"

    def name(self) -> str:
        rng = self.rng
        return f"{FIRST[int(rng.random() * len(FIRST))]} {LAST[int(rng.random() * len(LAST))]}"

    def draw_category(self) -> str:
        if self.category_plan:
            return self.category_plan.pop()
        r = self.rng.random()
        cat = "B" if r < CAT_B else "C" if r < CAT_B + CAT_C else "A"
        return cat if self.by_category.get(cat, 0) < self.caps.get(cat, 10**9) else "A"

    def pick(self, ok: Callable[[int], bool], tries: int = 500) -> int | None:
        """A random current member for whom `ok` holds (deterministic full scan if rare)."""
        active = self.active
        if not active:
            return None
        rnd = self.rng.random
        size = len(active)
        for _ in range(tries):
            m = active[int(rnd() * size)]
            if ok(m):
                return m
        return next((m for m in active if ok(m)), None)

    def may_exit(self, m: int) -> bool:
        """Board members and pending requests are off limits for other exits."""
        return (
            m not in self.holders
            and m not in self.pending
            and (not self.exit_only_a or self.category[m] == "A")
        )

    def may_resign(self, m: int, year: int) -> bool:
        founded = self.founded.get(m)
        return self.may_exit(m) and (founded is None or year >= founded + 2)

    def deactivate(self, m: int) -> None:
        at = self.position[m]
        last = self.active.pop()
        if last != m:
            self.active[at] = last
            self.position[last] = at
        self.position[m] = -1
        self.by_category[self.category[m]] -= 1
        self.shares[m] = 0

    def is_member(self, m: int) -> bool:
        return self.position[m] >= 0

    # -- the years -----------------------------------------------------------------

    def run(self) -> Iterator[dict[str, Any]]:
        for index in range(self.years):
            self.plan_year(index)
            dec31 = dt.date(self.first_year + index, 12, 31).toordinal()
            planned, queue, pop = self.planned, self.queue, heapq.heappop
            planned.sort()  # (day, phase, sequence): the sequence is unique, actions never compared
            planned.append((dec31 + 1, 0, 0, _stop, None))
            at = 0
            while True:
                if queue and queue[0] < planned[at]:
                    day, _, _, action, arg = pop(queue)
                else:
                    day, _, _, action, arg = planned[at]
                    at += 1
                    if action is _stop:
                        break
                action(day, arg)
            assert not queue, "an action spilled into the next year"
            self.planned = []
            yield from self.out
            self.out = []

    def plan_year(self, index: int) -> None:
        rng = self.rng
        year = self.first_year + index
        jan1 = dt.date(year, 1, 1).toordinal()
        jun30 = dt.date(year, 6, 30).toordinal()
        dec31 = dt.date(year, 12, 31).toordinal()
        last = index == self.years - 1
        fixed = self.reference and last
        start = len(self.active)
        target = self.targets[index]
        average = (start + target) / 2
        some = 1 if average >= 50 and index > 0 else 0  # every kind, once the coop runs

        def count(rate: float, least: int = 0) -> int:
            if index == 0:
                return 0
            return max(least, round(average * rate * rng.uniform(0.85, 1.15)))

        def day_in(first: int, final: int) -> int:
            return first + int(rng.random() * (final - first + 1))

        first_day = jan1
        if index == 0:
            founding = jan1 + 3
            self.plan(founding, OTHER, self.found, year)
            first_day = founding + 1

        if fixed:
            resigned = REF_RESIGNED
            lefts: list[str] = list(REF_LEFT)
            excluded, exit_refused, refused, applied = REF_EXCLUDED, 0, 0, 3
            rng.shuffle(lefts)
        else:
            resigned = count(RESIGN, some)
            lefts = [""] * count(LEFT, some)
            excluded, exit_refused = count(EXCLUDED, some), count(EXIT_REFUSED, some)
        exits = resigned + len(lefts) + excluded
        admitted = max(0, target - start + exits)
        if fixed:
            assert admitted == REF_ADMITTED, (admitted, start)
            end = REF_AT_END
            self.exit_only_a = True
            need = {c: end[c] - self.by_category[c] for c in ("B", "C")}
            plan = ["B"] * need["B"] + ["C"] * need["C"]
            plan += ["A"] * (admitted - len(plan))
            rng.shuffle(plan)
            self.category_plan = plan
        else:
            applications = max(some, round(admitted * APPLIED))
            refused = max(some, round(applications * APPLIED_REFUSED))
            applied = applications - refused
        if index == 0:
            admitted -= self.founders
            applied = refused = 0

        for _ in range(admitted - applied):
            self.plan(day_in(first_day, dec31), OTHER, self.admit, None)
        for i in range(applied + refused):
            self.plan(day_in(first_day, dec31 - 30), OTHER, self.apply, i < refused)
        announced = round(resigned * RESIGN_ANNOUNCED)
        for _ in range(announced):
            self.plan(day_in(jan1, jun30 - 21), REQUEST, self.request, True)
        for _ in range(resigned - announced):
            self.plan(day_in(jan1, jun30), EXIT, self.resign, None)
        for _ in range(exit_refused):
            self.plan(day_in(jan1, dec31 - 31), REQUEST, self.request, False)
        for reason in lefts:
            self.plan(day_in(jan1, dec31), EXIT, self.leave, reason)
        for _ in range(excluded):
            self.plan(day_in(jan1, dec31), EXIT, self.exclude, None)
        for action, rate, least in (
            (self.update, UPDATED, some),
            (self.change_category, 0 if fixed else CATEGORY_CHANGED, 0 if fixed else some),
            (self.subscribe, SUBSCRIBED, some),
            (self.transfer, TRANSFERRED, some),
            (self.redeem, REDEEMED, some),
        ):
            for _ in range(count(rate, least)):
                self.plan(day_in(first_day, dec31), OTHER, action, None)
        ag = _ag_date(year)
        if self.reference and index == self.years - 2:
            self.plan(ag, EXIT, self.steer_board, year)
        self.plan(ag, ASSEMBLY, self.assembly, (year, index))

    # -- membership ----------------------------------------------------------------

    def found(self, day: int, year: int) -> None:
        """Founding day: the founders and the board's statutory seats."""
        for _ in range(self.founders):
            self.admit(day, None, founder=year)
        self.emit("body.seats", day, {"count": SEATS, "body": "board"})

    def new_member(self) -> int:
        n = len(self.names)
        self.names.append("")
        self.category.append("A")
        self.shares.append(0)
        self.position.append(-1)
        return n

    def draw_shares(self) -> int:
        r = self.rng.random()
        if r < 0.9:
            return 1
        return (2, 2, 2, 2, 3, 3, 4, 5, 6, 10)[int((r - 0.9) * 100)]

    def apply(self, day: int, refuse: bool) -> None:
        n = self.new_member()
        name, category, shares = self.name(), self.draw_category(), self.draw_shares()
        self.names[n] = name
        fields = {"member": self.mid(n), "name": name, "category": category, "shares": shares}
        self.emit("member.applied", day, fields)
        decided = day + 7 + int(self.rng.random() * 21)
        if refuse:
            self.push(decided, OTHER, self.refuse, n)
        else:
            self.push(decided, OTHER, self.admit, (n, category, shares))

    def refuse(self, day: int, n: int) -> None:
        reason = APPLICATION_REFUSALS[int(self.rng.random() * len(APPLICATION_REFUSALS))]
        self.emit("member.refused", day, {"member": self.mid(n), "reason": reason})

    def admit(self, day: int, applied: tuple[int, str, int] | None, founder: int = 0) -> None:
        rng = self.rng
        if applied is None:
            n = self.new_member()
            name, category, shares = self.name(), self.draw_category(), self.draw_shares()
            self.names[n] = name
        else:
            n, category, shares = applied
            name = self.names[n]
        member = self.mid(n)
        fields = self.entry("member.admitted", day)
        fields["member"] = member
        fields["name"] = name
        fields["category"] = category
        fields["shares"] = shares
        r = rng.random()
        if r < 0.12:
            street = STREETS[int(rng.random() * len(STREETS))]
            city = CITIES[int(rng.random() * len(CITIES))]
            fields["address"] = f"{street} {1 + int(rng.random() * 150)}, {city}"
        if r < 0.05 or 0.5 < r < 0.6:
            fields["email"] = f"{member.lower()}@example.org"
        if founder:
            fields["founder"] = True
            self.founded[n] = founder
        self.category[n] = category
        self.shares[n] = shares
        self.position[n] = len(self.active)
        self.active.append(n)
        self.by_category[category] = self.by_category.get(category, 0) + 1
        if founder or rng.random() < PAID_ON_ADMISSION:
            self.plan_payment(day, n, shares * SHARE_CENTS)

    def plan_payment(self, day: int, n: int, cents: int) -> None:
        """Pay in full a few weeks later, or now and then in two instalments."""
        rng = self.rng
        dec31 = dt.date(dt.date.fromordinal(day).year, 12, 31).toordinal()
        when = min(dec31, day + int(rng.random() * 45))
        if rng.random() < 0.8:
            self.push(when, OTHER, self.pay, (n, cents))
        else:
            first = cents // 2
            self.push(when, OTHER, self.pay, (n, first))
            later = min(dec31, when + 30 + int(rng.random() * 90))
            self.push(later, OTHER, self.pay, (n, cents - first))

    def pay(self, day: int, payment: tuple[int, int]) -> None:
        n, cents = payment
        if not self.is_member(n):
            return
        cents = min(cents, self.shares[n] * SHARE_CENTS - self.paid_hi.get(n, 0))
        if cents > 0:
            self.emit("shares.paid", day, {"member": self.mid(n), "amount": _amount(cents)})
            self.paid_hi[n] = self.paid_hi.get(n, 0) + cents
            self.paid_lo[n] = self.paid_lo.get(n, 0) + cents

    def update(self, day: int, _: None) -> None:
        m = self.pick(lambda m: True)
        if m is None:
            return
        rng = self.rng
        r = rng.random()
        if r < 0.6:
            street = STREETS[int(rng.random() * len(STREETS))]
            city = CITIES[int(rng.random() * len(CITIES))]
            change = {"address": f"{street} {1 + int(rng.random() * 150)}, {city}"}
        elif r < 0.9:
            change = {"email": f"{self.mid(m).lower()}.{day % 1000}@example.org"}
        else:
            self.names[m] = self.name()
            change = {"name": self.names[m]}
        self.emit("member.updated", day, {"member": self.mid(m), **change})

    def change_category(self, day: int, _: None) -> None:
        m = self.pick(lambda m: True)
        if m is None:
            return
        old = self.category[m]
        choices = [c for c in ("A", "B", "C") if c != old and self.by_category[c] < self.caps[c]]
        if not choices:
            return
        new = choices[int(self.rng.random() * len(choices))]
        self.emit("member.category_changed", day, {"member": self.mid(m), "category": new})
        self.by_category[old] -= 1
        self.by_category[new] += 1
        self.category[m] = new

    def subscribe(self, day: int, _: None) -> None:
        m = self.pick(lambda m: True)
        if m is None:
            return
        count = 1 + int(self.rng.random() ** 3 * 4)
        self.emit("shares.subscribed", day, {"member": self.mid(m), "count": count})
        self.shares[m] += count
        if self.rng.random() < 0.7:
            self.plan_payment(day, m, count * SHARE_CENTS)

    def transfer(self, day: int, _: None) -> None:
        shares = self.shares
        giver = self.pick(lambda m: shares[m] >= 2, tries=200)
        if giver is None:
            return
        taker = self.pick(lambda m: m != giver)
        if taker is None:
            return
        count = 1 if self.rng.random() < 0.8 else 1 + int(self.rng.random() * (shares[giver] - 1))
        taker = self.same_category(giver, taker)
        if taker is None:
            return
        fields = {"member": self.mid(giver), "to": self.mid(taker), "count": count}
        self.emit("shares.transferred", day, fields)
        shares[giver] -= count
        shares[taker] += count
        # The shares carry their even part of the giver's paid-up capital (the ledger fills
        # `paid_up` in), at most their price: bound both ways.
        self.paid_hi[taker] = self.paid_hi.get(taker, 0) + count * SHARE_CENTS
        self.paid_lo[giver] = max(0, self.paid_lo.get(giver, 0) - count * SHARE_CENTS)

    def same_category(self, giver: int, drawn: int) -> int | None:
        """The receiver: `drawn` if of the giver's category (a share keeps its category, and the
        statutes' default refuses a transfer between categories), else the next member of that
        category after it among the active ones, found without drawing again so that the rest of
        the journal stays as it was; None if the giver is the only one."""
        category, active = self.category, self.active
        if category[drawn] == category[giver]:
            return drawn
        at = self.position[drawn]
        for step in range(1, len(active)):
            m = active[(at + step) % len(active)]
            if m != giver and category[m] == category[giver]:
                return m
        return None

    def redeem(self, day: int, _: None) -> None:
        shares = self.shares
        m = self.pick(lambda m: shares[m] >= 2, tries=200)
        if m is None:
            return
        count = 1 + int(self.rng.random() ** 2 * (shares[m] - 1))
        fields: dict[str, Any] = {"member": self.mid(m), "count": count}
        refund = count * SHARE_CENTS
        if self.paid_lo.get(m, 0) >= refund:  # state the refund only when surely paid up
            fields["amount"] = _amount(refund)
            self.paid_lo[m] -= refund
        else:  # the ledger pays back what is paid up on the shares, up to their price
            self.paid_lo[m] = max(0, self.paid_lo.get(m, 0) - refund)
        self.emit("shares.redeemed", day, fields)
        shares[m] -= count

    def request(self, day: int, to_resign: bool) -> None:
        year = dt.date.fromordinal(day).year
        ok = (lambda m: self.may_resign(m, year)) if to_resign else self.may_exit
        m = self.pick(ok)
        if m is None:
            return
        self.emit("member.exit_requested", day, {"member": self.mid(m)})
        self.pending.add(m)
        later = day + 5 + int(self.rng.random() * 16)
        if to_resign:
            self.push(later, EXIT, self.resign, m)
        else:
            reason = EXIT_REFUSALS[int(self.rng.random() * len(EXIT_REFUSALS))]
            self.push(later + 10, REQUEST, self.refuse_exit, (m, reason))

    def refuse_exit(self, day: int, refusal: tuple[int, str]) -> None:
        m, reason = refusal
        self.pending.discard(m)
        self.emit("member.exit_refused", day, {"member": self.mid(m), "reason": reason})

    def resign(self, day: int, m: int | None) -> None:
        if m is None:
            year = dt.date.fromordinal(day).year
            m = self.pick(lambda m: self.may_resign(m, year))
            if m is None:
                return
        self.pending.discard(m)
        self.emit("member.resigned", day, {"member": self.mid(m)})
        self.deactivate(m)

    def leave(self, day: int, reason: str) -> None:
        m = self.pick(self.may_exit)
        if m is None:
            return
        if not reason:  # the first four departures show every reason, then by weight
            reason = (
                LEFT_REASONS[self.left_count]
                if self.left_count < len(LEFT_REASONS)
                else self.rng.choices(LEFT_REASONS, LEFT_WEIGHTS)[0]
            )
        self.left_count += 1
        self.emit("member.left", day, {"member": self.mid(m), "reason": reason})
        self.deactivate(m)

    def exclude(self, day: int, _: None) -> None:
        m = self.pick(self.may_exit)
        if m is None:
            return
        reason = EXCLUSION_REASONS[int(self.rng.random() * len(EXCLUSION_REASONS))]
        self.emit("member.excluded", day, {"member": self.mid(m), "reason": reason})
        self.deactivate(m)

    # -- governance ----------------------------------------------------------------

    def assembly(self, day: int, when: tuple[int, int]) -> None:
        """The ordinary assembly: votes, resolutions, result, board elections."""
        year, index = when
        rng = self.rng
        ag = f"AG{year}"
        self.emit("assembly.convened", day, {"assembly": ag, "kind": "ordinary", "ref": f"PV-{ag}"})
        last = index == self.years - 1
        if self.reference and last:
            voters = REF_VOTERS
        else:
            voters = max(1, round(len(self.active) * VOTERS * rng.uniform(0.9, 1.1)))
        sample = rng.sample(self.active, min(voters, len(self.active)))
        proxied = round(len(sample) * BY_PROXY)
        in_person = sample[proxied:]
        holders = rng.sample(in_person, proxied)
        for m in in_person:
            self.emit("assembly.voted", day, {"assembly": ag, "member": self.mid(m)})
        for m, holder in zip(sample[:proxied], holders, strict=True):
            fields = {"assembly": ag, "member": self.mid(m), "proxy": self.mid(holder)}
            self.emit("assembly.voted", day, fields)
        if index == 0:
            titles = ["Adoption of the internal rules"]
        else:
            titles = [
                f"Approval of the {year - 1} annual accounts",
                "Discharge of the directors",
                f"Allocation of the {year - 1} result to the indivisible reserves",
            ]
        present = len(sample)
        for i, title in enumerate(titles, 1):
            against = round(present * rng.uniform(0.01, 0.06))  # at most 11 % of those present
            abstain = round(present * rng.uniform(0.01, 0.05))
            silent = round(present * rng.uniform(0.0, 0.03))
            decided: dict[str, Any] = {"assembly": ag, "resolution": f"R{i}", "title": title}
            decided["for"] = max(0, present - against - abstain - silent)
            decided.update({"against": against, "abstain": abstain, "majority": "simple"})
            self.emit("resolution.decided", day, decided)
        if index > 0:
            reserves = _amount(int(rng.random() * 90_000_000) + 5_000_000)
            result = {"assembly": ag, "year": year - 1, "reserves": reserves, "dividend_rate": "0"}
            self.emit("result.allocated", day, result)
        self.board_at_assembly(day, year, index)

    def candidate(self) -> int | None:
        return self.pick(
            lambda m: m not in self.holders and m not in self.ever_held and m not in self.pending
        )

    def elect(self, day: int, year: int, until: int | None = None) -> int | None:
        m = self.candidate()
        if m is None or len(self.holders) >= SEATS:
            return None
        until = until or _term_until(day, year)
        fields = {
            "person": self.mid(m),
            "until": dt.date.fromordinal(until).isoformat(),
            "assembly": f"AG{year}",
            "name": self.names[m],
        }
        self.emit("mandate.elected", day, fields)
        self.holders[m] = until
        self.ever_held.add(m)
        return m

    def renew(self, day: int, year: int, m: int) -> None:
        until = _term_until(day, year)
        fields = {
            "person": self.mid(m),
            "until": dt.date.fromordinal(until).isoformat(),
            "assembly": f"AG{year}",
        }
        self.emit("mandate.renewed", day, fields)
        self.holders[m] = until

    def board_at_assembly(self, day: int, year: int, index: int) -> None:
        rng = self.rng
        ag = f"AG{year}"
        expiring = [m for m, until in self.holders.items() if until <= day]
        for m in expiring:
            del self.holders[m]
        for m in self.coopted:
            if m in self.holders:
                self.emit("mandate.confirmed", day, {"person": self.mid(m), "assembly": ag})
        self.coopted = []
        last = index == self.years - 1
        if index == 0:  # the first board, staggered so that a quarter is renewed each year
            for i in range(SEATS):
                self.elect(day, year, min(_ag_date(year + 1 + i % 4), _term_until(day, year)))
        elif self.reference and last:
            self.renew(day, year, expiring[0])
            for _ in range(REF_ELECTED):
                self.elect(day, year)
            extra = len(self.holders) - REF_BOARD_AT_END
            assert extra >= 0, extra
            dec31 = dt.date(year, 12, 31).toordinal()
            for m in rng.sample(sorted(self.holders), extra):
                self.push(day + 1 + int(rng.random() * (dec31 - day)), EXIT, self.unseat, m)
            return
        elif self.reference and index == self.years - 2:
            next_ag = _ag_date(year + 1)
            if not any(until == next_ag for until in self.holders.values()):
                self.elect(day, year, next_ag)
            running = sum(until > next_ag for until in self.holders.values())
            for m in expiring:
                if running < BOARD_CORE and rng.random() < 0.5:
                    self.renew(day, year, m)
                    running += 1
            while running < BOARD_CORE and self.elect(day, year) is not None:
                running += 1
            dec31 = dt.date(year, 12, 31).toordinal()
            surplus = [m for m, until in self.holders.items() if until > next_ag]
            for m in rng.sample(surplus, max(0, running - BOARD_CORE)):
                self.push(day + 1 + int(rng.random() * (dec31 - day)), EXIT, self.unseat, m)
            return
        else:
            for m in expiring:
                if self.is_member(m) and m not in self.pending and rng.random() < 0.5:
                    self.renew(day, year, m)
            for _ in range(SEATS - len(self.holders) - rng.choice((0, 0, 1, 1, 2))):
                self.elect(day, year)
        dec31 = dt.date(year, 12, 31).toordinal()
        leaving = [m for m in self.holders if rng.random() < BOARD_RESIGN]
        if index == 1 and not leaving:  # show a cooptation early on
            leaving = [m for m, until in self.holders.items() if until > _ag_date(year + 1)][:1]
        for m in leaving:
            when = day + 1 + int(rng.random() * (dec31 - day - 60))
            coopt = index == 1 or rng.random() < COOPT
            self.push(when, EXIT, self.unseat, m)
            if coopt and self.holders[m] > _ag_date(year + 1):
                vacancy = (m, self.holders[m])
                self.push(when + 14 + int(rng.random() * 40), OTHER, self.coopt, vacancy)

    def steer_board(self, day: int, year: int) -> None:
        """Reference shape, assembly before the last: at most four seats end next year.

        The last assembly renews one mandate and elects three people into 12 seats, so
        the mandates running past it must leave room; extra ones resign on the day.
        """
        next_ag = _ag_date(year + 1)
        ending = [m for m, until in self.holders.items() if until == next_ag]
        for m in ending[4:]:
            self.unseat(day, m)

    def unseat(self, day: int, m: int) -> None:
        if m in self.holders:
            self.emit("mandate.resigned", day, {"person": self.mid(m)})
            del self.holders[m]

    def coopt(self, day: int, vacancy: tuple[int, int]) -> None:
        """Fill a resigned director's seat until their term's end, pending confirmation."""
        replaced, until = vacancy
        if replaced in self.holders or len(self.holders) >= SEATS:
            return
        m = self.candidate()
        if m is None:
            return
        fields = {
            "person": self.mid(m),
            "replaces": self.mid(replaced),
            "until": dt.date.fromordinal(until).isoformat(),
            "name": self.names[m],
        }
        self.emit("mandate.coopted", day, fields)
        self.holders[m] = until
        self.ever_held.add(m)
        self.coopted.append(m)


def generate(
    members: int, years: int, seed: int = 1, last_year: int = 2025, shape: str = "synthetic"
) -> Iterator[dict[str, Any]]:
    """Yield the journal's entries (plain dicts) in effective order.

    `members` is the membership on 31 December of `last_year`; the journal covers the
    `years` calendar years ending then, from the founding. With `shape="reference"`
    the last year reproduces SmartCoop's 2025 report exactly (`reference_figures()`)
    and `members` is ignored.
    """
    if shape not in ("synthetic", "reference"):
        raise ValueError(f"unknown shape {shape!r}: synthetic or reference")
    if years < 1 or (shape == "reference" and years < 4):
        raise ValueError("years must be at least 1 (4 for the reference shape)")
    if members < 1 and shape == "synthetic":
        raise ValueError("members must be at least 1")
    sim = _Simulation(members, years, seed, last_year, shape == "reference")
    return sim.run()


def write_jsonl(entries: Iterable[dict[str, Any]], out: TextIO, chunk: int = 20_000) -> int:
    """Write entries as JSON Lines; returns how many were written."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    lines: list[str] = []
    written = 0
    for entry in entries:
        lines.append(encode(entry))
        if len(lines) >= chunk:
            out.write("\n".join(lines) + "\n")
            written += len(lines)
            lines = []
    if lines:
        out.write("\n".join(lines) + "\n")
        written += len(lines)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Generate a deterministic synthetic cooperative journal (JSON Lines)."
    )
    parser.add_argument("--members", type=int, help="members on 31 December of the last year")
    parser.add_argument("--years", type=int, default=10, help="fiscal years covered (default 10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--last-year", type=int, default=2025)
    parser.add_argument("--shape", choices=("synthetic", "reference"), default="synthetic")
    parser.add_argument("-o", "--output", help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    if args.members is None:
        if args.shape != "reference":
            parser.error("--members is required for the synthetic shape")
        args.members = REFERENCE_MEMBERS
    try:
        entries = generate(args.members, args.years, args.seed, args.last_year, args.shape)
    except ValueError as e:
        parser.error(str(e))
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="\n") as out:
            write_jsonl(entries, out)
        return 0
    sys.stdout.reconfigure(encoding="utf-8", newline="\n")  # type: ignore[union-attr]
    try:
        write_jsonl(entries, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
    return 0


if __name__ == "__main__":
    sys.exit(main())
