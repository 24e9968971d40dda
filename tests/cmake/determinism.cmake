# Identical .lmz bytes for every kernel path x thread count (doc/determinism.md).
if(TARGET lmz_cli)
  add_test(NAME determinism COMMAND bash ${CMAKE_SOURCE_DIR}/tests/determinism/determinism.sh $<TARGET_FILE:lmz_cli> ${LMZ_TESTDATA})
  set_tests_properties(determinism PROPERTIES LABELS "determinism" TIMEOUT 600)
endif()
