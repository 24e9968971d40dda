#!/usr/bin/env bash
# bench/tools/check_ideal.sh IDEAL TESTDATA [FILES...]
# Runs lmz-ideal (the int8 engine's ideal code length) on corpus files and
# compares each bits-per-byte figure with TESTDATA/model/eval.tsv (the float
# model's ideal): it must be within 0.2 %. Prints the table.
set -u
ideal=$1 testdata=$2
shift 2
files=("$@")
# CI checks two files (minutes); bench/ideal.md has alice29.txt too.
[ ${#files[@]} -gt 0 ] || files=(canterbury/fields.c calgary/paper1)
pass=0 fail=0
printf '%-14s %9s %8s %9s %9s %8s\n' file bytes tokens "lmz bpb" "eval bpb" "diff"
for f in "${files[@]}"; do
    line=$("$ideal" -T 2 "$testdata/corpus/$f" | tail -1) || { echo "not ok - $f: lmz-ideal failed"; fail=$((fail+1)); continue; }
    ours=$(echo "$line" | cut -f4)
    tokens=$(echo "$line" | cut -f3)
    bytes=$(echo "$line" | cut -f2)
    ref=$(awk -F'\t' -v f="corpus/$f" '$1==f {print $4}' "$testdata/model/eval.tsv")
    rel=$(awk -v a="$ours" -v b="$ref" 'BEGIN{printf "%+.3f%%", (a-b)/b*100}')
    ok=$(awk -v a="$ours" -v b="$ref" 'BEGIN{d=(a-b)/b; if (d<0) d=-d; print (d<=0.002)?1:0}')
    printf '%-14s %9s %8s %9s %9s %8s\n' "$(basename "$f")" "$bytes" "$tokens" "$ours" "$ref" "$rel"
    if [ "$ok" = 1 ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "not ok - $f: $ours vs $ref"; fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
