#!/usr/bin/env bash
# bench/mixed.sh — mixed and wrapped inputs: tars of text (and of text plus
# binaries), UTF-16 text, an mbox with base64 attachments, degenerate inputs
# and plain binaries. Per row: lmz's size and times, the row's reference and
# the issue's target (pass/FAIL), xz -9e and zstd -19 for context. Every .lmz
# made here is decoded and compared with cmp (the script stops on a mismatch).
# Each row run replaces its line in bench/mixed.tsv; bench/MIXED.md is made
# again from the whole TSV after every row.
#
#   bench/mixed.sh [-T N] [--rows LIST] [--keep DIR] [--out FILE] [--tsv FILE]
#                  [--no-frozen] [--no-ref-decode]
#
#   -T N            lmz threads (default 2)
#   --rows LIST     comma-separated rows to run (default: all, in this order):
#                   tar38 tar-lib tar-text tar-mixed alice-utf16le mbox aaaa log
#                   base64 hexdump kennedy.xls ptt5 pic sum obj1 obj2 geo
#   --keep DIR      keep each row's inputs and .lmz files under DIR/ROW/
#   --out FILE      the markdown (default bench/MIXED.md)
#   --tsv FILE      the table (default bench/mixed.tsv)
#   --no-frozen     compress the reference files of tar-text and alice-utf16le
#                   instead of taking their sizes from bench/frozen.tsv
#   --no-ref-decode do not decode the references' .lmz files (saves minutes on
#                   tar-text/tar-mixed; the rows' own .lmz are always decoded)
#   LMZ=BIN         the lmz binary (default build/lmz)
#   LMZ_BASE=BIN    an older lmz: the binary rows then compare with it
#   LMZ_CORPUS=DIR  the corpus (default testdata/corpus; checked against MANIFEST.tsv)
#
# The inputs are made here from the corpus, the same bytes on every machine;
# the list at the end of MIXED.md says how. Rows 3 and 4 (tar-text,
# tar-mixed) take many minutes at the model's ~15 KB/s compress, ~5 KB/s decode.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
lmz=${LMZ:-$root/build/lmz}
base=${LMZ_BASE:-}
corpus=${LMZ_CORPUS:-$root/testdata/corpus}
threads=2 out=$here/MIXED.md tsv=$here/mixed.tsv keep='' rows='' frozen=1 refdecode=1
allrows=(tar38 tar-lib tar-text tar-mixed alice-utf16le mbox aaaa log base64 hexdump
         kennedy.xls ptt5 pic sum obj1 obj2 geo)
libcommit=d0a376c
usage() {
    echo "usage: bench/mixed.sh [-T N] [--rows LIST] [--keep DIR] [--out FILE] [--tsv FILE] [--no-frozen] [--no-ref-decode]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
        -T) [ $# -ge 2 ] || usage; threads=$2; shift 2 ;;
        -T*) threads=${1#-T}; shift ;;
        --rows) [ $# -ge 2 ] || usage; rows=$2; shift 2 ;;
        --rows=*) rows=${1#--rows=}; shift ;;
        --keep) [ $# -ge 2 ] || usage; keep=$2; shift 2 ;;
        --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
        --tsv) [ $# -ge 2 ] || usage; tsv=$2; shift 2 ;;
        --no-frozen) frozen=0; shift ;;
        --no-ref-decode) refdecode=0; shift ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        *) usage ;;
    esac
done
die() { echo "bench/mixed.sh: $*" >&2; exit 1; }
case $threads in ''|*[!0-9]*) die "-T needs a number, not '$threads'" ;; esac

# which rows
run=()
if [ -z "$rows" ]; then
    run=("${allrows[@]}")
