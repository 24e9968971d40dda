#!/usr/bin/env bash
# tests/determinism/determinism.sh LMZ TESTDATA — identical .lmz bytes for every
# kernel path this CPU has (LMZ_SIMD=scalar|avx2|avx512) x -T1/-T2/-T4, with
# the default model and the default settings (lm+mix chunks), the same for the
# plain model (--no-mix), and every output decodes (with another path) to the
# input; and the lossy mode's output (--lossy=4) for scalar -T1 and the best
# path -T4.
set -u
lmz=$1 testdata=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# two chunks of text (chunk size 4096) so that chunks run side by side
head -c 4500 "$testdata/corpus/canterbury/alice29.txt" > "$tmp/in"
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass+1)); }
bad() { echo "not ok - $1"; fail=$((fail+1)); }
ref="" compared="" skipped=""
for simd in scalar avx2 avx512; do
    # LMZ_SIMD falls back to the best path the CPU has: ask which one runs
    got=$(LMZ_SIMD=$simd "$lmz" -v -V | sed -n 's/^kernels: //p')
    if [ "$got" != "$simd" ]; then echo "# $simd: not available on this CPU (skipped)"; skipped="$skipped $simd"; continue; fi
    compared="$compared $simd"
    for t in 1 2 4; do
        LMZ_SIMD=$simd "$lmz" -q -T$t --chunk-size=4096 -c "$tmp/in" > "$tmp/$simd.$t.lmz" || { bad "$simd -T$t compress"; continue; }
        sum=$(sha256sum < "$tmp/$simd.$t.lmz" | cut -c1-16)
        if [ -z "$ref" ]; then ref=$sum; ok "$simd -T$t: $sum (reference)"
        elif [ "$sum" = "$ref" ]; then ok "$simd -T$t: identical"
        else bad "$simd -T$t: $sum differs from $ref"; fi
    done
