"""The governance rules, each refused with its name, on every backend. Tests read like small journals."""

from __future__ import annotations

from tests.conftest import Book
from tests.journal import AG, admit, amend, convene, cooperative, decide, elect, mandate, refused, seats, vote

# -- assemblies and votes -------------------------------------------------------------


def test_an_assembly_is_convened_once(book: Book) -> None:
    book.record(convene())
    message = refused(book, convene(date="2025-06-18"))
    assert "assembly-once" in message and "already convened on 2025-06-17" in message


def test_votes_and_decisions_refer_to_an_assembly_convened_that_day(book: Book) -> None:
    book.record(admit("S1", "2024-01-10"))
    message = refused(book, vote("S1"))
    assert message == (
        "line 1: assembly.voted AG2025 2025-06-17: assembly-convened: "
        "assembly AG2025 has not been convened by 2025-06-17 (record assembly.convened)"
    )
    book.record(convene())
    assert "met on 2025-06-17, not on 2025-06-18" in refused(book, vote("S1", date="2025-06-18"))
    assert "assembly-convened" in refused(book, {**decide("R1", 0), "date": "2025-06-16"})
    allocation = {"type": "result.allocated", "date": "2025-07-01", "assembly": "AG2025", "year": 2024}
    assert "assembly-convened" in refused(book, allocation)


def test_only_members_on_the_assembly_date_take_part(book: Book) -> None:
    cooperative(book)
    book.record(admit("S9", "2025-06-18"), {"type": "member.resigned", "date": AG, "member": "S2"})
    assert "voter-is-member: S9 is not a member on 2025-06-17" in refused(book, vote("S9"))
    assert "voter-is-member: S2 is not a member" in refused(book, vote("S2"))


def test_a_backdated_exit_cannot_undo_a_recorded_vote(book: Book) -> None:
    cooperative(book)
    book.record(vote("S1"))
    message = refused(book, {"type": "member.resigned", "date": "2025-05-01", "member": "S1"})
    assert "would break recorded entry assembly.voted" in message and "voter-is-member" in message


def test_a_member_takes_part_once(book: Book) -> None:
    cooperative(book)
    book.record(vote("S1"), vote("S2", proxy="S1"))
    assert "votes-once: S1 already took part in assembly AG2025 (in person)" in refused(book, vote("S1"))
    assert "(by proxy to S1)" in refused(book, vote("S2"))


def test_a_proxy_holder_is_another_member_present_in_person(book: Book) -> None:
    cooperative(book)
    book.record(admit("S9", "2025-07-01"))
    assert "proxy-holder: S1 cannot hold their own proxy" in refused(book, vote("S1", proxy="S1"))
    assert "proxy holder S9 is not a member on 2025-06-17" in refused(book, vote("S1", proxy="S9"))
    message = refused(book, vote("S1", proxy="S2"))
    assert "proxy-holder: proxy holder S2 has not taken part in person" in message
    book.record(vote("S2"), vote("S1", proxy="S2"))
    message = refused(book, vote("S3", proxy="S1"))
    assert "proxy-holder: proxy holder S1 is represented by S2, not present" in message


def test_a_proxy_holder_holds_at_most_the_statutory_number_of_proxies(book: Book) -> None:
    cooperative(book)
    book.record(vote("S1"), vote("S2", proxy="S1"))
    message = refused(book, vote("S3", proxy="S1"))
    assert "proxy-limit: S1 already holds 1 proxy, the statutes allow 1" in message
    book.record(amend("proxy_limit", 2, "2025-01-01"), vote("S3", proxy="S1"))
    assert "the statutes allow 2" in refused(book, vote("S4", proxy="S1"))


def test_counts_cannot_exceed_the_voters_present_or_represented(book: Book) -> None:
    cooperative(book)
    book.record(vote("S1"), vote("S2", proxy="S1"), vote("S3"))
    message = refused(book, decide("R1", 2, 1, 1))
    assert message.endswith("votes-present: 4 votes counted, but only 3 voters present or represented")
    book.record(decide("R1", 1, 1, 1), decide("R2", 0, 2, 0))  # a rejected resolution is still a fact
    assert "resolution-once" in refused(book, decide("R1", 1))


