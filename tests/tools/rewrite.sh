#!/bin/sh
# tests/tools/rewrite.sh — a deterministic stand-in for an instruct model,
# for `lmz --lossy=N --rewriter=tests/tools/rewrite.sh` (doc/lossy.md).
#
# Reads one paragraph on stdin, writes a shorter one on stdout: drops filler
# words (very, really, quite, just, actually, basically, simply), drops
# parenthetical asides "( ... )" and squeezes white space. lmz verifies the
# result (protected spans, semantic similarity) and keeps the original
# paragraph when the check fails, e.g. when an aside held a number.
#
# With REWRITE_BREAK=1 it instead replaces every digit by 9 (a rewrite that
# changes a number: lmz must refuse it).
if [ "${REWRITE_BREAK:-0}" = 1 ]; then
    exec tr '0-8' '9'
fi
exec sed -E \
    -e 's/ \([^()]*\)//g' \
    -e 's/ (very|really|quite|just|actually|basically|simply)( |,|\.)/\2/g' \
    -e 's/  +/ /g'
