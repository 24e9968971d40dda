/*
 * lib/decompress/decompress.c — frames in, original bytes out.
 *
 * A stream of concatenated frames is decoded one frame at a time: gather the
 * header, check it (and the model it names, and the memory it would need),
 * gather the payloads, decode every chunk (stored / zstd / xz directly, the
 * `lm` chunks together as one batch), verify each chunk's checksum and the
 * frame's content checksum, and only then hand the bytes out. A damaged frame
 * therefore never yields a single byte of wrong output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decompress/lm_decode.h"
#include "mix/mix.h"

/* ======================================================================== */
/* One frame                                                                 */
/* ======================================================================== */

/* Memory a frame needs to decode: its bytes, its output, and the model state
 * of the chunks decoded together. */
static uint64_t frame_memory(const lmz_model *m, const lmz_frame_header *h, uint64_t frame_size) {
    uint64_t mem = frame_size + h->original_size, lm = 0, per, xz = 0;
    for (uint32_t c = 0; c < h->n_chunks; c++) {
        if (h->chunks[c].method == LMZ_M_LM || h->chunks[c].method == LMZ_M_LM_MIX) lm++;
        if (h->chunks[c].method == LMZ_M_XZ && lzma2_dict_size(h->chunks[c].raw_size) > xz)
            xz = lzma2_dict_size(h->chunks[c].raw_size); /* liblzma's dictionary */
    }
    mem += xz;
    if (lm && m) {
        uint64_t act = lm < LMZ_MAX_ACTIVE ? lm : LMZ_MAX_ACTIVE;
        per = llama_kv_bytes(&m->llm, h->window) + (uint64_t)m->llm.hp.n_vocab * 16 + ((uint64_t)h->chunk_size + 1) * 4 +
              mix_state_bytes(m->llm.hp.n_vocab, h->chunk_size);
        mem += act * per + lm_decode_scratch_bytes(m, h->window, (uint32_t)act);
    }
    return mem;
}

/* Checks that the frame can be decoded with model m within the limit. */
static int frame_check(const lmz_model *m, const lmz_params *p, const lmz_frame_header *h, uint64_t frame_size,
                       lmz_msg *msg) {
    int needs_model = 0;
    for (uint32_t c = 0; c < h->n_chunks; c++) {
        uint8_t mt = h->chunks[c].method;
        needs_model |= mt == LMZ_M_LM || mt == LMZ_M_LM_MIX;
    }
    if (needs_model) {
        RETURN_ERROR_IF(!m, LMZ_error_parameter, msg, "frame needs a model, none given");
        if (memcmp(m->sha256, h->model_sha256, 32) != 0) {
            char want[17], have[17];
            lmz_hex(h->model_sha256, 8, want); /* the first 8 bytes */
            lmz_hex(m->sha256, 8, have);
            RETURN_ERROR(LMZ_error_model_mismatch, msg,
                         "compressed with model '%s' (sha256 %s...), but the model in use is '%s' (sha256 %s...)",
                         h->model_name, want, m->name, have);
        }
        RETURN_ERROR_IF(h->window > m->llm.hp.n_ctx, LMZ_error_corrupt, msg,
                        "frame window %u exceeds the model context %u", h->window, m->llm.hp.n_ctx);
        RETURN_ERROR_IF(h->overlap != LMZ_SINK_TOKENS, LMZ_error_unsupported, msg,
                        "frame uses %u sink tokens; this version supports %u", h->overlap, LMZ_SINK_TOKENS);
    }
    uint64_t need = frame_memory(m, h, frame_size);
    RETURN_ERROR_IF(need > p->memory_limit, LMZ_error_memory_limit, msg,
                    "frame needs %llu MiB to decode, limit is %llu MiB (see --memory)",
                    (unsigned long long)(need >> 20) + 1, (unsigned long long)(p->memory_limit >> 20));
    return 0;
}

/* Progress inside a frame: decoded bytes are reported as the share of the
 * frame's compressed bytes they stand for. */
typedef struct {
    const lmz_params *p;
    uint64_t in_base, out_base, frame_size, original_size;
} frame_tick;

static void frame_tick_fn(void *ctx, uint64_t bytes_done) {
    frame_tick *t = ctx;
    if (!t->p->progress || !t->original_size) return;
    uint64_t in = t->in_base + (uint64_t)((double)t->frame_size * (double)bytes_done / (double)t->original_size);
    t->p->progress(t->p->progress_opaque, in, t->out_base + bytes_done);
}

