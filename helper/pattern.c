/*
 * pattern.c: the two kinds of patterns a build context is read with.
 *
 * .dockerignore patterns, as moby/patternmatcher (Docker's CLI and BuildKit) reads them:
 * each pattern is trimmed and path-cleaned, a leading '!' makes it an exception, and it is
 * matched against a path relative to the context, slash-separated, and against each of the
 * path's parent directories (MatchesOrParentMatches): `tmp` excludes tmp/a/b. The last
 * pattern that matches decides. patternmatcher turns a pattern into a Go regexp: '*' is
 * [^/]*, '?' is [^/], '**' followed by more is (.*[/])?, a trailing '**' is .*, '[...]' is a
 * class, '\x' is x; the characters .+()|{}$ stand for themselves; a '^' outside a class stays
 * a regexp anchor. A pattern without wildcards compares as text: exact, a prefix (`dir/` then `**`)
 * or a suffix (`**` then text: `**.log` matches a/b.log and x.log). All of that is kept here.
 *
 * Where tupper differs: Go compiles a '*' or '?' inside a class into a broken regexp; here
 * they are the characters themselves, as filepath.Match reads them.
 *
 * The patterns come from a build context, hostile input. Go's regexp runs in linear time
 * (RE2); a backtracking matcher would let `*a*a*a*a*a*b` take exponential time on a long
 * name. So each pattern is a list of tokens run as an NFA over a set of states (Thompson's
 * construction, as RE2 does): time is at most tokens x characters, whatever the pattern.
 *
 * COPY source wildcards are Go's filepath.Match, applied to one path component at a time
 * (BuildKit resolves them so): '*', '?', '[...]', '\x', on the same token machine.
 */
#define _GNU_SOURCE
#include "pattern.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_IGNORE_FILE (1 << 20)   /* a .dockerignore larger than 1 MiB is not a real one */
#define MAX_PATTERN 4096            /* bytes of one pattern: PATH_MAX */
#define INVALID_BYTE 0x80000000u    /* a byte that is not UTF-8: a rune of its own */

enum match_type { EXACT, PREFIX, SUFFIX, REGEXP };
enum token_kind {
  T_RUNE,     /* this character */
  T_STAR,     /* [^/]* */
  T_ANY,      /* [^/] */
  T_CLASS,    /* [...]: ranges[first .. first+count), negated with '^' */
  T_DS_ENTRY, /* (.*[/])?: skip it, or enter T_DS_LOOP, which follows it */
  T_DS_LOOP,  /* any character; a '/' may leave the group */
  T_DS_END,   /* a trailing **: .* */
  T_BOL,      /* '^' outside a class: matches only at the start */
};

struct token {
  enum token_kind kind;
  bool negated;
  uint32_t rune, first, count;
};

struct pattern {
  char *text; /* cleaned, without the '!' */
  size_t len;
  bool exclusion;
  enum match_type type;
  struct token *tokens;
  size_t n_tokens, cap_tokens;
  uint32_t *ranges; /* pairs lo, hi */
  size_t n_ranges, cap_ranges;
  /* the NFA's state sets, sized n_tokens + 1 */
  uint32_t *mark, *current, *next, generation;
};

struct glob {
  struct pattern p;
};

/* ---- paths --------------------------------------------------------------- */

char *clean_path_text(const char *text, size_t len, bool in_root) {
  /* Go's filepath.Clean, lexically: no "//", no ".", ".." takes out the name before it and
     stops at the root of a rooted path */
  char *out = xmalloc(len + 4);
  size_t w = 0, floor = 0;
  bool rooted = in_root || (len > 0 && text[0] == '/');
  if (rooted) out[w++] = '/', floor = 1;
  for (size_t i = 0; i < len;) {
    if (text[i] == '/') {
      i++;
      continue;
    }
    size_t start = i;
    while (i < len && text[i] != '/') i++;
    size_t n = i - start;
    if (n == 1 && text[start] == '.') continue;
    if (n == 2 && text[start] == '.' && text[start + 1] == '.') {
      if (w > floor) {
        w--;
        while (w > floor && out[w] != '/') w--;
      } else if (!rooted) {
        if (w > 0) out[w++] = '/';
        out[w++] = '.', out[w++] = '.';
        floor = w;
      }
      continue;
    }
    if (w > (rooted ? 1u : 0u)) out[w++] = '/';
    memcpy(out + w, text + start, n);
    w += n;
  }
  if (w == 0) out[w++] = '.';
  out[w] = '\0';
  if (in_root) {
    if (w == 1) return strcpy(out, "."), out;
    memmove(out, out + 1, w); /* the NUL with it */
  }
  return out;
}

