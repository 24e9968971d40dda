#!/usr/bin/env bash
# bench/device_corpus.sh — the corpus through the model on a machine with many
# cores (the 2-core development machine codes about 1 KB/s: silesia/xml alone
# would take hours there). Builds nothing: it runs the payload build-dev/
# (bench/device_prepare.sh) on the copy of the corpus in devdata/
# (bench/device_prepare.sh --corpus), at the repository root of a copy of
# this tree.
#
#   bash bench/device_corpus.sh          (carry build-dev/ and devdata/)
#
# Files larger than DK_PIECE bytes are cut at multiples of DK_PIECE (1 MiB =
# 16 chunks of 64 KiB: one frame's input) into pieces, and every piece is
# compressed by its own `lmz` process, DK_JOBS processes at a time with
# -T$DK_T each. The .lmz of the pieces, concatenated in order, is one valid
# .lmz of the whole file (frames are independent; lmz -d decodes a
# concatenation), and its size is the size reported: what
# `split -b 1M; lmz; cat` gives, within a few hundred bytes of one `lmz` run
# (the chunk cuts near each 1 MiB boundary differ).
# Each piece is then decompressed and compared with its input (the round
# trip) by the same process slot, as long as the budget lasts; a file's round
# trip is "ok" only when every piece came back identical.
#
# Order: devdata/ORDER (one path per line, relative to devdata/), else every
# file under devdata/ by name.
# Output ($OUT, default ./device-out):
#   corpus.tsv  path bytes lmz_bytes bpb comp_s dec_s peak_rss_kib pieces roundtrip
#               (comp_s/dec_s: wall seconds of the slowest piece, pieces run
#               side by side; roundtrip ok | FAIL | partial k/n | not run)
#   pieces.tsv  one line per piece and step
#   corpus.log  this output
# Env: DK_BUDGET (seconds, 450), DK_JOBS (nproc/3), DK_T (3), DK_PIECE
# (1048576), DK_SIMD (LMZ_SIMD for every run, default: lmz's own choice),
# DK_DEV (build-dev), DK_DATA (devdata).
set -u
. "$(dirname "$0")/device_env.sh"

budget=${DK_BUDGET:-450}
ncpu=$(nproc)
jobs=${DK_JOBS:-$((ncpu / 3 > 0 ? ncpu / 3 : 1))}
thr=${DK_T:-3}
piece=${DK_PIECE:-1048576}
dev=${DK_DEV:-build-dev}
data=${DK_DATA:-devdata}
lmz=$root/$dev/bin/lmz
device_payload "$dev"
[ -n "${DK_SIMD:-}" ] && export LMZ_SIMD=$DK_SIMD
# timed STATS CMD...: CMD's wall seconds and peak RSS (KiB) into STATS
if [ -x /usr/bin/time ] && /usr/bin/time -f '%e %M' true 2> /dev/null; then
    timed() { local o=$1; shift; /usr/bin/time -f '%e %M' -o "$o" "$@"; }
else
    timed() {
        python3 -c '
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[2:])
open(sys.argv[1], "w").write("%.2f %d\n" % (time.monotonic() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc)' "$@"
    }
fi
t0=$(date +%s)
left() { echo $((budget - ($(date +%s) - t0))); }

