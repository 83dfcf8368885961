/* The rate limit of a batch (wr_core.h): Spark's maxOffsetsPerTrigger,
 * shared among the splits in proportion to what each has waiting. */
#include <math.h>

#include "core/wr_core.h"

void wr_rate_limit(int n, const int64_t *from, const int64_t *latest, int64_t limit, int64_t *to) {
    double total = 0;
    for (int i = 0; i < n; i++)
        total += (double)(latest[i] > from[i] ? latest[i] - from[i] : 0);
    for (int i = 0; i < n; i++) {
        if (limit <= 0 || total < 1) {
            to[i] = latest[i];
            continue;
        }
        double size = (double)(latest[i] > from[i] ? latest[i] - from[i] : 0);
        double share = (double)limit * (size / total);
        /* a split's share rounds down, but a share below one offset rounds up */
        int64_t take = (int64_t)(share < 1 ? ceil(share) : floor(share));
        int64_t off = take > INT64_MAX - from[i] ? INT64_MAX : from[i] + take;
        to[i] = off < latest[i] ? off : latest[i];
    }
}
