# Identical .lmz bytes for every kernel path x thread count (doc/determinism.md).
if(TARGET lmz_cli)
  add_test(NAME determinism COMMAND bash ${CMAKE_SOURCE_DIR}/tests/determinism/determinism.sh $<TARGET_FILE:lmz_cli> ${LMZ_TESTDATA})
  set_tests_properties(determinism PROPERTIES LABELS "determinism" TIMEOUT 600)
endif()
# The same matrix for the other architectures and weight types (issue #20),
# with tiny generated models (tests/fixtures/models.sh).
if(TARGET lmz_cli AND TARGET mkmodel)
  add_test(NAME determinism_models COMMAND bash ${CMAKE_SOURCE_DIR}/tests/determinism/models.sh $<TARGET_FILE:lmz_cli> $<TARGET_FILE:mkmodel> ${LMZ_TESTDATA})
  set_tests_properties(determinism_models PROPERTIES LABELS "determinism" TIMEOUT 600)
endif()
