"""The test journal: entries as a secretary writes them, and random journals for the properties.

Every test module builds its entries here, so a test reads like a small
journal (`admit("S1", "2024-01-10")`, `convene()`, `elect("S7")`) and no test
module imports from another.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from coopledger.ledger.application import Parts, Pass
from coopledger.ledger.errors import Refused, Source
from coopledger.ledger.events import Entry
from tests.conftest import POSTGRES, Book, drop_schema, init_ledger

# -- entries ---------------------------------------------------------------------------


def every_pass(read: Callable[[], Iterator[list[tuple[Entry, Source]]]]) -> Parts:
    """A file's parts for `Ledger.record_parts`, the same whichever pass reads them."""

    def parts(_: Pass) -> Iterator[list[tuple[Entry, Source]]]:
        return read()

    return parts


def numbered(lines: list[dict[str, object]]) -> list[dict[str, object]]:
    """Generated lines given ids x1, x2, ... in order, a retraction naming the k-th as xk."""
    named = [{**line, "id": f"x{n}"} for n, line in enumerate(lines, start=1)]
    return [{**op, "entry": f"x{op['entry']}"} if op["type"] == "entry.retracted" else op for op in named]


def admit(member: str, date: str, shares: int = 1, category: str = "A", **extra: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "type": "member.admitted",
        "date": date,
        "member": member,
        "name": member,
        "category": category,
        "shares": shares,
    }
    return {**entry, **extra}


def with_identities(store: Any, spells: list[Any]) -> list[Any]:
    """Register lines with their names, addresses and e-mails (the read models hold
    commitments, whose salts differ from one ledger to another)."""
    from coopledger.commands.personal import held
    from coopledger.ledger.identity import field_value

    values = held(store, (c for s in spells for c in (s.name, s.address, s.email)))
    return [
        s._replace(**{k: field_value(getattr(s, k), k, values) for k in ("name", "address", "email")})
        for s in spells
    ]


def refused(book: Book, *lines: dict[str, object]) -> str:
    """Record lines that must be refused; check nothing was written; return the first refusal."""
    before = book.store.head()
    with pytest.raises(Refused) as caught:
        book.record(*lines)
    assert book.store.head() == before
    return str(caught.value.refusals[0])


AG = "2025-06-17"


def convene(assembly: str = "AG2025", date: str = AG, kind: str = "ordinary") -> dict[str, Any]:
    return {"type": "assembly.convened", "date": date, "assembly": assembly, "kind": kind}


def vote(member: str, proxy: str | None = None, date: str = AG, assembly: str = "AG2025") -> dict[str, Any]:
    entry = {"type": "assembly.voted", "date": date, "assembly": assembly, "member": member}
    return {**entry, "proxy": proxy} if proxy else entry


def decide(
    resolution: str, votes_for: int, against: int = 0, abstain: int = 0, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "resolution.decided",
        "date": AG,
        "assembly": "AG2025",
        "resolution": resolution,
        "title": f"Resolution {resolution}",
        "for": votes_for,
        "against": against,
        "abstain": abstain,
        **extra,
    }


def amend(parameter: str, value: object, date: str = "2024-01-01") -> dict[str, Any]:
    return {"type": "statutes.amended", "date": date, "parameter": parameter, "value": value}


def seats(count: int, date: str = "2024-01-10", body: str = "board") -> dict[str, Any]:
    return {"type": "body.seats", "date": date, "count": count, "body": body}


def mandate(kind: str, person: str, date: str = AG, **fields: Any) -> dict[str, Any]:
    return {"type": f"mandate.{kind}", "date": date, "person": person, **fields}


def elect(person: str, until: str = "2029-06-17", date: str = AG, **fields: Any) -> dict[str, Any]:
    return mandate("elected", person, date, until=until, assembly=fields.pop("assembly", "AG2025"), **fields)


