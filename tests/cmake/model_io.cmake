# GGUF reader, tokenizer, and the tiny-model writer used by other suites.
#
# lmz_model_io: gguf.c + tokenizer.c alone (the same sources lmz_model globs),
# so that these tests build without the rest of the model layer.
add_library(lmz_model_io STATIC ${CMAKE_SOURCE_DIR}/lib/model/gguf.c ${CMAKE_SOURCE_DIR}/lib/model/tokenizer.c)
target_include_directories(lmz_model_io PUBLIC ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/lib)
target_link_libraries(lmz_model_io PUBLIC lmz_common m)

# tinymodel_write(): a small random-weight llama GGUF for fast tests.
# Other suites: LIBS lmz_tinymodel, #include "tools/tinymodel.h".
add_library(lmz_tinymodel STATIC ${CMAKE_SOURCE_DIR}/tests/tools/tinymodel.c)
target_include_directories(lmz_tinymodel PUBLIC ${CMAKE_SOURCE_DIR}/tests ${CMAKE_SOURCE_DIR}/lib
                           ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(lmz_tinymodel PUBLIC lmz_common m)

add_executable(mkmodel ${CMAKE_SOURCE_DIR}/tests/tools/mkmodel.c)
target_link_libraries(mkmodel PRIVATE lmz_tinymodel)

lmz_test(test_gguf SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_gguf.c
         LIBS lmz_model_io lmz_tinymodel LABELS model asan TIMEOUT 120)
lmz_test(test_tokenizer SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_tokenizer.c
         LIBS lmz_model_io lmz_tinymodel LABELS model asan TIMEOUT 300)
