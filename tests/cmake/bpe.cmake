# Byte-level BPE tokenizer (lib/model/bpe.c, part of lmz_model; the model's
# tokenizer for gpt2 vocabularies). Reads testdata/tokenizer/ (the Qwen3 and GPT-2
# vocabularies and the reference vectors, tools/tokvec/) and testdata/corpus/.
# LMZ_TOKVEC_EXTRA=DIR in the environment adds Llama 3's vocabulary
# (node tools/tokvec/gen.mjs --llama3 DIR; not in the repository).
lmz_test(test_bpe SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/test_bpe.c
         LIBS lmz_model lmz_tinymodel LABELS model asan TIMEOUT 300)
