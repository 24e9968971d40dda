# Golden .lmz files: decoded forever (format stability), see tests/golden/README.md.
if(TARGET lmz_cli)
  add_test(NAME golden COMMAND bash ${CMAKE_SOURCE_DIR}/tests/golden/golden_test.sh $<TARGET_FILE:lmz_cli>)
  set_tests_properties(golden PROPERTIES LABELS "golden" TIMEOUT 300)
  # In the clang sanitizer build: the golden source (encoded by the gcc
  # build) must re-encode to identical bytes -- gcc/clang determinism.
  add_test(NAME golden_encode COMMAND bash ${CMAKE_SOURCE_DIR}/tests/golden/golden_test.sh $<TARGET_FILE:lmz_cli> --encode-only)
  set_tests_properties(golden_encode PROPERTIES LABELS "asan;golden" TIMEOUT 600)
endif()
# The other architectures' golden frames (issue #20), with the tiny models
# mkmodel generates (tests/fixtures/models.sh); also in the clang sanitizer
# build, where the re-encoding checks gcc/clang determinism for them.
if(TARGET lmz_cli AND TARGET mkmodel)
  add_test(NAME golden_models COMMAND bash ${CMAKE_SOURCE_DIR}/tests/golden/golden_models_test.sh $<TARGET_FILE:lmz_cli> $<TARGET_FILE:mkmodel> ${LMZ_TESTDATA})
  set_tests_properties(golden_models PROPERTIES LABELS "golden;asan" TIMEOUT 600)
endif()
