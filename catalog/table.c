/* The bordered table Spark's Dataset.show prints (console sink, trailing
 * SELECTs and the shell in table format): columns as wide as their widest
 * cell on a terminal, cells cut at `truncate` characters, right-aligned
 * (Spark: when truncating) or left-aligned.
 *
 * Widths are display columns, as Spark's Utils.stringHalfWidth counts them:
 * East Asian wide and fullwidth characters (Spark's ranges, plus the emoji
 * of the Basic Multilingual Plane that terminals draw two columns wide) and
 * every character beyond that plane (emoji, rare CJK; two UTF-16 units in
 * Spark) take two; unlike Spark, combining marks and zero-width characters
 * take none, as on a terminal. */
#include <stdlib.h>
#include <string.h>

#include "catalog/wr_catalog.h"

typedef struct range {
    unsigned lo, hi;
} range;

/* Spark's fullWidthRegex, and the BMP emoji of East Asian Width W. */
static const range wide[] = {
    {0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x23E9, 0x23EC}, {0x23F0, 0x23F0},
    {0x23F3, 0x23F3}, {0x25FD, 0x25FE}, {0x2614, 0x2615}, {0x2648, 0x2653}, {0x267F, 0x267F},
    {0x2693, 0x2693}, {0x26A1, 0x26A1}, {0x26AA, 0x26AB}, {0x26BD, 0x26BE}, {0x26C4, 0x26C5},
    {0x26CE, 0x26CE}, {0x26D4, 0x26D4}, {0x26EA, 0x26EA}, {0x26F2, 0x26F3}, {0x26F5, 0x26F5},
    {0x26FA, 0x26FA}, {0x26FD, 0x26FD}, {0x2705, 0x2705}, {0x270A, 0x270B}, {0x2728, 0x2728},
    {0x274C, 0x274C}, {0x274E, 0x274E}, {0x2753, 0x2755}, {0x2757, 0x2757}, {0x2795, 0x2797},
    {0x27B0, 0x27B0}, {0x27BF, 0x27BF}, {0x2B1B, 0x2B1C}, {0x2B50, 0x2B50}, {0x2B55, 0x2B55},
    {0x2E80, 0xA4CF}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE10, 0xFE19}, {0xFE30, 0xFE6F},
    {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6},
};

/* Combining marks of the common scripts, zero-width characters and
 * variation selectors. */
static const range zero[] = {
    {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD},   {0x05BF, 0x05BF}, {0x05C1, 0x05C2},
    {0x05C4, 0x05C5}, {0x05C7, 0x05C7}, {0x0610, 0x061A},   {0x064B, 0x065F}, {0x0670, 0x0670},
    {0x06D6, 0x06DC}, {0x06DF, 0x06E4}, {0x06E7, 0x06E8},   {0x06EA, 0x06ED}, {0x0E31, 0x0E31},
    {0x0E34, 0x0E3A}, {0x0E47, 0x0E4E}, {0x1AB0, 0x1AFF},   {0x1DC0, 0x1DFF}, {0x200B, 0x200F},
    {0x2060, 0x2064}, {0x20D0, 0x20FF}, {0x302A, 0x302D},   {0x3099, 0x309A}, {0xFE00, 0xFE0F},
    {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xE0100, 0xE01EF},
};

static bool in(const range *r, size_t n, unsigned cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < r[mid].lo)
            hi = mid;
        else if (cp > r[mid].hi)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

/* The code point at s (UTF-8; a stray byte stands for itself) and its length. */
static unsigned decode(const unsigned char *s, size_t *n) {
    unsigned c = s[0];
    int more = c >= 0xF0 && c < 0xF8 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    if (c >= 0xF8) more = 0;
    unsigned cp = more == 3 ? c & 0x07 : more == 2 ? c & 0x0F : more == 1 ? c & 0x1F : c;
    size_t i = 1;
    for (; more > 0 && (s[i] & 0xC0) == 0x80; more--, i++)
        cp = cp << 6 | (s[i] & 0x3F);
    if (more > 0) cp = c, i = 1; /* cut short: count the lead byte alone */
    *n = i;
    return cp;
}

size_t wr_display_width(const char *s) {
    size_t w = 0, n;
    for (const unsigned char *p = (const unsigned char *)s; *p; p += n) {
        unsigned cp = decode(p, &n);
        if (in(zero, sizeof zero / sizeof zero[0], cp)) continue;
        w += cp > 0xFFFF || in(wide, sizeof wide / sizeof wide[0], cp) ? 2 : 1;
    }
    return w;
}

static size_t chars(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Byte length of the first k characters. */
static size_t prefix_bytes(const char *s, size_t k) {
    size_t i = 0;
    for (size_t c = 0; s[i] && c < k; c++) {
        i++;
        while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
    }
    return i;
}

/* Spark cuts by characters, not by width. */
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
    size_t n = wr_display_width(s);
    if (right)
        for (size_t i = n; i < width; i++)
            fputc(' ', out);
    fputs(s, out);
    if (!right)
        for (size_t i = n; i < width; i++)
            fputc(' ', out);
}

void wr_print_table(FILE *out, int ncols, char *const *headers, char *const *cells, size_t nrows,
                    int truncate, bool right, bool more) {
    size_t total = (nrows + 1) * (size_t)ncols;
    char **shown = wr_xmalloc(sizeof *shown * (total ? total : 1));
    size_t *w = wr_xcalloc((size_t)(ncols ? ncols : 1), sizeof *w);
    for (int c = 0; c < ncols; c++) {
        shown[c] = cut(headers[c], truncate);
        w[c] = 3;
    }
    for (size_t r = 0; r < nrows; r++)
        for (int c = 0; c < ncols; c++)
            shown[(r + 1) * (size_t)ncols + (size_t)c] =
                cut(cells[r * (size_t)ncols + (size_t)c], truncate);
    for (size_t i = 0; i < total; i++) {
        size_t n = wr_display_width(shown[i]);
        if (n > w[i % (size_t)ncols]) w[i % (size_t)ncols] = n;
    }
    wr_buf sep = {0};
    wr_buf_putc(&sep, '+');
    for (int c = 0; c < ncols; c++) {
        for (size_t i = 0; i < w[c]; i++)
            wr_buf_putc(&sep, '-');
        wr_buf_putc(&sep, '+');
    }
    wr_buf_putc(&sep, '\n');
    fputs(sep.p, out);
    for (size_t r = 0; r <= nrows; r++) {
        fputc('|', out);
        for (int c = 0; c < ncols; c++) {
            pad_cell(out, shown[r * (size_t)ncols + (size_t)c], w[c], right);
            fputc('|', out);
        }
        fputc('\n', out);
        if (r == 0) fputs(sep.p, out);
    }
    fputs(sep.p, out);
    if (more) fprintf(out, "only showing top %zu row%s\n", nrows, nrows == 1 ? "" : "s");
    for (size_t i = 0; i < total; i++)
        free(shown[i]);
    free(shown);
    free(w);
    wr_buf_free(&sep);
}
