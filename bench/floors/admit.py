"""Floor of a one-entry `member admit`: one entry written into a database of the import floor.

In one transaction: the last entry's sequence number and hash read back, then the new
entry's row, its two index rows and its register row inserted (common.TABLES), as a clerk's
one-entry command must at the least; process start-up included, as for the command.

    python bench/floors/admit.py URL      # URL of a database made by import_journal.py
"""

from __future__ import annotations

import json
import sys

from common import NAMES, Db, entry_rows


def main(url: str) -> None:
    db = Db(url)
    db.begin()
    seq, previous = db.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
    seq += 1
    entry: dict[str, object] = {"id": f"floor{seq}", "type": "member.admitted", "date": "2025-12-31"}
    entry |= {"member": f"F{seq}", "name": "Bench", "category": "A", "shares": 1}
    rows, _ = entry_rows(seq, json.dumps(entry).encode(), bytes.fromhex(previous))
    for name, row in zip(NAMES, rows, strict=True):
        db.insert(name, [row])
    db.conn.commit()


if __name__ == "__main__":
    main(*sys.argv[1:])
