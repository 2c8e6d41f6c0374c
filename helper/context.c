/*
 * context.c: a build context, read as hostile input (helper/CONTEXT.md has the formats).
 *
 *   tupper-init context-hash --context DIR [--ignore-file F] [--include SOURCE]...
 *       [--chown UID[:GID] | --keep-owners] [--chmod MODE] [--exclude PATTERN]...
 *       prints sha256:HEX, the tupper-files-v1 digest of what a COPY of the sources (all of
 *       DIR without --include) writes: names, types, modes, owners, contents.
 *   tupper-init context-copy --context DIR --rootfs ROOT --dest PATH [--ignore-file F]
 *       [--chown UID[:GID] | --keep-owners] [--chmod MODE] [--exclude PATTERN]...
 *       [--expect sha256:HEX] [--] SOURCE...
 *       copies as Docker's COPY does, from DIR into PATH of the image's root ROOT. With
 *       --expect, fails unless the tupper-files-v1 digest of what it wrote, computed from the
 *       bytes it wrote, is HEX (the context-hash its cache key was made from).
 *   tupper-init context-owner --rootfs ROOT USER[:GROUP]
 *       prints UID:GID, COPY --chown's names resolved in ROOT's /etc/passwd and /etc/group.
 *   tupper-init context-match --ignore-file F PATH...   (tests, the TS side's cross-check)
 *   tupper-init context-sha256 < FILE                   (tests: sha256.c against sha256sum)
 *
 * Confinement, on both sides:
 * - The context. Its tree is walked from descriptors: every entry is opened relative to its
 *   directory's descriptor with O_NOFOLLOW (and O_DIRECTORY for a directory), and checked by
 *   fstat() to be the entry the listing saw (device and inode). A symlink is never followed
 *   in the walk: it is hashed and copied as a link, its target as text. A directory swapped
 *   for a symlink while the walk runs fails the open (ELOOP/ENOTDIR) and stops the build.
 *   A COPY source path is cleaned as BuildKit does (rooted at the context: "../x" is "x"),
 *   then resolved component by component (resolve_path): a symlink in it is followed only
 *   while it stays beneath the context; an absolute one, or one whose ".." climbs above
 *   the context, is refused (openat2's RESOLVE_BENEATH semantics; BuildKit instead scopes
 *   such a link inside the context root, which tupper refuses as an error).
 * - The destination, an image's root, is hostile too (a base image may plant /usr -> / or
 *   /app -> /etc). Its path is resolved as in a chroot (RESOLVE_IN_ROOT semantics, which is
 *   how Docker's COPY follows an image's symlinks: containerd's fs.RootPath, BuildKit's
 *   copy): an absolute link restarts at ROOT, ".." stops at ROOT. Nothing lands outside it.
 * - Both resolutions yield a canonical path (no symlink, no ".."), which is then opened
 *   with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS): if anything
 *   in it became a symlink since, the open fails instead of following it. Where the kernel
 *   has no openat2 (before 5.6), the same path is opened one component at a time with
 *   O_NOFOLLOW | O_DIRECTORY, which refuses a symlink the same way. (runc's
 *   filepath-securejoin and libpathrs do this resolution in user space too, then verify.)
 * - Files in the destination are replaced, never written through: an existing file or
 *   symlink at a name is unlinked and the new file made with O_CREAT | O_EXCL | O_NOFOLLOW.
 *
 * The same class of bug elsewhere: `docker cp` resolved a container path, then used it, and
 * a symlink swapped in between made it read or write the host (CVE-2018-15664); Docker's fix
 * pauses the container and copies chrooted into it. Kubernetes' subPath followed a symlink
 * out of a volume (CVE-2017-1002101); its fix opens the path one component at a time with
 * openat(O_NOFOLLOW) from the volume's descriptor (doSafeOpen), as the fallback here does.
 * tupper pauses nothing: no path is used twice, every open is relative to a descriptor
 * already checked, and no symlink is followed by the kernel at all (test/e2e/build-context.bats
 * swaps a directory for a symlink in the middle of a walk, by inotify and by RENAME_EXCHANGE).
 *
 * Special files: a socket is skipped (Docker's archive skips sockets too); a FIFO is hashed
 * and copied as a FIFO and never opened (Docker copies FIFOs); a character or block device
 * is refused by name (Docker would copy it; a device node in a build context is never
 * source code, and an image carrying a copy of a host device is an attack).
 */
#define _GNU_SOURCE
#include "context.h"
#include "chmod.h"
#include "pattern.h"
#include "security.h"
#include "sha256.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAX_DEPTH 256       /* directories below a source: each level holds two descriptors */
#define MAX_LINKS 40        /* symlinks followed in one path: the kernel's own limit */
#define MAX_SOURCES 4096
#define COPY_BUFFER (128 * 1024)

/* ---- resolving paths inside a root --------------------------------------- */

enum resolve_mode {
  BENEATH, /* the context: a path leaving it is an error */
  IN_ROOT, /* an image's root: "/" and ".." stop at it, as in a chroot */
};

static bool no_openat2; /* the kernel has none (or a test asked for the fallback) */

/* PATH (canonical: no "..", no ".", no symlink; "" or "." for ROOT itself) opened below
   ROOT with FLAGS, following no symlink at all. A symlink where a directory should be fails
   the open; a symlink as the last component is returned as one (O_PATH | O_NOFOLLOW) only
   when FLAGS holds O_PATH, and the caller's fstat sees it. */
static int open_canonical(int root, const char *path, int flags, const char *what) {
  if (path[0] == '\0' || strcmp(path, ".") == 0) {
    int fd = openat(root, ".", flags | O_CLOEXEC);
    if (fd < 0) die_errno("open %s", what);
    return fd;
  }
  if (!no_openat2) {
    struct open_how how = {.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof how);
    if (fd >= 0) return fd;
    if (errno != ENOSYS) die_errno("openat2 %s (%s, no symlink followed)", what, path);
    no_openat2 = true;
  }
  /* one component at a time, each O_NOFOLLOW */
  int dir = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) die_errno("open %s", what);
  char *copy = xstrdup(path);
  char *name = copy;
  for (char *slash; (slash = strchr(name, '/')) != NULL; name = slash + 1) {
    *slash = '\0';
    int next = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0) die_errno("open %s (%s of %s, no symlink followed)", what, name, path);
    close(dir);
    dir = next;
  }
  int fd = openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) die_errno("open %s (%s, no symlink followed)", what, path);
  close(dir);
  free(copy);
  return fd;
}

static void append_component(char **canonical, const char *name, size_t len) {
  size_t old = strlen(*canonical);
  *canonical = xrealloc(*canonical, old + len + 2);
  if (old > 0) (*canonical)[old++] = '/';
  memcpy(*canonical + old, name, len);
  (*canonical)[old + len] = '\0';
}

static void drop_component(char *canonical) {
  char *slash = strrchr(canonical, '/');
  if (slash != NULL) *slash = '\0';
  else canonical[0] = '\0';
}