/* ---- compiling ----------------------------------------------------------- */

/* The character at S[*I] (UTF-8, as Go's scanner and regexp read it); a byte that does not
   start a valid sequence is a character of its own. */
static uint32_t next_rune(const char *text, size_t len, size_t *i) {
  const unsigned char *s = (const unsigned char *)text;
  unsigned char c = s[*i];
  size_t n;
  uint32_t r;
  if (c < 0x80) return (*i)++, c;
  if ((c & 0xe0) == 0xc0) n = 2, r = c & 0x1f;
  else if ((c & 0xf0) == 0xe0) n = 3, r = c & 0x0f;
  else if ((c & 0xf8) == 0xf0) n = 4, r = c & 0x07;
  else return (*i)++, INVALID_BYTE | c;
  if (n > len - *i) return (*i)++, INVALID_BYTE | c;
  for (size_t k = 1; k < n; k++) {
    if ((s[*i + k] & 0xc0) != 0x80) return (*i)++, INVALID_BYTE | c;
    r = r << 6 | (s[*i + k] & 0x3f);
  }
  *i += n;
  return r;
}

static struct token *add_token(struct pattern *p, enum token_kind kind, uint32_t rune) {
  if (p->n_tokens == p->cap_tokens) {
    p->cap_tokens = p->cap_tokens ? p->cap_tokens * 2 : 16;
    p->tokens = xreallocarray(p->tokens, p->cap_tokens, sizeof *p->tokens);
  }
  struct token *t = &p->tokens[p->n_tokens++];
  *t = (struct token){.kind = kind, .rune = rune};
  return t;
}

static void add_range(struct pattern *p, uint32_t lo, uint32_t hi) {
  if (p->n_ranges + 2 > p->cap_ranges) {
    p->cap_ranges = p->cap_ranges ? p->cap_ranges * 2 : 16;
    p->ranges = xreallocarray(p->ranges, p->cap_ranges, sizeof *p->ranges);
  }
  p->ranges[p->n_ranges++] = lo;
  p->ranges[p->n_ranges++] = hi;
}

/* One character of a class, '\' escaping the next: Go's getEsc, which refuses a '-' or ']'
   where a character must be, and a '\' at the end. */
static uint32_t class_char(const char *text, size_t len, size_t *i, const char *where) {
  if (*i >= len) die("%s: bad pattern %.*s: a '[' class is not closed", where, (int)len, text);
  if (text[*i] == '-' || text[*i] == ']') die("%s: bad pattern %.*s: a '%c' where a class needs a character", where, (int)len, text, text[*i]);
  if (text[*i] == '\\') {
    (*i)++;
    if (*i >= len) die("%s: bad pattern %.*s: it ends in '\\'", where, (int)len, text);
  }
  return next_rune(text, len, i);
}

/* "[...]" at TEXT[*I] (just after the '['), as Go's filepath.Match reads it. */
static void compile_class(struct pattern *p, const char *text, size_t len, size_t *i, const char *where) {
  struct token *t = add_token(p, T_CLASS, 0);
  size_t token = p->n_tokens - 1;
  bool negated = false;
  if (*i < len && text[*i] == '^') negated = true, (*i)++;
  uint32_t first = (uint32_t)p->n_ranges, count = 0;
  for (;;) {
    if (*i < len && text[*i] == ']' && count > 0) {
      (*i)++;
      break;
    }
    uint32_t lo = class_char(text, len, i, where), hi = lo;
    if (*i < len && text[*i] == '-') {
      (*i)++;
      hi = class_char(text, len, i, where);
      if (hi < lo) die("%s: bad pattern %.*s: a class range that runs backwards", where, (int)len, text);
    }
    add_range(p, lo, hi);
    count++;
  }
  t = &p->tokens[token];
  t->negated = negated, t->first = first, t->count = count;
}

