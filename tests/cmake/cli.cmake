# tests/cmake/cli.cmake — end-to-end tests of the `lmz` command-line tool
# (tests/cli/cli_test.sh: round trips, pipes, -f/--rm/-o, -t/-l, damaged and
# truncated input, usage errors, full disk, signals). Label: cli.
if(TARGET lmz_cli)
  add_test(NAME cli_basic COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/cli_test.sh $<TARGET_FILE:lmz_cli> ${LMZ_SHARED})
  set_tests_properties(cli_basic PROPERTIES LABELS "cli" TIMEOUT 300)
endif()