/*
 * The canonical path, below ROOT, of PATH (relative to ROOT, or absolute meaning ROOT):
 * each component looked at with fstatat(AT_SYMLINK_NOFOLLOW) in the directory resolved so
 * far, a symlink's target put in its place (FOLLOW_LAST: the last component's too). In
 * BENEATH mode an absolute target or a ".." above ROOT is an error; IN_ROOT clamps them to
 * ROOT. A component that does not exist ends the walk: *MISSING is set and the rest of PATH
 * is appended as it is (NULL: an error). Caller frees.
 */
static char *resolve_path(int root, const char *path, enum resolve_mode mode, bool follow_last, bool *missing, const char *what) {
  char *canonical = xstrdup("");
  char *rest = xstrdup(path);
  size_t at = 0;
  int links = 0;
  if (missing != NULL) *missing = false;
  while (rest[at] != '\0') {
    while (rest[at] == '/') at++;
    if (rest[at] == '\0') break;
    const char *name = rest + at;
    size_t len = strcspn(name, "/");
    bool last = name[len] == '\0' || name[len + strspn(name + len, "/")] == '\0';
    at += len;
    if (len == 1 && name[0] == '.') continue;
    if (len == 2 && name[0] == '.' && name[1] == '.') {
      if (canonical[0] == '\0' && mode == BENEATH) die("%s: %s leads out of the build context through '..'", what, path);
      drop_component(canonical);
      continue;
    }
    if (len > NAME_MAX) die("%s: a name of %zu bytes in %.64s... (at most %d)", what, len, path, NAME_MAX);
    char component[NAME_MAX + 1];
    memcpy(component, name, len);
    component[len] = '\0';
    int dir = open_canonical(root, canonical, O_PATH | O_DIRECTORY, what);
    struct stat st;
    if (fstatat(dir, component, &st, AT_SYMLINK_NOFOLLOW) < 0) {
      if (errno != ENOENT || missing == NULL) die_errno("%s: stat %s of %s", what, component, path);
      *missing = true;
      append_component(&canonical, name, strlen(name)); /* the rest, as it is */
      close(dir);
      char *cleaned = clean_path_text(canonical, strlen(canonical), true);
      free(canonical);
      free(rest);
      return cleaned;
    }
    if (S_ISLNK(st.st_mode) && (!last || follow_last)) {
      if (++links > MAX_LINKS) die("%s: more than %d symlinks in %s", what, MAX_LINKS, path);
      char target[PATH_MAX];
      ssize_t n = readlinkat(dir, component, target, sizeof target);
      if (n < 0) die_errno("%s: readlink %s of %s", what, component, path);
      if ((size_t)n >= sizeof target) die("%s: the symlink %s of %s is longer than %d bytes", what, component, path, PATH_MAX - 1);
      target[n] = '\0';
      if (target[0] == '/') {
        if (mode == BENEATH) die("%s: %s is a symlink to %s, outside the build context", what, path, target);
        canonical[0] = '\0'; /* an absolute target starts again at ROOT */
      }
      char *joined = xasprintf("%s/%s", target, rest + at);
      free(rest);
      rest = joined, at = 0;
    } else {
      append_component(&canonical, component, len);
    }
    close(dir);
  }
  free(rest);
  return canonical;
}

/* ---- the walk ------------------------------------------------------------ */

enum kind { REGULAR, DIRECTORY, SYMLINK, FIFO, SKIPPED, DEVICE };

/* One entry of the context being walked. */
struct node {
  struct node *parent;
  char *rel;     /* relative to the context: what .dockerignore matches, what the digest names */
  char *sub;     /* relative to the COPY source: what --exclude matches ("" for the source) */
  const char *name;
  const char *as; /* a source's top: the name it is copied as (struct sources) */
  int dir_fd;    /* the directory that holds it (-1 for a source's top) */
  int fd;        /* a directory's own descriptor; for a source's top, the entry's O_PATH fd */
  struct stat st;
  enum kind kind;
  unsigned char *bits; /* per .dockerignore pattern: matched this or a parent */
  bool visited;  /* given to the visitor (a directory is given lazily: see ensure_visited) */
  int out_fd;    /* the visitor's: the destination directory of a copied directory */
  char *out_path;
};

struct walk {
  int context;
  const char *context_name;
  struct ignore *ignore;
  struct ignore *exclude; /* COPY --exclude: matched against node->sub */
  void (*visit)(struct walk *w, struct node *n);
  void *data;
  size_t selected;
};

static enum kind kind_of(const struct stat *st) {
  if (S_ISREG(st->st_mode)) return REGULAR;
  if (S_ISDIR(st->st_mode)) return DIRECTORY;
  if (S_ISLNK(st->st_mode)) return SYMLINK;
  if (S_ISFIFO(st->st_mode)) return FIFO;
  if (S_ISSOCK(st->st_mode)) return SKIPPED;
  return DEVICE;
}