/* patternmatcher's compile(): the tokens and the kind of match, from the cleaned text. */
static void compile_ignore_pattern(struct pattern *p, const char *where) {
  const char *s = p->text;
  size_t len = p->len;
  p->type = EXACT;
  for (size_t i = 0, step = 0; i < len; step++) {
    if (s[i] == '*') {
      i++;
      if (i < len && s[i] == '*') {
        i++;
        if (i < len && s[i] == '/') i++; /* "**\/" is "**" */
        if (i == len) {
          if (p->type == EXACT) p->type = PREFIX;
          else add_token(p, T_DS_END, 0), p->type = REGEXP;
        } else {
          add_token(p, T_DS_ENTRY, 0);
          add_token(p, T_DS_LOOP, 0);
          p->type = REGEXP;
        }
        if (step == 0) p->type = SUFFIX;
      } else {
        add_token(p, T_STAR, 0);
        p->type = REGEXP;
      }
    } else if (s[i] == '?') {
      i++;
      add_token(p, T_ANY, 0);
      p->type = REGEXP;
    } else if (s[i] == '\\') {
      i++;
      if (i == len) die("%s: bad pattern %.*s: it ends in '\\'", where, (int)len, s); /* filepath.Match refuses it */
      add_token(p, T_RUNE, next_rune(s, len, &i));
      p->type = REGEXP;
    } else if (s[i] == '[') {
      i++;
      compile_class(p, s, len, &i, where);
      p->type = REGEXP;
    } else if (s[i] == ']') {
      i++;
      add_token(p, T_RUNE, ']');
      p->type = REGEXP;
    } else if (s[i] == '^') {
      i++;
      add_token(p, T_BOL, 0); /* only a regexp reads it so; EXACT/PREFIX/SUFFIX compare the text */
    } else {
      add_token(p, T_RUNE, next_rune(s, len, &i));
    }
  }
}

static void alloc_states(struct pattern *p) {
  size_t n = p->n_tokens + 1;
  p->mark = xreallocarray(NULL, n, sizeof *p->mark);
  p->current = xreallocarray(NULL, n, sizeof *p->current);
  p->next = xreallocarray(NULL, n, sizeof *p->next);
  memset(p->mark, 0, n * sizeof *p->mark);
  p->generation = 0;
}

static void pattern_free(struct pattern *p) {
  free(p->text);
  free(p->tokens);
  free(p->ranges);
  free(p->mark);
  free(p->current);
  free(p->next);
}

void ignore_add(struct ignore *ig, const char *line, size_t len, const char *where) {
  if (len > MAX_PATTERN) die("%s: a pattern of %zu bytes (at most %d)", where, len, MAX_PATTERN);
  if (memchr(line, '\0', len) != NULL) die("%s: a pattern with a NUL byte in it", where);
  /* strings.TrimSpace (ASCII white space: what a .dockerignore holds) */
  while (len > 0 && strchr(" \t\r\n\v\f", line[0]) != NULL) line++, len--;
  while (len > 0 && strchr(" \t\r\n\v\f", line[len - 1]) != NULL) len--;
  if (len == 0) return;
  char *cleaned = clean_path_text(line, len, false);
  struct pattern *p = xmalloc(sizeof *p);
  *p = (struct pattern){0};
  /* IG owns it from here, so that the fuzz target frees it after a die() */
  if (ig->n == ig->cap) {
    ig->cap = ig->cap ? ig->cap * 2 : 16;
    ig->patterns = xreallocarray(ig->patterns, ig->cap, sizeof *ig->patterns);
  }
  ig->patterns[ig->n++] = p;
  p->text = cleaned;
  if (cleaned[0] == '!') {
    p->exclusion = true;
    ig->has_exceptions = true;
    memmove(cleaned, cleaned + 1, strlen(cleaned)); /* the NUL with it */
    if (cleaned[0] == '\0') die("%s: illegal exclusion pattern: \"!\"", where);
  }
  p->len = strlen(p->text);
  compile_ignore_pattern(p, where);
  alloc_states(p);
}

