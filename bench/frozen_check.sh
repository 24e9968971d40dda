#!/usr/bin/env bash
# bench/frozen_check.sh — do today's default .lmz outputs still equal the
# frozen ones? (bench/frozen.md says why and what to do when they do not.)
#
#   bench/frozen_check.sh [--corpus DIR] [--lmz BIN] [--table TSV] [-T N] [FILE...]
#
# For each FILE (a path relative to the corpus, as in the table; default: every
# row of bench/frozen.tsv): checks the input's size and sha256 against the
# table, runs `lmz -TN --no-compact -c FILE` (default settings, N = 2, the
# full frame header of lmz <= 0.3.0: one-chunk frames have had a compact
# header by default since 0.3.1, whose payload test_dict proves the same), and compares the
# output's size and sha256 with the table. Prints "ok" or "FAIL" per file
# with the time taken. Exit status: 0 all equal, 1 any mismatch (or missing
# input file), 2 usage error, 77 corpus directory absent (skipped).
#
# Corpus: --corpus DIR, else $LMZ_CORPUS, else testdata/corpus in the repo.
# lmz: --lmz BIN, else $LMZ, else build/lmz.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
corpus=${LMZ_CORPUS:-$root/testdata/corpus} lmz=${LMZ:-$root/build/lmz} table=$here/frozen.tsv threads=2
want=()
usage() { echo "usage: bench/frozen_check.sh [--corpus DIR] [--lmz BIN] [--table TSV] [-T N] [FILE...]" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
        --corpus) [ $# -ge 2 ] || usage; corpus=$2; shift 2 ;;
        --lmz) [ $# -ge 2 ] || usage; lmz=$2; shift 2 ;;
        --table) [ $# -ge 2 ] || usage; table=$2; shift 2 ;;
        -T) [ $# -ge 2 ] || usage; threads=$2; shift 2 ;;
        -T*) threads=${1#-T}; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        -*) usage ;;
        *) want+=("$1"); shift ;;
    esac
done
[ -f "$table" ] || { echo "frozen_check: no table $table" >&2; exit 2; }
[ -x "$lmz" ] || { echo "frozen_check: lmz binary $lmz missing (build it, or give --lmz / LMZ)" >&2; exit 2; }
if [ ! -d "$corpus" ]; then
    echo "frozen_check: SKIPPED: corpus directory $corpus does not exist (give --corpus DIR or LMZ_CORPUS)"
    exit 77
fi

# rows: path bytes sha256 lmz_bytes lmz_sha256 (header and # lines skipped)
declare -A in_bytes in_sha out_bytes out_sha
rows=()
while IFS=$'\t' read -r p b s lb ls; do
    case $p in ''|'#'*|path) continue ;; esac
    in_bytes[$p]=$b in_sha[$p]=$s out_bytes[$p]=$lb out_sha[$p]=$ls
    rows+=("$p")
done < "$table"
[ ${#want[@]} -gt 0 ] || want=("${rows[@]}")

tmp=$(mktemp "${TMPDIR:-/tmp}/frozen_check.XXXXXX")
trap 'rm -f "$tmp"' EXIT
fails=0 total=0
echo "frozen_check: $lmz -T$threads --no-compact -c, corpus $corpus, table $table; load $(cut -d' ' -f1-3 /proc/loadavg)"
for p in "${want[@]}"; do
    total=$((total + 1))
    if [ -z "${out_sha[$p]+x}" ]; then
        echo "FAIL  $p: not in the table"; fails=$((fails + 1)); continue
    fi
    f=$corpus/$p
    if [ ! -f "$f" ]; then
        echo "FAIL  $p: input file $f missing"; fails=$((fails + 1)); continue
    fi
    ib=$(stat -c %s "$f") is=$(sha256sum < "$f" | cut -d' ' -f1)
    if [ "$ib" != "${in_bytes[$p]}" ] || [ "$is" != "${in_sha[$p]}" ]; then
        echo "FAIL  $p: the input is not the table's ($ib B, sha256 $is; table: ${in_bytes[$p]} B, ${in_sha[$p]})"
        fails=$((fails + 1)); continue
    fi
    t0=$(date +%s.%N)
    if ! "$lmz" -T"$threads" --no-compact -c "$f" > "$tmp"; then
        echo "FAIL  $p: lmz exited with an error"; fails=$((fails + 1)); continue
    fi
    t1=$(date +%s.%N)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    ob=$(stat -c %s "$tmp") os=$(sha256sum < "$tmp" | cut -d' ' -f1)
    if [ "$ob" = "${out_bytes[$p]}" ] && [ "$os" = "${out_sha[$p]}" ]; then
        printf 'ok    %-24s %8s B -> %7s B  %6s s\n' "$p" "$ib" "$ob" "$secs"
    else
        printf 'FAIL  %-24s %8s B -> %7s B  %6s s: sha256 %s, frozen %s B %s\n' "$p" "$ib" "$ob" "$secs" "$os" \
            "${out_bytes[$p]}" "${out_sha[$p]}"
        fails=$((fails + 1))
    fi
done
echo "frozen_check: $((total - fails)) of $total equal to the frozen outputs; load $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$fails" -eq 0 ]