static void ensure_visited(struct walk *w, struct node *n) {
  if (n == NULL || n->visited) return;
  if (n->kind == DEVICE)
    die("%s/%s is a %s device: tupper copies no device node from a build context (exclude it in .dockerignore)", w->context_name, n->rel,
        S_ISCHR(n->st.st_mode) ? "character" : "block");
  ensure_visited(w, n->parent);
  n->visited = true;
  w->selected++;
  w->visit(w, n);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory FD, sorted bytewise (the digest's order). */
static char **list_directory(int fd, const char *rel, const char *context, size_t *count) {
  int copy = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (copy < 0) die_errno("open %s/%s to list it", context, rel);
  DIR *d = fdopendir(copy);
  if (d == NULL) die_errno("fdopendir %s/%s", context, rel);
  char **names = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    errno = 0;
    struct dirent *de = readdir(d);
    if (de == NULL) {
      if (errno != 0) die_errno("readdir %s/%s", context, rel);
      break;
    }
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    if (n == cap) cap = cap ? cap * 2 : 64, names = xreallocarray(names, cap, sizeof *names);
    names[n++] = xstrdup(de->d_name);
  }
  if (closedir(d) < 0) die_errno("closedir %s/%s", context, rel);
  qsort(names, n, sizeof *names, by_name);
  *count = n;
  return names;
}

static char *join(const char *dir, const char *name) {
  return dir[0] == '\0' || strcmp(dir, ".") == 0 ? xstrdup(name) : xasprintf("%s/%s", dir, name);
}

static void walk_directory(struct walk *w, struct node *dir, int depth);

/* One entry NAME of directory PARENT: matched, then visited or walked into. */
static void walk_entry(struct walk *w, struct node *parent, const char *name, int depth) {
  struct node n = {.parent = parent, .name = name, .dir_fd = parent->fd, .fd = -1, .out_fd = -1};
  if (fstatat(parent->fd, name, &n.st, AT_SYMLINK_NOFOLLOW) < 0) die_errno("stat %s/%s/%s", w->context_name, parent->rel, name);
  n.rel = join(parent->rel, name);
  n.sub = join(parent->sub, name);
  n.kind = kind_of(&n.st);
  n.bits = xmalloc(w->ignore->n + 1);
  bool ignored = ignore_match(w->ignore, n.rel, parent->bits, n.bits), left_out = false;
  if (w->exclude != NULL && w->exclude->n > 0) {
    unsigned char *scratch = xmalloc(w->exclude->n);
    left_out = ignore_match(w->exclude, n.sub, NULL, scratch);
    free(scratch);
  }
  bool excluded = ignored || left_out;
  /* an exception ('!') of the list that excluded it may still select something inside */
  bool may_select_inside = (!ignored || w->ignore->has_exceptions) && (!left_out || w->exclude->has_exceptions);
  if (n.kind == SKIPPED) {
    /* a socket: not content (Docker skips it too) */
  } else if (n.kind == DIRECTORY) {
    /* an excluded directory is walked only if an exception ('!') may select inside it;
       it is then visited only before the first entry selected in it, as fsutil does */
    if (may_select_inside) {
      if (depth >= MAX_DEPTH) die("%s/%s: directories nested deeper than %d", w->context_name, n.rel, MAX_DEPTH);
      /* Another filesystem mounted in the context (a FUSE mount can serve a file that never
         ends, and the build holds the host's build lock while it reads): refused, where
         Docker's context tar would cross it. */
      if (n.st.st_dev != parent->st.st_dev)
        die("%s/%s is another filesystem mounted in the build context; tupper reads a context from one filesystem: "
            "copy what it holds into the context, or list it in .dockerignore",
            w->context_name, n.rel);
      n.fd = openat(parent->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (n.fd < 0) die_errno("open the directory %s/%s (it changed while the context was read?)", w->context_name, n.rel);
      struct stat now;
      if (fstat(n.fd, &now) < 0) die_errno("fstat %s/%s", w->context_name, n.rel);
      if (now.st_dev != n.st.st_dev || now.st_ino != n.st.st_ino)
        die("%s/%s was replaced while the context was read", w->context_name, n.rel);
      if (!excluded) ensure_visited(w, &n);
      walk_directory(w, &n, depth + 1);
      if (close(n.fd) < 0) die_errno("close %s/%s", w->context_name, n.rel);
    }
  } else if (!excluded) {
    ensure_visited(w, &n);
  }
  if (n.out_fd >= 0) close(n.out_fd);
  free(n.out_path);
  free(n.bits);
  free(n.rel);
  free(n.sub);
}

static void walk_directory(struct walk *w, struct node *dir, int depth) {
  size_t count;
  char **names = list_directory(dir->fd, dir->rel, w->context_name, &count);
  for (size_t i = 0; i < count; i++) {
    walk_entry(w, dir, names[i], depth);
    free(names[i]);
  }
  free(names);
}

/*
 * One COPY source (or all of the context for "."), at REL (canonical), copied as AS,
 * walked: the entry itself is visited, then everything selected below it.
 */
static void walk_source(struct walk *w, const char *rel, const char *as) {
  struct node top = {.name = NULL, .as = as, .dir_fd = -1, .fd = -1, .out_fd = -1};
  top.rel = xstrdup(rel);
  top.sub = xstrdup("");
  top.bits = xmalloc(w->ignore->n + 1);
  bool is_root = strcmp(rel, ".") == 0 || rel[0] == '\0';
  bool excluded = !is_root && ignore_match(w->ignore, rel, NULL, top.bits);
  if (is_root) memset(top.bits, 0, w->ignore->n + 1);
  int path_fd = open_canonical(w->context, rel, O_PATH, w->context_name);
  if (fstat(path_fd, &top.st) < 0) die_errno("fstat %s/%s", w->context_name, rel);
  top.kind = kind_of(&top.st);
  if (top.kind == SKIPPED || (excluded && (top.kind != DIRECTORY || !w->ignore->has_exceptions)))
    die("%s/%s: no such file in the build context (a socket, or excluded by .dockerignore)", w->context_name, rel);
  if (top.kind == DIRECTORY) {
    top.fd = open_canonical(w->context, rel, O_RDONLY | O_DIRECTORY, w->context_name);
    struct stat now;
    if (fstat(top.fd, &now) < 0) die_errno("fstat %s/%s", w->context_name, rel);
    if (now.st_dev != top.st.st_dev || now.st_ino != top.st.st_ino) die("%s/%s was replaced while the context was read", w->context_name, rel);
    close(path_fd);
    if (!excluded) ensure_visited(w, &top);
    walk_directory(w, &top, 0);
    if (!top.visited) ensure_visited(w, &top); /* the destination directory exists even when empty */
    if (close(top.fd) < 0) die_errno("close %s/%s", w->context_name, rel);
  } else {
    /* a file, a symlink (only from a wildcard: a named one was followed) or a FIFO: visited
       from its parent directory, as in the walk */
    close(path_fd);
    char *parent = xstrdup(rel);
    drop_component(parent);
    top.dir_fd = open_canonical(w->context, parent, O_RDONLY | O_DIRECTORY, w->context_name);
    top.name = strrchr(rel, '/') != NULL ? strrchr(rel, '/') + 1 : rel;
    struct stat now;
    if (fstatat(top.dir_fd, top.name, &now, AT_SYMLINK_NOFOLLOW) < 0) die_errno("stat %s/%s", w->context_name, rel);
    if (now.st_dev != top.st.st_dev || now.st_ino != top.st.st_ino) die("%s/%s was replaced while the context was read", w->context_name, rel);
    ensure_visited(w, &top);
    close(top.dir_fd);
    free(parent);
  }
  if (top.out_fd >= 0) close(top.out_fd);
  free(top.out_path);
  free(top.bits);
  free(top.rel);
  free(top.sub);
}

/* ---- COPY sources -------------------------------------------------------- */

struct sources {
  char **rel;  /* canonical, relative to the context */
  char **name; /* the name it is copied as: the source's last component as the Dockerfile
                  wrote it, or the name a wildcard matched (a followed symlink keeps its own
                  name, as BuildKit's copy takes the base of the source path) */
  size_t n, cap;
  bool wildcard; /* some source held a wildcard */
};

static void add_source(struct sources *s, const char *rel, const char *name) {
  if (s->n == MAX_SOURCES) die("more than %d COPY sources", MAX_SOURCES);
  if (s->n == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 16;
    s->rel = xreallocarray(s->rel, s->cap, sizeof *s->rel);
    s->name = xreallocarray(s->name, s->cap, sizeof *s->name);
  }
  s->rel[s->n] = xstrdup(rel);
  s->name[s->n++] = xstrdup(name);
}

/* Expands the components of PATTERN from index I (components split at '/') below the
   canonical directory DIR, as BuildKit expands a COPY wildcard: each component with a
   wildcard matched (filepath.Match) against the sorted names of its directory, excluded
   names left out; each resolved beneath the context. */
static void expand(struct walk *w, char **components, size_t count, size_t i, const char *dir, struct sources *out) {
  if (i == count) {
    add_source(out, dir, ".");
    return;
  }
  const char *c = components[i];
  if (!has_wildcards(c, strlen(c))) {
    char *next = join(dir, c);
    if (i + 1 < count) {
      char *canonical = resolve_path(w->context, next, BENEATH, true, NULL, w->context_name);
      expand(w, components, count, i + 1, canonical, out);
      free(canonical);
    } else {
      /* the source itself: a named symlink is followed beneath the context, as BuildKit's
         COPY follows it (FollowSymlinks) */
      char *canonical = resolve_path(w->context, next, BENEATH, true, NULL, w->context_name);
      add_source(out, canonical, c);
      free(canonical);
    }
    free(next);
    return;
  }
  out->wildcard = true;
  struct glob *g = NULL;
  glob_compile(&g, c, strlen(c), "COPY source");
  int fd = open_canonical(w->context, dir, O_RDONLY | O_DIRECTORY, w->context_name);
  size_t n;
  char **names = list_directory(fd, dir, w->context_name, &n);
  close(fd);
  for (size_t k = 0; k < n; k++) {
    if (glob_match(g, names[k])) {
      char *next = join(dir, names[k]);
      unsigned char *bits = xmalloc(w->ignore->n + 1);
      bool excluded = ignore_match(w->ignore, next, NULL, bits);
      free(bits);
      if (!excluded) {
        char *canonical = resolve_path(w->context, next, BENEATH, i + 1 < count, NULL, w->context_name);
        if (i + 1 < count) expand(w, components, count, i + 1, canonical, out);
        else add_source(out, canonical, names[k]);
        free(canonical);
      }
      free(next);
    }
    free(names[k]);
  }
  free(names);
  glob_free(g);
}

/* Each of SOURCE (as the Dockerfile gives it) expanded to canonical paths in the context. */
static void resolve_sources(struct walk *w, char **given, size_t n_given, struct sources *out) {
  for (size_t i = 0; i < n_given; i++) {
    size_t before = out->n;
    char *cleaned = clean_path_text(given[i], strlen(given[i]), true); /* "../x", "/x": "x" */
    if (strcmp(cleaned, ".") == 0) {
      add_source(out, ".", ".");
    } else {
      char **components = NULL;
      size_t count = 0;
      for (char *p = cleaned, *slash; p != NULL; p = slash != NULL ? slash + 1 : NULL) {
        slash = strchr(p, '/');
        if (slash != NULL) *slash = '\0';
        components = xreallocarray(components, count + 1, sizeof *components);
        components[count++] = p;
      }
      expand(w, components, count, 0, ".", out);
      free(components);
    }
    if (out->n == before) die("COPY %s: no file in the build context matches it", given[i]);
    free(cleaned);
  }
}

/* ---- context-hash -------------------------------------------------------- */

/* One entry of the digest, as the copy will write it (CONTEXT.md). */
struct record {
  char *path;     /* relative to the copy's source: where it lands below the destination */
  size_t order;   /* the walk's order: equal paths (two sources) keep it */
  char type;
  unsigned mode, uid, gid;
  char *payload;  /* f: the content's sha256 in hex; l: the link's target; d, p: "" */
};

struct hasher {
  struct record *records;
  size_t n, cap;
  uid_t uid;      /* the owner the copy gives everything: --chown, or 0:0 as Docker */
  gid_t gid;
  bool keep_owners; /* --keep-owners: each file keeps its own (COPY --from, as Docker) */
  const char *chmod; /* --chmod as given (chmod.c); NULL: the source's mode */
  unsigned char *buffer;
};

/* The sha256 of the regular file N, read through a descriptor opened with O_NOFOLLOW
   relative to its directory, which must still be the file the walk saw. */
static char *content_digest(struct walk *w, struct hasher *h, const struct node *n) {
  int fd = openat(n->dir_fd, n->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) die_errno("open %s/%s", w->context_name, n->rel);
  struct stat st;
  if (fstat(fd, &st) < 0) die_errno("fstat %s/%s", w->context_name, n->rel);
  if (!S_ISREG(st.st_mode) || st.st_dev != n->st.st_dev || st.st_ino != n->st.st_ino)
    die("%s/%s was replaced while the context was read", w->context_name, n->rel);
  struct sha256 sha;
  sha256_init(&sha);
  for (;;) {
    ssize_t got = read(fd, h->buffer, COPY_BUFFER);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) die_errno("read %s/%s", w->context_name, n->rel);
    if (got == 0) break;
    sha256_update(&sha, h->buffer, (size_t)got);
  }
  if (close(fd) < 0) die_errno("close %s/%s", w->context_name, n->rel);
  char *hex = xmalloc(65);
  sha256_hex(&sha, hex);
  return hex;
}

static char *link_target(struct walk *w, const struct node *n) {
  char target[PATH_MAX];
  ssize_t len = readlinkat(n->dir_fd, n->name, target, sizeof target);
  if (len < 0 && errno == EINVAL) die("%s/%s was replaced while the context was read (no longer a symlink)", w->context_name, n->rel);
  if (len < 0) die_errno("readlink %s/%s", w->context_name, n->rel);
  if ((size_t)len >= sizeof target) die("%s/%s: a symlink target longer than %d bytes", w->context_name, n->rel, PATH_MAX - 1);
  return xstrndup(target, (size_t)len);
}

/* N's record, named where the copy puts it: below a directory source, its path from there;
   a file source, its name. A directory source's own directory has none (the destination
   directory is the copy's, not the source's). PAYLOAD (taken): a file's sha256 in hex, a
   symlink's target, "" for the others. */
static void add_record(struct hasher *h, const struct node *n, char *payload) {
  static const char type[] = {[REGULAR] = 'f', [DIRECTORY] = 'd', [SYMLINK] = 'l', [FIFO] = 'p'};
  if (h->n == h->cap) h->cap = h->cap ? h->cap * 2 : 1024, h->records = xreallocarray(h->records, h->cap, sizeof *h->records);
  struct record *r = &h->records[h->n];
  *r = (struct record){.path = xstrdup(n->parent == NULL ? n->as : n->sub), .order = h->n, .type = type[n->kind]};
  /* what the copy writes: a symlink's mode is always 0777; --chmod and --chown as given */
  r->mode = n->kind == SYMLINK ? 0777 : (unsigned)chmod_apply(h->chmod, n->st.st_mode, n->kind == DIRECTORY);
  r->uid = h->keep_owners ? (unsigned)n->st.st_uid : (unsigned)h->uid;
  r->gid = h->keep_owners ? (unsigned)n->st.st_gid : (unsigned)h->gid;
  r->payload = payload;
  h->n++;
}

static void hash_visit(struct walk *w, struct node *n) {
  struct hasher *h = w->data;
  if (n->parent == NULL && n->kind == DIRECTORY) return;
  add_record(h, n, n->kind == REGULAR ? content_digest(w, h, n) : n->kind == SYMLINK ? link_target(w, n) : xstrdup(""));
}

static int by_path(const void *a, const void *b) {
  const struct record *x = a, *y = b;
  int c = strcmp(x->path, y->path);
  return c != 0 ? c : x->order < y->order ? -1 : x->order > y->order;
}

static void netstring(struct sha256 *sha, const char *bytes, size_t len) {
  char head[32];
  int n = snprintf(head, sizeof head, "%zu:", len);
  sha256_update(sha, head, (size_t)n);
  sha256_update(sha, bytes, len);
  sha256_update(sha, ",", 1);
}

/* sha256("tupper-files-v1\n" + per record, sorted by path bytes: six netstrings). */
static void files_digest(struct hasher *h, char hex[65]) {
  qsort(h->records, h->n, sizeof *h->records, by_path);
  struct sha256 sha;
  sha256_init(&sha);
  sha256_update(&sha, "tupper-files-v1\n", 16);
  for (size_t i = 0; i < h->n; i++) {
    const struct record *r = &h->records[i];
    char mode[16], uid[16], gid[16];
    snprintf(mode, sizeof mode, "%04o", r->mode);
    snprintf(uid, sizeof uid, "%u", r->uid);
    snprintf(gid, sizeof gid, "%u", r->gid);
    netstring(&sha, r->path, strlen(r->path));
    netstring(&sha, &r->type, 1);
    netstring(&sha, mode, strlen(mode));
    netstring(&sha, uid, strlen(uid));
    netstring(&sha, gid, strlen(gid));
    netstring(&sha, r->payload, strlen(r->payload));
  }
  sha256_hex(&sha, hex);
}

/* ---- context-copy -------------------------------------------------------- */

struct copy {
  int root;            /* the image's root, O_PATH */
  const char *root_name;
  const char *dest;    /* as given: ends in '/' or not */
  uid_t uid;
  gid_t gid;
  bool keep_owners;    /* --keep-owners: each file keeps its source's owner (COPY --from) */
  const char *chmod;   /* --chmod as given (chmod.c); NULL: the source's mode */
  bool into_directory; /* the sources go into DEST/ (several of them, a wildcard, or a trailing '/') */
  unsigned char *buffer;
  struct hasher written; /* the records of what was written, from the bytes written (--expect) */
};

/* DEST's directory PATH (canonical in the root), made with its missing parents (0755,
   owned by the copy's owner, as BuildKit makes them). Returns an O_RDONLY descriptor. */
static int make_destination_directory(struct copy *c, const char *path) {
  bool missing;
  char *canonical = resolve_path(c->root, path, IN_ROOT, true, &missing, c->root_name);
  if (missing) {
    char *made = xstrdup("");
    for (char *p = canonical, *slash; p != NULL; p = slash != NULL ? slash + 1 : NULL) {
      slash = strchr(p, '/');
      size_t len = slash != NULL ? (size_t)(slash - p) : strlen(p);
      char *name = xstrndup(p, len);
      int dir = open_canonical(c->root, made, O_RDONLY | O_DIRECTORY, c->root_name);
      if (mkdirat(dir, name, 0755) < 0) {
        if (errno != EEXIST) die_errno("mkdir %s/%s/%s", c->root_name, made, name);
      } else {
        int fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) die_errno("open %s/%s/%s", c->root_name, made, name);
        if (fchown(fd, c->uid, c->gid) < 0) die_errno("chown %s/%s/%s", c->root_name, made, name);
        close(fd);
      }
      close(dir);
      append_component(&made, name, len);
      free(name);
    }
    free(made);
  }
  int fd = open_canonical(c->root, canonical, O_RDONLY | O_DIRECTORY, c->root_name);
  free(canonical);
  return fd;
}

