#!/usr/bin/env bash
# bench/cluster.sh — lmz.cluster (python/lmz/cluster.py, doc/cluster.md)
# against a single lmz process, on this machine: writes bench/cluster.md.
#
#   bench/cluster.sh                    the full run: 4,000,000 bytes of text
#   BENCH_BYTES=200000 MODEL=tiny.gguf OUT=/tmp/cluster.md RANGE=0 bench/cluster.sh
#                                       a smoke run (small input, another model,
#                                       without the random-access section)
#
# The input: the Canterbury and Calgary text files that are in the
# repository (testdata/corpus/), in the order of bench/text10m.txt,
# concatenated and repeated from the start until BENCH_BYTES, then cut
# there (they hold 3,597,143 bytes; the repeated files start more than
# 3.5 MB after their first copy, in other chunks, which lmz codes
# independently, so the repetition helps no chunk). Its SHA-256 goes into
# the report (and must match the line below for the full size).
#
# Timed, wall clock, each a whole command as a user runs it (the cluster
# rows include starting the local cluster):
#   compress:   build/lmz -T$LMZ_THREADS -c; lmz.cluster compress with 1, 2
#               (and, when nproc > 2, 4, 8 ... nproc) local workers of one
#               thread each;
#   decompress: build/lmz -d -T$LMZ_THREADS of lmz's own output, and
#               lmz.cluster decompress with 2 workers of the cluster's output.
# Checked: both decoded outputs equal the input; every cluster output is
# byte-identical to the others (so all of them decode to the input).
#
# With the default model at the default level, a full run takes about
# 1.5 hours on 2 cores (compression ~8 KB/s, decompression ~2 KB/s there).
set -euo pipefail
LEVEL=${LEVEL:-6}                  # compression level, both tools
PART=${PART:-1M}                   # lmz.cluster --part-size
BENCH_BYTES=${BENCH_BYTES:-4000000}
MODEL=${MODEL:-}                   # a GGUF path; empty: the embedded default model
LMZ_THREADS=${LMZ_THREADS:-2}      # threads of the single lmz process
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
OUT=${OUT:-$here/cluster.md}
PY=/usr/bin/python3                # Debian's, with python3-distributed (`python3` may be a pyenv shim)
lmz=${LMZ:-$root/build/lmz}
full_sha=b26dccceaf84e204f961821bc4f0646c173f56af420f444f311a9e8e7f29aa01  # of the 4,000,000-byte input

[ -x "$lmz" ] || { echo "cluster.sh: $lmz not built (run make)" >&2; exit 1; }
[ -f "$root/build/liblmz.so" ] || { echo "cluster.sh: build/liblmz.so not built (run make)" >&2; exit 1; }
"$PY" -c 'import distributed' 2>/dev/null || { echo "cluster.sh: $PY lacks dask.distributed (apt install python3-distributed)" >&2; exit 1; }
export PYTHONPATH=$root/python${PYTHONPATH:+:$PYTHONPATH}
model_opt=()
[ -n "$MODEL" ] && model_opt=(--model "$MODEL")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- the input
files=()
while read -r f; do
    case $f in ''|'#'*) continue ;; esac
    [ -f "$root/testdata/corpus/$f" ] && files+=("$root/testdata/corpus/$f")
done < "$here/text10m.txt"
in=$tmp/input
total=$(cat "${files[@]}" | wc -c)
for _ in $(seq $(( (BENCH_BYTES + total - 1) / total ))); do cat "${files[@]}"; done > "$tmp/all"
head -c "$BENCH_BYTES" "$tmp/all" > "$in"
size=$(stat -c %s "$in")
sha=$(sha256sum "$in" | cut -d' ' -f1)
[ "$size" = "$BENCH_BYTES" ] || { echo "cluster.sh: input is $size bytes, not $BENCH_BYTES" >&2; exit 1; }
if [ "$BENCH_BYTES" = 4000000 ] && [ "$sha" != "$full_sha" ]; then
    echo "cluster.sh: input sha256 $sha, expected $full_sha" >&2
    exit 1
fi

workers="1 2"
n=4
while [ "$n" -le "$(nproc)" ]; do workers+=" $n"; n=$((n * 2)); done
[ "$(nproc)" -gt 2 ] && ! [[ " $workers " == *" $(nproc) "* ]] && workers+=" $(nproc)"

now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
cluster() { "$PY" -m lmz.cluster "$@"; }
load0=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- compression
t0=$(now)
"$lmz" -q -T"$LMZ_THREADS" -"$LEVEL" "${model_opt[@]}" -c "$in" > "$tmp/a.lmz"
a_c=$(secs "$t0" "$(now)")
echo "lmz -T$LMZ_THREADS -c: $a_c s" >&2
declare -A c_s
first=
for w in $workers; do
    t0=$(now)
    cluster compress --workers "$w" --part-size "$PART" -"$LEVEL" "${model_opt[@]}" -o "$tmp/c$w.lmz" "$in"
    c_s[$w]=$(secs "$t0" "$(now)")
    echo "lmz.cluster compress, $w workers: ${c_s[$w]} s" >&2
    if [ -z "$first" ]; then
        first=$w
    else
        cmp -s "$tmp/c$first.lmz" "$tmp/c$w.lmz" || { echo "cluster.sh: $w workers wrote other bytes than $first" >&2; exit 1; }
    fi
