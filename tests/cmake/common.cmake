# Common layer: the worker pool (every item once, spinning and sleeping waits).
lmz_test(test_pool SOURCES unit/test_pool.c LIBS lmz_common LABELS asan)
