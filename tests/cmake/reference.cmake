# Issue #20: lmz's forward pass on tiny generated models of every architecture
# (llama, qwen2, qwen3) and weight type against a float64 NumPy reference that
# runs on lmz's converted weights (tests/reference/README.md). dumpmodel (a
# test tool) writes lmz's weights and logits; tests/reference/forward.py
# compares. Needs LMZ_PYTHON with NumPy (Debian's python3-numpy,
# scripts/install-deps.sh); skipped (77) without them. Label: model.
if(TARGET lmz_model AND TARGET mkmodel)
  add_executable(dumpmodel ${CMAKE_SOURCE_DIR}/tests/fixtures/dumpmodel.c)
  target_include_directories(dumpmodel PRIVATE ${CMAKE_SOURCE_DIR}/tests ${CMAKE_SOURCE_DIR}/lib
                             ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(dumpmodel PRIVATE lmz_model m)
  add_test(NAME model_reference
           COMMAND ${CMAKE_COMMAND} -E env LMZ_PYTHON=${LMZ_PYTHON}
                   bash ${CMAKE_SOURCE_DIR}/tests/reference/reference_test.sh $<TARGET_FILE:mkmodel>
                   $<TARGET_FILE:dumpmodel>)
  set_tests_properties(model_reference PROPERTIES LABELS "model" SKIP_RETURN_CODE 77 TIMEOUT 300)
endif()
