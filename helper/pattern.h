/* pattern.c: .dockerignore patterns (moby/patternmatcher) and COPY source wildcards (Go's filepath.Match). */
#ifndef TUPPER_PATTERN_H
#define TUPPER_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pattern;

/* The patterns of one .dockerignore (or one COPY --exclude list), in order: later ones win. */
struct ignore {
  struct pattern **patterns;
  size_t n, cap;
  bool has_exceptions; /* some pattern starts with '!' */
};

/* Adds LINE (LEN bytes, no NUL) as patternmatcher.New does: spaces trimmed, path-cleaned, a
   leading '!' making it an exception; an empty line adds nothing. Dies naming WHERE on a
   pattern Go's filepath.Match would refuse (an unclosed '[', a trailing '\'). */
void ignore_add(struct ignore *ig, const char *line, size_t len, const char *where);
/* Reads FILE: one pattern a line (CONTEXT.md), at most 1 MiB. */
void ignore_read_file(struct ignore *ig, const char *file);
void ignore_free(struct ignore *ig);

/*
 * Per pattern, whether it matched PATH or one of PATH's parent directories: BITS holds
 * ig->n bytes. PARENT is the parent directory's bits (NULL at the top: then each parent
 * directory of PATH is matched too, as MatchesOrParentMatches does). Returns whether PATH
 * is excluded: the patterns folded in order, an exception un-excluding, as Docker does.
 */
bool ignore_match(const struct ignore *ig, const char *path, const unsigned char *parent, unsigned char *bits);

/* A COPY source wildcard for one path component (Go's filepath.Match: '*', '?', '[...]', '\'). */
struct glob;
/* Compiles TEXT into *SLOT (set first: the caller frees it with glob_free, even after a die()). */
void glob_compile(struct glob **slot, const char *text, size_t len, const char *where);
bool glob_match(struct glob *g, const char *name);
void glob_free(struct glob *g);
/* Whether TEXT holds a wildcard character at all (Docker's containsWildcards). */
bool has_wildcards(const char *text, size_t len);

/* Go's filepath.Clean of TEXT (LEN bytes). With IN_ROOT, TEXT is taken as rooted at the
   context ("/" + TEXT, so ".." stops there) and returned relative: "../x" and "/x" give "x",
   "/" gives ".". Caller frees. */
char *clean_path_text(const char *text, size_t len, bool in_root);

#endif
