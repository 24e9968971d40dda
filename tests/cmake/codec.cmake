# The codec end to end (tiny generated models: fast).
lmz_test(test_codec SOURCES roundtrip/test_codec.c LIBS lmz lmz_tinymodel LABELS asan TIMEOUT 600)
