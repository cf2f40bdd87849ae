"""Rules on general assemblies, votes, proxies, seats and mandates (Belgian CSA, book 6).

Each limit is a statutes parameter with a Belgian default (`proxy_limit`, `voting`,
`share_vote_cap`, `mandate_max_years`, `outsiders_allowed`, `dividend_cap`). Whether a
resolution is adopted (majority, quorum) is not a rule: a rejected resolution is a fact
the ledger records; only impossible counts are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TypeAlias

from coopledger.ledger import events as ev
from coopledger.ledger.rules.registry import Reader, reaches, rule
from coopledger.ledger.state import AssemblyState, BodyState, LedgerState
from coopledger.ledger.timeline import years_later
from coopledger.ledger.words import counted

# The entries whose rules read an assembly they name but whose timeline they do not join.
NAMES_AN_ASSEMBLY = (
    ev.ResolutionDecided,
    ev.MandateElected,
    ev.MandateRenewed,
    ev.MandateConfirmed,
    ev.MandateRejected,
    ev.MandateRevoked,
)


@reaches(*NAMES_AN_ASSEMBLY)
def assemblies_and_voters(batch: Sequence[ev.Entry], reader: Reader) -> set[str]:
    """The assembly a mandate or a resolution names, and, for a resolution, every voter and
    proxy of its assembly, recorded or in the batch (their shares weigh the votes: one share
    one vote)."""
    named = {ev.ASSEMBLY + e.assembly for e in batch if isinstance(e, NAMES_AN_ASSEMBLY)}
    counted = sorted({ev.ASSEMBLY + e.assembly for e in batch if isinstance(e, ev.ResolutionDecided)})
    if not counted:
        return named
    votes = [e for e in [*reader.timelines(counted), *batch] if isinstance(e, ev.AssemblyVoted)]
    return named | {
        ev.MEMBER + who
        for vote in votes
        if ev.ASSEMBLY + vote.assembly in counted
        for who in (vote.member, vote.proxy)
        if who
    }


# The entries that give a person a mandate until a date.
TakesASeat: TypeAlias = ev.MandateElected | ev.MandateRenewed | ev.MandateCoopted
# The entries an assembly decides, dated the day it meets.
ByAnAssembly: TypeAlias = (
    ev.AssemblyVoted
    | ev.ResolutionDecided
    | ev.ResultAllocated
    | ev.MandateElected
    | ev.MandateRenewed
    | ev.MandateConfirmed
    | ev.MandateRejected
    | ev.MandateRevoked
)


def votes_present(assembly: AssemblyState, voting: str, cap: Decimal) -> Decimal | None:
    """Votes present or represented: one per voter, or their shares each capped at `cap` % of all.

    None when some voter's shares are not loaded (the rule then cannot see).
    """
    if voting == "person":
        return Decimal(len(assembly.voters))
    weights = [w for w in assembly.weights.values() if w is not None]
    if len(weights) < len(assembly.weights):
        return None
    ceiling = Decimal(sum(weights)) * cap / 100
    return sum((min(Decimal(w), ceiling) for w in weights), Decimal(0))


@rule("assembly-once")
def assembly_once(entry: ev.AssemblyConvened, state: LedgerState) -> str | None:
    """An assembly id names one meeting."""
    assembly = state.assembly(entry.assembly)
    if assembly is None or assembly.date is None:
        return None
    return f"assembly {entry.assembly} was already convened on {assembly.date}"


@rule("assembly-convened")
def assembly_convened(entry: ByAnAssembly, state: LedgerState) -> str | None:
    """Votes, resolutions, allocations and elections refer to an assembly convened on their date."""
    assembly = state.assembly(entry.assembly)
    if assembly is None or assembly.date == entry.date:
        return None
    if assembly.date is None:
        return f"assembly {entry.assembly} has not been convened by {entry.date} (record assembly.convened)"
    return f"assembly {entry.assembly} met on {assembly.date}, not on {entry.date}"


@rule("voter-is-member")
def voter_is_member(entry: ev.AssemblyVoted, state: LedgerState) -> str | None:
    """Only members on the assembly date take part."""
    member = state.member(entry.member)
    if member is None or member.is_member:
        return None
    return f"{entry.member} is not a member on {entry.date}"


@rule("votes-once")
def votes_once(entry: ev.AssemblyVoted, state: LedgerState) -> str | None:
    """A member takes part once per assembly, in person or by proxy."""
    assembly = state.assembly(entry.assembly)
    if assembly is None or entry.member not in assembly.voters:
        return None
    holder = assembly.voters[entry.member]
    how = f"by proxy to {holder}" if holder else "in person"
    return f"{entry.member} already took part in assembly {entry.assembly} ({how})"


@rule("proxy-holder")
def proxy_holder(entry: ev.AssemblyVoted, state: LedgerState) -> str | None:
    """A proxy holder is another member who takes part in the same assembly in person."""
    if entry.proxy is None:
        return None
    if entry.proxy == entry.member:
        return f"{entry.member} cannot hold their own proxy"
    holder = state.member(entry.proxy)
    if holder is not None and not holder.is_member:
        return f"proxy holder {entry.proxy} is not a member on {entry.date}"
    assembly = state.assembly(entry.assembly)
    if assembly is None or assembly.date is None:
        return None
    if entry.proxy not in assembly.voters:
        return f"proxy holder {entry.proxy} has not taken part in person (record their own vote first)"
    if assembly.voters[entry.proxy] is not None:
        return f"proxy holder {entry.proxy} is represented by {assembly.voters[entry.proxy]}, not present"
    return None


@rule("proxy-limit", statutes=("proxy_limit",))
def proxy_limit(entry: ev.AssemblyVoted, state: LedgerState) -> str | None:
    """A member holds at most `proxy_limit` proxies at one assembly (default 1)."""
    assembly = state.assembly(entry.assembly)
    if entry.proxy is None or assembly is None:
        return None
    limit = state.statutes.get("proxy_limit", entry.date)
    held = assembly.proxies_held.get(entry.proxy, 0)
    if held < limit:
        return None
    proxies = "proxy" if held == 1 else "proxies"
    return f"{entry.proxy} already holds {held} {proxies}, the statutes allow {limit}"


@rule("resolution-once")
def resolution_once(entry: ev.ResolutionDecided, state: LedgerState) -> str | None:
    """A resolution id is decided once per assembly."""
    assembly = state.assembly(entry.assembly)
    if assembly is None or entry.resolution not in assembly.resolutions:
        return None
    return f"resolution {entry.resolution} of assembly {entry.assembly} is already recorded"


@rule("votes-present", statutes=("voting", "share_vote_cap"))
def votes_within_present(entry: ev.ResolutionDecided, state: LedgerState) -> str | None:
    """The counts of a resolution cannot exceed the votes present or represented (`voting`)."""
    assembly = state.assembly(entry.assembly)
    if assembly is None or assembly.date is None:
        return None
    voting = state.statutes.get("voting", entry.date)
    present = votes_present(assembly, voting, state.statutes.get("share_vote_cap", entry.date))
    counted = entry.for_ + entry.against + entry.abstain
    if present is None or counted <= present:
        return None
    unit = "voters" if voting == "person" else "votes (one share one vote, capped)"
    return f"{counted} votes counted, but only {present.normalize():f} {unit} present or represented"


@rule("allocation-once")
def allocation_once(entry: ev.ResultAllocated, state: LedgerState) -> str | None:
    """An assembly allocates one fiscal year's result."""
    assembly = state.assembly(entry.assembly)
    if assembly is None or assembly.allocated is None:
        return None
    return f"assembly {entry.assembly} already allocated the {assembly.allocated} result"


