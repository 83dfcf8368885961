/* Memory tables (wr_catalog.h): a memory sink's rows in columns in this
 * process, which SQL reads through a read-only SQLite virtual table
 * (module weir_memory, registered on every catalog connection).
 *
 * Rows live in a generation: segments of columns (segment k holds 256 << k
 * rows, so a row's place is arithmetic and nothing ever moves) and an arena
 * of string bytes. The writer appends a batch after the rows readers may
 * see, then commit publishes it in one step under the table's lock: the
 * published generation, its row count and a version. A reader's statement
 * pins what is published when its first cursor on the table opens and keeps
 * it until its last cursor closes (the end of the statement): every cursor
 * of a statement sees the same whole batches, and the writer never waits.
 * append adds rows; complete fills a fresh generation that replaces the old
 * one (freed when no statement pins it); update (upsert by the GROUP BY
 * keys) appends the new row and marks the row it replaces dead as of the
 * new version, so older pins still see it; when dead rows outnumber live
 * ones, commit copies the live rows into a fresh generation.
 *
 * The virtual table plans a full scan, a rowid lookup, or an equality on a
 * column: the first such filter of a statement scans and compares in C, a
 * second one (the inner side of a join) builds a hash index of that column
 * for the pinned rows and probes it. SQLite checks every constraint again
 * (omit = 0), so a value the table cannot compare exactly (another type, a
 * collation) falls back to a scan. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "catalog/catalog_int.h"
#include "expr/wr_expr.h"

/* How a column is kept: by its SQL storage class, timestamps as µs. */
enum { P_INT, P_DBL, P_TEXT, P_BLOB, P_TS };

#define SEG0   256 /* rows of segment 0; segment k holds SEG0 << k */
#define MAXSEG 40
#define LIVE   INT64_MAX /* the dead version of a live row */

typedef struct cell {
    const char *p; /* never NULL: "" for an empty value */
    uint32_t len;
} cell;

typedef struct seg {
    size_t cap;                /* rows */
    void **cols;               /* int64_t, double or cell per row, by column */
    _Atomic(uint8_t *) *nulls; /* by column, 1 a NULL row; none until one is NULL */
    _Atomic int64_t *dead;     /* update mode: the version that replaced the row */
} seg;

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    char data[];
} chunk;

typedef struct gen {
    int refs; /* under the table's lock: the table's own, and pins */
    seg *segs[MAXSEG];
    uint64_t n;     /* rows written (the writer's; readers use their pin's) */
    uint64_t ndead; /* update mode: rows replaced */
    chunk *bytes;   /* string and blob bytes */
} gen;

struct wr_memtable {
    char *file, *name; /* the catalog's file (as SQLite names it) and the table */
    int ncols;
    char **names;
    wr_type *types;
    uint8_t *kinds;
    wr_memtable_mode mode;
    int nkeys;
    int *keys;
    int refs; /* under reg_lock: the registry, the writer, each connection's vtab */
    struct wr_memtable *next;

    pthread_mutex_t lock; /* what readers pin: */
    gen *pub;
    uint64_t pub_n, version;

    /* the writer's */
    gen *w;      /* pub, or a fresh generation (complete) until commit */
    bool staged; /* a batch is written and not yet committed */
    wr_buf scratch;
    struct keyslot *slots; /* update mode: keys -> row (open addressing) */
    uint64_t nslots, nindexed;
    uint64_t *kill; /* rows the staged batch replaces */
    size_t nkill, killcap;
};

/* ---- the registry: which tables exist, by catalog file and name ---- */

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static wr_memtable *registry;

static void gen_unref(wr_memtable *t, gen *g);

static void table_free(wr_memtable *t) {
    gen_unref(t, t->pub);
    if (t->w != t->pub) gen_unref(t, t->w);
    for (int c = 0; c < t->ncols; c++)
        free(t->names[c]);
    free(t->names);
    free(t->types);
    free(t->kinds);
    free(t->keys);
    free(t->slots);
    free(t->kill);
    wr_buf_free(&t->scratch);
    pthread_mutex_destroy(&t->lock);
    free(t->file);
    free(t->name);
    free(t);
}

/* Drops a reference (reg_lock held). */
static void table_unref_locked(wr_memtable *t) {
    if (--t->refs == 0) table_free(t);
}

static void table_unref(wr_memtable *t) {
    pthread_mutex_lock(&reg_lock);
    table_unref_locked(t);
    pthread_mutex_unlock(&reg_lock);
}

/* The table `name` of catalog `file`, referenced, or NULL. */
static wr_memtable *table_find(const char *file, const char *name) {
    pthread_mutex_lock(&reg_lock);
    wr_memtable *t = registry;
    while (t && (strcmp(t->file, file) || sqlite3_stricmp(t->name, name)))
        t = t->next;
    if (t) t->refs++;
    pthread_mutex_unlock(&reg_lock);
    return t;
}

/* Takes t out of the registry (if it is there). */
static void table_unregister(wr_memtable *t) {
    pthread_mutex_lock(&reg_lock);
    for (wr_memtable **p = &registry; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            table_unref_locked(t);
            break;
        }
    pthread_mutex_unlock(&reg_lock);
}

