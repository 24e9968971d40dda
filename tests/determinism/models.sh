#!/usr/bin/env bash
# tests/determinism/models.sh LMZ MKMODEL TESTDATA — the determinism matrix
# for the other architectures (issue #20): with each tiny generated model of
# tests/fixtures/models.sh (qwen2 with Q4_K weights, qwen3 with Q5_K and a
# 128-wide head, Llama 3-style with BF16 weights and RoPE frequency factors;
# byte-level BPE vocabularies), identical .lmz bytes for every kernel path
# this CPU has x -T1/-T2/-T4, model-coded chunks (--no-fallback), the window
# sliding inside each chunk; each output decodes, by another path, to the
# input; plain lm (--no-mix) compared too.
set -u
lmz=$1 mk=$2 testdata=$3
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../fixtures/models.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass+1)); }
bad() { echo "not ok - $1"; fail=$((fail+1)); }
lmz_models_make "$mk" "$tmp" "$testdata" && ok "models generated, sha256 as recorded" || { bad "models"; echo "$pass passed, $fail failed"; exit 1; }
# two chunks of text (chunk size 4096), side by side
head -c 6000 "$testdata/corpus/calgary/paper2" > "$tmp/in"
paths=""
for simd in scalar avx2 avx512; do
    got=$(LMZ_SIMD=$simd "$lmz" -v -V | sed -n 's/^kernels: //p')
    if [ "$got" != "$simd" ]; then echo "# $simd: not available on this CPU (skipped)"; continue; fi
    paths="$paths $simd"
done
best=${paths##* }
for m in "${LMZ_MODELS[@]}"; do
    name=${m%%|*} model=$tmp/${m%%|*}.gguf ref=""
    for simd in $paths; do
        for t in 1 2 4; do
            out=$tmp/$name.$simd.$t.lmz
            LMZ_SIMD=$simd "$lmz" -q -T$t --model "$model" --no-fallback --chunk-size=4096 -c "$tmp/in" > "$out" || { bad "$name $simd -T$t compress"; continue; }
            sum=$(sha256sum < "$out" | cut -c1-16)
            if [ -z "$ref" ]; then ref=$sum; ok "$name $simd -T$t: $sum (reference)"
            elif [ "$sum" = "$ref" ]; then ok "$name $simd -T$t: identical"
            else bad "$name $simd -T$t: $sum differs from $ref"; fi
        done
    done
    "$lmz" -l -v "$tmp/$name.scalar.1.lmz" | grep -Eq '^ +1 +[0-9]+ +[0-9]+ +[0-9.]+ +lm\+mix' && ok "$name: model-coded chunks (lm+mix)" || bad "$name: the chunks are not model-coded"
    LMZ_SIMD=$best "$lmz" -d -c -T2 --model "$model" "$tmp/$name.scalar.1.lmz" | cmp -s - "$tmp/in" && ok "$name: $best decodes the scalar frame" || bad "$name: $best decode"
    LMZ_SIMD=scalar "$lmz" -d -c -T1 --model "$model" "$tmp/$name.$best.4.lmz" | cmp -s - "$tmp/in" && ok "$name: scalar decodes the $best frame" || bad "$name: scalar decode"
    LMZ_SIMD=scalar "$lmz" -q -T1 --no-mix --no-fallback --model "$model" --chunk-size=4096 -c "$tmp/in" > "$tmp/$name.nomix.s.lmz"
    LMZ_SIMD=$best "$lmz" -q -T4 --no-mix --no-fallback --model "$model" --chunk-size=4096 -c "$tmp/in" > "$tmp/$name.nomix.b.lmz"
    cmp -s "$tmp/$name.nomix.s.lmz" "$tmp/$name.nomix.b.lmz" && ok "$name --no-mix: scalar -T1 and $best -T4 identical" || bad "$name --no-mix outputs differ"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
