/*
 * What a WASI program can see inside the jobs sandbox: prints its args, one env variable, the
 * size and a checksum of stdin, the preopened input file `/input/data.txt`, and whether it can
 * reach the host's files (`/etc/hostname`, `../`) or create a file outside `/input`. Exits with
 * the code given as its first argument. test/jobs/sandbox.test.ts asserts on every line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  for (int i = 0; i < argc; i++) printf("arg[%d]=%s\n", i, argv[i]);
  const char *v = getenv("PROBE");
  printf("env PROBE=%s\n", v ? v : "(unset)");
  const char *home = getenv("HOME");
  printf("env HOME=%s\n", home ? home : "(unset)");
  unsigned long long n = 0, sum = 0;
  int c;
  while ((c = getchar()) != EOF) { n++; sum = (sum * 31 + (unsigned char)c) % 1000000007ULL; }
  printf("stdin %llu bytes sum %llu\n", n, sum);
  FILE *f = fopen("/input/data.txt", "r");
  if (f) {
    char buf[128] = {0};
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    printf("input data.txt (%zu): %s\n", got, buf);
  } else {
    printf("input data.txt: missing\n");
  }
  printf("host /etc/hostname: %s\n", fopen("/etc/hostname", "r") ? "OPEN" : "denied");
  printf("escape /input/../etc/hostname: %s\n", fopen("/input/../etc/hostname", "r") ? "OPEN" : "denied");
  printf("create /tmp/x: %s\n", fopen("/tmp/x", "w") ? "CREATED" : "denied");
  fflush(stdout);
  fprintf(stderr, "probe done\n");
  return argc > 1 ? atoi(argv[1]) : 0;
}