void ignore_read_file(struct ignore *ig, const char *file) {
  int fd = open(file, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) die_errno("open the ignore file %s", file);
  struct stat st;
  if (fstat(fd, &st) < 0) die_errno("fstat the ignore file %s", file);
  if (!S_ISREG(st.st_mode)) die("the ignore file %s is not a regular file", file);
  if (st.st_size > MAX_IGNORE_FILE) die("the ignore file %s has %lld bytes (at most %d)", file, (long long)st.st_size, MAX_IGNORE_FILE);
  char *buf = xmalloc(MAX_IGNORE_FILE + 1);
  size_t size = 0;
  for (;;) {
    ssize_t n = read(fd, buf + size, MAX_IGNORE_FILE + 1 - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die_errno("read the ignore file %s", file);
    if (n == 0) break;
    size += (size_t)n;
    if (size > MAX_IGNORE_FILE) die("the ignore file %s grew past %d bytes while it was read", file, MAX_IGNORE_FILE);
  }
  if (close(fd) < 0) die_errno("close the ignore file %s", file);
  for (size_t start = 0, number = 1; start < size; number++) {
    const char *end = memchr(buf + start, '\n', size - start);
    size_t len = end != NULL ? (size_t)(end - (buf + start)) : size - start;
    char *where = xasprintf("%s:%zu", file, number);
    ignore_add(ig, buf + start, len, where);
    free(where);
    start += len + 1;
  }
  free(buf);
}

void ignore_free(struct ignore *ig) {
  for (size_t i = 0; i < ig->n; i++) pattern_free(ig->patterns[i]), free(ig->patterns[i]);
  free(ig->patterns);
  *ig = (struct ignore){0};
}

/* ---- matching ------------------------------------------------------------ */

static bool in_class(const struct pattern *p, const struct token *t, uint32_t r) {
  bool found = false;
  for (uint32_t k = 0; k < t->count && !found; k++) {
    uint32_t lo = p->ranges[t->first + 2 * k], hi = p->ranges[t->first + 2 * k + 1]; /* FIRST indexes the array */
    found = r >= lo && r <= hi;
  }
  return found != t->negated;
}

/* Adds state S and the states it reaches without reading a character to LIST. */
static void add_state(struct pattern *p, uint32_t *list, size_t *count, size_t s, bool at_start) {
  for (;;) {
    if (p->mark[s] == p->generation) return;
    p->mark[s] = p->generation;
    if (s == p->n_tokens) {
      list[(*count)++] = (uint32_t)s;
      return;
    }
    switch (p->tokens[s].kind) {
      case T_STAR:
      case T_DS_END:
        list[(*count)++] = (uint32_t)s; /* it may read more, or nothing */
        s++;
        continue;
      case T_DS_ENTRY:
        if (p->mark[s + 1] != p->generation) p->mark[s + 1] = p->generation, list[(*count)++] = (uint32_t)(s + 1);
        s += 2;
        continue;
      case T_BOL:
        if (!at_start) return;
        s++;
        continue;
      default:
        list[(*count)++] = (uint32_t)s;
        return;
    }
  }
}

static void next_generation(struct pattern *p) {
  if (++p->generation == 0) {
    memset(p->mark, 0, (p->n_tokens + 1) * sizeof *p->mark);
    p->generation = 1;
  }
}

/* Whether the tokens match all of TEXT. */
static bool run_tokens(struct pattern *p, const char *text, size_t len) {
  size_t n_current = 0;
  next_generation(p);
  add_state(p, p->current, &n_current, 0, true);
  for (size_t i = 0; i < len && n_current > 0;) {
    uint32_t r = next_rune(text, len, &i);
    size_t n_next = 0;
    next_generation(p);
    for (size_t k = 0; k < n_current; k++) {
      size_t s = p->current[k];
      if (s == p->n_tokens) continue;
      const struct token *t = &p->tokens[s];
      switch (t->kind) {
        case T_RUNE:
          if (r == t->rune) add_state(p, p->next, &n_next, s + 1, false);
          break;
        case T_STAR:
          if (r != '/') add_state(p, p->next, &n_next, s, false);
          break;
        case T_ANY:
          if (r != '/') add_state(p, p->next, &n_next, s + 1, false);
          break;
        case T_CLASS:
          if (in_class(p, t, r)) add_state(p, p->next, &n_next, s + 1, false);
          break;
        case T_DS_LOOP:
          add_state(p, p->next, &n_next, s, false);
          if (r == '/') add_state(p, p->next, &n_next, s + 1, false);
          break;
        case T_DS_END:
          add_state(p, p->next, &n_next, s, false);
          break;
        case T_DS_ENTRY:
        case T_BOL:
          break; /* never in a list: add_state passes through them */
      }
    }
    uint32_t *swap = p->current;
    p->current = p->next, p->next = swap;
    n_current = n_next;
  }
  for (size_t k = 0; k < n_current; k++)
    if (p->current[k] == p->n_tokens) return true;
  return false;
}

static bool has_suffix(const char *path, size_t len, const char *suffix, size_t suffix_len) {
  return len >= suffix_len && memcmp(path + len - suffix_len, suffix, suffix_len) == 0;
}

/* patternmatcher's Pattern.match of one path. */
static bool pattern_matches(struct pattern *p, const char *path, size_t len) {
  switch (p->type) {
    case EXACT:
      return len == p->len && memcmp(path, p->text, len) == 0;
    case PREFIX: /* the text without its trailing "**" */
      return len >= p->len - 2 && memcmp(path, p->text, p->len - 2) == 0;
    case SUFFIX: { /* the text without its leading "**"; "**\/foo" matches "foo" too */
      const char *suffix = p->text + 2;
      size_t suffix_len = p->len - 2;
      if (has_suffix(path, len, suffix, suffix_len)) return true;
      return suffix_len > 0 && suffix[0] == '/' && len == suffix_len - 1 && memcmp(path, suffix + 1, len) == 0;
    }
    case REGEXP:
      return run_tokens(p, path, len);
  }
  return false;
}

bool ignore_match(const struct ignore *ig, const char *path, const unsigned char *parent, unsigned char *bits) {
  bool excluded = false;
  size_t len = strlen(path);
  for (size_t i = 0; i < ig->n; i++) {
    struct pattern *p = ig->patterns[i];
    bool match = parent != NULL && parent[i];
    if (!match) match = pattern_matches(p, path, len);
    for (size_t k = 0; !match && parent == NULL && k < len; k++)
      if (path[k] == '/') match = pattern_matches(p, path, k); /* a parent directory */
    bits[i] = match;
    /* patternmatcher skips a pattern that cannot change the result; the result is the same */
    if (match) excluded = !p->exclusion;
  }
  return excluded;
}

/* ---- COPY source wildcards ----------------------------------------------- */

bool has_wildcards(const char *text, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (text[i] == '\\') {
      i++;
      continue;
    }
    if (text[i] == '*' || text[i] == '?' || text[i] == '[') return true;
  }
  return false;
}

