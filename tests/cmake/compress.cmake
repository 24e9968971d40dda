# Compression layer: the triage before the model (lib/compress/triage.h)
# against every chunk of the corpus text files, with their real zstd sizes.
lmz_test(test_triage SOURCES unit/test_triage.c LIBS PkgConfig::ZSTD m LABELS asan)
# Where a chunk's text and binary runs are (lib/compress/segment.h, the `seg`
# method): the corpus files, built inputs (a tar among them), random inputs.
lmz_test(test_segment SOURCES unit/test_segment.c LIBS lmz_codec LABELS asan)
# Dictionaries (lib/codec/dict.c, lib/compress/dict_train.c): the prefix
# cache, the mixer's priming, training, round trips, damaged files.
lmz_test(test_dict SOURCES unit/test_dict.c LIBS lmz lmz_tinymodel m LABELS asan TIMEOUT 600)
