/*
 * lib/lossy/report.c — the fidelity report (doc/format.md §6): the metrics
 * computed on the output, their text, and the frames rewritten to carry it
 * (flagged lossy, the report an extra section of the first frame).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "format/frame.h"
#include "lossy/lossy.h"

/* ======================================================================== */
/* The report                                                                */
/* ======================================================================== */

/* "3-7,9,12": the dropped units, as ranges of unit numbers. */
static void dropped_list(lz_ctx *c, lz_buf *out) {
    size_t first = 1;
    for (size_t i = 0; i < c->u.n;) {
        if (c->keep[i] || c->u.v[i].kind == LZ_U_BLANK) {
            i++;
            continue;
        }
        size_t j = i;
        while (j + 1 < c->u.n && (!c->keep[j + 1] || c->u.v[j + 1].kind == LZ_U_BLANK)) j++;
        while (j > i && c->u.v[j].kind == LZ_U_BLANK) j--;
        char tmp[48];
        int w = j > i ? snprintf(tmp, sizeof tmp, "%s%zu-%zu", first ? "" : ",", i, j)
                      : snprintf(tmp, sizeof tmp, "%s%zu", first ? "" : ",", i);
        lz_buf_put(out, tmp, (size_t)w);
        first = 0;
        i = j + 1;
    }
    if (first) lz_buf_put(out, "none", 4);
}

