/* Word-count data for the file benchmarks (make bench): a text file of LINES
 * lines and WORDS words in all, single spaces between words, drawn from a
 * vocabulary of VOCAB pseudo-words with a Zipf distribution (exponent 1, as
 * words of natural text). Frequent words are short and rare ones long, like
 * English: word lengths grow with the log of the rank, scaled so that the
 * file comes out at about BYTES bytes. Lines carry 1 to about 20 words.
 * Deterministic: the same arguments give the same file on any machine (its
 * own PRNG, splitmix64). Prints `lines L words W distinct D bytes B` (the
 * file's true figures) on stdout.
 *   usage: gen_words OUT LINES WORDS VOCAB BYTES SEED
 * The bench's full size: gen_words words.txt 1980000 15500000 4302 92274688 12 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXLEN 20

static uint64_t rng_state;

static uint64_t next_u64(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double next_unit(void) { /* [0, 1) */
    return (double)(next_u64() >> 11) * (1.0 / 9007199254740992.0);
}

static long long arg(const char *s, const char *what, long long lo) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo) {
        fprintf(stderr, "gen_words: bad %s '%s' (at least %lld)\n", what, s, lo);
        exit(2);
    }
    return v;
}

/* A word's length for rank r given the scale a and the rank's jitter j. */
static int length_of(double a, int r, int j) {
    int n = 1 + (int)(a * log((double)r + 1.0)) + j;
    return n < 1 ? 1 : n > MAXLEN ? MAXLEN : n;
}

/* Syllable-ish letters: consonant, vowel, consonant, vowel... */
static void make_word(char *w, int len) {
    static const char cons[] = "bcdfghjklmnprstvwyz", vow[] = "aeiou";
    int start = (int)(next_u64() & 1);
    for (int i = 0; i < len; i++)
        w[i] = (i + start) % 2 ? vow[next_u64() % 5] : cons[next_u64() % 19];
    w[len] = 0;
}

static uint64_t hash_word(const char *w) {
    uint64_t h = 1469598103934665603ULL;
    for (; *w; w++)
        h = (h ^ (unsigned char)*w) * 1099511628211ULL;
    return h;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: gen_words OUT LINES WORDS VOCAB BYTES SEED\n");
        return 2;
    }
    long long lines = arg(argv[2], "LINES", 1), words = arg(argv[3], "WORDS", lines);
    int vocab = (int)arg(argv[4], "VOCAB", 1);
    long long bytes = arg(argv[5], "BYTES", 2 * words);
    rng_state = (uint64_t)arg(argv[6], "SEED", 0);
    if (vocab > 1000000) {
        fprintf(stderr, "gen_words: VOCAB is at most 1000000\n");
        return 2;
    }

    /* Zipf weights and each rank's length jitter (-1, 0, +1). */
    double *p = malloc(sizeof *p * (size_t)vocab), hsum = 0;
    int *jit = malloc(sizeof *jit * (size_t)vocab), *len = malloc(sizeof *len * (size_t)vocab);
    for (int r = 0; r < vocab; r++) {
        p[r] = 1.0 / (r + 1);
        hsum += p[r];
        jit[r] = r < 8 ? 0 : (int)(next_u64() % 3) - 1;
    }
    /* The scale that gives the mean word length BYTES asks for: every word
     * is followed by one separator (a space, or the newline ending its line). */
    double want = (double)(bytes - words) / (double)words, lo = 0, hi = 4;
    for (int it = 0; it < 60; it++) {
        double a = (lo + hi) / 2, mean = 0;
        for (int r = 0; r < vocab; r++)
            mean += p[r] / hsum * length_of(a, r, jit[r]);
        if (mean < want)
            lo = a;
        else
            hi = a;
    }
    /* The vocabulary: distinct pseudo-words of those lengths. Short lengths
     * have few distinct words, so a rank whose length is used up takes the
     * next length. */
    char(*vw)[MAXLEN + 1] = malloc(sizeof *vw * (size_t)vocab);
    size_t cap = 1;
    while (cap < (size_t)vocab * 4)
        cap <<= 1;
    int *set = malloc(sizeof *set * cap);
    memset(set, -1, sizeof *set * cap);
    for (int r = 0; r < vocab; r++) {
        int n = length_of(lo, r, jit[r]);
        for (int tries = 0;; tries++) {
            if (tries > 0 && tries % 200 == 0 && n < MAXLEN) n++;
            make_word(vw[r], n);
            size_t h = (size_t)hash_word(vw[r]) & (cap - 1);
            while (set[h] >= 0 && strcmp(vw[set[h]], vw[r]))
                h = (h + 1) & (cap - 1);
            if (set[h] < 0) {
                set[h] = r;
                break;
            }
        }
        len[r] = (int)strlen(vw[r]);
    }
    /* Vose's alias table: one draw per word in O(1). */
    double *prob = malloc(sizeof *prob * (size_t)vocab);
    int *alias = malloc(sizeof *alias * (size_t)vocab),
        *small = malloc(sizeof *small * (size_t)vocab),
        *large = malloc(sizeof *large * (size_t)vocab), ns = 0, nl = 0;
    for (int r = 0; r < vocab; r++) {
        prob[r] = p[r] / hsum * vocab;
        if (prob[r] < 1)
            small[ns++] = r;
        else
            large[nl++] = r;
    }
    while (ns && nl) {
        int s = small[--ns], l = large[--nl];
        alias[s] = l;
        prob[l] -= 1 - prob[s];
        if (prob[l] < 1)
            small[ns++] = l;
        else
            large[nl++] = l;
    }
    while (nl)
        prob[large[--nl]] = 1;
    while (ns)
        prob[small[--ns]] = 1;

    FILE *f = fopen(argv[1], "w");
    if (!f) {
        fprintf(stderr, "gen_words: cannot write %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    long long *count = calloc((size_t)vocab, sizeof *count), done = 0, out = 0;
    for (long long i = 0; i < lines; i++) {
        /* Lines vary around WORDS / LINES words and end on target in sum. */
        long long target = (long long)((double)(i + 1) * (double)words / (double)lines + 0.5);
        long long k = target - done + (long long)(next_u64() % 13) - 6;
        if (i == lines - 1) k = words - done;
        if (k < 1) k = 1;
        if (k > words - done - (lines - 1 - i)) k = words - done - (lines - 1 - i);
        for (long long w = 0; w < k; w++) {
            int r = (int)(next_unit() * vocab);
            if (r >= vocab) r = vocab - 1;
            if (next_unit() >= prob[r]) r = alias[r];
            count[r]++;
            fwrite(vw[r], 1, (size_t)len[r], f);
            putc(w + 1 < k ? ' ' : '\n', f);
            out += len[r] + 1;
        }
        done += k;
    }
    if (fclose(f)) {
        fprintf(stderr, "gen_words: cannot write %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    int distinct = 0;
    for (int r = 0; r < vocab; r++)
        distinct += count[r] > 0;
    printf("lines %lld words %lld distinct %d bytes %lld\n", lines, done, distinct, out);
    free(p), free(jit), free(len), free(vw), free(set), free(prob), free(alias), free(small);
    free(large), free(count);
    return 0;
}
