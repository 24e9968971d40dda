#!/usr/bin/env bash
#
# tests/cli/cli_test.sh — end-to-end tests of the `lmz` command-line tool.
#
# Usage: cli_test.sh PATH/TO/lmz [TESTDATA_DIR [PATH/TO/mkmodel]]
#
# Prints one line per check, "ok - ..." or "not ok - ..." (details of a
# failure follow as "#   ..." lines), and ends with "N passed, M failed".
# Exit status: 0 if everything passed, 1 otherwise.
#
# The model is slow (a few hundred to ~1500 tokens/s, and decoding is slower
# than encoding), so inputs are tiny: the 3000-byte text goes through one
# round trip; every other check uses 100 bytes or less, or data that is
# stored. Compressed files are made once and reused.

set -u

# ---------------------------------------------------------------------------
# Setup
# ---------------------------------------------------------------------------

if [ $# -lt 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 PATH/TO/lmz [TESTDATA_DIR]" >&2
    exit 2
fi
LMZ=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
TESTDATA=${2:-}
MKMODEL=${3:-} # tests/fixtures/mkmodel: a second (tiny) model for the wrong-model check
[ -n "$MKMODEL" ] && MKMODEL=$(cd "$(dirname "$MKMODEL")" && pwd)/$(basename "$MKMODEL")
unset LMZ_MODEL # the embedded default model, whatever the caller's environment

W=$(mktemp -d "${TMPDIR:-/tmp}/lmz-cli.XXXXXX") || exit 2
cleanup() {
    [ -n "${bg_pid:-}" ] && kill "$bg_pid" 2>/dev/null
    exec 3>&- 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
cd "$W" || exit 2

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $*"; }
notok() { fail=$((fail + 1)); echo "not ok - $*"; }
diag() { sed 's/^/#   /' "$@"; }

# check DESC CMD...: passes if CMD succeeds.
check() {
    local desc=$1
    shift
    if "$@"; then ok "$desc"; else notok "$desc"; fi
}

# expect EXIT DESC CMD...: runs CMD with stdout in out.txt and stderr in
# err.txt (in the current directory) and checks its exit status.
expect() {
    local want=$1 desc=$2
    shift 2
    "$@" >out.txt 2>err.txt
    local got=$?
    if [ "$got" = "$want" ]; then
        ok "$desc"
    else
        notok "$desc (exit $got, expected $want)"
        diag err.txt
    fi
}

# no_temp DIR: no temporary output (.NAME.XXXXXX) left in DIR.
no_temp() { [ -z "$(find "${1:-.}" -maxdepth 1 -name '.*.??????' -print)" ]; }

same() { cmp -s "$1" "$2"; }
absent() { [ ! -e "$1" ]; }

# Inputs: a small text, the empty file, one byte, random binary.
TEXT_SRC=$TESTDATA/corpus/canterbury/alice29.txt
if [ -n "$TESTDATA" ] && [ -r "$TEXT_SRC" ]; then
    head -c 3000 "$TEXT_SRC" >text
else
    for i in $(seq 1 60); do echo "Alice was beginning to get very tired of sitting by her sister, line $i."; done |
        head -c 3000 >text
fi
: >empty
printf 'x' >one
head -c 2000 /dev/urandom >rand
head -c 100 text >small

# ---------------------------------------------------------------------------
# Round trips through files: FILE -> FILE.lmz -> FILE
# ---------------------------------------------------------------------------

mkdir rt
for f in text small empty one rand; do
    cp "$f" "rt/$f"
    expect 0 "compress $f" "$LMZ" -q "rt/$f"
    check "compress $f: source kept, $f.lmz made" test -f "rt/$f" -a -f "rt/$f.lmz"
    mv "rt/$f" "rt/$f.orig"
    expect 0 "decompress $f.lmz" "$LMZ" -dq "rt/$f.lmz"
    check "round trip $f" same "rt/$f" "$f"
    cp "rt/$f.lmz" "$f.lmz" # reused below
done
check "no temporary files left" no_temp rt

# Metadata is copied from the source, like gzip.
mkdir meta
cp small meta/s
chmod 640 meta/s
touch -d '2001-02-03 04:05:06' meta/s
expect 0 "compress a file with mode 640 and an old mtime" "$LMZ" -q meta/s
check "mode and mtime copied to the output" \
    test "$(stat -c '%a %Y' meta/s)" = "$(stat -c '%a %Y' meta/s.lmz)"

# ---------------------------------------------------------------------------
# Pipes: -c, stdin/stdout, "-"
# ---------------------------------------------------------------------------

set -o pipefail
check "-c | -d (small text)" bash -c '"$0" -c small | "$0" -d | cmp -s - small' "$LMZ"
check "-c | -d (empty)" bash -c '"$0" -c empty | "$0" -d | cmp -s - empty' "$LMZ"
check "stdin to stdout (one byte)" bash -c '"$0" <one >one.p.lmz && "$0" -d <one.p.lmz | cmp -s - one' "$LMZ"
check "- as a file name (rand)" bash -c 'cat rand | "$0" - | "$0" -dc - | cmp -s - rand' "$LMZ"
check "-dcf combined" bash -c '"$0" -dcf small.lmz | cmp -s - small' "$LMZ"
check "cat a.lmz b.lmz | lmz -d gives a+b" \
    bash -c 'cat small one >ab && cat small.lmz one.lmz | "$0" -d | cmp -s - ab' "$LMZ"
check "concatenated frames with an empty one" \
    bash -c 'cat one empty >oe && cat one.lmz empty.lmz | "$0" -d | cmp -s - oe' "$LMZ"
set +o pipefail

# Same output whatever the thread count.
expect 0 "compress with -T1" "$LMZ" -q -T1 -o t1.lmz small
"$LMZ" --threads=2 -c small >t2.lmz 2>/dev/null
check "-T1 and --threads=2 give identical bytes" same t1.lmz t2.lmz

# ---------------------------------------------------------------------------
# Never overwrite without -f; --rm; -o
# ---------------------------------------------------------------------------

mkdir ow
cp small ow/s
echo "precious" >ow/s.lmz
sum_before=$(cksum <ow/s.lmz)
expect 1 "refuse to overwrite an existing output without -f" "$LMZ" -q ow/s
check "existing output untouched" test "$(cksum <ow/s.lmz)" = "$sum_before"
check "message is 'lmz: FILE: ... already exists'" grep -q "^lmz: ow/s.lmz: already exists" err.txt
expect 1 "--rm with an existing output fails" "$LMZ" -q --rm ow/s
check "--rm: source kept when compression failed" test -f ow/s
expect 0 "overwrite with -f" "$LMZ" -qf ow/s
check "-f: output replaced" bash -c '"$0" -dc ow/s.lmz | cmp -s - small' "$LMZ"
cp small ow/d
"$LMZ" -qc ow/d >ow/d.lmz 2>/dev/null
echo "keep me" >ow/d
sum_before=$(cksum <ow/d)
expect 1 "decompress: refuse to overwrite without -f" "$LMZ" -dq ow/d.lmz
check "decompress: existing file untouched" test "$(cksum <ow/d)" = "$sum_before"

mkdir rm
cp small rm/s
expect 0 "--rm compresses" "$LMZ" -q --rm rm/s
check "--rm removes the source after success" test ! -e rm/s -a -f rm/s.lmz
expect 0 "--rm decompresses" "$LMZ" -dq --rm rm/s.lmz
check "--rm removes the .lmz after success" test ! -e rm/s.lmz -a -f rm/s
check "--rm round trip" same rm/s small
cp small rm/k
expect 0 "-k is accepted" "$LMZ" -qk rm/k
check "-k keeps the source" test -f rm/k -a -f rm/k.lmz

mkdir out
expect 0 "-o FILE" "$LMZ" -q -o out/custom.bin small
check "-o writes FILE" test -f out/custom.bin
expect 1 "-d refuses a name without .lmz" "$LMZ" -d out/custom.bin
check "... and says why" grep -q "suffix" err.txt
expect 0 "-d -o FILE accepts any name" "$LMZ" -dq out/custom.bin -o out/back
check "-o round trip" same out/back small
cp small out/x.lmz
expect 1 "compress refuses a name that already ends in .lmz" "$LMZ" out/x.lmz
check "... and says why" grep -q "suffix" err.txt
expect 0 "-o /dev/null" "$LMZ" -q -o /dev/null small
check "/dev/null is still a character device" test -c /dev/null
cp one ./-x
expect 0 "-- ends options" "$LMZ" -q -- -x
check "-- : file -x compressed" test -f ./-x.lmz

mkdir multi
cp small multi/a
cp one multi/b
expect 1 "several files, one missing: exit 1" "$LMZ" -q multi/a multi/missing multi/b
check "several files: the others are done" test -f multi/a.lmz -a -f multi/b.lmz

# ---------------------------------------------------------------------------
# -t, damaged and truncated input
# ---------------------------------------------------------------------------

mkdir tst
cp small.lmz tst/small.lmz
expect 0 "-t on a good file" "$LMZ" -tq tst/small.lmz
check "-t writes nothing" test "$(ls tst)" = "small.lmz"

# flip FILE OFFSET: inverts one byte in place.
flip() {
    local byte
    byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "\\$(printf '%03o' $((byte ^ 0xff)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
size=$(stat -c %s small.lmz)
hdr=$("$LMZ" -lv small.lmz 2>/dev/null | sed -n 's/.*header \([0-9]*\) bytes.*/\1/p' | head -n1)
[ -n "$hdr" ] && [ "$hdr" -lt "$size" ] || hdr=0
mid=$(((hdr + size) / 2)) # the middle of the payload

cp small.lmz tst/bad.lmz
flip tst/bad.lmz "$mid"
check "corruption applied" bash -c '! cmp -s small.lmz tst/bad.lmz'
expect 1 "-t on a corrupted file (byte $mid of $size flipped)" "$LMZ" -tq tst/bad.lmz
expect 1 "-d on a corrupted file" "$LMZ" -dq tst/bad.lmz
check "corrupted: no output file" absent tst/bad
check "corrupted: no temporary left" no_temp tst
cp small.lmz tst/badhdr.lmz
flip tst/badhdr.lmz 20
expect 1 "-d on a file with a damaged header (byte 20)" "$LMZ" -dq tst/badhdr.lmz
check "damaged header: no output file" absent tst/badhdr

head -c "$mid" small.lmz >tst/trunc.lmz
expect 1 "-d on a truncated file (payload cut)" "$LMZ" -dq tst/trunc.lmz
check "truncated: no output file" absent tst/trunc
expect 1 "-t on a truncated file" "$LMZ" -tq tst/trunc.lmz
head -c 10 small.lmz >tst/head.lmz
expect 1 "-d on a file cut inside its header" "$LMZ" -dq tst/head.lmz
check "cut header: no output file" absent tst/head
expect 1 "-d on data that is not .lmz" "$LMZ" -dq -o tst/garbage rand
check "garbage: no output file" absent tst/garbage
if [ -n "$MKMODEL" ] && "$MKMODEL" tst/tiny.gguf 3 >/dev/null; then
    expect 1 "-d with the wrong model" "$LMZ" -d --model tst/tiny.gguf -o tst/wrong small.lmz
    check "wrong model: the message names the model needed (compact frame: the built-in one)" \
        grep -q "built-in model" err.txt
    check "wrong model: no output file" absent tst/wrong
    # LMZ_MODEL_PATH: the model a file names, found among the *.gguf files of a directory
    mkdir -p tst/models
    cp tst/tiny.gguf tst/models/other.gguf
    expect 0 "compress with another model" "$LMZ" -q --no-fallback --model tst/tiny.gguf small -o tst/tiny.lmz
    expect 1 "decoding it with the built-in model fails" "$LMZ" -dc tst/tiny.lmz
    check "LMZ_MODEL_PATH finds the model the file names" bash -c \
        'LMZ_MODEL_PATH=/nonexistent:tst/models "$0" -dc tst/tiny.lmz | cmp -s - small' "$LMZ"
    check "LMZ_MODEL_PATH: a built-in-model file still decodes" bash -c \
        'LMZ_MODEL_PATH=tst/models "$0" -dc small.lmz | cmp -s - small' "$LMZ"
    rm -rf tst/tiny.gguf tst/models tst/tiny.lmz
fi
expect 1 "-d on an empty input" "$LMZ" -dq -o tst/nothing empty
check "no temporary left after failures" no_temp tst

# ---------------------------------------------------------------------------
# Usage errors (exit 2), help and version
# ---------------------------------------------------------------------------

expect 2 "unknown long option" "$LMZ" --no-such-option small
expect 2 "unknown short option" "$LMZ" -y small
expect 2 "-T abc" "$LMZ" -T abc small
expect 2 "-Tabc" "$LMZ" -Tabc small
expect 2 "--threads=x" "$LMZ" --threads=x small
expect 2 "--chunk-size with a bad suffix" "$LMZ" --chunk-size=12Q small
expect 2 "--memory without a number" "$LMZ" --memory=M small
expect 2 "-o with two inputs" "$LMZ" -o x.lmz small one
expect 2 "-c and -o together" "$LMZ" -c -o x.lmz small
expect 0 "-h" "$LMZ" -h
check "-h prints usage on stdout" grep -q "Usage" out.txt
expect 0 "--version" "$LMZ" --version
check "--version prints a version" grep -q "[0-9]\.[0-9]" out.txt
expect 1 "--model with a missing file" "$LMZ" -q --model=/nonexistent/model.gguf -c small
expect 1 "LMZ_MODEL with a missing file" env LMZ_MODEL=/nonexistent/model.gguf "$LMZ" -q -c small
expect 0 "--chunk-size=64K --memory=2G --no-progress accepted" \
    "$LMZ" -q --chunk-size=64K --memory=2G --no-progress -o /dev/null small
expect 2 "--window=1 (below 2)" "$LMZ" --window=1 -c small
expect 2 "--window=70000 (above 65535)" "$LMZ" --window=70000 -c small
expect 0 "--window=300 compresses" "$LMZ" -q --window=300 -c small
cp out.txt small.w300.lmz
expect 0 "-lv of the --window=300 frame" "$LMZ" -l -v small.w300.lmz
check "the frame records window 300" grep -q "window 300," out.txt
expect 0 "--window=300 frame decodes" "$LMZ" -d -c small.w300.lmz
check "--window=300 round trip" cmp -s out.txt small
expect 0 "--window=5000 compresses (cut to the model's context)" "$LMZ" -q --window=5000 -c small
cp out.txt small.w5000.lmz
expect 0 "-lv of the --window=5000 frame" "$LMZ" -l -v small.w5000.lmz
check "the frame records the model's context, 1024" grep -q "window 1024," out.txt

# Levels (-1 .. -9, --level=#): the default level is -6 byte for byte; a
# level's window and chunk size are in the frame; out-of-range levels are
# usage errors.
expect 0 "-1 compresses" "$LMZ" -q -1 -c small
cp out.txt small.l1.lmz
check "-1 round trip" bash -c '"$0" -dc small.l1.lmz | cmp -s - small' "$LMZ"
check "-1 frame records window 256 (and, full header, 8 KiB chunks)" \
    bash -c '"$0" -lv small.l1.lmz | grep -q "window 256, " && "$0" -1 --no-compact -c small > small.l1v1.lmz &&
             "$0" -lv small.l1v1.lmz | grep -q "window 256, .*chunk size 8192"' "$LMZ"
check "-6 is the default, byte for byte" bash -c '"$0" -6 -c small | cmp -s - small.lmz' "$LMZ"
check "--level=6 is the default, byte for byte" bash -c '"$0" --level=6 -c small | cmp -s - small.lmz' "$LMZ"
check "-9v (level in a cluster) round trip" bash -c '"$0" -9q -c small | "$0" -dc | cmp -s - small' "$LMZ"
expect 2 "-10 is not a level" "$LMZ" -10 -c small
check "-10: the message names the levels" grep -q "levels are 1 to 9" err.txt
expect 2 "--level=0 is not a level" "$LMZ" --level=0 -c small
expect 2 "--level=x is not a level" "$LMZ" --level=x -c small

# ---------------------------------------------------------------------------
# -l
# ---------------------------------------------------------------------------

size=$(stat -c %s text.lmz)
expect 0 "-l" "$LMZ" -l text.lmz
check "-l shows the original size" grep -qw 3000 out.txt
check "-l shows the compressed size" grep -qw "$size" out.txt
expect 0 "-lv" "$LMZ" -lv text.lmz
check "-lv lists chunks" grep -q "Chunk" out.txt
cat text.lmz one.lmz >two.lmz
expect 0 "-l on concatenated frames" "$LMZ" -l two.lmz
check "-l shows both frames" test "$(grep -c 'two.lmz' out.txt)" = 2
expect 1 "-l on a truncated file" "$LMZ" -lq tst/trunc.lmz
expect 1 "-l on data that is not .lmz" "$LMZ" -lq rand

# ---------------------------------------------------------------------------
# Files that are not files, unwritable outputs, a full disk
# ---------------------------------------------------------------------------

mkdir adir
expect 1 "a directory as input" "$LMZ" -q adir
check "directory: says so" bash -c '"$0" adir 2>&1 | grep -q "directory"' "$LMZ"
expect 1 "output under a regular file (somefile/out.lmz)" "$LMZ" -q -o small/out.lmz one

mkdir full
expect 1 "compress with ulimit -f 1 (file size limit)" bash -c 'ulimit -f 1; exec "$0" -q -o full/r.lmz rand' "$LMZ"
check "ulimit: no output left" absent full/r.lmz
expect 1 "decompress with ulimit -f 1" bash -c 'ulimit -f 1; exec "$0" -dq -o full/t rand.lmz' "$LMZ"
check "ulimit: no decompressed output left" absent full/t
check "ulimit: no temporary left" no_temp full

# ---------------------------------------------------------------------------
# Signals: no partial output, no temporary
# ---------------------------------------------------------------------------

# Background jobs of a script start with SIGINT ignored (and lmz, like gzip,
# leaves an ignored signal ignored): restore the default for the test.
if env --default-signal=INT true 2>/dev/null; then
    SIGDFL=(env --default-signal=INT)
else
    SIGDFL=()
    set -m # job control: background jobs get their own group and SIGINT
fi

# wait_for_temp DIR: waits (up to 30 s) until a temporary appears in DIR.
wait_for_temp() {
    local i
    for i in $(seq 1 300); do
        no_temp "$1" || return 0
        kill -0 "$bg_pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# SIGINT while reading a pipe that stays open: deterministic, lmz is
# waiting for input with its temporary output open.
mkdir sig
mkfifo sig/fifo
"${SIGDFL[@]}" "$LMZ" -q -o sig/in.lmz <sig/fifo &
bg_pid=$!
exec 3>sig/fifo
cat small >&3
if wait_for_temp sig; then started=1; else started=0; fi
kill -INT "$bg_pid" 2>/dev/null
exec 3>&- # EOF: an lmz that ignored the signal finishes (and fails below)
wait "$bg_pid"
rc=$?
bg_pid=
check "SIGINT: lmz was running with a temporary output" test "$started" = 1
check "SIGINT: killed by the signal (exit $rc)" test "$rc" -gt 128
check "SIGINT: no final output" absent sig/in.lmz
check "SIGINT: no temporary left" no_temp sig

# SIGTERM during the compression of a larger file. If lmz was faster than
# the signal, the output must then be complete.
if [ -n "$TESTDATA" ] && [ -r "$TESTDATA/corpus/canterbury/lcet10.txt" ]; then
    head -c 200000 "$TESTDATA/corpus/canterbury/lcet10.txt" >sig/big
else
    for i in $(seq 1 40); do cat text; done >sig/big
fi
"$LMZ" -q sig/big &
bg_pid=$!
wait_for_temp sig
sleep 0.2
kill -TERM "$bg_pid" 2>/dev/null
wait "$bg_pid"
rc=$?
bg_pid=
if [ "$rc" = 0 ]; then
    check "SIGTERM: came too late, the output is complete" bash -c '"$0" -dc sig/big.lmz | cmp -s - sig/big' "$LMZ"
else
    check "SIGTERM: no final output (exit $rc)" absent sig/big.lmz
fi
check "SIGTERM: no temporary left" no_temp sig
check "SIGTERM: source intact" test -f sig/big

# ---------------------------------------------------------------------------
# Triage: where the model cannot pay, the classical coders alone
# (lib/compress/triage.h; the speed is in bench/TRIAGE.md)
# ---------------------------------------------------------------------------

# chunks coded by the model, from -lv's chunk table (column 5: the method)
model_chunks() { "$LMZ" -lv "$1" | awk '$1 ~ /^[0-9]+$/ && ($5 == "lm" || $5 == "lm+mix")' | wc -l; }
mkdir tri
head -c 100000 /dev/zero | tr '\0' a >tri/aaaa
head -c 60000 /dev/urandom | base64 | head -c 80000 >tri/b64
for f in aaaa b64; do
    expect 0 "triage: compress $f" "$LMZ" -qk "tri/$f"
    check "triage: round trip $f" bash -c '"$0" -dc "$1.lmz" | cmp -s - "$1"' "$LMZ" "tri/$f"
    check "triage: $f has no model chunk" test "$(model_chunks "tri/$f.lmz")" = 0
done
z=$(zstd -19 -c -q tri/aaaa | wc -c)
check "triage: 100000 x a within 128 bytes of zstd -19 ($z B)" \
    test "$(wc -c <tri/aaaa.lmz)" -le $((z + 128))
z=$(zstd -19 -c -q tri/b64 | wc -c)
check "triage: random base64 within 1 % of zstd -19 ($z B)" \
    test "$(wc -c <tri/b64.lmz)" -le $((z + z / 100))
expect 0 "triage: short English text" "$LMZ" -qk text -o tri/text.lmz
check "triage: short English text still goes to the model" test "$(model_chunks tri/text.lmz)" = 1

# ---------------------------------------------------------------------------
# Mixed content (doc/format.md 3.1, 3.2): a tar's text coded by the model and
# its headers apart (seg); UTF-16 text coded as UTF-8 (utf16)
# ---------------------------------------------------------------------------

if [ -n "$TESTDATA" ] && [ -r "$TESTDATA/corpus/canterbury/fields.c" ]; then
    mkdir -p mix/t
    cp "$TESTDATA/corpus/canterbury/grammar.lsp" "$TESTDATA/corpus/canterbury/xargs.1" \
        "$TESTDATA/corpus/canterbury/fields.c" mix/t/
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu -cf mix/t.tar -C mix t
    expect 0 "seg: compress a tar of three text files" "$LMZ" -qk mix/t.tar
    check "seg: round trip" bash -c '"$0" -dc "$1.lmz" | cmp -s - "$1"' "$LMZ" mix/t.tar
    check "seg: -lv names the method and its parts" bash -c \
        '"$0" -lv "$1" | grep -q " seg " && "$0" -lv "$1" | grep -q "runs (0 base64): text .*(lm"' "$LMZ" mix/t.tar.lmz
    xzs=$(xz -9e -c mix/t.tar | wc -c)
    check "seg: the tar is 20 % below xz -9e ($xzs B)" test "$(wc -c <mix/t.tar.lmz)" -lt $((xzs * 8 / 10))
    { printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE mix/t/grammar.lsp; } >mix/u16
    expect 0 "utf16: compress UTF-16LE text" "$LMZ" -qk mix/u16
    check "utf16: round trip" bash -c '"$0" -dc "$1.lmz" | cmp -s - "$1"' "$LMZ" mix/u16
    check "utf16: -lv names the method and the byte order" bash -c \
        '"$0" -lv "$1" | grep -q " utf16 " && "$0" -lv "$1" | grep -q "little-endian"' "$LMZ" mix/u16.lmz
    expect 0 "utf16: the UTF-8 file" "$LMZ" -qk mix/t/grammar.lsp -o mix/u8.lmz
    check "utf16: within 1 % + 8 B of the UTF-8 file's size" \
        test "$(wc -c <mix/u16.lmz)" -le $(($(wc -c <mix/u8.lmz) * 101 / 100 + 8))
fi

# ---------------------------------------------------------------------------
# Dictionaries and compact frames (doc/format.md 9, 2.2): log records that
# share their structure; the samples are made here
# ---------------------------------------------------------------------------

mkdir -p dict/s dict/p
for i in $(seq 1 12); do
    for j in $(seq 1 30); do
        printf '2026-11-%02d 0%d:%02d:%02d host=web%d service=nginx status=%d bytes=%d path=/api/v1/items/%d\n' \
            $((i + 1)) $((j % 10)) $((j * 7 % 60)) $((j * 13 % 60)) $((i % 3)) $((200 + (j % 4) * 100)) \
            $((i * 997 + j * 31)) $((i * 100 + j))
    done > dict/s/log$i
done
head -n 12 dict/s/log3 | sed 's/web/app/; s/items/users/' > dict/new.log
expect 2 "--train without samples is a usage error" "$LMZ" --train
expect 1 "--train: samples too small" "$LMZ" --train small -o dict/tiny.lmzd
check "--train: the error says why" grep -q "too small" err.txt
expect 0 "--train twelve log files" "$LMZ" -q --train dict/s/log* -o dict/logs.lmzd
expect 1 "--train: an existing output needs -f" "$LMZ" -q --train dict/s/log* -o dict/logs.lmzd
expect 0 "--train -f --maxdict=20K" "$LMZ" -q -f --train dict/s/log* -o dict/p/small.lmzd --maxdict=20K
check "--maxdict bounds the file" test "$(wc -c <dict/p/small.lmzd)" -le 20480
expect 2 "-D with --fast is a usage error" "$LMZ" -D dict/logs.lmzd --fast -c dict/new.log
expect 1 "-D of a file that is no dictionary" "$LMZ" -D small -c dict/new.log
expect 0 "-D: compress" "$LMZ" -q -D dict/logs.lmzd dict/new.log -o dict/new.d.lmz
expect 0 "compress without a dictionary" "$LMZ" -q -k dict/new.log
check "-D: smaller than without ($(wc -c <dict/new.log.lmz) B)" \
    test "$(wc -c <dict/new.d.lmz)" -lt "$(wc -c <dict/new.log.lmz)"
check "-D: round trip" bash -c '"$0" -D "$1" -dc "$2" | cmp -s - "$3"' "$LMZ" dict/logs.lmzd dict/new.d.lmz dict/new.log
expect 1 "decoding without the dictionary fails" "$LMZ" -dc dict/new.d.lmz
check "... naming what it needs" grep -q "needs the dictionary with sha256" err.txt
expect 1 "decoding with another dictionary fails" "$LMZ" -D dict/p/small.lmzd -dc dict/new.d.lmz
check "LMZ_DICT_PATH finds it" bash -c 'LMZ_DICT_PATH=dict/p:dict "$0" -dc "$1" | cmp -s - "$2"' \
    "$LMZ" dict/new.d.lmz dict/new.log
check "-l marks it, -lv names the dictionary" bash -c \
    '"$0" -l "$1" | grep -q ",dict" && "$0" -lv "$1" | grep -q "dictionary (name not recorded), sha256"' \
    "$LMZ" dict/new.d.lmz
check "a one-chunk file gets the compact header (version 3)" bash -c '"$0" -lv "$1" | grep -q "version 3,"' \
    "$LMZ" dict/new.log.lmz
expect 0 "--no-compact" "$LMZ" -q --no-compact dict/new.log -o dict/new.v1.lmz
check "--no-compact: version 1, ~80 B larger, same content" bash -c \
    '"$0" -lv "$1" | grep -q "version 1," && [ $(wc -c <"$1") -gt $(($(wc -c <"$2") + 60)) ] && "$0" -dc "$1" | cmp -s - "$3"' \
    "$LMZ" dict/new.v1.lmz dict/new.log.lmz dict/new.log

# ---------------------------------------------------------------------------
# Random access: -d --range=START:END decodes only the chunks that hold them
# ---------------------------------------------------------------------------

head -c 10000 "${TESTDATA:-.}/corpus/calgary/paper2" > rng.txt 2>/dev/null || head -c 10000 small > rng.txt
expect 0 "--range: compress in 4 KiB chunks" "$LMZ" -q --chunk-size=4K rng.txt
check "--range=5000:5100 gives those bytes" bash -c \
    '"$0" -dc --range=5000:5100 rng.txt.lmz | cmp -s - <(tail -c +5001 rng.txt | head -c 100)' "$LMZ"
check "--range=9990: gives the tail" bash -c '"$0" -dc --range=9990: rng.txt.lmz | cmp -s - <(tail -c 10 rng.txt)' "$LMZ"
check "--range=:1K gives the head" bash -c '"$0" -dc --range=:1K rng.txt.lmz | cmp -s - <(head -c 1024 rng.txt)' "$LMZ"
check "--range past the end gives nothing" bash -c '[ -z "$("$0" -dc --range=20000:30000 rng.txt.lmz)" ]' "$LMZ"
expect 2 "--range with -z is a usage error" "$LMZ" -c --range=1:2 rng.txt
expect 2 "--range=5:2 is a usage error" "$LMZ" -dc --range=5:2 rng.txt.lmz
expect 1 "--range on a pipe is an error" bash -c 'cat rng.txt.lmz | "$0" -dc --range=1:2' "$LMZ"

# ---------------------------------------------------------------------------

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
