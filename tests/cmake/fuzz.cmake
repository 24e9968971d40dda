# tests/cmake/fuzz.cmake — robustness: fuzz targets, their seed corpus
# replayed as regression tests, and the fault tables (tests/fuzz/README.md).
#
# Always built (any compiler):
#   fuzz_<t>_replay   tests/fuzz/fuzz_<t>.c + replay_main.c, run by ctest on
#                     tests/fuzz/corpus/<t>/               labels: fuzz, asan
#   test_faults       tests/unit/test_faults.c: truncations, bit flips and
#                     absurd fields of frames and GGUF files; resource limits
#                                                          labels: faults, asan
#   make_seeds        tests/fuzz/make_seeds.c: regenerates the seed corpus
# With -DLMZ_FUZZ=ON and clang (`make fuzz`):
#   fuzz_<t>          libFuzzer binaries; the library is compiled with
#                     coverage instrumentation (-fsanitize=fuzzer-no-link).
#                     Combine with -DLMZ_SANITIZE=ON for ASan + UBSan.

set(LMZ_FUZZ_TARGETS frame decompress gguf tokenizer roundtrip lossy layout segment dict bpe)
set(LMZ_FUZZ_LIBS_frame lmz lmz_tinymodel)
set(LMZ_FUZZ_LIBS_decompress lmz lmz_tinymodel)
set(LMZ_FUZZ_LIBS_gguf lmz lmz_tinymodel)
set(LMZ_FUZZ_LIBS_tokenizer lmz_model_io lmz_tinymodel)
set(LMZ_FUZZ_LIBS_roundtrip lmz lmz_tinymodel)
set(LMZ_FUZZ_LIBS_lossy lmz_lossy lmz_tinymodel)
set(LMZ_FUZZ_LIBS_layout lmz lmz_tinymodel)
set(LMZ_FUZZ_LIBS_segment lmz lmz_tinymodel)
set(LMZ_FUZZ_LIBS_dict lmz lmz_tinymodel)
set(LMZ_FUZZ_LIBS_bpe lmz_model) # gguf.c + bpe.c + unicode_tables.c

foreach(t ${LMZ_FUZZ_TARGETS})
  lmz_test(fuzz_${t}_replay SOURCES fuzz/fuzz_${t}.c fuzz/replay_main.c LIBS ${LMZ_FUZZ_LIBS_${t}}
           LABELS fuzz asan ARGS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${t} TIMEOUT 600)
endforeach()

lmz_test(test_faults SOURCES unit/test_faults.c LIBS lmz lmz_tinymodel LABELS faults asan TIMEOUT 900)

add_executable(make_seeds ${CMAKE_SOURCE_DIR}/tests/fuzz/make_seeds.c)
target_include_directories(make_seeds PRIVATE ${CMAKE_SOURCE_DIR}/tests ${CMAKE_SOURCE_DIR}/lib
                           ${CMAKE_SOURCE_DIR}/include)
target_link_libraries(make_seeds PRIVATE lmz lmz_tinymodel)
target_compile_definitions(make_seeds PRIVATE LMZ_SRC="${CMAKE_SOURCE_DIR}")

option(LMZ_FUZZ "Build the libFuzzer targets (clang only; see tests/fuzz/README.md)" OFF)
if(LMZ_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(WARNING "LMZ_FUZZ needs clang (libFuzzer); the compiler is ${CMAKE_C_COMPILER_ID}: fuzz targets skipped")
  else()
    # coverage feedback from the code under test
    foreach(lib lmz_common lmz_kernels lmz_model lmz_coder lmz_format lmz lmz_lossy)
      if(TARGET ${lib})
        target_compile_options(${lib} PRIVATE -fsanitize=fuzzer-no-link)
      endif()
    endforeach()
    # fuzz_tokenizer compiles the GGUF reader and the tokenizer in (the
    # lmz_model_io library is defined by a fragment included after this one)
    set(LMZ_FUZZ_SRCS_tokenizer ${CMAKE_SOURCE_DIR}/lib/model/gguf.c ${CMAKE_SOURCE_DIR}/lib/model/tokenizer.c
        ${CMAKE_SOURCE_DIR}/lib/model/bpe.c ${CMAKE_SOURCE_DIR}/lib/model/unicode_tables.c)
    set(LMZ_FUZZ_LIBS_tokenizer lmz_common lmz_tinymodel m)
    foreach(t ${LMZ_FUZZ_TARGETS})
      add_executable(fuzz_${t} ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_${t}.c ${LMZ_FUZZ_SRCS_${t}})
      target_include_directories(fuzz_${t} PRIVATE ${CMAKE_SOURCE_DIR}/tests ${CMAKE_SOURCE_DIR}/lib
                                 ${CMAKE_SOURCE_DIR}/include)
      target_compile_definitions(fuzz_${t} PRIVATE LMZ_SRC="${CMAKE_SOURCE_DIR}")
      target_compile_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
      target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
      target_link_libraries(fuzz_${t} PRIVATE ${LMZ_FUZZ_LIBS_${t}})
      set_target_properties(fuzz_${t} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
    endforeach()
    list(TRANSFORM LMZ_FUZZ_TARGETS PREPEND fuzz_ OUTPUT_VARIABLE LMZ_FUZZ_BINARIES)
    add_custom_target(fuzz_all DEPENDS ${LMZ_FUZZ_BINARIES})
  endif()
endif()
