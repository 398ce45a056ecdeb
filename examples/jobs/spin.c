/*
 * A pure compute loop for the migration tests (core/migration's loop poll points): one line, then
 * `n` steps (argv[1], default 300000000; 64-bit: a test on a fast machine may ask for billions)
 * that make no WASI call at all, updating a 16 KiB table on the heap and a running checksum held
 * in locals, then one line with the result. A task paused
 * inside the loop can stop only at a poll point instrumented at its header; its output depends
 * only on `n`, so a run paused and resumed must print exactly the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  long long n = argc > 1 ? strtoll(argv[1], NULL, 10) : 300000000;
  printf("spin %lld\n", n);
  fflush(stdout);
  uint32_t *table = calloc(4096, sizeof(uint32_t));
  if (table == NULL) return 2;
  uint64_t sum = 1469598103934665603ULL;
  for (long long i = 0; i < n; i++) {
    uint32_t k = (uint32_t)(sum >> 11) & 4095u;
    table[k] += (uint32_t)i;
    sum = (sum ^ table[k]) * 1099511628211ULL;
  }
  uint64_t t = 0;
  for (int k = 0; k < 4096; k++) t = t * 31 + table[k];
  printf("done %lld sum %016llx table %016llx\n", n, (unsigned long long)sum, (unsigned long long)t);
  free(table);
  return 0;
}