/* Takes t into the registry in place of a table of the same name. */
static void table_register(wr_memtable *t) {
    pthread_mutex_lock(&reg_lock);
    for (wr_memtable **p = &registry; *p; p = &(*p)->next)
        if (!strcmp((*p)->file, t->file) && !sqlite3_stricmp((*p)->name, t->name)) {
            wr_memtable *old = *p;
            *p = old->next;
            table_unref_locked(old);
            break;
        }
    t->next = registry;
    registry = t;
    pthread_mutex_unlock(&reg_lock);
}

void wr_memtable_forget(const char *file, const char *alias) {
    pthread_mutex_lock(&reg_lock);
    for (wr_memtable **p = &registry; *p;) {
        wr_memtable *t = *p;
        if (!strcmp(t->file, file) || (alias && !strcmp(t->file, alias))) {
            *p = t->next;
            table_unref_locked(t);
        } else {
            p = &t->next;
        }
    }
    pthread_mutex_unlock(&reg_lock);
}

/* ---- generations ---- */

static size_t cell_size(int kind) {
    switch (kind) {
    case P_DBL:
        return sizeof(double);
    case P_TEXT:
    case P_BLOB:
        return sizeof(cell);
    default:
        return sizeof(int64_t);
    }
}

/* Row r's segment and its place there. */
static inline int seg_of(uint64_t r, uint64_t *pos) {
    uint64_t q = r / SEG0 + 1;
    int k = 63 - __builtin_clzll(q);
    *pos = r - (uint64_t)SEG0 * ((1ULL << k) - 1);
    return k;
}

/* Memory for a segment's column: a big one in huge pages where the system
 * gives them on request (a 4 KB page fault per 4 KB written is most of the
 * cost of filling fresh memory). */
static void *col_alloc(size_t size) {
    enum { HUGE = 2 << 20 };
    if (size < HUGE) return wr_xmalloc(size);
    void *p = NULL;
    if (posix_memalign(&p, HUGE, size)) return wr_xmalloc(size);
    madvise(p, size, MADV_HUGEPAGE);
    return p;
}

static gen *gen_new(void) {
    gen *g = wr_xcalloc(1, sizeof *g);
    g->refs = 1;
    return g;
}

static void gen_free(const wr_memtable *t, gen *g) {
    for (int k = 0; k < MAXSEG && g->segs[k]; k++) {
        seg *s = g->segs[k];
        for (int c = 0; c < t->ncols; c++) {
            free(s->cols[c]);
            free(atomic_load_explicit(&s->nulls[c], memory_order_relaxed));
        }
        free(s->cols);
        free(s->nulls);
        free(s->dead);
        free(s);
    }
    for (chunk *c = g->bytes; c;) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
    free(g);
}

static void gen_unref(wr_memtable *t, gen *g) {
    if (!g) return;
    pthread_mutex_lock(&t->lock);
    bool last = --g->refs == 0;
    pthread_mutex_unlock(&t->lock);
    if (last) gen_free(t, g);
}

/* Room for row r (the writer's). */
static seg *gen_room(const wr_memtable *t, gen *g, uint64_t r, uint64_t *pos) {
    int k = seg_of(r, pos);
    if (!g->segs[k]) {
        size_t cap = (size_t)SEG0 << k;
        seg *s = wr_xcalloc(1, sizeof *s);
        s->cap = cap;
        s->cols = wr_xcalloc((size_t)t->ncols + 1, sizeof *s->cols);
        s->nulls = wr_xcalloc((size_t)t->ncols + 1, sizeof *s->nulls);
        for (int c = 0; c < t->ncols; c++)
            s->cols[c] = col_alloc(cap * cell_size(t->kinds[c]));
        if (t->mode == WR_MEMTABLE_UPSERT) s->dead = wr_xmalloc(cap * sizeof *s->dead);
        g->segs[k] = s;
    }
    return g->segs[k];
}

/* A copy of n bytes in g (the writer's). */
static const char *gen_bytes(gen *g, const char *p, size_t n) {
    if (!n) return "";
    chunk *c = g->bytes;
    if (!c || c->cap - c->used < n) { /* chunks double, up to 32 MB */
        size_t cap = c ? (c->cap < (32 << 20) ? c->cap * 2 : c->cap) : 64 * 1024;
        if (cap < n) cap = n;
        c = col_alloc(sizeof *c + cap);
        c->next = g->bytes, c->used = 0, c->cap = cap;
        g->bytes = c;
    }
    char *q = c->data + c->used;
    memcpy(q, p, n);
    c->used += n;
    return q;
}

static inline bool is_null(const seg *s, int c, uint64_t pos) {
    const uint8_t *n = atomic_load_explicit(&s->nulls[c], memory_order_acquire);
    return n && n[pos];
}

/* Marks row (s, pos)'s column c NULL or not (the writer's): a column's
 * flags appear, zeroed, with its first NULL. */
static void set_null(seg *s, int c, uint64_t pos, bool null) {
    uint8_t *n = atomic_load_explicit(&s->nulls[c], memory_order_relaxed);
    if (!n) {
        if (!null) return;
        n = col_alloc(s->cap);
        memset(n, 0, s->cap);
        atomic_store_explicit(&s->nulls[c], n, memory_order_release);
    }
    n[pos] = null;
}
static inline int64_t int_at(const seg *s, int c, uint64_t pos) {
    return ((const int64_t *)s->cols[c])[pos];
}
static inline double dbl_at(const seg *s, int c, uint64_t pos) {
    return ((const double *)s->cols[c])[pos];
}
static inline cell cell_at(const seg *s, int c, uint64_t pos) {
    return ((const cell *)s->cols[c])[pos];
}