main() {
    [ -x "$lmz" ] || { echo "FAIL: $lmz missing (bench/device_prepare.sh, carry $dev/)"; return 2; }
    [ -d "$data" ] || { echo "FAIL: $data/ missing (bench/device_prepare.sh --corpus, carry $data/)"; return 2; }
    echo "lmz corpus run, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), budget ${budget}s, $jobs processes x -T$thr, pieces of $piece bytes"
    "$lmz" -V | head -1
    echo "kernels: $("$lmz" -v -V | sed -n 's/^kernels: //p'); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $ncpu cores"
    local tmp files=() f
    tmp=$(mktemp -d)
    if [ -f "$data/ORDER" ]; then
        while read -r f; do [ -n "$f" ] && files+=("$f"); done < "$data/ORDER"
    else
        while read -r f; do files+=("${f#"$data"/}"); done < <(find "$data" -type f ! -name ORDER | sort)
    fi

    # ---- pieces ---------------------------------------------------------------
    local n i k p pieces=()
    for f in "${files[@]}"; do
        n=$(stat -c %s "$data/$f")
        k=$(((n + piece - 1) / piece))
        [ "$k" -lt 1 ] && k=1
        # the last piece takes a short tail (< piece/4) rather than being tiny
        if [ "$k" -gt 1 ] && [ $((n - (k - 1) * piece)) -lt $((piece / 4)) ]; then k=$((k - 1)); fi
        for ((i = 0; i < k; i++)); do
            p=$tmp/$(echo "$f" | tr / _).$i
            if [ "$i" = $((k - 1)) ]; then
                tail -c +$((i * piece + 1)) "$data/$f" > "$p"
            else
                tail -c +$((i * piece + 1)) "$data/$f" | head -c "$piece" > "$p"
            fi
            pieces+=("$f|$i|$k|$p")
        done
    done
    echo "${#files[@]} files, ${#pieces[@]} pieces"
    printf 'path\tpiece\tstep\tstatus\tseconds\tpeak_rss_kib\tbytes_in\tbytes_out\n' > "$OUT/pieces.tsv"

    # one step of one piece, under the budget; appends a line to pieces.tsv
    step() {
        local f=$1 i=$2 p=$3 what=$4 t rc st=- s=- m=-
        t=$(left)
        [ "$t" -lt 5 ] && { printf '%s\t%s\t%s\tnot run\t-\t-\t-\t-\n' "$f" "$i" "$what" >> "$OUT/pieces.tsv"; return; }
        if [ "$what" = c ]; then
            timeout -k 5 "$t" bash -c "$(declare -f timed); timed \"\$@\"" _ "$p.tc" "$lmz" -q -f -T"$thr" -o "$p.lmz" "$p" 2> "$p.err"
            rc=$?
            case $rc in 0) st=ok ;; 124 | 137) st=timeout ;; *) st="exit $rc" ;; esac
            read -r s m < "$p.tc" 2> /dev/null
            printf '%s\t%s\tc\t%s\t%s\t%s\t%s\t%s\n' "$f" "$i" "$st" "${s:--}" "${m:--}" "$(stat -c %s "$p")" \
                "$([ -f "$p.lmz" ] && stat -c %s "$p.lmz" || echo -)" >> "$OUT/pieces.tsv"
        else
            [ -f "$p.lmz" ] || { printf '%s\t%s\td\tno input\t-\t-\t-\t-\n' "$f" "$i" >> "$OUT/pieces.tsv"; return; }
            timeout -k 5 "$t" bash -c "$(declare -f timed); timed \"\$@\"" _ "$p.td" "$lmz" -d -q -f -T"$thr" -o "$p.out" "$p.lmz" 2> "$p.err"
            rc=$?
            if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then st=timeout; elif [ "$rc" != 0 ]; then st="exit $rc"; elif cmp -s "$p.out" "$p"; then st=ok; else st=DIFFERS; fi
            read -r s m < "$p.td" 2> /dev/null
            printf '%s\t%s\td\t%s\t%s\t%s\t%s\t%s\n' "$f" "$i" "$st" "${s:--}" "${m:--}" "$(stat -c %s "$p.lmz")" \
                "$([ -f "$p.out" ] && stat -c %s "$p.out" || echo -)" >> "$OUT/pieces.tsv"
            rm -f "$p.out"
        fi
        [ -s "$p.err" ] && sed "s|^|  $f/$i $what: |" "$p.err"
    }

    # each piece: compress, then decompress and compare; DK_JOBS pieces at a time
    local e f i k p
    echo "== pieces [t=$(($(date +%s) - t0))s]"
    for e in "${pieces[@]}"; do
        IFS='|' read -r f i k p <<< "$e"
        while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
        { step "$f" "$i" "$p" c; step "$f" "$i" "$p" d; echo "  $f piece $i/$k done [t=$(($(date +%s) - t0))s]"; } &
    done
    wait

    # ---- per file -----------------------------------------------------------
    echo "== per file [t=$(($(date +%s) - t0))s]"
    printf 'path\tbytes\tlmz_bytes\tbpb\tcomp_s\tdec_s\tpeak_rss_kib\tpieces\troundtrip\n' > "$OUT/corpus.tsv"
    for f in "${files[@]}"; do
        awk -F'\t' -v f="$f" -v n="$(stat -c %s "$data/$f")" '
            $1 == f && $3 == "c" { np++; if ($4 == "ok") { c++; out += $8; if ($5 > cs) cs = $5; if ($6 > rss) rss = $6 } }
            $1 == f && $3 == "d" { if ($4 == "ok") { d++; if ($5 > ds) ds = $5; if ($6 > rss) rss = $6 } else if ($4 != "not run" && $4 != "no input" && $4 != "timeout") bad++ }
            END {
                rt = bad ? "FAIL" : (d == np ? "ok" : (d ? "partial " d "/" np : "not run"))
                if (c == np) printf "%s\t%d\t%d\t%.4f\t%s\t%s\t%s\t%d\t%s\n", f, n, out, out * 8 / n, cs, (d == np ? ds : "-"), rss, np, rt
                else printf "%s\t%d\t-\t-\t-\t-\t-\t%d\tcompressed %d/%d\n", f, n, np, c, np
            }' "$OUT/pieces.tsv" >> "$OUT/corpus.tsv"
    done
    column -t -s $'\t' "$OUT/corpus.tsv"
    rm -rf "$tmp"
    if grep -q -P '\t(DIFFERS|exit [0-9]+)\t' "$OUT/pieces.tsv"; then echo "RESULT: FAIL (see pieces.tsv)"; return 1; fi
    echo "RESULT: no failure in $(($(date +%s) - t0))s (rows not run: budget)"
}

main 2>&1 | tee "$OUT/corpus.log"
exit "${PIPESTATUS[0]}"
