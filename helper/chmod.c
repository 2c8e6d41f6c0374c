/* chmod.c: COPY/ADD --chmod. An octal mode replaces each file's mode; symbolic clauses
   (BuildKit takes them since Dockerfile 1.6) change each file's own mode as chmod(1)
   does, so `--chmod=u+x` keeps a file's other bits and `a+rX` makes only directories and
   files that were executable searchable. The hash of a context (what the cache key holds)
   and the copy both take the mode from here, so they agree by construction. */
#include "chmod.h"

#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

enum { WHO_U = 1, WHO_G = 2, WHO_O = 4, WHO_ALL = 7 };

/* The rwx triplet PERMS (r=4, w=2, x=1) placed in each class of WHO. */
static mode_t spread(unsigned perms, unsigned who) {
  mode_t bits = 0;
  if (who & WHO_U) bits |= (mode_t)perms << 6;
  if (who & WHO_G) bits |= (mode_t)perms << 3;
  if (who & WHO_O) bits |= (mode_t)perms;
  return bits;
}

/* The bits '=' clears for WHO before it sets: the classes' rwx and their special bit; a
   directory's set-user/group-ID bits stay unless the clause sets them, as GNU chmod keeps
   them (they say how new files inherit, not what runs). */
static mode_t class_bits(unsigned who, bool is_directory) {
  mode_t bits = spread(7, who);
  if ((who & WHO_U) && !is_directory) bits |= S_ISUID;
  if ((who & WHO_G) && !is_directory) bits |= S_ISGID;
  if (who & WHO_O) bits |= S_ISVTX;
  return bits;
}

/* Applies the symbolic clauses of TEXT to *MODE (a directory when IS_DIRECTORY). Returns
   false at the first character that does not fit the grammar (chmod.h), *MODE then
   partly changed. */
static bool apply_symbolic(const char *text, mode_t *mode, bool is_directory) {
  const char *p = text;
  for (;;) {
    unsigned who = 0;
    for (; *p != '\0' && strchr("ugoa", *p) != NULL; p++)
      who |= *p == 'u' ? WHO_U : *p == 'g' ? WHO_G : *p == 'o' ? WHO_O : WHO_ALL;
    if (who == 0) who = WHO_ALL; /* no umask in a build: a clause without [ugoa] is a */
    if (*p != '+' && *p != '-' && *p != '=') return false;
    while (*p == '+' || *p == '-' || *p == '=') {
      char op = *p++;
      mode_t bits = 0;
      if (*p != '\0' && strchr("ugo", *p) != NULL) {
        /* the permissions that class has now, given to WHO */
        unsigned shift = *p == 'u' ? 6 : *p == 'g' ? 3 : 0;
        bits = spread((unsigned)(*mode >> shift) & 7, who);
        p++;
      } else {
        for (; *p != '\0' && strchr("rwxXst", *p) != NULL; p++) {
          switch (*p) {
            case 'r': bits |= spread(4, who); break;
            case 'w': bits |= spread(2, who); break;
            case 'x': bits |= spread(1, who); break;
            case 'X':
              /* the mode as changed so far, as GNU chmod reads it */
              if (is_directory || (*mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0) bits |= spread(1, who);
              break;
            case 's': bits |= ((who & WHO_U) ? S_ISUID : 0) | ((who & WHO_G) ? S_ISGID : 0); break;
            case 't': bits |= (who & WHO_O) ? S_ISVTX : 0; break;
          }
        }
      }
      if (op == '+') *mode |= bits;
      else if (op == '-') *mode &= ~bits;
      else *mode = (*mode & ~class_bits(who, is_directory)) | bits;
    }
    if (*p == '\0') return true;
    if (*p != ',') return false;
    p++;
  }
}

/* Whether TEXT is octal digits; *VALUE then holds them (at most 07777, else false). */
static bool octal_mode(const char *text, mode_t *value) {
  size_t len = strspn(text, "01234567");
  if (len == 0 || text[len] != '\0') return false;
  unsigned long v = 0;
  for (size_t i = 0; i < len; i++) {
    v = v * 8 + (unsigned long)(text[i] - '0');
    if (v > 07777) return false;
  }
  *value = (mode_t)v;
  return true;
}

void chmod_check(const char *text) {
  mode_t mode = 0;
  if (strlen(text) > 256) die("--chmod: longer than 256 characters");
  if (octal_mode(text, &mode)) return;
  if (strspn(text, "0123456789") > 0 || !apply_symbolic(text, &mode, false))
    die("--chmod=%s: not an octal mode (at most 07777) nor symbolic clauses such as u+x,go-w", text);
}

mode_t chmod_apply(const char *text, mode_t current, bool is_directory) {
  mode_t mode = current & 07777;
  if (text == NULL) return mode;
  if (octal_mode(text, &mode)) return mode;
  if (!apply_symbolic(text, &mode, is_directory)) die("--chmod=%s: not an octal mode nor symbolic clauses", text);
  return mode & 07777;
}