/* Whether row (s, pos) is there for a pin at `version`. */
static inline bool visible(const seg *s, uint64_t pos, uint64_t version) {
    return !s->dead || atomic_load_explicit(&s->dead[pos], memory_order_relaxed) > (int64_t)version;
}

/* ---- values: hashing and equality of stored cells ---- */

/* A value to look for in a column: what a cell holds. */
typedef struct probe {
    int64_t i;
    double d;
    cell s;
} probe;

static uint64_t hash_cell(const seg *s, int c, uint64_t pos, int kind) {
    switch (kind) {
    case P_DBL: {
        double d = dbl_at(s, c, pos);
        if (d == 0) d = 0; /* -0.0 */
        uint64_t bits;
        memcpy(&bits, &d, 8);
        return wr_hash_u64(bits);
    }
    case P_TEXT:
    case P_BLOB: {
        cell v = cell_at(s, c, pos);
        return wr_hash_bytes(v.p, v.len, 0x5eed);
    }
    default:
        return wr_hash_u64((uint64_t)int_at(s, c, pos));
    }
}

static uint64_t hash_probe(const probe *v, int kind) {
    switch (kind) {
    case P_DBL: {
        double d = v->d == 0 ? 0 : v->d;
        uint64_t bits;
        memcpy(&bits, &d, 8);
        return wr_hash_u64(bits);
    }
    case P_TEXT:
    case P_BLOB:
        return wr_hash_bytes(v->s.p, v->s.len, 0x5eed);
    default:
        return wr_hash_u64((uint64_t)v->i);
    }
}

static bool cell_is(const seg *s, int c, uint64_t pos, int kind, const probe *v) {
    if (is_null(s, c, pos)) return false;
    switch (kind) {
    case P_DBL:
        return dbl_at(s, c, pos) == v->d;
    case P_TEXT:
    case P_BLOB: {
        cell x = cell_at(s, c, pos);
        return x.len == v->s.len && !memcmp(x.p, v->s.p, x.len);
    }
    default:
        return int_at(s, c, pos) == v->i;
    }
}

/* Two rows agree on a column, NULL agreeing with NULL (as IS does). */
static bool cells_same(const seg *a, uint64_t pa, const seg *b, uint64_t pb, int c, int kind) {
    bool na = is_null(a, c, pa), nb = is_null(b, c, pb);
    if (na || nb) return na && nb;
    switch (kind) {
    case P_DBL:
        return dbl_at(a, c, pa) == dbl_at(b, c, pb);
    case P_TEXT:
    case P_BLOB: {
        cell x = cell_at(a, c, pa), y = cell_at(b, c, pb);
        return x.len == y.len && !memcmp(x.p, y.p, x.len);
    }
    default:
        return int_at(a, c, pa) == int_at(b, c, pb);
    }
}

/* ---- the writer ---- */

static int kind_of(wr_type t) {
    switch (t.kind) {
    case WR_T_BOOL:
    case WR_T_INT:
    case WR_T_BIGINT:
        return P_INT;
    case WR_T_DOUBLE:
        return P_DBL;
    case WR_T_BINARY:
        return P_BLOB;
    case WR_T_TIMESTAMP:
        return P_TS;
    default: /* strings; arrays and windows as their text */
        return P_TEXT;
    }
}

/* Stores v as row (s, pos)'s column c. */
static void put(wr_memtable *t, gen *g, seg *s, uint64_t pos, int c, wr_val v) {
    int kind = t->kinds[c];
    bool null = v.null || (kind == P_DBL && isnan(v.u.d)); /* SQLite holds NaN as NULL */
    set_null(s, c, pos, null);
    if (null) return;
    switch (kind) {
    case P_INT:
    case P_TS:
        ((int64_t *)s->cols[c])[pos] = v.u.i;
        break;
    case P_DBL: /* a REAL column of SQLite keeps -0.0 as the integer 0: it reads 0.0 */
        ((double *)s->cols[c])[pos] = v.u.d == 0 ? 0.0 : v.u.d;
        break;
    default:
        if (t->types[c].kind != WR_T_STRING && t->types[c].kind != WR_T_BINARY) {
            t->scratch.len = 0;
            wr_val_format(&t->scratch, v, t->types[c], false);
            v = wr_str(t->scratch.p ? t->scratch.p : "", t->scratch.len);
        }
        ((cell *)s->cols[c])[pos] = (cell){gen_bytes(g, v.u.p, v.len), v.len};
    }
}

static uint64_t key_hash(const wr_memtable *t, const seg *s, uint64_t pos) {
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int k = 0; k < t->nkeys; k++) {
        int c = t->keys[k];
        h = wr_hash_u64(h ^ (is_null(s, c, pos) ? 0x5bd1e995 : hash_cell(s, c, pos, t->kinds[c]))) +
            (uint64_t)k;
    }
    return h;
}

/* An index slot: a key's hash and its row + 1 (0: empty); growing the index
 * and most probes never look at the rows. */
