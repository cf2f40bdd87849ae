"""Floor of `coopledger import` (and of `rebuild`): a journal into a fresh database.

Parses each JSON line, hash-chains it (sha256 of the previous hash and the line's bytes)
and writes it with two index rows and a register row (common.TABLES), all in one
transaction, through each backend's bulk path (SQLite executemany, PostgreSQL COPY), a
chunk of lines at a time so memory stays bounded. No rules, no projections: what is left
of an import once the ledger's logic is gone.

    python bench/floors/import_journal.py URL JOURNAL
"""

from __future__ import annotations

import sys
from itertools import islice
from typing import Any

from common import NAMES, Db, entry_rows

CHUNK = 10_000


def main(url: str, journal: str) -> None:
    db = Db(url)
    db.create()
    previous, seq = b"", 0
    with open(journal, "rb") as lines:
        while chunk := list(islice(lines, CHUNK)):
            tables: list[list[tuple[Any, ...]]] = [[] for _ in NAMES]
            for line in chunk:
                seq += 1
                rows, previous = entry_rows(seq, line.rstrip(b"\n"), previous)
                for table, row in zip(tables, rows, strict=True):
                    table.append(row)
            for name, table in zip(NAMES, tables, strict=True):
                db.load(name, table)
    db.conn.commit()
    print(f"{seq} entries")


if __name__ == "__main__":
    main(*sys.argv[1:])
