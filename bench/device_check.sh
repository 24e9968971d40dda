#!/usr/bin/env bash
# bench/device_check.sh — checks the AVX-512 VNNI kernels on a machine that
# has them, ONCE, at the repository root of a copy of this tree. Builds
# nothing: it runs the payload build-dev/ made by bench/device_prepare.sh
# (binaries + the shared libraries they need), so the machine needs neither
# the -dev packages nor internet, nor anything outside the tree.
#
#   bash bench/device_check.sh          (carry build-dev/ with the tree)
#
# Steps, each under `timeout`, all within DC_BUDGET seconds:
#  1. CPU: model name, the flags that matter, cores.
#  2. test_kernels: every kernel path vs the scalar reference (avx512 must be
#     tested, not skipped, when the CPU has avx512f/bw/vl/vnni).
#  3. kernels_bench: GMAC/s of each path (one core).
#  4. Determinism: the first DC_SMALL_KB KB of doc/robustness.md compressed
#     with LMZ_SIMD=scalar, avx2, avx512 at each of -T$DC_THREADS: every .lmz
#     byte-identical; decoded with each path: identical to the input.
#  5. Speed: a text of DC_BIG_KB KB (the repo's documentation) compressed and
#     decompressed with avx512 -T16, avx2 -T16, avx512 -T2: KB/s, peak RSS
#     (the input is cut where the remaining budget requires; said so).
# Output: $OUT/device_check.log (OUT defaults to ./device-out).
# Exit status: 0 every equality check passed; 1 a check failed (output
# differs, decode differs, test_kernels failed, avx512 present but not run);
# 2 the payload is missing or does not run.
#
# Env: DC_BUDGET (330 s), DC_SMALL_KB (20), DC_BIG_KB (120), DC_THREADS
# ("1 4 16"), DC_BIG_THREADS ("16" then 2 for avx512), DC_CHUNK (4096, chunk
# size of the determinism runs: several chunks, so decoding runs batches),
# DC_BENCH_TIME (0.3 s per kernel figure), DC_DEV (build-dev).
set -u
. "$(dirname "$0")/device_env.sh"
log=$OUT/device_check.log

budget=${DC_BUDGET:-330}
small_kb=${DC_SMALL_KB:-20}
big_kb=${DC_BIG_KB:-120}
threads=${DC_THREADS:-1 4 16}
big_t=${DC_BIG_THREADS:-16}
chunk=${DC_CHUNK:-4096}
dev=${DC_DEV:-build-dev}
bin=$root/$dev/bin
device_payload "$dev"
lmz=$bin/lmz

t_start=$(date +%s)
elapsed() { echo $(($(date +%s) - t_start)); }
left() { echo $((budget - $(elapsed))); }
# step timeout: the wanted seconds, capped by what is left of the budget
# (keeping `reserve` seconds for the steps after it); 0 = no time left
cap() {
    local want=$1 reserve=${2:-10} l
    l=$(($(left) - reserve))
    [ "$l" -lt "$want" ] && want=$l
    [ "$want" -lt 1 ] && want=0
    echo "$want"
}

fails=0 notes=()
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
note() { echo "NOTE: $*"; notes+=("$*"); }
section() { echo; echo "== $* [t=$(elapsed)s]"; }

# run_timed SECONDS STATS CMD... : runs CMD under timeout; STATS gets
# "seconds peak_rss_kib" (peak "-" where it cannot be measured). Returns
# CMD's status (124 when it timed out).
if [ -x /usr/bin/time ] && /usr/bin/time -f '%e %M' true 2> /dev/null; then
    rss_tool=time
elif command -v python3 > /dev/null; then
    rss_tool=python3
else
    rss_tool=none
fi
run_timed() {
    local t=$1 stats=$2
    shift 2
    [ "$t" -ge 1 ] || return 125
    case $rss_tool in
        time) timeout -k 5 "$t" /usr/bin/time -f '%e %M' -o "$stats" "$@" ;;
        python3)
            timeout -k 5 "$t" python3 -c '
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[2:])
e = time.monotonic() - t
open(sys.argv[1], "w").write("%.2f %d\n" % (e, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc)' "$stats" "$@" ;;
        *)
            local a b rc
            a=$(date +%s.%N)
            timeout -k 5 "$t" "$@"
            rc=$?
            b=$(date +%s.%N)
            awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f -\n", b - a }' > "$stats"
            return $rc ;;
    esac
}

