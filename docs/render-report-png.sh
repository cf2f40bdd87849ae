#!/usr/bin/env bash
# Render the HTML special report to a PNG in headless Chromium, as it shows on screen.
#
#   bash docs/render-report-png.sh                      # -> docs/report-example.png
#   JOURNAL=my.jsonl OUT=/tmp/report.png bash docs/render-report-png.sh --lang nl
#
# Without JOURNAL it renders the reference-shaped cooperative (bench/generate.py
# --shape reference: 45,600 members, ten years), whose 2025 figures are those of the
# reference report. Extra arguments go to `coopledger report`. Needs Debian's
# `chromium` package (apt-get install -y chromium) and, for the same glyphs as the
# checked-in picture, fonts-dejavu-core. To check the print layout, replace
# --screenshot=... by --print-to-pdf=FILE.pdf.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${OUT:-docs/report-example.png}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
journal=${JOURNAL:-}
if [ -z "$journal" ]; then
  journal="$work/reference.jsonl"
  python bench/generate.py --shape reference --years 10 -o "$journal"
fi
db="sqlite:///$work/ledger.db"
python -m coopledger.commands --db "$db" import "$journal" > /dev/null
python -m coopledger.commands --db "$db" report --year 2025 --format html --lang fr --cooperative SmartCoop "$@" \
  > "$work/report.html"
chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --no-first-run --screenshot="$out" --window-size=1200,2400 "file://$work/report.html" 2> "$work/chromium.log" \
  || { cat "$work/chromium.log" >&2; exit 1; }
echo "wrote $out"
