# tests/cmake/lossy.cmake — the lossy mode (lib/lossy, doc/lossy.md):
# protected spans, segmentation, canonical text, the safe-substitution rule,
# metrics, property tests with planted items through every level (tiny
# model), lossy frames and their report, rewriter checks. Label: lossy.
if(TARGET lmz_lossy)  # lmz_tinymodel: fixtures.cmake (included first)
  lmz_test(test_lossy SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_lossy.c
           LIBS lmz_lossy lmz_tinymodel LABELS lossy asan TIMEOUT 300)
endif()

# End to end through the CLI: --lossy=1..5, lmz -l shows the report, the
# plain decoder reads the frames, --rewriter with tests/fixtures/rewrite.sh,
# usage errors. Tiny model, seconds.
if(TARGET lmz_cli)  # mkmodel: fixtures.cmake
  add_test(NAME cli_lossy COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/lossy_test.sh $<TARGET_FILE:lmz_cli>
           $<TARGET_FILE:mkmodel> ${CMAKE_SOURCE_DIR})
  set_tests_properties(cli_lossy PROPERTIES LABELS "cli;lossy" TIMEOUT 300)
endif()
