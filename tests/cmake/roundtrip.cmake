# The codec end to end (tiny generated models: fast).
lmz_test(test_codec SOURCES roundtrip/test_codec.c LIBS lmz lmz_tinymodel LABELS asan TIMEOUT 600)

# Round trip of corpus files with the default model (CI: a subset; run the
# script with --all for every text file under 1 MB).
if(TARGET lmz_cli)
  add_test(NAME corpus_roundtrip COMMAND bash ${CMAKE_SOURCE_DIR}/tests/roundtrip/corpus_roundtrip.sh $<TARGET_FILE:lmz_cli> ${LMZ_TESTDATA})
  set_tests_properties(corpus_roundtrip PROPERTIES LABELS "roundtrip" TIMEOUT 900)
endif()
