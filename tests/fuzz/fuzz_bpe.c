/*
 * tests/fuzz/fuzz_bpe.c — byte-level BPE vocabularies from strangers
 * (lib/model/bpe.c): the input bytes are a GGUF file.
 *
 *  1. gguf_open_buffer(); a rejection must come with a message;
 *  2. bpe_init() on the accepted file; a rejection must come with a message
 *     and one of the documented codes (model_invalid, unsupported, memory),
 *     and leave no tokenizer behind; either way the GGUF file is closed and
 *     its buffer freed before the tokenizer is used (bpe.h: nothing is
 *     borrowed from it; ASan sees any use);
 *  3. an accepted tokenizer must be consistent (BOS -1 or an id, a BOS asked
 *     for exists, one of the four pre-tokenizer names) and lossless: a fixed
 *     multi-script text followed by the input's last (up to) 256 bytes — any
 *     bytes, invalid UTF-8 included — encodes to at most one id per byte,
 *     each id < the vocabulary size, and decodes to exactly that text (every
 *     single byte is a normal token, checked at load); decoding into one byte
 *     less than needed is refused as dst_too_small; the bytes of the last 32
 *     tokens (merged tokens in practice) round-trip the same way.
 * Nothing may leak (LSan in the sanitizer builds).
 *
 * Seeds (tests/fuzz/corpus/bpe/) are small gpt2-style vocabularies written by
 * tests/fuzz/make_seeds.c.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_common.h"
#include "model/bpe.h"
#include "model/gguf.h"

#define TAIL 256 /* input bytes appended to the fixed text */

/* Latin with contractions and digits, CR LF and whitespace runs, Greek,
 * Cyrillic, CJK, an emoji, combining marks, U+2581, text that looks like
 * special tokens, and a NUL */
static const char k_text[] = "It's 2024: we'll see, they'RE here -- 12345 apples!\r\n\t  \n"
                             "caf\xc3\xa9 na\xc3\xafve \xce\xb1\xce\xb2\xce\xb3 \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 "
                             "\xe4\xb8\xad\xe6\x96\x87\xe6\xb5\x8b\xe8\xaf\x95 \xf0\x9f\x98\x80 e\xcc\x81 "
                             "\xe2\x96\x81\xe2\x96\x81 \xd9\xa3\xd9\xa4 <|endoftext|><think> </think>\0end";

/* bytes -> ids -> bytes must be the identity */
static void round_trip(const lmz_bpe *b, const uint8_t *src, size_t n, const char *what) {
    int32_t *ids = NULL;
    size_t k = 0;
    int rc = bpe_encode(b, src, n, &ids, &k);
    if (rc) {
        FUZZ_ASSERT(rc == -(int)LMZ_error_memory && !ids && !k, "%s: encode failed with %d", what, rc);
        return;
    }
    FUZZ_ASSERT(ids && k <= n, "%s: %zu ids for %zu bytes", what, k, n);
    uint32_t nv = bpe_vocab_size(b);
    for (size_t i = 0; i < k; i++)
        FUZZ_ASSERT(ids[i] >= 0 && (uint32_t)ids[i] < nv, "%s: id %d at %zu, vocabulary size %u", what, ids[i], i,
                    nv);
    uint8_t *d = malloc(n ? n : 1);
    FUZZ_ASSERT(d, "oom");
    int64_t dn = bpe_decode(b, ids, k, d, n);
    FUZZ_ASSERT(dn == (int64_t)n && (n == 0 || memcmp(d, src, n) == 0), "%s: decode gave %lld bytes of %zu%s",
                what, (long long)dn, n, dn == (int64_t)n ? ", not the same" : "");
    if (n) {
        dn = bpe_decode(b, ids, k, d, n - 1);
        FUZZ_ASSERT(dn == -(int64_t)LMZ_error_dst_too_small, "%s: decode into %zu bytes of %zu gave %lld", what,
                    n - 1, n, (long long)dn);
    }
    free(d);
    free(ids);
}

static void check_bpe(const lmz_bpe *b, const uint8_t *in, size_t size) {
    uint32_t nv = bpe_vocab_size(b);
    FUZZ_ASSERT(nv >= 256, "vocabulary size %u", nv);
    int32_t bos = bpe_bos(b);
    FUZZ_ASSERT(bos == -1 || (bos >= 0 && (uint32_t)bos < nv), "BOS %d, vocabulary size %u", bos, nv);
    FUZZ_ASSERT(!bpe_add_bos(b) || bos >= 0, "add_bos without a BOS id");
    const char *pre = bpe_pre_name(b);
    FUZZ_ASSERT(!strcmp(pre, "qwen2") || !strcmp(pre, "llama-bpe") || !strcmp(pre, "gpt-2") || !strcmp(pre, "smollm"),
                "pre-tokenizer '%s'", pre);

    size_t tail = size < TAIL ? size : TAIL, tn = sizeof k_text - 1;
    uint8_t *t = malloc(tn + tail);
    FUZZ_ASSERT(t, "oom");
    memcpy(t, k_text, tn);
    if (tail) memcpy(t + tn, in + size - tail, tail);
    round_trip(b, t, tn + tail, "text");
    round_trip(b, t + tn, tail, "input tail");
    free(t);

    for (uint32_t id = nv > 32 ? nv - 32 : 0; id < nv; id++) {
        uint32_t len;
        const uint8_t *p = bpe_bytes(b, (int32_t)id, &len);
        FUZZ_ASSERT(p || !len, "token %u: NULL bytes", id);
        uint8_t *copy = malloc(len ? len : 1); /* exact size */
        FUZZ_ASSERT(copy, "oom");
        if (len) memcpy(copy, p, len);
        round_trip(b, copy, len, "token bytes");
        free(copy);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *buf = malloc(size ? size : 1); /* exact size: overreads are caught */
    if (!buf) return 0;
    if (size) memcpy(buf, data, size);
    gguf_file g;
    lmz_msg msg = {{0}};
    int rc = gguf_open_buffer(&g, buf, size, &msg);
    if (rc) {
        FUZZ_ASSERT(rc < 0 && msg.text[0], "gguf rejected without a message (rc %d)", rc);
        free(buf);
        return 0;
    }
    lmz_bpe *b = (lmz_bpe *)&g; /* must be overwritten */
    msg.text[0] = 0;
    rc = bpe_init(&b, &g, &msg);
    /* nothing is borrowed from the GGUF buffer: gone before the tokenizer is
     * used (ASan reports any use of it) */
    gguf_close(&g);
    free(buf);
    if (rc) {
        FUZZ_ASSERT(!b, "bpe_init failed (rc %d) but gave a tokenizer", rc);
        FUZZ_ASSERT((rc == -(int)LMZ_error_model_invalid || rc == -(int)LMZ_error_unsupported ||
                     rc == -(int)LMZ_error_memory) && msg.text[0],
                    "bpe_init rejected with rc %d, message '%s'", rc, msg.text);
        return 0;
    }
    FUZZ_ASSERT(b, "bpe_init accepted without a tokenizer");
    check_bpe(b, data, size);
    bpe_free(b);
    return 0;
}
