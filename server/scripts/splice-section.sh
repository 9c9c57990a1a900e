#!/usr/bin/env bash
# splice-section.sh SECTION.md DOC.md: puts SECTION.md into DOC.md between the lines
# `<!-- server-load -->` and `<!-- /server-load -->`, replacing what was between them, or
# appends it with the markers at the end of DOC.md. The rest of DOC.md is left as it is.
# make bench-server uses it for BENCHMARKS.md, whose other sections `make bench` writes
# (bench/run.mjs carries this one over).
set -euo pipefail
section=$1
doc=$2
open='<!-- server-load -->'
close='<!-- /server-load -->'
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
if grep -qx -- "$open" "$doc" && grep -qx -- "$close" "$doc"; then
  awk -v f="$section" -v open="$open" -v shut="$close" '
    $0 == open { print; while ((getline line < f) > 0) print line; skip = 1; next }
    $0 == shut { skip = 0 }
    !skip { print }
  ' "$doc" >"$tmp"
else
  { cat "$doc"; echo; echo "$open"; cat "$section"; echo "$close"; } >"$tmp"
fi
cat "$tmp" >"$doc"
echo "splice-section: $section into $doc"