def cooperative(book: Book, members: int = 6, board: int = 3) -> None:
    """Members S1..Sn admitted in January 2024, a board of `board` seats, the 2025 assembly convened."""
    book.record(
        seats(board), *(admit(f"S{i}", "2024-01-10", shares=i) for i in range(1, members + 1)), convene()
    )


@contextmanager
def fresh_ledger(backend: str) -> Iterator[str]:
    """A ledger URL of its own for one hypothesis example (fixtures last a whole test)."""
    if backend == "sqlite-memory":
        yield "sqlite://"
    elif backend == "sqlite-file":
        with tempfile.TemporaryDirectory() as folder:
            yield init_ledger(f"sqlite:///{Path(folder) / 'p.db'}")
    else:
        schema = f"p_{uuid.uuid4().hex[:12]}"
        try:
            yield init_ledger(f"{POSTGRES}{'&' if '?' in POSTGRES else '?'}schema={schema}")
        finally:
            drop_schema(schema)


# -- random journals: memberships over two years from START --------------------------------

START = dt.date(2024, 1, 1)
MEMBERS = [f"S{i}" for i in range(5)]

days = st.integers(min_value=0, max_value=729)
member_id = st.sampled_from(MEMBERS)


def on(day: int) -> str:
    return (START + dt.timedelta(days=day)).isoformat()


member_operation = st.one_of(
    st.builds(
        lambda m, d, n, c, f: {
            "type": "member.admitted",
            "member": m,
            "date": on(d),
            "name": m,
            "category": c,
            "shares": n,
            "founder": f,
        },
        member_id,
        days,
        st.integers(1, 4),
        st.sampled_from("AB"),
        st.booleans(),
    ),
    st.builds(
        lambda m, d, a: {"type": "shares.paid", "member": m, "date": on(d), "amount": f"{a}.00"},
        member_id,
        days,
        st.integers(1, 60),
    ),
    st.builds(
        lambda m, d, n: {"type": "shares.subscribed", "member": m, "date": on(d), "count": n},
        member_id,
        days,
        st.integers(1, 3),
    ),
    st.builds(
        lambda m, t, d, n: {"type": "shares.transferred", "member": m, "to": t, "date": on(d), "count": n},
        member_id,
        member_id,
        days,
        st.integers(1, 2),
    ),
    st.builds(
        lambda m, d, n: {"type": "shares.redeemed", "member": m, "date": on(d), "count": n},
        member_id,
        days,
        st.integers(1, 2),
    ),
    st.builds(
        lambda m, d: {"type": "member.updated", "member": m, "date": on(d), "name": f"{m}-renamed"},
        member_id,
        days,
    ),
    st.builds(
        lambda m, d, c: {"type": "member.category_changed", "member": m, "date": on(d), "category": c},
        member_id,
        days,
        st.sampled_from("AB"),
    ),
    st.builds(lambda m, d: {"type": "member.resigned", "member": m, "date": on(d)}, member_id, days),
    st.builds(
        lambda m, d, r: {"type": "member.left", "member": m, "date": on(d), "reason": r},
        member_id,
        days,
        st.sampled_from(["death", "end_of_employment"]),
    ),
    st.builds(
        lambda m, d: {"type": "member.excluded", "member": m, "date": on(d), "reason": "x"}, member_id, days
    ),
    st.builds(
        lambda k, d: {"type": "entry.retracted", "entry": k, "date": on(d), "reason": "mistake"},
        st.integers(1, 30),
        days,
    ),
)

# most members are admitted early, so that later operations have someone to concern
member_founding = st.lists(
    st.builds(
        lambda m, d, n, c: {
            "type": "member.admitted",
            "member": m,
            "date": on(d),
            "name": m,
            "category": c,
            "shares": n,
        },
        member_id,
        st.integers(0, 90),
        st.integers(2, 4),
        st.sampled_from("AB"),
    ),
    min_size=3,
    max_size=5,
    unique_by=lambda op: op["member"],
)


# -- random journals: assemblies and mandates of six people, three meetings --------------

