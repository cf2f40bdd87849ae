"""Personal data out of the chained history (issue 10): commitments, the identity store, erasure.

On SQLite (in memory and file) and PostgreSQL: no name outside the identity store, the
rules of erasure and their refusals, verify and the figures after an erasure, the bytes
gone from the file, old exports that do not resurrect an erased identity, pseudonymous
exports, the store format; and a property: any sequence of admissions, updates, exits and
erasures leaves the read models equal to a fresh replay and no erased value anywhere.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
from pathlib import Path
from typing import Any

import msgspec
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect, text

from coopledger.ledger.application import Ledger
from coopledger.ledger.audit import audit
from coopledger.ledger.bounds import decode_input
from coopledger.ledger.database import parse_database
from coopledger.ledger.errors import Refused, Source, StoreError
from coopledger.ledger.identity import canonical
from coopledger.ledger.postgres_recorder import connect
from coopledger.ledger.recorders import FORMAT
from coopledger.ledger.store import Store
from coopledger.projections import read_models
from tests.conftest import Book, run_cli
from tests.journal import admit, amend, convene, elect, fresh_ledger, seats

NAME, ADDRESS, EMAIL = "Zoë Quintessenz", "Rue Zébulon 77, 1000 Bruxelles", "zq@example.org"
OUTSIDER = "Oswald Outsider-Zyx"


def at(book: Book, day: str) -> Ledger:
    """The book's ledger, on a given day (erasures act today)."""
    return Ledger(book.store, user="clerk", today=lambda: dt.date.fromisoformat(day))


def record(ledger: Ledger, *lines: dict[str, Any]) -> None:
    ledger.record(
        [(decode_input(msgspec.json.encode(line)), Source("test", n)) for n, line in enumerate(lines, 1)]
    )


def forget(member: str, day: str) -> dict[str, Any]:
    return {"type": "identity.erased", "date": day, "member": member, "reason": "request"}


def refusal(ledger: Ledger, line: dict[str, Any]) -> str:
    with pytest.raises(Refused) as refused:
        record(ledger, line)
    return str(refused.value.refusals[0])


def dump(engine: Engine, skip: tuple[str, ...] = ()) -> str:
    """Every table's rows as text (bytes decoded), but the skipped tables."""
    out = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            if table in skip:
                continue
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                out.append(repr([_text(v) for v in row]))
    return "\n".join(out)


def _text(value: Any) -> Any:
    """A cell as text: stored entries (bytes) decoded, so that a name in them would show."""
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return value


def projected(store: Store) -> Engine:
    engine = read_models.create_tables(store.engine)
    with store.transaction() as conn:
        read_models.project(conn, store)
    return engine


def test_no_personal_data_outside_the_identity_store(book: Book) -> None:
    book.record(
        amend("outsiders_allowed", True),
        seats(3),
        admit("S1", "2024-01-10", name=NAME, address=ADDRESS, email=EMAIL),
        {"type": "member.updated", "date": "2024-02-01", "member": "S1", "email": "new-" + EMAIL},
        convene(),
        elect("P9", name=OUTSIDER),
    )
    engine = projected(book.store)
    everything = dump(engine)
    outside = dump(engine, skip=("coop_identities",))
    for value in (NAME, ADDRESS, EMAIL, "new-" + EMAIL, OUTSIDER):
        assert value in everything
        assert value not in outside, value
        assert hashlib.sha256(value.encode()).hexdigest() not in outside  # no unsalted hash either
    assert not any(f.problems for f in audit(book.store).findings)


