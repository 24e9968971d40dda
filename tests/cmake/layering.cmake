# tests/cmake/layering.cmake — the library's layers (doc/design.md, Layers).
#
#   layering_symbols  a decode-only program (tests/layering/decode_only.c)
#                     links against liblmz_decompress.a alone, and nm shows
#                     neither it nor the library defines a compression or
#                     lossy symbol (tests/layering/check_symbols.sh).
#   layering_includes every #include "..." of lib/, programs/ and include/
#                     follows the allowed-dependency table
#                     (tests/layering/check_layers.sh).
add_executable(decode_only ${CMAKE_SOURCE_DIR}/tests/layering/decode_only.c)
target_link_libraries(decode_only PRIVATE lmz_decompress)
set(LMZ_LAYERING_LOSSY)
if(TARGET lmz_lossy)
  set(LMZ_LAYERING_LOSSY $<TARGET_FILE:lmz_lossy>)
endif()
add_test(NAME layering_symbols
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/layering/check_symbols.sh ${CMAKE_NM} $<TARGET_FILE:decode_only>
                 $<TARGET_FILE:lmz_decompress> $<TARGET_FILE:lmz> "${LMZ_COMPRESS_SRC}" ${LMZ_LAYERING_LOSSY})
set_tests_properties(layering_symbols PROPERTIES LABELS "layering")

if(EXISTS ${CMAKE_SOURCE_DIR}/tests/layering/check_layers.sh)
  add_test(NAME layering_includes COMMAND bash ${CMAKE_SOURCE_DIR}/tests/layering/check_layers.sh ${CMAKE_SOURCE_DIR})
  set_tests_properties(layering_includes PROPERTIES LABELS "layering")
endif()
