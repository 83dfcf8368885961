/* Internal to the planner: the binder turns SELECT syntax trees into bound
 * pipelines (steps over rows, an optional aggregation) against a scope of
 * named, typed columns. */
#ifndef WR_PLANNER_BINDER_H
#define WR_PLANNER_BINDER_H

#include "planner/ast.h"
#include "planner/wr_plan.h"

typedef struct wr_view_def {
    const char *name;
    wr_select *select;
} wr_view_def;

/* What the binder needs from the job: the sources and views declared so far. */
typedef struct wr_bind_env {
    const char *file;
    wr_source_def *sources;
    int nsources;
    wr_view_def *views;
    int nviews;
} wr_bind_env;

/* Binds the SELECT of an INSERT INTO into q (source, steps, agg, out schema).
 * Errors are "FILE:LINE:COL: message". */
bool wr_bind_query(const wr_bind_env *env, wr_select *sel, wr_query *q, char *errstr,
                   size_t errlen);

/* Checks a view's SELECT binds (so errors surface at its definition). */
bool wr_bind_view_check(const wr_bind_env *env, wr_select *sel, char *errstr, size_t errlen);

void wr_query_free_parts(wr_query *q);

/* The name Spark gives a select-list item without an alias (names.c). */
char *wr_ast_column_name(const wr_ast *a);

/* Computes values several expressions of a step share once (share.c). */
void wr_plan_share(wr_query *q);

#endif
