/*
 * A long recursion without loops for the migration tests (core/migration's poll points at the
 * entries of functions that can recurse, call-cycles.ts): one line, then a binary recursion of
 * depth `n` (argv[1], default 30: 2^31 - 1 calls) whose function has no loop and makes no WASI call,
 * then one line with the result. The second call's result is shifted before it is combined, so no
 * compiler turns the recursion into a loop (LLVM's tail-recursion elimination needs `acc op call`).
 * A task paused inside it can stop only at a poll point at `walk`'s entry; its output depends only
 * on `n`, so a run paused and resumed must print exactly the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static uint64_t walk(int n, uint64_t seed) {
  if (n <= 0) return (seed * 0x9E3779B97F4A7C15ULL) ^ (seed >> 29);
  uint64_t a = walk(n - 1, seed * 6364136223846793005ULL + 1442695040888963407ULL);
  uint64_t b = walk(n - 1, a ^ seed);
  return (a * 1099511628211ULL) ^ (b >> 7) ^ (uint64_t)n;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 30;
  printf("recurse %d\n", n);
  fflush(stdout);
  uint64_t r = walk(n, 1);
  printf("done %d walk %016llx\n", n, (unsigned long long)r);
  return 0;
}
