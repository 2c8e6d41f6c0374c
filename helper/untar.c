/*
 * untar.c: `tupper-init --untar DIR [--overlay-whiteouts]` applies one image layer, a tar
 * stream on stdin (the script decompresses it), to DIR.
 *
 * As Docker's chrootarchive does, the process chroot()s into DIR before it reads a byte, so
 * every path in the archive, every symlink the archive makes and every symlink already in DIR
 * (a lower layer's, e.g. Debian's /var/run -> /run) resolves inside DIR: `..` stops at DIR's
 * root and an absolute symlink points into DIR. Nothing outside DIR can be written, whatever
 * the archive holds, and a legitimate layer lands where the image means it to.
 *
 * Whiteouts (OCI image spec, layer.md): `.wh.NAME` deletes NAME of the lower layers and
 * `.wh..wh..opq` hides every lower entry of its directory. Without --overlay-whiteouts, DIR is
 * the parent layer's files (a btrfs snapshot or a copy), and they are removed. With it, DIR is
 * one layer of an overlay stack and starts empty: they become what overlayfs reads, a 0/0
 * character device and the trusted.overlay.opaque xattr.
 *
 * Supported: ustar, GNU long names (L, K) and pax headers (path, linkpath, size, uid, gid,
 * mtime, SCHILY.xattr.*); regular files, hard links, symlinks, directories, character and
 * block devices, FIFOs. Anything else (sparse files, volume labels) is refused by name.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "untar.h"

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void die_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define BLOCK 512
#define MAX_XATTRS 64

struct xattr {
  char *name, *value;
  size_t size;
};

/* One archive entry, its header merged with the pax or GNU headers that came before it. */
struct entry {
  char type;
  char *path, *link; /* path is absolute in the chroot, without a trailing slash ("/" for the root) */
  mode_t mode;
  uid_t uid;
  gid_t gid;
  unsigned long long size;
  struct timespec mtime;
  dev_t device;
  struct xattr xattrs[MAX_XATTRS];
  int n_xattrs;
  bool pax_size, pax_uid, pax_gid, pax_mtime; /* set by a pax header: the ustar field is ignored */
};

/* Paths this layer has made: an opaque directory keeps them and loses the rest. */
struct made {
  char **paths;
  size_t n, cap;
};

/* Directories this layer has made, with their times: set again at the end, since making their
   contents changed them. */
struct directory_time {
  char *path;
  struct timespec mtime;
};
struct directory_times {
  struct directory_time *dirs;
  size_t n, cap;
};

/* ---- reading ----------------------------------------------------------- */

static void read_exactly(void *buf, size_t size) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = read(STDIN_FILENO, (char *)buf + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die_errno("read the layer");
    if (n == 0) die("the layer ends in the middle of an entry (a truncated archive)");
    got += (size_t)n;
  }
}

static unsigned long long padded(unsigned long long size) { return (size + BLOCK - 1) / BLOCK * BLOCK; }

/* The data of an entry whose size we hold in memory (pax records, long names). */
static char *read_data(unsigned long long size, const char *what) {
  if (size > 1 << 24) die("a %s of %llu bytes: the layer is not a sane archive", what, size);
  char *data = malloc(padded(size) + 1);
  if (data == NULL) die("out of memory");
  read_exactly(data, padded(size));
  data[size] = '\0';
  return data;
}

static void skip_data(unsigned long long size) {
  char buf[64 * BLOCK];
  for (unsigned long long left = padded(size); left > 0;) {
    size_t n = left < sizeof buf ? (size_t)left : sizeof buf;
    read_exactly(buf, n);
    left -= n;
  }
}

/* A numeric header field: octal text, or base-256 when the first byte's high bit is set. */
static unsigned long long header_number(const unsigned char *field, size_t len) {
  unsigned long long value = 0;
  if (field[0] & 0x80) {
    value = field[0] & 0x7f;
    for (size_t i = 1; i < len; i++) value = value << 8 | field[i];
    return value;
  }
  size_t i = 0;
  while (i < len && (field[i] == ' ' || field[i] == '\0')) i++;
  for (; i < len && field[i] >= '0' && field[i] <= '7'; i++) value = value * 8 + (field[i] - '0');
  return value;
}

static bool checksum_ok(const unsigned char *h) {
  unsigned long long sum = 0;
  for (int i = 0; i < BLOCK; i++) sum += (i >= 148 && i < 156) ? ' ' : h[i];
  return sum == header_number(h + 148, 8);
}

