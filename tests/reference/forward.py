#!/usr/bin/env python3
"""Float64 reference forward pass for lmz's converted weights (issue #20).

Usage: forward.py [--rel R] MODEL.gguf DUMPDIR [MODEL.gguf DUMPDIR ...]

Each DUMPDIR is what tests/fixtures/dumpmodel wrote for MODEL.gguf: lmz's
converted weights (int8 q and float32 d per matrix, float32 vectors), its
hyper-parameters and its logits for a sequence of ids. For every model this
script checks, and prints one table row:

1. Weights (independently of lmz's dequantisers): the GGUF file is read and
   dequantised here, in NumPy, for every ggml type of issue #20 (F32, F16,
   BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K: ggml's block layouts). lmz's weight
   d*q, with lmz's NeoX row permutation undone (below), must equal the file's
   value within half a step of lmz's int8 requantisation, |d*q - w| <=
   d/2 (Q8_0 is copied: exactly equal), and each block's scale must be its
   largest |w| / 127. Vectors (norms, biases, rope_freqs) must be equal.

2. Logits: the architecture's forward pass in float64 on lmz's converted
   weights (dequantised, d*q in float64, rows back in the file's order), with
   Hugging Face semantics:
     RMSNorm      x / sqrt(mean(x^2) + eps) * w
     attention    q/k/v projections (+ qwen2's biases); qwen3: q and k
                  RMS-normalised per head (attn_q_norm, attn_k_norm) before
                  RoPE; RoPE with theta_i = base^(-2i/rope_dim) (divided by
                  rope_freqs[i] when the file has them), angle pos*theta_i, on
                  adjacent pairs (x[2i], x[2i+1]) for llama, on NeoX pairs
                  (x[i], x[i+rope_dim/2]) for qwen2/qwen3; grouped-query
                  attention (query head h reads kv head h // (n_head/n_head_kv));
                  causal softmax of q.k / sqrt(head_dim)
     FFN          SwiGLU: w_down (silu(w_gate x) * w_up x)
     output       final RMSNorm, then the output matrix (token_embd when tied)
   max |lmz - reference| over every logit must be <= BOUND, and lmz's argmax
   must equal the reference's wherever the reference's top-2 margin exceeds
   2 * BOUND.

3. Negative controls, which must FAIL the bound (else the check could not
   see the mistake they stand for, and the script exits non-zero): the same
   reference with the other RoPE style (NeoX for llama, adjacent for qwen);
   and, where the model has them, without rope_freqs, without qwen2's
   biases, without qwen3's q/k norms, with kv head h % n_head_kv for query
   head h (GQA's other plausible grouping).

Undoing lmz's permutation: for a NeoX file (hparams rope_neox = 1) lmz
stores row r of each head of wq, wk, bq, bk, q_norm and k_norm (0 <= r <
head_dim) at row perm(r) of that head (llama_rope_perm in lib/model/llama.h):
    perm(r) = 2r                      for r < rope_dim/2
    perm(r) = 2(r - rope_dim/2) + 1   for rope_dim/2 <= r < rope_dim
    perm(r) = r                       for r >= rope_dim
so the file's row r is lmz's row perm(r): file = lmz[perm].

The bound: BOUND = REL * rms(reference logits), REL = 0.3 (--rel to
change). Logits are a model's own scale, and lmz's error is relative to it:
lmz computes in float32 but quantises every vector entering an integer
product to int8 per block of 32: x -> d*round(x/d), d = max|x|/127, an
error uniform in +-d/2, i.e. a relative rms error of
(max/rms)/(127*sqrt(12)) ~ 2.5/440 ~ 0.57 % per vector (max/rms ~ 2.5 for a
block of 32 Gaussian-like values). A forward pass quantises 8 vectors per
layer (the normed input of q/k/v, the queries, the keys, the values, the
attention weights times the value scales, the attention output, the normed
input of gate/up, the SwiGLU output) and one more before the output matrix:
17 for 2 layers. Independent errors each carried at full weight to the
logits give a noise of sqrt(17) * 0.57 % ~ 2.4 % of rms(logits). Measured on
72 other tiny models (3 architectures x 6 weight types x 4 seeds): 1.6 % to
2.8 %, with maxima over the 32 x 321..418 logits of a model 4.0 to 6.1
times that rms (a rounding that flips moves a logit by more than a Gaussian
tail would), so max |dlogit| <= 17 % of rms(logits); this test's 30 models
stay under 13 %. REL = 0.3 is 12.5 times the predicted noise rms and 1.8
times the largest maximum measured; the negative controls land at 2.4 to 20
times the bound.
"""
import json
import os
import struct
import sys

