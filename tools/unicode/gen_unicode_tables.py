#!/usr/bin/python3
"""Writes lib/model/unicode_tables.c: the character classes of the BPE
pre-tokenizers (lib/model/bpe.c), from the Unicode Character Database.

    /usr/bin/python3 tools/unicode/gen_unicode_tables.py [UCD_DIR] [OUT.c]

UCD_DIR defaults to /usr/share/unicode (Debian's unicode-data package); the
files must be Unicode 15.0.0 (checked: the version is part of the output's
contract, see doc/models.md). Reads UnicodeData.txt (General_Category) and
PropList.txt (White_Space). Standard library only; the output depends only on
those two files.

Classes (disjoint; every code point has exactly one):
  LMZ_UC_LETTER  \\p{L}: General_Category Lu, Ll, Lt, Lm, Lo
  LMZ_UC_NUMBER  \\p{N}: General_Category Nd, Nl, No
  LMZ_UC_SPACE   \\s:    White_Space (PropList.txt) -- what Oniguruma (Hugging
                 Face tokenizers), Rust's regex and llama.cpp call \\s:
                 U+0009..000D, U+0020, U+0085, U+00A0, U+1680, U+2000..200A,
                 U+2028, U+2029, U+202F, U+205F, U+3000. (JavaScript's \\s
                 differs: it adds U+FEFF and lacks U+0085.)
  LMZ_UC_OTHER   everything else, unassigned code points included.
"""
import os
import sys

VERSION = "15.0.0"
LETTER, NUMBER, SPACE = 1, 2, 3
NAMES = {0: "LMZ_UC_OTHER", LETTER: "LMZ_UC_LETTER", NUMBER: "LMZ_UC_NUMBER", SPACE: "LMZ_UC_SPACE"}


def check_version(path):
    # UnicodeData.txt has no header; PropList.txt starts "# PropList-15.0.0.txt"
    with open(path, encoding="utf-8") as f:
        first = f.readline()
    if ("-" + VERSION + ".txt") not in first:
        sys.exit("%s: expected Unicode %s, first line is %r" % (path, VERSION, first.strip()))


def general_categories(path):
    """Code point -> two-letter General_Category, for assigned code points."""
    gc = {}
    first = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split(";")
            cp, name, cat = int(fields[0], 16), fields[1], fields[2]
            if name.endswith(", First>"):
                first = cp
                continue
            if name.endswith(", Last>"):
                for c in range(first, cp + 1):
                    gc[c] = cat
                first = None
                continue
            gc[cp] = cat
    return gc


def white_space(path):
    ws = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#")[0].strip()
            if not line:
                continue
            rng, prop = [x.strip() for x in line.split(";")]
            if prop != "White_Space":
                continue
            lo, _, hi = rng.partition("..")
            for c in range(int(lo, 16), int(hi or lo, 16) + 1):
                ws.add(c)
    return ws


def main():
    ucd = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode"
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "..", "lib", "model", "unicode_tables.c")
    check_version(os.path.join(ucd, "PropList.txt"))
    gc = general_categories(os.path.join(ucd, "UnicodeData.txt"))
    ws = white_space(os.path.join(ucd, "PropList.txt"))
    # Oniguruma documents \s as 0009-000D, 0085, Zl, Zp, Zs: the same set
    onig = {c for c, k in gc.items() if k in ("Zs", "Zl", "Zp")} | set(range(9, 14)) | {0x85}
    if onig != ws:
        sys.exit("White_Space differs from 0009-000D + 0085 + Zs/Zl/Zp: %r" % sorted(onig ^ ws))

    cls = bytearray(0x110000)
    for c, k in gc.items():
        if k[0] == "L":
            cls[c] = LETTER
        elif k[0] == "N":
            cls[c] = NUMBER
    for c in ws:
        assert cls[c] == 0, hex(c)
        cls[c] = SPACE

    # runs: (first code point, class); each runs until the next one starts
    runs = [(0, cls[0])]
    for c in range(1, 0x110000):
        if cls[c] != cls[c - 1]:
            runs.append((c, cls[c]))
    counts = {k: sum(1 for c in range(0x110000) if cls[c] == k) for k in (LETTER, NUMBER, SPACE)}

    lines = []
    w = lines.append
    w("/*")
    w(" * lib/model/unicode_tables.c -- GENERATED, do not edit. Unicode %s." % VERSION)
    w(" *")
    w(" * Written by tools/unicode/gen_unicode_tables.py from UnicodeData.txt and")
    w(" * PropList.txt of the Unicode Character Database %s (Debian's" % VERSION)
    w(" * unicode-data package, /usr/share/unicode):")
    w(" *     /usr/bin/python3 tools/unicode/gen_unicode_tables.py")
    w(" * The script's docstring defines the classes. %d letters (\\p{L}), %d" % (counts[LETTER], counts[NUMBER]))
    w(" * numbers (\\p{N}), %d White_Space code points; %d runs." % (counts[SPACE], len(runs)))
    w(" */")
    w('#include "model/unicode_tables.h"')
    w("")
    w("/* Classes of U+0000..U+007F. */")
    w("static const uint8_t ascii_class[128] = {")
    for i in range(0, 128, 16):
        w("    " + " ".join("%d," % cls[c] for c in range(i, i + 16)))
    w("};")
    w("")
    w("/* Runs of one class: entry i = (first code point << 8) | class; the run")
    w(" * lasts until the next entry's first code point (the last until U+10FFFF). */")
    w("static const uint32_t runs[%d] = {" % len(runs))
    for i in range(0, len(runs), 6):
        w("    " + " ".join("0x%08x," % ((c << 8) | k) for c, k in runs[i:i + 6]))
    w("};")
    w("")
    w("int lmz_uc_class(uint32_t cp) {")
    w("    if (cp < 128) return ascii_class[cp];")
    w("    if (cp > 0x10FFFF) return LMZ_UC_OTHER;")
    w("    /* the last run starting at or before cp */")
    w("    uint32_t lo = 0, hi = sizeof runs / sizeof runs[0]; /* runs[lo] <= cp < runs[hi] */")
    w("    while (hi - lo > 1) {")
    w("        uint32_t mid = lo + (hi - lo) / 2;")
    w("        if ((runs[mid] >> 8) <= cp) lo = mid;")
    w("        else hi = mid;")
    w("    }")
    w("    return (int)(runs[lo] & 0xFF);")
    w("}")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("%s: %d runs (letters %d, numbers %d, spaces %d)" % (out, len(runs), counts[LETTER], counts[NUMBER],
                                                             counts[SPACE]))


if __name__ == "__main__":
    main()
