#!/usr/bin/env bash
# tests/layering/check_symbols.sh — the decoder-only library holds no
# compression code (tests/cmake/layering.cmake, doc/design.md, Layers).
#
# Usage: check_symbols.sh NM DECODE_ONLY_EXE LIBLMZ_DECOMPRESS LIBLMZ COMPRESS_SRCS [LIBLMZ_LOSSY]
#   COMPRESS_SRCS: the sources of lib/compress, separated by ';' (CMake list)
#
# Forbidden symbols: the names every build of the compression side must not
# leak (lmz_compress*, lmz_cstream*, lmz_lossy*, classic_encode) plus every
# global symbol that the objects of lib/compress in liblmz.a define and every
# global symbol of liblmz_lossy.a. Neither the decode-only program nor
# liblmz_decompress.a may define one.
set -u
NM=$1 EXE=$2 DLIB=$3 LIB=$4 SRCS=$5 LOSSY=${6:-}

defined_globals() { # archive or binary -> sorted global names it defines
  "$NM" -g --defined-only "$@" 2>/dev/null | awk 'NF >= 3 {print $3}' | sort -u
}
defined_all() { # every defined name, local ones included (binary: statics too)
  "$NM" --defined-only "$@" 2>/dev/null | awk 'NF >= 3 {print $3}' | sort -u
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
defined_globals "$DLIB" > "$tmp/decode"
: > "$tmp/forbidden"
IFS=';' read -r -a srcs <<< "$SRCS"
for src in "${srcs[@]}"; do # archive member <source>.o (CMake's object names)
  "$NM" -A -g --defined-only "$LIB" 2>/dev/null |
    awk -v m=":$(basename "$src").o:" 'index($1, m) && NF >= 3 {print $3}' >> "$tmp/forbidden"
done
[ -n "$LOSSY" ] && defined_globals "$LOSSY" >> "$tmp/forbidden"
sort -u -o "$tmp/forbidden" "$tmp/forbidden"
echo "check_symbols: $(wc -l < "$tmp/forbidden") compression-side symbols (from $(basename "$LIB")${LOSSY:+ and $(basename "$LOSSY")})"
if [ ! -s "$tmp/decode" ]; then
  echo "check_symbols: FAIL: $DLIB defines nothing (nm failed?)"
  exit 1
fi

fail=0
for target in "$EXE" "$DLIB"; do
  defined_all "$target" > "$tmp/have"
  bad=$( { comm -12 "$tmp/have" "$tmp/forbidden"
           grep -E '^(lmz_compress|lmz_cstream|lmz_lossy|classic_encode)' "$tmp/have"; } | sort -u)
  if [ -n "$bad" ]; then
    echo "check_symbols: FAIL: $(basename "$target") defines compression-side symbols:"
    echo "$bad" | sed 's/^/  /'
    fail=1
  else
    echo "check_symbols: ok: $(basename "$target") ($(wc -l < "$tmp/have") symbols) has none"
  fi
done
# and the program links without the compression side: it runs
"$EXE" || { echo "check_symbols: FAIL: $EXE did not run"; fail=1; }
exit $fail
