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

/* Memory a frame needs to decode: its bytes, its output, the parts of its
 * `seg`/`utf16` chunks, and the model state of the chunks decoded together.
 * Known from the header alone, so a `seg`/`utf16` chunk counts as one model
 * stream (its parts' methods are in its payload) of up to 3/2 of its raw
 * size (UTF-16 -> UTF-8). */
static uint64_t frame_memory(const lmz_model *m, const lmz_frame_header *h, uint64_t frame_size, const lmz_dict *d) {
    const mix_params *mp = mix_profile(dict_profile(d)); /* the tables a chunk's mixer has */
    const uint64_t hist = d ? d->hd.n_hist + 1 : 0;      /* the dictionary's tokens precede each chunk's */
    uint64_t mem = frame_size + h->original_size, lm = 0, per, xz = 0, max_raw = 0;
    for (uint32_t c = 0; c < h->n_chunks; c++) {
        const uint8_t mt = h->chunks[c].method;
        const uint64_t raw = h->chunks[c].raw_size, lm_raw = mt == LMZ_M_UTF16 ? raw / 2 * 3 : raw;
        if (mt == LMZ_M_LM || mt == LMZ_M_LM_MIX || mt >= LMZ_M_FIRST_EXT) {
            lm++;
            max_raw = lm_raw > max_raw ? lm_raw : max_raw;
        }
        if (mt >= LMZ_M_FIRST_EXT) mem += lm_raw; /* the parts, decoded before they are put together */
        if ((mt == LMZ_M_XZ || mt >= LMZ_M_FIRST_EXT) && lzma2_dict_size(lm_raw) > xz)
            xz = lzma2_dict_size(lm_raw); /* liblzma's dictionary */
    }
    mem += xz;
    if (lm && m) {
        uint64_t act = lm < LMZ_MAX_ACTIVE ? lm : LMZ_MAX_ACTIVE;
        per = llama_kv_bytes(&m->llm, h->window) + (uint64_t)m->llm.hp.n_vocab * 16 + (max_raw + 1) * 4 +
              mix_state_bytes(mp, m->llm.hp.n_vocab, (uint32_t)max_raw) + hist * (4 + mix_n_ctx(mp) * sizeof(mix_node));
        mem += act * per + lm_decode_scratch_bytes(m, h->window, (uint32_t)act);
    }
    return mem;
}

/* The model m must be the one the frame was coded with. */
static int model_check(const lmz_model *m, const lmz_frame_header *h, lmz_msg *msg) {
    RETURN_ERROR_IF(!m, LMZ_error_parameter, msg, "frame needs a model, none given");
    if (memcmp(m->sha256, h->model_sha256, h->id_len) != 0) {
        extern const unsigned char lmz_default_model_sha256[32]; /* lib/embed: this build's built-in model */
        char want[17], have[17], what[300];
        lmz_hex(h->model_sha256, h->id_len < 8 ? h->id_len : 8, want); /* the first 8 bytes, or the short id */
        lmz_hex(m->sha256, 8, have);
        if (h->id_len == 32) snprintf(what, sizeof what, "model '%s'", h->model_name);
        else /* a compact frame records no name */
            snprintf(what, sizeof what, "%s",
                     memcmp(lmz_default_model_sha256, h->model_sha256, h->id_len) ? "another model"
                                                                                  : "this build's built-in model");
        RETURN_ERROR(LMZ_error_model_mismatch, msg,
                     "compressed with %s (sha256 %s...), but the model in use is '%s' (sha256 %s...)", what, want,
                     m->name, have);
    }
    RETURN_ERROR_IF(h->window > m->llm.hp.n_ctx, LMZ_error_corrupt, msg, "frame window %u exceeds the model context %u",
                    h->window, m->llm.hp.n_ctx);
    RETURN_ERROR_IF(h->overlap != LMZ_SINK_TOKENS, LMZ_error_unsupported, msg,
                    "frame uses %u sink tokens; this version supports %u", h->overlap, LMZ_SINK_TOKENS);
    return 0;
}

/* A frame flagged LMZ_F_DICT decodes with the dictionary it names, never
 * without it. */
static int dict_check(const lmz_model *m, const lmz_dict *d, const lmz_frame_header *h, lmz_msg *msg) {
    char want[17], what[300];
    lmz_hex(h->dict_sha256, h->id_len < 8 ? h->id_len : 8, want);
    if (h->dict_name[0]) snprintf(what, sizeof what, "dictionary '%s' (sha256 %s...)", h->dict_name, want);
    else snprintf(what, sizeof what, "the dictionary with sha256 %s...", want);
    RETURN_ERROR_IF(!d, LMZ_error_dict_mismatch, msg, "frame needs %s, none given", what);
    if (memcmp(d->hd.sha256, h->dict_sha256, h->id_len) != 0) {
        char have[17];
        lmz_hex(d->hd.sha256, 8, have);
        RETURN_ERROR(LMZ_error_dict_mismatch, msg, "frame needs %s, the one given is '%s' (sha256 %s...)", what,
                     d->hd.name, have);
    }
    RETURN_ERROR_IF(!m || d->m != m, LMZ_error_parameter, msg, "the dictionary was loaded for another model");
    return 0;
}

