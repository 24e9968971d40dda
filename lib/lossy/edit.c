/*
 * lib/lossy/edit.c — building the reconstruction R from the original: the
 * layout of units and blocks (level 1's canonical text, the edits of levels
 * 2-3 found by the scoring pass), the protected-span check that undoes
 * whatever breaks one, sentence dropping (levels 4-5) and the external
 * rewriter's paragraphs.
 */
#include <stdlib.h>
#include <string.h>

#include "lossy/lossy.h"

/* ======================================================================== */
/* Assembling R                                                              */
/* ======================================================================== */

/* The active edits: those of units whose edits are on. */
static lz_edit *active_edits(lz_ctx *c, size_t *n_act) {
    lz_edit *a = malloc((c->n_ed + 1) * sizeof *a);
    size_t k = 0;
    if (a)
        for (size_t i = 0; i < c->n_ed; i++)
            if (!c->noedit[c->ed_unit[i]] && !c->verbatim[c->ed_unit[i]]) a[k++] = c->ed[i];
    *n_act = k;
    return a;
}

void lz_unit_range(const lz_ctx *c, size_t i, uint32_t *a, uint32_t *b) {
    const lz_unit *U = &c->u.v[i];
    *a = U->start, *b = U->end;
    if (c->override[i]) *b = c->u.v[c->bfirst[U->block + 1] - 1].end;
}

static void unit_text(lz_ctx *c, lz_buf *out, size_t i, const lz_edit *act, size_t n_act) {
    const lz_unit *U = &c->u.v[i];
    if (c->override[i]) lz_buf_put(out, c->override[i], c->override_n[i]);
    else if (c->verbatim[i] || U->kind == LZ_U_LINE) lz_buf_put(out, c->s + U->start, U->end - U->start);
    else lz_canon_append(out, c->s, U->start, U->end, &c->sp, act, n_act, NULL);
}

/* Lays the units out as text: kept units of a block joined by one space, a
 * block's own line break, one blank line for a run of blank units. With
 * reference set, every unit is kept at its level-1 form (no edits, drops or
 * rewrites): the canonical original C, what the scoring pass reads and the
 * similarity's reference; map (may be NULL) then gets the origin of each
 * byte. Writes the byte range of each unit (uo, may be NULL) and block (bo)
 * in out. */
static int layout(lz_ctx *c, lz_buf *out, uint32_t *uo_s, uint32_t *uo_e, uint32_t *bo_s, uint32_t *bo_e,
                  int reference, lz_map *map) {
    size_t n_act = 0;
    lz_edit *act = reference ? NULL : active_edits(c, &n_act);
    if (!reference && !act) return LMZ_IERR(LMZ_error_memory);
    out->n = 0;
    int last_blank = 1; /* nothing emitted yet counts as a break */
    for (uint32_t b = 0; b < c->u.n_blocks; b++) {
        bo_s[b] = bo_e[b] = UINT32_MAX;
        uint32_t u0 = c->bfirst[b], u1 = c->bfirst[b + 1];
        int emitted = 0;
        for (uint32_t i = u0; i < u1; i++) {
            const lz_unit *U = &c->u.v[i];
            if (uo_s) uo_s[i] = uo_e[i] = UINT32_MAX;
            if (!reference && (!c->keep[i] || c->merged[i])) continue;
            if (U->kind == LZ_U_BLANK) {
                if (!last_blank) {
                    lz_buf_put_from(out, map, "\n", 1, U->start, 0);
                    last_blank = 1;
                }
                continue;
            }
            if (!emitted) bo_s[b] = (uint32_t)out->n;
            else lz_buf_put_from(out, map, " ", 1, U->start, 0);
            if (uo_s) uo_s[i] = (uint32_t)out->n;
            if (!reference) unit_text(c, out, i, act, n_act);
            else if (c->verbatim[i] || U->kind == LZ_U_LINE)
                lz_buf_put_from(out, map, c->s + U->start, U->end - U->start, U->start, 1);
            else lz_canon_append(out, c->s, U->start, U->end, &c->sp, NULL, 0, map);
            if (uo_s) uo_e[i] = (uint32_t)out->n;
            emitted = 1;
        }
        if (emitted) {
            bo_e[b] = (uint32_t)out->n;
            if (c->u.v[u1 - 1].nl) lz_buf_put_from(out, map, "\n", 1, c->u.v[u1 - 1].end, 0);
            last_blank = 0;
        }
    }
    free(act);
    return out->oom || (map && map->oom) ? LMZ_IERR(LMZ_error_memory) : 0;
}

