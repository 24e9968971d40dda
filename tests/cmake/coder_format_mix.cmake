# Coder (logits -> frequencies, range coder) and format (.lmz frame) tests.
lmz_test(test_coder SOURCES unit/test_coder.c LIBS lmz_coder m LABELS coder)
lmz_test(test_frame SOURCES unit/test_frame.c LIBS lmz_format LABELS format)
lmz_test(test_mix SOURCES unit/test_mix.c LIBS lmz_mix m LABELS "coder;asan")
