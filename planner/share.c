/* Sharing repeated work: a value several expressions of one step compute
 * (split(CAST(value AS STRING), '\t') feeding [4] and [6], say) is computed
 * once by an EXTEND step placed before them, and the expressions read its
 * column instead. Applied to every projection and to the aggregation's
 * inputs (keys, aggregate arguments, watermark column). */
#include <stdlib.h>
#include <string.h>

#include "planner/binder.h"

static bool is_bytes(wr_type t) {
    return t.kind == WR_T_STRING || t.kind == WR_T_BINARY;
}

/* Worth computing once: not a column, a constant, or a column seen as
 * STRING instead of BINARY (a view, free). */
static bool costly(const wr_expr *e) {
    if (e->op == WR_E_COL || e->op == WR_E_LIT) return false;
    return !(e->op == WR_E_CAST && e->args[0]->op == WR_E_COL && is_bytes(e->type) &&
             is_bytes(e->args[0]->type));
}

/* The rule: repeatedly take the largest costly subtree found at least twice
 * in the roots (the first in pre-order among equally large ones), compute it
 * once, and read its column wherever it occurs. Done literally that is
 * quadratic (every subtree compared with every other: an IN list of 50,000
 * items took minutes), so the subtrees are first sorted into classes of
 * equal subtrees by a structural hash, and the same choices are made in one
 * pass over the classes, largest first: a class is taken when at least two
 * of its subtrees lie outside the subtrees already taken. (A subtree that
 * holds a taken one was itself counted first, being larger; so sizes and
 * counts never change as subtrees are replaced.) */
typedef struct node {
    const wr_expr *e;
    uint64_t hash;
    int size;  /* nodes in the subtree: it spans v[i .. i + size) in pre-order */
    int cls;   /* the first node (pre-order) equal to this one; -1: not costly */
    int next;  /* the next node of the same class, -1 */
    int count; /* of a class's first node: how many nodes the class has */
    int col;   /* of a class's first node: the shared column, -1 */
    bool covered;
} node;

typedef struct walk {
    node *v;
    int n, cap;
} walk;

/* A literal's hash, equal for values wr_val_eq finds equal (any NaN). */
static uint64_t lit_hash(const wr_expr *e) {
    if (e->lit.null) return 1;
    if (e->type.kind == WR_T_DOUBLE && e->lit.u.d != e->lit.u.d) return 2;
    return wr_val_hash(e->lit, e->type);
}

/* Lists e's subtree in pre-order; hashes from the fields wr_expr_equal
 * compares, so equal subtrees hash alike. */
static void visit(walk *w, const wr_expr *e) {
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 64;
        w->v = wr_xrealloc(w->v, sizeof *w->v * (size_t)w->cap);
    }
    int i = w->n++;
    uint64_t h = wr_hash_u64(((uint64_t)e->op << 48) ^ ((uint64_t)e->type.kind << 40) ^
                             ((uint64_t)e->type.elem << 32) ^ (uint64_t)(unsigned)e->nargs);
    if (e->op == WR_E_COL) h = wr_hash_u64(h ^ (uint64_t)(unsigned)e->col);
    if (e->op == WR_E_LIT) h = wr_hash_u64(h ^ lit_hash(e));
    h = wr_hash_u64(h ^ (uint64_t)e->iarg);
    int size = 1;
    for (int a = 0; a < e->nargs; a++) {
        int c = w->n;
        visit(w, e->args[a]);
        h = wr_hash_u64(h * 31 + w->v[c].hash);
        size += w->v[c].size;
    }
    w->v[i] = (node){.e = e, .hash = h, .size = size, .cls = -1, .next = -1, .col = -1};
}

/* Sorts the costly nodes into classes of equal subtrees. */
static void classify(walk *w) {
    size_t nslots = 16;
    while (nslots < 2 * (size_t)w->n)
        nslots *= 2;
    int *slot = wr_xcalloc(nslots, sizeof *slot);       /* a class's first node + 1; 0: empty */
    int *last = wr_xcalloc((size_t)w->n, sizeof *last); /* of a class: its last node */
    for (int i = 0; i < w->n; i++) {
        node *x = &w->v[i];
        if (!costly(x->e)) continue;
        size_t k = (size_t)x->hash & (nslots - 1);
        for (; slot[k]; k = (k + 1) & (nslots - 1)) {
            node *c = &w->v[slot[k] - 1];
            if (c->hash == x->hash && wr_expr_equal(c->e, x->e)) break;
        }
        if (!slot[k]) {
            slot[k] = i + 1;
            x->cls = last[i] = i;
        } else {
            x->cls = slot[k] - 1;
            w->v[last[x->cls]].next = i;
            last[x->cls] = i;
        }
        w->v[x->cls].count++;
    }
    free(slot);
    free(last);
}

typedef struct pick {
    int cls;   /* a class (its first node) */
    int size;  /* its subtrees' size */
    int first; /* its first uncovered node */
} pick;

/* Classes by size, largest first; equal sizes in pre-order. */
static int by_size(const void *a, const void *b) {
    const pick *x = a, *y = b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    return (x->cls > y->cls) - (x->cls < y->cls);
}

