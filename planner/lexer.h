/* Internal to the planner: the lexer's entry point (see lexer.c). */
#ifndef WR_PLANNER_LEXER_H
#define WR_PLANNER_LEXER_H

#include <errno.h>
#include <stddef.h>

#include "planner/ast.h"

/* Tokenizes src; *toks (malloc'd, free it) ends with a TK_EOF token. */
bool wr_lex(const char *file, const char *src, size_t len, wr_arena *arena, wr_tok **toks,
            int *ntoks, char *errstr, size_t errlen);

#endif
