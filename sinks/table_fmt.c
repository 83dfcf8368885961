/* The bordered table Spark's Dataset.show prints (console sink, trailing
 * SELECTs in table format): widths in characters, cells cut at `truncate`
 * and right-aligned when truncating, left-aligned otherwise. */
#include <stdlib.h>
#include <string.h>

#include "sinks/wr_sink.h"

static size_t chars(const char *s) {
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Byte length of the first k characters. */
static size_t prefix_bytes(const char *s, size_t k) {
    size_t i = 0;
    for (size_t c = 0; s[i] && c < k; c++) {
        i++;
        while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
    }
    return i;
}

static char *cut(const char *s, int truncate) {
    size_t n = chars(s);
    if (truncate <= 0 || n <= (size_t)truncate) return wr_xstrdup(s);
    if (truncate < 4) return wr_xstrndup(s, prefix_bytes(s, (size_t)truncate));
    size_t b = prefix_bytes(s, (size_t)truncate - 3);
    char *r = wr_xmalloc(b + 4);
    memcpy(r, s, b);
    memcpy(r + b, "...", 4);
    return r;
}

static void pad_cell(FILE *out, const char *s, size_t width, bool right) {
    size_t n = chars(s);
    if (right)
        for (size_t i = n; i < width; i++) fputc(' ', out);
    fputs(s, out);
    if (!right)
        for (size_t i = n; i < width; i++) fputc(' ', out);
}

void wr_print_table(FILE *out, int ncols, char *const *headers, char *const *cells, size_t nrows, int truncate, bool more) {
    size_t total = (nrows + 1) * (size_t)ncols;
    char **shown = wr_xmalloc(sizeof *shown * (total ? total : 1));
    size_t *w = wr_xcalloc((size_t)(ncols ? ncols : 1), sizeof *w);
    for (int c = 0; c < ncols; c++) {
        shown[c] = cut(headers[c], truncate);
        w[c] = 3;
    }
    for (size_t r = 0; r < nrows; r++)
        for (int c = 0; c < ncols; c++) shown[(r + 1) * (size_t)ncols + (size_t)c] = cut(cells[r * (size_t)ncols + (size_t)c], truncate);
    for (size_t i = 0; i < total; i++) {
        size_t n = chars(shown[i]);
        if (n > w[i % (size_t)ncols]) w[i % (size_t)ncols] = n;
    }
    wr_buf sep = {0};
    wr_buf_putc(&sep, '+');
    for (int c = 0; c < ncols; c++) {
        for (size_t i = 0; i < w[c]; i++) wr_buf_putc(&sep, '-');
        wr_buf_putc(&sep, '+');
    }
    wr_buf_putc(&sep, '\n');
    fputs(sep.p, out);
    for (size_t r = 0; r <= nrows; r++) {
        fputc('|', out);
        for (int c = 0; c < ncols; c++) {
            pad_cell(out, shown[r * (size_t)ncols + (size_t)c], w[c], truncate > 0);
            fputc('|', out);
        }
        fputc('\n', out);
        if (r == 0) fputs(sep.p, out);
    }
    fputs(sep.p, out);
    if (more) fprintf(out, "only showing top %zu row%s\n", nrows, nrows == 1 ? "" : "s");
    for (size_t i = 0; i < total; i++) free(shown[i]);
    free(shown);
    free(w);
    wr_buf_free(&sep);
}
