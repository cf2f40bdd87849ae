"""A file of several parts refused before the rules (an id used twice, a retraction's target, an
erasure's date) is screened a part at a time for those refusals alone (`Screened`), instead of
being held whole: its verdict and words are those of the file in one batch."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import init_ledger, run_cli
from tests.journal import days, member_founding, member_id, member_operation, on
from tests.test_date_order import both_ways
from tests.test_import_parts import admit, journal, pay, run
from tests.test_import_parts import recorded as kinds

erasure = st.builds(
    lambda m, d, future: {
        "type": "identity.erased",
        "member": m,
        "date": "2099-01-01" if future else on(d),
        "reason": "request",
    },
    member_id,
    days,
    st.booleans(),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    founding=member_founding,
    operations=st.lists(st.one_of(member_operation, erasure), min_size=1, max_size=24),
    twins=st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.booleans()), max_size=3),
    unnamed=st.lists(st.integers(0, 40), max_size=3),
    size=st.integers(min_value=1, max_value=6),
    seed=st.integers(0, 2**16),
    founded_first=st.booleans(),
)
def test_a_file_refused_before_the_rules_has_the_refusals_of_the_file_in_one_batch(
    tmp_path_factory: object,
    founding: list[dict[str, object]],
    operations: list[dict[str, object]],
    twins: list[tuple[int, int, bool]],
    unnamed: list[int],
    size: int,
    seed: int,
    founded_first: bool,
) -> None:
    """Property: a file with ids used twice (by the same line again, or another), retractions
    of lines that are not there or further on, erasures dated after today and lines without
    id (found by their content in a ledger that holds them), recorded in parts of `size`
    lines, is refused as the file in one batch is, with the same refusals in the same order
    and nothing written; or accepted with the same entries and read models. Into an empty
    ledger, or one that already holds the founding admissions."""
    pool = [{**line, "id": f"x{n}"} for n, line in enumerate([*founding, *operations], start=1)]
    pool = [{**op, "entry": f"x{op['entry']}"} if op["type"] == "entry.retracted" else op for op in pool]
    before = pool[: len(founding)] if founded_first else []
    lines = pool[len(before) :]
    random.Random(seed).shuffle(lines)
    for first, second, same in twins:  # line `second` given the id (and content) of `first`
        if first < len(pool) and second < len(lines) and pool[first] is not lines[second]:
            lines[second] = dict(pool[first]) if same else {**lines[second], "id": pool[first]["id"]}
    for at in unnamed:
        if at < len(lines):
            lines[at] = {key: value for key, value in lines[at].items() if key != "id"}
    folder = Path(str(tmp_path_factory.mktemp("screened")))  # type: ignore[attr-defined]
    whole, in_parts, how = both_ways(folder, lines, size, before)
    event(how)
    assert whole == in_parts


def test_an_id_used_twice_in_a_long_file_is_named_as_one_batch_names_it_and_nothing_is_written(
    shared_db_url: str, tmp_path: Path
) -> None:
    """The file is screened a part at a time, not held whole: the words are those of the same
    bytes from standard input (one batch), a later line's rule refusal is not among them (one
    batch gives the ids' alone), and the ledger is as before."""
    founding = journal(tmp_path, {**admit("M1"), "id": "m1"}, {**admit("M2"), "id": "m2"}).read_bytes()
    assert run_cli("--db", shared_db_url, "import", "-", input=founding).returncode == 0
    soon = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    lines = [
        {**admit("N1", "2024-02-01"), "id": "n1"},
        pay("NOBODY", "2024-02-15"),  # refused by the rules, which one batch does not reach
        {**pay("N1", "2024-03-01"), "id": "pay-n1"},
        {**admit("N2", "2024-03-01"), "id": "n1"},  # refused: the id of line 1
        {"type": "identity.erased", "member": "M1", "date": soon, "reason": "request"},  # after today
        {**pay("N1", "2024-03-01"), "id": "pay-n1"},  # line 3 again: present
        {**pay("M2", "2024-04-01"), "id": "m1"},  # refused: an id the ledger holds
    ]
    path = tmp_path / "twice.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    whole = init_ledger(f"sqlite:///{tmp_path / 'whole.db'}")
    assert run_cli("--db", whole, "import", "-", input=founding).returncode == 0
    piped = run_cli("--db", whole, "import", "-", input=path.read_bytes())
    assert piped.returncode == 1
    in_parts = run(shared_db_url, "import", str(path), part=2)
    assert in_parts.exit_code == 1, in_parts.output
    refusals = [line for line in in_parts.output.splitlines() if line.startswith("coopledger: refused")]
    said = [line for line in piped.stderr.decode().splitlines() if line.startswith("coopledger: refused")]
    assert refusals == said
    assert [line.split(":")[2].strip() for line in refusals] == ["line 4", "line 7", "line 5"]
    assert len(kinds(shared_db_url)) == 2


def test_a_retraction_above_its_target_in_a_later_part_is_not_refused_and_the_file_not_held_whole(
    shared_db_url: str, tmp_path: Path
) -> None:
    """In its own order, the retraction's part finds no target yet: refused before the rules.
    The screening finds the target further on (unsure: one batch finds it), so the file goes
    on to its check by date, where the target comes first, and is recorded in its own order."""
    lines = [
        admit("M1", "2024-01-02"),
        admit("N1", "2024-04-01"),
        {"type": "entry.retracted", "date": "2024-03-02", "entry": "pay-m1", "reason": "twice"},
        admit("N2", "2024-05-01"),
        {**pay("M1", "2024-03-01"), "id": "pay-m1"},
    ]
    path = tmp_path / "above.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = run(shared_db_url, "import", str(path), part=2)
    assert result.exit_code == 0, result.output
    assert "checked in effective-date order, then recorded in its own order" in result.output
    assert [kind for kind, _, _ in kinds(shared_db_url)] == [
        "member.admitted",
        "member.admitted",
        "entry.retracted",
        "member.admitted",
        "shares.paid",
    ]
    assert run(shared_db_url, "verify").exit_code == 0
