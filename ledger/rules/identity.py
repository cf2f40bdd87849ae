"""Rules on erasing a person's identity (`identity.erased`): when the law allows it.

The identity of a member or of a mandate holder is kept while they are a member or
hold a mandate, and for the retention period after: `retention_years` after the
end of the fiscal year of the exit or of the end of the mandate (default 7: the
accounting records the register supports are kept seven years, Code de droit
économique art. III.86), `applicant_retention_years` after the end of the fiscal
year in which an application was refused (default 1: until the annual report on
that year). See docs/user-guide.md, "Personal data".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from coopledger.ledger import events as ev
from coopledger.ledger.rules.registry import Reader, batch_rule, reaches, rule
from coopledger.ledger.state import LedgerState, MemberState
from coopledger.ledger.statutes import Statutes
from coopledger.ledger.timeline import years_later


@reaches(ev.IdentityErased)
def every_body(batch: Sequence[ev.Entry], reader: Reader) -> set[str]:
    """An erasure looks at the person's mandates in every body (a few thousand entries at most)."""
    return reader.subjects_named(ev.BODY)


def erasable_from(statutes: Statutes, ended: dt.date, years: int) -> dt.date:
    """The first day after `years` years from the end of the fiscal year containing `ended`."""
    start, _ = statutes.fiscal_year(ended)
    year_end = years_later(start, 1) - dt.timedelta(days=1)
    return years_later(year_end, years) + dt.timedelta(days=1)


def _mandates(
    person: str, state: LedgerState, on: dt.date
) -> tuple[list[tuple[str, dt.date]], dt.date | None]:
    """The mandates the person holds on `on` (body, until), and when their last one ended."""
    held, ended = [], None
    for body, body_state in sorted(state.bodies.items()):
        term = body_state.terms.get(person)
        if term is not None and term.until > on:
            held.append((body, term.until))
        elif term is not None:
            ended = max(ended or term.until, term.until)
        if person in body_state.ended:
            ended = max(ended or body_state.ended[person], body_state.ended[person])
    return held, ended


def first_erasure_date(
    person_id: str, person: MemberState, state: LedgerState, on: dt.date
) -> dt.date | None:
    """The first day the person's identity may be erased, as known on `on` (None: not yet known)."""
    if person.status in ("member", "applicant"):
        return None
    statutes = state.statutes
    held, mandate_ended = _mandates(person_id, state, on)
    ends = [until for _, until in held]
    if mandate_ended is not None:
        ends.append(mandate_ended)
    if person.exited is not None:
        ends.append(person.exited)
    dates = [erasable_from(statutes, day, statutes.get("retention_years", on)) for day in ends]
    if person.refused is not None:
        years = statutes.get("applicant_retention_years", on)
        dates.append(erasable_from(statutes, person.refused, years))
    return max(dates) if dates else on


@rule("identity-erasure", statutes=("retention_years", "applicant_retention_years", "fiscal_year_start"))
def erasure_allowed(entry: ev.IdentityErased, state: LedgerState) -> str | None:
    """An identity is erased once the law allows: not of a member, an applicant or a mandate
    holder, and after the retention period (statutes `retention_years` after the end of the
    fiscal year of the exit or end of mandate; `applicant_retention_years` after a refusal)."""
    person = state.member(entry.member)
    if person is None:
        return None
    if not person.identified:
        erased = f" (erased on {person.erased})" if person.erased else ""
        return f"no identity of {entry.member} is held{erased}"
    years = state.statutes.get("retention_years", entry.date)
    if person.is_member:
        return (
            f"{entry.member} is a member; erasure is possible {years} years after the end of "
            "the fiscal year of their exit"
        )
    if person.status == "applicant":
        return f"{entry.member} has an application pending; erase it once refused and retained"
    held, _ = _mandates(entry.member, state, entry.date)
    possible = first_erasure_date(entry.member, person, state, entry.date)
    if held:
        body, until = held[0]
        return f"{entry.member} holds a mandate in {body} until {until}; erasure possible from {possible}"
    if possible is not None and entry.date < possible:
        return f"{entry.member}'s identity is within its retention period; erasure possible from {possible}"
    return None


@batch_rule("identity-erasure-date")
def erasure_date(entry: ev.IdentityErased, today: dt.date) -> str | None:
    """An erasure deletes the identity now: it is dated today or earlier, never later."""
    if entry.date <= today:
        return None
    return f"an erasure takes effect when it is recorded: date it {today} or earlier, not {entry.date}"
