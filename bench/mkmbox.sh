#!/usr/bin/env bash
# bench/mkmbox.sh — write a small mbox made only of corpus bytes, for
# bench/mixed.sh's `mbox` row: 12 mails, each with RFC 822 headers (fixed
# dates), a MIME multipart/mixed body of one text/plain part (about 50 lines
# of a corpus text) and one base64 attachment (76-column lines, coreutils
# `base64 -w 76`) of an 8-20 KB piece of a corpus binary file.
#
#   bench/mkmbox.sh [--corpus DIR] OUTFILE
#
# Deterministic: the same bytes on every machine (no clock, no randomness;
# the dates are fixed Unix times formatted with `date -u -d @T` in the C
# locale). Corpus: --corpus DIR, else $LMZ_CORPUS, else testdata/corpus.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
corpus=${LMZ_CORPUS:-$root/testdata/corpus}
usage() { echo "usage: bench/mkmbox.sh [--corpus DIR] OUTFILE" >&2; exit 2; }
out=
while [ $# -gt 0 ]; do
    case $1 in
        --corpus) [ $# -ge 2 ] || usage; corpus=$2; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        -*) usage ;;
        *) [ -z "$out" ] || usage; out=$1; shift ;;
    esac
done
[ -n "$out" ] || usage
for c in base64 dd date sed; do
    command -v "$c" >/dev/null || { echo "bench/mkmbox.sh: needs $c" >&2; exit 2; }
done

texts=(canterbury/alice29.txt calgary/paper1 canterbury/lcet10.txt calgary/news
       canterbury/asyoulik.txt calgary/paper3 canterbury/plrabn12.txt calgary/progc
       calgary/book2 calgary/paper5 canterbury/fields.c calgary/bib)
bins=(canterbury/kennedy.xls calgary/obj1 calgary/pic canterbury/sum calgary/geo calgary/obj2)
names=(Alice Bob Carol Dave Erin Frank)
for f in "${texts[@]}" "${bins[@]}"; do
    [ -f "$corpus/$f" ] || { echo "bench/mkmbox.sh: missing corpus file $corpus/$f" >&2; exit 1; }
done

t0=1046678400 # 2003-03-03 08:00:00 UTC
{
    for i in $(seq 0 11); do
        t=$((t0 + i * 97531))
        from=${names[i % 6]} to=${names[(i + 1) % 6]}
        lfrom=${from,,} lto=${to,,}
        txt=${texts[i]} bin=${bins[i % 6]}
        # text part: 50 lines from a fixed place in the text; mboxo escaping of "From " lines
        nl=$(wc -l <"$corpus/$txt")
        first=$((1 + (i * 211) % (nl > 60 ? nl - 60 : 1)))
        # attachment: 8-20 KB at a fixed offset
        size=$(stat -c %s "$corpus/$bin")
        len=$((8192 + (i * 2749) % 12289))
        [ "$len" -le "$size" ] || len=$size
        off=$(((i * 65537) % (size - len + 1)))
        base=$(basename "$bin") boundary="=_lmz_mixed_$(printf '%02d' "$i")"
        printf 'From %s@example.org %s\n' "$lfrom" "$(date -u -d "@$t" '+%a %b %e %H:%M:%S %Y')"
        printf 'Return-Path: <%s@example.org>\n' "$lfrom"
        printf 'Received: from mail.example.org (mail.example.org [192.0.2.%d])\n\tby mx.example.net with ESMTP id %08X\n\tfor <%s@example.net>; %s\n' \
            $((10 + i)) $((t * 7 % 4294967291)) "$lto" "$(date -u -d "@$((t + 3))" '+%a, %d %b %Y %H:%M:%S +0000')"
        printf 'From: %s <%s@example.org>\n' "$from" "$lfrom"
        printf 'To: %s <%s@example.net>\n' "$to" "$lto"
        printf 'Subject: %s, part %d (%s)\n' "$(basename "$txt")" $((i + 1)) "$base"
        printf 'Date: %s\n' "$(date -u -d "@$t" '+%a, %d %b %Y %H:%M:%S +0000')"
        printf 'Message-ID: <%d.%d@mail.example.org>\n' "$t" "$i"
        printf 'MIME-Version: 1.0\n'
        printf 'Content-Type: multipart/mixed; boundary="%s"\n' "$boundary"
        printf 'X-Mailer: lmz bench/mkmbox.sh\n\n'
        printf 'This is a multi-part message in MIME format.\n\n'
        printf -- '--%s\nContent-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 8bit\n\n' "$boundary"
        sed -n "${first},$((first + 49))p" "$corpus/$txt" | sed 's/^\(>*From \)/>\1/'
        printf '\n-- \n%s\n\n' "$from"
        printf -- '--%s\nContent-Type: application/octet-stream; name="%s-%02d"\n' "$boundary" "$base" "$i"
        printf 'Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="%s-%02d"\n\n' "$base" "$i"
        dd if="$corpus/$bin" iflag=skip_bytes,count_bytes skip="$off" count="$len" status=none | base64 -w 76
        printf -- '\n--%s--\n\n' "$boundary"
    done
} >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
