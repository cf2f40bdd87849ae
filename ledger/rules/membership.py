"""Rules on membership and shares (Belgian Code of Companies and Associations, book 6)."""

from __future__ import annotations

from coopledger.ledger import events as ev
from coopledger.ledger.rules.registry import rule
from coopledger.ledger.state import LedgerState
from coopledger.ledger.timeline import redeemed_amount
from coopledger.ledger.words import counted

NOT_ABOUT_A_MEMBER = (ev.MemberApplied, ev.MemberRefused, ev.MemberAdmitted)


@rule("member-id-once")
def member_id_once(entry: ev.MemberApplied | ev.MemberAdmitted, state: LedgerState) -> str | None:
    """A member id is admitted once and never reused, even after the member left."""
    member = state.member(entry.member)
    if member is None or member.status in ("none", "applicant"):
        return None
    if member.status == "member":
        return f"{entry.member} is already a member (admitted {member.admitted})"
    return f"{entry.member} was a member before; a member id is never reused"


@rule("refusal-of-applicant")
def refusal_of_applicant(entry: ev.MemberRefused, state: LedgerState) -> str | None:
    """Only someone who is not a member can have an application refused."""
    member = state.member(entry.member)
    if member is not None and member.status in ("member", "former"):
        return f"{entry.member} is not an applicant but a {'member' if member.is_member else 'former member'}"
    return None


@rule("must-be-member")
def must_be_member(entry: ev.MemberEntry, state: LedgerState) -> str | None:
    """Share movements, updates, exit requests and exits concern members on that date."""
    if isinstance(entry, NOT_ABOUT_A_MEMBER):
        return None
    member = state.member(entry.member)
    if member is None or member.is_member:
        return None
    return f"{entry.member} is not a member on {entry.date}"


@rule("category-allowed", statutes=("categories",))
def category_allowed(
    entry: ev.MemberApplied | ev.MemberAdmitted | ev.MemberCategoryChanged | ev.SharesSubscribed,
    state: LedgerState,
) -> str | None:
    """The category exists in the statutes (parameter `categories`; empty allows any)."""
    allowed = state.statutes.get("categories", entry.date)
    if entry.category is None or not allowed or entry.category in allowed.split(","):
        return None
    return f"category {entry.category!r} is not one of the statutes' categories ({allowed})"


@rule("share-category")
def share_category(entry: ev.SharesSubscribed, state: LedgerState) -> str | None:
    """New shares are of the member's own category (change the category first)."""
    member = state.member(entry.member)
    if member is None or entry.category is None or entry.category == member.category:
        return None
    return f"{entry.member} holds category {member.category} shares, not {entry.category}"


@rule("minimum-shares", statutes=("min_shares",))
def minimum_shares(entry: ev.MemberAdmitted | ev.MemberCategoryChanged, state: LedgerState) -> str | None:
    """A member holds at least the category's minimum number of shares (`min_shares`)."""
    member = state.member(entry.member)
    shares = entry.shares if isinstance(entry, ev.MemberAdmitted) else (member.shares if member else 0)
    if member is None:
        return None
    least = state.statutes.get("min_shares", entry.date, entry.category)
    if shares >= least:
        return None
    return (
        f"category {entry.category} needs at least {counted(least, 'share')}, "
        f"{entry.member} would hold {shares}"
    )


@rule("enough-shares", statutes=("min_shares",))
def enough_shares(entry: ev.SharesTransferred | ev.SharesRedeemed, state: LedgerState) -> str | None:
    """Nobody gives or redeems more shares than they hold; a member keeps the minimum."""
    member = state.member(entry.member)
    if member is None:
        return None
    if entry.count > member.shares:
        return f"{entry.member} holds {counted(member.shares, 'share')}, fewer than {entry.count}"
    least = state.statutes.get("min_shares", entry.date, member.category)
    if member.shares - entry.count < least:
        return (
            f"{entry.member} would keep {counted(member.shares - entry.count, 'share')}, "
            f"below the minimum {least}; "
            "a member who gives up all shares leaves (resign)"
        )
    return None


@rule("transfer-to-member")
def transfer_to_member(entry: ev.SharesTransferred, state: LedgerState) -> str | None:
    """Shares are transferred only to another member on that date."""
    if entry.to == entry.member:
        return f"{entry.member} cannot transfer shares to themself"
    taker = state.member(entry.to)
    if taker is None or taker.is_member:
        return None
    return f"recipient {entry.to} is not a member on {entry.date}"


# The three rules below leave alone a transfer without `paid_up`: one recorded before them, by a
# ledger that moved the shares into the receiver's category and left the money with the giver.
# Every transfer recorded since carries `paid_up` (the ledger fills it in: `state.completed`).


@rule("transfer-category", statutes=("transfers_between_categories",))
def transfer_category(entry: ev.SharesTransferred, state: LedgerState) -> str | None:
    """A transferred share keeps its category: shares go to a member of the giver's category,
    unless the statutes allow transfers between categories (`transfers_between_categories`;
    the shares then become shares of the receiver's category)."""
    giver, taker = state.member(entry.member), state.member(entry.to)
    if entry.paid_up is None or giver is None or taker is None or not taker.is_member:
        return None
    if giver.category == taker.category or state.statutes.get("transfers_between_categories", entry.date):
        return None
    return (
        f"{entry.member} holds category {giver.category} shares and {entry.to} category {taker.category}: "
        "a share keeps its category, and the statutes do not allow transfers between categories "
        "(transfers_between_categories)"
    )


