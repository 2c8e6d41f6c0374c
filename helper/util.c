/* util.c: see util.h. */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_RUNTIME_FAILED 125

/* The fuzz target (helper/fuzz/) builds this file with -DUTIL_EXIT=fuzz_exit, which longjmps
   back to the harness instead of ending the process. */
#ifndef UTIL_EXIT
#define UTIL_EXIT exit
#else
void UTIL_EXIT(int status) __attribute__((noreturn));
#endif

/* "tupper-init: MESSAGE[: strerror(ERRNUM)]" on stderr, or where divert_message() puts it. */
static void report(bool fatal, int errnum, const char *fmt, va_list ap) {
  char text[1024];
  int len = snprintf(text, sizeof text, "tupper-init: ");
  len += vsnprintf(text + len, sizeof text - (size_t)len, fmt, ap);
  if (errnum != 0 && len < (int)sizeof text) snprintf(text + len, sizeof text - (size_t)len, ": %s", strerror(errnum));
  if (fatal && fatal_message != NULL) fatal_message(text);
  if (divert_message != NULL && divert_message(text)) return;
  fprintf(stderr, "%s\n", text);
}

void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  report(true, 0, fmt, ap);
  va_end(ap);
  UTIL_EXIT(EXIT_RUNTIME_FAILED);
}

void die_errno(const char *fmt, ...) {
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  report(true, saved, fmt, ap);
  va_end(ap);
  UTIL_EXIT(EXIT_RUNTIME_FAILED);
}

void warn_errno(const char *fmt, ...) {
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  report(false, saved, fmt, ap);
  va_end(ap);
  errno = saved;
}

char *xasprintf(const char *fmt, ...) {
  char *out;
  va_list ap;
  va_start(ap, fmt);
  if (vasprintf(&out, fmt, ap) < 0) die("out of memory");
  va_end(ap);
  return out;
}

char *xstrdup(const char *s) {
  char *out = strdup(s);
  if (out == NULL) die("out of memory");
  return out;
}

char *xstrndup(const char *s, size_t n) {
  char *out = strndup(s, n);
  if (out == NULL) die("out of memory");
  return out;
}

void *xmalloc(size_t size) {
  void *p = malloc(size);
  if (p == NULL) die("out of memory");
  return p;
}

void *xrealloc(void *p, size_t size) {
  void *out = realloc(p, size);
  if (out == NULL) die("out of memory");
  return out;
}

void *xreallocarray(void *p, size_t n, size_t size) {
  if (size != 0 && n > SIZE_MAX / size) die("out of memory");
  return xrealloc(p, n * size);
}