static int assemble(lz_ctx *c) {
    c->r_measured = c->r_is_ref = 0;
    return layout(c, &c->R, c->uo_start, c->uo_end, c->bo_start, c->bo_end, 0, NULL);
}

int lz_lay_reference(lz_ctx *c, int with_map) {
    if (c->ref_laid) return 0;
    int rc = layout(c, &c->C, NULL, NULL, c->bc_start, c->bc_end, 1, with_map ? &c->Cmap : NULL);
    if (!rc) c->ref_laid = 1;
    return rc;
}

/* ======================================================================== */
/* Protected-span check (every kept unit)                                    */
/* ======================================================================== */

static const char *find_bytes(const char *h, size_t hn, const char *nd, size_t nn) {
    if (nn == 0) return h;
    for (size_t i = 0; i + nn <= hn; i++)
        if (h[i] == nd[0] && memcmp(h + i, nd, nn) == 0) return h + i;
    return NULL;
}

/* The spans of the original unit are looked for in order; a
 * protected-looking span of the output in neither the original range nor
 * its canonical form is an added fact. */
int lz_check_unit(lz_ctx *c, size_t i, const char *out, size_t on, uint64_t *total, uint64_t *found,
                  uint64_t *added) {
    uint32_t a, b;
    lz_unit_range(c, i, &a, &b);
    size_t k = 0;
    while (k < c->sp.n && c->sp.v[k].end <= a) k++;
    size_t cur = 0;
    for (; k < c->sp.n && c->sp.v[k].start < b; k++) {
        const lz_span *S = &c->sp.v[k];
        (*total)++;
        const char *hit = find_bytes(out + cur, on - cur, c->s + S->start, S->end - S->start);
        if (hit) {
            (*found)++;
            cur = (size_t)(hit - out) + (S->end - S->start);
        }
    }
    lz_spans os;
    if (lz_protect(out, on, &os)) return LMZ_IERR(LMZ_error_memory);
    lz_buf canon = {0};
    for (uint32_t q = (uint32_t)i; q < c->u.n && c->u.v[q].start < b; q++)
        lz_canon_append(&canon, c->s, c->u.v[q].start, c->u.v[q].end, &c->sp, NULL, 0, NULL);
    for (size_t q = 0; q < os.n; q++) {
        const char *w = out + os.v[q].start;
        size_t wn = os.v[q].end - os.v[q].start;
        if (!find_bytes(c->s + a, b - a, w, wn) && !(canon.p && find_bytes(canon.p, canon.n, w, wn))) (*added)++;
    }
    int oom = canon.oom;
    lz_buf_free(&canon);
    lz_spans_free(&os);
    return oom ? LMZ_IERR(LMZ_error_memory) : 0;
}

/* Undone in this order: first the rewrite, then the unit's edits, finally
 * the unit is emitted verbatim. */
