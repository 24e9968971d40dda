#!/usr/bin/env bash
# bench/text10m.sh — the 10 MB benchmark text: every text file of the corpus
# once, concatenated in the order of bench/text10m.txt (the 22 Canterbury and
# Calgary text files of bench/frozen.tsv, enwik/enwik6, silesia/xml: 9,942,423 bytes,
# nothing repeated, so no file helps another more than real mixed text would).
#
#   bench/text10m.sh OUT      writes the text to OUT, checks its size and
#                             sha256 against the line below, prints OUT
#
# enwik6 and silesia/xml come from $LMZ_CORPUS_EXTRA (bench/corpus.sh);
# without them the script says so and exits 77. Then time it with
#   bench/run --no-mix-table "$(bench/text10m.sh /tmp/text10m)"
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/corpus.sh"
[ $# -eq 1 ] || { echo "usage: bench/text10m.sh OUT" >&2; exit 2; }
out=$1
want_size=9942423
want_sha=570636de0f907429a72626cfda16f73ded9d192679e6744bf6c763318582f76d
parts=()
while read -r f; do
    case $f in ''|'#'*) continue ;; esac
    p=$(corpus_path "$f") || exit 77
    parts+=("$p")
done < "$here/text10m.txt"
cat "${parts[@]}" > "$out"
size=$(stat -c %s "$out")
sha=$(sha256sum "$out" | cut -d' ' -f1)
if [ "$size" != "$want_size" ] || [ "$sha" != "$want_sha" ]; then
    echo "bench/text10m.sh: $out is $size bytes, sha256 $sha; expected $want_size, $want_sha" >&2
    exit 1
fi
printf '%s\n' "$out"
