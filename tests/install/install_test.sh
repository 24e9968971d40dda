#!/usr/bin/env bash
# tests/install/install_test.sh BUILD SRC [PYTHON] — `make install` into a DESTDIR:
# the files in place; liblmz.so's SONAME; its exports are exactly the
# functions the public headers declare (nm -D); a program built with
# `pkg-config --cflags --libs lmz` against the staged tree loads the
# installed library (ldd) and round-trips a buffer; the Python package is
# installed where PYTHON (default /usr/bin/python3) looks, knows the
# library's installed path, and round-trips a buffer over the staged one.
set -u
build=$(realpath "$1") src=$(realpath "$2") python=${3:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then echo "ok - $1"; pass=$((pass+1)); else echo "not ok - $1"; fail=$((fail+1)); fi; }
prefix=/usr/local
DESTDIR=$tmp/stage cmake --install "$build" --prefix $prefix > "$tmp/install.log" 2>&1
rc=$?
check "cmake --install into a DESTDIR" "[ $rc -eq 0 ] && [ -d '$tmp/stage$prefix' ] && ! find '$tmp' -maxdepth 1 -path '$tmp/usr' | grep -q ."
root=$tmp/stage$prefix
libdir=$(dirname "$(find "$root" -name 'liblmz.so' | head -1)")
check "bin/lmz" "[ -x '$root/bin/lmz' ]"
check "liblmz.so, liblmz.so.0.3, liblmz.a" "[ -L '$libdir/liblmz.so' ] && [ -e '$libdir/liblmz.so.0.3' ] && [ -f '$libdir/liblmz.a' ]"
check "headers" "[ -f '$root/include/lmz.h' ] && [ -f '$root/include/lmz_frame_info.h' ] && [ -f '$root/include/lmz_lossy.h' ]"
check "lmz.pc" "[ -f '$libdir/pkgconfig/lmz.pc' ]"
check "man page" "[ -f '$root/share/man/man1/lmz.1' ]"
check "SONAME liblmz.so.0.3" "readelf -d '$libdir/liblmz.so' | grep -q 'SONAME.*\\[liblmz.so.0.3\\]'"
# exports: exactly the LMZ_API functions of the headers
grep -ho 'LMZ_API [^(]*\blmz_[a-z0-9_]*(' "$src"/include/*.h | sed 's/.*\(lmz_[a-z0-9_]*\)(/\1/' | sort -u > "$tmp/api"
nm -D --defined-only "$libdir/liblmz.so" | awk '{print $3}' | sort -u > "$tmp/exports"
check "exports == the public API ($(wc -l < "$tmp/api") functions)" "cmp -s '$tmp/api' '$tmp/exports' || { diff '$tmp/api' '$tmp/exports' | head; false; }"
# a program built with pkg-config against the staged tree
export PKG_CONFIG_PATH=$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$tmp/stage
flags=$(pkg-config --cflags --libs lmz)
check "pkg-config --cflags --libs lmz ($flags)" "[ -n '$flags' ]"
check "a program builds with them" "cc -o '$tmp/prog' '$src/tests/install/prog.c' $flags"
check "it loads the installed liblmz.so (ldd)" "LD_LIBRARY_PATH='$libdir' ldd '$tmp/prog' | grep -q '$libdir/liblmz.so.0.3'"
check "it round-trips a buffer" "LD_LIBRARY_PATH='$libdir' '$tmp/prog'"
check "static: pkg-config --static builds a program without liblmz.so" \
    "cc -o '$tmp/sprog' '$src/tests/install/prog.c' -I'$root/include' '$libdir/liblmz.a' \$(pkg-config --libs-only-l --static lmz | sed 's/-llmz//') && ! ldd '$tmp/sprog' | grep -q liblmz && '$tmp/sprog'"
check "the installed lmz runs" "'$root/bin/lmz' -V | grep -q '^lmz '"
# the Python package: Debian's folder for a /usr/local prefix
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
pydir=$root/lib/python$pyver/dist-packages
check "python package in lib/python$pyver/dist-packages" "[ -f '$pydir/lmz/__init__.py' ] && [ -f '$pydir/lmz/_lib.py' ] && ! find '$pydir' -name '*.pyc' | grep -q ."
check "it records the installed library ($prefix/lib/liblmz.so.0.3)" "grep -q \"LIBRARY = '$prefix/lib/liblmz.so.0.3'\" '$pydir/lmz/_install.py'"
check "import lmz from the staged tree round-trips a buffer" \
    "PYTHONPATH='$pydir' LMZ_LIBRARY='$libdir/liblmz.so.0.3' '$python' -c 'import lmz, sys; d = b\"install test \" * 50; sys.exit(lmz.decompress(lmz.compress(d)) != d or not lmz._lib.path.startswith(\"$tmp\"))'"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
