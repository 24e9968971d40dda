# bench/tools/tools.cmake — research tools (not tests), included by the root
# CMakeLists.txt. Both link the library layers directly.
#
# lmz-ideal: the model's ideal code length of files (sum of -log2 p, BOS as
# first context, window 1024 sliding with overlap 512, as eval.tsv); the test
# model_ideal_vs_eval (tests/cmake/kernels_model.cmake) runs it through
# bench/tools/check_ideal.sh.
add_executable(lmz-ideal ${CMAKE_SOURCE_DIR}/bench/tools/ideal.c)
target_link_libraries(lmz-ideal PRIVATE lmz_model m)
target_compile_definitions(lmz-ideal PRIVATE LMZ_SRC="${CMAKE_SOURCE_DIR}")
set_target_properties(lmz-ideal PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})

# lmz-mixlab: exact code length under the pure model and under the `lm+mix`
# mixer with chosen constants (tuning the mixer; bench/MIX.md).
add_executable(lmz-mixlab ${CMAKE_SOURCE_DIR}/bench/tools/mixlab.c)
target_link_libraries(lmz-mixlab PRIVATE lmz_codec m)
target_compile_definitions(lmz-mixlab PRIVATE LMZ_SRC="${CMAKE_SOURCE_DIR}")
set_target_properties(lmz-mixlab PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