int lz_assemble_checked(lz_ctx *c) {
    for (int round = 0; round < 4; round++) {
        FORWARD_IF_ERROR(assemble(c));
        int bad = 0;
        for (size_t i = 0; i < c->u.n; i++) {
            if (c->uo_start[i] == UINT32_MAX || c->u.v[i].kind == LZ_U_BLANK) continue;
            uint64_t t = 0, f = 0, ad = 0;
            FORWARD_IF_ERROR(lz_check_unit(c, i, c->R.p + c->uo_start[i], c->uo_end[i] - c->uo_start[i], &t, &f, &ad));
            if (f == t && ad == 0) continue;
            bad = 1;
            if (c->override[i]) {
                free(c->override[i]);
                c->override[i] = NULL;
                for (uint32_t q = c->bfirst[c->u.v[i].block]; q < c->bfirst[c->u.v[i].block + 1]; q++) c->merged[q] = 0;
                c->st.rewrites_ok--, c->st.rewrites_rejected++;
            } else if (!c->noedit[i]) {
                c->noedit[i] = 1;
                c->st.reverted++;
            } else {
                c->verbatim[i] = 1;
            }
        }
        if (!bad) return 0;
    }
    return assemble(c); /* every unit left is verbatim: nothing more can fail */
}


/* ======================================================================== */
/* Sentence dropping (levels 4–5)                                            */
/* ======================================================================== */

typedef struct {
    double prio;
    uint32_t unit;
} prio_item;

static int cmp_prio(const void *a, const void *b) {
    const prio_item *x = a, *y = b;
    if (x->prio != y->prio) return x->prio > y->prio ? -1 : 1;
    return x->unit < y->unit ? -1 : x->unit > y->unit;
}

/* Keeps the most informative units within budget_bits (estimated with the
 * scoring pass's surprisal): priority = information density relative to the
 * document's x (1 + 2 x protected spans per word) (+25 % for the first
 * sentence of a paragraph); greedy by priority, order kept. */
int lz_choose_units(lz_ctx *c, double budget_bits) {
    size_t n = c->u.n;
    prio_item *it = malloc((n + 1) * sizeof *it);
    if (!it) return LMZ_IERR(LMZ_error_memory);
    double tb = 0, tn = 0;
    for (size_t i = 0; i < n; i++)
        if (c->u.v[i].kind != LZ_U_BLANK) tb += c->ubits[i], tn += c->u.v[i].end - c->u.v[i].start + 1;
    double mean = tn > 0 ? tb / tn : 1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const lz_unit *U = &c->u.v[i];
        if (U->kind == LZ_U_BLANK) {
            c->keep[i] = 1;
            continue;
        }
        c->keep[i] = 0;
        if (c->override[i] || c->merged[i]) { /* rewrites are kept whole */
            c->keep[i] = 1;
            budget_bits -= c->ubits[i];
            continue;
        }
        double bytes = U->end - U->start + 1, words = 1;
        for (uint32_t q = U->start; q < U->end; q++) words += c->s[q] == ' ';
        double pr = (c->ubits[i] / bytes) / mean * (1.0 + 2.0 * c->uprot[i] / words);
        if (i == c->bfirst[U->block] && U->kind == LZ_U_SENT) pr *= 1.25;
        it[m].prio = pr, it[m].unit = (uint32_t)i, m++;
    }
    qsort(it, m, sizeof *it, cmp_prio);
    for (size_t k = 0; k < m; k++) {
        double cost = c->ubits[it[k].unit] + 2.0; /* + the separator */
        if (cost <= budget_bits || k == 0) { /* the most informative unit always stays */
            c->keep[it[k].unit] = 1;
            budget_bits -= cost;
        }
    }
    free(it);
    return 0;
}


/* ======================================================================== */
/* Rewriter                                                                  */
/* ======================================================================== */

/* Offers paragraph b, as it reads now, to the rewriter; the rewrite
 * replaces the whole paragraph when it is shorter text on one line, keeps
 * every protected span, adds none, and has a similarity of at least need. */
