#!/usr/bin/env bash
# bench/header_share.sh — the frame header's share of small outputs
# (issue #18, item 3): files cut to 1, 2, 4 and 8 KiB, compressed with the
# full (v1, `--no-compact`) and the compact (v2, default) header; header
# bytes from `lmz -l -v`. Inputs: bench/dict/mkset.sh's test sets (first
# 10 files of each kind) and the corpus text files under 16 KiB.
#   bench/header_share.sh [LMZ] > table.md
set -euo pipefail
cd "$(dirname "$0")/.."
LMZ=$(realpath "${1:-build/lmz}")
W=${WORK:-/tmp/lmz-header-bench}
mkdir -p "$W"
[ -d "$W/sets" ] || bench/dict/mkset.sh "$W/sets" > /dev/null
files=()
for k in copyright changelog mime; do
    for f in $(ls "$W/sets/$k/test" | LC_ALL=C sort | head -10); do files+=("$W/sets/$k/test/$f"); done
done
for f in testdata/corpus/canterbury/* testdata/corpus/calgary/*; do
    [ "$(stat -c %s "$f")" -le 16384 ] && files+=("$f")
done
hdr() { "$LMZ" -lv "$1" | sed -n 's/.*header \([0-9]*\) bytes.*/\1/p' | head -1; }
echo "| cut | files | input | output, full header | of it header | share | output, compact | of it header | share |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for cut in 1024 2048 4096 8192; do
    n=0 raw=0 o1=0 h1=0 o2=0 h2=0
    for f in "${files[@]}"; do
        head -c $cut "$f" > "$W/in"
        "$LMZ" -q -f --no-compact -c "$W/in" > "$W/v1.lmz"
        "$LMZ" -q -f -c "$W/in" > "$W/v2.lmz"
        n=$((n + 1)) raw=$((raw + $(stat -c %s "$W/in")))
        o1=$((o1 + $(stat -c %s "$W/v1.lmz"))) h1=$((h1 + $(hdr "$W/v1.lmz")))
        o2=$((o2 + $(stat -c %s "$W/v2.lmz"))) h2=$((h2 + $(hdr "$W/v2.lmz")))
    done
    awk -v c=$cut -v n=$n -v r=$raw -v o1=$o1 -v h1=$h1 -v o2=$o2 -v h2=$h2 'BEGIN {
        printf "| %d KiB | %d | %d | %d | %d | %.1f %% | %d | %d | %.1f %% |\n", c / 1024, n, r, o1, h1, 100 * h1 / o1, o2, h2, 100 * h2 / o2 }'
done
