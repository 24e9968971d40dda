# Golden .lmz files: decoded forever (format stability), see tests/golden/README.md.
if(TARGET lmz_cli)
  add_test(NAME golden COMMAND bash ${CMAKE_SOURCE_DIR}/tests/golden/golden_test.sh $<TARGET_FILE:lmz_cli>)
  set_tests_properties(golden PROPERTIES LABELS "golden" TIMEOUT 300)
endif()
