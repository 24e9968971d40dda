#!/usr/bin/env bash
# tests/cli/valgrind_test.sh LMZ MKMODEL — a few CLI runs under valgrind
# memcheck (tiny generated model, small inputs): no invalid access, no use of
# uninitialised values, no leak, on success and on error paths.
set -u
lmz=$1 mkmodel=$2
command -v valgrind > /dev/null || { echo "# valgrind not installed: skipped"; echo "0 passed, 0 failed"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$mkmodel" "$tmp/tiny.gguf" 5 > /dev/null
head -c 3000 /dev/urandom > "$tmp/rand"
printf 'The quick brown fox jumps over the lazy dog. %.0s' $(seq 1 40) > "$tmp/text"
vg="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
pass=0 fail=0
run() { # run WANT DESC ARGS...
    local want=$1 desc=$2
    shift 2
    $vg "$lmz" --model "$tmp/tiny.gguf" -T2 "$@" > "$tmp/out" 2> "$tmp/err"
    local got=$?
    if [ "$got" = "$want" ]; then echo "ok - $desc"; pass=$((pass+1)); else echo "not ok - $desc (exit $got)"; sed 's/^/#   /' "$tmp/err" | head -20; fail=$((fail+1)); fi
}
run 0 "compress text (model)" --no-fallback -c "$tmp/text"
cp "$tmp/out" "$tmp/text.lmz"
run 0 "decompress text (model)" -d -c "$tmp/text.lmz"
cmp -s "$tmp/out" "$tmp/text" && { echo "ok - round trip"; pass=$((pass+1)); } || { echo "not ok - round trip"; fail=$((fail+1)); }
run 0 "compress binary" -c "$tmp/rand"
head -c 60 "$tmp/text.lmz" > "$tmp/trunc.lmz"
run 1 "truncated input (error path)" -d -c "$tmp/trunc.lmz"
run 0 "list" -l "$tmp/text.lmz"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