/* Makes room for a new NAME in DIR: an old file, symlink or FIFO there goes (replaced,
   never written through); a directory stays and is an error for a non-directory. */
static void clear_name(struct copy *c, int dir, const char *name, const char *where, bool for_directory) {
  struct stat st;
  if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno == ENOENT) return;
    die_errno("stat %s/%s", c->root_name, where);
  }
  if (S_ISDIR(st.st_mode)) {
    if (!for_directory) die("%s/%s is a directory: COPY cannot replace it with a file", c->root_name, where);
    return;
  }
  if (unlinkat(dir, name, 0) < 0) die_errno("remove %s/%s", c->root_name, where);
}

/* The owner N gets: its source's with --keep-owners, else the copy's (--chown, or 0:0). */
static uid_t uid_for(const struct copy *c, const struct node *n) {
  return c->keep_owners ? n->st.st_uid : c->uid;
}

static gid_t gid_for(const struct copy *c, const struct node *n) {
  return c->keep_owners ? n->st.st_gid : c->gid;
}

static mode_t mode_for(const struct copy *c, const struct node *n) {
  return chmod_apply(c->chmod, n->st.st_mode, n->kind == DIRECTORY);
}

/* Copies IN to OUT; returns the sha256 in hex of the bytes written. */
static char *copy_data(struct copy *c, int in, int out, const char *from, const char *to) {
  struct sha256 sha;
  sha256_init(&sha);
  for (;;) {
    ssize_t got = read(in, c->buffer, COPY_BUFFER);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) die_errno("read %s", from);
    if (got == 0) break;
    sha256_update(&sha, c->buffer, (size_t)got);
    for (ssize_t done = 0; done < got;) {
      ssize_t n = write(out, c->buffer + done, (size_t)(got - done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) die_errno("write %s", to);
      done += n;
    }
  }
  char *hex = xmalloc(65);
  sha256_hex(&sha, hex);
  return hex;
}