/* Decodes a whole frame (header already parsed from src) into dst. */
static int frame_decode(const lmz_model *m, lmz_pool *pool, const lmz_frame_header *h,
                        const uint8_t *src, uint8_t *dst, frame_tick *tick, lmz_msg *msg) {
    uint64_t out = 0;
    uint32_t nlm = 0;
    lm_chunk_job *jobs = NULL;
    int rc = 0;
    for (uint32_t c = 0; c < h->n_chunks; c++) nlm += h->chunks[c].method == LMZ_M_LM || h->chunks[c].method == LMZ_M_LM_MIX;
    RETURN_ERROR_IF(nlm && !(jobs = calloc(nlm, sizeof *jobs)), LMZ_error_memory, msg, "out of memory");
    uint32_t j = 0;
    for (uint32_t c = 0; c < h->n_chunks && rc == 0; c++) {
        const lmz_chunk_info *ci = &h->chunks[c];
        const uint8_t *pl = src + ci->offset;
        switch (ci->method) {
        case LMZ_M_STORED: memcpy(dst + out, pl, ci->raw_size); break;
        case LMZ_M_ZSTD:
        case LMZ_M_XZ: rc = classic_decode(ci->method, pl, ci->coded_size, dst + out, ci->raw_size, msg); break;
        case LMZ_M_LM_MIX:
            if (pl[0] != MIX_PROFILE) {
                rc = lmz_fail(msg, LMZ_error_unsupported, "lm+mix profile %u (this version knows %u)", pl[0], MIX_PROFILE);
                break;
            }
            /* fall through */
        case LMZ_M_LM:
            jobs[j].mix = ci->method == LMZ_M_LM_MIX;
            jobs[j].payload = pl;
            jobs[j].coded_size = ci->coded_size;
            jobs[j].raw_size = ci->raw_size;
            jobs[j].dst = dst + out;
            j++;
            break;
        default: rc = lmz_fail(msg, LMZ_error_unsupported, "chunk %u: unknown method %u", c, ci->method);
        }
        if (rc) {
            char tmp[LMZ_MSG_MAX];
            snprintf(tmp, sizeof tmp, "%s", msg->text);
            lmz_fail(msg, LMZ_ICODE(rc), "chunk %u: %s", c, tmp);
        }
        out += ci->raw_size;
    }
    if (rc == 0 && nlm) rc = lm_decode_chunks(m, h->window, jobs, nlm, LMZ_MAX_ACTIVE, pool, frame_tick_fn, tick, msg);
    free(jobs);
    if (rc) return rc;
    /* verify: every chunk, then the whole content */
    out = 0;
    for (uint32_t c = 0; c < h->n_chunks; c++) {
        uint32_t sum = (uint32_t)lmz_xxh64(dst + out, h->chunks[c].raw_size);
        RETURN_ERROR_IF(sum != h->chunks[c].checksum, LMZ_error_chunk_checksum, msg,
                        "chunk %u (%u bytes at offset %llu): checksum mismatch", c, h->chunks[c].raw_size,
                        (unsigned long long)out);
        out += h->chunks[c].raw_size;
    }
    RETURN_ERROR_IF(lmz_xxh64(dst, h->original_size) != h->content_checksum, LMZ_error_content_checksum, msg,
                    "content checksum mismatch");
    return 0;
}

/* ======================================================================== */
/* Streaming decompression                                                   */
/* ======================================================================== */

struct lmz_dstream {
    const lmz_model *m;
    lmz_params p;
    lmz_pool *pool;
    lmz_status st;            /* sticky error + message */
    uint8_t *in;              /* bytes of the current frame gathered so far */
    size_t in_len, in_cap;
    size_t want;              /* bytes of the current frame needed next */
    lmz_frame_header h;
    int have_header;
    uint8_t *out;             /* the decoded frame, waiting to be flushed */
    size_t out_len, out_pos;
    uint64_t in_total, out_total; /* bytes of complete frames, for progress */
};

lmz_dstream *lmz_dstream_create(const lmz_model *m, const lmz_params *p) {
    lmz_dstream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->m = m;
    lmz_params_resolve(&s->p, p, m);
    s->pool = lmz_pool_create(s->p.threads);
    if (!s->pool) {
        free(s);
        return NULL;
    }
    s->want = 10;
    return s;
}

void lmz_dstream_free(lmz_dstream *s) {
    if (!s) return;
    lmz_pool_free(s->pool);
    frame_header_free(&s->h);
    free(s->in);
    free(s->out);
    free(s);
}

const char *lmz_dstream_message(const lmz_dstream *s) {
    return s ? lmz_status_text(&s->st) : "";
}