void glob_compile(struct glob **slot, const char *text, size_t len, const char *where) {
  if (len > MAX_PATTERN) die("%s: a wildcard of %zu bytes (at most %d)", where, len, MAX_PATTERN);
  struct glob *g = xmalloc(sizeof *g);
  struct pattern *p = &g->p;
  *p = (struct pattern){0};
  *slot = g; /* the caller's from here, so that the fuzz target frees it after a die() */
  p->text = xstrndup(text, len);
  p->len = len;
  p->type = REGEXP;
  for (size_t i = 0; i < len;) {
    if (text[i] == '*') i++, add_token(p, T_STAR, 0);
    else if (text[i] == '?') i++, add_token(p, T_ANY, 0);
    else if (text[i] == '[') i++, compile_class(p, text, len, &i, where);
    else if (text[i] == '\\') {
      i++;
      if (i == len) die("%s: bad pattern %.*s: it ends in '\\'", where, (int)len, text);
      add_token(p, T_RUNE, next_rune(text, len, &i));
    } else {
      add_token(p, T_RUNE, next_rune(text, len, &i));
    }
  }
  alloc_states(p);
}

bool glob_match(struct glob *g, const char *name) {
  return run_tokens(&g->p, name, strlen(name));
}

void glob_free(struct glob *g) {
  if (g == NULL) return;
  pattern_free(&g->p);
  free(g);
}