else
    IFS=, read -r -a want <<<"$rows"
    for w in "${want[@]}"; do
        [ -n "$w" ] || continue
        case " ${allrows[*]} " in *" $w "*) run+=("$w") ;;
            *) die "unknown row '$w' (rows: ${allrows[*]})" ;; esac
    done
    [ ${#run[@]} -gt 0 ] || die "--rows names no row"
fi

# tools
for c in xz zstd iconv tar perl od base64 split cmp sha256sum git awk dd; do
    command -v "$c" >/dev/null || die "needs '$c' on PATH (xz-utils, zstd, iconv (libc-bin), GNU tar, perl, coreutils, git)"
done
tar --version 2>/dev/null | grep -q 'GNU tar' || die "needs GNU tar (--sort=name, --mtime, --format=gnu)"
[ -x "$lmz" ] || die "lmz binary $lmz missing (build it, or give LMZ=BIN)"
[ -z "$base" ] || [ -x "$base" ] || die "LMZ_BASE=$base is not an executable"
[ -f "$corpus/MANIFEST.tsv" ] || die "no corpus at $corpus (MANIFEST.tsv missing)"
(cd "$corpus" && awk -F'\t' 'NR > 1 { print $3 "  " $1 }' MANIFEST.tsv | sha256sum -c --quiet >/dev/null 2>&1) ||
    die "the corpus at $corpus does not match its MANIFEST.tsv (sha256sum -c)"
[ -f "$here/frozen.tsv" ] || frozen=0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ -n "$keep" ]; then mkdir -p "$keep"; work=$(cd "$keep" && pwd); else work=$tmp; fi
# run private copies, so that a rebuild during the run cannot mix two binaries
lmz_name=$lmz base_name=$base
cp "$lmz" "$tmp/lmz" && lmz=$tmp/lmz
[ -z "$base" ] || { cp "$base" "$tmp/lmz-base" && base=$tmp/lmz-base; }

# deterministic tar: names sorted, no time, owner or mode of this machine
tarflags=(--sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu '--mode=u=rwX,go=rX')

# --- facts about this run ---------------------------------------------------
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
[ -n "$cpu" ] || cpu=$(uname -m)
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^avx(2|512)' | sort | tr '\n' ' ' | sed 's/ $//')
[ -n "$flags" ] || flags="no avx2/avx512"
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ "$commit" = unknown ] || git -C "$root" diff --quiet HEAD 2>/dev/null || commit="$commit+dirty"
today=$(date -u +%Y-%m-%d)
version=$("$lmz" --version 2>/dev/null | head -n1 || true)
version="${version:-lmz ?} ($(sha256sum <"$lmz" | cut -c1-12))"

# --- helpers ----------------------------------------------------------------
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
size() { stat -c %s "$1"; }
xzsize() { xz -9e -c -T1 "$1" | wc -c; }
zstdsize() { zstd -19 -c -q "$1" | wc -c; }

