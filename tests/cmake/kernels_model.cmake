# Kernels (scalar vs SIMD bit-exactness) and the transformer forward pass.
lmz_test(test_kernels SOURCES unit/test_kernels.c LIBS lmz_kernels m LABELS asan)
lmz_test(test_model SOURCES unit/test_model.c LIBS lmz_model m LABELS model TIMEOUT 600)

# The int8 engine's ideal code length equals the float model's (eval.tsv)
# within 0.2 %: lmz-ideal and its script are research tools (bench/tools/,
# built by bench/tools/tools.cmake) that this test also runs.
add_test(NAME model_ideal_vs_eval COMMAND bash ${CMAKE_SOURCE_DIR}/bench/tools/check_ideal.sh $<TARGET_FILE:lmz-ideal> ${LMZ_TESTDATA})
set_tests_properties(model_ideal_vs_eval PROPERTIES LABELS "model;slow" TIMEOUT 1200)
