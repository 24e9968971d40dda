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
    case $f in *-v2-dict.lmz) D="-D '$here/golden.lmzd'" ;; *-dict.lmz) D="-D '$here/golden2.lmzd'" ;; esac
    check "$(basename "$f") decodes to its source" "'$lmz' $D -d -c '$f' > '$tmp/out' && cmp -s '$tmp/out' '$src'"
    check "$(basename "$f") passes -t" "'$lmz' $D -t -q '$f'"
done
check "golden-v1 re-encodes to identical bytes (T1, --no-mix)" "'$lmz' -T1 --no-mix --chunk-size=4096 -c '$here/golden-v1.src' > '$tmp/v1.lmz' && cmp -s '$tmp/v1.lmz' '$here/golden-v1.lmz'"
check "golden-v1-mix re-encodes to identical bytes (T1)" "'$lmz' -T1 --chunk-size=4096 -c '$here/golden-v1-mix.src' > '$tmp/v1m.lmz' && cmp -s '$tmp/v1m.lmz' '$here/golden-v1-mix.lmz'"
# golden.lmzd (mixer profile 1, lmz 0.3.1-dev before compact frame v3): the same payload as then, under today's header
payload() { "$lmz" -lv "$1" | sed -n 's/.*header \([0-9]*\) bytes.*/\1/p' | { read h; tail -c +$((h + 1)) "$1"; }; }
check "golden-v2-dict re-encodes to the identical payload (T1, -D golden.lmzd; compact frame v3 around it)" "'$lmz' -T1 -D '$here/golden.lmzd' -c '$here/golden-v2-dict.src' > '$tmp/v2d.lmz' && '$lmz' -lv '$tmp/v2d.lmz' | grep -q 'version 3,' && cmp -s <(payload '$tmp/v2d.lmz') <(payload '$here/golden-v2-dict.lmz')"
check "golden-v3-dict re-encodes to identical bytes (T1, -D golden2.lmzd)" "'$lmz' -T1 -D '$here/golden2.lmzd' -c '$here/golden-v3-dict.src' > '$tmp/v3d.lmz' && cmp -s '$tmp/v3d.lmz' '$here/golden-v3-dict.lmz'"
check "golden2.lmzd is trained again to identical bytes" "cd '$here/../../testdata/corpus/calgary' && '$lmz' -q -T1 --train paper1 paper3 paper4 paper5 paper6 --maxdict=20K -o '$tmp/golden2.lmzd' && cmp -s '$tmp/golden2.lmzd' '$here/golden2.lmzd'"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
