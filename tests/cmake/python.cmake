# tests/cmake/python.cmake — the Python package (python/lmz) and its Dask
# scale-out (lmz.cluster), by pytest under LMZ_PYTHON (default Debian's
# /usr/bin/python3 with python3-pytest and python3-distributed, which
# scripts/install-deps.sh installs; `python3` on PATH may be another
# interpreter without them). Uses build/liblmz.so, build/lmz and the tiny
# model from build/tests/mkmodel. Label: python. Not in sanitizer builds
# (an ASan-built shared library cannot be loaded into an uninstrumented
# interpreter).
if(NOT LMZ_SANITIZE AND TARGET lmz_shared AND TARGET mkmodel AND TARGET lmz_cli)
  add_test(NAME python
           COMMAND ${CMAKE_COMMAND} -E env LMZ_BUILD_DIR=${CMAKE_BINARY_DIR} LMZ_LIBRARY=$<TARGET_FILE:lmz_shared>
                   LMZ_CLI=$<TARGET_FILE:lmz_cli> LMZ_MKMODEL=$<TARGET_FILE:mkmodel>
                   ${LMZ_PYTHON} -m pytest -q -p no:cacheprovider ${CMAKE_SOURCE_DIR}/python/tests)
  set_tests_properties(python PROPERTIES LABELS "python" TIMEOUT 600)
endif()