# lmzc BIN IN OUT [decode]: compress IN to OUT with BIN, decode and compare;
# sets cs, ds (seconds; ds "—" when not decoded) and cb (bytes)
lmzc() {
    local bin=$1 in=$2 o=$3 dec=${4:-1} t0 t1 t2
    t0=$(now)
    "$bin" -T"$threads" -c "$in" >"$o" || die "${bin##*/} failed to compress $in"
    t1=$(now)
    cs=$(sub "$t0" "$t1") cb=$(size "$o") ds="—"
    if [ "$dec" = 1 ]; then
        "$bin" -T"$threads" -dc "$o" >"$o.out" || die "ROUND TRIP FAILED: ${bin##*/} could not decode $o"
        t2=$(now)
        cmp -s "$in" "$o.out" || die "ROUND TRIP FAILED: ${bin##*/} -d $o differs from $in"
        rm -f "$o.out"
        ds=$(sub "$t1" "$t2")
    fi
}
# best3 BIN IN SECONDS: the least of SECONDS and two more compress times of IN
# (the binary rows' time target compares runs of about a second)
best3() {
    local t=$3 t0 t1 _
    for _ in 1 2; do
        t0=$(now); "$1" -T"$threads" -c "$2" >/dev/null; t1=$(now)
        t=$(awk -v a="$t" -v b="$(sub "$t0" "$t1")" 'BEGIN { printf "%.2f", (b < a ? b : a) }')
    done
    echo "$t"
}
# methods BIN FILE.lmz: chunk count per method, e.g. "lm+mix x2, xz x1"; for
# the parts of seg / utf16 chunks (their -lv lines) also "seg.text=lm+mix x3"
methods() {
    "$1" -lv "$2" | awk '
        $1 ~ /^[0-9]+$/ && NF == 6 { print $5; next }
        / runs: text / { split($0, p, /[()]/); t = b = 0
            for (i = 1; i < NF; i++) { if ($i == "text") t = $(i + 1); if ($i == "binary") b = $(i + 1) }
            if (t > 0) print "seg.text=" p[2]; if (b > 0) print "seg.binary=" p[4]; next }
        / utf16 \(/ { for (i = 1; i < NF; i++) if ($i == "coded") print "utf16.as=" $(i + 1) }' | sort | uniq -c |
        awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1 }'
}
# tarcat TAR DIR [LIST]: the member files of TAR in its order, read from DIR
# (only those named in the file LIST when given), concatenated
tarcat() {
    tar -tf "$1" | while IFS= read -r m; do
        case $m in */) continue ;; esac
        if [ $# -ge 3 ] && ! grep -qxF "$m" "$3"; then continue; fi
        cat "$2/$m"
    done
}
# stage DIR PATH...: copy corpus files to DIR/PATH
stage() {
    local d=$1 p; shift
    for p in "$@"; do mkdir -p "$d/$(dirname "$p")"; cp "$corpus/$p" "$d/$p"; done
}
manifest() { awk -F'\t' -v k="$1" 'NR > 1 && $4 == k && $1 ~ /^(canterbury|calgary)\// { print $1 }' "$corpus/MANIFEST.tsv" | sort; }
binpath() { awk -F'\t' -v n="$1" 'NR > 1 && $4 == "binary" { m = $1; sub(/.*\//, "", m); if (m == n) { print $1; exit } }' "$corpus/MANIFEST.tsv"; }
# frozen_sum PATH...: the sum of the frozen .lmz sizes, or nothing when a path
# is missing from bench/frozen.tsv or its sha256 is not the corpus file's
frozen_sum() {
    [ "$frozen" = 1 ] || return 0
    awk -F'\t' -v list="$*" '
        FNR == 1 { f++ } f == 1 && FNR > 1 { sha[$1] = $3 } f == 2 && FNR > 1 { fsha[$1] = $3; fl[$1] = $4 }
        END { n = split(list, p, " "); for (i = 1; i <= n; i++) { if (!(p[i] in fl) || fsha[p[i]] != sha[p[i]]) exit; s += fl[p[i]] }
              print s }' "$corpus/MANIFEST.tsv" "$here/frozen.tsv"
}
verdict() { awk "BEGIN { ok = ($1); print (ok ? \"pass\" : \"FAIL\") }"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'; }

# --- the TSV and the markdown ----------------------------------------------
header="row	bytes	sha256	lmz_bytes	compress_s	decompress_s	methods	reference	ref_bytes	ref_s	ratio	target	result	xz_bytes	zstd_bytes	commit	date	cpu	threads	lmz	note"
put_row() { # the fields of one row, tab-separated, replace its line in the TSV
    local line f
    line=
    for f in "$@"; do f=${f//$'\t'/ }; f=${f//$'\n'/ }; [ -n "$f" ] || f="—"; line+="${line:+$'\t'}$f"; done
    echo "$header" >"$tmp/tsv.new"
    { [ -f "$tsv" ] && awk -F'\t' -v r="$1" 'NR > 1 && $1 != r' "$tsv"; echo "$line"; } |
        awk -F'\t' -v order="${allrows[*]}" '
            BEGIN { n = split(order, o, " "); for (i = 1; i <= n; i++) k[o[i]] = i }
            { printf "%04d\t%s\n", ($1 in k ? k[$1] : 9999), $0 }' | sort -s -t$'\t' -k1,1n | cut -f2- >>"$tmp/tsv.new"
    mv "$tmp/tsv.new" "$tsv"
}
render() {
    {
        echo "# Mixed inputs: tars, UTF-16, mail, degenerate inputs, binaries"
        echo
        echo "Generated by \`bench/mixed.sh\` (rows kept in \`bench/mixed.tsv\`; each row shows the commit and date of"
        echo "its run). Last run on $today: $cpu, flags $flags, $(nproc) CPUs, \`lmz -T$threads\`, commit $commit,"
        echo "$version. Sizes in bytes, times in seconds (wall clock, model loading included; KB/s = 1000 B/s of input)."
        echo "Every .lmz was decoded and compared with cmp. \`lmz / ref\` = lmz bytes / reference bytes."
        echo
        echo "| input | bytes | lmz | compress s | decompress s | lmz chunks | reference | ref bytes | lmz / ref | target | result | xz -9e | zstd -19 | run |"
        echo "|---|---:|---:|---:|---:|---|---|---:|---:|---|---|---:|---:|---|"
        awk -F'\t' -v order="${allrows[*]}" '
            function kbs(b, t) { return (t ~ /^[0-9.]+$/ && t > 0 && b ~ /^[0-9]+$/) ? sprintf("%s (%.1f KB/s)", t, b / t / 1000) : t }
            function sha(v) { return match(v, /\([0-9a-f]+\)$/) ? " lmz " substr(v, RSTART + 1, 8) : "" }
            NR > 1 { line[$1] = $0 }
            END {
                n = split(order, o, " ")
                for (i = 1; i <= n; i++) if (o[i] in line) {
                    split(line[o[i]], f, "\t")
                    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s %s |\n", f[1], f[2], f[4], kbs(f[2], f[5]), kbs(f[2], f[6]), f[7],
                        f[8], f[9], f[11], f[12], (f[13] == "FAIL" ? "**FAIL**" : f[13]), f[14], f[15], f[16], f[17] sha(f[20])
                }
            }' "$tsv"
        echo
        echo "Notes per row (input sha256 prefix; machine, threads and lmz of the row's run):"
        echo
        awk -F'\t' -v order="${allrows[*]}" '
            NR > 1 { line[$1] = $0 }
            END {
                n = split(order, o, " ")
                for (i = 1; i <= n; i++) if (o[i] in line) {
                    split(line[o[i]], f, "\t")
                    printf "- **%s** (%s; %s, -T%s, %s)%s\n", f[1], substr(f[3], 1, 16), f[18], f[19], f[20], (f[21] == "—" ? "" : ": " f[21])
                }
            }' "$tsv"
        cat <<EOF

How the inputs and references are made (all from \`testdata/corpus\`, checked against its MANIFEST.tsv;
tars with \`tar ${tarflags[*]} -cf\`, so the same bytes everywhere):

- **tar38**: Calgary paper2 and Canterbury cp.html cut into 3,000 B pieces (\`split -b 3000 -d -a 2\`:
  paper2.00 ... paper2.27, cp.html.00 ... cp.html.08) plus grammar.lsp and xargs.1 whole, in a directory
  \`tar38/\`, tarred. Reference: lmz of the same files concatenated in the tar's order. Target: within 5 %.
- **tar-lib**: the repository's \`lib/\` at commit $libcommit (\`git archive $libcommit lib\`), tarred again
  deterministically; skipped when the commit is not in the clone. Reference: lmz of the files
  concatenated in tar order. Target: within 5 %.
- **tar-text**: the $(manifest text | wc -l) Canterbury and Calgary files of MANIFEST kind \`text\`, tarred as
  \`calgary/...\`, \`canterbury/...\`. Reference: the sum of the files' own default .lmz sizes from
  \`bench/frozen.tsv\` (the sizes \`bench/frozen_check.sh\` verifies; used only when every file is in
  it with the corpus's sha256, else, or with --no-frozen, the files are compressed here). Target: within 3 %.
- **tar-mixed**: the same text files plus the binaries kennedy.xls, ptt5, sum (Canterbury), pic, obj1,
  obj2, geo (Calgary), tarred. Reference: lmz of the text files concatenated in tar order, plus for each
  binary the smaller of xz -9e and zstd -19 (ptt5 and pic are the same bytes; both are counted).
  Target: within 2 %.
- **alice-utf16le**: a BOM (\`printf '\\xff\\xfe'\`) and \`iconv -f UTF-8 -t UTF-16LE\` of alice29.txt.
  Reference: alice29.txt's own .lmz size (bench/frozen.tsv, as for tar-text). Target: within 1 %.
- **mbox**: \`bench/mkmbox.sh\`: 12 mails with fixed dates, multipart/mixed, each a 50-line piece of a
  corpus text and a base64 (\`base64 -w 76\`) attachment of an 8-20 KB piece of kennedy.xls, obj1, pic,
  sum, geo or obj2. Reference: xz -9e. Target: lmz ≤ 0.65 × xz -9e.
- **aaaa**, **log**, **base64**, **hexdump**: as in \`bench/triage.sh\` (100,000 x "a"; one log line repeated to
  100,000 B; 80,000 B of \`base64 -w 76\` of 60,000 xorshift64 bytes; \`od -A x -t x1z -v\` of 40,000 xorshift64 bytes, seed 7). Reference: the smaller of xz -9e
  and zstd -19. Target: within 1 % or 128 B of it, whichever is more.
- **kennedy.xls**, **ptt5**, **pic**, **sum**, **obj1**, **obj2**, **geo**: the corpus files alone. With
  \`LMZ_BASE=/path/to/older/lmz\`, the reference is that binary's output (its compress time in \`ref s\`
  of the TSV and in the note). Target: within 1 % of its size and ≤ 1.2 × its compress time (with
  LMZ_BASE both compress times are the best of 3 runs); without LMZ_BASE "—".
EOF
    } >"$out.tmp"
    mv "$out.tmp" "$out"
}

# --- rows -------------------------------------------------------------------
# Each row function makes $input in $d and sets ref_kind/ref_bytes/ref_s/
# target/result/note; the caller measures lmz, xz and zstd first (lb, ls, ld,
# lm, xb, zb) and calls the row's *_ref function after.
texts=()
mapfile -t texts < <(manifest text)
mixbins=(canterbury/kennedy.xls canterbury/ptt5 calgary/pic canterbury/sum calgary/obj1 calgary/obj2 calgary/geo)

make_input() { # ROW DIR: make the row's input, set input to its path
    local r=$1 d=$2 p
    case $r in
        tar38)
            mkdir -p "$d/src/tar38"
            split -b 3000 -d -a 2 "$corpus/calgary/paper2" "$d/src/tar38/paper2."
            split -b 3000 -d -a 2 "$corpus/canterbury/cp.html" "$d/src/tar38/cp.html."
            cp "$corpus/canterbury/grammar.lsp" "$corpus/canterbury/xargs.1" "$d/src/tar38/"
            tar "${tarflags[@]}" -cf "$d/tar38.tar" -C "$d/src" tar38
            input="$d/tar38.tar" ;;
        tar-lib)
            mkdir -p "$d/src"
            git -C "$root" archive "$libcommit" lib | tar -x -C "$d/src"
            tar "${tarflags[@]}" -cf "$d/lib.tar" -C "$d/src" lib
            input="$d/lib.tar" ;;
        tar-text)
            stage "$d/src" "${texts[@]}"
            tar "${tarflags[@]}" -cf "$d/text.tar" -C "$d/src" calgary canterbury
            input="$d/text.tar" ;;
        tar-mixed)
            stage "$d/src" "${texts[@]}" "${mixbins[@]}"
            tar "${tarflags[@]}" -cf "$d/mixed.tar" -C "$d/src" calgary canterbury
            input="$d/mixed.tar" ;;
        alice-utf16le)
            { printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE "$corpus/canterbury/alice29.txt"; } >"$d/alice29.utf16le"
            input="$d/alice29.utf16le" ;;
        mbox)
            "$here/mkmbox.sh" --corpus "$corpus" "$d/mbox"
            input="$d/mbox" ;;
        aaaa|log|base64|hexdump)
            set +o pipefail # head ends the generators early (SIGPIPE)
            case $r in
                aaaa) head -c 100000 /dev/zero | tr '\0' a >"$d/aaaa" ;;
                log) yes "2026-12-06 12:00:00 INFO server: request handled, status 200" | head -c 100000 >"$d/log" ;;
                base64) perl -e 'my ($n, $x) = ($ARGV[0], $ARGV[1] // 88172645463325252); my $o = "";
                    for (1 .. $n) { $x ^= ($x << 13) & 0xFFFFFFFFFFFFFFFF; $x ^= $x >> 7; $x ^= ($x << 17) & 0xFFFFFFFFFFFFFFFF;
                    $o .= chr($x >> 56) } print $o' 60000 | base64 -w 76 | head -c 80000 >"$d/base64" ;;
                hexdump) perl -e 'my ($n, $x) = ($ARGV[0], $ARGV[1] // 88172645463325252); my $o = "";
                    for (1 .. $n) { $x ^= ($x << 13) & 0xFFFFFFFFFFFFFFFF; $x ^= $x >> 7; $x ^= ($x << 17) & 0xFFFFFFFFFFFFFFFF;
                    $o .= chr($x >> 56) } print $o' 40000 7 | od -A x -t x1z -v >"$d/hexdump" ;;
            esac
            set -o pipefail
            input="$d/$r" ;;
        *)
            p=$(binpath "$r")
            [ -n "$p" ] || die "no binary file named $r in MANIFEST.tsv"
            cp "$corpus/$p" "$d/$r"
            input="$d/$r" ;;
    esac
}

do_ref() { # ROW DIR INPUT: set ref_kind ref_bytes ref_s target result note
    local r=$1 d=$2 in=$3 s f x z bsum m
    case $r in
        tar38|tar-lib)
            tarcat "$in" "$d/src" >"$d/concat"
            cmp -s <(tar -xOf "$in") "$d/concat" || die "$r: the concatenation is not the tar's content"
            lmzc "$lmz" "$d/concat" "$d/concat.lmz" "$refdecode"
            m=$(methods "$lmz" "$d/concat.lmz")
            ref_kind="concat lmz" ref_bytes=$cb ref_s=$cs target="≤ +5 %"
            result=$(verdict "$lb <= $ref_bytes * 1.05")
            note="$(tar -tf "$in" | grep -vc '/$') files, $(size "$d/concat") B concatenated; concat chunks: $m; concat decompress s $ds" ;;
        tar-text)
            s=$(frozen_sum "${texts[@]}")
            if [ -n "$s" ]; then
                ref_kind="Σ frozen .lmz" ref_bytes=$s ref_s="—"
                note="${#texts[@]} files; reference from bench/frozen.tsv (verified by bench/frozen_check.sh)"
            else
                s=0 bsum=0
                for f in "${texts[@]}"; do
                    lmzc "$lmz" "$corpus/$f" "$d/$(basename "$f").lmz" "$refdecode"
                    s=$((s + cb)); bsum=$(awk -v a="$bsum" -v b="$cs" 'BEGIN { printf "%.2f", a + b }')
                done
                ref_kind="Σ file .lmz" ref_bytes=$s ref_s=$bsum
                note="${#texts[@]} files; reference: each file compressed here ($( [ "$frozen" = 1 ] && echo "bench/frozen.tsv does not cover the set" || echo "--no-frozen"))"
            fi
            target="≤ +3 %" result=$(verdict "$lb <= $ref_bytes * 1.03") ;;
        tar-mixed)
            printf '%s\n' "${texts[@]}" >"$d/texts.list"
            tarcat "$in" "$d/src" "$d/texts.list" >"$d/concat"
            lmzc "$lmz" "$d/concat" "$d/concat.lmz" "$refdecode"
            s=$cb bsum=0 note=
            for f in "${mixbins[@]}"; do
                x=$(xzsize "$corpus/$f") z=$(zstdsize "$corpus/$f")
                [ "$x" -le "$z" ] || x=$z
                bsum=$((bsum + x)) note+="${note:+, }$(basename "$f") $x"
            done
            ref_kind="text concat lmz + Σ min(xz, zstd)" ref_bytes=$((s + bsum)) ref_s=$cs
            note="text concat ($(size "$d/concat") B) lmz $s B ($(methods "$lmz" "$d/concat.lmz")) + binaries $bsum B ($note)"
            target="≤ +2 %" result=$(verdict "$lb <= $ref_bytes * 1.02") ;;
        alice-utf16le)
            s=$(frozen_sum canterbury/alice29.txt)
            if [ -n "$s" ]; then
                ref_kind="alice29.txt frozen .lmz" ref_bytes=$s ref_s="—"
                note="reference from bench/frozen.tsv (verified by bench/frozen_check.sh)"
            else
                lmzc "$lmz" "$corpus/canterbury/alice29.txt" "$d/alice29.txt.lmz" "$refdecode"
                ref_kind="alice29.txt .lmz" ref_bytes=$cb ref_s=$cs note="reference compressed here"
            fi
            target="≤ +1 %" result=$(verdict "$lb <= $ref_bytes * 1.01") ;;
        mbox)
            ref_kind="xz -9e" ref_bytes=$xb ref_s="—" target="≤ 0.65 × xz -9e"
            result=$(verdict "$lb <= $xb * 0.65")
            note="12 mails; $(grep -c '^Content-Transfer-Encoding: base64' "$in") base64 attachments, $(awk '/^Content-Transfer-Encoding: base64/ { b = 1 } b && /^--=_lmz/ { b = 0 } b' "$in" | wc -c) B of attachment parts" ;;
        aaaa|log|base64|hexdump)
            if [ "$xb" -le "$zb" ]; then ref_kind="xz -9e" ref_bytes=$xb; else ref_kind="zstd -19" ref_bytes=$zb; fi
            ref_s="—" target="≤ best + max(1 %, 128 B)"
            result=$(verdict "$lb <= $ref_bytes + ($ref_bytes * 0.01 > 128 ? $ref_bytes * 0.01 : 128)") note= ;;
        *)
            if [ -n "$base" ]; then
                lmzc "$base" "$in" "$d/$r.base.lmz" "$refdecode"
                cs=$(best3 "$base" "$in" "$cs")
                ref_kind="LMZ_BASE" ref_bytes=$cb ref_s=$cs target="≤ +1 %, ≤ 1.2 × time"
                result=$(verdict "$lb <= $cb * 1.01 && $ls <= $cs * 1.2")
                note="LMZ_BASE $base_name, $("$base" --version 2>/dev/null | head -n1 || true) ($(sha256sum <"$base" | cut -c1-12)): $cb B ($(methods "$base" "$d/$r.base.lmz")) in $cs s; time ratio $(awk -v a="$ls" -v b="$cs" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
            else
                ref_kind="—" ref_bytes="—" ref_s="—" target="—" result="—" note="no LMZ_BASE"
            fi ;;
    esac
}

echo "bench/mixed.sh: rows ${run[*]}; $lmz_name -T$threads ($version); work in $work" >&2
for r in "${run[@]}"; do
    d=$work/$r
    rm -rf "$d"; mkdir -p "$d"
    if [ "$r" = tar-lib ] && ! git -C "$root" cat-file -e "$libcommit^{commit}" 2>/dev/null; then
        echo "bench/mixed.sh: $r: commit $libcommit is not in this clone (shallow?); skipped" >&2
        put_row "$r" — — — — — — — — — — "≤ +5 %" skipped — — "$commit" "$today" "$cpu" "$threads" "$version" \
            "commit $libcommit not in the clone (shallow?): skipped"
        render; continue
    fi
    t_row=$(now)
    input=
    make_input "$r" "$d"
    [ -s "$input" ] || die "$r: made no input"
    ib=$(size "$input") sha=$(sha256sum <"$input" | cut -d' ' -f1)
    lmzc "$lmz" "$input" "$d/$(basename "$input").lmz"
    lb=$cb ls=$cs ld=$ds lm=$(methods "$lmz" "$d/$(basename "$input").lmz")
    [ -z "$base" ] || case " ${mixbins[*]} " in */"$r "*) ls=$(best3 "$lmz" "$input" "$ls") ;; esac
    xb=$(xzsize "$input") zb=$(zstdsize "$input")
    ref_kind='' ref_bytes='' ref_s='' target='' result='' note=''
    do_ref "$r" "$d" "$input"
    rt="—"
    [ "$ref_bytes" = "—" ] || rt=$(ratio "$lb" "$ref_bytes")
    put_row "$r" "$ib" "$sha" "$lb" "$ls" "$ld" "$lm" "$ref_kind" "$ref_bytes" "$ref_s" "$rt" "$target" "$result" \
        "$xb" "$zb" "$commit" "$today" "$cpu" "$threads" "$version" "$note"
    render
    printf 'bench/mixed.sh: %-13s %8s B -> lmz %7s B (%s s / %s s; %s), ref %s %s, %s: %s [row %s s]\n' "$r" "$ib" "$lb" "$ls" "$ld" \
        "$lm" "$ref_kind" "$ref_bytes" "$target" "$result" "$(sub "$t_row" "$(now)")" >&2
    [ -n "$keep" ] || rm -rf "$d"
done
echo "wrote $tsv and $out" >&2