/* A regular file, symlink or FIFO N into DIR as NAME (WHERE: its path in the root). */
static void copy_leaf(struct walk *w, struct node *n, int dir, const char *name, const char *where) {
  struct copy *c = w->data;
  clear_name(c, dir, name, where, false);
  struct timespec times[2] = {n->st.st_mtim, n->st.st_mtim};
  if (n->kind == REGULAR) {
    int in = openat(n->dir_fd, n->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (in < 0) die_errno("open %s/%s", w->context_name, n->rel);
    struct stat st;
    if (fstat(in, &st) < 0) die_errno("fstat %s/%s", w->context_name, n->rel);
    if (!S_ISREG(st.st_mode) || st.st_dev != n->st.st_dev || st.st_ino != n->st.st_ino)
      die("%s/%s was replaced while the context was read", w->context_name, n->rel);
    int out = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (out < 0) die_errno("create %s/%s", c->root_name, where);
    add_record(&c->written, n, copy_data(c, in, out, n->rel, where));
    if (fchown(out, uid_for(c, n), gid_for(c, n)) < 0) die_errno("chown %s/%s", c->root_name, where);
    if (fchmod(out, mode_for(c, n)) < 0) die_errno("chmod %s/%s", c->root_name, where);
    if (futimens(out, times) < 0) die_errno("set the time of %s/%s", c->root_name, where);
    if (close(out) < 0) die_errno("close %s/%s", c->root_name, where);
    close(in);
    return;
  }
  if (n->kind == SYMLINK) {
    char *target = link_target(w, n);
    if (symlinkat(target, dir, name) < 0) die_errno("symlink %s/%s -> %s", c->root_name, where, target);
    add_record(&c->written, n, target);
  } else { /* FIFO: made, never opened */
    add_record(&c->written, n, xstrdup(""));
    if (mknodat(dir, name, S_IFIFO | 0600, 0) < 0) die_errno("mkfifo %s/%s", c->root_name, where);
    if (fchmodat(dir, name, mode_for(c, n), AT_SYMLINK_NOFOLLOW) < 0) die_errno("chmod %s/%s", c->root_name, where);
  }
  if (fchownat(dir, name, uid_for(c, n), gid_for(c, n), AT_SYMLINK_NOFOLLOW) < 0) die_errno("chown %s/%s", c->root_name, where);
  if (utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW) < 0) die_errno("set the time of %s/%s", c->root_name, where);
}