def test_one_share_one_vote_is_capped_at_a_tenth_of_the_votes_present(book: Book) -> None:
    cooperative(book, members=6)  # S1 holds 1 share ... S6 holds 6: 21 shares
    book.record(amend("voting", "share", "2025-01-01"), *(vote(f"S{i}") for i in range(1, 7)))
    # capped at 2.1 votes each: 1 + 2 + 2.1 * 4 = 11.4 votes present or represented
    message = refused(book, decide("R1", 10, 2))
    assert "votes-present: 12 votes counted, but only 11.4 votes (one share one vote, capped)" in message
    book.record(amend("share_vote_cap", 100, "2025-01-01"), decide("R1", 18, 3))


def test_an_assembly_allocates_one_result_and_the_dividend_stays_under_the_cap(book: Book) -> None:
    cooperative(book)
    allocate = {"type": "result.allocated", "date": AG, "assembly": "AG2025", "year": 2024}
    message = refused(book, {**allocate, "dividend_rate": "6.5"})
    assert "dividend-cap: dividend rate 6.50 % is above the statutory cap of 6 %" in message
    book.record({**allocate, "reserves": "1200.00", "dividend_rate": "6"})
    assert "allocation-once" in refused(book, {**allocate, "year": 2023})
    # a cap lowered before a recorded allocation would break it; from later on it applies
    assert "would break recorded entry result.allocated" in refused(book, amend("dividend_cap", "3", AG))
    book.record(amend("dividend_cap", "3", "2025-07-01"), convene("AGE2025", "2025-09-01", "extraordinary"))
    late = {**allocate, "date": "2025-09-01", "assembly": "AGE2025", "dividend_rate": "4"}
    assert "dividend-cap" in refused(book, late)


# -- bodies, seats and mandates -------------------------------------------------------


def test_no_body_holds_more_people_than_its_seats(book: Book) -> None:
    cooperative(book, board=2)
    message = refused(book, elect("S1", body="ethics_committee"))
    assert "seats-available: ethics_committee has no seats on 2025-06-17 (record body.seats first)" in message
    book.record(elect("S1"), elect("S2"))
    assert "seats-available: all 2 seats of board are held on 2025-06-17: S1, S2" in refused(
        book, elect("S3")
    )
    assert "body-seats-held: board would have 1 seat, but 2 people hold one" in refused(
        book, seats(1, "2025-09-01")
    )
    book.record(seats(2, "2025-01-01", "ethics_committee"), elect("S3", body="ethics_committee"))


def test_nobody_holds_two_seats_of_one_body(book: Book) -> None:
    cooperative(book)
    book.record(elect("S1"))
    message = refused(book, elect("S1", until="2028-06-17"))
    assert "one-seat-each: S1 already holds a seat of board until 2029-06-17" in message


def test_a_mandate_lasts_at_most_the_statutory_years(book: Book) -> None:
    cooperative(book)
    message = refused(book, elect("S1", until="2029-06-18"))
    assert "mandate-term: the mandate would end on 2029-06-18, after 2029-06-17 (4 years at most)" in message
    assert "not after 2025-06-17" in refused(book, elect("S1", until="2025-06-17"))
    book.record(amend("mandate_max_years", 6, "2025-01-01"), elect("S1", until="2031-06-17"))


def test_mandates_go_to_members_unless_the_statutes_allow_outsiders(book: Book) -> None:
    cooperative(book)
    message = refused(book, elect("X1", name="Outside Expert"))
    assert "holder-is-member: X1 is not a member on 2025-06-17 and the statutes allow no outsiders" in message
    book.record(amend("outsiders_allowed", True, "2025-01-01"), elect("X1", name="Outside Expert"))


def test_a_mandate_ends_on_its_until_date_and_is_renewable_that_day(book: Book) -> None:
    cooperative(book, board=1)
    book.record(elect("S1", until="2026-06-16"))
    book.record(convene("AG2026", "2026-06-16"))
    # not held as of its until date: the seat is free for someone else that day
    renewal = mandate("renewed", "S1", "2026-06-16", until="2030-06-16", assembly="AG2026")
    book.record(elect("S2", until="2030-06-16", date="2026-06-16", assembly="AG2026"))
    assert "seats-available: the one seat of board is held on 2026-06-16: S2" in refused(book, renewal)