done

# ---- decompression (each tool of its own output), compared with the input
t0=$(now)
"$lmz" -q -T"$LMZ_THREADS" -d "${model_opt[@]}" -c "$tmp/a.lmz" > "$tmp/a.out"
a_d=$(secs "$t0" "$(now)")
cmp -s "$tmp/a.out" "$in" || { echo "cluster.sh: lmz -d did not give the input back" >&2; exit 1; }
echo "lmz -T$LMZ_THREADS -d: $a_d s" >&2
t0=$(now)
cluster decompress --workers 2 --part-size "$PART" "${model_opt[@]}" -o "$tmp/c.out" "$tmp/c$first.lmz"
c_d=$(secs "$t0" "$(now)")
cmp -s "$tmp/c.out" "$in" || { echo "cluster.sh: lmz.cluster decompress did not give the input back" >&2; exit 1; }
echo "lmz.cluster decompress, 2 workers: $c_d s" >&2
load1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report
a_size=$(stat -c %s "$tmp/a.lmz")
c_size=$(stat -c %s "$tmp/c$first.lmz")
part_bytes=$("$PY" -c 'import sys, lmz.cluster as c; print(c.parse_size(sys.argv[1]))' "$PART")
nparts=$(( (size + part_bytes - 1) / part_bytes ))
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
fam=$(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512f|avx512bw|avx512vl|avx512_vnni|avx_vnni)$' | tr '\n' ' ')
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain -- python lib programs include 2>/dev/null | grep -q . && echo ", with uncommitted changes" || true)
model_desc="model ${MODEL:-lmz-base (embedded)}"
s1() { printf '%.1f' "$1"; }
kbs() { printf '%.2f' "$(echo "scale=6; $size / $1 / 1000" | bc)"; }
bpb() { printf '%.4f' "$(echo "scale=6; 8 * $1 / $size" | bc)"; }
{
    echo "# lmz.cluster: parts on Dask workers against one lmz process"
    echo
    echo "Generated by \`bench/cluster.sh\` ($(date -u +%Y-%m-%d), commit $commit$dirty)"
    echo "on $cpu (family $fam; $flags), $(nproc) CPUs; load average before: $load0, after: $load1."
    echo "Input: $size bytes of Canterbury and Calgary text (testdata/corpus, in the order of"
    echo "\`bench/text10m.txt\`, repeated from the start and cut at $size bytes), sha256 \`$sha\`."
    echo "Level $LEVEL, $model_desc; lmz.cluster: parts of $PART ($nparts parts), local workers of one"
    echo "thread each (\`--workers N\`), every output byte-identical whatever the number of workers."
    echo "Times are wall clock of the whole command (the cluster rows include starting the"
    echo "local cluster); KB/s are 1000 bytes of the input per second."
    echo
    echo "| compression | cores used | seconds | KB/s | bytes out | bits/byte |"
    echo "|:------------|-----------:|--------:|-----:|----------:|----------:|"
    echo "| \`lmz -T$LMZ_THREADS -c\` | $LMZ_THREADS | $(s1 "$a_c") | $(kbs "$a_c") | $a_size | $(bpb "$a_size") |"
    for w in $workers; do
        echo "| \`lmz.cluster compress --workers $w\` | $w | $(s1 "${c_s[$w]}") | $(kbs "${c_s[$w]}") | $c_size | $(bpb "$c_size") |"
    done
    echo
    echo "| decompression (of the tool's own output) | cores used | seconds | KB/s | output = input |"
    echo "|:------------|-----------:|--------:|-----:|:--------------:|"
    echo "| \`lmz -T$LMZ_THREADS -d\` | $LMZ_THREADS | $(s1 "$a_d") | $(kbs "$a_d") | yes |"
    echo "| \`lmz.cluster decompress --workers 2\` | 2 | $(s1 "$c_d") | $(kbs "$c_d") | yes |"
    echo
    echo "The cluster's output differs from lmz's by $(printf '%+d' $((c_size - a_size))) bytes ($(printf '%+.3f' "$(echo "scale=6; 100 * ($c_size - $a_size) / $a_size" | bc)") %): each"
    echo "part is coded alone (its own frames, its last chunk ending at the part's end), where one"
    echo "lmz process cuts frames of 16 chunks along the whole input (doc/cluster.md, \"Part size\")."
} > "$OUT"
# Random access, the CLI's --range and the Python file object's seek(), by
# bench/range.sh (1 KB from the middle of a 1 MB text, default model; it
# also rewrites bench/RANGE.md). RANGE=0 skips it (smoke runs).
if [ "${RANGE:-1}" != 0 ]; then
    bash "$here/range.sh" "$lmz" > /dev/null
    {
        echo
        echo "## Random access (bench/range.sh, the same binary)"
        echo
        tail -n +3 "$here/RANGE.md"
    } >> "$OUT"
fi
cat "$OUT"