/* Checks that the frame can be decoded with model m within the limit (the
 * model of `seg`/`utf16` chunks is checked when their payloads are read). */
static int frame_check(const lmz_model *m, const lmz_params *p, const lmz_frame_header *h, uint64_t frame_size,
                       const lmz_dict **dict, lmz_msg *msg) {
    int needs_model = 0;
    for (uint32_t c = 0; c < h->n_chunks; c++) {
        uint8_t mt = h->chunks[c].method;
        needs_model |= mt == LMZ_M_LM || mt == LMZ_M_LM_MIX;
    }
    if (needs_model) FORWARD_IF_ERROR(model_check(m, h, msg));
    *dict = NULL;
    if (h->flags & LMZ_F_DICT) { /* the one given, else the one the finder finds */
        const lmz_dict *d = p->dict;
        if ((!d || memcmp(d->hd.sha256, h->dict_sha256, h->id_len)) && p->dict_find) {
            const lmz_dict *f = p->dict_find(p->dict_find_opaque, h->dict_sha256, h->id_len, h->dict_name);
            if (f) d = f;
        }
        FORWARD_IF_ERROR(dict_check(m, d, h, msg));
        *dict = d;
    }
    uint64_t need = frame_memory(m, h, frame_size, *dict);
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

/* Decodes one plain part (a chunk of methods 0-4, or a part of a `seg` /
 * `utf16` chunk) into dst, or queues it as model job *j. */
static int part_decode(const lmz_part *pt, uint32_t chunk, int part, uint8_t *dst, lm_chunk_job *jobs, uint32_t *j,
                       lmz_msg *msg) {
    switch (pt->method) {
    case LMZ_M_STORED: memcpy(dst, pt->payload, pt->raw_size); return 0;
    case LMZ_M_ZSTD:
    case LMZ_M_XZ: return classic_decode(pt->method, pt->payload, pt->coded_size, dst, pt->raw_size, msg);
    case LMZ_M_LM_MIX:
        RETURN_ERROR_IF(!mix_profile(pt->payload[0]), LMZ_error_unsupported, msg,
                        "lm+mix profile %u (this version knows 1 to %u)", pt->payload[0], MIX_PROFILE_MAX);
        /* fall through */
    case LMZ_M_LM:
        jobs[*j].mix = pt->method == LMZ_M_LM_MIX;
        jobs[*j].payload = pt->payload;
        jobs[*j].coded_size = pt->coded_size;
        jobs[*j].raw_size = pt->raw_size;
        jobs[*j].dst = dst;
        jobs[*j].chunk = chunk;
        jobs[*j].part = part;
        (*j)++;
        return 0;
    default: RETURN_ERROR(LMZ_error_unsupported, msg, "unknown method %u", pt->method);
    }
}

/* Puts a `seg` / `utf16` chunk together from its decoded parts at buf. */
static int layout_finish(const chunk_layout *L, const uint8_t *buf, uint8_t *dst, uint32_t raw, lmz_msg *msg) {
    if (L->method == LMZ_M_UTF16) {
        size_t n = lmz_utf8_to_utf16(buf, L->part[0].raw_size, L->order, dst, raw);
        RETURN_ERROR_IF(n != raw, LMZ_error_corrupt, msg, "utf16 chunk: the UTF-8 form does not make %u UTF-16 bytes",
                        raw);
        return 0;
    }
    const uint8_t *src[2] = {buf, buf + L->part[0].raw_size}; /* text, binary */
    const uint8_t *cur = L->runs;
    for (uint32_t r = 0; r < L->n_runs; r++) { /* sizes checked by chunk_layout_parse */
        seg_run run;
        chunk_layout_next(&cur, &run);
        const int part = seg_run_part(run.kind);
        if (run.kind == SEG_TEXT || run.kind == SEG_BINARY)
            memcpy(dst, src[part], run.v);
        else
            b64_encode_lines(src[part], run.v, run.w, run.crlf, dst);
        src[part] += run.v;
        dst += run.len;
    }
    return 0;
}

/* Prefixes msg with the chunk's number. */
static void chunk_failed(lmz_msg *msg, uint32_t c, int rc) {
    char tmp[LMZ_MSG_MAX];
    snprintf(tmp, sizeof tmp, "%s", msg->text);
    lmz_fail(msg, LMZ_ICODE(rc), "chunk %u: %s", c, tmp);
}

/* Decodes chunks [c0, c1) of a frame (header already parsed from src; the
 * whole frame: c0 = 0, c1 = n_chunks) into dst, chunk c0 at dst[0]. The
 * content checksum is verified when the whole frame is decoded. */
static int frame_decode(const lmz_model *m, const lmz_dict *d, lmz_pool *pool, const lmz_frame_header *h,
                        uint32_t c0, uint32_t c1, const uint8_t *src, uint8_t *dst, frame_tick *tick, lmz_msg *msg) {
    uint64_t out = 0, parts_size = 0;
    uint32_t nlm = 0, j = 0;
    lm_chunk_job *jobs = NULL;
    chunk_layout *lay = NULL;
    uint8_t *parts = NULL; /* the parts of the seg/utf16 chunks, one after the other */
    int rc = 0, ext = 0;
    /* 1. the layouts of seg/utf16 chunks (their payloads are here now) */
    for (uint32_t c = c0; c < c1; c++) ext |= h->chunks[c].method >= LMZ_M_FIRST_EXT;
    RETURN_ERROR_IF(ext && !(lay = calloc(h->n_chunks, sizeof *lay)), LMZ_error_memory, msg, "out of memory");
    for (uint32_t c = c0; c < c1 && rc == 0; c++) {
        const lmz_chunk_info *ci = &h->chunks[c];
        if (ci->method < LMZ_M_FIRST_EXT) {
            nlm += ci->method == LMZ_M_LM || ci->method == LMZ_M_LM_MIX;
            continue;
        }
        rc = chunk_layout_parse(ci->method, src + ci->offset, ci->coded_size, ci->raw_size, &lay[c], msg);
        for (uint32_t k = 0; rc == 0 && k < lay[c].n_parts; k++) {
            const uint8_t pm = lay[c].part[k].method;
            nlm += pm == LMZ_M_LM || pm == LMZ_M_LM_MIX;
            parts_size += lay[c].part[k].raw_size;
        }
        if (rc) chunk_failed(msg, c, rc);
    }
    if (rc == 0 && nlm && ext) rc = model_check(m, h, msg); /* plain lm chunks were checked with the header */
    if (rc == 0 && ((nlm && !(jobs = calloc(nlm, sizeof *jobs))) || (parts_size && !(parts = malloc(parts_size)))))
        rc = lmz_fail(msg, LMZ_error_memory, "out of memory");
    /* 2. every plain chunk and part: classical ones now, model ones queued */
    uint64_t at = 0;
    for (uint32_t c = c0; c < c1 && rc == 0; c++) {
        const lmz_chunk_info *ci = &h->chunks[c];
        if (ci->method < LMZ_M_FIRST_EXT) {
            const lmz_part whole = {ci->method, src + ci->offset, ci->coded_size, ci->raw_size};
            rc = part_decode(&whole, c, -1, dst + out, jobs, &j, msg);
        } else {
            for (uint32_t k = 0; rc == 0 && k < lay[c].n_parts; k++) {
                rc = part_decode(&lay[c].part[k], c, lay[c].method == LMZ_M_SEG ? (int)k : -1, parts + at, jobs, &j,
                                 msg);
                at += lay[c].part[k].raw_size;
            }
        }
        if (rc) chunk_failed(msg, c, rc);
        out += ci->raw_size;
    }
    /* the dictionary (frame_check made sure it is the one the frame names) */
    const llama_kv *pre = NULL;
    if (!(h->flags & LMZ_F_DICT)) d = NULL;
    if (rc == 0 && nlm && d && !(pre = dict_prefix_kv(d, h->window, pool)))
        rc = lmz_fail(msg, LMZ_error_memory, "out of memory for the dictionary's prefix");
    if (rc == 0 && nlm)
        rc = lm_decode_chunks(m, h->window, d, pre, jobs, nlm, LMZ_MAX_ACTIVE, pool, frame_tick_fn, tick, msg);
    /* 3. seg/utf16 chunks put together from their parts */
    out = at = 0;
    for (uint32_t c = c0; c < c1 && rc == 0; c++) {
        const lmz_chunk_info *ci = &h->chunks[c];
        if (ci->method >= LMZ_M_FIRST_EXT) {
            rc = layout_finish(&lay[c], parts + at, dst + out, ci->raw_size, msg);
            for (uint32_t k = 0; k < lay[c].n_parts; k++) at += lay[c].part[k].raw_size;
            if (rc) chunk_failed(msg, c, rc);
        }
        out += ci->raw_size;
    }
    free(jobs);
    free(lay);
    free(parts);
    if (rc) return rc;
    /* verify: every chunk, then the whole content (when all of it was decoded) */
    out = 0;
    for (uint32_t c = c0; c < c1; c++) {
        uint32_t sum = (uint32_t)lmz_xxh64(dst + out, h->chunks[c].raw_size);
        RETURN_ERROR_IF(sum != h->chunks[c].checksum, LMZ_error_chunk_checksum, msg,
                        "chunk %u (%u bytes at offset %llu): checksum mismatch", c, h->chunks[c].raw_size,
                        (unsigned long long)out);
        out += h->chunks[c].raw_size;
    }
    if (c0 != 0 || c1 != h->n_chunks) return 0;
    uint64_t sum = lmz_xxh64(dst, h->original_size);
    if (frame_is_compact(h->version)) sum = (uint32_t)sum; /* a compact frame keeps 32 bits */
    RETURN_ERROR_IF(sum != h->content_checksum, LMZ_error_content_checksum, msg,
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
    const lmz_dict *dict;     /* the current frame's dictionary (frame_check) */
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
            int rc = frame_check(s->m, &s->p, &s->h, frame_size, &s->dict, &s->st.msg);
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
        int rc = frame_decode(s->m, s->dict, s->pool, &s->h, 0, s->h.n_chunks, s->in, s->out, &tk, &s->st.msg);
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

size_t lmz_decompress_range(const lmz_model *m, void *dst, size_t dst_cap, const void *src, size_t src_size,
                            uint64_t start, uint64_t end, const lmz_params *p, char *msg_out, size_t msg_cap) {
    if ((!dst && dst_cap) || (!src && src_size) || start > end) return LMZ_ERR(LMZ_error_parameter);
    lmz_params rp;
    lmz_params_resolve(&rp, p, m);
    lmz_msg msg = {{0}};
    lmz_pool *pool = lmz_pool_create(rp.threads);
    const uint8_t *in = src;
    uint8_t *out = dst;
    size_t pos = 0, written = 0;
    uint64_t content = 0; /* content bytes before the frame at pos */
    int rc = pool ? 0 : lmz_fail(&msg, LMZ_error_memory, "out of memory");
    while (rc == 0 && pos < src_size && content < end) {
        lmz_frame_header h;
        size_t need = 0;
        size_t hs = frame_parse_header(&h, in + pos, src_size - pos, &need, &msg);
        if (lmz_is_error(hs)) {
            rc = LMZ_IERR(lmz_err_code(hs));
            break;
        }
        const uint64_t fsize = (uint64_t)h.header_size + h.payload_size, fend = content + h.original_size;
        if (fsize > src_size - pos) {
            frame_header_free(&h);
            rc = lmz_fail(&msg, LMZ_error_src_size, "frame at %zu: truncated", pos);
            break;
        }
        if (fend > start && h.n_chunks) { /* the chunks that hold [start, end) */
            uint32_t c0 = 0, c1 = h.n_chunks;
            uint64_t c0_at = content, at = content;
            for (uint32_t c = 0; c < h.n_chunks; c++) {
                if (at + h.chunks[c].raw_size <= start) c0 = c + 1, c0_at = at + h.chunks[c].raw_size;
                if (at >= end) {
                    c1 = c;
                    break;
                }
                at += h.chunks[c].raw_size;
            }
            uint64_t span = 0;
            for (uint32_t c = c0; c < c1; c++) span += h.chunks[c].raw_size;
            const lmz_dict *d = NULL;
            uint8_t *buf = NULL;
            rc = frame_check(m, &rp, &h, fsize, &d, &msg);
            if (rc == 0 && !(buf = malloc(span ? span : 1))) rc = lmz_fail(&msg, LMZ_error_memory, "out of memory");
            frame_tick tk = {&rp, pos, written, fsize, span};
            if (rc == 0) rc = frame_decode(m, d, pool, &h, c0, c1, in + pos, buf, &tk, &msg);
            if (rc == 0) { /* the wanted bytes of the decoded chunks */
                const uint64_t from = start > c0_at ? start - c0_at : 0;
                const uint64_t to = end - c0_at < span ? end - c0_at : span;
                if (to > from && (uint64_t)(dst_cap - written) < to - from)
                    rc = lmz_fail(&msg, LMZ_error_dst_too_small, "output buffer too small");
                else if (to > from) {
                    memcpy(out + written, buf + from, (size_t)(to - from));
                    written += (size_t)(to - from);
                }
            }
            free(buf);
        }
        frame_header_free(&h);
        content = fend;
        pos += (size_t)fsize;
    }
    lmz_pool_free(pool);
    if (msg_out && msg_cap) {
        strncpy(msg_out, msg.text, msg_cap - 1);
        msg_out[msg_cap - 1] = 0;
    }
    return rc ? LMZ_ERR_FROM_INT(rc) : written;
}

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
