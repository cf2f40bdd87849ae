#!/usr/bin/env bash
# The secretary's documents of the demo ledger, page 1 of each as PNG: the legal register
# (docs/desk-register.png), a member's certificate (docs/desk-certificate.png) and the
# attendance list of the 2025 assembly (docs/desk-roll.png).
#
#   bash docs/render-desk-png.sh                 # French, the default
#   LANG_DOC=nl OUT=/tmp bash docs/render-desk-png.sh
#
# Renders with pdftoppm (poppler-utils) where installed, else with PDFium (pypdfium2, a dev
# dependency: `make test` installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${OUT:-docs}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
py=${PYTHON:-.venv/bin/python}
export COOPLEDGER_DB="sqlite:///$work/demo.db" COOPLEDGER_TODAY=2025-12-31 COOPLEDGER_COOPERATIVE="Coop Example SC"
run() { "$py" -m coopledger.commands "$@"; }
run import examples/demo.jsonl > /dev/null
lang=(--lang "${LANG_DOC:-fr}")
run register --as-of 2025-12-31 --format pdf "${lang[@]}" -o "$work/register.pdf"
run member certificate M07 --as-of 2025-12-31 "${lang[@]}" -o "$work/certificate.pdf"
run assembly roll AG2025 --format pdf "${lang[@]}" -o "$work/roll.pdf"
for name in register certificate roll; do
  if command -v pdftoppm > /dev/null; then
    pdftoppm -png -r 110 -f 1 -l 1 -singlefile "$work/$name.pdf" "$out/desk-$name"
  else
    "$py" - "$work/$name.pdf" "$out/desk-$name.png" <<'PY'
import sys

import pypdfium2

pypdfium2.PdfDocument(sys.argv[1])[0].render(scale=110 / 72).to_pil().save(sys.argv[2])
PY
  fi
  echo "wrote $out/desk-$name.png"
done
