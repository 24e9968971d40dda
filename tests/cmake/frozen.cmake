# tests/cmake/frozen.cmake — frozen outputs: today's default .lmz of a few
# small corpus files must be byte-identical to bench/frozen.tsv (produced at
# commit b035e15; see bench/frozen.md). Files long enough to fill the
# 1024-token attention window, short enough for ~30 s on 2 cores. Label: frozen.
set(LMZ_CORPUS_DIR "${CMAKE_SOURCE_DIR}/testdata/corpus" CACHE PATH
    "corpus directory (Canterbury, Calgary ... as in its MANIFEST.tsv) for the frozen-output test")
if(TARGET lmz_cli)
  if(IS_DIRECTORY "${LMZ_CORPUS_DIR}")
    add_test(NAME frozen_outputs
             COMMAND bash ${CMAKE_SOURCE_DIR}/bench/frozen_check.sh --corpus ${LMZ_CORPUS_DIR}
                     --lmz $<TARGET_FILE:lmz_cli> --table ${CMAKE_SOURCE_DIR}/bench/frozen.tsv
                     canterbury/xargs.1 calgary/paper4 calgary/paper5)
  else()
    message(STATUS "lmz: frozen_outputs skipped: no corpus at LMZ_CORPUS_DIR=${LMZ_CORPUS_DIR}")
    add_test(NAME frozen_outputs
             COMMAND bash -c "echo 'frozen_outputs SKIPPED: no corpus directory ${LMZ_CORPUS_DIR} at configure time (set -DLMZ_CORPUS_DIR=DIR and reconfigure)'; exit 77")
  endif()
  # frozen_check.sh exits 77 when the corpus directory is absent at run time
  set_tests_properties(frozen_outputs PROPERTIES LABELS "frozen" TIMEOUT 180 SKIP_RETURN_CODE 77)
endif()