typedef struct keyslot {
    uint64_t hash, row;
} keyslot;

static void index_grow(wr_memtable *t);

/* Update mode: the slot of the key of row (s, pos) of t->w, and the row it
 * holds (UINT64_MAX: none). */
static uint64_t index_find(wr_memtable *t, const seg *s, uint64_t pos, uint64_t h, uint64_t *row) {
    uint64_t mask = t->nslots - 1, i = h & mask;
    for (; t->slots[i].row; i = (i + 1) & mask) {
        if (t->slots[i].hash != h) continue;
        uint64_t r = t->slots[i].row - 1, rpos;
        const seg *rs = t->w->segs[seg_of(r, &rpos)];
        bool same = true;
        for (int k = 0; k < t->nkeys && same; k++)
            same = cells_same(s, pos, rs, rpos, t->keys[k], t->kinds[t->keys[k]]);
        if (same) {
            *row = r;
            return i;
        }
    }
    *row = UINT64_MAX;
    return i;
}

/* Indexes row r of t->w as the row of its keys. */
static void index_put(wr_memtable *t, uint64_t r) {
    if ((t->nindexed + 1) * 2 > t->nslots) index_grow(t);
    uint64_t pos, old;
    const seg *s = t->w->segs[seg_of(r, &pos)];
    uint64_t h = key_hash(t, s, pos), i = index_find(t, s, pos, h, &old);
    if (old == UINT64_MAX) t->nindexed++;
    t->slots[i] = (keyslot){h, r + 1};
}

/* Rebuilds the index from the live rows of t->w below n. */
static void index_rebuild(wr_memtable *t, uint64_t n) {
    free(t->slots);
    t->nslots = 1024;
    while (t->nslots < n * 2 + 2)
        t->nslots *= 2;
    t->slots = wr_xcalloc(t->nslots, sizeof *t->slots);
    t->nindexed = 0;
    for (uint64_t r = 0; r < n; r++) {
        uint64_t pos;
        const seg *s = t->w->segs[seg_of(r, &pos)];
        if (atomic_load_explicit(&s->dead[pos], memory_order_relaxed) == LIVE) index_put(t, r);
    }
}