def test_the_commitment_is_the_documented_hmac(book: Book) -> None:
    (entry,) = book.record(admit("S1", "2024-01-10", name=NAME, email=EMAIL))
    (record_,) = book.store.identities_of("S1")
    fields = json.dumps(
        {"email": EMAIL, "name": NAME}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    assert record_.fields == fields and canonical({"name": NAME, "email": EMAIL}) == fields.encode()
    expected = hmac.new(bytes.fromhex(record_.salt), fields.encode("utf-8"), hashlib.sha256).hexdigest()
    assert entry.identity == record_.commitment == expected  # type: ignore[attr-defined]
    assert len(bytes.fromhex(record_.salt)) == 16
    assert entry.identity_fields == ("email", "name")  # type: ignore[attr-defined]


@given(st.dictionaries(st.sampled_from(["name", "address", "email"]), st.text(), min_size=1))
def test_canonical_bytes_are_the_stdlib_json(values: dict[str, str]) -> None:
    values = {k: re.sub("[\x00-\x1f\x7f-\x9f\ud800-\udfff]", "", v) for k, v in values.items()}
    reference = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical(values) == reference.encode("utf-8")


def test_erasure_waits_for_the_law_and_says_from_when(book: Book) -> None:
    record(
        at(book, "2024-01-01"),
        amend("outsiders_allowed", True),
        seats(3),
        admit("S1", "2024-01-10", name=NAME),
        admit("S2", "2024-01-10", name="Bea"),
        {"type": "member.resigned", "date": "2024-03-01", "member": "S2"},
        {
            "type": "member.applied",
            "date": "2024-01-10",
            "member": "A1",
            "name": "Abel",
            "category": "A",
            "shares": 1,
        },
        {"type": "member.refused", "date": "2024-02-01", "member": "A1", "reason": "no"},
        {
            "type": "member.applied",
            "date": "2024-01-10",
            "member": "A2",
            "name": "Ann",
            "category": "A",
            "shares": 1,
        },
        convene(),
        elect("P9", name=OUTSIDER, until="2029-06-17"),
    )
    assert "S1 is a member" in refusal(at(book, "2040-01-01"), forget("S1", "2040-01-01"))
    assert "A2 has an application pending" in refusal(at(book, "2040-01-01"), forget("A2", "2040-01-01"))
    assert "holds a mandate in board until 2029-06-17; erasure possible from 2037-01-01" in refusal(
        at(book, "2028-01-01"), forget("P9", "2028-01-01")
    )
    assert "erasure possible from 2037-01-01" in refusal(at(book, "2036-12-31"), forget("P9", "2036-12-31"))
    assert "S2's identity is within its retention period; erasure possible from 2032-01-01" in refusal(
        at(book, "2031-12-31"), forget("S2", "2031-12-31")
    )
    assert "erasure possible from 2026-01-01" in refusal(at(book, "2025-12-31"), forget("A1", "2025-12-31"))
    assert "identity-erasure-date" in refusal(at(book, "2031-12-31"), forget("S2", "2032-01-01"))
    record(at(book, "2032-01-01"), forget("S2", "2032-01-01"))
    record(at(book, "2026-01-01"), forget("A1", "2026-01-01"))
    record(at(book, "2037-01-01"), forget("P9", "2037-01-01"))
    assert sorted(r.subject for r in book.store.identities().values()) == ["A2", "S1"]
    assert "no identity of S2 is held (erased on 2032-01-01)" in refusal(
        at(book, "2040-01-01"), forget("S2", "2040-01-01")
    )
    ledger_audit = audit(book.store)
    assert not any(f.problems for f in ledger_audit.findings)
    assert "identity store (2 held, 3 erased of 3 people)" in [f.name for f in ledger_audit.findings]


def test_the_retention_period_follows_the_statutes(book: Book) -> None:
    record(
        at(book, "2024-01-01"),
        amend("retention_years", 2),
        amend("fiscal_year_start", "07-01"),
        admit("S1", "2024-01-10", name=NAME),
        {"type": "member.resigned", "date": "2024-08-01", "member": "S1"},  # fiscal year to 2025-06-30
    )
    assert "possible from 2027-07-01" in refusal(at(book, "2027-06-30"), forget("S1", "2027-06-30"))
    record(at(book, "2027-07-01"), forget("S1", "2027-07-01"))


JOURNAL = [
    {
        "type": "statutes.amended",
        "date": "2015-01-01",
        "parameter": "outsiders_allowed",
        "value": True,
        "id": "j1",
    },
    {"type": "body.seats", "date": "2015-01-01", "count": 3, "id": "j2"},
    {**admit("S1", "2015-01-10", name="Ada Present"), "id": "j3"},
    {**admit("S2", "2015-01-10", shares=3, name=NAME, address=ADDRESS, email=EMAIL), "id": "j4"},
    {"type": "member.updated", "date": "2015-06-01", "member": "S2", "name": NAME + " II", "id": "j5"},
    {"type": "shares.paid", "date": "2015-02-01", "member": "S2", "amount": "75.00", "id": "j6"},
    {"type": "member.resigned", "date": "2016-03-01", "member": "S2", "id": "j7"},
    {**convene("AG2015", "2015-06-17"), "id": "j8"},
    {**elect("P9", name=OUTSIDER, date="2015-06-17", until="2017-06-17", assembly="AG2015"), "id": "j9"},
    {**admit("S3", "2025-03-01", name="Cleo Recent"), "id": "j10"},
]


def test_forget_names_the_transactions_that_keep_the_erased_rows(shared_db_url: str, tmp_path: Path) -> None:
    """On PostgreSQL, VACUUM keeps the row versions an older open transaction may see: the erasure
    names such a transaction, so that the operator vacuums once it has ended. SQLite overwrites
    deleted rows at once (secure_delete): nothing to vacuum, nothing said."""
    url = shared_db_url
    journal = tmp_path / "journal.jsonl"
    journal.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in JOURNAL), encoding="utf-8"
    )
    assert run_cli("import", str(journal), db=url).returncode == 0
    database = parse_database(url)
    if database.backend == "postgresql":
        reader = connect(database.eventsourcing_env)
        reader.autocommit = False
        reader.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        reader.execute("SELECT 1").fetchone()  # a snapshot taken before the erasure, held open
        pid = reader.info.backend_pid
    done = run_cli(
        "member", "forget", "S2", "--reason", "request", db=url, env={"COOPLEDGER_TODAY": "2026-06-01"}
    )
    assert done.returncode == 0, done.stderr
    said = done.stdout.decode()
    if database.backend == "sqlite":
        assert "VACUUM" not in said and "still open" not in said
        return
    reader.rollback()
    reader.close()
    table = f"{database.schema}.coop_identities" if database.schema else "coop_identities"
    assert f"run VACUUM (FULL) {table} so that" in said  # schema and all: it runs as printed
    vacuum = connect(database.eventsourcing_env)
    vacuum.autocommit = True
    vacuum.execute(said.partition("run ")[2].partition(" so that")[0])
    vacuum.close()
    assert "begun before the erasure" in said and f"{pid} since " in said, said


