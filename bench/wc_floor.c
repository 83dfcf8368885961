/* The floor of the file word-count benchmark (make bench): what one thread of
 * plain C does with the same job as Weir's query, so that Weir's time can be
 * read as a ratio to it. mmap()s the file, cuts it into words at spaces and
 * newlines (split(value, ' ') over lines of single-spaced words), and counts
 * them in an open-addressing hash table whose keys point into the mapping.
 * Prints `words D total T` (distinct words, all words), as the bench's
 * trailing SELECT does.
 *   usage: wc_floor FILE */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct slot {
    const char *key; /* NULL: empty */
    uint32_t len;
    uint32_t hash;
    int64_t count;
} slot;

static slot *table;
static size_t cap = 1 << 12, used;

static void grow(void) {
    slot *old = table;
    size_t ocap = cap;
    cap *= 2;
    table = calloc(cap, sizeof *table);
    for (size_t i = 0; i < ocap; i++) {
        if (!old[i].key) continue;
        size_t h = old[i].hash & (cap - 1);
        while (table[h].key)
            h = (h + 1) & (cap - 1);
        table[h] = old[i];
    }
    free(old);
}

static void count_word(const char *w, size_t n, uint32_t hash) {
    size_t h = hash & (cap - 1);
    for (;;) {
        slot *s = &table[h];
        if (!s->key) break;
        if (s->hash == hash && s->len == n && !memcmp(s->key, w, n)) {
            s->count++;
            return;
        }
        h = (h + 1) & (cap - 1);
    }
    table[h] = (slot){w, (uint32_t)n, hash, 1};
    if (++used * 2 > cap) grow();
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: wc_floor FILE\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) {
        fprintf(stderr, "wc_floor: cannot read %s: %s\n", argv[1], strerror(errno));
        if (fd >= 0) close(fd);
        return 1;
    }
    size_t size = (size_t)st.st_size;
    const char *p = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) : "";
    int map_errno = errno;
    close(fd);
    if (p == MAP_FAILED) {
        fprintf(stderr, "wc_floor: cannot map %s: %s\n", argv[1], strerror(map_errno));
        return 1;
    }
    table = calloc(cap, sizeof *table);
    const char *end = p + size, *w = p;
    uint32_t h = 2166136261u; /* FNV-1a over the word's bytes as they pass */
    for (const char *c = p; c < end; c++) {
        if (*c == ' ' || *c == '\n') {
            if (c > w) count_word(w, (size_t)(c - w), h);
            w = c + 1;
            h = 2166136261u;
        } else {
            h = (h ^ (unsigned char)*c) * 16777619u;
        }
    }
    if (end > w) count_word(w, (size_t)(end - w), h);
    int64_t total = 0;
    for (size_t i = 0; i < cap; i++)
        total += table[i].count;
    printf("words %zu total %lld\n", used, (long long)total);
    return 0;
}