/* A directory of the source: the top one is DEST itself, the others DEST/SUB. An existing
   directory is kept as it is (a symlink there is followed inside the root, as Docker does);
   a new one gets the source's mode and the copy's owner. */
static void copy_directory(struct walk *w, struct node *n) {
  struct copy *c = w->data;
  if (n->parent == NULL) {
    n->out_path = xstrdup(c->dest);
    n->out_fd = make_destination_directory(c, c->dest);
    return;
  }
  add_record(&c->written, n, xstrdup(""));
  const struct node *p = n->parent;
  n->out_path = join(p->out_path, n->name);
  struct stat st;
  if (fstatat(p->out_fd, n->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
    die("%s/%s is not a directory: COPY cannot copy the directory %s over it", c->root_name, n->out_path, n->rel);
  if (mkdirat(p->out_fd, n->name, 0700) == 0) {
    n->out_fd = openat(p->out_fd, n->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (n->out_fd < 0) die_errno("open %s/%s", c->root_name, n->out_path);
    if (fchown(n->out_fd, uid_for(c, n), gid_for(c, n)) < 0) die_errno("chown %s/%s", c->root_name, n->out_path);
    if (fchmod(n->out_fd, mode_for(c, n)) < 0) die_errno("chmod %s/%s", c->root_name, n->out_path);
    return;
  }
  if (errno != EEXIST) die_errno("mkdir %s/%s", c->root_name, n->out_path);
  /* there already: a directory, or a symlink of the image resolved inside the root */
  n->out_fd = make_destination_directory(c, n->out_path);
}

static void copy_visit(struct walk *w, struct node *n) {
  struct copy *c = w->data;
  if (n->kind == DIRECTORY) {
    copy_directory(w, n);
    return;
  }
  if (n->parent != NULL) {
    char *where = join(n->parent->out_path, n->name);
    copy_leaf(w, n, n->parent->out_fd, n->name, where);
    free(where);
    return;
  }
  /* a source that is a file: DEST/NAME, or DEST itself (file to file) */
  size_t len = strlen(c->dest);
  bool into = c->into_directory || (len > 0 && c->dest[len - 1] == '/');
  if (!into) {
    bool missing;
    char *canonical = resolve_path(c->root, c->dest, IN_ROOT, true, &missing, c->root_name);
    struct stat st;
    if (!missing) {
      int fd = open_canonical(c->root, canonical, O_PATH, c->root_name);
      if (fstat(fd, &st) < 0) die_errno("fstat %s/%s", c->root_name, canonical);
      into = S_ISDIR(st.st_mode); /* an existing directory: the file goes into it */
      close(fd);
    }
    free(canonical);
  }
  char *dir_path, *name;
  if (into) {
    dir_path = xstrdup(c->dest);
    name = xstrdup(n->as);
  } else {
    char *cleaned = clean_path_text(c->dest, len, true);
    if (strcmp(cleaned, ".") == 0) die("COPY to the image's root needs a directory source or a trailing '/'");
    char *slash = strrchr(cleaned, '/');
    name = xstrdup(slash != NULL ? slash + 1 : cleaned);
    if (slash != NULL) *slash = '\0';
    else cleaned[0] = '\0';
    dir_path = cleaned;
  }
  int dir = make_destination_directory(c, dir_path);
  char *where = join(dir_path, name);
  copy_leaf(w, n, dir, name, where);
  close(dir);
  free(where);
  free(dir_path);
  free(name);
}

/* ---- arguments ----------------------------------------------------------- */

static unsigned long parse_number(const char *text, int base, unsigned long max, const char *what) {
  char *end;
  errno = 0;
  unsigned long value = strtoul(text, &end, base);
  if (text[0] < '0' || text[0] > '9' || errno != 0 || *end != '\0' || value > max) die("%s: %s is not a number from 0 to %lu", what, text, max);
  return value;
}

/* --chown UID[:GID] (numbers: the compiler resolves names in the image's /etc/passwd); a
   UID alone means the same GID, as Docker's COPY --chown does. */
static void parse_chown(const char *text, uid_t *uid, gid_t *gid) {
  char *copy = xstrdup(text);
  char *colon = strchr(copy, ':');
  if (colon != NULL) *colon = '\0';
  *uid = (uid_t)parse_number(copy, 10, 0xfffffffeUL, "--chown");
  *gid = colon != NULL ? (gid_t)parse_number(colon + 1, 10, 0xfffffffeUL, "--chown") : (gid_t)*uid;
  free(copy);
}

struct context_args {
  const char *context, *ignore_file, *rootfs, *dest, *chown, *chmod, *expect;
  bool keep_owners;
  char **sources;
  size_t n_sources;
  struct ignore exclude;
};

static void context_usage(void) {
  fputs("usage: tupper-init context-hash --context DIR [--ignore-file F] [--include SOURCE]...\n"
        "                   [--chown UID[:GID] | --keep-owners] [--chmod MODE] [--exclude PATTERN]...\n"
        "       tupper-init context-copy --context DIR --rootfs ROOT --dest PATH [--ignore-file F]\n"
        "                   [--chown UID[:GID] | --keep-owners] [--chmod MODE] [--exclude PATTERN]...\n"
        "                   [--expect sha256:HEX] [--] SOURCE...\n"
        "       tupper-init context-owner --rootfs ROOT USER[:GROUP]\n"
        "       tupper-init context-stubs --rootfs ROOT --missing|--remove PATH...\n"
        "       tupper-init context-match --ignore-file F PATH...\n"
        "       tupper-init context-sha256 < FILE\n",
        stderr);
  exit(125);
}

static void parse_context_args(int argc, char **argv, struct context_args *a) {
  bool rest = false;
  for (int i = 2; i < argc; i++) {
    const char *arg = argv[i];
    bool more = i + 1 < argc;
    if (rest || arg[0] != '-') {
      a->sources = xreallocarray(a->sources, a->n_sources + 1, sizeof *a->sources);
      a->sources[a->n_sources++] = argv[i];
    } else if (strcmp(arg, "--") == 0) {
      rest = true;
    } else if (strcmp(arg, "--context") == 0 && more) {
      a->context = argv[++i];
    } else if (strcmp(arg, "--ignore-file") == 0 && more) {
      a->ignore_file = argv[++i];
    } else if (strcmp(arg, "--include") == 0 && more) {
      a->sources = xreallocarray(a->sources, a->n_sources + 1, sizeof *a->sources);
      a->sources[a->n_sources++] = argv[++i];
    } else if (strcmp(arg, "--rootfs") == 0 && more) {
      a->rootfs = argv[++i];
    } else if (strcmp(arg, "--dest") == 0 && more) {
      a->dest = argv[++i];
    } else if (strcmp(arg, "--chown") == 0 && more) {
      a->chown = argv[++i];
    } else if (strcmp(arg, "--keep-owners") == 0) {
      a->keep_owners = true;
    } else if (strcmp(arg, "--chmod") == 0 && more) {
      a->chmod = argv[++i];
    } else if (strcmp(arg, "--expect") == 0 && more) {
      a->expect = argv[++i];
    } else if (strcmp(arg, "--exclude") == 0 && more) {
      ignore_add(&a->exclude, argv[i + 1], strlen(argv[i + 1]), "--exclude");
      i++;
    } else {
      die("%s: unknown or incomplete option %s", argv[1], arg);
    }
  }
}

static int open_root(const char *path, const char *what) {
  int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die_errno("open the %s %s", what, path);
  return fd;
}

static void setup_walk(struct walk *w, struct context_args *a, struct ignore *ignore) {
  if (a->context == NULL) context_usage();
  if (a->ignore_file != NULL) ignore_read_file(ignore, a->ignore_file);
  w->context = open_root(a->context, "build context");
  w->context_name = a->context;
  w->ignore = ignore;
  if (getenv("TUPPER_CONTEXT_NO_OPENAT2") != NULL) no_openat2 = true; /* tests: the fallback path */
}

static void context_hash(struct context_args *a) {
  struct ignore ignore = {0};
  struct walk w = {0};
  setup_walk(&w, a, &ignore);
  if (a->keep_owners && a->chown != NULL) die("context-hash: --chown and --keep-owners: give one");
  struct hasher h = {.chmod = a->chmod, .keep_owners = a->keep_owners};
  h.buffer = xmalloc(COPY_BUFFER);
  if (a->chown != NULL) parse_chown(a->chown, &h.uid, &h.gid);
  if (a->chmod != NULL) chmod_check(a->chmod);
  w.data = &h;
  w.visit = hash_visit;
  w.exclude = &a->exclude;
  struct sources sources = {0};
  char *everything[] = {"."};
  resolve_sources(&w, a->n_sources > 0 ? a->sources : everything, a->n_sources > 0 ? a->n_sources : 1, &sources);
  for (size_t i = 0; i < sources.n; i++) walk_source(&w, sources.rel[i], sources.name[i]);
  char hex[65];
  files_digest(&h, hex);
  printf("sha256:%s\n", hex);
  if (fflush(stdout) != 0 || ferror(stdout)) die_errno("write the digest");
  exit(0);
}

static void context_copy(struct context_args *a) {
  struct ignore ignore = {0};
  struct walk w = {0};
  setup_walk(&w, a, &ignore);
  if (a->rootfs == NULL || a->dest == NULL || a->n_sources == 0) context_usage();
  if (a->keep_owners && a->chown != NULL) die("context-copy: --chown and --keep-owners: give one");
  struct copy c = {.root_name = a->rootfs, .dest = a->dest, .chmod = a->chmod, .keep_owners = a->keep_owners};
  c.root = open_root(a->rootfs, "image root");
  c.buffer = xmalloc(COPY_BUFFER);
  if (a->chown != NULL) parse_chown(a->chown, &c.uid, &c.gid);
  if (a->chmod != NULL) chmod_check(a->chmod);
  if (a->expect != NULL && (strncmp(a->expect, "sha256:", 7) != 0 || strlen(a->expect) != 7 + 64 ||
                            strspn(a->expect + 7, "0123456789abcdef") != 64))
    die("--expect %s: not sha256: and 64 lowercase hex digits", a->expect);
  c.written = (struct hasher){.uid = c.uid, .gid = c.gid, .chmod = c.chmod, .keep_owners = c.keep_owners};
  size_t dest_len = strlen(a->dest);
  bool trailing_slash = dest_len > 0 && a->dest[dest_len - 1] == '/';
  if (a->n_sources > 1 && !trailing_slash)
    die("COPY with more than one source: the destination %s must be a directory and end with a /", a->dest);
  struct sources sources = {0};
  resolve_sources(&w, a->sources, a->n_sources, &sources);
  c.into_directory = trailing_slash || sources.n > 1;
  w.data = &c;
  w.visit = copy_visit;
  w.exclude = &a->exclude;
  umask(0);
  for (size_t i = 0; i < sources.n; i++) walk_source(&w, sources.rel[i], sources.name[i]);
  /* The layer is stored under the key of what context-hash read before; a context rewritten
     in place since (same inode: every device and inode check passes) would put other bytes
     under that key, for every later build to reuse. The digest of what was written must be
     the one the key was made from. */
  if (a->expect != NULL) {
    char hex[65];
    files_digest(&c.written, hex);
    if (strcmp(hex, a->expect + 7) != 0)
      die("%s changed while it was copied: what was copied is sha256:%s, not %s as it was when the step's cache key was made", a->context, hex, a->expect);
  }
  exit(0);
}

/* Prints, for each PATH, "excluded PATH" or "included PATH" (MatchesOrParentMatches). */
static void context_match(struct context_args *a) {
  struct ignore ignore = {0};
  if (a->ignore_file == NULL) context_usage();
  ignore_read_file(&ignore, a->ignore_file);
  unsigned char *bits = xmalloc(ignore.n + 1);
  for (size_t i = 0; i < a->n_sources; i++)
    printf("%s %s\n", ignore_match(&ignore, a->sources[i], NULL, bits) ? "excluded" : "included", a->sources[i]);
  if (fflush(stdout) != 0) die_errno("write the result");
  exit(0);
}

/* An image's user database, before it is read: a regular file or nothing. A FIFO would block
   the build forever and a device (/etc/passwd -> /dev/zero) would be read without end. */
static void check_database(const char *path) {
  struct stat st;
  if (lstat(path, &st) < 0) {
    if (errno == ENOENT) return;
    die_errno("lstat %s in the image", path);
  }
  if (S_ISLNK(st.st_mode) && stat(path, &st) < 0) {
    if (errno == ENOENT) return;
    die_errno("stat %s in the image", path);
  }
  if (!S_ISREG(st.st_mode)) die("%s in the image is not a regular file; tupper reads no user names from it", path);
}

/*
 * COPY/ADD --chown=USER[:GROUP] with names: resolved in the image's own /etc/passwd and
 * /etc/group, as BuildKit's file op does (solver/llbsolver/file/user_linux.go readUser): a
 * name takes its passwd uid and primary gid, a number alone the same number as gid, GROUP
 * (a name in /etc/group, or a number) replaces the gid. The image's root is hostile (its
 * /etc/passwd may be a link to the host's /etc/shadow): as Docker's chrootarchive does, the
 * process chroot()s into ROOT before it opens anything there, so every link resolves inside
 * the image; then users.c reads the files, as it does for a service's USER.
 */
static void context_owner(struct context_args *a) {
  if (a->rootfs == NULL || a->n_sources != 1) context_usage();
  char *spec = xstrdup(a->sources[0]);
  char *group = strchr(spec, ':');
  if (group != NULL) *group++ = '\0';
  if (spec[0] == '\0' || (group != NULL && group[0] == '\0')) die("--chown=%s is not USER[:GROUP]", a->sources[0]);
  if (chdir(a->rootfs) < 0) die_errno("chdir %s", a->rootfs);
  if (chroot(".") < 0) die_errno("chroot %s", a->rootfs);
  if (chdir("/") < 0) die_errno("chdir / in %s", a->rootfs);
  check_database("/etc/passwd");
  check_database("/etc/group");
  uid_t uid;
  gid_t gid;
  if (spec[strspn(spec, "0123456789")] == '\0') {
    uid = (uid_t)parse_number(spec, 10, 0xfffffffeUL, "--chown");
    gid = (gid_t)uid;
  } else {
    struct credentials who = {0};
    resolve_user(spec, &who);
    uid = who.uid;
    gid = who.gid;
  }
  if (group != NULL) gid = resolve_group(group);
  printf("%lu:%lu\n", (unsigned long)uid, (unsigned long)gid);
  if (fflush(stdout) != 0 || ferror(stdout)) die_errno("write the owner");
  free(spec);
  exit(0);
}

static void context_sha256(void) {
  struct sha256 sha;
  sha256_init(&sha);
  unsigned char *buffer = xmalloc(COPY_BUFFER);
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buffer, COPY_BUFFER);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die_errno("read stdin");
    if (n == 0) break;
    sha256_update(&sha, buffer, (size_t)n);
  }
  char hex[65];
  sha256_hex(&sha, hex);
  printf("%s\n", hex);
  exit(0);
}

/* ---- context-stubs: the mount points a build step's mounts left in its layer ---------- */

/*
 * A RUN step's mounts (bind, cache, secret, tmpfs) need their targets to exist in the
 * image's root, and tupper-init makes what is missing: empty files and directories that
 * would stay in the step's layer. BuildKit removes them after the step (its executor's
 * MountStubsCleaner); so does the script, in two calls:
 *   context-stubs --rootfs ROOT --missing PATH...  (before the step, on the image's tree)
 *       prints, a line each, every prefix of each PATH that does not exist, shallowest
 *       first (a PATH with a newline in it is skipped); a symlink on the way ends that PATH's
 *       walk (tupper-init refuses to mount through one, so it made no stub past it);
 *   context-stubs --rootfs ROOT --remove PATH...   (after it, on the step's new layer)
 *       removes each PATH, the last given first, when it is an empty file or an empty
 *       directory reached without any symlink; anything else is left as it is (the step
 *       may have written there).
 * The layer is written by the step (hostile), so every path is opened below ROOT without
 * following a symlink, and a path that cannot be reached so is skipped, never an error.
 */

/* PATH (canonical, relative) below ROOT, opened with FLAGS and no symlink followed; -1 when
   that fails for any reason (missing, a symlink on the way, not a directory). */
static int open_quietly(int root, const char *path, int flags) {
  if (path[0] == '\0') return openat(root, ".", flags | O_CLOEXEC);
  struct open_how how = {.flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof how);
  if (fd >= 0 || errno != ENOSYS) return fd;
  int dir = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  char *copy = xstrdup(path), *name = copy;
  for (char *slash; dir >= 0 && (slash = strchr(name, '/')) != NULL; name = slash + 1) {
    *slash = '\0';
    int next = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(dir);
    dir = next;
  }
  fd = dir >= 0 ? openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC) : -1;
  if (dir >= 0) close(dir);
  free(copy);
  return fd;
}

