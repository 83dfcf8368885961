/* The engine's public face (being rebuilt): for now the expressions. */
#ifndef WR_ENGINE_H
#define WR_ENGINE_H

#include "expr/wr_expr.h"

#endif
