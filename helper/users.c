/*
 * User and group names, resolved as Docker resolves them: inside the container, from the
 * image's /etc/passwd and /etc/group (read after pivot_root or after joining the container's
 * mount namespace, never the host's), without NSS: a name must be in those files.
 *
 *   user: NAME or UID, optionally :GROUP or :GID. NAME takes its uid, primary gid and home
 *   from passwd; a UID without an entry runs with gid 0, as Docker does. Supplementary
 *   groups are those whose member lists name the user, then the spec's group_add.
 */
#define _GNU_SOURCE
#include "security.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A number with nothing after it, or -1. */
static long number_or_minus_one(const char *text) {
  if (*text == '\0') return -1;
  char *end;
  errno = 0;
  unsigned long value = strtoul(text, &end, 10);
  if (errno != 0 || *end != '\0' || value > 0xfffffffeUL) return -1;
  return (long)value;
}

/* Splits LINE (a passwd or group line, newline removed) at ':' into at most MAX fields. */
static int split_fields(char *line, char **fields, int max) {
  int n = 0;
  fields[n++] = line;
  for (char *p = line; *p != '\0' && n < max; p++) {
    if (*p == ':') {
      *p = '\0';
      fields[n++] = p + 1;
    }
  }
  return n;
}

/*
 * The next line of F into *LINE (getline's buffer, grown to fit: the image's /etc/passwd and
 * /etc/group are hostile, and a fixed buffer would read the tail of a long line as an entry of
 * its own), its newline removed; false at the end. A line with a NUL byte in it is skipped
 * whole, since the C strings below would stop at it. glibc's own NSS files backend reads whole
 * lines too (getline-style, growing its buffer).
 */
static bool next_line(FILE *f, char **line, size_t *cap, const char *path) {
  for (;;) {
    errno = 0;
    ssize_t n = getline(line, cap, f);
    if (n < 0) {
      if (errno != 0 && ferror(f)) die_errno("read %s in the container", path);
      return false;
    }
    if (n > 0 && (*line)[n - 1] == '\n') (*line)[--n] = '\0';
    if (memchr(*line, '\0', (size_t)n) != NULL) continue;
    return true;
  }
}

static FILE *open_database(const char *path) {
  FILE *f = fopen(path, "re");
  if (f == NULL && errno != ENOENT) die_errno("open %s in the container", path);
  return f;
}

/* Fills U from the passwd entry whose name (or uid, when WHO is a number) is WHO; false if none. */
static bool find_passwd(const char *who, struct credentials *u) {
  FILE *f = open_database("/etc/passwd");
  if (f == NULL) return false;
  long uid = number_or_minus_one(who);
  char *line = NULL;
  size_t cap = 0;
  bool found = false;
  while (!found && next_line(f, &line, &cap, "/etc/passwd")) {
    char *field[7];
    if (split_fields(line, field, 7) < 7) continue;
    long entry_uid = number_or_minus_one(field[2]), entry_gid = number_or_minus_one(field[3]);
    if (entry_uid < 0 || entry_gid < 0) continue;
    if (uid >= 0 ? entry_uid != uid : strcmp(field[0], who) != 0) continue;
    if (strlen(field[0]) >= sizeof u->name || strlen(field[5]) >= sizeof u->home)
      die("the container's /etc/passwd entry for %s has a name or home directory too long to use", who);
    u->uid = (uid_t)entry_uid;
    u->gid = (gid_t)entry_gid;
    snprintf(u->name, sizeof u->name, "%s", field[0]);
    snprintf(u->home, sizeof u->home, "%s", field[5]);
    found = true;
  }
  free(line);
  fclose(f);
  return found;
}

gid_t resolve_group(const char *group) {
  long gid = number_or_minus_one(group);
  if (gid >= 0) return (gid_t)gid;
  FILE *f = open_database("/etc/group");
  char *line = NULL;
  size_t cap = 0;
  while (f != NULL && next_line(f, &line, &cap, "/etc/group")) {
    char *field[4];
    if (split_fields(line, field, 4) < 3 || strcmp(field[0], group) != 0) continue;
    gid = number_or_minus_one(field[2]);
    if (gid >= 0) break;
  }
  free(line);
  if (f != NULL) fclose(f);
  if (gid < 0) die("unable to find group %s: no matching entries in the container's /etc/group", group);
  return (gid_t)gid;
}

/* Appends to U's groups every group whose member list names U's user. */
static void add_member_groups(struct credentials *u) {
  FILE *f = open_database("/etc/group");
  char *line = NULL;
  size_t cap = 0;
  while (f != NULL && next_line(f, &line, &cap, "/etc/group")) {
    char *field[4];
    if (split_fields(line, field, 4) < 4) continue;
    long gid = number_or_minus_one(field[2]);
    if (gid < 0) continue;
    char *save = NULL;
    for (char *m = strtok_r(field[3], ",", &save); m != NULL; m = strtok_r(NULL, ",", &save)) {
      if (strcmp(m, u->name) != 0) continue;
      if (u->n_groups == MAX_GROUPS) die("user %s is in more than %d groups", u->name, MAX_GROUPS);
      u->groups[u->n_groups++] = (gid_t)gid;
    }
  }
  free(line);
  if (f != NULL) fclose(f);
}

void resolve_user(const char *spec, struct credentials *u) {
  char who[256];
  snprintf(who, sizeof who, "%s", spec);
  char *group = strchr(who, ':');
  if (group != NULL) *group++ = '\0';
  u->n_groups = 0;
  u->name[0] = u->home[0] = '\0';
  if (find_passwd(who, u)) {
    add_member_groups(u);
  } else {
    long uid = number_or_minus_one(who);
    if (uid < 0) die("unable to find user %s: no matching entries in the container's /etc/passwd", who);
    u->uid = (uid_t)uid;
    u->gid = 0;
  }
  if (group != NULL) u->gid = resolve_group(group);
}