static void stubs_missing(int root, const char *given) {
  char *path = clean_path_text(given, strlen(given), true);
  if (strcmp(path, ".") == 0 || strchr(path, '\n') != NULL) {
    free(path);
    return;
  }
  bool missing = false;
  for (char *end = path;; end++) {
    if (*end != '/' && *end != '\0') continue;
    char keep = *end;
    *end = '\0';
    if (!missing) {
      char *parent = xstrdup(path), *slash = strrchr(parent, '/');
      const char *name = slash != NULL ? slash + 1 : parent;
      if (slash != NULL) *slash = '\0';
      int dir = open_quietly(root, slash != NULL ? parent : "", O_PATH | O_DIRECTORY);
      struct stat st;
      if (dir < 0) {
        free(parent);
        *end = keep;
        break; /* a symlink (or a file) on the way: no stub this walk can find */
      }
      if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno != ENOENT) die_errno("stat %s/%s", "the image root", path);
        missing = true;
      } else if (S_ISLNK(st.st_mode)) {
        close(dir);
        free(parent);
        *end = keep;
        break;
      }
      close(dir);
      free(parent);
    }
    if (missing) {
      printf("/%s\n", path);
    }
    *end = keep;
    if (keep == '\0') break;
  }
  free(path);
}

static void stubs_remove(int root, const char *given) {
  char *path = clean_path_text(given, strlen(given), true);
  char *slash = strrchr(path, '/');
  const char *name = slash != NULL ? slash + 1 : path;
  if (slash != NULL) *slash = '\0';
  int dir = strcmp(path, ".") == 0 ? -1 : open_quietly(root, slash != NULL ? path : "", O_RDONLY | O_DIRECTORY);
  struct stat st;
  if (dir >= 0 && fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (S_ISREG(st.st_mode) && st.st_size == 0) {
      if (unlinkat(dir, name, 0) < 0) die_errno("remove the mount point %s", given);
    } else if (S_ISDIR(st.st_mode)) {
      if (unlinkat(dir, name, AT_REMOVEDIR) < 0 && errno != ENOTEMPTY && errno != EEXIST) die_errno("remove the mount point %s", given);
    }
  }
  if (dir >= 0) close(dir);
  free(path);
}