static int rewrite_block(lz_ctx *c, uint32_t b, const lz_edit *act, size_t n_act, double need, double *e1,
                         double *e2) {
    const uint32_t u0 = c->bfirst[b], u1 = c->bfirst[b + 1];
    lz_buf para = {0};
    char *rw = NULL;
    size_t rn = 0;
    int rc = 0, ok;
    for (uint32_t i = u0; i < u1; i++) {
        if (i > u0) lz_buf_put(&para, " ", 1);
        unit_text(c, &para, i, act, n_act);
    }
    if (para.oom) {
        rc = LMZ_IERR(LMZ_error_memory);
        goto out;
    }
    ok = para.n >= 40 && c->o.rewrite(c->o.rewrite_opaque, para.p, para.n, &rw, &rn) == 0 && rw;
    /* trim the rewrite's white space; refuse anything not shorter */
    while (ok && rn > 0 && (rw[rn - 1] == '\n' || rw[rn - 1] == ' ' || rw[rn - 1] == '\r')) rn--;
    if (ok && (rn == 0 || rn >= para.n || !lz_is_text(rw, rn) || memchr(rw, '\n', rn))) ok = 0;
    if (ok) { /* protected spans: all there, none added */
        uint64_t t = 0, f = 0, ad = 0;
        c->override[u0] = rw, c->override_n[u0] = rn;
        rc = lz_check_unit(c, u0, rw, rn, &t, &f, &ad);
        c->override[u0] = NULL;
        if (rc) goto out;
        ok = f == t && ad == 0;
    }
    if (ok) { /* meaning: the model's own embedding */
        if ((rc = lz_embed_text(c, para.p, para.n, e1)) || (rc = lz_embed_text(c, rw, rn, e2))) goto out;
        double sim = lz_cosine(e1, e2, c->d);
        ok = sim >= need;
        lz_note(c, "lossy: rewrite of paragraph %u: %zu -> %zu bytes, similarity %.3f: %s", b, para.n, rn, sim,
                ok ? "kept" : "rejected");
    }
    if (ok) {
        c->override[u0] = rw, c->override_n[u0] = rn;
        rw = NULL;
        for (uint32_t i = u0 + 1; i < u1; i++) c->merged[i] = 1;
        for (uint32_t i = u0 + 1; i < u1; i++) c->ubits[u0] += c->ubits[i];
        c->st.rewrites_ok++;
    } else {
        c->st.rewrites_rejected++;
    }
out:
    free(rw);
    lz_buf_free(&para);
    return rc;
}

static int run_rewriter(lz_ctx *c) {
    size_t n_act;
    lz_edit *act = active_edits(c, &n_act);
    double *e1 = malloc(c->d * sizeof *e1), *e2 = malloc(c->d * sizeof *e2);
    const double need = c->o.min_fidelity > LZ_REWRITE_SIM ? c->o.min_fidelity : LZ_REWRITE_SIM;
    int rc = 0;
    if (!act || !e1 || !e2) {
        rc = LMZ_IERR(LMZ_error_memory);
        goto out;
    }
    for (uint32_t b = 0; b < c->u.n_blocks && !rc; b++)
        if (c->u.v[c->bfirst[b]].kind == LZ_U_SENT) rc = rewrite_block(c, b, act, n_act, need, e1, e2);
out:
    free(act), free(e1), free(e2);
    return rc;
}

/* ======================================================================== */
/* The reconstruction                                                        */
/* ======================================================================== */

int lz_build_reconstruction(lz_ctx *c, int scoring) {
    if (scoring) {
        FORWARD_IF_ERROR(lz_lay_reference(c, 1));
        FORWARD_IF_ERROR(lz_scoring_pass(c));
    }
    for (size_t e = 0; e < c->n_ed; e++) c->ed[e].kind == LZ_E_SUBST ? c->st.subst++ : c->st.deletions++;
    if (c->o.rewrite) FORWARD_IF_ERROR(run_rewriter(c));
    if (c->o.level >= 4) FORWARD_IF_ERROR(lz_choose_units(c, lz_bit_budget(c)));
    return lz_assemble_checked(c);
}
