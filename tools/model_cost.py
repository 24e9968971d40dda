#!/usr/bin/env python3
"""tools/model_cost.py — what a model costs lmz per token, from its shapes.

Computed, not measured: multiply-adds per token, bytes read per decoding
step, and the memory lmz allocates at load and per coding thread, for the
default model and the common small open models (shapes from each model's
config.json on Hugging Face, as llama.cpp writes them into GGUF). The
speeds multiply those counts by the rates lmz's engine reached on the
default model (bench/RESULTS.md, session 13, AMD EPYC Zen 5, 2 threads):
compression 368 G multiply-adds/s (book1: 218,823 tokens in 26.2 s x 44.04 M),
decompression 23.7 GB/s of weights and cache read per step (74 % of the
machine's 32 GB/s). Bigger matrices tend to run closer to the peak, so the
compression estimates are conservative; decoding is memory-bound either way.

    tools/model_cost.py            prints the markdown table of doc/models.md

Terms (lib/model/llama.c; window W = 1024, cache slots W + 512):
  multiply-adds/token = layers x (d*nq + 2*d*kvd + nq*d + 3*d*ff)
                        + vocab x d (logits) + layers x heads x hd x 2W (attention)
  weights in memory    = every matrix as int8 + two copies of the float block
                        scales (1.25 B a weight) + on AVX-512 a tiled copy
                        (+1 B a weight); a tied embedding counts once
  KV cache per chunk   = layers x kv_heads x (W + 512) x hd x (key, value,
                        key tiles on AVX-512) + float scales
  decoding step reads  = the int8 weights and scales once (all chunks share
                        them) + each active chunk's keys and values at W
"""

W = 1024
SLOTS = W + 512
COMPRESS_MAC_S = 368e9
DECODE_B_S = 23.7e9
LM_ROWS = 64          # compression: rows of logits per forward call
DECODE_ROWS = 16 * 5  # decoding: 16 chunks x (1 + 4 draft rows)

# name, layers, d, heads, kv_heads, head_dim, ffn, vocab, tied, ctx, rope_dim
MODELS = [
    ("lmz-base (default)", 8, 512, 8, 8, 64, 1536, 16384, True, 1024, 64),
    ("SmolLM2-135M", 30, 576, 9, 3, 64, 1536, 49152, True, 8192, 64),
    ("Qwen2.5-0.5B", 24, 896, 14, 2, 64, 4864, 151936, True, 32768, 64),
    ("Qwen3-0.6B", 28, 1024, 16, 8, 128, 3072, 151936, True, 40960, 128),
    ("Llama-3.2-1B", 16, 2048, 32, 8, 64, 8192, 128256, True, 131072, 64),
    ("Qwen2.5-1.5B", 28, 1536, 12, 2, 128, 8960, 151936, True, 32768, 128),
]


def cost(L, d, H, Hkv, hd, ff, V, tied, ctx, rd):
    nq, kvd = H * hd, Hkv * hd
    block = L * (d * nq + 2 * d * kvd + nq * d + 3 * d * ff)
    params = block + V * d * (1 if tied else 2)
    macs = block + V * d + L * H * hd * 2 * W
    weights = params * 1.25                 # int8 + scales (d, d8)
    weights_avx512 = weights + params       # + the tiled copy
    rope = 2 * ctx * (rd // 2) * 4
    kv_chunk = L * Hkv * hd * (W * 2 + W // 32 * 2 * 4)        # read per token at a full window
    kv_alloc = L * Hkv * SLOTS * hd * 3 + L * Hkv * SLOTS * hd // 32 * 8
    step_bytes = block * 1.125 + V * d * 1.125                  # int8 + one scale copy read
    return dict(params=params, macs=macs, weights=weights, weights_avx512=weights_avx512, rope=rope,
                kv_chunk=kv_chunk, kv_alloc=kv_alloc, step=step_bytes,
                logits_c=LM_ROWS * V * 4, logits_d=DECODE_ROWS * V * 4, mixer=V * 8)


def mb(x):
    return f"{x / 1e6:,.0f}"


def main():
    print("| model | parameters | multiply-adds / token | compress (est.) | weights read / step | "
          "KV read / token / chunk | decode 1 chunk (est.) | decode 16 chunks (est.) | memory at load (AVX-512) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, *shape in MODELS:
        c = cost(*shape)
        comp = COMPRESS_MAC_S / c["macs"]
        d1 = DECODE_B_S / (c["step"] + c["kv_chunk"])
        d16 = 16 * DECODE_B_S / (c["step"] + 16 * c["kv_chunk"])
        load = c["weights_avx512"] + c["rope"]
        print(f"| {name} | {c['params'] / 1e6:,.0f} M | {c['macs'] / 1e6:,.0f} M | {comp:,.0f} tok/s | "
              f"{mb(c['step'])} MB | {mb(c['kv_chunk'])} MB | {d1:,.0f} tok/s | {d16:,.0f} tok/s | "
              f"{mb(load)} MB |")
    print()
    name, *shape = MODELS[2]
    c = cost(*shape)
    comp_thread = c["kv_alloc"] + c["logits_c"] + c["mixer"]
    dec = c["kv_alloc"] * 16 + c["logits_d"] + c["mixer"] * 16
    print(f"{name}, in detail (MB): converted weights {mb(c['weights'])} (+{mb(c['weights_avx512'] - c['weights'])} "
          f"tiled copy on AVX-512), RoPE tables {mb(c['rope'])}; per compressing thread: KV cache {mb(c['kv_alloc'])}, "
          f"logits of {LM_ROWS} rows {mb(c['logits_c'])}, mixer {mb(c['mixer'])}; decoding 16 chunks: KV caches "
          f"{mb(c['kv_alloc'] * 16)}, logits {mb(c['logits_d'])}, mixers {mb(c['mixer'] * 16)}. "
          f"Compressing on 2 threads ~{mb(c['weights_avx512'] + c['rope'] + 2 * comp_thread)}, decoding "
          f"~{mb(c['weights_avx512'] + c['rope'] + dec)}, plus the mapped GGUF file's pages while loading.")


if __name__ == "__main__":
    main()
