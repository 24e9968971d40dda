# bench/corpus.sh — sourced by the bench scripts: where a corpus file lives.
#
#   corpus_path REL   prints the path of corpus file REL (a MANIFEST path such
#                     as calgary/paper1 or silesia/xml) and returns 0, or
#                     warns on stderr and returns 1 when it is missing.
#
# Canterbury and Calgary are in the repository (testdata/corpus/). The
# larger files of testdata/corpus/EXTRA.tsv (silesia/xml, enwik/enwik4,
# enwik/enwik6) are not: they are read from the folder named by the
# environment variable LMZ_CORPUS_EXTRA, laid out like their paths
# ($LMZ_CORPUS_EXTRA/silesia/xml ...). testdata/corpus/README.md says where
# to get each one and its sha256.
LMZ_CORPUS=${LMZ_CORPUS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/testdata/corpus}
corpus_path() {
    if [ -f "$LMZ_CORPUS/$1" ]; then
        printf '%s\n' "$LMZ_CORPUS/$1"
    elif [ -n "${LMZ_CORPUS_EXTRA:-}" ] && [ -f "$LMZ_CORPUS_EXTRA/$1" ]; then
        printf '%s\n' "$LMZ_CORPUS_EXTRA/$1"
    else
        echo "note: corpus file $1 not found (not in testdata/corpus/; set LMZ_CORPUS_EXTRA for the files of EXTRA.tsv, see testdata/corpus/README.md): skipped" >&2
        return 1
    fi
}
