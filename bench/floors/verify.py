"""Floor of `coopledger verify`: every stored entry of the ledger read back and re-hashed.

Reads the state of every event from the ledger's own events table in order and chains a
sha256 over them; prints the count and the last hash. That is the least a check of the
whole ledger must do: touch every byte once.

    python bench/floors/verify.py URL EVENTS_TABLE
"""

from __future__ import annotations

import hashlib
import sys

from common import Db


def main(url: str, table: str) -> None:
    chained, count = b"", 0
    for (state,) in Db(url).execute(f"SELECT state FROM {table} ORDER BY originator_id, originator_version"):
        chained = hashlib.sha256(chained + state).digest()
        count += 1
    print(count, chained.hex())


if __name__ == "__main__":
    main(*sys.argv[1:])