@rule("dividend-cap", statutes=("dividend_cap",))
def dividend_cap(entry: ev.ResultAllocated, state: LedgerState) -> str | None:
    """The dividend rate does not exceed the statutory cap (`dividend_cap`, default 6 %)."""
    cap = state.statutes.get("dividend_cap", entry.date)
    if entry.dividend_rate is None or entry.dividend_rate <= cap:
        return None
    return f"dividend rate {entry.dividend_rate} % is above the statutory cap of {cap} %"


@rule("body-seats-held")
def body_seats_held(entry: ev.BodySeats, state: LedgerState) -> str | None:
    """A body never has fewer seats than people holding one."""
    body = state.body(entry.body)
    if body is None:
        return None
    held = len(body.holders(entry.date))
    if entry.count >= held:
        return None
    return (
        f"{entry.body} would have {counted(entry.count, 'seat')}, "
        f"but {counted(held, 'person', 'people')} hold one on {entry.date}"
    )


def _takes_a_seat(entry: TakesASeat, body: BodyState) -> bool:
    """Elections and cooptations take a seat; a renewal does only once the mandate has run out."""
    return not isinstance(entry, ev.MandateRenewed) or body.holding(entry.person, entry.date) is None


@rule("seats-available")
def seats_available(entry: TakesASeat, state: LedgerState) -> str | None:
    """No body holds more people than its statutory seats (`body.seats`)."""
    body = state.body(entry.body)
    if body is None or not _takes_a_seat(entry, body):
        return None
    held = body.holders(entry.date)
    if len(held) < body.seats:
        return None
    if body.seats == 0:
        return f"{entry.body} has no seats on {entry.date} (record body.seats first)"
    seats = (
        f"all {body.seats} seats of {entry.body} are"
        if body.seats > 1
        else f"the one seat of {entry.body} is"
    )
    return f"{seats} held on {entry.date}: {', '.join(sorted(held))}"


