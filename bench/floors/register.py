"""Floor of `coopledger register --as-of DAY --format csv`: the same rows, from one query.

The lines of the ledger's own read model (register_spells) in force at the end of DAY and
known now, in member order (the scan of its (member, known_to) index gives that order), each
name taken from the identity store in the same query, written with `csv` as the command
writes them. A name whose identity is erased shows as `[erased]`.

    python bench/floors/register.py URL DAY
"""

from __future__ import annotations

import csv
import json
import sys

from common import Db

COLUMNS = ("member", "name", "category", "shares", "paid_up", "admitted", "founder")
QUERY = """\
SELECT s.member, i.fields, s.category, s.shares, s.paid_up, s.admitted, s.founder
FROM register_spells s LEFT JOIN coop_identities i ON i.seq = s.name
WHERE s.known_to IS NULL AND s.valid_from <= ? AND (s.valid_to IS NULL OR s.valid_to > ?)
AND s.status = 'member'
ORDER BY s.member"""


def main(url: str, day: str) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(COLUMNS)
    out.writerows(
        (member, name(fields), category, shares, f"{paid:.2f}", since, "yes" if founder else "no")
        for member, fields, category, shares, paid, since, founder in Db(url).execute(QUERY, (day, day))
    )


def name(fields: str | None) -> str:
    return json.loads(fields)["name"] if fields else "[erased]"


if __name__ == "__main__":
    main(*sys.argv[1:])
