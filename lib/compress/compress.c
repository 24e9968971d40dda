/*
 * lib/compress/compress.c — bytes in, frames out.
 *
 * Input is cut into chunks (at most chunk_size bytes, preferably ending at a
 * line break) and every LMZ_CHUNKS_PER_FRAME chunks make a frame, so memory
 * stays bounded whatever the input size: one frame's input and output plus
 * the model's working state (see doc/format.md, "Memory").
 *
 * Each chunk is coded with the best method that applies: `lm` (the model +
 * range coder), the classical fallbacks zstd and xz, or `stored`; a chunk is
 * never larger than its input. Everything the output depends on is the input
 * bytes, the model and the recorded settings — never thread counts, SIMD
 * paths or how the caller slices its buffers.
 */
#include <lzma.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "compress/chunk_cut.h"
#include "compress/segment.h"
#include "compress/triage.h"
#include "codec/codec.h"
#include "codec/dict.h"
#include "kernels/kernels.h"
#include "mix/mix.h"

#define MIN_CHUNK 4096u
#define LM_ROWS 64u /* rows of logits produced per forward call */
/* A frame of highly repetitive text (markup, logs, tables: zstd -3 codes its
 * input below 1.6 bits per byte) is cut into chunks LONG_CHUNK_MULT times the
 * default chunk size: there the mixer's match models gain more from a longer
 * history than the decoder loses in parallelism (silesia/xml: 0.52 -> 0.42
 * bits per byte, doc/design-notes.md §4). Only when the caller left the
 * chunk size to lmz; the frame's input stays LMZ_CHUNKS_PER_FRAME default
 * chunks, so it holds fewer, longer chunks. An encoder choice, recorded in the
 * frame's chunk_size: decoders need nothing new. */
#define LONG_CHUNK_MULT 4u
#define REPETITIVE_ZSTD_LEVEL 3
/* Text and binary side by side (compress/segment.h, the `seg` method): a
 * binary-looking chunk is coded as `seg` when its text runs hold at least
 * half of it and SEG_MIN_CHUNK_TEXT bytes, any chunk when base64 blocks
 * hold SEG_MIN_CHUNK_B64 bytes or an eighth of it; a binary-looking frame is cut
 * along its runs when they hold SEG_MIN_FRAME_TEXT bytes or a quarter of it,
 * binary runs of SEG_BIG_BINARY bytes and more becoming chunks of their own
 * (the classical coders then see them whole). */
#define SEG_MIN_CHUNK_TEXT 256u
#define SEG_MIN_CHUNK_B64 4096u
#define SEG_MIN_FRAME_TEXT (16u << 10)
#define SEG_BIG_BINARY 4096u

/* ======================================================================== */
/* Chunking                                                                  */
/* ======================================================================== */

/* A chunk is "binary" (the model cannot help; skip it) when more than 1/8 of
 * its bytes are NUL, other control bytes than \t \n \v \f \r ESC, or bytes of
 * invalid UTF-8. */
static int looks_binary(const uint8_t *p, size_t n) {
    size_t bad = 0;
    for (size_t i = 0; i < n;) {
        uint8_t c = p[i];
        if (c < 0x80) {
            if (c < 0x20 && !(c >= 9 && c <= 13) && c != 27) bad++;
            i++;
            continue;
        }
        uint32_t len = lmz_utf8_len(p + i, n - i, 0); /* lead byte and continuations only */
        if (len) i += len;
        else {
            bad++;
            i++;
        }
    }
    return bad * 8 > n;
}

/* ======================================================================== */
/* Classical methods                                                         */
/* ======================================================================== */

static size_t zstd_encode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, int level) {
    size_t r = ZSTD_compress(dst, cap, src, n, level);
    return ZSTD_isError(r) ? 0 : r;
}

/* xz -9e settings as a raw LZMA2 stream (no .xz container: the frame already
 * has sizes and checksums, and the container costs ~60 bytes a chunk), with
 * the dictionary cut to the chunk: lzma2_dict_size() (codec.h), which the
 * decoder derives from raw_size. */
