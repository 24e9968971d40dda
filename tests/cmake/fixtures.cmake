# Test fixtures (tests/fixtures/), built for the suites, registering no test.
#
# tinymodel_write(): a small random-weight GGUF for fast tests (llama by
# default; qwen2/qwen3, other weight types and BPE vocabularies on request);
# ggufw_*(): GGUF files of metadata only (hand-made vocabularies).
# Other suites: LIBS lmz_tinymodel, #include "fixtures/tinymodel.h".
add_library(lmz_tinymodel STATIC ${CMAKE_SOURCE_DIR}/tests/fixtures/tinymodel.c ${CMAKE_SOURCE_DIR}/tests/fixtures/ggufw.c)
target_include_directories(lmz_tinymodel PUBLIC ${CMAKE_SOURCE_DIR}/tests ${CMAKE_SOURCE_DIR}/lib
                           ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(lmz_tinymodel PUBLIC lmz_common m)

add_executable(mkmodel ${CMAKE_SOURCE_DIR}/tests/fixtures/mkmodel.c)
target_link_libraries(mkmodel PRIVATE lmz_tinymodel)
