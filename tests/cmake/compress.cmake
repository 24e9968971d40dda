# Compression layer: the triage before the model (lib/compress/triage.h)
# against every chunk of the corpus text files, with their real zstd sizes.
lmz_test(test_triage SOURCES unit/test_triage.c LIBS PkgConfig::ZSTD m LABELS asan)