done
# the default output must exercise the mixer (lm+mix chunks) ...
"$lmz" -l -v "$tmp/scalar.1.lmz" | grep -q 'lm+mix' && ok "the compared frames hold lm+mix chunks" || bad "no lm+mix chunk in the compared frames"
# ... and the plain model path (--no-mix) is compared too: scalar -T1 vs the best path -T4
best=${compared##* }
LMZ_SIMD=scalar "$lmz" -q -T1 --no-mix --chunk-size=4096 -c "$tmp/in" > "$tmp/nomix.scalar.lmz"
LMZ_SIMD=$best "$lmz" -q -T4 --no-mix --chunk-size=4096 -c "$tmp/in" > "$tmp/nomix.$best.lmz"
if cmp -s "$tmp/nomix.scalar.lmz" "$tmp/nomix.$best.lmz" && ! "$lmz" -l -v "$tmp/nomix.scalar.lmz" | grep -q 'lm+mix'; then
    ok "--no-mix: scalar -T1 and $best -T4 identical, plain lm chunks"
else bad "--no-mix outputs differ or hold lm+mix chunks"; fi
# decode the scalar output with the default path and vice versa
first=$tmp/scalar.1.lmz; last=$tmp/$best.4.lmz
LMZ_SIMD=scalar "$lmz" -d -c -T2 "$first" | cmp -s - "$tmp/in" && ok "scalar decoder reads $(basename "$first")" || bad "scalar decode"
"$lmz" -d -c -T1 "$last" | cmp -s - "$tmp/in" && ok "default decoder reads $(basename "$last")" || bad "default decode"
# the lossy encoder's choices (scoring, substitutions, dropped sentences, the
# report) are the same for every path and thread count: level 4 on a short
# piece, the lossy frames themselves (--lossy-always), not decoded (the
# decoder is checked above)
head -c 1500 "$testdata/corpus/calgary/paper1" > "$tmp/lin"
LMZ_SIMD=scalar "$lmz" -q -T1 --lossy=4 --lossy-always --lossy-verify=no -c "$tmp/lin" > "$tmp/lossy.scalar.lmz"
LMZ_SIMD=$best "$lmz" -q -T4 --lossy=4 --lossy-always --lossy-verify=no -c "$tmp/lin" > "$tmp/lossy.$best.lmz"
if [ -s "$tmp/lossy.scalar.lmz" ] && cmp -s "$tmp/lossy.scalar.lmz" "$tmp/lossy.$best.lmz" && "$lmz" -l "$tmp/lossy.scalar.lmz" | grep -q 'dropped=[0-9]'; then
    ok "--lossy=4: scalar -T1 and $best -T4 identical (sentences dropped)"
else bad "--lossy=4 outputs differ, or nothing was dropped"; fi
# speculative decoding: text that repeats itself (log lines with a counter),
# so that most draft rows are accepted and some are rewound; two chunks
# decoded together. Decoded with drafts by the scalar path at -T1 and the
# best path at -T4, and without drafts (LMZ_DRAFT=0): the same bytes.
for i in $(seq 1 90); do echo "2026-12-06 05:14:$((i % 60)) INFO worker[$((i % 4))] GET /api/v1/items?page=$i 200 $((i * 7 % 50))ms"; done > "$tmp/rep"
"$lmz" -q -T2 --chunk-size=4096 -c "$tmp/rep" > "$tmp/rep.lmz"
drafts=$(LMZ_DRAFT=stats "$lmz" -d -c -T2 "$tmp/rep.lmz" 2>&1 >/dev/null | sed -n 's/.* \([0-9]*\) accepted.*/\1/p')
LMZ_SIMD=scalar "$lmz" -d -c -T1 "$tmp/rep.lmz" | cmp -s - "$tmp/rep" && ok "drafts: scalar -T1 decodes repetitive text" || bad "drafts: scalar -T1 decode"
LMZ_SIMD=$best "$lmz" -d -c -T4 "$tmp/rep.lmz" | cmp -s - "$tmp/rep" && ok "drafts: $best -T4 decodes repetitive text" || bad "drafts: $best -T4 decode"
LMZ_DRAFT=0 "$lmz" -d -c -T2 "$tmp/rep.lmz" | cmp -s - "$tmp/rep" && ok "no drafts (LMZ_DRAFT=0) decodes the same" || bad "LMZ_DRAFT=0 decode"
[ "${drafts:-0}" -gt 100 ] && ok "drafts were accepted ($drafts tokens)" || bad "too few drafts accepted (${drafts:-none}): the speculative path was not exercised"
# levels: a fast level's frames are the same for every path too
LMZ_SIMD=scalar "$lmz" -q -T1 -1 -c "$tmp/in" > "$tmp/l1.scalar.lmz"
LMZ_SIMD=$best "$lmz" -q -T4 -1 -c "$tmp/in" > "$tmp/l1.$best.lmz"
cmp -s "$tmp/l1.scalar.lmz" "$tmp/l1.$best.lmz" && ok "-1: scalar -T1 and $best -T4 identical" || bad "-1 outputs differ"
# dictionaries: training (the model and the mixer over the samples) and
# coding with one (the prefix cache copied into each chunk, the primed
# mixer) give the same bytes for every path and thread count; decoded by
# the other path
head -c 6000 "$testdata/corpus/calgary/paper1" > "$tmp/s1"
head -c 6000 "$testdata/corpus/calgary/paper3" > "$tmp/s2"
mkdir -p "$tmp/ds" "$tmp/db" # the same file name: a dictionary is named after its file
LMZ_SIMD=scalar "$lmz" -q -T1 --train "$tmp/s1" "$tmp/s2" --maxdict=24K -o "$tmp/ds/d.lmzd"
LMZ_SIMD=$best "$lmz" -q -T4 --train "$tmp/s1" "$tmp/s2" --maxdict=24K -o "$tmp/db/d.lmzd"
cmp -s "$tmp/ds/d.lmzd" "$tmp/db/d.lmzd" && ok "--train: scalar -T1 and $best -T4 identical" || bad "--train outputs differ"
LMZ_SIMD=scalar "$lmz" -q -T1 -D "$tmp/ds/d.lmzd" --chunk-size=4096 -c "$tmp/in" > "$tmp/dict.scalar.lmz"
LMZ_SIMD=$best "$lmz" -q -T4 -D "$tmp/ds/d.lmzd" --chunk-size=4096 -c "$tmp/in" > "$tmp/dict.$best.lmz"
cmp -s "$tmp/dict.scalar.lmz" "$tmp/dict.$best.lmz" && ok "-D: scalar -T1 and $best -T4 identical" || bad "-D outputs differ"
LMZ_SIMD=scalar "$lmz" -d -c -T2 -D "$tmp/ds/d.lmzd" "$tmp/dict.$best.lmz" | cmp -s - "$tmp/in" && ok "-D: scalar decodes $best's" || bad "-D: scalar decode"
LMZ_SIMD=$best "$lmz" -d -c -T1 -D "$tmp/ds/d.lmzd" "$tmp/dict.scalar.lmz" | cmp -s - "$tmp/in" && ok "-D: $best decodes scalar's" || bad "-D: $best decode"
echo "# kernel paths compared:${compared:- none}; skipped:${skipped:- none}"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