/* "/a/b" from an archive name ("./a/b/", "a//b", "/a/b"): absolute, no ".", no trailing slash. */
static char *clean_path(const char *name) {
  char *out = malloc(strlen(name) + 2);
  if (out == NULL) die("out of memory");
  size_t len = 0;
  for (const char *p = name; *p != '\0';) {
    while (*p == '/') p++;
    const char *end = strchrnul(p, '/');
    size_t n = (size_t)(end - p);
    if (n > 0 && !(n == 1 && p[0] == '.')) {
      out[len++] = '/';
      memcpy(out + len, p, n);
      len += n;
    }
    p = end;
  }
  if (len == 0) out[len++] = '/';
  out[len] = '\0';
  return out;
}

/* pax records "LEN key=value\n" for the next entry (type x). */
static void apply_pax(struct entry *e, const char *data, unsigned long long size) {
  const char *p = data, *end = data + size;
  while (p < end) {
    char *after;
    unsigned long len = strtoul(p, &after, 10);
    if (len == 0 || after >= end || *after != ' ' || p + len > end || p[len - 1] != '\n') die("a malformed pax header record");
    const char *key = after + 1, *eq = memchr(key, '=', (size_t)(p + len - key));
    if (eq == NULL) die("a pax header record without '='");
    size_t key_len = (size_t)(eq - key), value_len = (size_t)(p + len - 1 - (eq + 1));
    char *value = strndup(eq + 1, value_len);
    if (value == NULL) die("out of memory");
    if (key_len == 4 && memcmp(key, "path", 4) == 0) e->path = value;
    else if (key_len == 8 && memcmp(key, "linkpath", 8) == 0) e->link = value;
    else if (key_len == 4 && memcmp(key, "size", 4) == 0) e->size = strtoull(value, NULL, 10), e->pax_size = true;
    else if (key_len == 3 && memcmp(key, "uid", 3) == 0) e->uid = (uid_t)strtoul(value, NULL, 10), e->pax_uid = true;
    else if (key_len == 3 && memcmp(key, "gid", 3) == 0) e->gid = (gid_t)strtoul(value, NULL, 10), e->pax_gid = true;
    else if (key_len == 5 && memcmp(key, "mtime", 5) == 0) e->mtime.tv_sec = strtoll(value, NULL, 10), e->pax_mtime = true;
    else if (key_len > 12 && memcmp(key, "SCHILY.xattr.", 13) == 0) {
      if (e->n_xattrs == MAX_XATTRS) die("more than %d xattrs on one entry", MAX_XATTRS);
      struct xattr *x = &e->xattrs[e->n_xattrs++];
      x->name = strndup(key + 13, key_len - 13);
      x->value = value;
      x->size = value_len;
      if (x->name == NULL) die("out of memory");
      value = NULL;
    }
    if (value != e->path && value != e->link) free(value);
    p += len;
  }
}

/*
 * Reads the next entry's headers into *e (false at the end of the archive). Pax and GNU
 * long-name headers only carry over to the entry after them.
 */
static bool read_entry(struct entry *e) {
  unsigned char h[BLOCK];
  *e = (struct entry){0};
  char *long_name = NULL, *long_link = NULL;
  for (;;) {
    read_exactly(h, BLOCK);
    bool zero = true;
    for (int i = 0; i < BLOCK && zero; i++) zero = h[i] == 0;
    if (zero) return false;
    if (!checksum_ok(h)) die("a tar header with a bad checksum: the layer is not a tar archive, or is corrupt");
    char type = (char)h[156];
    unsigned long long size = header_number(h + 124, 12);
    if (type == 'x') {
      char *data = read_data(size, "pax header");
      apply_pax(e, data, size);
      free(data);
      continue;
    }
    if (type == 'g') { /* global pax header: nothing tupper keeps depends on it */
      skip_data(size);
      continue;
    }
    if (type == 'L' || type == 'K') {
      char *data = read_data(size, "long name");
      if (type == 'L') long_name = data;
      else long_link = data;
      continue;
    }
    e->type = type == '\0' || type == '7' ? '0' : type;
    if (e->path == NULL) {
      if (long_name != NULL) e->path = long_name;
      else {
        char name[256 + 2] = "";
        if (memcmp(h + 257, "ustar", 5) == 0 && h[345] != '\0') {
          snprintf(name, sizeof name, "%.155s/%.100s", (const char *)h + 345, (const char *)h);
        } else snprintf(name, sizeof name, "%.100s", (const char *)h);
        e->path = strdup(name);
      }
    }
    if (e->link == NULL) e->link = long_link != NULL ? long_link : strndup((const char *)h + 157, 100);
    if (e->path == NULL || e->link == NULL) die("out of memory");
    char *raw = e->path;
    e->path = clean_path(raw);
    free(raw);
    if (!e->pax_size) e->size = size;
    e->mode = (mode_t)header_number(h + 100, 8) & 07777;
    if (!e->pax_uid) e->uid = (uid_t)header_number(h + 108, 8);
    if (!e->pax_gid) e->gid = (gid_t)header_number(h + 116, 8);
    if (!e->pax_mtime) e->mtime.tv_sec = (time_t)header_number(h + 136, 12);
    e->device = makedev(header_number(h + 329, 8), header_number(h + 337, 8));
    return true;
  }
}

