#!/usr/bin/env bash
# Regenerate the example outputs of docs/report.md from examples/demo.jsonl, with real commands.
#
#   bash docs/examples/make.sh
#
# The figures are the same at every run; the provenance (recorded times, sequence
# numbers' chain hash) is the run's own, since the import stamps the entries now.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=docs/examples
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="sqlite:///$work/demo.db"
run() { python -m coopledger.commands --db "$db" "$@"; }

run import examples/demo.jsonl
for lang in fr nl en; do
  run report --year 2025 --format md --lang "$lang" --cooperative "Coopérative Demo" > "$out/report-2025.$lang.md"
done
run report --year 2025 --format md --lang fr --cooperative "Coopérative Demo" \
  --include principle4="$out/sections/principle4.fr.md" --include principle6="$out/sections/principle6.fr.md" \
  > "$out/report-2025.fr.included.md"
run report --year 2025 --format html --lang fr --cooperative "Coopérative Demo" \
  --include principle4="$out/sections/principle4.fr.md" > "$out/report-2025.fr.html"
run report --year 2025 --format json > "$out/report-2025.json"
run report --year 2025 --format csv > "$out/report-2025.csv"
run report --year 2025 > "$out/report-2025.txt"
run chart members --from 2024-01-01 --to 2025-12-31 -o "$out/members-2024-2025.svg" > /dev/null

# A restatement: the report went to the assembly at $then; entries recorded since change it.
then=$(date -u +%Y-%m-%dT%H:%M:%S.%6N)
run member admit M20 --name "Late Lucy" --category B --shares 3 --date 2025-05-02 --ref CA-2025-04 > /dev/null
run retract demo-053 --reason "exclusion annulled by the court" > /dev/null
run record assembly.voted --assembly AG2025 --member M20 --date 2025-06-17 > /dev/null
run record shares.paid --member M20 --amount 75.00 --date 2025-05-10 > /dev/null
run report --year 2025 --format json --known-at "$then" > "$work/then.json"
run report --year 2025 --format json --known-at "$then" > "$work/again.json"
cmp "$work/then.json" "$work/again.json"  # the same --known-at gives the same bytes
run report --year 2025 --compare-known-at "$then" --lang en | sed -n '/^Figures changed since/,$p' > "$out/restatement-2025.txt"
run report --year 2025 --compare-known-at "$then" --format json > "$out/restatement-2025.json"
echo "examples written to $out"
