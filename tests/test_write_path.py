"""The write path's shortcuts equal what they stand for (docs/architecture.md, "Performance notes").

`provenance.chain` encodes each entry once and splices its hash into those bytes,
`identity.seal_all` seals a batch in one pass, `Frontier.extend` appends leaves
without listing every subtree, `content_digest` blanks each type's fields from a
table: each is held equal here to the plain definition, for every entry type and any
text a clerk can type.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import sqlite3
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coopledger.ledger import events as ev
from coopledger.ledger import identity
from coopledger.ledger.audit import audit
from coopledger.ledger.database import parse_database
from coopledger.ledger.merkle import Frontier, leaf_hash
from coopledger.ledger.postgres_recorder import connect
from coopledger.ledger.provenance import GENESIS, chain, chain_hash, content_digest, format_recorded
from coopledger.ledger.recorders import FIRST_LOAD_ROWS
from coopledger.ledger.tree import STORED_LEVEL, kept, leaf_data
from tests.conftest import Book
from tests.journal import admit

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo.jsonl"
# The types the demo journal does not have.
MANDATE = {"date": "2025-06-17", "body": "board", "person": "M1", "assembly": "AG2025"}
OTHERS: list[dict[str, Any]] = [
    {"type": "mandate.renewed", **MANDATE, "until": "2029-06-17"},
    {"type": "mandate.confirmed", **MANDATE},
    {"type": "mandate.rejected", **MANDATE},
    {"type": "mandate.revoked", **MANDATE},
    {"type": "statutes.amended", "date": "2025-01-01", "parameter": "share_price", "value": "25.00"},
    {"type": "entry.retracted", "date": "2025-01-02", "entry": "@3", "reason": "typed the wrong member"},
    {"type": "identity.erased", "date": "2033-01-02", "member": "M9", "reason": "request"},
    {"type": "member.updated", "date": "2025-01-02", "member": "M1", "address": 'Rue "A" 1', "email": "a@b"},
    {"type": "assert.members", "date": "2025-12-31", "count": 11},
    {"type": "assert.shares", "date": "2025-12-31", "count": 16, "category": "A"},
]


def examples() -> list[ev.Entry]:
    """One entry or more of every type."""
    lines = [line for line in DEMO.read_bytes().splitlines() if line.strip() and not line.startswith(b"#")]
    found = [ev.decode(line) for line in lines] + [ev.decode(msgspec.json.encode(o)) for o in OTHERS]
    assert {type(e) for e in found} == set(ev.EVENT_TYPES.values())
    return found


EXAMPLES = examples()
# Text as a clerk may type it: quotes, backslashes, braces, keys of the line, any script.
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.sampled_from(['"recorded":"x"', ',"hash":"', '\\"recorded\\":\\"', "}{", '"', "\\"]),
)


def stamped(entry: ev.Entry, seq: int, moment: dt.datetime, **text: str | None) -> ev.Entry:
    return msgspec.structs.replace(
        entry, seq=seq, recorded=format_recorded(moment), hash=None, id=f"@{seq}", **text
    )


@settings(max_examples=300, deadline=None)
@given(
    picks=st.lists(st.integers(0, len(EXAMPLES) - 1), min_size=1, max_size=8),
    note=st.none() | TEXT,
    ref=st.none() | TEXT,
    by=st.none() | TEXT,
    micro=st.integers(0, 999_999),
)
def test_chain_splices_the_hash_where_msgspec_puts_it(
    picks: list[int], note: str | None, ref: str | None, by: str | None, micro: int
) -> None:
    moment = dt.datetime(2026, 1, 2, 3, 4, 5, micro, tzinfo=dt.UTC)
    batch = [stamped(EXAMPLES[i], n, moment, note=note, ref=ref, by=by) for n, i in enumerate(picks, 1)]
    done = chain(batch, GENESIS)
    previous = GENESIS
    for entry, linked, state, leaf in zip(batch, done.entries, done.states, done.leaves, strict=True):
        expected = chain_hash(previous, entry)
        assert linked == msgspec.structs.replace(entry, hash=expected)
        assert state == ev.encode(linked)  # the spliced bytes are msgspec's own
        assert ev.decode(state) == linked
        assert leaf == leaf_hash(leaf_data(state)) == leaf_hash(ev.encode(entry))
        previous = expected


def test_chain_takes_only_stamped_entries_without_hash() -> None:
    entry = EXAMPLES[0]
    with pytest.raises(ValueError):
        chain([entry], GENESIS)  # not stamped
    moment = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    with pytest.raises(ValueError):
        chain([msgspec.structs.replace(stamped(entry, 1, moment), hash="0" * 64)], GENESIS)


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(
        st.fixed_dictionaries(
            {},
            optional={"name": TEXT.filter(bool), "address": TEXT.filter(bool), "email": TEXT.filter(bool)},
        ),
        min_size=1,
        max_size=6,
    ),
    erase=st.booleans(),
)
def test_seal_all_seals_as_sealed_does(values: list[dict[str, str]], erase: bool) -> None:
    moment = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    kinds = [e for e in EXAMPLES if isinstance(e, ev.MemberAdmitted | ev.MemberUpdated)]
    batch: list[ev.Entry] = []
    for n, fields in enumerate(values, 1):
        blank = dict.fromkeys(("name", "address", "email"))
        base = kinds[n % len(kinds)]
        batch.append(stamped(msgspec.structs.replace(base, member="M1", **{**blank, **fields}), n, moment))
    plain = EXAMPLES[-3]  # an entry with no identity passes through
    batch.append(stamped(plain, len(batch) + 1, moment))
    if erase:
        erased = next(e for e in EXAMPLES if isinstance(e, ev.IdentityErased))
        batch.append(stamped(msgspec.structs.replace(erased, member="M1"), len(batch) + 1, moment))
    salts = bytes(range(256)) * 4
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(identity.secrets, "token_bytes", lambda n: salts[:n])
        chained, records, erasures = identity.seal_all(batch)
    expected_records = []
    for offset, entry in enumerate(batch):
        if isinstance(entry, ev.Identified):
            alone, record = identity.sealed(entry, salts[offset * 16 : offset * 16 + 16])
            assert chained[offset] == alone
            if record is not None:
                expected_records.append(record)
                assert identity.opens(record)
        else:
            assert chained[offset] is entry
    assert erasures == ([("M1", len(batch))] if erase else [])
    assert records == ([] if erase else expected_records)
    for entry in chained:
        assert not identity.values_of(entry)  # nothing in clear is chained


@settings(max_examples=200, deadline=None)
@given(before=st.integers(0, 300), added=st.integers(0, 300))
def test_frontier_extend_keeps_what_append_completes(before: int, added: int) -> None:
    hashes = [hashlib.sha256(str(n).encode()).digest() for n in range(before + added)]
    one, other = Frontier(), Frontier()
    for leaf in hashes[:before]:
        one.append(leaf)
        other.append(leaf)
    expected = [row for leaf in hashes[before:] for row in kept(one.append(leaf))]
    assert other.extend(hashes[before:], STORED_LEVEL) == expected
    assert (other.size, other.hashes, other.root()) == (one.size, one.hashes, one.root())


def _digest_as_defined(entry: ev.Entry) -> str:
    """content_digest's definition: everything but the id, the provenance and the identity."""
    blank: dict[str, Any] = dict(id=None, seq=None, recorded=None, hash=None, by=None)
    if isinstance(entry, ev.Identified):
        blank |= dict.fromkeys(entry.identity_names) | dict(identity=None, identity_fields=(), personal=None)
    return hashlib.sha256(ev.encode(msgspec.structs.replace(entry, **blank))).hexdigest()