static size_t xz_encode(const uint8_t *src, size_t n, uint8_t *dst, size_t cap) {
    lzma_options_lzma opt;
    if (lzma_lzma_preset(&opt, 9 | LZMA_PRESET_EXTREME)) return 0;
    opt.dict_size = lzma2_dict_size(n);
    lzma_filter filters[2] = {{LZMA_FILTER_LZMA2, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
    size_t pos = 0;
    if (lzma_raw_buffer_encode(filters, NULL, src, n, dst, &pos, cap) != LZMA_OK) return 0;
    return pos;
}

/* ======================================================================== */
/* The `lm` method                                                           */
/* ======================================================================== */

typedef struct {
    const lmz_model *m;
    llama_work *w;
    llama_kv kv;
    float *logits;       /* [LM_ROWS][n_vocab] */
    lmz_freqs *fq;       /* [LM_ROWS] */
    uint32_t *sym_cum, *sym_freq; /* [LM_ROWS] */
    const int32_t *targets;
    /* `lm+mix`: the mixer and one table, stepped token by token */
    int mix;              /* also code the chunk as lm+mix */
    mix_state mx;
    lmz_freqs fmix;
    /* progress: called after every batch of rows */
    void (*progress)(void *opaque, uint64_t in_done, uint64_t out_done);
    void *progress_opaque;
    uint64_t in_base, out_base; /* bytes before this chunk */
    /* a dictionary (dict.h): its history precedes every chunk, its prefix
     * cache pre (made on first need) starts the model's cache */
    const lmz_dict *dict;
    const llama_kv *pre;
} lm_enc;

static int lm_enc_init(lm_enc *e, const lmz_model *m, uint32_t W, uint32_t max_chunk, const lmz_dict *d) {
    memset(e, 0, sizeof *e);
    e->m = m;
    e->dict = d;
    const uint32_t V = m->llm.hp.n_vocab;
    e->w = llama_work_create(&m->llm, LM_ROWS, W);
    e->logits = malloc((size_t)LM_ROWS * V * sizeof(float));
    e->fq = calloc(LM_ROWS, sizeof *e->fq);
    e->sym_cum = calloc(LM_ROWS, sizeof(uint32_t));
    e->sym_freq = calloc(LM_ROWS, sizeof(uint32_t));
    if (!e->w || !e->logits || !e->fq || !e->sym_cum || !e->sym_freq || llama_kv_init(&e->kv, &m->llm, W))
        return LMZ_IERR(LMZ_error_memory);
    for (uint32_t i = 0; i < LM_ROWS; i++)
        if (freqs_init(&e->fq[i], V)) return LMZ_IERR(LMZ_error_memory);
    if (mix_init(&e->mx, V, mix_profile(dict_profile(d)), dict_mix_tokens(d, max_chunk)) ||
        freqs_init(&e->fmix, V))
        return LMZ_IERR(LMZ_error_memory);
    return 0;
}

static void lm_enc_free(lm_enc *e) {
    llama_work_free(e->w);
    llama_kv_free(&e->kv);
    free(e->logits);
    if (e->fq)
        for (uint32_t i = 0; i < LM_ROWS; i++) freqs_free(&e->fq[i]);
    free(e->fq);
    free(e->sym_cum);
    free(e->sym_freq);
    mix_free(&e->mx);
    freqs_free(&e->fmix);
    memset(e, 0, sizeof *e);
}

/* Start of symbol s's interval in table f (the encoder needs one interval
 * per table, so it sums instead of building the whole cumulative table). */
static uint32_t sym_cum(const lmz_freqs *f, int32_t s) {
    return (uint32_t)lmz_kernels_get()->sum_u32(f->freq, (uint32_t)s); /* < 2^24 */
}

/* Row r's table, reduced to the interval of its target symbol. */
static void row_interval(void *arg, int r) {
    lm_enc *e = arg;
    freqs_interval(&e->fq[r], e->logits + (size_t)r * e->m->llm.hp.n_vocab, (uint32_t)e->targets[r], &e->sym_cum[r],
                   &e->sym_freq[r]);
}

/* Codes src[0..n) as `lm` into dst (at most cap bytes) and, when e->mix, as
 * `lm+mix` into dmix (at most cap bytes too) from the same logits. Sets
 * *lm_size / *mix_size to the coded sizes, 0 for a stream that would not fit
 * (the caller then picks another method). Returns 0 or -error. */
static int lm_encode_chunk(lm_enc *e, const uint8_t *src, size_t n, uint8_t *dst, uint8_t *dmix, size_t cap,
                           size_t *lm_size, size_t *mix_size, lmz_pool *pool) {
    const lmz_model *m = e->m;
    const uint32_t V = m->llm.hp.n_vocab;
    *lm_size = *mix_size = 0;
    int32_t *tok = NULL;
    size_t nt = 0;
    if (tok_encode(m->tok, src, n, &tok, &nt)) return LMZ_IERR(LMZ_error_memory);
    /* ids = BOS, the dictionary's history (if any), the chunk's tokens */
    const lmz_dict *d = e->dict;
    const size_t H = d ? d->hd.n_hist : 0;
    int32_t *ids = malloc((nt + 1 + H) * sizeof(int32_t));
    if (!ids) {
        free(tok);
        return LMZ_IERR(LMZ_error_memory);
    }
    memcpy(ids + 1 + H, tok, nt * sizeof(int32_t));
    free(tok);
    const size_t N = nt + 1 + H;

    lmz_renc rc, rm; /* `lm` and `lm+mix` streams */
    renc_init(&rc, dst, cap);
    int mix = e->mix && cap > 1;
    if (mix) {
        dmix[0] = (uint8_t)dict_profile(d); /* the payload's first byte: the mixer profile */
        renc_init(&rm, dmix + 1, cap - 1);
    }
    int err = 0;
    /* the dictionary's prefix cache: made on the first model-coded chunk of
     * the process (shared, under the dictionary's lock); then ids, the mixer
     * and the cache as the decoder starts them */
    if (d && !e->pre && !(e->pre = dict_prefix_kv(d, e->kv.span, pool))) err = LMZ_IERR(LMZ_error_memory);
    if (!err && !dict_chunk_start(d, m, e->pre, ids, mix ? &e->mx : NULL, &e->kv))
        err = LMZ_IERR(LMZ_error_parameter);
    /* Rows ids[i-1 ..] predict ids[i ..], LM_ROWS at a time, with the same
     * sliding-window attention the decoder uses (codec.h). */
    for (size_t i = 1 + H; i < N && !err && !(rc.overflow && (!mix || rm.overflow));) {
        uint32_t k = (uint32_t)(N - i < LM_ROWS ? N - i : LM_ROWS);
        if ((err = llama_forward_seq(&m->llm, e->w, &e->kv, ids + i - 1, k, 0, e->logits, pool))) break;
        e->targets = ids + i;
        lmz_pool_for(pool, (int)k, row_interval, e);
        for (uint32_t r = 0; r < k; r++) renc_encode(&rc, e->sym_cum[r], e->sym_freq[r], LMZ_FREQ_BITS);
        /* the mixer learns token by token: sequential (a few % of the model's time) */
        for (uint32_t r = 0; mix && r < k; r++) {
            const size_t at = i + r; /* ids[at] is the token coded now */
            const float *z = mix_predict(&e->mx, e->logits + (size_t)r * V, ids, at);
            freqs_from_logits(&e->fmix, z);
            const int32_t y = ids[at];
            renc_encode(&rm, sym_cum(&e->fmix, y), e->fmix.freq[y], LMZ_FREQ_BITS);
            mix_update(&e->mx, &e->fmix, ids, at);
        }
        i += k;
        if (e->progress)
            e->progress(e->progress_opaque, e->in_base + (uint64_t)((double)n * (double)(i - H) / (double)(N - H)),
                        e->out_base + (mix && rm.pos < rc.pos ? rm.pos : rc.pos));
    }
    free(ids);
    if (err) return err;
    size_t sz = renc_finish(&rc);
    if (!lmz_is_error(sz) && !rc.overflow) *lm_size = sz;
    if (mix) {
        sz = renc_finish(&rm);
        if (!lmz_is_error(sz) && !rm.overflow) *mix_size = sz + 1;
    }
    return 0;
}

/* ======================================================================== */
/* Streaming compression                                                     */
/* ======================================================================== */

/* One chunk coder: the model's encoder (made on first need), the candidate
 * outputs of one chunk, per method: lm, zstd, xz, lm+mix, and for `seg`:
 * the text runs joined, the binary runs joined, the whole chunk's classical
 * best, the binary runs' coded bytes; the run table. */
#define SCRATCH 8
typedef struct {
    lm_enc enc;
    int enc_ready;
    uint8_t *scratch[SCRATCH];
    size_t scratch_cap[SCRATCH];
    seg_run *runs;
    size_t runs_cap;
    lmz_msg msg;
} chunk_coder;

/* The chunks of a frame are coded side by side, each by one coder on one
 * thread, when the stream has several threads and the frame several chunks
 * (at most this many coders: each holds a model encoder, about 34 MiB). A
 * chunk's output depends only on its bytes, so the frame is the same
 * whichever thread coded which chunk. */
#define CODERS_MAX 8

struct lmz_cstream {
    const lmz_model *m;
    lmz_params p;
    lmz_pool *pool;
    lmz_status st;            /* sticky error + message */
    chunk_coder cc[CODERS_MAX]; /* cc[0] always; the others for chunks coded side by side */
    uint8_t *in;               /* input of the frame being gathered */
    size_t in_len, in_cap;
    uint8_t *out;              /* the last frame, waiting to be flushed */
    size_t out_len, out_pos, out_cap;
    uint8_t *payload;          /* the frame's payloads */
    uint8_t *u8;               /* a UTF-16 frame's UTF-8 form (3/2 of in_cap), made on first need */
    int utf16_order;           /* the last UTF-16 frame's byte order (1 LE, 2 BE), 0: none yet */
    size_t max_chunk;          /* longest chunk this stream may code with the model */
    int auto_chunk;            /* chunk size left to lmz: long chunks for repetitive frames */
    int ended, wrote_frame;
    uint64_t in_total, out_total;
    uint8_t dict_rec[300];     /* the frame's record of p.dict (extra section data) */
    size_t dict_rec_len;
};

size_t lmz_compress_bound(size_t n) {
    size_t frames = n / ((size_t)MIN_CHUNK * LMZ_CHUNKS_PER_FRAME) + 1;
    /* per frame: the largest header with no extra section, and some slack */
    return n + frames * (LMZ_FRAME_FIXED + LMZ_FRAME_MODEL_NAME_MAX + LMZ_FRAME_CHUNK_ENTRY * LMZ_CHUNKS_PER_FRAME
                         + 64u + 6u + 33u + LMZ_DICT_NAME_MAX); /* the slack, a dictionary section */
}

/* Buffers of coder c: with whole_frame, all but the model's outputs hold a
 * whole frame (a binary frame, a long binary run, or a chunk of mostly
 * binary and base64 runs is coded as one chunk: emit_frame), else one
 * chunk. */
static int coder_alloc(lmz_cstream *s, chunk_coder *c, int whole_frame) {
    const size_t nruns = seg_runs_max(s->in_cap);
    if (c->runs_cap < nruns) {
        free(c->runs);
        c->runs = malloc(nruns * sizeof *c->runs);
        c->runs_cap = c->runs ? nruns : 0;
        if (!c->runs) return LMZ_IERR(LMZ_error_memory);
    }
    for (int i = 0; i < SCRATCH; i++) {
        size_t need = whole_frame && i != 0 && i != 3 ? s->in_cap : s->max_chunk;
        if (c->scratch_cap[i] >= need) continue;
        free(c->scratch[i]);
        c->scratch[i] = malloc(need);
        c->scratch_cap[i] = c->scratch[i] ? need : 0;
        if (!c->scratch[i]) return LMZ_IERR(LMZ_error_memory);
    }
    return 0;
}

static void coder_free(chunk_coder *c) {
    if (c->enc_ready) lm_enc_free(&c->enc);
    for (int i = 0; i < SCRATCH; i++) free(c->scratch[i]);
    free(c->runs);
    memset(c, 0, sizeof *c);
}

lmz_cstream *lmz_cstream_create(const lmz_model *m, const lmz_params *p) {
    if (!m) return NULL;
    lmz_cstream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->m = m;
    s->auto_chunk = !p || p->chunk_size == 0;
    lmz_params_resolve(&s->p, p, m);
    if (s->p.chunk_size < MIN_CHUNK) s->p.chunk_size = MIN_CHUNK;
    s->max_chunk = (size_t)s->p.chunk_size * (s->auto_chunk ? LONG_CHUNK_MULT : 1);
    if (s->p.fallback < 0) s->p.fallback = 1;
    s->pool = lmz_pool_create(s->p.threads);
    s->in_cap = (size_t)s->p.chunk_size * LMZ_CHUNKS_PER_FRAME;
    s->in = malloc(s->in_cap);
    s->payload = malloc(s->in_cap);
    if (!s->pool || !s->in || !s->payload || coder_alloc(s, &s->cc[0], 1)) {
        lmz_cstream_free(s);
        return NULL;
    }
    if (s->p.dict) { /* the dictionary belongs to this model (its prefix cache: on first need) */
        if (memcmp(s->p.dict->hd.model_sha256, m->sha256, 32)) {
            lmz_cstream_free(s);
            return NULL;
        }
        s->dict_rec_len = dict_frame_record(s->p.dict, s->dict_rec, sizeof s->dict_rec);
    }
    return s;
}

void lmz_cstream_free(lmz_cstream *s) {
    if (!s) return;
    for (int i = 0; i < CODERS_MAX; i++) coder_free(&s->cc[i]);
    lmz_pool_free(s->pool);
    free(s->in);
    free(s->out);
    free(s->payload);
    free(s->u8);
    free(s);
}

const char *lmz_cstream_message(const lmz_cstream *s) {
    return s ? lmz_status_text(&s->st) : "";
}

/* ------------------------------------------------------------------------ */
/* Triage (compress/triage.h): is the model worth its minutes on a chunk?   */
/* ------------------------------------------------------------------------ */
/* The model on the chunk's first TRIAGE_SAMPLE bytes decides the near-random
 * case: it must code them in under 0.95 of zstd's bits per byte. */
#define TRIAGE_SAMPLE 512u

/* The model's encoder of coder c, made on first need. */
static int coder_enc(const lmz_cstream *s, chunk_coder *c) {
    if (c->enc_ready) return 0;
    RETURN_ERROR_IF(lm_enc_init(&c->enc, s->m, s->p.window, (uint32_t)s->max_chunk, s->p.dict), LMZ_error_memory,
                    &c->msg, "out of memory for the model");
    c->enc_ready = 1;
    return 0;
}

/* 1: code the chunk src[0..n) with the model too; 0: classical methods only
 * (zs: zstd -19's size, 0 when unknown or no smaller than the input);
 * -error. May run the model on a sample (coder c, threads of pool). */
static int model_worth(const lmz_cstream *s, chunk_coder *c, const uint8_t *src, size_t n, size_t zs,
                       lmz_pool *pool) {
    const int t = triage_classical(src, n, zs);
    if (t != TRIAGE_SAMPLE_FIRST) return t == TRIAGE_MODEL;
    /* near-random to zstd: how does the model do on a sample? */
    FORWARD_IF_ERROR(coder_enc(s, c));
    const size_t k = n < TRIAGE_SAMPLE ? n : TRIAGE_SAMPLE;
    c->enc.progress = NULL;
    c->enc.mix = 0;
    size_t lm_size, mix_size;
    int r = lm_encode_chunk(&c->enc, src, k, c->scratch[0], c->scratch[3], k, &lm_size, &mix_size, pool);
    RETURN_ERROR_IF(r < 0, LMZ_ICODE(r), &c->msg, "model coding failed");
    if (lm_size == 0) return 0; /* the sample did not even fit in its own size */
    return (uint64_t)lm_size * n * 100 < (uint64_t)95 * zs * k;
}

/* What a chunk is, for the coder (emit_frame decides): */
enum {
    CK_PLAIN,  /* text: the model and the classical methods; binary-looking: seg or classical */
    CK_MIXED,  /* a piece of a frame of text and binary runs: seg where it has both */
    CK_BINARY, /* a long binary run: classical methods only */
    CK_UTF16   /* UTF-16 text: its UTF-8 form coded as a `utf16` chunk */
};

/* The best plain method (0-4) for src[0..n): the model (when model) and the
 * classical methods (when the stream allows them), else stored. *best points
 * to the winner (a scratch buffer of coder c, or src for stored); it stays
 * valid until coder c codes again. pool/progress/opaque/in_base/out_base:
 * for the model's encoder. Returns 0 or -error (the message in c->msg). */
static int code_plain(const lmz_cstream *s, chunk_coder *c, const uint8_t *src, size_t n, int model,
                      lmz_pool *pool, void (*progress)(void *, uint64_t, uint64_t), void *opaque, uint64_t in_base,
                      uint64_t out_base, const uint8_t **best_out, size_t *size_out, uint8_t *method_out) {
    const uint8_t *best = src;
    size_t best_size = n;
    uint8_t best_method = LMZ_M_STORED;
    const int classical = s->p.fallback && !s->p.fast;
    size_t zs = 0; /* zstd -19's size when computed before the model (zs_known) */
    int zs_known = 0;
    if (s->p.fast) {
        size_t z = zstd_encode(src, n, c->scratch[1], n > 1 ? n - 1 : 0, 3);
        if (z > 0) {
            best = c->scratch[1];
            best_size = z;
            best_method = LMZ_M_ZSTD;
        }
    } else if (model) {
        /* zstd first: the triage's measurement, and a candidate below */
        if (classical) {
            zs = zstd_encode(src, n, c->scratch[1], n > 1 ? n - 1 : 0, 19);
            zs_known = 1;
        }
        const int worth = model_worth(s, c, src, n, zs, pool);
        if (worth < 0) return worth;
        if (worth) {
            FORWARD_IF_ERROR(coder_enc(s, c));
            c->enc.progress = progress;
            c->enc.progress_opaque = opaque;
            c->enc.in_base = in_base;
            c->enc.out_base = out_base;
            c->enc.mix = s->p.mix != 0;
            size_t lm_size, mix_size;
            int r = lm_encode_chunk(&c->enc, src, n, c->scratch[0], c->scratch[3], n > 1 ? n - 1 : 0, &lm_size,
                                    &mix_size, pool);
            RETURN_ERROR_IF(r < 0, LMZ_ICODE(r), &c->msg, "model coding failed");
            if (lm_size > 0 && lm_size < best_size) {
                best = c->scratch[0];
                best_size = lm_size;
                best_method = LMZ_M_LM;
            }
            if (mix_size > 0 && mix_size < best_size) {
                best = c->scratch[3];
                best_size = mix_size;
                best_method = LMZ_M_LM_MIX;
            }
        }
    }
    if (classical) {
        size_t z = zs_known ? zs : zstd_encode(src, n, c->scratch[1], best_size > 1 ? best_size - 1 : 0, 19);
        if (z > 0 && z < best_size) {
            best = c->scratch[1];
            best_size = z;
            best_method = LMZ_M_ZSTD;
        }
        size_t x = xz_encode(src, n, c->scratch[2], best_size > 1 ? best_size - 1 : 0);
        if (x > 0 && x < best_size) {
            best = c->scratch[2];
            best_size = x;
            best_method = LMZ_M_XZ;
        }
    }
    *best_out = best;
    *size_out = best_size;
    *method_out = best_method;
    return 0;
}

/* A chunk with text, binary and base64 runs as `seg` (doc/format.md 3.1):
 * the text part (text runs, and base64 runs that decode to text) by the
 * best plain method, the model among them; the binary part by the best
 * classical one. Decides each base64 run's part. Sets *size to the payload
 * written to dst (room for n - 1 bytes), 0 when it would not be smaller
 * than n - 1. */
static int code_seg(const lmz_cstream *s, chunk_coder *c, const uint8_t *src, size_t n, seg_run *runs, uint32_t nr,
                    uint8_t *dst, size_t *size, lmz_pool *pool, void (*progress)(void *, uint64_t, uint64_t),
                    void *opaque) {
    *size = 0;
    uint8_t *part[2] = {c->scratch[4], c->scratch[5]}; /* text, binary */
    size_t len[2] = {0, 0}, at = 0;
    for (uint32_t r = 0; r < nr; r++) {
        seg_run *u = &runs[r];
        if (u->kind >= SEG_B64_BINARY) { /* decoded into the binary part, moved if it is text */
            uint8_t *d = part[1] + len[1];
            seg_b64_decode(src + at, u, d);
            u->kind = seg_all_text(d, u->v) ? SEG_B64_TEXT : SEG_B64_BINARY;
            if (u->kind == SEG_B64_TEXT) memcpy(part[0] + len[0], d, u->v);
        } else {
            memcpy(part[seg_run_part(u->kind)] + len[seg_run_part(u->kind)], src + at, u->v);
        }
        len[seg_run_part(u->kind)] += u->v;
        at += u->len;
    }
    const uint8_t *tb = part[0], *bb = part[1];
    size_t ts = 0, bs = 0;
    uint8_t tm = LMZ_M_STORED, bm = LMZ_M_STORED;
    if (len[1]) FORWARD_IF_ERROR(code_plain(s, c, part[1], len[1], 0, NULL, NULL, NULL, 0, 0, &bb, &bs, &bm));
    memcpy(c->scratch[7], bb, bs); /* the text's coding reuses the classical buffers */
    if (len[0]) /* the model codes at most a chunk (base64 text attachments could make more) */
        FORWARD_IF_ERROR(code_plain(s, c, part[0], len[0], len[0] <= s->max_chunk, pool, progress, opaque, 0, 0, &tb,
                                    &ts, &tm));
    const size_t head = SEG_HEAD_MAX(nr);
    if (head + ts + bs >= n) return 0;
    size_t w = chunk_layout_seg_head(dst, tm, bm, runs, nr, (uint32_t)ts);
    memcpy(dst + w, tb, ts);
    memcpy(dst + w + ts, c->scratch[7], bs);
    *size = w + ts + bs;
    return 0;
}

/* Codes the chunk src[0..n) of kind (CK_*) with coder c into dst (room for
 * n bytes); fills ci. u8/u8n/order: a CK_UTF16 chunk's UTF-8 form and byte
 * order. pool: the threads the model may use for this chunk (NULL: this
 * one). progress/opaque/in_base/out_base: passed to the model's encoder.
 * Returns 0 or -error (the message in c->msg). */
static int code_chunk(const lmz_cstream *s, chunk_coder *c, int kind, const uint8_t *src, size_t n,
                      const uint8_t *u8, size_t u8n, int order, uint8_t *dst, lmz_chunk_info *ci, lmz_pool *pool,
                      void (*progress)(void *, uint64_t, uint64_t), void *opaque, uint64_t in_base,
                      uint64_t out_base) {
    const uint8_t *best;
    size_t size;
    uint8_t method;
    const int classical = s->p.fallback && !s->p.fast;
    int seg = 0;
    uint32_t nr = 0;
    if (kind == CK_UTF16) {
        /* the UTF-8 form by the best plain method, against the classical
         * methods on the UTF-16 bytes (a stream of other data after a
         * UTF-16 file converts too, into nonsense) */
        FORWARD_IF_ERROR(code_plain(s, c, u8, u8n, 1, pool, progress, opaque, in_base, out_base, &best, &size, &method));
        const int fits = UTF16_HEAD + size < n;
        if (fits) {
            size_t w = chunk_layout_utf16_head(dst, (uint8_t)order, method, (uint32_t)u8n);
            memcpy(dst + w, best, size);
            size += w;
        }
        const uint8_t *cb;
        size_t csz;
        uint8_t cm;
        FORWARD_IF_ERROR(code_plain(s, c, src, n, 0, NULL, NULL, NULL, 0, 0, &cb, &csz, &cm));
        if (!fits || csz < size) {
            best = cb;
            size = csz;
            method = cm;
        } else {
            best = dst;
            method = LMZ_M_UTF16;
        }
    } else {
        const int binary = kind != CK_BINARY && looks_binary(src, n);
        if (kind != CK_BINARY && classical) {
            /* text runs worth the model, with binary ones beside them?
             * base64 blocks? (a text chunk without them is coded whole) */
            size_t text, b64;
            nr = segment_runs(src, n, c->runs, &text, &b64);
            if (b64 >= SEG_MIN_CHUNK_B64 || (b64 && b64 * 8 >= n))
                seg = 1;
            else if (text == n)
                kind = CK_PLAIN; /* all text after all: the model on the whole chunk */
            else if (kind == CK_MIXED || binary)
                seg = text >= SEG_MIN_CHUNK_TEXT && text * 2 >= n;
        }
        const int model = kind != CK_BINARY && !seg && n <= s->max_chunk && !binary;
        FORWARD_IF_ERROR(code_plain(s, c, src, n, model, pool, progress, opaque, in_base, out_base, &best, &size,
                                    &method));
        if (seg) { /* the whole chunk's classical best (in c's buffers) against seg (written to dst) */
            size_t ss;
            if (best != src) memcpy(c->scratch[6], best, size), best = c->scratch[6];
            FORWARD_IF_ERROR(code_seg(s, c, src, n, c->runs, nr, dst, &ss, pool, progress, opaque));
            if (ss > 0 && ss < size) {
                best = dst;
                size = ss;
                method = LMZ_M_SEG;
            }
        }
    }
    if (best != dst) memcpy(dst, best, size);
    ci->raw_size = (uint32_t)n;
    ci->coded_size = (uint32_t)size;
    ci->method = method;
    ci->checksum = (uint32_t)lmz_xxh64(src, n);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The chunks of one frame, side by side                                    */
/* ------------------------------------------------------------------------ */

/* A frame's chunks, as emit_frame cut them: chunk i is s->in + off[i],
 * len[i] bytes, of kind[i] (CK_*). */
typedef struct {
    size_t off[LMZ_CHUNKS_PER_FRAME], len[LMZ_CHUNKS_PER_FRAME];
    uint8_t kind[LMZ_CHUNKS_PER_FRAME];
    size_t u8off[LMZ_CHUNKS_PER_FRAME], u8len[LMZ_CHUNKS_PER_FRAME]; /* CK_UTF16: its UTF-8 form in s->u8 */
    int order;  /* CK_UTF16: 0 little-endian, 1 big-endian */
    uint32_t nc;
    int big;    /* some chunk is longer than the coders' chunk buffers (set by emit_frame) */
} frame_plan;

/* Chunk i's coded bytes go to payload + off[i] (a chunk never codes larger
 * than its input), gathered afterwards. Progress sums the finished chunks
 * and each coder's current one. */
typedef struct {
    lmz_cstream *s;
    const uint8_t *src;
    const frame_plan *pl;
    lmz_chunk_info *ci;
    uint32_t nc;
    lmz_pool *pool;          /* threads inside a chunk: the stream's with one coder, else none */
    atomic_uint next;        /* the next chunk to take */
    atomic_int failed;       /* a coder failed: the others stop taking chunks */
    int rc[CODERS_MAX];
    /* progress: bytes done so far, reported from the calling thread only */
    pthread_t caller;
    _Atomic uint64_t in_done, out_done;     /* finished chunks */
    _Atomic uint64_t part_in[CODERS_MAX], part_out[CODERS_MAX]; /* each coder's current chunk */
    uint64_t in_base, out_base;
} frame_job;

typedef struct {
    frame_job *j;
    int c;
} coder_ref;

static void frame_progress(frame_job *j) {
    if (!j->s->p.progress || !pthread_equal(pthread_self(), j->caller)) return;
    uint64_t in = atomic_load(&j->in_done), out = atomic_load(&j->out_done);
    for (int c = 0; c < CODERS_MAX; c++) {
        in += atomic_load(&j->part_in[c]);
        out += atomic_load(&j->part_out[c]);
    }
    j->s->p.progress(j->s->p.progress_opaque, j->in_base + in, j->out_base + out);
}

static void coder_progress(void *opaque, uint64_t in_done, uint64_t out_done) {
    coder_ref *r = opaque;
    atomic_store(&r->j->part_in[r->c], in_done);
    atomic_store(&r->j->part_out[r->c], out_done);
    frame_progress(r->j);
}

/* Pool task c: coder c takes chunks until none is left. */
static void frame_coder_task(void *arg, int c) {
    frame_job *j = arg;
    coder_ref ref = {j, c};
    for (;;) {
        if (atomic_load(&j->failed)) return;
        uint32_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->nc) return;
        const frame_plan *pl = j->pl;
        const int utf = pl->kind[i] == CK_UTF16;
        int rc = code_chunk(j->s, &j->s->cc[c], pl->kind[i], j->src + pl->off[i], pl->len[i],
                            utf ? j->s->u8 + pl->u8off[i] : NULL, utf ? pl->u8len[i] : 0, pl->order,
                            j->s->payload + pl->off[i], &j->ci[i], j->pool, coder_progress, &ref, 0, 0);
        atomic_store(&j->part_in[c], 0);
        atomic_store(&j->part_out[c], 0);
        if (rc) {
            j->rc[c] = rc;
            atomic_store(&j->failed, 1);
            return;
        }
        atomic_fetch_add(&j->in_done, pl->len[i]);
        atomic_fetch_add(&j->out_done, j->ci[i].coded_size);
        frame_progress(j);
    }
}

/* Codes the chunks of plan pl into s->payload + off[i]. One chunk, or one thread: coder 0 on this thread takes them one
 * after the other, the model's products spread over the pool. Else up to
 * min(threads, nc, CODERS_MAX) coders side by side, one thread each: no
 * synchronisation inside a chunk, where the pool's threads would meet
 * several times per layer. */
static int code_chunks(lmz_cstream *s, const frame_plan *pl, lmz_chunk_info *ci) {
    const uint32_t nc = pl->nc;
    int nw = lmz_pool_size(s->pool);
    if (nw > (int)nc) nw = (int)nc;
    if (nw > CODERS_MAX) nw = CODERS_MAX;
    if (nw < 1) nw = 1;
    for (int c = 1; c < nw; c++)
        RETURN_ERROR_IF(coder_alloc(s, &s->cc[c], pl->big), LMZ_error_memory, &s->st.msg, "out of memory");
    frame_job *j = calloc(1, sizeof *j);
    RETURN_ERROR_IF(!j, LMZ_error_memory, &s->st.msg, "out of memory");
    j->s = s;
    j->src = s->in;
    j->pl = pl;
    j->ci = ci;
    j->nc = nc;
    j->pool = nw == 1 ? s->pool : NULL;
    j->caller = pthread_self();
    j->in_base = s->in_total - s->in_len;
    j->out_base = s->out_total;
    if (nw == 1)
        frame_coder_task(j, 0);
    else
        lmz_pool_for(s->pool, nw, frame_coder_task, j);
    int rc = 0;
    for (int c = 0; c < nw && !rc; c++)
        if (j->rc[c]) {
            rc = j->rc[c];
            memcpy(&s->st.msg, &s->cc[c].msg, sizeof s->st.msg);
        }
    free(j);
    return rc;
}

/* Adds chunk [off, off + len) of kind to plan pl; 0 when the plan is full. */
static int plan_add(frame_plan *pl, size_t off, size_t len, int kind) {
    if (pl->nc == LMZ_CHUNKS_PER_FRAME) return 0;
    pl->off[pl->nc] = off;
    pl->len[pl->nc] = len;
    pl->kind[pl->nc] = (uint8_t)kind;
    pl->nc++;
    return 1;
}

/* A frame of text and binary (binary-looking, with text runs: mode 0) or
 * of text with base64 blocks (mode 1): chunks along its runs. Long binary
 * runs become chunks of their own (CK_BINARY: the classical coders see them
 * whole); the rest is cut by its text, at most cs bytes of text runs per
 * chunk (the model's share stays that of a text chunk, the binary and
 * base64 runs between them are coded together: CK_MIXED, `seg` where a
 * chunk holds both). Sets *used; 0 when the frame holds too little text
 * (mode 0) or base64 (mode 1). */
static int plan_mixed(lmz_cstream *s, frame_plan *pl, size_t cs, size_t *used, int mode) {
    seg_run *runs = s->cc[0].runs; /* room for seg_runs_max(in_cap) */
    size_t text, b64;
    const uint32_t nr = segment_runs(s->in, s->in_len, runs, &text, &b64);
    if (mode == 0 && text + b64 < SEG_MIN_FRAME_TEXT && (text + b64) * 4 < s->in_len) return 0;
    if (mode == 1 && (b64 < SEG_MIN_CHUNK_B64 || b64 * 8 < s->in_len)) return 0;
    size_t start = 0, pos = 0, ctext = 0; /* the chunk being gathered: [start, pos), ctext bytes of text */
    int full = 0;
    for (uint32_t r = 0; r < nr && !full; r++) {
        size_t len = runs[r].len;
        if (runs[r].kind == SEG_BINARY && len >= SEG_BIG_BINARY) {
            if (pos > start && !plan_add(pl, start, pos - start, CK_MIXED)) break;
            if (!plan_add(pl, pos, len, CK_BINARY)) break;
            start = pos = pos + len;
            ctext = 0;
            continue;
        }
        if (runs[r].kind == SEG_TEXT)
            while (ctext + len > cs && !full) { /* the chunk ends inside this text run */
                size_t k = chunk_cut(s->in + pos, len, cs - ctext);
                if (!plan_add(pl, start, pos + k - start, CK_MIXED)) full = 1;
                start = pos += k;
                len -= k;
                ctext = 0;
            }
        if (full) break;
        pos += len;
        if (runs[r].kind == SEG_TEXT) ctext += len;
    }
    if (!full && pos > start) plan_add(pl, start, pos - start, CK_MIXED);
    *used = pl->nc ? pl->off[pl->nc - 1] + pl->len[pl->nc - 1] : 0;
    return pl->nc > 0;
}

/* A frame of UTF-16 text (lmz_utf16_detect, converting exactly, its UTF-8
 * form not binary-looking): chunks cut in its UTF-8 form as text is, so the
 * file makes as many chunks as its UTF-8 form; a cut never splits a
 * character. Sets *used; 0 when the frame is not such text. */
static int plan_utf16(lmz_cstream *s, frame_plan *pl, size_t cs, size_t *used) {
    size_t n = s->in_len;
    if (n % 2) return 0;
    /* the byte order: detected, or the previous frame's (only the first has a BOM) */
    int d = lmz_utf16_detect(s->in, n);
    if (!d) d = s->utf16_order;
    if (!d) return 0;
    if (!s->ended && n >= 2) { /* a high surrogate at the end waits for its pair in the next frame */
        const unsigned hi = d == 2 ? s->in[n - 2] : s->in[n - 1];
        if (hi >= 0xD8 && hi <= 0xDB) n -= 2;
    }
    const size_t cap = s->in_cap / 2 * 3;
    if (!s->u8 && !(s->u8 = malloc(cap))) return 0; /* then coded as binary: no harm */
    const size_t u = lmz_utf16_to_utf8(s->in, n, d == 2, s->u8, cap);
    if (u == LMZ_UTF16_BAD || u == 0 || looks_binary(s->u8, u)) return 0;
    size_t p8 = 0, p16 = 0;
    while (p8 < u && pl->nc < LMZ_CHUNKS_PER_FRAME) {
        size_t n8 = chunk_cut(s->u8 + p8, u - p8, cs);
        while (n8 < u - p8 && n8 > 1 && (s->u8[p8 + n8] & 0xC0) == 0x80) n8--; /* not inside a character */
        const size_t n16 = lmz_utf8_utf16_size(s->u8 + p8, n8);
        if (n16 == LMZ_UTF16_BAD) return pl->nc = 0, 0; /* cannot happen: the form is strict UTF-8 */
        pl->u8off[pl->nc] = p8;
        pl->u8len[pl->nc] = n8;
        plan_add(pl, p16, n16, CK_UTF16);
        p8 += n8;
        p16 += n16;
    }
    pl->order = d == 2;
    s->utf16_order = d;
    *used = p16;
    return 1;
}

/* Does chunk c (payload p) need the model, hence the dictionary? */
static int uses_model(const uint8_t *p, const lmz_chunk_info *c) {
    if (c->method == LMZ_M_LM || c->method == LMZ_M_LM_MIX) return 1;
    if (c->method != LMZ_M_SEG && c->method != LMZ_M_UTF16) return 0;
    lmz_chunk_layout_t L;
    if (lmz_is_error(lmz_chunk_layout(p, c->coded_size, c, &L))) return 1; /* cannot happen: we wrote it */
    for (unsigned i = 0; i < L.n_parts; i++)
        if (L.part_method[i] == LMZ_M_LM || L.part_method[i] == LMZ_M_LM_MIX) return 1;
    return 0;
}

/* Compresses up to LMZ_CHUNKS_PER_FRAME chunks from the front of s->in into
 * one frame in s->out. At the end of input, everything left is taken. */
static int emit_frame(lmz_cstream *s) {
    lmz_chunk_info chunks[LMZ_CHUNKS_PER_FRAME];
    frame_plan pl;
    memset(&pl, 0, sizeof pl);
    size_t cs = s->p.chunk_size;
    size_t used = 0, coded = 0;
    const int whole = s->ended || s->in_len == s->in_cap; /* the frame's input is all here */
    const int classical = s->p.fallback && !s->p.fast;
    if (classical && whole && plan_utf16(s, &pl, cs, &used)) {
        /* UTF-16 text */
    } else if (classical && whole && s->in_len > cs && looks_binary(s->in, s->in_len)) {
        /* Binary data with text runs, cut along them; pure binary data (the
         * model cannot help) as ONE chunk: zstd and xz then see the whole
         * frame (up to 1 MiB) as one window, as they would see the file,
         * instead of 64 KiB pieces. */
        if (!plan_mixed(s, &pl, cs, &used, 0)) {
            plan_add(&pl, 0, s->in_len, CK_BINARY);
            used = cs = s->in_len;
        }
    } else if (classical && whole && s->in_len > cs && plan_mixed(s, &pl, cs, &used, 1)) {
        /* text with base64 blocks (mail): the blocks decoded, coded together */
    } else {
        if (s->auto_chunk && !s->p.fast && whole && s->in_len > cs) {
            /* repetitive text: longer chunks (LONG_CHUNK_MULT); payload holds
             * a whole frame and is free until the chunks are coded */
            size_t z = zstd_encode(s->in, s->in_len, s->payload, s->in_len / 5, REPETITIVE_ZSTD_LEVEL);
            if (z > 0 && z * 5 < s->in_len) cs = s->max_chunk;
        }
        /* the cuts first: they depend on the input alone */
        while (pl.nc < LMZ_CHUNKS_PER_FRAME && used < s->in_len) {
            size_t left = s->in_len - used;
            size_t n = chunk_cut(s->in + used, left, cs);
            if (n == left && n < cs && !s->ended) break; /* wait for more input */
            plan_add(&pl, used, n, CK_PLAIN);
            used += n;
        }
    }
    const uint32_t nc = pl.nc;
    for (uint32_t i = 0; i < nc; i++) {
        cs = pl.len[i] > cs ? pl.len[i] : cs; /* the frame's chunk_size */
        pl.big |= pl.len[i] > s->max_chunk;
    }
    FORWARD_IF_ERROR(code_chunks(s, &pl, chunks));
    uint8_t flags = 0;
    for (uint32_t i = 0; i < nc; i++) { /* gather the payloads (coded <= raw: each moves down or stays) */
        memmove(s->payload + coded, s->payload + pl.off[i], chunks[i].coded_size);
        if (chunks[i].method >= LMZ_M_FIRST_EXT) flags |= LMZ_F_EXT;
        if (s->p.dict && uses_model(s->payload + coded, &chunks[i])) flags |= LMZ_F_DICT;
        coded += chunks[i].coded_size;
    }
    /* a frame whose chunks used the dictionary names it (extra section) */
    uint8_t extra[6 + sizeof s->dict_rec];
    if (flags & LMZ_F_DICT) {
        lmz_wr16(extra, LMZ_FRAME_DICT_TAG);
        lmz_wr32(extra + 2, (uint32_t)s->dict_rec_len);
        memcpy(extra + 6, s->dict_rec, s->dict_rec_len);
    }
    lmz_frame_header h;
    memset(&h, 0, sizeof h);
    h.version = LMZ_FORMAT_VERSION;
    h.flags = flags;
    memcpy(h.model_sha256, s->m->sha256, 32);
    snprintf(h.model_name, sizeof h.model_name, "%s", s->m->name);
    h.window = (uint16_t)s->p.window;
    h.overlap = LMZ_SINK_TOKENS; /* the `overlap` field holds the sink size (doc/format.md 4.1) */
    h.chunk_size = (uint32_t)cs;
    h.original_size = used;
    h.content_checksum = lmz_xxh64(s->in, used);
    h.n_chunks = nc;
    h.chunks = chunks;
    if (s->p.compact != 0 && nc <= 1) { /* the compact header: the identities inline and short */
        h.version = LMZ_FORMAT_COMPACT;
        h.content_checksum = (uint32_t)h.content_checksum;
        if (flags & LMZ_F_DICT) memcpy(h.dict_sha256, s->p.dict->hd.sha256, 32);
    } else if (flags & LMZ_F_DICT) {
        h.extra = extra;
        h.extra_size = (uint32_t)(6 + s->dict_rec_len);
    }
    size_t hs = frame_header_size(&h);
    RETURN_ERROR_IF(lmz_is_error(hs), LMZ_error_generic, &s->st.msg, "frame header");
    size_t need = hs + coded;
    if (need > s->out_cap) {
        free(s->out);
        s->out = malloc(need);
        s->out_cap = s->out ? need : 0;
        RETURN_ERROR_IF(!s->out, LMZ_error_memory, &s->st.msg, "out of memory");
    }
    size_t w = frame_write_header(&h, s->out, s->out_cap);
    RETURN_ERROR_IF(lmz_is_error(w), LMZ_error_generic, &s->st.msg, "cannot write the frame header");
    memcpy(s->out + w, s->payload, coded);
    s->out_len = w + coded;
    s->out_pos = 0;
    memmove(s->in, s->in + used, s->in_len - used);
    s->in_len -= used;
    s->out_total += s->out_len;
    s->wrote_frame = 1;
    return 0;
}

size_t lmz_compress_stream(lmz_cstream *s, lmz_out_buffer *out, lmz_in_buffer *in, lmz_end_op op) {
    if (!s || !out || !in || out->pos > out->size || in->pos > in->size) return LMZ_ERR(LMZ_error_parameter);
    if (s->st.error) return s->st.error;
    for (;;) {
        /* 1. flush */
        size_t pending = lmz_drain(s->out, s->out_len, &s->out_pos, out);
        if (pending) return pending;
        /* 2. absorb input */
        size_t k = in->size - in->pos, room = s->in_cap - s->in_len;
        if (k > room) k = room;
        if (k) {
            memcpy(s->in + s->in_len, (const uint8_t *)in->src + in->pos, k);
            s->in_len += k;
            in->pos += k;
            s->in_total += k;
        }
        if (op == LMZ_e_end && in->pos == in->size) s->ended = 1;
        /* 3. a frame when the buffer is full, or to finish */
        if (s->in_len == s->in_cap || (s->ended && (s->in_len > 0 || !s->wrote_frame))) {
            int rc = emit_frame(s);
            if (rc) return lmz_status_set_int(&s->st, rc);
            continue;
        }
        if (s->ended) return 0; /* everything flushed */
        return 1;               /* more input welcome */
    }
}

/* ======================================================================== */
/* One shot                                                                  */
/* ======================================================================== */

size_t lmz_compress(const lmz_model *m, void *dst, size_t dst_cap, const void *src, size_t src_size,
                    const lmz_params *p) {
    if (!m || (!dst && dst_cap) || (!src && src_size)) return LMZ_ERR(LMZ_error_parameter);
    lmz_cstream *s = lmz_cstream_create(m, p);
    if (!s) return LMZ_ERR(LMZ_error_memory);
    lmz_in_buffer in = {src, src_size, 0};
    lmz_out_buffer out = {dst, dst_cap, 0};
    size_t r;
    for (;;) {
        r = lmz_compress_stream(s, &out, &in, LMZ_e_end);
        if (lmz_is_error(r) || r == 0) break;
        if (out.pos == out.size) {
            r = LMZ_ERR(LMZ_error_dst_too_small);
            break;
        }
    }
    lmz_cstream_free(s);
    return lmz_is_error(r) ? r : out.pos;
}