def test_only_a_running_mandate_is_renewed_at_the_latest_on_its_last_day(book: Book) -> None:
    cooperative(book)
    book.record(
        elect("S1", until="2026-06-16"), convene("AG2026", "2026-06-16"), convene("AG2027", "2027-06-15")
    )
    assert "renewal-of-current: S2 holds no mandate in board" in refused(
        book, mandate("renewed", "S2", "2026-06-16", until="2030-06-16", assembly="AG2026")
    )
    late = mandate("renewed", "S1", "2027-06-15", until="2031-06-15", assembly="AG2027")
    assert "renewal-of-current: the mandate of S1 in board ended on 2026-06-16" in refused(book, late)
    book.record(mandate("renewed", "S1", "2026-06-16", until="2030-06-16", assembly="AG2026"))


def test_resignation_and_revocation_need_a_seat(book: Book) -> None:
    cooperative(book)
    message = refused(book, mandate("resigned", "S1", "2025-09-01"))
    assert message == (
        "line 1: mandate.resigned board 2025-09-01: mandate-held: S1 holds no seat of board on 2025-09-01"
    )
    book.record(elect("S1", until="2026-06-16"))
    assert "mandate-held" in refused(book, mandate("resigned", "S1", "2026-06-16"))
    book.record(convene("AGE2025", "2025-11-04", "extraordinary"))
    revoke = mandate("revoked", "S2", "2025-11-04", assembly="AGE2025")
    assert "mandate-held: S2 holds no seat" in refused(book, revoke)
    book.record({**revoke, "person": "S1"})


def test_a_cooptation_fills_a_vacancy_for_the_rest_of_the_term(book: Book) -> None:
    cooperative(book)
    book.record(elect("S1", until="2027-06-15"), elect("S2"))
    coopt = mandate("coopted", "S3", "2025-10-01", replaces="S1")
    assert "cooptation-vacancy: S1 did not leave a seat of board" in refused(book, coopt)
    assert "needs `replaces` or `until`" in refused(book, mandate("coopted", "S3", "2025-10-01"))
    book.record(mandate("resigned", "S1", "2025-09-01"))
    message = refused(book, {**coopt, "until": "2029-06-17"})
    assert "cooptation-vacancy: the cooptation ends when the mandate of S1 would have: 2027-06-15" in message
    book.record(coopt)
    assert "already filled by cooptation" in refused(
        book, mandate("coopted", "S4", "2025-10-02", replaces="S1")
    )
    assert "one-seat-each" in refused(book, mandate("coopted", "S3", "2025-10-02", until="2026-01-01"))


def test_a_term_that_ran_out_is_no_vacancy_to_coopt_into(book: Book) -> None:
    cooperative(book)
    book.record(elect("S1", until="2026-01-01"), mandate("resigned", "S1", "2025-09-01"))
    message = refused(book, mandate("coopted", "S3", "2026-02-01", replaces="S1"))
    assert "cooptation-vacancy: the term of S1 ran out on 2026-01-01" in message


def test_an_assembly_confirms_or_rejects_a_pending_cooptation(book: Book) -> None:
    cooperative(book)
    book.record(elect("S1"), mandate("resigned", "S1", "2025-09-01"))
    book.record(mandate("coopted", "S3", "2025-10-01", replaces="S1"), convene("AG2026", "2026-06-16"))
    confirm = mandate("confirmed", "S3", "2026-06-16", assembly="AG2026")
    assert "assembly-convened" in refused(book, {**confirm, "assembly": "AG2025"})
    assert "cooptation-pending: S2 holds no cooptation of board" in refused(book, {**confirm, "person": "S2"})
    book.record(confirm)
    assert "cooptation-pending" in refused(book, {**confirm, "type": "mandate.rejected"})


def test_withdrawing_a_vote_rechecks_the_resolutions_of_its_assembly(book: Book) -> None:
    """On a ledger long enough that a batch reads only what it touches, a vote withdrawn
    still re-checks the recorded resolutions of its assembly, with every voter loaded."""
    cooperative(book)
    book.record(*(admit(f"T{n}", "2024-01-10") for n in range(12)))
    added = book.record(vote("S1"), vote("S2"), vote("S3"), decide("R1", 3))
    withdrawal = {"type": "entry.retracted", "date": "2025-07-01", "entry": added[2].id, "reason": "typo"}
    message = refused(book, withdrawal)
    assert "would break recorded entry resolution.decided" in message
    assert "votes-present: 3 votes counted, but only 2 voters present or represented" in message
    book.record(decide("R2", 2), {**withdrawal, "entry": added[3].id})  # the resolution first
