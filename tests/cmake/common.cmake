# Common layer: the worker pool (every item once, spinning and sleeping waits).
lmz_test(test_pool SOURCES unit/test_pool.c LIBS lmz_common LABELS asan)
# Common layer: UTF-16 <-> UTF-8 both byte orders, every code point, alice29.txt.
lmz_test(test_utf16 SOURCES unit/test_utf16.c LIBS lmz_common LABELS asan
         ARGS ${LMZ_TESTDATA}/corpus/canterbury/alice29.txt)