static int grow_in(lmz_dstream *s, size_t n) {
    if (n <= s->in_cap) return 0;
    size_t cap = s->in_cap ? s->in_cap : 4096;
    while (cap < n) cap = cap * 2 < cap ? n : cap * 2;
    uint8_t *b = realloc(s->in, cap);
    if (!b) return -1;
    s->in = b;
    s->in_cap = cap;
    return 0;
}

size_t lmz_decompress_stream(lmz_dstream *s, lmz_out_buffer *out, lmz_in_buffer *in) {
    if (!s || !out || !in || out->pos > out->size || in->pos > in->size) return LMZ_ERR(LMZ_error_parameter);
    if (s->st.error) return s->st.error;
    for (;;) {
        /* 1. flush a decoded frame */
        if (s->out_pos < s->out_len) {
            if (lmz_drain(s->out, s->out_len, &s->out_pos, out)) return 1; /* caller must drain */
            free(s->out);
            s->out = NULL;
            s->out_len = s->out_pos = 0;
        }
        /* 2. gather the bytes we want */
        if (s->in_len < s->want) {
            size_t k = s->want - s->in_len, avail = in->size - in->pos;
            if (k > avail) k = avail;
            if (k) {
                if (grow_in(s, s->in_len + k)) return lmz_status_set(&s->st, LMZ_error_memory);
                memcpy(s->in + s->in_len, (const uint8_t *)in->src + in->pos, k);
                s->in_len += k;
                in->pos += k;
            }
            if (s->in_len < s->want) return s->in_len == 0 ? 0 : s->want - s->in_len; /* need more input */
        }
        /* 3. header */
        if (!s->have_header) {
            size_t need = 0;
            size_t r = frame_parse_header(&s->h, s->in, s->in_len, &need, &s->st.msg);
            if (lmz_get_error_code(r) == LMZ_error_src_size) {
                if (need <= s->in_len) need = s->in_len + 1;
                s->want = need;
                continue;
            }
            if (lmz_is_error(r)) return s->st.error = r;
            uint64_t frame_size = (uint64_t)s->h.header_size + s->h.payload_size;
            int rc = frame_check(s->m, &s->p, &s->h, frame_size, &s->st.msg);
            if (rc) return lmz_status_set_int(&s->st, rc);
            s->have_header = 1;
            s->want = (size_t)frame_size;
            continue;
        }
        /* 4. a whole frame: decode, verify, queue for output */
        s->out = malloc(s->h.original_size ? s->h.original_size : 1);
        if (!s->out) return lmz_status_set(&s->st, LMZ_error_memory);
        const uint64_t fsize = (uint64_t)s->h.header_size + s->h.payload_size;
        frame_tick tk = {&s->p, s->in_total, s->out_total, fsize, s->h.original_size};
        int rc = frame_decode(s->m, s->pool, &s->h, s->in, s->out, &tk, &s->st.msg);
        if (rc) return lmz_status_set_int(&s->st, rc);
        s->in_total += fsize;
        s->out_total += s->h.original_size;
        if (s->p.progress) s->p.progress(s->p.progress_opaque, s->in_total, s->out_total);
        s->out_len = s->h.original_size;
        s->out_pos = 0;
        frame_header_free(&s->h);
        memset(&s->h, 0, sizeof s->h);
        s->have_header = 0;
        s->in_len = 0;
        s->want = 10;
        if (s->in_cap > (1u << 20)) { /* do not keep a huge buffer between frames */
            free(s->in);
            s->in = NULL;
            s->in_cap = 0;
        }
    }
}

/* ======================================================================== */
/* One-shot helpers                                                          */
/* ======================================================================== */

size_t lmz_decompress(const lmz_model *m, void *dst, size_t dst_cap, const void *src, size_t src_size,
                      const lmz_params *p) {
    if ((!dst && dst_cap) || (!src && src_size)) return LMZ_ERR(LMZ_error_parameter);
    lmz_dstream *s = lmz_dstream_create(m, p);
    if (!s) return LMZ_ERR(LMZ_error_memory);
    lmz_in_buffer in = {src, src_size, 0};
    lmz_out_buffer out = {dst, dst_cap, 0};
    size_t r;
    for (;;) {
        r = lmz_decompress_stream(s, &out, &in);
        if (lmz_is_error(r)) break;
        if (r == 0 && in.pos == in.size) break;
        if (out.pos == out.size && s->out_pos < s->out_len) {
            r = LMZ_ERR(LMZ_error_dst_too_small);
            break;
        }
        if (in.pos == in.size && r != 0) {
            r = LMZ_ERR(LMZ_error_src_size); /* truncated */
            break;
        }
    }
    lmz_dstream_free(s);
    return lmz_is_error(r) ? r : out.pos;
}
