#!/usr/bin/env bash
# tests/golden/golden_test.sh LMZ — decode every golden frame (format
# stability); re-encode the current one and require identical bytes.
set -u
lmz=$1
encode_only=${2:-} # --encode-only: just the re-encoding check (sanitizer build)
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then echo "ok - $1"; pass=$((pass+1)); else echo "not ok - $1"; fail=$((fail+1)); fi; }
for f in "$here"/golden-v*.lmz; do
    [ -n "$encode_only" ] && break
    src=${f%.lmz}.src
    check "$(basename "$f") decodes to its source" "'$lmz' -d -c '$f' > '$tmp/out' && cmp -s '$tmp/out' '$src'"
    check "$(basename "$f") passes -t" "'$lmz' -t -q '$f'"
done
check "golden-v1 re-encodes to identical bytes (T1, --no-mix)" "'$lmz' -T1 --no-mix --chunk-size=4096 -c '$here/golden-v1.src' > '$tmp/v1.lmz' && cmp -s '$tmp/v1.lmz' '$here/golden-v1.lmz'"
check "golden-v1-mix re-encodes to identical bytes (T1)" "'$lmz' -T1 --chunk-size=4096 -c '$here/golden-v1-mix.src' > '$tmp/v1m.lmz' && cmp -s '$tmp/v1m.lmz' '$here/golden-v1-mix.lmz'"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
