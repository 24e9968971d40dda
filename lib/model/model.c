/*
 * lib/model/model.c — the public lmz_model: a GGUF file (mapped or borrowed),
 * its tokenizer, its transformer weights, its SHA-256 and name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

/* sha: the bytes' SHA-256 when already known, else NULL (computed here). */
static lmz_model *load(const void *buf, size_t size, lmz_mmap *map, const uint8_t *sha, size_t *err, char *msgbuf,
                       size_t cap) {
    lmz_msg msg = {{0}};
    int rc = LMZ_IERR(LMZ_error_memory);
    lmz_model *m = calloc(1, sizeof *m);
    if (!m) {
        lmz_fail(&msg, LMZ_error_memory, "out of memory");
        goto fail;
    }
    if (map) m->map = *map;
    m->buf = buf;
    m->size = size;
    if ((rc = gguf_open_buffer(&m->gguf, buf, size, &msg))) goto fail;
    if ((rc = tok_init(&m->tok, &m->gguf, &msg))) goto fail;
    if ((rc = llama_init(&m->llm, &m->gguf, &msg))) goto fail;
    if (tok_vocab_size(m->tok) != m->llm.hp.n_vocab) {
        rc = lmz_fail(&msg, LMZ_error_model_invalid, "tokenizer has %u tokens but the embedding has %u rows",
                      tok_vocab_size(m->tok), m->llm.hp.n_vocab);
        goto fail;
    }
    if (sha) {
        memcpy(m->sha256, sha, 32);
    } else {
        lmz_sha256 sh;
        lmz_sha256_init(&sh);
        lmz_sha256_update(&sh, buf, size);
        lmz_sha256_final(&sh, m->sha256);
    }
    gguf_str name;
    if (gguf_get_str(&m->gguf, "general.name", &name) == 0 && name.len > 0) {
        size_t n = name.len < LMZ_FRAME_MODEL_NAME_MAX ? (size_t)name.len : LMZ_FRAME_MODEL_NAME_MAX;
        memcpy(m->name, name.ptr, n);
        for (size_t i = 0; i < n; i++) /* keep names printable */
            if ((unsigned char)m->name[i] < 0x20 || m->name[i] == 0x7f) m->name[i] = '?';
        m->name[n] = 0;
    } else {
        strcpy(m->name, "unnamed");
    }
    if (err) *err = 0;
    return m;
fail:
    if (err) *err = LMZ_ERR_FROM_INT(rc);
    if (msgbuf && cap) snprintf(msgbuf, cap, "%s", msg.text);
    if (m) {
        m->map.addr = NULL; /* the caller owns the mapping on failure */
        lmz_model_free(m);
    }
    return NULL;
}

lmz_model *lmz_model_load_buffer(const void *gguf, size_t size, size_t *err, char *msg, size_t cap) {
    if (!gguf) {
        if (err) *err = LMZ_ERR(LMZ_error_parameter);
        return NULL;
    }
    return load(gguf, size, NULL, NULL, err, msg, cap);
}

lmz_model *lmz_model_load_known(const void *gguf, size_t size, const uint8_t sha256[32], size_t *err) {
    if (!gguf || !sha256) {
        if (err) *err = LMZ_ERR(LMZ_error_parameter);
        return NULL;
    }
    return load(gguf, size, NULL, sha256, err, NULL, 0);
}

lmz_model *lmz_model_load_file(const char *path, size_t *err, char *msgbuf, size_t cap) {
    lmz_mmap map;
    lmz_msg msg = {{0}};
    int rc = lmz_mmap_open(&map, path, &msg);
    if (rc) {
        if (err) *err = LMZ_ERR_FROM_INT(rc);
        if (msgbuf && cap) snprintf(msgbuf, cap, "%s", msg.text);
        return NULL;
    }
    lmz_model *m = load(map.addr, map.size, &map, NULL, err, msgbuf, cap);
    if (!m) lmz_mmap_close(&map);
    return m;
}

void lmz_model_free(lmz_model *m) {
    if (!m) return;
    llama_free(&m->llm);
    tok_free(m->tok);
    gguf_close(&m->gguf);
    if (m->map.addr) lmz_mmap_close(&m->map);
    free(m);
}

const char *lmz_model_name(const lmz_model *m) { return m ? m->name : ""; }
void lmz_model_sha256(const lmz_model *m, uint8_t out[32]) { memcpy(out, m->sha256, 32); }
uint32_t lmz_model_vocab_size(const lmz_model *m) { return m->llm.hp.n_vocab; }
uint32_t lmz_model_context(const lmz_model *m) { return m->llm.hp.n_ctx; }

uint8_t *lmz_model_line_ends(const lmz_model *m) {
    const uint32_t V = m->llm.hp.n_vocab;
    uint8_t *nl = malloc(V ? V : 1);
    if (!nl) return NULL;
    for (uint32_t v = 0; v < V; v++) {
        uint8_t piece[1024]; /* longer than any token's bytes */
        const int32_t id = (int32_t)v;
        const int64_t n = tok_decode(m->tok, &id, 1, piece, sizeof piece);
        nl[v] = n > 0 && memchr(piece, '\n', (size_t)n) != NULL;
    }
    return nl;
}
