#!/usr/bin/env bash
# The demo: a ledger in a temporary SQLite file, the sample journal, the register and the year.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
export COOPLEDGER_DB="sqlite:///$workdir/demo.db"

run() { printf '\n$ %s\n' "$*"; "$@"; }

run coopledger init
run coopledger import "$here/demo.jsonl"
run coopledger register --as-of 2025-12-31
run coopledger movements --year 2025 --kind admitted --kind resigned --kind left --kind excluded --kind exit_refused --kind refused
run coopledger board --as-of 2025-12-31
run coopledger verify
run coopledger report --year 2025
