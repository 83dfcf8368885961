#!/usr/bin/env bash
# Generates N webclicks lines (the layout of ../shared/docs/data-formats.md),
# deterministic for a given seed, with some messy lines as real logs have:
# every 97th line lacks fields and every 89th has a non-numeric time spent.
# usage: scripts/gen-webclicks.sh N [SEED] > file.tsv
set -euo pipefail
n=${1:?usage: gen-webclicks.sh N [SEED]}
seed=${2:-42}
awk -v n="$n" -v seed="$seed" 'BEGIN {
  srand(seed);
  split("/ /cart /checkout /search /product/17 /product/42 /about /login", paths, " ");
  split("GET GET GET POST", methods, " ");
  split("Mozilla/5.0 curl/8.1 Safari/17.0 Chrome/120.0", agents, " ");
  for (i = 0; i < 60; i++) ips[i] = sprintf("%d.%d.%d.%d", 10 + int(rand() * 200), int(rand() * 256), int(rand() * 256), 1 + int(rand() * 254));
  t = 1700000000;
  for (i = 1; i <= n; i++) {
    t += int(rand() * 3);
    ip = ips[int(rand() * rand() * 60)];
    spent = int(rand() * 600);
    if (i % 89 == 0) spent = "n/a";
    if (i % 97 == 0) { printf "%d\ts%06d\t%s\n", t, int(rand() * 1000000), paths[1 + int(rand() * 8)]; continue }
    printf "%d\ts%06d\t%s\t%s\t%s\t%s\t%s\t%d\n", t, int(rand() * 1000000), paths[1 + int(rand() * 8)],
      methods[1 + int(rand() * 4)], ip, agents[1 + int(rand() * 4)], spent, (rand() < 0.95 ? 200 : 404);
  }
}'