main() {
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    echo "lmz device check, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), budget ${budget}s, log $log"
    echo "peak RSS measured with: $rss_tool"

    # ---- 0. the payload -------------------------------------------------------
    section "payload $dev"
    for b in lmz test_kernels kernels_bench; do
        [ -x "$bin/$b" ] || { echo "FAIL: $bin/$b missing (run bench/device_prepare.sh and carry $dev/)"; return 2; }
    done
    [ -f "$root/$dev/MANIFEST" ] && sed 's/^/  /' "$root/$dev/MANIFEST"
    "$lmz" -V || { echo "FAIL: $lmz does not run (libraries: $(ls "$root/$dev/devlibs" | tr '\n' ' '))"; return 2; }

    # ---- 1. the CPU -------------------------------------------------------------
    section "CPU"
    if command -v lscpu > /dev/null; then lscpu | grep -E '^(Model name|Socket|Core|Thread|CPU\(s\)|Vendor)'; fi
    grep -m1 'model name' /proc/cpuinfo
    echo "cores online: $(nproc)"
    local flags f has=() lacks=()
    flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
    for f in avx2 fma f16c avx512f avx512bw avx512vl avx512_vnni avx_vnni avx512_bf16 amx_int8; do
        case $flags in *" $f "*) has+=("$f") ;; *) lacks+=("$f") ;; esac
    done
    echo "flags present: ${has[*]:-none}"
    echo "flags absent:  ${lacks[*]:-none}"
    cpu512=1
    for f in avx512f avx512bw avx512vl avx512_vnni; do case $flags in *" $f "*) ;; *) cpu512=0 ;; esac; done
    [ "$cpu512" = 1 ] && echo "=> AVX-512 VNNI present: the avx512 path must be tested" ||
        note "this CPU lacks AVX-512 F/BW/VL/VNNI: the avx512 path is SKIPPED everywhere below"

    # ---- 2. test_kernels --------------------------------------------------------
    section "test_kernels (every path vs scalar)"
    local req="" t rc
    [ "$cpu512" = 1 ] && req=avx512
    t=$(cap 120)
    LMZ_TEST_REQUIRE=$req timeout -k 5 "$t" "$bin/test_kernels" > "$tmp/tk.out" 2>&1
    rc=$?
    cat "$tmp/tk.out"
    [ "$rc" = 0 ] || fail "test_kernels exit status $rc"
    if [ "$cpu512" = 1 ]; then
        grep -q '^kernel path avx512: tested against scalar.*all identical' "$tmp/tk.out" ||
            fail "test_kernels did not test avx512 successfully"
    fi

    # ---- 3. kernels_bench -------------------------------------------------------
    section "kernels_bench (one core)"
    t=$(cap 60)
    KB_MIN_TIME=${DC_BENCH_TIME:-0.3} timeout -k 5 "$t" "$bin/kernels_bench" scalar avx2 avx512
    rc=$?
    [ "$rc" = 0 ] || fail "kernels_bench exit status $rc (a path differs from scalar, or timed out)"

    # ---- 4. determinism ---------------------------------------------------------
    section "determinism: ${small_kb} KB, chunk size $chunk, paths x -T{$threads}"
    local src=doc/robustness.md
    [ -f "$src" ] || src=README.md
    head -c $((small_kb * 1024)) "$src" > "$tmp/small"
    echo "input: first $(stat -c %s "$tmp/small") bytes of $src"
    local simd got paths=() ref="" sum s secs
    for simd in scalar avx2 avx512; do
        got=$(LMZ_SIMD=$simd "$lmz" -v -V | sed -n 's/^kernels: //p')
        if [ "$got" = "$simd" ]; then
            paths+=("$simd")
        else
            echo "path $simd: not available here (LMZ_SIMD=$simd runs $got): SKIPPED"
            [ "$simd" = avx512 ] && [ "$cpu512" = 1 ] && fail "the CPU has AVX-512 VNNI but lmz does not run avx512"
        fi
    done
    echo "paths: ${paths[*]}; default path: $("$lmz" -v -V | sed -n 's/^kernels: //p')"
    # order: a quick reference first, the slow scalar single-thread runs last
    local runs=() p
    for p in "${paths[@]}"; do
        [ "$p" = scalar ] && continue
        for t in $threads; do runs+=("$p:$t"); done
    done
    local tmax=1
    for t in $threads; do [ "$t" -gt "$tmax" ] && tmax=$t; done
    for t in $threads; do [ "$t" = "$tmax" ] && runs=("scalar:$t" "${runs[@]}"); done
    for t in $threads; do [ "$t" != "$tmax" ] && runs+=("scalar:$t"); done
    printf '%-8s %4s %9s %9s  %s\n' path -T seconds KB/s sha256
    local r
    for r in "${runs[@]}"; do
        simd=${r%%:*} t=${r##*:}
        s=$(cap 150 60)
        if [ "$s" -lt 5 ]; then
            fail "no time left for $simd -T$t (budget ${budget}s)"
            continue
        fi
        LMZ_SIMD=$simd run_timed "$s" "$tmp/st" "$lmz" -q -f -T"$t" --chunk-size="$chunk" -o "$tmp/$simd.$t.lmz" "$tmp/small"
        rc=$?
        if [ "$rc" != 0 ]; then
            fail "$simd -T$t: compress exit status $rc$([ "$rc" = 124 ] && echo " (timed out after ${s}s)")"
            continue
        fi
        secs=$(cut -d' ' -f1 "$tmp/st")
        sum=$(sha256sum < "$tmp/$simd.$t.lmz" | cut -c1-16)
        printf '%-8s %4s %9s %9s  %s' "$simd" "$t" "$secs" \
            "$(awk -v b="$(stat -c %s "$tmp/small")" -v s="$secs" 'BEGIN { printf "%.1f", (s > 0 ? b / 1024 / s : 0) }')" "$sum"
        if [ -z "$ref" ]; then
            ref=$tmp/$simd.$t.lmz
            echo "  (reference, $(stat -c %s "$ref") bytes)"
        elif cmp -s "$ref" "$tmp/$simd.$t.lmz"; then
            echo "  identical"
        else
            echo "  DIFFERS"
            fail "$simd -T$t output differs from $(basename "$ref")"
        fi
    done
    # decode the reference with every path (the decoder runs the batched
    # steps: several chunks), and each path's own output with its own path
    if [ -n "$ref" ]; then
        for simd in "${paths[@]}"; do
            t=$tmax
            s=$(cap 120 50)
            [ "$s" -lt 5 ] && { note "no time left to decode with $simd"; continue; }
            LMZ_SIMD=$simd run_timed "$s" "$tmp/st" "$lmz" -d -q -f -T"$t" -o "$tmp/dec" "$ref"
            rc=$?
            if [ "$rc" = 0 ] && cmp -s "$tmp/dec" "$tmp/small"; then
                echo "decode $(basename "$ref") with $simd -T$t: identical to the input ($(cut -d' ' -f1 "$tmp/st") s)"
            else
                fail "decode $(basename "$ref") with $simd -T$t: status $rc, output $(cmp -s "$tmp/dec" "$tmp/small" && echo same || echo DIFFERS)"
            fi
        done
    fi

    # ---- 5. speed -----------------------------------------------------------------
    section "speed: ${big_kb} KB of text, default chunk size"
    find . \( -path './build*' -o -path ./device-out -o -path ./.git \) -prune -o \( -name '*.md' -o -name '*.1' \) -type f -print |
        sort | xargs cat > "$tmp/docs"
    : > "$tmp/big"
    while [ "$(stat -c %s "$tmp/big")" -lt $((big_kb * 1024)) ]; do cat "$tmp/docs" >> "$tmp/big"; done
    head -c $((big_kb * 1024)) "$tmp/big" > "$tmp/big.in"
    echo "input: $(stat -c %s "$tmp/big.in") bytes of the repository's documentation (*.md, *.1)"
    local cfgs=() c n cs ds cm dm kbps_c kbps_d rate="" rate_path=""
    for t in $big_t; do
        for p in avx512 avx2; do case " ${paths[*]} " in *" $p "*) cfgs+=("$p:$t") ;; esac; done
    done
    # and the fastest path at 2 threads (unless already there)
    p=${paths[${#paths[@]} - 1]}
    case " ${cfgs[*]} " in *" $p:2 "*) ;; *) cfgs+=("$p:2") ;; esac
    printf '%-8s %4s %8s | %8s %9s %10s | %8s %9s %10s | %s\n' path -T bytes comp_s comp_KB/s comp_peak dec_s dec_KB/s dec_peak roundtrip
    for c in "${cfgs[@]}"; do
        simd=${c%%:*} t=${c##*:}
        n=$(stat -c %s "$tmp/big.in")
        # the time left, for compress + decompress (decompressing takes about
        # 2x compressing): cut the input to fit if an earlier run says it must
        s=$(cap 300 5)
        if [ -n "$rate" ]; then
            local fit
            # bytes/s scaled by threads (an underestimate: scaling is sublinear),
            # avx2 taken as 2.5x slower than the path that set the rate
            fit=$(awk -v r="$rate" -v t="$t" -v s="$s" -v n="$n" -v tm="$tmax" -v slow="$([ "$simd" = avx2 ] && [ "$rate_path" != avx2 ] && echo 2.5 || echo 1)" \
                'BEGIN { f = r * (t < tm ? t : tm) / tm * s / 3.5 / slow; if (f > n) f = n; printf "%d", f }')
            fit=$((fit > 4096 ? fit : 4096))
            if [ "$fit" -lt "$n" ]; then
                n=$fit
                note "$simd -T$t: input cut to $n bytes to fit the budget"
            fi
        fi
        head -c "$n" "$tmp/big.in" > "$tmp/b.in"
        if [ "$s" -lt 10 ]; then note "no time left for the $simd -T$t timing"; continue; fi
        LMZ_SIMD=$simd run_timed $((s / 3)) "$tmp/stc" "$lmz" -q -f -T"$t" -o "$tmp/b.lmz" "$tmp/b.in"
        rc=$?
        if [ "$rc" != 0 ]; then
            note "$simd -T$t: compress status $rc$([ "$rc" = 124 ] && echo " (timed out after $((s / 3))s)")"
            continue
        fi
        s=$(cap 300 5)
        LMZ_SIMD=$simd run_timed "$s" "$tmp/std" "$lmz" -d -q -f -T"$t" -o "$tmp/b.out" "$tmp/b.lmz"
        rc=$?
        read -r cs cm < "$tmp/stc"
        if [ "$rc" = 0 ]; then read -r ds dm < "$tmp/std"; else ds="-" dm="-"; fi
        local rt=ok
        if [ "$rc" != 0 ]; then rt="decompress status $rc"; note "$simd -T$t: decompress status $rc"
        elif ! cmp -s "$tmp/b.out" "$tmp/b.in"; then rt=DIFFERS; fail "$simd -T$t: round trip differs"; fi
        kbps_c=$(awk -v n="$n" -v s="$cs" 'BEGIN { printf "%.1f", (s > 0 ? n / 1024 / s : 0) }')
        kbps_d=$(awk -v n="$n" -v s="$ds" 'BEGIN { printf "%.1f", (s > 0 ? n / 1024 / s : 0) }')
        if [ -z "$rate" ]; then
            rate=$(awk -v n="$n" -v s="$cs" -v t="$t" -v tm="$tmax" 'BEGIN { printf "%.1f", (s > 0 ? n / s * tm / t : 1e9) }')
            rate_path=$simd
        fi
        mib() { [ "$1" = - ] && echo - || awk -v k="$1" 'BEGIN { printf "%.0f MiB", k / 1024 }'; }
        printf '%-8s %4s %8s | %8s %9s %10s | %8s %9s %10s | %s  (%s bytes compressed)\n' "$simd" "$t" "$n" "$cs" "$kbps_c" \
            "$(mib "$cm")" "$ds" "$kbps_d" "$(mib "$dm")" "$rt" "$(stat -c %s "$tmp/b.lmz")"
    done

    # ---- summary ------------------------------------------------------------------
    section "summary"
    echo "kernel paths run: ${paths[*]}"
    [ "$cpu512" = 1 ] || echo "avx512: SKIPPED (the CPU lacks it)"
    local x
    for x in "${notes[@]}"; do echo "note: $x"; done
    if [ "$fails" = 0 ]; then echo "RESULT: PASS (every output identical, every round trip exact) in $(elapsed)s"; return 0; fi
    echo "RESULT: FAIL ($fails failed checks) in $(elapsed)s"
    return 1
}

main 2>&1 | tee "$log"
exit "${PIPESTATUS[0]}"
