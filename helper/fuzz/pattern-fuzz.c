/*
 * pattern-fuzz: libFuzzer target for the .dockerignore and COPY wildcard matcher
 * (helper/pattern.c), which reads patterns from a build context: hostile input. Built by
 * `make test-fuzz` with ASan and UBSan from the same pattern.c and util.c as the helper; a
 * die() (a refused pattern) longjmps back here and everything is freed, so LeakSanitizer
 * sees real leaks.
 *
 * An input is an ignore file, a NUL, then paths one a line. Each pattern is compiled; each
 * path is matched twice, as the two callers do: whole (ignore_match with no parent: the
 * parent directories matched one by one, as for a COPY source) and one component at a
 * time from the parent's results (as the walk does). The two must agree, pattern by
 * pattern, or the target aborts. The first path is also compiled as a COPY wildcard and
 * matched against every path. -timeout catches a matcher that is not linear.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pattern.h"
#include "../util.h"

static jmp_buf refused;
static bool armed, verbose;

void fuzz_exit(int status) __attribute__((noreturn));
void fuzz_exit(int status) {
  if (!armed) {
    fprintf(stderr, "pattern-fuzz: die() outside the harness\n");
    abort();
  }
  (void)status;
  longjmp(refused, 1);
}

bool divert_message(const char *text) {
  if (verbose) fprintf(stderr, "%s\n", text);
  return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  verbose = getenv("PATTERN_FUZZ_VERBOSE") != NULL;
  return 0;
}

/* A path the walk could produce: non-empty components, no "." or "..", no NUL. */
static bool walkable(const char *path) {
  if (path[0] == '\0') return false;
  for (const char *c = path;;) {
    size_t n = strcspn(c, "/");
    if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.')) return false;
    if (c[n] == '\0') return true;
    c += n + 1;
  }
}

/* PATH matched one component at a time, as the walk does; compared with the whole match. */
static void check_incremental(const struct ignore *ig, const char *path) {
  size_t n = ig->n + 1;
  unsigned char *whole = calloc(n, 1), *parent = calloc(n, 1), *bits = calloc(n, 1);
  char *prefix = strdup(path);
  if (whole == NULL || parent == NULL || bits == NULL || prefix == NULL) abort();
  bool expected = ignore_match(ig, path, NULL, whole), got = false;
  for (size_t k = 0;; k++) {
    if (path[k] != '/' && path[k] != '\0') continue;
    prefix[k] = '\0';
    got = ignore_match(ig, prefix, parent, bits);
    memcpy(parent, bits, n);
    if (path[k] == '\0') break;
    prefix[k] = '/';
  }
  if (got != expected || memcmp(bits, whole, ig->n) != 0) {
    fprintf(stderr, "pattern-fuzz: %s: whole %d, one component at a time %d\n", path, expected, got);
    abort();
  }
  free(whole), free(parent), free(bits), free(prefix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nul = memchr(data, '\0', size);
  size_t patterns_size = nul != NULL ? (size_t)(nul - data) : size;
  char *paths = NULL;
  if (nul != NULL) {
    paths = malloc(size - patterns_size);
    if (paths == NULL) abort();
    memcpy(paths, nul + 1, size - patterns_size - 1);
    paths[size - patterns_size - 1] = '\0';
  }
  struct ignore ig = {0};
  struct glob *g = NULL;
  armed = true;
  if (setjmp(refused) == 0) {
    const char *text = (const char *)data;
    for (size_t start = 0; start < patterns_size;) {
      const char *end = memchr(text + start, '\n', patterns_size - start);
      size_t len = end != NULL ? (size_t)(end - (text + start)) : patterns_size - start;
      ignore_add(&ig, text + start, len, "fuzz");
      start += len + 1;
    }
    /* paths: NUL-free by construction (split at the first NUL, then strings) */
    for (char *line = paths, *next; line != NULL; line = next) {
      next = strchr(line, '\n');
      if (next != NULL) *next++ = '\0';
      if (walkable(line)) check_incremental(&ig, line);
      if (line == paths && strchr(line, '/') == NULL) glob_compile(&g, line, strlen(line), "fuzz");
      else if (g != NULL && strchr(line, '/') == NULL) (void)glob_match(g, line);
    }
  }
  armed = false;
  ignore_free(&ig);
  glob_free(g);
  free(paths);
  return 0;
}