/* ---- writing ----------------------------------------------------------- */

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)ftw;
  if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT) die_errno("remove %s", path);
  return 0;
}

/* Removes PATH and, if it is a directory, all below it, never following a symlink. */
static void remove_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st) < 0) {
    if (errno == ENOENT) return;
    die_errno("lstat %s", path);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (unlink(path) < 0) die_errno("remove %s", path);
    return;
  }
  if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0) die_errno("remove %s", path);
}

static char *parent_of(const char *path) {
  char *parent = strdup(path);
  if (parent == NULL) die("out of memory");
  char *slash = strrchr(parent, '/');
  if (slash == parent) slash[1] = '\0';
  else *slash = '\0';
  return parent;
}

/* mkdir -p DIR (a layer may leave out the directories above an entry). */
static void make_directories(const char *dir) {
  char *path = strdup(dir);
  if (path == NULL) die("out of memory");
  for (char *p = path + 1;; p++) {
    if (*p != '/' && *p != '\0') continue;
    char c = *p;
    *p = '\0';
    if (p > path + 1 && mkdir(path, 0755) < 0 && errno != EEXIST) die_errno("mkdir %s", path);
    *p = c;
    if (c == '\0') break;
  }
  free(path);
}

static void make_parents(const char *path) {
  char *dir = parent_of(path);
  make_directories(dir);
  free(dir);
}

static void remember(struct made *made, const char *path) {
  if (made->n == made->cap) {
    made->cap = made->cap ? made->cap * 2 : 256;
    made->paths = realloc(made->paths, made->cap * sizeof *made->paths);
    if (made->paths == NULL) die("out of memory");
  }
  made->paths[made->n] = strdup(path);
  if (made->paths[made->n++] == NULL) die("out of memory");
}

static bool was_made(const struct made *made, const char *path) {
  for (size_t i = 0; i < made->n; i++)
    if (strcmp(made->paths[i], path) == 0) return true;
  return false;
}

/* `.wh..wh..opq` in DIR: the lower layers' entries of DIR are hidden, this layer's stay. */
static void make_opaque(const char *dir, bool overlay, const struct made *made) {
  make_directories(dir);
  if (overlay) {
    if (lsetxattr(dir, "trusted.overlay.opaque", "y", 1, 0) < 0) die_errno("set trusted.overlay.opaque on %s", dir);
    return;
  }
  DIR *d = opendir(dir);
  if (d == NULL) die_errno("opendir %s", dir);
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
    char *child = strcmp(dir, "/") == 0 ? xasprintf("/%s", de->d_name) : xasprintf("%s/%s", dir, de->d_name);
    if (!was_made(made, child)) remove_tree(child);
    free(child);
  }
  closedir(d);
}

/* `.wh.NAME`: NAME of the lower layers is deleted (an overlay: hidden by a 0/0 device). */
static void whiteout(const char *path, bool overlay) {
  remove_tree(path);
  if (!overlay) return;
  make_parents(path);
  if (mknod(path, S_IFCHR | 0, makedev(0, 0)) < 0) die_errno("mknod whiteout %s", path);
}

/* Makes room for a new entry at PATH: whatever is there goes, except a directory that stays one. */
static void clear_place(const char *path, bool keep_directory) {
  struct stat st;
  if (lstat(path, &st) < 0) {
    if (errno != ENOENT) die_errno("lstat %s", path);
    make_parents(path);
    return;
  }
  if (keep_directory && S_ISDIR(st.st_mode)) return;
  remove_tree(path);
}

static void copy_data(int fd, const char *path, unsigned long long size) {
  char buf[64 * BLOCK];
  unsigned long long left = padded(size), data_left = size;
  while (left > 0) {
    size_t n = left < sizeof buf ? (size_t)left : sizeof buf;
    read_exactly(buf, n);
    size_t data = data_left < n ? (size_t)data_left : n;
    for (size_t done = 0; done < data;) {
      ssize_t w = write(fd, buf + done, data - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) die_errno("write %s", path);
      done += (size_t)w;
    }
    data_left -= data;
    left -= n;
  }
}

