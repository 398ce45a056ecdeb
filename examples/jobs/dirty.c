/*
 * A memory-heavy task for the migration benchmark (bench/migration.bench.ts): it fills `mib` MiB
 * (argv[1], default 256) with pseudo-random bytes, then for `seconds` (argv[3], default 30)
 * rewrites random 4 KiB pages at `pct` percent of its memory per second (argv[2], default 5),
 * pacing itself with the monotonic clock (a WASI call at each check, where a checkpoint can stop
 * it). It prints one line per second and a checksum of the memory at the end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t s = 0x9e3779b97f4a7c15ULL;
static uint64_t next(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
  long mib = argc > 1 ? strtol(argv[1], NULL, 10) : 256;
  double pct = argc > 2 ? strtod(argv[2], NULL) : 5;
  double seconds = argc > 3 ? strtod(argv[3], NULL) : 30;
  size_t bytes = (size_t)mib << 20, pages = bytes / 4096;
  uint64_t *mem = malloc(bytes);
  if (mem == NULL) return 2;
  for (size_t i = 0; i < bytes / 8; i++) mem[i] = next();
  double start = now(), per_sec = pct / 100 * pages, done = 0;
  long second = 0;
  printf("filled %ld MiB\n", mib);
  fflush(stdout);
  for (;;) {
    double t = now() - start;
    if (t >= seconds) break;
    while (done < t * per_sec) {
      uint64_t *p = mem + (next() % pages) * 512;
      for (int k = 0; k < 512; k++) p[k] = next();
      done++;
    }
    if ((long)t > second) { second = (long)t; printf("second %ld pages %.0f\n", second, done); fflush(stdout); }
  }
  uint64_t sum = 0;
  for (size_t i = 0; i < bytes / 8; i++) sum = sum * 31 + mem[i];
  printf("done %.0f pages sum %016llx\n", done, (unsigned long long)sum);
  return 0;
}
