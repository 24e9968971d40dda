# GGUF reader and tokenizer (their tests read models/lmz-base.gguf and
# testdata/; the tiny models come from tests/cmake/fixtures.cmake).
#
# lmz_model_io: gguf.c + tokenizer.c (+ bpe.c and its Unicode tables, which
# tokenizer.c hands gpt2 vocabularies to) alone (the same sources lmz_model globs),
# so that these tests build without the rest of the model layer.
add_library(lmz_model_io STATIC ${CMAKE_SOURCE_DIR}/lib/model/gguf.c ${CMAKE_SOURCE_DIR}/lib/model/tokenizer.c
            ${CMAKE_SOURCE_DIR}/lib/model/bpe.c ${CMAKE_SOURCE_DIR}/lib/model/unicode_tables.c)
target_include_directories(lmz_model_io PUBLIC ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/lib)
target_link_libraries(lmz_model_io PUBLIC lmz_common m)

lmz_test(test_gguf SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_gguf.c
         LIBS lmz_model_io lmz_tinymodel LABELS model asan TIMEOUT 120)
lmz_test(test_tokenizer SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_tokenizer.c
         LIBS lmz_model_io lmz_tinymodel LABELS model asan TIMEOUT 300)