@rule("one-seat-each")
def one_seat_each(entry: ev.MandateElected | ev.MandateCoopted, state: LedgerState) -> str | None:
    """Nobody holds two seats of one body at once."""
    body = state.body(entry.body)
    term = body.holding(entry.person, entry.date) if body is not None else None
    if term is None:
        return None
    return f"{entry.person} already holds a seat of {entry.body} until {term.until} (renew it instead)"


@rule("mandate-term", statutes=("mandate_max_years",))
def mandate_term(entry: TakesASeat, state: LedgerState) -> str | None:
    """A mandate ends after its date and at most `mandate_max_years` (default 4) years later."""
    if entry.until is None:
        return None
    years = state.statutes.get("mandate_max_years", entry.date)
    latest = years_later(entry.date, years)
    if entry.date < entry.until <= latest:
        return None
    if entry.until <= entry.date:
        return f"the mandate would end on {entry.until}, not after {entry.date}"
    return f"the mandate would end on {entry.until}, after {latest} ({years} years at most)"


@rule("holder-is-member", statutes=("outsiders_allowed",))
def holder_is_member(entry: TakesASeat, state: LedgerState) -> str | None:
    """Mandates go to members, unless the statutes allow outsiders (`outsiders_allowed`)."""
    person = state.member(entry.person)
    if person is None or person.is_member or state.statutes.get("outsiders_allowed", entry.date):
        return None
    return f"{entry.person} is not a member on {entry.date} and the statutes allow no outsiders"


@rule("renewal-of-current")
def renewal_of_current(entry: ev.MandateRenewed, state: LedgerState) -> str | None:
    """Only a running mandate is renewed, at the latest on the day it ends."""
    body = state.body(entry.body)
    if body is None:
        return None
    term = body.terms.get(entry.person)
    if term is not None and term.until >= entry.date:
        return None
    if term is not None:
        return f"the mandate of {entry.person} in {entry.body} ended on {term.until} (elect them again)"
    return f"{entry.person} holds no mandate in {entry.body} on {entry.date}"


@rule("cooptation-vacancy")
def cooptation_vacancy(entry: ev.MandateCoopted, state: LedgerState) -> str | None:
    """A cooptation fills a seat left early, for the rest of that term (`replaces`), once."""
    body = state.body(entry.body)
    if body is None:
        return None
    if entry.replaces is None:
        return None if entry.until is not None else "a cooptation needs `replaces` or `until`"
    replaced = body.vacated.get(entry.replaces)
    if replaced is None or body.holding(entry.replaces, entry.date) is not None:
        return f"{entry.replaces} did not leave a seat of {entry.body} before its term ran out"
    if replaced.until <= entry.date:
        return f"the term of {entry.replaces} ran out on {replaced.until}: elect someone instead"
    if entry.replaces in body.filled:
        return f"the seat {entry.replaces} left is already filled by cooptation"
    if entry.until is not None and entry.until != replaced.until:
        return f"the cooptation ends when the mandate of {entry.replaces} would have: {replaced.until}"
    return None


@rule("cooptation-pending")
def cooptation_pending(entry: ev.MandateConfirmed | ev.MandateRejected, state: LedgerState) -> str | None:
    """An assembly confirms or rejects a cooptation still awaiting it."""
    body = state.body(entry.body)
    if body is None:
        return None
    term = body.holding(entry.person, entry.date)
    if term is not None and term.pending:
        return None
    return f"{entry.person} holds no cooptation of {entry.body} awaiting confirmation on {entry.date}"


@rule("mandate-held")
def mandate_held(entry: ev.MandateResigned | ev.MandateRevoked, state: LedgerState) -> str | None:
    """Only someone holding a seat can resign from it or be revoked."""
    body = state.body(entry.body)
    if body is None or body.holding(entry.person, entry.date) is not None:
        return None
    return f"{entry.person} holds no seat of {entry.body} on {entry.date}"
