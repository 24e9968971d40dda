#!/usr/bin/env bash
# bench/range.sh — random access (issue #19, item 2): 1 KB from the middle
# of a 1 MB text, `lmz -d --range` against a full decode. The text: book1
# and book2 of the Calgary corpus, the first 1,000,000 bytes. The same
# through the Python package: lmz.open(...).seek(500000).read(1000), over the
# library next to LMZ (PYTHON: Debian's /usr/bin/python3). Writes
# bench/RANGE.md.
#   bench/range.sh [LMZ]
set -euo pipefail
cd "$(dirname "$0")/.."
LMZ=$(realpath "${1:-build/lmz}")
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cat testdata/corpus/calgary/book1 testdata/corpus/calgary/book2 > "$W/both"
head -c 1000000 "$W/both" > "$W/in"
ms() { echo $(( $(date +%s%N) / 1000000 )); }
t0=$(ms); "$LMZ" -q -T2 -c "$W/in" > "$W/in.lmz"; t1=$(ms)
"$LMZ" -q -T2 -dc --range=500000:501000 "$W/in.lmz" > "$W/r"; t2=$(ms)
"$LMZ" -q -T2 -dc "$W/in.lmz" > "$W/out"; t3=$(ms)
PYTHON=${PYTHON:-/usr/bin/python3}
LMZ_LIBRARY=$(dirname "$LMZ")/liblmz.so PYTHONPATH=$PWD/python "$PYTHON" -c '
import sys, lmz
with lmz.open(sys.argv[1], threads=2) as f:
    f.seek(500000)
    sys.stdout.buffer.write(f.read(1000))' "$W/in.lmz" > "$W/p"; t4=$(ms)
full_ok=no range_ok=no py_ok=no
cmp -s "$W/out" "$W/in" && full_ok=yes
cmp -s "$W/r" <(tail -c +500001 "$W/in" | head -c 1000) && range_ok=yes
cmp -s "$W/p" "$W/r" && [ "$range_ok" = yes ] && py_ok=yes
chunks=$("$LMZ" -lv "$W/in.lmz" | grep -c ' lm' || true)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
{
echo "# Random access (bench/range.sh)"
echo
echo "Generated on $(date -u +%Y-%m-%d), $cpu, $(nproc) vCPUs, lmz tree $(git rev-parse --short HEAD 2>/dev/null || echo '?'), \`-T2\`."
echo "Input: the first 1,000,000 bytes of Calgary book1 + book2; $(stat -c %s "$W/in.lmz") bytes compressed ($chunks model-coded chunks)."
echo
echo "| what | time | output |"
echo "|---|---:|---|"
echo "| compress | $(( (t1 - t0) / 1000 )).$(( (t1 - t0) % 1000 / 100 )) s | |"
echo "| \`lmz -d --range=500000:501000\` (1 KB from the middle: one chunk decoded) | $(( (t2 - t1) / 1000 )).$(( (t2 - t1) % 1000 / 100 )) s | equal to the input's bytes 500000-500999: $range_ok |"
echo "| Python: \`lmz.open(f).seek(500000)\`, \`read(1000)\` | $(( (t4 - t3) / 1000 )).$(( (t4 - t3) % 1000 / 100 )) s | the same bytes: $py_ok |"
echo "| full decode | $(( (t3 - t2) / 1000 )).$(( (t3 - t2) % 1000 / 100 )) s | equal to the input: $full_ok |"
} > bench/RANGE.md
cat bench/RANGE.md
