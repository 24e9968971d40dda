#!/bin/bash
# tests/cli/lossy_test.sh — `lmz --lossy=N` end to end with a tiny model:
#   every level writes a frame that the plain decoder reads, flagged lossy,
#   whose report `lmz -l` shows; level 0 is lossless; planted numbers, names
#   and negations survive; --rewriter with tests/fixtures/rewrite.sh (kept when
#   the check passes, refused when it changes a number); usage errors; an
#   existing output is not overwritten and nothing is left on failure.
#
#   lossy_test.sh LMZ MKMODEL SRCDIR
set -u
LMZ=$1 MKMODEL=$2 SRC=$3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }
"$MKMODEL" "$T/tiny.gguf" 5 >/dev/null || { echo "mkmodel failed" >&2; exit 1; }
export LMZ_MODEL=$T/tiny.gguf

cat > "$T/in.txt" <<'TXT'
The  committee met on 3 May 2021 in Geneva and did not approve the budget
of $4,250,000 for the year.   It was very late, and the members were quite tired.

Dr. Ada Byrne said "we will never sign this" at 10:45 and left the room.
Nobody knew why the colour of the walls had changed (it was 12 years old).

.pp
Contact: ops@example.org or https://example.org/budget for the 2021 report.
TXT

for L in 1 2 3 4 5; do
    # --lossy-always: the lossy frames even where the lossless ones are smaller (below)
    if "$LMZ" -q -T1 --lossy=$L --lossy-always -o "$T/out$L.lmz" "$T/in.txt"; then ok; else bad "level $L failed"; continue; fi
    "$LMZ" -dc "$T/out$L.lmz" > "$T/dec$L" 2>/dev/null && ok || bad "level $L: plain decoder failed"
    "$LMZ" -t "$T/out$L.lmz" 2>/dev/null && ok || bad "level $L: -t failed"
    "$LMZ" -l "$T/out$L.lmz" > "$T/list$L" || bad "level $L: -l failed"
    grep -q 'lm.*lossy\|stored,lossy\|lossy' "$T/list$L" && ok || bad "level $L: not flagged lossy in -l"
    grep -q 'protected-recall=1.000000' "$T/list$L" && ok || bad "level $L: report missing or recall < 1"
    grep -q 'protected-added=0' "$T/list$L" && ok || bad "level $L: protected items added"
    grep -q "level=$L" "$T/list$L" && ok || bad "level $L: level not in the report"
    if [ $L -le 3 ]; then # nothing dropped: every planted item is there
        for w in '3 May 2021' 'Geneva' 'did not approve' '$4,250,000' '"we will never sign this"' '10:45' \
                 'Nobody' '12 years' 'ops@example.org' 'https://example.org/budget' '.pp'; do
            grep -qF -- "$w" "$T/dec$L" && ok || bad "level $L: lost [$w]"
        done
    fi
done
# level 1: white space canonical, one line per paragraph
grep -q 'The committee met on 3 May 2021 in Geneva and did not approve the budget of \$4,250,000 for the year. It was' "$T/dec1" \
    && ok || bad "level 1 text: $(head -2 "$T/dec1")"
