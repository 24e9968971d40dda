#!/usr/bin/env bash
# tests/golden/golden_test.sh LMZ — decode every golden frame (format
# stability); re-encode the current one and require identical bytes.
set -u
lmz=$(realpath "$1")
encode_only=${2:-} # --encode-only: just the re-encoding check (sanitizer build)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then echo "ok - $1"; pass=$((pass+1)); else echo "not ok - $1"; fail=$((fail+1)); fi; }
for f in "$here"/golden-v*.lmz; do
    [ -n "$encode_only" ] && break
    src=${f%.lmz}.src
    D=
    case $f in *-dict.lmz) D="-D '$here/golden.lmzd'" ;; esac
    check "$(basename "$f") decodes to its source" "'$lmz' $D -d -c '$f' > '$tmp/out' && cmp -s '$tmp/out' '$src'"
    check "$(basename "$f") passes -t" "'$lmz' $D -t -q '$f'"
done
check "golden-v1 re-encodes to identical bytes (T1, --no-mix)" "'$lmz' -T1 --no-mix --chunk-size=4096 -c '$here/golden-v1.src' > '$tmp/v1.lmz' && cmp -s '$tmp/v1.lmz' '$here/golden-v1.lmz'"
check "golden-v1-mix re-encodes to identical bytes (T1)" "'$lmz' -T1 --chunk-size=4096 -c '$here/golden-v1-mix.src' > '$tmp/v1m.lmz' && cmp -s '$tmp/v1m.lmz' '$here/golden-v1-mix.lmz'"
check "golden-v2-dict re-encodes to identical bytes (T1, -D)" "'$lmz' -T1 -D '$here/golden.lmzd' -c '$here/golden-v2-dict.src' > '$tmp/v2d.lmz' && cmp -s '$tmp/v2d.lmz' '$here/golden-v2-dict.lmz'"
check "golden.lmzd is trained again to identical bytes" "cd '$here/../../testdata/corpus/calgary' && '$lmz' -q -T1 --train paper1 paper3 paper4 paper5 paper6 --maxdict=20K -o '$tmp/golden.lmzd' && cmp -s '$tmp/golden.lmzd' '$here/golden.lmzd'"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