/* Owner, then mode (chown clears set-id bits), xattrs and mtime, never through a symlink. */
static void set_metadata(const struct entry *e) {
  if (lchown(e->path, e->uid, e->gid) < 0) die_errno("chown %s to %u:%u", e->path, (unsigned)e->uid, (unsigned)e->gid);
  if (e->type != '2' && chmod(e->path, e->mode) < 0) die_errno("chmod %s", e->path);
  for (int i = 0; i < e->n_xattrs; i++) {
    const struct xattr *x = &e->xattrs[i];
    if (strncmp(x->name, "trusted.overlay.", 16) == 0) die("%s carries the xattr %s: a layer may not set overlayfs's own attributes", e->path, x->name);
    if (lsetxattr(e->path, x->name, x->value, x->size, 0) < 0) die_errno("set xattr %s on %s", x->name, e->path);
  }
  struct timespec times[2] = {e->mtime, e->mtime};
  if (utimensat(AT_FDCWD, e->path, times, AT_SYMLINK_NOFOLLOW) < 0) die_errno("set the time of %s", e->path);
}

static void remember_time(struct directory_times *times, const struct entry *e) {
  if (times->n == times->cap) {
    times->cap = times->cap ? times->cap * 2 : 64;
    times->dirs = realloc(times->dirs, times->cap * sizeof *times->dirs);
    if (times->dirs == NULL) die("out of memory");
  }
  times->dirs[times->n++] = (struct directory_time){strdup(e->path), e->mtime};
  if (times->dirs[times->n - 1].path == NULL) die("out of memory");
}

static void write_entry(struct entry *e, bool overlay, struct made *made, struct directory_times *times) {
  const char *base = strrchr(e->path, '/') + 1;
  if (strncmp(base, ".wh.", 4) == 0) {
    char *dir = parent_of(e->path);
    if (strcmp(base, ".wh..wh..opq") == 0) make_opaque(dir, overlay, made);
    else {
      char *target = strcmp(dir, "/") == 0 ? xasprintf("/%s", base + 4) : xasprintf("%s/%s", dir, base + 4);
      whiteout(target, overlay);
      free(target);
    }
    free(dir);
    skip_data(e->size);
    return;
  }
  unsigned long long data = 0;
  switch (e->type) {
    case '0': {
      clear_place(e->path, false);
      int fd = open(e->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0) die_errno("create %s", e->path);
      copy_data(fd, e->path, e->size);
      if (close(fd) < 0) die_errno("close %s", e->path);
      break;
    }
    case '1': {
      char *target = clean_path(e->link);
      clear_place(e->path, false);
      if (link(target, e->path) < 0) die_errno("hard-link %s to %s", e->path, target);
      free(target);
      remember(made, e->path);
      skip_data(e->size);
      return; /* the link shares the target's metadata */
    }
    case '2':
      clear_place(e->path, false);
      if (symlink(e->link, e->path) < 0) die_errno("symlink %s -> %s", e->path, e->link);
      data = e->size;
      break;
    case '5':
      clear_place(e->path, true);
      if (mkdir(e->path, 0700) < 0 && errno != EEXIST) die_errno("mkdir %s", e->path);
      remember_time(times, e);
      data = e->size;
      break;
    case '3':
    case '4':
    case '6': {
      mode_t kind = e->type == '3' ? S_IFCHR : e->type == '4' ? S_IFBLK : S_IFIFO;
      clear_place(e->path, false);
      if (mknod(e->path, kind | 0600, e->type == '6' ? 0 : e->device) < 0) die_errno("mknod %s", e->path);
      data = e->size;
      break;
    }
    default:
      die("%s is a tar entry of type '%c', which tupper does not extract (sparse files and volume labels are not image content)", e->path, e->type);
  }
  skip_data(data);
  set_metadata(e);
  remember(made, e->path);
}

void untar_layer(const char *dir, bool overlay_whiteouts) {
  if (chroot(dir) < 0) die_errno("chroot %s", dir);
  if (chdir("/") < 0) die_errno("chdir / in %s", dir);
  umask(0);
  struct made made = {0};
  struct directory_times times = {0};
  struct entry e;
  while (read_entry(&e)) write_entry(&e, overlay_whiteouts, &made, &times);
  for (size_t i = times.n; i-- > 0;) {
    struct timespec both[2] = {times.dirs[i].mtime, times.dirs[i].mtime};
    if (utimensat(AT_FDCWD, times.dirs[i].path, both, AT_SYMLINK_NOFOLLOW) < 0) die_errno("set the time of %s", times.dirs[i].path);
  }
  exit(0);
}
