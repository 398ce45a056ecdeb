/*
 * One tile of a Mandelbrot image, as a WASI command: the jobs demo and the sandbox's reference
 * program (test/jobs/clang-wasi.test.ts runs it as wasm32-wasi in the sandbox and natively, and
 * compares the bytes).
 *
 *   mandelbrot [--checksum] WIDTH HEIGHT TILE_X TILE_Y TILE_W TILE_H [MAX_ITER]
 *
 * The full image maps [-2.5, 1.0] x [-1.25, 1.25] onto WIDTH x HEIGHT pixels; the tile is the
 * TILE_W x TILE_H rectangle at (TILE_X, TILE_Y). Output: the tile as a binary PGM (P5, 8-bit
 * grey, escape time scaled to 0..255), or with --checksum one line "fnv1a64 <16 hex> <pixels>".
 * With no arguments the same numbers are read from stdin (whitespace separated), so a job can
 * give each task its tile either way. Exit code 2 on bad arguments (message on stderr).
 * Only doubles and integers: the same bytes on x86-64 and wasm32 (no FMA contraction is allowed
 * by the build's -ffp-contract=off).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse(const char *s, long *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < 0 || v > 1000000) return 0;
  *out = v;
  return 1;
}

int main(int argc, char **argv) {
  int checksum = 0;
  int first = 1;
  if (argc > 1 && strcmp(argv[1], "--checksum") == 0) { checksum = 1; first = 2; }
  long p[7] = {0, 0, 0, 0, 0, 0, 256};
  int n = argc - first;
  if (n == 0) {
    char buf[64];
    n = 0;
    while (n < 7 && scanf("%63s", buf) == 1) {
      if (n == 0 && strcmp(buf, "--checksum") == 0) { checksum = 1; continue; }
      if (!parse(buf, &p[n])) { fprintf(stderr, "mandelbrot: bad number '%s'\n", buf); return 2; }
      n++;
    }
  } else {
    if (n > 7) n = 7;
    for (int i = 0; i < n; i++) {
      if (!parse(argv[first + i], &p[i])) { fprintf(stderr, "mandelbrot: bad number '%s'\n", argv[first + i]); return 2; }
    }
  }
  if (n < 6) {
    fprintf(stderr, "usage: mandelbrot [--checksum] WIDTH HEIGHT TILE_X TILE_Y TILE_W TILE_H [MAX_ITER]\n");
    return 2;
  }
  long width = p[0], height = p[1], tx = p[2], ty = p[3], tw = p[4], th = p[5], max_iter = p[6];
  if (width == 0 || height == 0 || tw == 0 || th == 0 || max_iter == 0 || tx + tw > width || ty + th > height || tw * th > 16 * 1024 * 1024) {
    fprintf(stderr, "mandelbrot: the tile must lie inside a non-empty image (and hold at most 16 Mi pixels)\n");
    return 2;
  }
  unsigned char *pixels = malloc((size_t)(tw * th));
  if (pixels == NULL) { fprintf(stderr, "mandelbrot: out of memory\n"); return 3; }
  for (long y = 0; y < th; y++) {
    double ci = -1.25 + 2.5 * (double)(ty + y) / (double)height;
    for (long x = 0; x < tw; x++) {
      double cr = -2.5 + 3.5 * (double)(tx + x) / (double)width;
      double zr = 0.0, zi = 0.0;
      long i = 0;
      while (i < max_iter) {
        double zr2 = zr * zr, zi2 = zi * zi;
        if (zr2 + zi2 > 4.0) break;
        zi = 2.0 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        i++;
      }
      pixels[y * tw + x] = i >= max_iter ? 0 : (unsigned char)(255 - (i * 255) / max_iter);
    }
  }
  if (checksum) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (long k = 0; k < tw * th; k++) { h ^= pixels[k]; h *= 0x100000001b3ULL; }
    printf("fnv1a64 %016llx %ld\n", (unsigned long long)h, tw * th);
  } else {
    printf("P5\n%ld %ld\n255\n", tw, th);
    fwrite(pixels, 1, (size_t)(tw * th), stdout);
  }
  free(pixels);
  return 0;
}
