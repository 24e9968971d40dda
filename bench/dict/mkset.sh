#!/usr/bin/env bash
# bench/dict/mkset.sh — the three kinds of small files of bench/dict.sh, made
# from files a Debian 12 machine ships (none of them is in the default
# model's training data: its MODEL_CARD lists books, dictionaries, technical
# documentation, source code, mail; a search of the training text finds one
# "Upstream-Name:" and three "urgency=" lines):
#   copyright  /usr/share/doc/PKG/copyright, whole files of 1-16 KiB
#   changelog  the newest entry of /usr/share/doc/PKG/changelog.Debian.gz
#              (from its first line to its first " -- " signature line)
#   mime       the <mime-type> records of the shared-mime-info data set
#              (/usr/share/mime/packages/freedesktop.org.xml), one per file
# Each kind: files in name order, every 4th to the test set (at most 40),
# the others to the training set (at most 200).
#
#   bench/dict/mkset.sh OUTDIR            unpack bench/dict/sets.tar.xz into
#                                         OUTDIR/{copyright,changelog,mime}/{train,test}/
#                                         and check them against bench/dict/*.sha256
#   bench/dict/mkset.sh OUTDIR --system   build them from this machine's files instead
#   bench/dict/mkset.sh OUTDIR --lists    build them from this machine's files and
#                                         (re)write bench/dict/*.sha256 and sets.tar.xz
# The lists (sha256sum format, paths relative to OUTDIR) and the files
# themselves (sets.tar.xz, 197 KB; made with --lists on 2026-12-07 from a
# Debian 12 machine's packages: the Debian copyright and changelog texts are
# each under its package's licence, freedesktop.org.xml under
# shared-mime-info's GPL-2.0-or-later) are committed: Debian machines with
# other package versions build other copyright and changelog sets (session
# 11's lists differed from session 15's machine in 169 and 105 files), so
# the benchmark uses the committed files unless told --system.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: mkset.sh OUTDIR [--system|--lists]}
lists=${2:-}
rm -rf "$out"
mkdir -p "$out"
if [ -z "$lists" ]; then
    tar -xJf "$here/sets.tar.xz" -C "$out"
    cd "$out"
    for k in copyright changelog mime; do
        sha256sum --quiet -c "$here/$k.sha256" >/dev/null 2>&1 && \
            [ "$(find "$k" -type f | wc -l)" = "$(wc -l < "$here/$k.sha256")" ] || \
            { echo "mkset: $k: sets.tar.xz does not match bench/dict/$k.sha256" >&2; exit 1; }
        echo "$k: $(ls $k/train | wc -l) training files ($(cat $k/train/* | wc -c) B), $(ls $k/test | wc -l) test files ($(cat $k/test/* | wc -c) B)"
    done
    exit 0
fi

split() { # kind: files in $out/$1/all, name order -> train/test
    local kind=$1 i=0 nt=0 ntr=0
    mkdir -p "$out/$kind/train" "$out/$kind/test"
    for f in $(ls "$out/$kind/all" | LC_ALL=C sort); do
        if (( i % 4 == 3 )); then
            if (( nt < 40 )); then mv "$out/$kind/all/$f" "$out/$kind/test/"; nt=$((nt + 1)); fi
        else
            if (( ntr < 200 )); then mv "$out/$kind/all/$f" "$out/$kind/train/"; ntr=$((ntr + 1)); fi
        fi
        i=$((i + 1))
    done
    rm -rf "$out/$kind/all"
}

# copyright files of 1-16 KiB
mkdir -p "$out/copyright/all"
for d in $(ls /usr/share/doc | LC_ALL=C sort); do
    f=/usr/share/doc/$d/copyright
    [ -f "$f" ] && [ ! -L "$f" ] || continue
    s=$(stat -c %s "$f")
    (( s >= 1024 && s <= 16384 )) && cp "$f" "$out/copyright/all/$d"
done
split copyright

# newest changelog.Debian entry
mkdir -p "$out/changelog/all"
for d in $(ls /usr/share/doc | LC_ALL=C sort); do
    f=/usr/share/doc/$d/changelog.Debian.gz
    [ -f "$f" ] || continue
    { zcat "$f" | awk '{ print } /^ -- / { exit }'; } > "$out/changelog/all/$d" || true # zcat: SIGPIPE
    s=$(stat -c %s "$out/changelog/all/$d")
    (( s >= 200 )) || rm -f "$out/changelog/all/$d"
done
split changelog

# shared-mime-info records
mkdir -p "$out/mime/all"
python3 - "$out/mime/all" <<'PY'
import re, sys
x = open('/usr/share/mime/packages/freedesktop.org.xml', encoding='utf-8').read()
for m in re.finditer(r'  <mime-type type="([^"]+)">.*?</mime-type>\n', x, re.S):
    name = m.group(1).replace('/', '_').replace('+', 'p')
    open(f'{sys.argv[1]}/{name}.xml', 'w', encoding='utf-8').write(m.group(0))
PY
split mime

cd "$out"
if [ "$lists" = --lists ]; then
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2026-12-07 00:00Z' -cf - copyright changelog mime |
        xz -9e > "$here/sets.tar.xz"
fi
for k in copyright changelog mime; do
    if [ "$lists" = --lists ]; then
        find "$k" -type f | LC_ALL=C sort | xargs sha256sum > "$here/$k.sha256"
    fi
    if ! sha256sum --quiet -c "$here/$k.sha256" >/dev/null 2>&1 || \
       [ "$(find "$k" -type f | wc -l)" != "$(wc -l < "$here/$k.sha256")" ]; then
        echo "mkset: $k: this machine's files differ from bench/dict/$k.sha256 (other package versions);" \
             "the results will not be comparable" >&2
    fi
done
for k in copyright changelog mime; do
    echo "$k: $(ls $k/train | wc -l) training files ($(cat $k/train/* | wc -c) B), $(ls $k/test | wc -l) test files ($(cat $k/test/* | wc -c) B)"
done
