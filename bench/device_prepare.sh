#!/usr/bin/env bash
# bench/device_prepare.sh — builds, on this machine, everything that
# bench/device_check.sh runs on another x86-64 machine (one with AVX-512 VNNI
# but without the -dev packages needed to build lmz, and without internet).
#
#   bash bench/device_prepare.sh [--corpus [PATH...]]
#
# 1. A Release build (gcc, AVX-512 kernels compiled in) in build-dev-tree/
#    (the CMake tree: large, not carried).
# 2. build-dev/, the payload to carry (a few MiB). Its lmz does NOT embed
#    the model (the tree, which travels too, holds models/lmz-base.gguf, and
#    tree + an embedding binary would pass the 64 MiB a device call carries):
#    the device scripts set LMZ_MODEL=models/lmz-base.gguf, which gives the
#    same frames byte for byte (the frame records the model's SHA-256).
#      bin/lmz bin/test_kernels bin/kernels_bench   stripped
#      devlibs/   the shared libraries they need beyond glibc (libzstd,
#                 liblzma, libxxhash), for LD_LIBRARY_PATH
#      MANIFEST   source revision, compiler, checksums
# 3. With --corpus: devdata/, the corpus files that bench/device_corpus.sh
#    codes: the PATHs given (MANIFEST paths such as calgary/paper1, in that
#    order), else every file of testdata/corpus/MANIFEST.tsv and EXTRA.tsv,
#    silesia/xml first; the files of EXTRA.tsv come from $LMZ_CORPUS_EXTRA
#    (bench/corpus.sh; missing ones are skipped with a note); devdata/ORDER
#    lists the files copied.
# Env: JOBS (default 2), CC (default gcc), DEV_TREE (default build-dev-tree).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
corpus=0
[ "${1:-}" = --corpus ] && { corpus=1; shift; }
tree=${DEV_TREE:-$root/build-dev-tree}
dev=$root/build-dev
jobs=${JOBS:-2}
export CC=${CC:-gcc}

echo "== configure $tree (Release, $CC)"
mkdir -p "$tree"
: > "$tree/no-model.gguf" # embedded "default model": empty (see 2. above)
cmake -S . -B "$tree" -DCMAKE_BUILD_TYPE=Release -DLMZ_AVX512=ON -DLMZ_DEFAULT_MODEL="$tree/no-model.gguf" \
    > "$tree/prepare-cmake.log" 2>&1 ||
    { cat "$tree/prepare-cmake.log"; exit 1; }
grep -q "lmz: AVX-512 VNNI kernels ON" "$tree/prepare-cmake.log" ||
    { echo "device_prepare: the compiler cannot build the AVX-512 VNNI kernels" >&2; exit 1; }
echo "== build lmz, test_kernels, kernels_bench"
cmake --build "$tree" -j "$jobs" --target lmz_cli test_kernels kernels_bench

bins=("$tree/lmz" "$tree/tests/test_kernels" "$tree/kernels_bench")
for b in "${bins[@]}"; do
    [ -x "$b" ] || { echo "device_prepare: $b missing" >&2; exit 1; }
    nm "$b" | grep -c ' lmz_kernels_avx512$' > /dev/null || { echo "device_prepare: $b lacks the avx512 kernels" >&2; exit 1; }
done

echo "== payload $dev"
rm -rf "$dev"
mkdir -p "$dev/bin" "$dev/devlibs"
cp "${bins[@]}" "$dev/bin/"
strip --strip-unneeded "$dev"/bin/*
# shared libraries beyond glibc (which the other machine has, newer)
for lib in $(ldd "${bins[@]}" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u); do
    case $(basename "$lib") in
        libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libresolv.so*) continue ;;
    esac
    cp -L "$lib" "$dev/devlibs/$(basename "$lib")"
done

# the payload runs from its own libraries
lmzv=$(LMZ_MODEL=$root/models/lmz-base.gguf LD_LIBRARY_PATH=$dev/devlibs "$dev/bin/lmz" -V | head -1)
LD_LIBRARY_PATH=$dev/devlibs "$dev/bin/test_kernels" | grep '^kernel path'

{
    echo "made: $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(hostname) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'))"
    echo "source: $(git rev-parse HEAD 2>/dev/null || echo unknown), $(git status --short 2>/dev/null | wc -l) uncommitted paths"
    echo "compiler: $($CC --version | head -1)"
    echo "glibc here: $(ldd --version | head -1)"
    echo "lmz: $lmzv"
    echo "model: not embedded; LMZ_MODEL=models/lmz-base.gguf, sha256 $(sha256sum < "$root/models/lmz-base.gguf" | cut -c1-64)"
    echo "files:"
    (cd "$dev" && sha256sum bin/* devlibs/*)
} > "$dev/MANIFEST"
cat "$dev/MANIFEST"
echo "== carry build-dev/ ($(du -sh "$dev" | cut -f1)):"
du -sh "$dev"/bin/* "$dev"/devlibs/* | sed 's/^/   /'

if [ "$corpus" = 1 ]; then
    . "$root/bench/corpus.sh"
    data=$root/devdata
    rm -rf "$data"
    mkdir -p "$data"
    if [ $# -gt 0 ]; then
        printf '%s\n' "$@" > "$data/WANT"
    else
        { echo silesia/xml
          awk -F'\t' 'FNR > 1 && $1 != "silesia/xml" { print $1 }' "$LMZ_CORPUS/MANIFEST.tsv" "$LMZ_CORPUS/EXTRA.tsv"
        } > "$data/WANT"
    fi
    : > "$data/ORDER"
    while read -r f; do
        p=$(corpus_path "$f") || continue
        mkdir -p "$data/$(dirname "$f")"
        cp "$p" "$data/$f"
        echo "$f" >> "$data/ORDER"
    done < "$data/WANT"
    rm -f "$data/WANT"
    echo "== carry devdata/ ($(du -sh "$data" | cut -f1), $(wc -l < "$data/ORDER") files)"
fi
