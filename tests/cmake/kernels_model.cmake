# Kernels (scalar vs SIMD bit-exactness) and the transformer forward pass.
lmz_test(test_kernels SOURCES unit/test_kernels.c LIBS lmz_kernels m LABELS asan)
lmz_test(test_model SOURCES unit/test_model.c LIBS lmz_model m TIMEOUT 600)