def test_forget_end_to_end(shared_db_url: str, tmp_path: Path) -> None:
    url, env = shared_db_url, {"COOPLEDGER_TODAY": "2026-06-01"}
    journal = tmp_path / "journal.jsonl"
    journal.write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in JOURNAL), encoding="utf-8"
    )
    assert run_cli("init", db=url).returncode == 0
    assert run_cli("import", str(journal), db=url).returncode == 0
    report = figures(url)
    old_export = tmp_path / "old.jsonl"
    assert run_cli("export", str(old_export), db=url).returncode == 0
    assert NAME in old_export.read_text(encoding="utf-8")

    early = run_cli(
        "member", "forget", "S2", "--reason", "request", db=url, env={"COOPLEDGER_TODAY": "2023-12-31"}
    )
    assert early.returncode == 1 and b"erasure possible from 2024-01-01" in early.stderr
    assert b"Zo" not in early.stderr  # errors name ids, not names
    done = run_cli("member", "forget", "S2", "--reason", "request", db=url, env=env)
    assert done.returncode == 0, done.stderr
    assert b"erased 2 identity records of S2" in done.stdout

    verified = run_cli("verify", db=url)
    assert verified.returncode == 0, verified.stderr
    assert b"identity store (3 held, 2 erased of 1 person): ok" in verified.stdout
    assert figures(url) == report
    register = run_cli("register", "--as-of", "2015-12-31", "--format", "csv", db=url).stdout.decode()
    assert "S2,[erased],A,3,75.00,2015-01-10,no" in register and "Ada Present" in register
    history = run_cli("history", "S2", db=url).stdout.decode()
    assert "name=[erased]" in history and "2016-03-01" in history and NAME not in history
    shown = json.loads(run_cli("member", "show", "S2", "--format", "json", db=url).stdout)
    assert shown["identity"] == [] and shown["erased"][0]["reason"] == "request"
    assert run_cli("rebuild", db=url).returncode == 0
    full = run_cli("export", db=url).stdout.decode()
    assert NAME not in full and ADDRESS not in full and "Ada Present" in full

    again = run_cli("import", str(old_export), db=url)
    assert again.returncode == 0, again.stderr
    assert b"0 entries added" in again.stdout and b"personal data of 2 entries not restored" in again.stdout
    assert run_cli("verify", db=url).returncode == 0
    assert_gone(url, [NAME, ADDRESS, EMAIL])

    pseudonymous = tmp_path / "pseudonymous.jsonl"
    assert run_cli("export", "--without-personal-data", str(pseudonymous), db=url).returncode == 0
    assert "Ada Present" not in pseudonymous.read_text(encoding="utf-8")
    other = url.replace("ledger.db", "other.db") if url.startswith("sqlite") else url + "x"
    assert run_cli("init", db=other).returncode == 0
    assert run_cli("import", str(pseudonymous), db=other).returncode == 0
    assert run_cli("verify", db=other).returncode == 0
    assert figures(other) == report
    if not url.startswith("sqlite"):
        with connect(parse_database(other).eventsourcing_env) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{parse_database(other).schema}" CASCADE')


