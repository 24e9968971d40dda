# Kernels (scalar vs SIMD bit-exactness) and the transformer forward pass.
lmz_test(test_kernels SOURCES unit/test_kernels.c LIBS lmz_kernels m LABELS asan)
lmz_test(test_model SOURCES unit/test_model.c LIBS lmz_model m LABELS model TIMEOUT 600)

# lmz-ideal: the model's ideal code length of files (sum of -log2 p, BOS as
# first context, window 1024 sliding with overlap 512, as eval.tsv).
add_executable(lmz-ideal ${CMAKE_SOURCE_DIR}/tests/tools/ideal.c)
target_link_libraries(lmz-ideal PRIVATE lmz_model m)
target_compile_definitions(lmz-ideal PRIVATE LMZ_SRC="${CMAKE_SOURCE_DIR}")
set_target_properties(lmz-ideal PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
add_test(NAME model_ideal_vs_eval COMMAND bash ${CMAKE_SOURCE_DIR}/tests/tools/check_ideal.sh $<TARGET_FILE:lmz-ideal> ${LMZ_SHARED})
set_tests_properties(model_ideal_vs_eval PROPERTIES LABELS "model;slow" TIMEOUT 1200)

# lmz-mixlab: exact code length under the pure model and under the `lm+mix`
# mixer with chosen constants (tuning the mixer; bench/mix.md).
add_executable(lmz-mixlab ${CMAKE_SOURCE_DIR}/tests/tools/mixlab.c)
target_link_libraries(lmz-mixlab PRIVATE lmz_model lmz_mix m)
target_compile_definitions(lmz-mixlab PRIVATE LMZ_SRC="${CMAKE_SOURCE_DIR}")
set_target_properties(lmz-mixlab PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
