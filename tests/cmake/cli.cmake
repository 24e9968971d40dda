# tests/cmake/cli.cmake — end-to-end tests of the `lmz` command-line tool
# (tests/cli/cli_test.sh: round trips, pipes, -f/--rm/-o, -t/-l, damaged and
# truncated input, usage errors, full disk, signals). Label: cli.
if(TARGET lmz_cli)
  add_test(NAME cli_basic COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/cli_test.sh $<TARGET_FILE:lmz_cli> ${LMZ_TESTDATA}
           $<TARGET_FILE:mkmodel>)
  set_tests_properties(cli_basic PROPERTIES LABELS "cli" TIMEOUT 300)
endif()

# Streaming with bounded memory (10 MB random, 400 KB text through a tiny
# model, 200 MB text with --fast); prints peak RSS.
if(TARGET lmz_cli AND TARGET mkmodel)
  add_test(NAME cli_stream COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/stream_test.sh $<TARGET_FILE:lmz_cli> $<TARGET_FILE:mkmodel> ${LMZ_TESTDATA})
  set_tests_properties(cli_stream PROPERTIES LABELS "cli" TIMEOUT 600)
endif()

# A few CLI runs under valgrind memcheck (success and error paths).
if(TARGET lmz_cli AND TARGET mkmodel)
  add_test(NAME cli_valgrind COMMAND bash ${CMAKE_SOURCE_DIR}/tests/cli/valgrind_test.sh $<TARGET_FILE:lmz_cli> $<TARGET_FILE:mkmodel>)
  set_tests_properties(cli_valgrind PROPERTIES LABELS "cli;valgrind" TIMEOUT 600)
endif()

# `make install` into a DESTDIR, the exports of liblmz.so, a pkg-config build
# against the staged tree (tests/install/install_test.sh). Label: install.
if(TARGET lmz_cli)
  add_test(NAME install COMMAND bash ${CMAKE_SOURCE_DIR}/tests/install/install_test.sh ${CMAKE_BINARY_DIR} ${CMAKE_SOURCE_DIR} ${LMZ_PYTHON})
  set_tests_properties(install PROPERTIES LABELS "install" TIMEOUT 300)
endif()