def figures(url: str) -> bytes:
    """The 2025 report's JSON but its provenance (which names the ledger's last entry)."""
    data = json.loads(run_cli("report", "--year", "2025", "--format", "json", db=url).stdout)
    del data["provenance"]
    return json.dumps(data, indent=2).encode()


def assert_gone(url: str, values: list[str]) -> None:
    """The erased values are in no byte of the SQLite file, or of PostgreSQL's table files once vacuumed."""
    database = parse_database(url)
    if database.backend == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        for file in (path, Path(f"{path}-wal")):
            if file.exists():
                content = file.read_bytes()
                assert not any(v.encode() in content for v in values), file
        assert os.stat(path).st_mode & 0o777 == 0o600
        return
    with connect(database.eventsourcing_env) as conn:
        conn.execute(f'VACUUM (FULL) "{database.schema}".coop_identities')
        try:
            path = conn.execute(
                "SELECT pg_relation_filepath(%s)", (f'"{database.schema}".coop_identities',)
            ).fetchone()[0]  # type: ignore[index]
            content = conn.execute("SELECT pg_read_binary_file(%s)", (path,)).fetchone()[0]  # type: ignore[index]
        except psycopg.Error:
            pytest.skip("the server's files cannot be read by this role")
        assert not any(v.encode() in bytes(content) for v in values)


def test_a_ledger_of_the_previous_format_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = Store(parse_database(url))
    Ledger(store, user="clerk").record(
        [(decode_input(json.dumps(admit("S1", "2024-01-10"))), Source("t", 1))]
    )
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM coop_meta"))  # what a ledger of format 1 lacks
    store.close()
    with pytest.raises(StoreError, match=r"store format 1.*4ce54dc.*export.*import"):
        Store(parse_database(url))
    refused = run_cli("register", db=url)
    assert refused.returncode == 2 and b"store format 1" in refused.stderr


# What an older store format's read models lacked or laid out otherwise, stood in for.
OLDER_LAYOUTS = {
    # format 2 kept commitments in the read models' identity columns
    "2": (
        "DROP TABLE register_spells",
        "CREATE TABLE register_spells (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
    ),
    # format 3 had no running positions of the register
    "3": ("DROP TABLE register_positions",),
}


