#!/bin/bash
# bench/lossy.sh — bits per byte against fidelity for the lossy mode
# (doc/lossy.md). For each FILE and each level 0..5 it runs
#   level 0: lmz (lossless)           level N: lmz --lossy=N
# with -T$THREADS, checks that level 0 round-trips, and collects the fidelity report (lmz -l) into bench/lossy.tsv; then
# bench/lossy-plot.sh draws bench/lossy-chrf.png and bench/lossy-recall.png.
#
#   bench/lossy.sh [-b BUILD] FILE...      (default: the four files below)
#
# Environment: THREADS (default 2; never changes a number but the time),
# LOSSY_TSV (default bench/lossy.tsv).
# Cost: about 4 model passes per level (score, code, decode, similarity):
# roughly 4 x size / (1 KB/s) per level on the reference machine.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=build
if [ "${1:-}" = -b ]; then BUILD=$2; shift 2; fi
LMZ=$BUILD/lmz
C=../shared/corpus
FILES=("$@")
[ ${#FILES[@]} -gt 0 ] || FILES=($C/calgary/paper1 $C/canterbury/alice29.txt $C/canterbury/lcet10.txt $C/calgary/news)
OUT=${LOSSY_TSV:-bench/lossy.tsv}
TH=${THREADS:-2}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
[ -f $OUT ] || printf 'file\tbytes\tlevel\tcompressed\tbpb\tratio\tprotected_recall\tprotected_added\tchrf_kept\tchrf_doc\tretention\tedit_rate\tsimilarity\tsimilarity_min\tverified\tseconds\tdropped\n' > $OUT
for f in "${FILES[@]}"; do
    name=$(basename "$f")
    bytes=$(stat -c %s "$f")
    for L in 0 1 2 3 4 5; do
        o=$TMP/$name.$L.lmz
        t0=$(date +%s.%N)
        if [ $L = 0 ]; then "$LMZ" -q -T$TH -f -o "$o" "$f"; else "$LMZ" -q -T$TH --lossy=$L -f -o "$o" "$f"; fi
        t1=$(date +%s.%N)
        comp=$(stat -c %s "$o")
        # level 0 must round-trip; lossy levels were decoded by the encoder
        # itself with the plain decoder (report: verified=decoded)
        if [ $L = 0 ]; then "$LMZ" -T$TH -dc "$o" | cmp -s - "$f" || { echo "level 0 not lossless" >&2; exit 1; }; fi
        rep=$("$LMZ" -l "$o" | sed -n 's/^ *\(lossy report: \)\{0,1\}//p')
        get() { echo "$rep" | sed -n "s/^$1=\([^ ]*\).*/\1/p" | head -1; }
        if [ $L = 0 ]; then
            rec=1; add=0; chk=1; chd=1; ret=1; er=0; sim=1; smin=1; ver=lossless; dr=none
        else
            rec=$(get protected-recall); add=$(get protected-added); chk=$(get chrf)
            chd=$(echo "$rep" | sed -n 's/^chrf=.* doc=\([^ ]*\).*/\1/p'); ret=$(get retention)
            er=$(get token-edit-rate); sim=$(get similarity)
            smin=$(echo "$rep" | sed -n 's/^similarity=.* min=\([^ ]*\).*/\1/p'); ver=$(get verified); dr=$(get dropped)
        fi
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.60s\n' "$name" "$bytes" "$L" "$comp" \
            "$(awk -v c=$comp -v b=$bytes 'BEGIN{printf "%.4f", 8*c/b}')" "$(awk -v c=$comp -v b=$bytes 'BEGIN{printf "%.3f", b/c}')" \
            "$rec" "$add" "$chk" "$chd" "$ret" "$er" "$sim" "$smin" "$ver" \
            "$(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.0f", b-a}')" "$dr" | tee -a $OUT
    done
done
