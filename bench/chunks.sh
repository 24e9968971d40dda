#!/usr/bin/env bash
# bench/chunks.sh [FILE] — the chunk-size trade-off: each chunk starts cold
# (BOS, empty context), which costs ratio, but chunks are what decompression
# runs side by side (one batch row each), which buys speed. Compresses FILE
# (default: calgary/paper2) with several chunk sizes (CHUNK_SIZES="8192 ...")
# and writes bench/chunks.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lmz=${LMZ:-$here/../build/lmz}
f=${1:-$here/../testdata/corpus/calgary/paper2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bytes=$(stat -c %s "$f")
{
    echo "# Chunk size: ratio against decode parallelism"
    echo
    echo "\`bench/chunks.sh\` on $(basename "$f") ($bytes bytes), -T2, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(date -u +%Y-%m-%d)."
    echo
    echo "| chunk size | chunks | bits/byte | compress s | decompress s | decompress KB/s |"
    echo "|---|---|---|---|---|---|"
    for cs in ${CHUNK_SIZES:-8192 16384 32768 65536 1048576}; do
        /usr/bin/time -f %e -o "$tmp/ct" "$lmz" -q -T2 --chunk-size=$cs -c "$f" > "$tmp/c"
        /usr/bin/time -f %e -o "$tmp/dt" "$lmz" -q -T2 -d -c "$tmp/c" > "$tmp/d"
        cmp -s "$tmp/d" "$f" || { echo "round trip failed at $cs" >&2; exit 1; }
        n=$("$lmz" -l "$tmp/c" | awk 'NR>1 {s+=$2} END {print s}')
        awk -v cs=$cs -v n=$n -v sz=$(stat -c %s "$tmp/c") -v b=$bytes -v ct=$(cat "$tmp/ct") -v dt=$(cat "$tmp/dt") \
            'BEGIN { printf "| %d KiB | %d | %.3f | %.0f | %.0f | %.2f |\n", cs/1024, n, 8*sz/b, ct, dt, b/1024/dt }'
    done
} > "$here/chunks.md.tmp"
mv "$here/chunks.md.tmp" "$here/chunks.md"
cat "$here/chunks.md"