@pytest.mark.parametrize("entry", EXAMPLES, ids=lambda e: e.type)
def test_content_digest_blanks_each_types_fields(entry: ev.Entry) -> None:
    moment = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    linked = chain([stamped(entry, 1, moment, by="clerk")], GENESIS).entries[0]
    sealed = identity.seal_all([linked])[0][0]
    for variant in (entry, linked, sealed, msgspec.structs.replace(entry, id=None)):
        assert content_digest(variant) == _digest_as_defined(variant) == content_digest(entry)


# -- the identity store's first records -------------------------------------------------------


def test_a_first_import_indexes_its_random_keys_after_them(book: Book) -> None:
    people = FIRST_LOAD_ROWS + 200
    book.record(
        *[admit(f"M{n:05}", "2024-01-10", name=f"Name {n}", email=f"{n}@x.org") for n in range(people)]
    )
    # then into a store that has records: indexed as they come
    book.record(*[admit(f"N{n:05}", "2024-01-11", name=f"Other {n}") for n in range(people)])
    held = book.store.identities()
    assert len(held) == 2 * people and all(identity.opens(r) for r in held.values())
    some = sorted(held)[::97]
    assert book.store.identities(some) == {s: held[s] for s in some}  # looked up by sequence number
    assert not any(f.problems for f in audit(book.store).findings)
    if book.url.startswith("sqlite:///"):
        connection = sqlite3.connect(book.url.removeprefix("sqlite:///"))
        indexed: set[tuple[str, str]] = {
            (row[0], row[1])
            for row in connection.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'")
        }
        connection.close()
    elif book.url.startswith("postgresql"):
        database = parse_database(book.url)
        with connect(database.eventsourcing_env) as conn:
            indexed = {
                (row[0], row[1])
                for row in conn.execute(
                    "SELECT indexname, tablename FROM pg_indexes WHERE schemaname = %s", (database.schema,)
                )
            }
    else:  # an in-memory ledger: nothing to look at from outside
        return
    names = {name for name, _ in indexed}
    # the content digests and the register's look-ups, made after the first rows went in
    assert {"coop_entries_digest", "register_spells_member", "register_movements_date"} <= names
    # the identity store is keyed by sequence number alone: no index on its random commitments
    assert [name for name, table in indexed if table == "coop_identities"] in (
        [],  # SQLite: the rowid is the key
        ["coop_identities_pkey"],
    )


@given(key=st.binary(max_size=64), message=st.binary(max_size=300))
def test_the_batch_hmac_is_hmac_sha256(key: bytes, message: bytes) -> None:
    assert identity._hmac_sha256(key, message) == hmac.digest(key, message, "sha256")
