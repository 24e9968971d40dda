/*
 * lib/compress/chunk_cut.h — where the compressor cuts its input into chunks
 * (shared with tools that must measure exactly what lmz codes, e.g.
 * bench/tools/mixlab.c). Not format semantics: a decoder never needs it.
 */
#ifndef LMZ_CHUNK_CUT_H
#define LMZ_CHUNK_CUT_H

#include <stddef.h>
#include <stdint.h>

/* Length of the next chunk of buf[0..n): n if n <= cs (and the input ended),
 * else a cut in (cs - cs/8, cs] right after a '\n', else after a ' ', else cs. */
static inline size_t chunk_cut(const uint8_t *buf, size_t n, size_t cs) {
    if (n <= cs) return n;
    size_t lo = cs - cs / 8;
    for (size_t i = cs; i > lo; i--)
        if (buf[i - 1] == '\n') return i;
    for (size_t i = cs; i > lo; i--)
        if (buf[i - 1] == ' ') return i;
    return cs;
}

#endif