@pytest.mark.parametrize("older", sorted(OLDER_LAYOUTS))
def test_rebuild_upgrades_a_ledger_of_an_older_format(shared_db_url: str, older: str) -> None:
    """Formats 2 and 3 have this version's entries and other read models. Every command but
    `rebuild` refuses them and names the remedy; `rebuild` lays the read models out anew and
    marks the ledger, in one transaction."""
    url = shared_db_url
    admitted = run_cli(
        "member",
        "admit",
        "S1",
        "--name",
        "Ann Peeters",
        "--category",
        "A",
        "--shares",
        "1",
        "--date",
        "2025-03-01",
        db=url,
    )
    assert admitted.returncode == 0, admitted.stderr
    report = run_cli("report", "--year", "2025", "--format", "json", db=url)
    assert report.returncode == 0, report.stderr
    store = Store(parse_database(url))
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE coop_meta SET value = :older WHERE key = 'format'"), {"older": older})
        for statement in OLDER_LAYOUTS[older]:
            conn.execute(text(statement))
    store.close()
    refused = run_cli("register", db=url)
    assert refused.returncode == 2
    assert f"store format {older}".encode() in refused.stderr and b"rebuild` once" in refused.stderr
    upgraded = run_cli("rebuild", db=url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"upgraded the ledger from store format {older} to {FORMAT}".encode() in upgraded.stdout
    register = run_cli("register", "--format", "csv", db=url)
    assert register.returncode == 0 and "S1,Ann Peeters,A" in register.stdout.decode()
    again = run_cli("report", "--year", "2025", "--format", "json", db=url)
    assert _without_provenance(again.stdout) == _without_provenance(report.stdout)
    assert json.loads(again.stdout)["members"]["total_at_end"] == 1  # from the positions rebuilt
    assert run_cli("verify", db=url).returncode == 0
    assert b"upgraded" not in run_cli("rebuild", db=url).stdout  # once


def _without_provenance(output: bytes) -> dict[str, object]:
    data = json.loads(output)
    del data["provenance"]
    return data


def test_csv_cells_are_not_formulas(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert run_cli("init", db=url).returncode == 0
    for member, name in (("S1", "=HYPERLINK(1)"), ("S2", "@SUM")):
        admitted = run_cli(
            "member", "admit", member, "--name", name, "--category", "A", "--shares", "1", db=url
        )
        assert admitted.returncode == 0, admitted.stderr
    out = run_cli("register", "--format", "csv", db=url).stdout.decode()
    assert "S1,'=HYPERLINK(1)," in out and "S2,'@SUM," in out and ",0.00," in out


operations = st.lists(
    st.tuples(
        st.sampled_from(["admit", "update", "resign", "forget"]),
        st.sampled_from(["S1", "S2", "S3"]),
        st.integers(0, 700),
    ),
    max_size=14,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations, backend=st.sampled_from(["sqlite-memory", "sqlite-file"]))
def test_any_history_with_erasures_replays_and_leaves_no_erased_value(steps: list[Any], backend: str) -> None:
    check_history(steps, backend)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_history_with_erasures_on_postgres(seed: int, postgres_available: bool) -> None:
    if not postgres_available:
        pytest.skip("no PostgreSQL server reachable")
    import random

    rng = random.Random(seed)
    steps = [
        (
            rng.choice(["admit", "update", "resign", "forget"]),
            rng.choice(["S1", "S2", "S3"]),
            rng.randrange(700),
        )
        for _ in range(14)
    ]
    check_history(steps, "postgres")


def check_history(steps: list[Any], backend: str) -> None:
    with fresh_ledger(backend) as url:
        store = Store(parse_database(url))
        ledger = Ledger(store, user="p", today=lambda: dt.date(2040, 1, 1))
        erased: list[str] = []
        given: dict[str, list[str]] = {}
        for n, (kind, member, day) in enumerate(steps):
            date = (dt.date(2024, 1, 1) + dt.timedelta(days=day)).isoformat()
            value = f"v{n}-{member}-Ωz"
            line: dict[str, Any] = {
                "admit": admit(member, date, name=value, email=f"e{value}"),
                "update": {"type": "member.updated", "date": date, "member": member, "address": value},
                "resign": {"type": "member.resigned", "date": date, "member": member},
                "forget": forget(member, "2040-01-01"),
            }[kind]
            try:
                record(ledger, line)
            except Refused:
                continue
            if kind == "forget":
                erased += given.pop(member, [])
            elif kind in ("admit", "update"):
                given.setdefault(member, []).append(value)
        engine = projected(store)
        head = store.head()
        findings = [*audit(store).findings, *read_models.audit(engine, store, head.seq if head else 0)]
        assert not [f for f in findings if f.problems], findings
        everything = dump(engine)
        for value in erased:
            assert value not in everything
        for values in given.values():
            assert all(v in everything for v in values)
        store.close()