# by default, levels 1-3 write whichever is smaller: on this short text the
# report costs more than the edits save, so the output is the lossless frame
"$LMZ" -T1 --lossy=2 -o "$T/def2.lmz" "$T/in.txt" 2>"$T/err" && ok || bad "level 2 (default) failed"
grep -q 'written losslessly' "$T/err" && ok || bad "level 2: no message for the lossless output: $(cat "$T/err")"
"$LMZ" -q -T1 -o "$T/ll.lmz" "$T/in.txt" && cmp -s "$T/def2.lmz" "$T/ll.lmz" && ok || bad "level 2 output is not the lossless frame"
[ $(stat -c %s "$T/def2.lmz") -lt $(stat -c %s "$T/out2.lmz") ] && ok || bad "the lossless frame is not the smaller"
"$LMZ" -l "$T/def2.lmz" | grep -q lossy && bad "lossless output flagged lossy" || ok
"$LMZ" -dc "$T/def2.lmz" | cmp -s - "$T/in.txt" && ok || bad "level 2 (lossless output) does not decode to the input"
"$LMZ" --lossy-always "$T/in.txt" 2>/dev/null; [ $? = 2 ] && ok || bad "--lossy-always without --lossy"
# level 0 is lossless
"$LMZ" -q -T1 --lossy=0 -o "$T/out0.lmz" "$T/in.txt" && "$LMZ" -dc "$T/out0.lmz" | cmp -s - "$T/in.txt" && ok || bad "level 0 not lossless"
"$LMZ" -l "$T/out0.lmz" | grep -q lossy && bad "level 0 flagged lossy" || ok
# rewriter: a real command
"$LMZ" -q -T1 --lossy=1 --lossy-always --rewriter="$SRC/tests/fixtures/rewrite.sh" -o "$T/rw.lmz" "$T/in.txt" && ok || bad "rewriter run failed"
"$LMZ" -l "$T/rw.lmz" | grep -q 'rewriter=' && ok || bad "rewriter line missing from the report"
"$LMZ" -dc "$T/rw.lmz" > "$T/rw.txt" && grep -qF '12 years' "$T/rw.txt" && grep -qF '$4,250,000' "$T/rw.txt" && ok \
    || bad "rewriter lost a protected item"
REWRITE_BREAK=1 "$LMZ" -q -T1 --lossy=1 --lossy-always --rewriter="$SRC/tests/fixtures/rewrite.sh" -o "$T/rwb.lmz" "$T/in.txt" && ok || bad "breaking rewriter run failed"
"$LMZ" -l "$T/rwb.lmz" | grep -q 'rewriter=0 kept' && ok || bad "a rewrite changing numbers was kept"
"$LMZ" -dc "$T/rwb.lmz" | grep -qF '$4,250,000' && ok || bad "breaking rewriter changed a number"
"$LMZ" -q -T1 --lossy=1 --lossy-always --rewriter=false -o "$T/rwf.lmz" "$T/in.txt" && ok || bad "a failing rewriter must not fail lmz"
# usage errors (exit 2) and refusals
"$LMZ" --lossy=7 "$T/in.txt" 2>/dev/null; [ $? = 2 ] && ok || bad "--lossy=7 not a usage error"
"$LMZ" --min-fidelity=0.5 "$T/in.txt" 2>/dev/null; [ $? = 2 ] && ok || bad "--min-fidelity without --lossy"
"$LMZ" --lossy=2 --min-fidelity=2 "$T/in.txt" 2>/dev/null; [ $? = 2 ] && ok || bad "--min-fidelity=2 accepted"
"$LMZ" -d --lossy=2 "$T/out2.lmz" 2>/dev/null; [ $? = 2 ] && ok || bad "-d --lossy accepted"
head -c 3000 /dev/urandom > "$T/bin"
"$LMZ" -q --lossy=2 -o "$T/bin.lmz" "$T/bin" 2>"$T/err"; [ $? = 1 ] && ok || bad "binary input accepted"
grep -q 'text' "$T/err" && ok || bad "binary input: unclear message: $(cat "$T/err")"
[ ! -e "$T/bin.lmz" ] && ok || bad "output left behind after a failure"
ls -a "$T" | grep -q '^\.bin' && bad "temporary left behind" || ok
# an existing output is not overwritten without -f
echo keep > "$T/exists.lmz"
"$LMZ" -q --lossy=1 -o "$T/exists.lmz" "$T/in.txt" 2>/dev/null; [ $? = 1 ] && ok || bad "overwrote without -f"
grep -qx keep "$T/exists.lmz" && ok || bad "existing file changed"
echo "lossy_test: $pass passed, $fail failed"
[ $fail = 0 ]