static void index_grow(wr_memtable *t) {
    uint64_t ns = t->nslots ? t->nslots * 2 : 1024;
    keyslot *slots = wr_xcalloc(ns, sizeof *slots);
    for (uint64_t i = 0; i < t->nslots; i++) {
        if (!t->slots[i].row) continue;
        uint64_t j = t->slots[i].hash & (ns - 1);
        while (slots[j].row)
            j = (j + 1) & (ns - 1);
        slots[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = ns;
}

wr_memtable *wr_memtable_create(const char *catalog, const char *name, const wr_schema *schema,
                                wr_memtable_mode mode, const int *keys, int nkeys, wr_err *err) {
    sqlite3 *db = wr_catalog_connect(catalog, false, NULL, err);
    if (!db) return NULL;
    wr_memtable *t = wr_xcalloc(1, sizeof *t);
    t->file = wr_xstrdup(sqlite3_db_filename(db, "main"));
    t->name = wr_xstrdup(name);
    t->ncols = schema->n;
    t->names = wr_xcalloc((size_t)t->ncols + 1, sizeof *t->names);
    t->types = wr_xcalloc((size_t)t->ncols + 1, sizeof *t->types);
    t->kinds = wr_xcalloc((size_t)t->ncols + 1, sizeof *t->kinds);
    for (int c = 0; c < t->ncols; c++) {
        t->names[c] = wr_xstrdup(schema->cols[c].name);
        t->types[c] = schema->cols[c].type;
        t->kinds[c] = (uint8_t)kind_of(schema->cols[c].type);
    }
    t->mode = mode == WR_MEMTABLE_UPSERT && nkeys <= 0 ? WR_MEMTABLE_APPEND : mode;
    if (t->mode == WR_MEMTABLE_UPSERT) {
        t->nkeys = nkeys;
        t->keys = wr_xmalloc(sizeof *t->keys * (size_t)nkeys);
        memcpy(t->keys, keys, sizeof *t->keys * (size_t)nkeys);
    }
    pthread_mutex_init(&t->lock, NULL);
    t->pub = t->w = gen_new();
    t->refs = 2; /* the registry's and the writer's */
    if (t->mode == WR_MEMTABLE_UPSERT) index_rebuild(t, 0);
    table_register(t);
    /* the schema entry SQL finds it by; a table of the name before is dropped */
    wr_buf b = {0};
    wr_buf_puts(&b, "DROP TABLE IF EXISTS ");
    wr_catalog_quote(&b, name);
    wr_buf_puts(&b, "; CREATE VIRTUAL TABLE ");
    wr_catalog_quote(&b, name);
    wr_buf_puts(&b, " USING weir_memory;");
    char *msg = NULL;
    bool ok = sqlite3_exec(db, b.p, NULL, NULL, &msg) == SQLITE_OK;
    if (!ok)
        wr_fail(err, WR_ERR_IO, "memory table %s in %s: %s", name, catalog,
                msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    wr_buf_free(&b);
    sqlite3_close(db);
    if (!ok) {
        table_unregister(t);
        table_unref(t);
        return NULL;
    }
    return t;
}

/* Update mode: rows [from, to) of t->w, just written, replace the rows of
 * their keys (those die at commit) in the index. */
static void upsert(wr_memtable *t, uint64_t from, uint64_t to) {
    uint64_t hash[32] = {0};
    if ((t->nindexed + (to - from)) * 2 > t->nslots) index_grow(t);
    for (uint64_t r = from; r < to; r++) { /* hashes first, their slots on their way */
        uint64_t pos;
        const seg *s = t->w->segs[seg_of(r, &pos)];
        hash[r - from] = key_hash(t, s, pos);
        __builtin_prefetch(&t->slots[hash[r - from] & (t->nslots - 1)]);
    }
    for (uint64_t r = from; r < to; r++) {
        uint64_t pos, old, h = hash[r - from];
        const seg *s = t->w->segs[seg_of(r, &pos)];
        uint64_t slot = index_find(t, s, pos, h, &old);
        if (old != UINT64_MAX) { /* the row it replaces dies at commit */
            if (t->nkill == t->killcap)
                t->kill =
                    wr_xrealloc(t->kill, sizeof *t->kill * (t->killcap = t->killcap * 2 + 64));
            t->kill[t->nkill++] = old;
        } else {
            t->nindexed++;
        }
        t->slots[slot] = (keyslot){h, r + 1};
    }
}

void wr_memtable_write(wr_memtable *t, const wr_batch *rows) {
    if (!t->staged && t->mode == WR_MEMTABLE_COMPLETE) t->w = gen_new(); /* replaces pub */
    t->staged = true;
    gen *g = t->w;
    int nc = t->ncols;
    uint64_t first = g->n;
    for (size_t i = 0; i < rows->n; i++) {
        const wr_val *row = wr_batch_row(rows, i);
        uint64_t r = g->n, pos;
        seg *s = gen_room(t, g, r, &pos);
        for (int c = 0; c < nc; c++)
            put(t, g, s, pos, c, row[c]);
        g->n++;
        if (t->mode != WR_MEMTABLE_UPSERT) continue;
        atomic_store_explicit(&s->dead[pos], LIVE, memory_order_relaxed);
        if (g->n - first == 32) { /* the index, 32 rows at a time */
            upsert(t, first, g->n);
            first = g->n;
        }
    }
    if (t->mode == WR_MEMTABLE_UPSERT && g->n > first) upsert(t, first, g->n);
}

/* Update mode: the live rows of g, in order, into a fresh generation (the
 * writer's, while it owns g). */
static gen *compacted(wr_memtable *t, gen *g) {
    gen *f = gen_new();
    for (uint64_t r = 0; r < g->n; r++) {
        uint64_t pos, fpos;
        const seg *s = g->segs[seg_of(r, &pos)];
        if (atomic_load_explicit(&s->dead[pos], memory_order_relaxed) != LIVE) continue;
        seg *d = gen_room(t, f, f->n, &fpos);
        for (int c = 0; c < t->ncols; c++) {
            int kind = t->kinds[c];
            size_t sz = cell_size(kind);
            set_null(d, c, fpos, is_null(s, c, pos));
            if (kind == P_TEXT || kind == P_BLOB) {
                cell x = cell_at(s, c, pos);
                ((cell *)d->cols[c])[fpos] = (cell){gen_bytes(f, x.p, x.len), x.len};
            } else {
                memcpy((char *)d->cols[c] + fpos * sz, (const char *)s->cols[c] + pos * sz, sz);
            }
        }
        atomic_store_explicit(&d->dead[fpos], LIVE, memory_order_relaxed);
        f->n++;
    }
    return f;
}

void wr_memtable_commit(wr_memtable *t) {
    if (!t->staged) return;
    uint64_t version = t->version + 1;
    gen *g = t->w;
    for (size_t i = 0; i < t->nkill; i++) {
        uint64_t pos;
        seg *s = g->segs[seg_of(t->kill[i], &pos)];
        atomic_store_explicit(&s->dead[pos], (int64_t)version, memory_order_relaxed);
    }
    g->ndead += t->nkill;
    t->nkill = 0;
    if (t->mode == WR_MEMTABLE_UPSERT && g->ndead > 4096 && g->ndead * 2 > g->n) {
        gen *f = compacted(t, g);
        t->w = f;
        index_rebuild(t, f->n);
    }
    pthread_mutex_lock(&t->lock);
    gen *old = t->pub != t->w ? t->pub : NULL;
    t->pub = t->w;
    t->pub_n = t->w->n;
    t->version = version;
    pthread_mutex_unlock(&t->lock);
    gen_unref(t, old);
    t->staged = false;
}

void wr_memtable_abort(wr_memtable *t) {
    if (!t->staged) return;
    if (t->w != t->pub) { /* complete: the fresh generation goes */
        gen_unref(t, t->w);
        t->w = t->pub;
    }
    t->w->n = t->pub_n; /* append: the rows written go (their bytes stay till the end) */
    t->nkill = 0;
    if (t->mode == WR_MEMTABLE_UPSERT) index_rebuild(t, t->pub_n);
    t->staged = false;
}

void wr_memtable_close(wr_memtable *t) {
    if (!t) return;
    wr_memtable_abort(t);
    table_unref(t);
}

/* ---- the virtual table ---- */

/* What a statement reads: a generation and how much of it. */
typedef struct pin {
    gen *g;
    uint64_t n, version;
} pin;

/* A column's hash index over a pin: chains of rows by hash. */
typedef struct colindex {
    uint32_t *heads, *next; /* row + 1; 0 ends */
    uint64_t mask;
} colindex;

typedef struct vtab {
    sqlite3_vtab base;
    wr_memtable *t;
    int ncursors; /* open cursors: a statement runs while there are any */
    pin pin;
    colindex *idx; /* by column, built for pin */
    int *eqs;      /* equality filters per column since the pin */
} vtab;

enum { PLAN_SCAN, PLAN_ROWID, PLAN_EQ }; /* idxNum: PLAN_EQ + column */

typedef struct cursor {
    sqlite3_vtab_cursor base;
    pin p;
    uint64_t row; /* the current row; p.n: the end */
    seg *s;       /* its segment, and place there */
    uint64_t pos;
    int col;    /* an equality: the column (-1: none) */
    probe want; /* and the value */
    const colindex *ix;
    bool single;        /* a rowid lookup: one row at most */
    wr_buf text, bytes; /* a timestamp's text; the bytes `want` looks for */
} cursor;

static int vt_attach(sqlite3 *db, int argc, const char *const *argv, sqlite3_vtab **out,
                     char **errmsg, bool create) {
    (void)create;
    if (argc < 3) return SQLITE_ERROR;
    const char *file = sqlite3_db_filename(db, argv[1]);
    wr_memtable *t = file ? table_find(file, argv[2]) : NULL;
    if (!t) {
        *errmsg = sqlite3_mprintf("memory table %s is gone (its run ended)", argv[2]);
        return SQLITE_ERROR;
    }
    wr_buf b = {0};
    wr_buf_puts(&b, "CREATE TABLE ");
    wr_schema sc = {0};
    for (int c = 0; c < t->ncols; c++)
        wr_schema_add(&sc, t->names[c], t->types[c]);
    wr_catalog_table_sql(&b, "x", &sc);
    wr_schema_free(&sc);
    int rc = sqlite3_declare_vtab(db, b.p);
    wr_buf_free(&b);
    if (rc != SQLITE_OK) {
        table_unref(t);
        return rc;
    }
    sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
    vtab *v = sqlite3_malloc(sizeof *v);
    if (!v) {
        table_unref(t);
        return SQLITE_NOMEM;
    }
    memset(v, 0, sizeof *v);
    v->t = t;
    *out = &v->base;
    return SQLITE_OK;
}

static void unpin(vtab *v) {
    for (int c = 0; v->idx && c < v->t->ncols; c++) {
        free(v->idx[c].heads);
        free(v->idx[c].next);
    }
    free(v->idx);
    free(v->eqs);
    v->idx = NULL;
    v->eqs = NULL;
    gen_unref(v->t, v->pin.g);
    v->pin.g = NULL;
}

static int vt_disconnect(sqlite3_vtab *base) {
    vtab *v = (vtab *)base;
    if (v->pin.g) unpin(v);
    table_unref(v->t);
    sqlite3_free(v);
    return SQLITE_OK;
}

static bool eq_usable(const wr_memtable *t, int col, sqlite3_index_info *info, int i) {
    if (col < 0 || col >= t->ncols) return false;
    int kind = t->kinds[col];
    if (kind != P_TEXT && kind != P_TS) return true;
    const char *coll = sqlite3_vtab_collation(info, i);
    return !coll || !sqlite3_stricmp(coll, "BINARY");
}

static int vt_best_index(sqlite3_vtab *base, sqlite3_index_info *info) {
    vtab *v = (vtab *)base;
    wr_memtable *t = v->t;
    pthread_mutex_lock(&t->lock);
    double n = (double)t->pub_n;
    pthread_mutex_unlock(&t->lock);
    int best = -1, plan = PLAN_SCAN;
    for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (!c->usable || c->op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
        if (c->iColumn < 0) {
            best = i, plan = PLAN_ROWID;
            break;
        }
        if (plan == PLAN_SCAN && eq_usable(t, c->iColumn, info, i))
            best = i, plan = PLAN_EQ + c->iColumn;
    }
    info->idxNum = plan;
    if (best >= 0) {
        info->aConstraintUsage[best].argvIndex = 1;
        info->aConstraintUsage[best].omit = 0; /* SQLite checks it again */
    }
    if (plan == PLAN_ROWID) {
        info->estimatedCost = 1;
        info->estimatedRows = 1;
        info->idxFlags = SQLITE_INDEX_SCAN_UNIQUE;
    } else if (plan >= PLAN_EQ) {
        info->estimatedCost = 20 + log2(n + 2);
        info->estimatedRows = 10;
    } else {
        info->estimatedCost = n + 10;
        info->estimatedRows = (sqlite3_int64)n + 1;
    }
    return SQLITE_OK;
}

static int vt_open(sqlite3_vtab *base, sqlite3_vtab_cursor **out) {
    vtab *v = (vtab *)base;
    cursor *c = sqlite3_malloc(sizeof *c);
    if (!c) return SQLITE_NOMEM;
    memset(c, 0, sizeof *c);
    if (v->ncursors++ == 0) { /* the statement's first: what is published now */
        wr_memtable *t = v->t;
        pthread_mutex_lock(&t->lock);
        v->pin = (pin){t->pub, t->pub_n, t->version};
        t->pub->refs++;
        pthread_mutex_unlock(&t->lock);
    }
    c->p = v->pin;
    c->row = c->p.n;
    c->col = -1;
    *out = &c->base;
    return SQLITE_OK;
}

static int vt_close(sqlite3_vtab_cursor *base) {
    cursor *c = (cursor *)base;
    vtab *v = (vtab *)base->pVtab;
    wr_buf_free(&c->text);
    wr_buf_free(&c->bytes);
    sqlite3_free(c);
    if (--v->ncursors == 0) unpin(v);
    return SQLITE_OK;
}

/* Points the cursor at row r (< p.n). */
static inline void at(cursor *c, uint64_t r) {
    c->row = r;
    c->s = c->p.g->segs[seg_of(r, &c->pos)];
}

static inline bool wanted(const cursor *c) {
    const wr_memtable *t = ((const vtab *)c->base.pVtab)->t;
    if (!visible(c->s, c->pos, c->p.version)) return false;
    return c->col < 0 || cell_is(c->s, c->col, c->pos, t->kinds[c->col], &c->want);
}

/* From row r on (a scan), or along the index chain, to the next wanted row. */
static void seek(cursor *c, uint64_t r) {
    while (r < c->p.n) {
        at(c, r);
        if (wanted(c)) return;
        if (!c->ix) {
            r++;
        } else if (c->ix->next[r]) {
            r = (uint64_t)c->ix->next[r] - 1;
        } else {
            break;
        }
    }
    c->row = c->p.n;
}

/* The value an equality on column col looks for: 1 found, 0 nothing can
 * equal it (NULL, or a number no cell of the column equals), -1 not
 * comparable here (SQLite's own rules apply: scan). */
static int probe_of(const wr_memtable *t, int col, sqlite3_value *val, probe *p, wr_buf *scratch,
                    wr_buf *bytes) {
    int type = sqlite3_value_type(val);
    if (type == SQLITE_NULL) return 0;
    switch (t->kinds[col]) {
    case P_INT:
        if (type == SQLITE_INTEGER) {
            p->i = sqlite3_value_int64(val);
            return 1;
        }
        if (type == SQLITE_FLOAT) {
            double d = sqlite3_value_double(val);
            if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return 0;
            p->i = (int64_t)d;
            return (double)p->i == d;
        }
        return -1;
    case P_DBL:
        if (type == SQLITE_FLOAT) {
            p->d = sqlite3_value_double(val);
            return 1;
        }
        if (type == SQLITE_INTEGER) {
            int64_t i = sqlite3_value_int64(val);
            if (i > (1LL << 53) || i < -(1LL << 53)) return -1;
            p->d = (double)i;
            return 1;
        }
        return -1;
    case P_TEXT:
    case P_BLOB: {
        if (type != (t->kinds[col] == P_TEXT ? SQLITE_TEXT : SQLITE_BLOB)) return -1;
        const void *b =
            type == SQLITE_TEXT ? (const void *)sqlite3_value_text(val) : sqlite3_value_blob(val);
        bytes->len = 0; /* the argument lives only as long as this call */
        wr_buf_put(bytes, b ? b : "", (size_t)sqlite3_value_bytes(val));
        p->s = (cell){bytes->p, (uint32_t)bytes->len};
        return 1;
    }
    default: { /* a timestamp, compared as the text it reads as */
        if (type != SQLITE_TEXT) return -1;
        const char *s = (const char *)sqlite3_value_text(val);
        size_t n = (size_t)sqlite3_value_bytes(val);
        if (!s || !wr_ts_parse(s, n, &p->i)) return 0;
        scratch->len = 0;
        wr_ts_format(scratch, p->i);
        return scratch->len == n && !memcmp(scratch->p, s, n); /* else no cell reads as s */
    }
    }
}

static const colindex *index_of(vtab *v, int col) {
    wr_memtable *t = v->t;
    if (!v->idx) {
        v->idx = wr_xcalloc((size_t)t->ncols, sizeof *v->idx);
        v->eqs = wr_xcalloc((size_t)t->ncols, sizeof *v->eqs);
    }
    colindex *ix = &v->idx[col];
    if (ix->heads) return ix;
    const pin *p = &v->pin;
    if (++v->eqs[col] < 2 || p->n >= UINT32_MAX) return NULL; /* the first: a scan is cheaper */
    uint64_t ns = 1024;
    while (ns < p->n * 2)
        ns *= 2;
    ix->heads = wr_xcalloc(ns, sizeof *ix->heads);
    ix->next = wr_xcalloc(p->n + 1, sizeof *ix->next);
    ix->mask = ns - 1;
    int kind = t->kinds[col];
    for (uint64_t r = p->n; r-- > 0;) {
        uint64_t pos;
        const seg *s = p->g->segs[seg_of(r, &pos)];
        if (is_null(s, col, pos) || !visible(s, pos, p->version)) continue;
        uint64_t h = hash_cell(s, col, pos, kind) & ix->mask;
        ix->next[r] = ix->heads[h];
        ix->heads[h] = (uint32_t)(r + 1);
    }
    return ix;
}

static int vt_filter(sqlite3_vtab_cursor *base, int plan, const char *idxstr, int argc,
                     sqlite3_value **argv) {
    (void)idxstr;
    cursor *c = (cursor *)base;
    vtab *v = (vtab *)base->pVtab;
    c->col = -1;
    c->ix = NULL;
    c->single = false;
    c->row = c->p.n;
    if (plan == PLAN_ROWID && argc == 1) {
        c->single = true;
        if (sqlite3_value_type(argv[0]) != SQLITE_INTEGER) {
            seek(c, 0); /* SQLite's rules: scan (it checks each row) */
            c->single = false;
            return SQLITE_OK;
        }
        sqlite3_int64 id = sqlite3_value_int64(argv[0]);
        if (id >= 1 && (uint64_t)id <= c->p.n) {
            at(c, (uint64_t)id - 1);
            if (!wanted(c)) c->row = c->p.n;
        }
        return SQLITE_OK;
    }
    if (plan >= PLAN_EQ && argc == 1) {
        int col = plan - PLAN_EQ,
            found = probe_of(v->t, col, argv[0], &c->want, &c->text, &c->bytes);
        if (found == 0) return SQLITE_OK; /* nothing equals it */
        if (found > 0) {
            c->col = col;
            c->ix = index_of(v, col);
            if (c->ix) {
                uint32_t head = c->ix->heads[hash_probe(&c->want, v->t->kinds[col]) & c->ix->mask];
                if (head) seek(c, head - 1);
                return SQLITE_OK;
            }
        }
    }
    seek(c, 0);
    return SQLITE_OK;
}

static int vt_next(sqlite3_vtab_cursor *base) {
    cursor *c = (cursor *)base;
    if (c->single || (c->ix && !c->ix->next[c->row]))
        c->row = c->p.n;
    else if (c->ix)
        seek(c, (uint64_t)c->ix->next[c->row] - 1);
    else
        seek(c, c->row + 1);
    return SQLITE_OK;
}

static int vt_eof(sqlite3_vtab_cursor *base) {
    const cursor *c = (const cursor *)base;
    return c->row >= c->p.n;
}

static int vt_column(sqlite3_vtab_cursor *base, sqlite3_context *ctx, int col) {
    cursor *c = (cursor *)base;
    const wr_memtable *t = ((const vtab *)base->pVtab)->t;
    if (col < 0 || col >= t->ncols || is_null(c->s, col, c->pos)) {
        sqlite3_result_null(ctx);
        return SQLITE_OK;
    }
    switch (t->kinds[col]) {
    case P_INT:
        sqlite3_result_int64(ctx, int_at(c->s, col, c->pos));
        break;
    case P_DBL:
        sqlite3_result_double(ctx, dbl_at(c->s, col, c->pos));
        break;
    case P_TEXT: {
        cell x = cell_at(c->s, col, c->pos);
        sqlite3_result_text(ctx, x.p, (int)x.len, SQLITE_STATIC);
        break;
    }
    case P_BLOB: {
        cell x = cell_at(c->s, col, c->pos);
        sqlite3_result_blob(ctx, x.p, (int)x.len, SQLITE_STATIC);
        break;
    }
    default:
        c->text.len = 0;
        wr_ts_format(&c->text, int_at(c->s, col, c->pos));
        sqlite3_result_text(ctx, c->text.p, (int)c->text.len, SQLITE_TRANSIENT);
    }
    return SQLITE_OK;
}

static int vt_rowid(sqlite3_vtab_cursor *base, sqlite3_int64 *rowid) {
    *rowid = (sqlite3_int64)((const cursor *)base)->row + 1;
    return SQLITE_OK;
}

/* Writes never reach a memory table: readers' authorizers refuse them. It
 * has an xUpdate so that SQLite asks them (and they refuse INSERT, UPDATE
 * and DELETE as on any table) rather than refusing first itself. */
static int vt_update(sqlite3_vtab *base, int argc, sqlite3_value **argv, sqlite3_int64 *rowid) {
    (void)argc, (void)argv, (void)rowid;
    sqlite3_free(base->zErrMsg);
    base->zErrMsg = sqlite3_mprintf("a memory table changes only through its query");
    return SQLITE_READONLY;
}

/* xCreate (the sink's CREATE VIRTUAL TABLE) and xConnect (every other
 * connection) find the same table; they are two functions, as a module whose
 * xCreate is its xConnect would also be a table named weir_memory. */
static int vt_create(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                     char **errmsg) {
    (void)aux;
    return vt_attach(db, argc, argv, out, errmsg, true);
}

static int vt_connect(sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **out,
                      char **errmsg) {
    (void)aux;
    return vt_attach(db, argc, argv, out, errmsg, false);
}

static const sqlite3_module module = {
    .iVersion = 0,
    .xCreate = vt_create,
    .xConnect = vt_connect,
    .xBestIndex = vt_best_index,
    .xDisconnect = vt_disconnect,
    .xDestroy = vt_disconnect,
    .xOpen = vt_open,
    .xClose = vt_close,
    .xFilter = vt_filter,
    .xNext = vt_next,
    .xEof = vt_eof,
    .xColumn = vt_column,
    .xRowid = vt_rowid,
    .xUpdate = vt_update,
};

int wr_memtable_module(sqlite3 *db) {
    return sqlite3_create_module_v2(db, "weir_memory", &module, NULL, NULL);
}