static void context_stubs(int argc, char **argv) {
  if (argc < 5 || strcmp(argv[2], "--rootfs") != 0 || (strcmp(argv[4], "--missing") != 0 && strcmp(argv[4], "--remove") != 0))
    context_usage();
  int root = open_root(argv[3], "image root");
  if (strcmp(argv[4], "--missing") == 0) {
    for (int i = 5; i < argc; i++) stubs_missing(root, argv[i]);
  } else {
    for (int i = argc - 1; i >= 5; i--) stubs_remove(root, argv[i]);
  }
  if (fflush(stdout) != 0 || ferror(stdout)) die_errno("write the mount points");
  exit(0);
}

void context_main(int argc, char **argv) {
  if (argc < 2) return;
  struct context_args a = {0};
  if (strcmp(argv[1], "context-sha256") == 0) context_sha256();
  if (strcmp(argv[1], "context-stubs") == 0) context_stubs(argc, argv);
  bool hash = strcmp(argv[1], "context-hash") == 0, copy = strcmp(argv[1], "context-copy") == 0;
  bool match = strcmp(argv[1], "context-match") == 0, owner = strcmp(argv[1], "context-owner") == 0;
  if (!hash && !copy && !match && !owner) return;
  parse_context_args(argc, argv, &a);
  if (owner) context_owner(&a);
  if (hash) context_hash(&a);
  if (copy) context_copy(&a);
  context_match(&a);
}
