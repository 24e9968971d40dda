#!/usr/bin/env bash
# tests/roundtrip/corpus_roundtrip.sh LMZ TESTDATA [--all]
# Byte-identical round trip with the default model, via files and via pipes.
# Default (CI): grammar.lsp (text) and sum (binary). --all: every text file of
# testdata/corpus under 1 MB (MANIFEST.tsv kind "text") and the binary sum —
# several hours on 2 cores (book1 alone takes ~25 min each way).
set -u
lmz=$1 testdata=$2 all=${3:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$all" = "--all" ]; then
    mapfile -t files < <(awk -F'\t' 'NR>1 && $4=="text" && $2<1000000 {print $1}' "$testdata/corpus/MANIFEST.tsv")
    files+=(canterbury/sum)
else
    files=(canterbury/grammar.lsp canterbury/sum)
fi
pass=0 fail=0
for f in "${files[@]}"; do
    src=$testdata/corpus/${f#corpus/}
    [ -f "$src" ] || { echo "not ok - $f: missing"; fail=$((fail+1)); continue; }
    cp "$src" "$tmp/in"
    if "$lmz" -q -T2 -f "$tmp/in" && "$lmz" -q -T2 -d -c "$tmp/in.lmz" | cmp -s - "$src"; then
        echo "ok - $f: files ($(stat -c %s "$src") -> $(stat -c %s "$tmp/in.lmz") bytes)"; pass=$((pass+1))
    else echo "not ok - $f: file round trip"; fail=$((fail+1)); fi
    if [ "$all" = "--all" ] || [ "$f" = canterbury/sum ]; then
        if "$lmz" -q -T2 < "$src" | "$lmz" -q -T2 -d | cmp -s - "$src"; then echo "ok - $f: pipes"; pass=$((pass+1))
        else echo "not ok - $f: pipe round trip"; fail=$((fail+1)); fi
    fi
    rm -f "$tmp/in" "$tmp/in.lmz"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
