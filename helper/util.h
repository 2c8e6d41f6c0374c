/*
 * util.c: the helper's error reporting and allocation wrappers, in one place (as bubblewrap's
 * utils.h is), so that no module declares them by hand.
 *
 * Every failure names the call and the path, prints "tupper-init: MESSAGE[: strerror]" and
 * exits 125, the status Docker uses for "the runtime failed before the workload ran".
 */
#ifndef TUPPER_UTIL_H
#define TUPPER_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Print "tupper-init: MESSAGE" and exit 125; die_errno adds ": strerror(errno)". */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void die_errno(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* The same message for what must not end a running container (a status file it could not write). */
void warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* vasprintf, strdup, strndup, malloc and realloc that die when out of memory. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmalloc(size_t size);
void *xrealloc(void *p, size_t size);
/* xrealloc of an array of N items of SIZE bytes, N * SIZE checked for overflow. */
void *xreallocarray(void *p, size_t n, size_t size);

/*
 * Where a message goes instead of stderr: tupper-init.c defines it for a detached container's
 * supervisor, whose own errors are records of the container's log. Returns false when the
 * message should go to stderr after all. Weak: a program without it (the fuzz target) uses stderr.
 */
bool divert_message(const char *text) __attribute__((weak));

/*
 * Called by die() and die_errno() (not warn_errno) with the message, before it is printed:
 * tupper-init.c defines it to tell the script why a container did not start (--report-fd).
 * Weak, as divert_message.
 */
void fatal_message(const char *text) __attribute__((weak));

#endif
