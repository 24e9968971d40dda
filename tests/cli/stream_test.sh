#!/usr/bin/env bash
# tests/cli/stream_test.sh LMZ MKMODEL TESTDATA — streaming with bounded memory.
# Pipes large inputs through `lmz | lmz -d` and prints each process's peak
# resident memory, which must stay under 400 MiB whatever the input size:
#   - 10 MB of random bytes (binary: classical methods), tiny model;
#   - 400 KB of text through the model (tiny generated model, 4 KiB chunks:
#     7 frames of 16 chunks decoded as batches);
#   - 200 MB of text with --fast (no model), so that the check stays fast.
set -u
lmz=$1 mkmodel=$2 testdata=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass+1)); }
bad() { echo "not ok - $1"; fail=$((fail+1)); }
"$mkmodel" "$tmp/tiny.gguf" 7 > /dev/null || { echo "not ok - mkmodel"; echo "0 passed, 1 failed"; exit 1; }
LIMIT_KIB=$((400 * 1024))

# roundtrip NAME GENERATOR-COMMAND LMZ-OPTIONS...
roundtrip() {
    local name=$1 gen=$2
    shift 2
    local want got c1 d1
    want=$(bash -c "$gen" | sha256sum | cut -c1-64)
    got=$(bash -c "$gen" | /usr/bin/time -f %M -o "$tmp/rss.c" "$lmz" "$@" -c |
          tee >(wc -c > "$tmp/size") | /usr/bin/time -f %M -o "$tmp/rss.d" "$lmz" "$@" -d -c | sha256sum | cut -c1-64)
    c1=$(tail -1 "$tmp/rss.c"); d1=$(tail -1 "$tmp/rss.d")
    sleep 0.1
    echo "# $name: compressed to $(cat "$tmp/size") bytes; peak RSS compress $((c1 / 1024)) MiB, decompress $((d1 / 1024)) MiB"
    [ "$want" = "$got" ] && ok "$name: round trip" || bad "$name: round trip ($want vs $got)"
    [ "$c1" -lt $LIMIT_KIB ] && [ "$d1" -lt $LIMIT_KIB ] && ok "$name: memory under 400 MiB" || bad "$name: memory ($c1 / $d1 KiB)"
}

head -c 10000000 /dev/urandom > "$tmp/rand"
roundtrip "10 MB random bytes" "cat '$tmp/rand'" --model "$tmp/tiny.gguf" -T2
roundtrip "400 KB text, model" "cat '$testdata/corpus/calgary/book1' | head -c 400000" --model "$tmp/tiny.gguf" -T2 --chunk-size=4096 --no-fallback
roundtrip "200 MB text, --fast" "for i in \$(seq 1 262); do cat '$testdata/corpus/calgary/book1'; done | head -c 200000000" --fast -T2
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