import numpy as np

REL = 0.3  # the bound on max |dlogit|, times the rms of the reference's logits

# --------------------------------------------------------------------------
# GGUF reading and ggml dequantisation (independent of lmz)
# --------------------------------------------------------------------------

_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


def read_gguf(path):
    """Returns (metadata dict, {name: (ggml type, [ne0, ne1, ...], bytes)})."""
    buf = open(path, "rb").read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, buf, pos)[0]
        pos += struct.calcsize(fmt)
        return v

    def string():
        nonlocal pos
        n = take("<Q")
        s = buf[pos:pos + n].decode("utf-8")
        pos += n
        return s

    def value(t):
        if t == 8:
            return string()
        if t == 9:
            et, n = take("<I"), take("<Q")
            return [value(et) for _ in range(n)]
        return take(_SCALAR[t])

    if buf[:4] != b"GGUF":
        raise ValueError(f"{path}: not a GGUF file")
    pos = 4
    _version, n_tensors, n_kv = take("<I"), take("<Q"), take("<Q")
    meta = {}
    for _ in range(n_kv):
        k = string()
        meta[k] = value(take("<I"))
    infos = []
    for _ in range(n_tensors):
        name = string()
        dims = [take("<Q") for _ in range(take("<I"))]
        infos.append((name, dims, take("<I"), take("<Q")))
    align = meta.get("general.alignment", 32)
    base = (pos + align - 1) // align * align
    tensors = {}
    for name, dims, typ, off in infos:
        blck, size = LAYOUT[typ]
        n = int(np.prod(dims))
        tensors[name] = (typ, dims, buf[base + off: base + off + n // blck * size])
    return meta, tensors


# ggml type: (elements per block, bytes per block)
LAYOUT = {0: (1, 4), 1: (1, 2), 30: (1, 2), 8: (32, 34), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24),
          12: (256, 144), 13: (256, 176), 14: (256, 210)}
TYPE_NAME = {0: "F32", 1: "F16", 30: "BF16", 8: "Q8_0", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 12: "Q4_K",
             13: "Q5_K", 14: "Q6_K"}


def _k4_scales(s):
    """Q4_K/Q5_K: the 8 six-bit scales and mins of each block's 12 bytes
    (ggml's get_scale_min_k4). s: [nb, 12] uint8 -> two [nb, 8] arrays."""
    s = s.astype(np.int32)
    sc = np.empty((s.shape[0], 8), np.int32)
    mn = np.empty((s.shape[0], 8), np.int32)
    for j in range(4):
        sc[:, j] = s[:, j] & 63
        mn[:, j] = s[:, j + 4] & 63
    for j in range(4, 8):
        sc[:, j] = (s[:, j + 4] & 0xF) | ((s[:, j - 4] >> 6) << 4)
        mn[:, j] = (s[:, j + 4] >> 4) | ((s[:, j] >> 6) << 4)
    return sc, mn


def dequantize(typ, dims, raw):
    """ggml tensor -> float64 array of shape reversed(dims), in float32
    arithmetic where ggml uses it (the products d*sc, dmin*m)."""
    n = int(np.prod(dims))
    shape = tuple(reversed(dims))
    f32 = np.float32
    if typ == 0:
        y = np.frombuffer(raw, "<f4", n).astype(np.float64)
    elif typ == 1:
        y = np.frombuffer(raw, "<f2", n).astype(np.float64)
    elif typ == 30:
        y = (np.frombuffer(raw, "<u2", n).astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    elif typ == 8:
        b = np.frombuffer(raw, [("d", "<f2"), ("q", "i1", 32)])
        y = (b["q"].astype(f32) * b["d"].astype(f32)[:, None]).astype(np.float64)
    elif typ == 2:
        b = np.frombuffer(raw, [("d", "<f2"), ("q", "u1", 16)])
        q = np.concatenate([b["q"] & 0xF, b["q"] >> 4], axis=1).astype(np.int32) - 8
        y = (q.astype(f32) * b["d"].astype(f32)[:, None]).astype(np.float64)
    elif typ == 3:  # Q4_1: q * d + m
        b = np.frombuffer(raw, [("d", "<f2"), ("m", "<f2"), ("q", "u1", 16)])
        q = np.concatenate([b["q"] & 0xF, b["q"] >> 4], axis=1).astype(f32)
        y = (q * b["d"].astype(f32)[:, None] + b["m"].astype(f32)[:, None]).astype(np.float64)
    elif typ in (6, 7):  # Q5_0: (q - 16) * d; Q5_1: q * d + m; bit j of the u32 qh is value j's fifth bit
        if typ == 6:
            b = np.frombuffer(raw, [("d", "<f2"), ("qh", "<u4"), ("q", "u1", 16)])
        else:
            b = np.frombuffer(raw, [("d", "<f2"), ("m", "<f2"), ("qh", "<u4"), ("q", "u1", 16)])
        q = np.concatenate([b["q"] & 0xF, b["q"] >> 4], axis=1).astype(np.int64)
        q = q | (((b["qh"][:, None].astype(np.int64) >> np.arange(32)[None, :]) & 1) << 4)
        if typ == 6:
            y = ((q - 16).astype(f32) * b["d"].astype(f32)[:, None]).astype(np.float64)
        else:
            y = (q.astype(f32) * b["d"].astype(f32)[:, None] + b["m"].astype(f32)[:, None]).astype(np.float64)
    elif typ in (12, 13):
        if typ == 12:
            b = np.frombuffer(raw, [("d", "<f2"), ("dmin", "<f2"), ("s", "u1", 12), ("q", "u1", 128)])
        else:
            b = np.frombuffer(raw, [("d", "<f2"), ("dmin", "<f2"), ("s", "u1", 12), ("qh", "u1", 32),
                                    ("q", "u1", 128)])
        sc, mn = _k4_scales(b["s"])
        d, dmin = b["d"].astype(f32), b["dmin"].astype(f32)
        nb = len(b)
        y = np.empty((nb, 256), np.float64)
        for c in range(4):  # 64 values: sub-block 2c (low nibbles), 2c+1 (high)
            ql = b["q"][:, 32 * c:32 * c + 32].astype(np.int32)
            lo, hi = ql & 0xF, ql >> 4
            if typ == 13:
                qh = b["qh"].astype(np.int32)
                lo = lo + 16 * ((qh >> (2 * c)) & 1)
                hi = hi + 16 * ((qh >> (2 * c + 1)) & 1)
            for k, q in ((2 * c, lo), (2 * c + 1, hi)):
                d1 = d * sc[:, k].astype(f32)
                m1 = dmin * mn[:, k].astype(f32)
                y[:, 32 * k:32 * k + 32] = (d1[:, None] * q.astype(f32) - m1[:, None]).astype(np.float64)
    elif typ == 14:
        b = np.frombuffer(raw, [("ql", "u1", 128), ("qh", "u1", 64), ("sc", "i1", 16), ("d", "<f2")])
        d = b["d"].astype(f32)
        nb = len(b)
        y = np.empty((nb, 256), np.float64)
        for h in range(2):  # two halves of 128 values
            ql = b["ql"][:, 64 * h:64 * h + 64].astype(np.int32)
            qh = b["qh"][:, 32 * h:32 * h + 32].astype(np.int32)
            sc = b["sc"][:, 8 * h:8 * h + 8].astype(f32)
            parts = [(ql[:, :32] & 0xF) | ((qh & 3) << 4), (ql[:, 32:] & 0xF) | (((qh >> 2) & 3) << 4),
                     (ql[:, :32] >> 4) | (((qh >> 4) & 3) << 4), (ql[:, 32:] >> 4) | (((qh >> 6) & 3) << 4)]
            for p, q in enumerate(parts):
                q = q - 32
                for half in range(2):  # 16 values share a scale
                    s = sc[:, 2 * p + half]
                    cols = slice(128 * h + 32 * p + 16 * half, 128 * h + 32 * p + 16 * half + 16)
                    y[:, cols] = ((d * s)[:, None] * q[:, 16 * half:16 * half + 16].astype(f32)).astype(np.float64)
    else:
        raise ValueError(f"ggml type {typ} not handled")
    return y.reshape(shape)


# --------------------------------------------------------------------------
# lmz's dump
# --------------------------------------------------------------------------

def rope_perm(head_dim, rope_dim):
    """perm[r] = llama_rope_perm(r, rope_dim) for r < head_dim."""
    r = np.arange(head_dim)
    half = rope_dim // 2
    return np.where(r >= rope_dim, r, np.where(r < half, 2 * r, 2 * (r - half) + 1))


def unpermute(a, n_heads, hp):
    """lmz's rows (NeoX files: permuted per head) -> the file's order."""
    if not hp["rope_neox"]:
        return a
    hd = hp["head_dim"]
    idx = (np.arange(n_heads)[:, None] * hd + rope_perm(hd, hp["rope_dim"])[None, :]).reshape(-1)
    return a[idx]


class Dump:
    def __init__(self, d):
        self.dir = d
        with open(os.path.join(d, "hparams.json")) as f:
            self.hp = json.load(f)

    def has(self, name):
        return os.path.exists(os.path.join(self.dir, name + ".npy"))

    def vec(self, name):
        return np.load(os.path.join(self.dir, name + ".npy"))

    def qd(self, name):
        q = np.load(os.path.join(self.dir, name + ".q.npy"))
        d = np.load(os.path.join(self.dir, name + ".d.npy"))
        return q, d

    def mat(self, name):
        """float64 [rows][cols] = d * q"""
        q, d = self.qd(name)
        return q.astype(np.float64) * np.repeat(d.astype(np.float64), 32, axis=1)


# Which of lmz's tensors comes from which GGUF tensor, and how many heads its
# rows are permuted in (0: never permuted).
def tensor_map(hp, dump):
    H, KV = hp["n_head"], hp["n_head_kv"]
    m = [("tok_embd", "token_embd.weight", 0, True), ("out_norm", "output_norm.weight", 0, False)]
    if not hp["tied"]:
        m.append(("output", "output.weight", 0, True))
    if hp["rope_freqs"]:
        m.append(("rope_freqs", "rope_freqs.weight", 0, False))
    for l in range(hp["n_layer"]):
        p = f"blk.{l}."
        m += [(p + "wq", p + "attn_q.weight", H, True), (p + "wk", p + "attn_k.weight", KV, True),
              (p + "wv", p + "attn_v.weight", 0, True), (p + "wo", p + "attn_output.weight", 0, True),
              (p + "w_gate", p + "ffn_gate.weight", 0, True), (p + "w_up", p + "ffn_up.weight", 0, True),
              (p + "w_down", p + "ffn_down.weight", 0, True), (p + "attn_norm", p + "attn_norm.weight", 0, False),
              (p + "ffn_norm", p + "ffn_norm.weight", 0, False)]
        for ours, theirs, heads in (("bq", "attn_q.bias", H), ("bk", "attn_k.bias", KV), ("bv", "attn_v.bias", 0),
                                    ("q_norm", "attn_q_norm.weight", 1), ("k_norm", "attn_k_norm.weight", 1)):
            if dump.has(p + ours):
                m.append((p + ours, p + theirs, heads, False))
    return m


def check_weights(dump, gguf_tensors):
    """Returns (list of problems, the GGUF matrices' type name)."""
    hp = dump.hp
    problems, wtypes = [], set()
    for ours, theirs, heads, is_mat in tensor_map(hp, dump):
        if theirs not in gguf_tensors:
            problems.append(f"{ours}: the file has no {theirs}")
            continue
        typ, dims, raw = gguf_tensors[theirs]
        w = dequantize(typ, dims, raw)
        if is_mat:
            wtypes.add(TYPE_NAME[typ])
            q, d = dump.qd(ours)
            q, d = unpermute(q, heads, hp) if heads else q, unpermute(d, heads, hp) if heads else d
            if q.shape != w.shape:
                problems.append(f"{ours}: shape {q.shape}, file {w.shape}")
                continue
            ours_w = q.astype(np.float64) * np.repeat(d.astype(np.float64), 32, axis=1)
            if typ == 8:
                bad = np.abs(ours_w - w).max()
                if bad != 0:
                    problems.append(f"{ours}: Q8_0 not copied exactly (max |diff| {bad:.3g})")
                continue
            dd = np.repeat(d.astype(np.float64), 32, axis=1)
            err = np.abs(ours_w - w) - (0.5 * dd * (1 + 1e-5) + 1e-7 * np.abs(w))
            amax = np.abs(w).reshape(w.shape[0], -1, 32).max(axis=2)
            serr = np.abs(d.astype(np.float64) - amax / 127) - 1e-6 * amax / 127
            if err.max() > 0:
                i = np.unravel_index(np.argmax(err), err.shape)
                problems.append(f"{ours} ({TYPE_NAME[typ]}): lmz {ours_w[i]:.6g} vs file {w[i]:.6g} at (row, col) "
                                f"{tuple(int(k) for k in i)} of the file, more than half a step ({dd[i]:.3g}) apart")
            if serr.max() > 0:
                i = np.unravel_index(np.argmax(serr), serr.shape)
                problems.append(f"{ours} ({TYPE_NAME[typ]}): block scale {d[i]:.6g} at (row, block) "
                                f"{tuple(int(k) for k in i)}, expected max|w|/127 = {amax[i] / 127:.6g}")
        else:
            v = dump.vec(ours).astype(np.float64)
            v = unpermute(v.reshape(-1, 1), heads, hp).reshape(-1) if heads else v
            w = w.reshape(-1)
            if v.shape != w.shape or np.any(v != w):
                problems.append(f"{ours}: differs from {theirs}")
    return problems, "/".join(sorted(wtypes))


# --------------------------------------------------------------------------
# The forward pass
# --------------------------------------------------------------------------

def rmsnorm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope(x, pos, hp, style, freqs):
    """x: [T, heads, head_dim]; style 'adjacent' or 'neox'."""
    rd = hp["rope_dim"]
    half = rd // 2
    theta = float(np.float32(hp["rope_base"])) ** (-2.0 * np.arange(half) / rd)
    if freqs is not None:
        theta = theta / freqs
    ang = pos[:, None] * theta[None, :]  # [T, half]
    c, s = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    y = x.copy()
    if style == "adjacent":
        a, b = x[..., 0:rd:2], x[..., 1:rd:2]
        y[..., 0:rd:2] = a * c - b * s
        y[..., 1:rd:2] = a * s + b * c
    else:
        a, b = x[..., :half], x[..., half:rd]
        y[..., :half] = a * c - b * s
        y[..., half:rd] = a * s + b * c
    return y


class Weights:
    """lmz's converted weights in float64, rows in the file's order."""

    def __init__(self, dump):
        hp = self.hp = dump.hp
        H, KV = hp["n_head"], hp["n_head_kv"]
        self.emb = dump.mat("tok_embd")
        self.out = self.emb if hp["tied"] else dump.mat("output")
        self.out_norm = dump.vec("out_norm").astype(np.float64)
        self.freqs = dump.vec("rope_freqs").astype(np.float64) if hp["rope_freqs"] else None
        self.layers = []
        for l in range(hp["n_layer"]):
            p = f"blk.{l}."
            L = {k: dump.mat(p + k) for k in ("wq", "wk", "wv", "wo", "w_gate", "w_up", "w_down")}
            L["wq"], L["wk"] = unpermute(L["wq"], H, hp), unpermute(L["wk"], KV, hp)
            for k, heads in (("attn_norm", 0), ("ffn_norm", 0), ("bq", H), ("bk", KV), ("bv", 0), ("q_norm", 1),
                             ("k_norm", 1)):
                if dump.has(p + k):
                    v = dump.vec(p + k).astype(np.float64)
                    L[k] = unpermute(v.reshape(-1, 1), heads, hp).reshape(-1) if heads else v
            self.layers.append(L)


def forward(W, ids, style, use_freqs=True, biases=True, qk_norm=True, gqa="grouped"):
    """The architecture's forward pass (style: 'adjacent' or 'neox' RoPE);
    the other arguments make the negative controls' mistakes."""
    hp = W.hp
    eps = float(np.float32(hp["norm_eps"]))
    H, KV, hd = hp["n_head"], hp["n_head_kv"], hp["head_dim"]
    T = len(ids)
    pos = np.arange(T, dtype=np.float64)
    freqs = W.freqs if use_freqs else None
    mask = np.triu(np.full((T, T), -np.inf), 1)
    x = W.emb[ids]
    for L in W.layers:
        h = rmsnorm(x, L["attn_norm"], eps)
        q, k, v = h @ L["wq"].T, h @ L["wk"].T, h @ L["wv"].T
        if "bq" in L and biases:
            q, k, v = q + L["bq"], k + L["bk"], v + L["bv"]
        q, k, v = q.reshape(T, H, hd), k.reshape(T, KV, hd), v.reshape(T, KV, hd)
        if "q_norm" in L and qk_norm:
            q, k = rmsnorm(q, L["q_norm"], eps), rmsnorm(k, L["k_norm"], eps)
        q, k = rope(q, pos, hp, style, freqs), rope(k, pos, hp, style, freqs)
        att = np.empty((T, H, hd))
        for hh in range(H):
            g = hh // (H // KV) if gqa == "grouped" else hh % KV
            sc = q[:, hh, :] @ k[:, g, :].T / np.sqrt(hd) + mask
            sc = np.exp(sc - sc.max(axis=1, keepdims=True))
            att[:, hh, :] = (sc / sc.sum(axis=1, keepdims=True)) @ v[:, g, :]
        x = x + att.reshape(T, H * hd) @ L["wo"].T
        h = rmsnorm(x, L["ffn_norm"], eps)
        g, u = h @ L["w_gate"].T, h @ L["w_up"].T
        x = x + (g / (1 + np.exp(-g)) * u) @ L["w_down"].T
    return rmsnorm(x, W.out_norm, eps) @ W.out.T


# --------------------------------------------------------------------------

ARCH = {0: "llama", 1: "qwen2", 2: "qwen3"}


def check_model(gguf_path, dump_dir, rel):
    """Prints one row; returns a list of failures (empty: passed)."""
    dump = Dump(dump_dir)
    hp = dump.hp
    meta, tensors = read_gguf(gguf_path)
    fails, wtype = check_weights(dump, tensors)
    arch = ARCH.get(hp["arch"], "?")
    if meta.get("general.architecture") != arch:
        fails.append(f"lmz says {arch}, the file {meta.get('general.architecture')}")
    ids = np.load(os.path.join(dump_dir, "ids.npy")).astype(np.int64)
    got = np.load(os.path.join(dump_dir, "logits.npy")).astype(np.float64)
    W = Weights(dump)
    style = "neox" if arch in ("qwen2", "qwen3") else "adjacent"
    other = "adjacent" if style == "neox" else "neox"
    ref = forward(W, ids, style)
    bound = rel * float(np.sqrt(np.mean(ref * ref)))
    diff = np.abs(got - ref)
    maxd = diff.max()
    where = np.unravel_index(np.argmax(diff), diff.shape)
    top2 = np.sort(ref, axis=1)[:, -2:]
    decided = (top2[:, 1] - top2[:, 0]) > 2 * bound
    agree = np.argmax(got, axis=1) == np.argmax(ref, axis=1)
    if maxd > bound:
        fails.append(f"max |dlogit| {maxd:.4g} > bound {bound:.4g} at position {where[0]}, token {where[1]} "
                     f"(lmz {got[where]:.6g}, reference {ref[where]:.6g})")
    if not np.all(agree[decided]):
        bad = np.nonzero(decided & ~agree)[0]
        fails.append(f"argmax differs at positions {bad.tolist()} (margin > 2 x bound)")
    # negative controls: each must be outside the bound
    controls = [(f"rope={other}", np.abs(got - forward(W, ids, other)).max())]
    if W.freqs is not None:
        controls.append(("no rope_freqs", np.abs(got - forward(W, ids, style, use_freqs=False)).max()))
    if "bq" in W.layers[0]:
        controls.append(("no biases", np.abs(got - forward(W, ids, style, biases=False)).max()))
    if "q_norm" in W.layers[0]:
        controls.append(("no q/k norm", np.abs(got - forward(W, ids, style, qk_norm=False)).max()))
    if 1 < hp["n_head_kv"] < hp["n_head"]:
        controls.append(("kv head h%n_kv", np.abs(got - forward(W, ids, style, gqa="interleaved")).max()))
    for what, c in controls:
        if not c > bound:
            fails.append(f"negative control '{what}' is within the bound ({c:.4g} <= {bound:.4g}): "
                         "the check cannot see that mistake")
    ctl = ", ".join(f"{w} {c:.3f}" for w, c in controls)
    hd_note = f"{hp['n_head']}x{hp['head_dim']}/{hp['n_head_kv']}kv"
    print(f"{os.path.basename(dump_dir):<16} {arch:<6} {wtype:<5} {hd_note:<11} "
          f"max|d| {maxd:.4f} bound {bound:.3f} ({maxd / bound:.2f}) argmax {int(np.sum(agree[decided]))}/{int(np.sum(decided))} "
          f"decided, {int(np.sum(agree))}/{len(ids)} all; controls: {ctl}  {'ok' if not fails else 'FAIL'}")
    for f in fails:
        print(f"    FAIL: {f}")
    return fails


def main(argv):
    rel = REL
    args = []
    i = 0
    while i < len(argv):
        if argv[i] == "--rel":
            rel = float(argv[i + 1])
            i += 2
        else:
            args.append(argv[i])
            i += 1
    if len(args) < 2 or len(args) % 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    failed = 0
    for j in range(0, len(args), 2):
        try:
            failed += bool(check_model(args[j], args[j + 1], rel))
        except Exception as e:  # a broken dump is a failure, with its reason
            print(f"{os.path.basename(args[j + 1]):<22} FAIL: {type(e).__name__}: {e}")
            failed += 1
    print(f"{len(args) // 2 - failed} of {len(args) // 2} models passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
