#!/usr/bin/env bash
# bench/frozen_make.sh — writes the frozen-output table (bench/frozen.md) to
# stdout: one row per Canterbury and Calgary text file of the corpus manifest,
# in the manifest's order.
#
#   bench/frozen_make.sh [--corpus DIR] [--lmz BIN] [-T N] [--from HASHES]
#
# Input bytes and sha256 come from DIR/MANIFEST.tsv (the files themselves are
# checked against it). The .lmz bytes and sha256 come from running
# `lmz -TN -c FILE` (default settings), or, with --from, from a file of lines
# `path<TAB>lmz_sha256<TAB>lmz_bytes[<TAB>...]` computed earlier by the same
# command; rows missing there are left out and named on stderr.
# Corpus: --corpus DIR, else $LMZ_CORPUS, else testdata/corpus in the repo.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
corpus=${LMZ_CORPUS:-$root/testdata/corpus} lmz=${LMZ:-$root/build/lmz} threads=2 from=""
while [ $# -gt 0 ]; do
    case $1 in
        --corpus) corpus=$2; shift 2 ;;
        --lmz) lmz=$2; shift 2 ;;
        -T) threads=$2; shift 2 ;;
        -T*) threads=${1#-T}; shift ;;
        --from) from=$2; shift 2 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "usage: bench/frozen_make.sh [--corpus DIR] [--lmz BIN] [-T N] [--from HASHES]" >&2; exit 2 ;;
    esac
done
manifest=$corpus/MANIFEST.tsv
[ -f "$manifest" ] || { echo "frozen_make: no $manifest" >&2; exit 1; }
declare -A got_sha got_bytes
if [ -n "$from" ]; then
    while IFS=$'\t' read -r p s b _; do
        case $p in ''|'#'*|DONE) continue ;; esac
        got_sha[$p]=$s got_bytes[$p]=$b
    done < "$from"
fi
tmp=$(mktemp "${TMPDIR:-/tmp}/frozen_make.XXXXXX")
trap 'rm -f "$tmp"' EXIT
printf 'path\tbytes\tsha256\tlmz_bytes\tlmz_sha256\n'
missing=0
while IFS=$'\t' read -r p bytes sha kind _; do
    case $p in canterbury/*|calgary/*) ;; *) continue ;; esac
    [ "$kind" = text ] || continue
    f=$corpus/$p
    if [ -f "$f" ] && [ "$(sha256sum < "$f" | cut -d' ' -f1)" != "$sha" ]; then
        echo "frozen_make: $f does not match the manifest" >&2; exit 1
    fi
    if [ -n "$from" ]; then
        if [ -z "${got_sha[$p]+x}" ]; then
            echo "frozen_make: $p missing from $from" >&2; missing=$((missing + 1)); continue
        fi
        s=${got_sha[$p]} b=${got_bytes[$p]}
    else
        "$lmz" -T"$threads" --no-compact -c "$f" > "$tmp"
        s=$(sha256sum < "$tmp" | cut -d' ' -f1) b=$(stat -c %s "$tmp")
    fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$p" "$bytes" "$sha" "$b" "$s"
done < "$manifest"
[ "$missing" -eq 0 ] || echo "frozen_make: $missing row(s) left out" >&2