@rule("transfer-share-price")
def transfer_share_price(entry: ev.SharesTransferred, state: LedgerState) -> str | None:
    """A transferred share keeps its price: giver and receiver hold shares of the same price
    (a member's shares have one price in the register, so the subscribed capital stays whole)."""
    giver, taker = state.member(entry.member), state.member(entry.to)
    if entry.paid_up is None or giver is None or taker is None or not taker.is_member:
        return None
    if giver.share_price == taker.share_price:
        return None
    return (
        f"{entry.member}'s shares are of {giver.share_price} and {entry.to}'s of {taker.share_price}: "
        "a share keeps its price, and a member's shares all have one price"
    )


@rule("transfer-paid-up")
def transfer_paid_up(entry: ev.SharesTransferred, state: LedgerState) -> str | None:
    """A transferred share carries its paid-up amount (`paid_up`): at most the shares' price and
    what the giver has paid up, and neither giver nor receiver ends up paid above their shares."""
    giver, taker = state.member(entry.member), state.member(entry.to)
    if entry.paid_up is None or giver is None or not giver.is_member:
        return None
    carried, most = entry.paid_up, entry.count * giver.share_price
    subscribed = giver.shares * giver.share_price
    if giver.paid > subscribed:
        return (
            f"{entry.member} has paid up {giver.paid} for {subscribed} subscribed, so which shares "
            "carry what is unknown (a transfer recorded without paid_up left the money with its "
            "giver: retract it and record it again)"
        )
    if carried > most:
        shares = counted(entry.count, "share")
        carry = "carries" if entry.count == 1 else "carry"
        return f"{shares} of {giver.share_price} {carry} at most {most} paid up, not {carried}"
    if carried > giver.paid:
        return f"{entry.member} has paid up {giver.paid}, less than the {carried} the shares would carry"
    kept = (giver.shares - entry.count) * giver.share_price
    if giver.paid - carried > kept:
        return (
            f"{entry.member} would keep {giver.paid - carried} paid up for {kept} subscribed; "
            f"the shares given carry at least {giver.paid - kept}"
        )
    if taker is not None and taker.is_member:
        held = (taker.shares + entry.count) * taker.share_price
        if taker.paid + carried > held:
            return f"{entry.to} would have paid up {taker.paid + carried} for {held} subscribed"
    return None


@rule("paid-up-within-subscribed")
def paid_up_within_subscribed(entry: ev.SharesPaid, state: LedgerState) -> str | None:
    """Payments never bring the paid-up capital above the subscribed shares' price."""
    member = state.member(entry.member)
    if member is None or not member.is_member:
        return None
    subscribed = member.shares * member.share_price
    if member.paid + entry.amount <= subscribed:
        return None
    return f"{entry.member} would have paid {member.paid + entry.amount} for {subscribed} subscribed"


@rule("redemption-within-paid-up")
def redemption_within_paid_up(entry: ev.SharesRedeemed, state: LedgerState) -> str | None:
    """A redemption pays back at most what the member has paid up."""
    member = state.member(entry.member)
    if member is None or not member.is_member:
        return None
    amount = redeemed_amount(entry, member.paid, member.share_price)
    if amount <= member.paid:
        return None
    return f"{entry.member} has paid up {member.paid}, less than the {amount} redeemed"


@rule("exit-request-pending")
def exit_request_pending(entry: ev.ExitRefused, state: LedgerState) -> str | None:
    """An exit can be refused only after the member asked to leave."""
    member = state.member(entry.member)
    if member is None or not member.is_member or member.exit_requested:
        return None
    return f"{entry.member} has no pending request to leave"


@rule("resignation-window", statutes=("resignation_months", "fiscal_year_start"))
def resignation_window(entry: ev.MemberResigned, state: LedgerState) -> str | None:
    """Members resign only in the first months of the fiscal year (`resignation_months`)."""
    months = state.statutes.get("resignation_months", entry.date)
    start, _ = state.statutes.fiscal_year(entry.date)
    elapsed = (entry.date.year - start.year) * 12 + entry.date.month - start.month
    if entry.date.day < start.day:
        elapsed -= 1
    if elapsed < months:
        return None
    return f"a member may resign only in the first {months} months of the fiscal year starting {start}"


@rule("founder-lock", statutes=("founder_first_resignation_year", "fiscal_year_start"))
def founder_lock(entry: ev.MemberResigned, state: LedgerState) -> str | None:
    """Founders may not resign before their third fiscal year (`founder_first_resignation_year`)."""
    member = state.member(entry.member)
    if member is None or not member.founder or member.admitted is None:
        return None
    nth = state.statutes.get("founder_first_resignation_year", entry.date)
    _, first_year = state.statutes.fiscal_year(member.admitted)
    _, this_year = state.statutes.fiscal_year(entry.date)
    if this_year - first_year + 1 >= nth:
        return None
    return f"founder {entry.member} may resign from fiscal year {first_year + nth - 1} on"
