#!/usr/bin/env bash
# tests/golden/golden_models_test.sh LMZ MKMODEL TESTDATA — golden frames of the other
# architectures (issue #20): models-<name>.lmz were coded from models.src
# with the tiny generated models of tests/fixtures/models.sh; each must
# decode to its source with its model, pass -t, refuse another model by
# name, and re-encode to identical bytes (README.md here); and a dictionary
# made with the GPT-2-vocabulary model codes with it.
set -u
lmz=$(realpath "$1") mk=$2 testdata=$3
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../fixtures/models.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then echo "ok - $1"; pass=$((pass+1)); else echo "not ok - $1"; fail=$((fail+1)); fi; }
check "models generated, sha256 as recorded" "lmz_models_make '$mk' '$tmp' '$testdata'"
other=""
for m in "${LMZ_MODELS[@]}"; do
    n=${m%%|*} f=$here/models-${m%%|*}.lmz
    check "models-$n.lmz decodes to its source" "'$lmz' -d -c --model '$tmp/$n.gguf' '$f' > '$tmp/out' && cmp -s '$tmp/out' '$here/models.src'"
    check "models-$n.lmz passes -t" "'$lmz' -t -q --model '$tmp/$n.gguf' '$f'"
    check "models-$n.lmz re-encodes to identical bytes (T1)" "'$lmz' -q -T1 --model '$tmp/$n.gguf' --no-fallback --chunk-size=4096 -c '$here/models.src' > '$tmp/re.lmz' && cmp -s '$tmp/re.lmz' '$f'"
    [ -n "$other" ] && check "models-$n.lmz refuses another model, naming the one it needs" "! '$lmz' -d -c --model '$tmp/$other.gguf' '$f' > /dev/null 2> '$tmp/err' && grep -q 'tinymodel' '$tmp/err'"
    other=$n
done
# dictionaries with a byte-level BPE vocabulary (profile 2's line contexts
# read the line ends from the model's own tokens): train, compact frame
# round trip, smaller than without, another model refused
cal=$testdata/corpus/calgary
check "gpt2v: a dictionary trains (paper1, paper3, paper4)" "'$lmz' -q -T1 --model '$tmp/gpt2v.gguf' --train '$cal/paper1' '$cal/paper3' '$cal/paper4' --maxdict=60K -o '$tmp/g.lmzd'"
head -c 3000 "$cal/paper5" > "$tmp/p5"
check "gpt2v: -D round trip of a 3000-byte file, compact frame version 3" "'$lmz' -q --model '$tmp/gpt2v.gguf' -D '$tmp/g.lmzd' -c '$tmp/p5' > '$tmp/p5.lmz' && '$lmz' -q --model '$tmp/gpt2v.gguf' -D '$tmp/g.lmzd' -dc '$tmp/p5.lmz' | cmp -s - '$tmp/p5' && '$lmz' -lv '$tmp/p5.lmz' | grep -q 'version 3,'"
check "gpt2v: the dictionary makes it smaller" "[ \$(wc -c < '$tmp/p5.lmz') -lt \$('$lmz' -q --model '$tmp/gpt2v.gguf' -c '$tmp/p5' | wc -c) ]"
check "gpt2v: the dictionary refuses another model" "! '$lmz' -q --model '$tmp/qwen3.gguf' -D '$tmp/g.lmzd' -c '$tmp/p5' > /dev/null 2>&1"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