PEOPLE = [f"S{i}" for i in range(6)]
MEETINGS = {"A0": 100, "A1": 300, "A2": 500}  # assembly -> day of its meeting

person = st.sampled_from(PEOPLE)
meeting = st.sampled_from(sorted(MEETINGS))


def at(assembly: str, **fields: Any) -> dict[str, Any]:
    """An entry of an assembly's day (mostly), naming it."""
    return {"date": on(MEETINGS[assembly]), "assembly": assembly, **fields}


# simplest first: hypothesis shrinks towards the first strategies, so they should mostly be accepted
governance_operation = st.one_of(
    st.builds(lambda a, m: {"type": "assembly.voted", **at(a), "member": m}, meeting, person),
    st.builds(
        lambda a, m, p: {"type": "assembly.voted", **at(a), "member": m, "proxy": p}, meeting, person, person
    ),
    st.builds(
        lambda a, r, f, g, b, q: {
            "type": "resolution.decided",
            **at(a),
            "resolution": r,
            "title": r,
            "for": f,
            "against": g,
            "abstain": b,
            "majority": q,
        },
        meeting,
        st.sampled_from(["R1", "R2"]),
        st.integers(0, 2),
        st.integers(0, 1),
        st.integers(0, 1),
        st.sampled_from(["simple", "two_thirds"]),
    ),
    st.builds(
        lambda a, y, r: {"type": "result.allocated", **at(a), "year": y, "dividend_rate": r},
        meeting,
        st.integers(2023, 2025),
        st.sampled_from(["0", "2.5", "7"]),
    ),
    st.builds(
        lambda d, n: {"type": "body.seats", "date": on(d), "count": n}, st.integers(0, 400), st.integers(0, 3)
    ),
    st.builds(
        lambda a, p, y: {"type": "mandate.elected", **at(a), "person": p, "until": on(MEETINGS[a] + y)},
        meeting,
        person,
        st.sampled_from([200, 400, 1400, 1600]),
    ),
    st.builds(
        lambda a, p, y: {"type": "mandate.renewed", **at(a), "person": p, "until": on(MEETINGS[a] + y)},
        meeting,
        person,
        st.sampled_from([200, 400, 1400]),
    ),
    st.builds(
        lambda d, p, r: {"type": "mandate.coopted", "date": on(d), "person": p, "replaces": r},
        days,
        person,
        person,
    ),
    st.builds(lambda a, p: {"type": "mandate.confirmed", **at(a), "person": p}, meeting, person),
    st.builds(lambda a, p: {"type": "mandate.rejected", **at(a), "person": p}, meeting, person),
    st.builds(lambda a, p: {"type": "mandate.revoked", **at(a), "person": p}, meeting, person),
    st.builds(lambda d, p: {"type": "mandate.resigned", "date": on(d), "person": p}, days, person),
    st.builds(
        lambda d, m: {"type": "member.left", "date": on(d), "member": m, "reason": "death"}, days, person
    ),
    st.builds(
        lambda d, k, v: {"type": "statutes.amended", "date": on(d), "parameter": k, "value": v},
        days,
        st.sampled_from(["quorum", "proxy_limit"]),
        st.integers(0, 60),
    ),
    st.builds(
        lambda k, d: {"type": "entry.retracted", "date": on(d), "entry": k, "reason": "mistake"},
        st.integers(6, 16),
        days,
    ),
    st.builds(
        lambda a, k: {"type": "assembly.convened", **at(a), "kind": k},
        meeting,
        st.sampled_from(["ordinary", "extraordinary"]),
    ),
)

governance_founding = st.lists(
    st.builds(lambda m, d: admit(m, on(d), shares=2), person, st.integers(0, 90)),
    min_size=4,
    max_size=6,
    unique_by=lambda entry: entry["member"],
)
OPENING = [
    {"type": "body.seats", "date": on(0), "count": 3},
    *({"type": "assembly.convened", **at(a), "kind": "ordinary"} for a in sorted(MEETINGS)),
]