#if defined(__GNUC__)
static void put_line(lz_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
static void put_line(lz_buf *b, const char *fmt, ...) {
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (w < 0) return;
    lz_buf_put(b, line, (size_t)w < sizeof line ? (size_t)w : sizeof line - 1);
    lz_buf_put(b, "\n", 1);
}

/* The text is the decoded R (identical to R, checked) or R itself. */
int lz_build_report(lz_ctx *c, const char *text, size_t tn, lz_buf *rep) {
    lmz_lossy_stats *st = &c->st;
    st->out_bytes = tn;
    st->prot_total = st->prot_kept = st->prot_added = st->prot_dropped = 0;
    st->units = st->units_kept = st->words = st->word_edits = 0;
    lz_buf hyp = {0}, ref = {0}, low = {0};
    int rc = 0;
    for (size_t i = 0; i < c->u.n; i++) {
        const lz_unit *U = &c->u.v[i];
        if (U->kind == LZ_U_BLANK || c->merged[i]) continue;
        uint32_t a, b;
        lz_unit_range(c, i, &a, &b);
        size_t k = 0;
        while (k < c->sp.n && c->sp.v[k].end <= a) k++;
        uint64_t spans = 0;
        for (; k < c->sp.n && c->sp.v[k].start < b; k++) spans++;
        uint32_t units_here = 1;
        if (c->override[i]) units_here = c->bfirst[U->block + 1] - (uint32_t)i;
        st->units += units_here;
        if (c->uo_start[i] == UINT32_MAX) {
            st->prot_dropped += spans;
            continue;
        }
        st->units_kept += units_here;
        const char *o = text + c->uo_start[i];
        size_t on = c->uo_end[i] - c->uo_start[i];
        if ((rc = lz_check_unit(c, i, o, on, &st->prot_total, &st->prot_kept, &st->prot_added))) goto out;
        long rw = 0, ed = lz_word_edits(o, on, c->s + a, b - a, &rw);
        if (ed < 0) {
            rc = LMZ_IERR(LMZ_error_memory);
            goto out;
        }
        st->words += (uint64_t)rw, st->word_edits += (uint64_t)ed;
        if (hyp.n) lz_buf_put(&hyp, " ", 1), lz_buf_put(&ref, " ", 1);
        lz_buf_put(&hyp, o, on);
        lz_buf_put(&ref, c->s + a, b - a);
    }
    if (hyp.oom || ref.oom) {
        rc = LMZ_IERR(LMZ_error_memory);
        goto out;
    }
    st->chrf_kept = lz_chrf(lz_text(&hyp), hyp.n, lz_text(&ref), ref.n);
    st->chrf_doc = lz_chrf(text, tn, c->s, c->n);
    /* semantic similarity per paragraph */
    double sum = 0, mn = 1;
    st->paragraphs = st->paragraphs_low = 0;
    double low_thr = c->o.min_fidelity > 0 ? c->o.min_fidelity : LZ_SEM_LOW;
    for (uint32_t b = 0; b < c->u.n_blocks; b++) {
        if (c->bo_start[b] == UINT32_MAX || c->u.v[c->bfirst[b]].kind != LZ_U_SENT) continue;
        double sim;
        if (!lz_block_similarity(c, b, &sim)) continue;
        sum += sim;
        if (sim < mn) mn = sim;
        st->paragraphs++;
        if (sim < low_thr) {
            char tmp[32];
            int w = snprintf(tmp, sizeof tmp, "%s%u", st->paragraphs_low ? "," : "", b);
            if (st->paragraphs_low < 40) lz_buf_put(&low, tmp, (size_t)w);
            st->paragraphs_low++;
        }
    }
    st->sem_mean = st->paragraphs ? sum / (double)st->paragraphs : 0;
    st->sem_min = st->paragraphs ? mn : 0;

    rep->n = 0;
    put_line(rep, "lmz-lossy-report 1");
    put_line(rep, "level=%d", st->level);
    put_line(rep, "input=%llu xxh64=%016llx", (unsigned long long)c->n, (unsigned long long)lmz_xxh64(c->s, c->n));
    put_line(rep, "verified=%s", st->verified ? "decoded" : "no");
    put_line(rep, "protected-recall=%.6f %llu/%llu", st->prot_total ? (double)st->prot_kept / (double)st->prot_total : 1.0,
             (unsigned long long)st->prot_kept, (unsigned long long)st->prot_total);
    put_line(rep, "protected-added=%llu", (unsigned long long)st->prot_added);
    put_line(rep, "protected-dropped=%llu", (unsigned long long)st->prot_dropped);
    put_line(rep, "token-edit-rate=%.4f %llu/%llu", st->words ? (double)st->word_edits / (double)st->words : 0.0,
             (unsigned long long)st->word_edits, (unsigned long long)st->words);
    put_line(rep, "chrf=%.4f doc=%.4f", st->chrf_kept, st->chrf_doc);
    put_line(rep, "retention=%.4f %llu/%llu bytes=%.4f", st->units ? (double)st->units_kept / (double)st->units : 1.0,
             (unsigned long long)st->units_kept, (unsigned long long)st->units,
             c->n ? (double)tn / (double)c->n : 1.0);
    put_line(rep, "similarity=%.4f min=%.4f n=%llu low=%llu%s%s", st->sem_mean, st->sem_min,
             (unsigned long long)st->paragraphs, (unsigned long long)st->paragraphs_low, low.n ? ":" : "",
             low.n ? low.p : "");
    put_line(rep, "edits=%llu subst %llu del %llu reverted", (unsigned long long)st->subst,
             (unsigned long long)st->deletions, (unsigned long long)st->reverted);
    if (c->o.rewrite)
        put_line(rep, "rewriter=%llu kept %llu refused", (unsigned long long)st->rewrites_ok,
                 (unsigned long long)st->rewrites_rejected);
    lz_buf_put(rep, "dropped=", 8);
    dropped_list(c, rep);
    lz_buf_put(rep, "\n", 1);
    if (rep->oom) rc = LMZ_IERR(LMZ_error_memory);
out:
    lz_buf_free(&hyp), lz_buf_free(&ref), lz_buf_free(&low);
    return rc;
}


/* ======================================================================== */
/* Frames: flag lossy, attach the report to the first frame                  */
/* ======================================================================== */

/* Adds the report section (tag, rp[0..rn)) to a frame header's extra
 * sections. Returns 0 or LMZ_IERR(LMZ_error_memory) (h unchanged). */
static int add_report_section(lmz_frame_header *h, int tag, const uint8_t *rp, size_t rn) {
    uint32_t E = h->extra_size + 6 + (uint32_t)rn;
    uint8_t *x = malloc(E);
    if (!x) return LMZ_IERR(LMZ_error_memory);
    if (h->extra_size) memcpy(x, h->extra, h->extra_size);
    lmz_wr16(x + h->extra_size, (uint16_t)tag);
    lmz_wr32(x + h->extra_size + 2, (uint32_t)rn);
    memcpy(x + h->extra_size + 6, rp, rn);
    free(h->extra);
    h->extra = x;
    h->extra_size = E;
    return 0;
}

int lz_patch_frames(lz_ctx *c, const uint8_t *src, size_t n, const lz_buf *rep, uint8_t **dst, size_t *dn) {
    /* the report goes in as text (LMZ_FRAME_REPORT_TEXT) or, when that is
     * smaller (a long `dropped=` list), as one zstd frame
     * (LMZ_FRAME_REPORT_ZSTD): format §6.1 */
    size_t zcap = ZSTD_compressBound(rep->n), zn = 0;
    uint8_t *z = malloc(zcap), *out = NULL;
    int rc = LMZ_IERR(LMZ_error_memory);
    if (!z) goto out;
    zn = ZSTD_compress(z, zcap, rep->p, rep->n, 19);
    const int packed = !ZSTD_isError(zn) && zn < rep->n;
    const uint8_t *rp = packed ? z : (const uint8_t *)rep->p;
    const size_t rn = packed ? zn : rep->n;
    size_t cap = n + rn + 64, pos = 0, w = 0;
    out = malloc(cap);
    if (!out) goto out;
    for (int first = 1; pos < n; first = 0) {
        lmz_frame_header h;
        size_t need = 0;
        size_t hs = frame_parse_header(&h, src + pos, n - pos, &need, &c->msg);
        if (lmz_is_error(hs)) {
            rc = LMZ_IERR(lmz_err_code(hs));
            goto out;
        }
        h.flags |= LMZ_F_LOSSY;
        rc = first ? add_report_section(&h, packed ? LMZ_FRAME_REPORT_ZSTD : LMZ_FRAME_REPORT_TEXT, rp, rn) : 0;
        size_t payload = (size_t)h.payload_size;
        size_t nw = rc ? 0 : frame_write_header(&h, out + w, cap - w);
        frame_header_free(&h);
        if (rc) goto out;
        if (lmz_is_error(nw) || cap - w - nw < payload || hs + payload > n - pos) {
            rc = lmz_fail(&c->msg, LMZ_error_generic, "cannot rewrite a frame header");
            goto out;
        }
        memcpy(out + w + nw, src + pos + hs, payload);
        w += nw + payload;
        pos += hs + payload;
    }
    *dst = out, *dn = w;
    out = NULL;
    rc = 0;
out:
    free(z), free(out);
    return rc;
}
