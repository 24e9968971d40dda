#!/usr/bin/env bash
# tests/golden/golden_models_test.sh LMZ MKMODEL TESTDATA — golden frames of the other
# architectures (issue #20): models-<name>.lmz were coded from models.src
# with the tiny generated models of tests/fixtures/models.sh; each must
# decode to its source with its model, pass -t, refuse another model by
# name, and re-encode to identical bytes (README.md here).
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
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