static int by_first(const void *a, const void *b) {
    const pick *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

/* An uncovered node of class c, after `from` (-1: the first), or -1. */
static int next_free(const walk *w, int c, int from) {
    int i = from < 0 ? c : w->v[from].next;
    while (i >= 0 && w->v[i].covered)
        i = w->v[i].next;
    return i;
}

/* Replaces the nodes of taken classes by their columns (i: e's index). */
static wr_expr *rewrite(wr_expr *e, const walk *w, int *i) {
    const node *x = &w->v[*i];
    if (x->cls >= 0 && w->v[x->cls].col >= 0) {
        *i += x->size;
        wr_type t = e->type;
        wr_expr_free(e);
        return wr_expr_col(w->v[x->cls].col, t);
    }
    (*i)++;
    for (int a = 0; a < e->nargs; a++)
        e->args[a] = rewrite(e->args[a], w, i);
    return e;
}

/* Shares the common subtrees of `roots` (expressions over rows of `width`
 * columns): returns the EXTEND expressions (appended columns width, width+1,
 * ...) and rewrites the roots to read them. */
static wr_expr **share(wr_expr **roots, int nroots, int width, int *nshared) {
    walk w = {0};
    for (int r = 0; r < nroots; r++)
        if (roots[r]) visit(&w, roots[r]);
    classify(&w);
    int ncls = 0;
    pick *cls = wr_xcalloc((size_t)w.n + 1, sizeof *cls);
    for (int i = 0; i < w.n; i++)
        if (w.v[i].cls == i && w.v[i].count >= 2) cls[ncls++] = (pick){i, w.v[i].size, i};
    qsort(cls, (size_t)ncls, sizeof *cls, by_size);
    wr_expr **ext = NULL;
    int n = 0;
    pick *level = wr_xcalloc((size_t)ncls + 1, sizeof *level);
    for (int at = 0; at < ncls;) {
        /* One size at a time: equal sizes cannot hold one another, so taking
         * one class of a size leaves the counts of the others alone. */
        int size = cls[at].size, nlevel = 0;
        for (; at < ncls && cls[at].size == size; at++) {
            int c = cls[at].cls, first = next_free(&w, c, -1);
            if (first >= 0 && next_free(&w, c, first) >= 0)
                level[nlevel++] = (pick){c, size, first};
        }
        qsort(level, (size_t)nlevel, sizeof *level, by_first);
        for (int k = 0; k < nlevel; k++) {
            int c = level[k].cls;
            for (int i = level[k].first; i >= 0; i = next_free(&w, c, i))
                for (int j = i; j < i + size; j++)
                    w.v[j].covered = true;
            w.v[c].col = width + n;
            ext = wr_xrealloc(ext, sizeof *ext * (size_t)(n + 1));
            ext[n++] = wr_expr_substitute(w.v[c].e, NULL);
        }
    }
    int i = 0;
    for (int r = 0; r < nroots; r++)
        if (roots[r]) roots[r] = rewrite(roots[r], &w, &i);
    free(level);
    free(cls);
    free(w.v);
    *nshared = n;
    return ext;
}

static void insert_extend(wr_query *q, int at, int width, wr_expr **ext, int n) {
    q->steps = wr_xrealloc(q->steps, sizeof *q->steps * (size_t)(q->nsteps + 1));
    memmove(q->steps + at + 1, q->steps + at, sizeof *q->steps * (size_t)(q->nsteps - at));
    q->nsteps++;
    wr_step *st = &q->steps[at];
    memset(st, 0, sizeof *st);
    st->kind = WR_STEP_EXTEND;
    st->exprs = ext;
    st->nexprs = n;
    st->in_width = width;
    st->out_width = width + n;
}

void wr_plan_share(wr_query *q) {
    int width = q->source->schema.n;
    for (int i = 0; i < q->nsteps; i++) {
        wr_step *st = &q->steps[i];
        if (st->kind == WR_STEP_PROJECT && st->nexprs > 1) {
            int n;
            wr_expr **ext = share(st->exprs, st->nexprs, width, &n);
            if (n) {
                insert_extend(q, i, width, ext, n);
                q->steps[i + 1].in_width = width + n;
                i++; /* the projection, now after its EXTEND */
            }
        }
        width = q->steps[i].out_width;
    }
    wr_aggregate *agg = q->agg;
    if (!agg) return;
    int nroots = agg->nkeys + agg->naggs + 1;
    wr_expr **roots = wr_xcalloc((size_t)nroots, sizeof *roots);
    for (int k = 0; k < agg->nkeys; k++)
        roots[k] = agg->keys[k];
    for (int a = 0; a < agg->naggs; a++)
        roots[agg->nkeys + a] = agg->aggs[a].arg;
    roots[nroots - 1] = agg->wm_expr;
    int n;
    wr_expr **ext = share(roots, nroots, width, &n);
    if (n) {
        for (int k = 0; k < agg->nkeys; k++)
            agg->keys[k] = roots[k];
        for (int a = 0; a < agg->naggs; a++)
            agg->aggs[a].arg = roots[agg->nkeys + a];
        agg->wm_expr = roots[nroots - 1];
        insert_extend(q, q->nsteps, width, ext, n);
    }
    free(roots);
}
