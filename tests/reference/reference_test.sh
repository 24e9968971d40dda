#!/bin/bash
# tests/reference/reference_test.sh — lmz's forward pass on tiny generated
# models of every architecture and weight type of issue #20, against the
# float64 NumPy reference (forward.py; what it proves: README.md here).
#
#   reference_test.sh PATH/TO/mkmodel PATH/TO/dumpmodel
#
# For each model: mkmodel writes it, dumpmodel loads it with lmz's loader and
# writes lmz's converted weights and logits for 32 ids, forward.py compares
# (one row per model) and runs the negative controls. Exit 0 all passed, 1 a
# failure, 77 (ctest's skip) when $LMZ_PYTHON (default python3) or its NumPy
# is missing.
set -u
mk=$1 dump=$2
here=$(cd "$(dirname "$0")" && pwd)
py=${LMZ_PYTHON:-python3}
if ! command -v "$py" > /dev/null 2>&1 || ! "$py" -c 'import numpy' > /dev/null 2>&1; then
    echo "SKIP: $py with NumPy is needed (Debian: python3-numpy, scripts/install-deps.sh)"
    exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lmz-reference.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# n_embd and n_ff multiples of 256 (K-quants), 4 query heads of 64 sharing
# 2 kv heads (GQA), 2 layers; a context of 64 so 32 ids stay plain causal.
common="--embd 256 --ff 512 --heads 4 --kv-heads 2 --layers 2 --ctx 64"
models=() # "name|seed|mkmodel flags"
seed=1
for arch in llama qwen2 qwen3; do
    vocab="--vocab spm"
    [ "$arch" != llama ] && vocab="--vocab bpe --pre qwen2"
    for w in f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_k q5_k q6_k; do
        models+=("$arch-$w|$seed|--arch $arch --wtype $w $vocab")
        seed=$((seed + 1))
    done
done
# Llama 3-like: frequency factors, byte-level BPE (llama-bpe), own output matrix
models+=("llama3-q4_k|101|--arch llama --wtype q4_k --rope-freqs --vocab bpe --pre llama-bpe --untied")
models+=("llama3-bf16|102|--arch llama --wtype bf16 --rope-freqs --vocab bpe --pre llama-bpe --add-bos 1")
# qwen3 with head_dim (key_length) 128 != n_embd / n_head = 64
models+=("qwen3-hd128-q8|103|--arch qwen3 --wtype q8_0 --head-dim 128 --vocab bpe")
models+=("qwen3-hd128-q6k|104|--arch qwen3 --wtype q6_k --head-dim 128 --vocab bpe --untied")
# one kv head for 4 query heads; and plain multi-head attention
models+=("qwen2-kv1-q5_k|105|--arch qwen2 --wtype q5_k --kv-heads 1 --vocab bpe")
models+=("llama-mha-q4_0|106|--arch llama --wtype q4_0 --kv-heads 4")

fail=0 pairs=()
for m in "${models[@]}"; do
    IFS='|' read -r name s flags <<< "$m"
    # shellcheck disable=SC2086 # flags are words
    if ! "$mk" $common $flags "$tmp/$name.gguf" "$s"; then
        echo "$name: FAIL: mkmodel $common $flags"
        fail=1
        continue
    fi
    case "$flags" in *"--vocab bpe"*) V=321 ;; *) V=418 ;; esac # tinymodel_vocab_size, 64 merges
    ids=()
    for i in $(seq 0 31); do ids+=($(((i * 97 + s) % V))); done
    mkdir "$tmp/$name"
    if ! "$dump" "$tmp/$name.gguf" "$tmp/$name" "${ids[@]}"; then
        echo "$name: FAIL: dumpmodel (lmz cannot load or run it)"
        fail=1
        continue
    fi
    pairs+=("$tmp/$name.gguf" "$tmp/$name")
done
"$py" "$here/forward.py" "${pairs[@]}" || fail=1
[ "$fail" = 0 ] && echo "all models passed" || echo "FAILED"
exit "$fail"
