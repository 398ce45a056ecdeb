/*
 * A long counting loop for the migration tests (core/migration): it walks `n` steps (argv[1],
 * default 2000000), updating a 64 KiB table on the heap and a running checksum, and prints a
 * progress line every `n / 200` steps, flushed at once, so there are many WASI calls at which a
 * checkpoint can stop it. Its whole output depends only on `n`: a run paused and resumed any
 * number of times must print exactly the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 2000000;
  if (n < 200) n = 200;
  long every = n / 200;
  uint32_t *table = calloc(16384, sizeof(uint32_t));
  if (table == NULL) return 2;
  uint64_t sum = 1469598103934665603ULL;
  for (long i = 0; i < n; i++) {
    uint32_t k = (uint32_t)(sum >> 7) & 16383u;
    table[k] = table[k] * 2654435761u + (uint32_t)i;
    sum = (sum ^ table[k]) * 1099511628211ULL;
    if ((i + 1) % every == 0) {
      printf("step %ld of %ld sum %016llx\n", i + 1, n, (unsigned long long)sum);
      fflush(stdout);
    }
  }
  uint64_t t = 0;
  for (int k = 0; k < 16384; k++) t = t * 31 + table[k];
  printf("done %ld table %016llx\n", n, (unsigned long long)t);
  free(table);
  return 0;
}
