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
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "untar.h"
#include "util.h"

/*
 * The archive is hostile (a registry's, an image's). Every length and number in it is checked
 * before it is used: a number field is all digits (no sign, no junk, no overflow), a length is
 * checked against what is left of its buffer before anything is read at it, a size is bounded
 * so that its padding to 512 bytes cannot wrap, and a name is bounded and holds no NUL. Go's
 * archive/tar, which Docker and containerd use, checks the same: parseNumeric/parseOctal
 * refuse junk and overflow, parsePAXRecord refuses a length past the end or without its
 * newline, pax headers and GNU long names are limited to 1 MiB (maxSpecialFileSize). Names
 * are made absolute with ".." taken out lexically, so that none leaves the layer even before
 * the chroot resolves it (Docker refuses "../x" with a breakoutError; tupper applies it at the
 * layer's root, as the chroot always has: test/e2e/images.bats holds that).
 * helper/fuzz/ feeds this reader hostile archives (make test-fuzz).
 */

#define BLOCK 512
#define MAX_XATTRS 64
#define MAX_SPECIAL_SIZE (1 << 20)                     /* a pax header or a GNU long name */
#define MAX_ENTRY_SIZE (INT64_MAX - (BLOCK - 1))        /* so that padded() cannot wrap */
#define MAX_ID 0xfffffffeULL                            /* (uid_t)-1 means "unchanged" to lchown */
#define MAX_XATTR_NAME 255                              /* XATTR_NAME_MAX */
#define MAX_XATTR_VALUE 65536                           /* XATTR_SIZE_MAX */

struct xattr {
  char *name, *value;
  size_t size;
};

/* One archive entry, its header merged with the pax or GNU headers that came before it. Every
   pointer is owned by the entry and freed by tar_entry_clear (the fuzz target calls it after a
   die() too). */
struct tar_entry {
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
  char *long_name, *long_link;                /* GNU L and K headers, for the entry after them */
  char *special;                              /* the pax header being parsed */
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

struct tar_entry *tar_entry_new(void) {
  struct tar_entry *e = xmalloc(sizeof *e);
  *e = (struct tar_entry){0};
  return e;
}

void tar_entry_clear(struct tar_entry *e) {
  free(e->path);
  free(e->link);
  for (int i = 0; i < e->n_xattrs; i++) free(e->xattrs[i].name), free(e->xattrs[i].value);
  free(e->long_name);
  free(e->long_link);
  free(e->special);
  *e = (struct tar_entry){0};
}

void tar_entry_free(struct tar_entry *e) {
  if (e == NULL) return;
  tar_entry_clear(e);
  free(e);
}

/* ---- reading ----------------------------------------------------------- */

static void read_exactly(int fd, void *buf, size_t size) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = read(fd, (char *)buf + got, size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die_errno("read the layer");
    if (n == 0) die("the layer ends in the middle of an entry (a truncated archive)");
    got += (size_t)n;
  }
}

/* SIZE rounded up to whole blocks; every size has been checked against MAX_ENTRY_SIZE. */
static unsigned long long padded(unsigned long long size) {
  if (size > MAX_ENTRY_SIZE) die("an entry of %llu bytes: more than a tar archive can hold", size);
  return (size + BLOCK - 1) / BLOCK * BLOCK;
}

/* The data of an entry that is held in memory (pax records, long names): E->special, with a
   NUL after its SIZE bytes. */
static char *read_special(int fd, struct tar_entry *e, unsigned long long size, const char *what) {
  if (size > MAX_SPECIAL_SIZE) die("a %s of %llu bytes (at most %d): the layer is not a sane archive", what, size, MAX_SPECIAL_SIZE);
  free(e->special);
  e->special = NULL;
  e->special = xmalloc((size_t)padded(size) + 1);
  read_exactly(fd, e->special, (size_t)padded(size));
  e->special[size] = '\0';
  return e->special;
}

static void skip_data(int fd, unsigned long long size) {
  char buf[64 * BLOCK];
  for (unsigned long long left = padded(size); left > 0;) {
    size_t n = left < sizeof buf ? (size_t)left : sizeof buf;
    read_exactly(fd, buf, n);
    left -= n;
  }
}

/*
 * A numeric header field WHAT of LEN bytes, at most MAX: octal digits between spaces and NULs
 * (empty is 0), or base-256 when the first byte's high bit is set (GNU; a negative one, bit 6
 * set too, is refused). Junk, overflow and values above MAX are refused.
 */
static unsigned long long header_number(const unsigned char *field, size_t len, const char *what, unsigned long long max) {
  unsigned long long value = 0;
  if (field[0] & 0x80) {
    if (field[0] & 0x40) die("a tar header with a negative %s", what);
    value = field[0] & 0x3f;
    for (size_t i = 1; i < len; i++) {
      if (value > (ULLONG_MAX >> 8)) die("a tar header whose %s overflows 64 bits", what);
      value = value << 8 | field[i];
    }
  } else {
    size_t start = 0, end = len;
    while (start < end && (field[start] == ' ' || field[start] == '\0')) start++;
    while (end > start && (field[end - 1] == ' ' || field[end - 1] == '\0')) end--;
    for (size_t i = start; i < end; i++) {
      if (field[i] < '0' || field[i] > '7') die("a tar header whose %s field is not an octal number", what);
      if (value > (ULLONG_MAX >> 3)) die("a tar header whose %s overflows 64 bits", what);
      value = value << 3 | (unsigned)(field[i] - '0');
    }
  }
  if (value > max) die("a tar header with %s %llu (at most %llu)", what, value, max);
  return value;
}

static bool checksum_ok(const unsigned char *h) {
  unsigned long long sum = 0;
  for (int i = 0; i < BLOCK; i++) sum += (i >= 148 && i < 156) ? ' ' : h[i];
  return sum == header_number(h + 148, 8, "checksum", ULLONG_MAX);
}

/* A decimal number of exactly LEN bytes of TEXT (not NUL-terminated), at most MAX: digits only,
   no sign, no space, no overflow (strtoull would skip a leading "\n" or "-" and stop at junk). */
static unsigned long long decimal(const char *text, size_t len, unsigned long long max, const char *what) {
  if (len == 0) die("a pax header with an empty %s", what);
  unsigned long long value = 0;
  for (size_t i = 0; i < len; i++) {
    if (text[i] < '0' || text[i] > '9') die("a pax header whose %s '%.*s' is not a decimal number", what, (int)(len > 32 ? 32 : len), text);
    unsigned digit = (unsigned)(text[i] - '0');
    if (value > (max - digit) / 10) die("a pax header whose %s is above %llu", what, max);
    value = value * 10 + digit;
  }
  return value;
}

/* A pax time: [-]SECONDS[.FRACTION] (POSIX pax, "mtime"). */
static struct timespec pax_time(const char *text, size_t len) {
  bool negative = len > 0 && text[0] == '-';
  if (negative) text++, len--;
  const char *dot = memchr(text, '.', len);
  size_t whole = dot != NULL ? (size_t)(dot - text) : len;
  struct timespec t = {.tv_sec = (time_t)decimal(text, whole, INT64_MAX, "mtime"), .tv_nsec = 0};
  if (dot != NULL) {
    size_t digits = len - whole - 1;
    if (digits == 0) die("a pax header whose mtime ends in '.'");
    long scale = 100000000;
    for (size_t i = 0; i < digits; i++) {
      char c = dot[1 + i];
      if (c < '0' || c > '9') die("a pax header whose mtime is not a decimal number");
      if (scale > 0) t.tv_nsec += (c - '0') * scale, scale /= 10; /* beyond nanoseconds: ignored */
    }
  }
  if (negative && t.tv_nsec > 0) t.tv_sec = -t.tv_sec - 1, t.tv_nsec = 1000000000 - t.tv_nsec;
  else if (negative) t.tv_sec = -t.tv_sec;
  return t;
}

/* A path or link name from a pax record or a GNU long name: 1 to PATH_MAX-1 bytes, no NUL. */
static char *name_value(const char *value, size_t len, const char *what) {
  if (len == 0) die("an empty %s", what);
  if (len >= PATH_MAX) die("a %s of %zu bytes (at most %d)", what, len, PATH_MAX - 1);
  if (memchr(value, '\0', len) != NULL) die("a %s with a NUL byte in it", what);
  return xstrndup(value, len);
}

static bool key_is(const char *key, size_t key_len, const char *name) {
  return key_len == strlen(name) && memcmp(key, name, key_len) == 0;
}

/* One pax record KEY=VALUE (neither NUL-terminated; VALUE may hold NULs only for xattrs). An
   empty value takes the key back, as POSIX says: the ustar field counts again. */
static void pax_record(struct tar_entry *e, const char *key, size_t key_len, const char *value, size_t value_len) {
  if (key_is(key, key_len, "path")) {
    char *path = value_len > 0 ? name_value(value, value_len, "pax path") : NULL;
    free(e->path);
    e->path = path;
  } else if (key_is(key, key_len, "linkpath")) {
    char *link = value_len > 0 ? name_value(value, value_len, "pax linkpath") : NULL;
    free(e->link);
    e->link = link;
  } else if (key_is(key, key_len, "size")) {
    e->pax_size = value_len > 0;
    if (e->pax_size) e->size = decimal(value, value_len, MAX_ENTRY_SIZE, "size");
  } else if (key_is(key, key_len, "uid")) {
    e->pax_uid = value_len > 0;
    if (e->pax_uid) e->uid = (uid_t)decimal(value, value_len, MAX_ID, "uid");
  } else if (key_is(key, key_len, "gid")) {
    e->pax_gid = value_len > 0;
    if (e->pax_gid) e->gid = (gid_t)decimal(value, value_len, MAX_ID, "gid");
  } else if (key_is(key, key_len, "mtime")) {
    e->pax_mtime = value_len > 0;
    if (e->pax_mtime) e->mtime = pax_time(value, value_len);
  } else if (key_len > 13 && memcmp(key, "SCHILY.xattr.", 13) == 0) {
    size_t name_len = key_len - 13;
    if (name_len > MAX_XATTR_NAME) die("a pax xattr name of %zu bytes (at most %d)", name_len, MAX_XATTR_NAME);
    if (value_len > MAX_XATTR_VALUE) die("a pax xattr value of %zu bytes (at most %d)", value_len, MAX_XATTR_VALUE);
    if (e->n_xattrs == MAX_XATTRS) die("more than %d xattrs on one entry", MAX_XATTRS);
    struct xattr *x = &e->xattrs[e->n_xattrs++];
    *x = (struct xattr){0};
    x->name = xstrndup(key + 13, name_len);
    x->value = xmalloc(value_len + 1);
    memcpy(x->value, value, value_len);
    x->size = value_len;
  } else if (key_len > 11 && memcmp(key, "GNU.sparse.", 11) == 0) {
    die("a pax header of a sparse file (GNU.sparse), which tupper does not extract");
  }
  /* anything else (atime, uname, comment, ...): nothing tupper keeps depends on it */
}

/* pax records "LEN key=value\n" for the next entry (type x), DATA holding SIZE bytes. */
static void apply_pax(struct tar_entry *e, const char *data, size_t size) {
  for (size_t pos = 0; pos < size;) {
    const char *record = data + pos;
    size_t left = size - pos, digits = 0;
    while (digits < left && record[digits] >= '0' && record[digits] <= '9') digits++;
    if (digits == 0 || digits == left || record[digits] != ' ') die("a malformed pax header record: no decimal length and space at its start");
    size_t len = (size_t)decimal(record, digits, MAX_SPECIAL_SIZE, "record length");
    if (len > left) die("a malformed pax header record: its length %zu runs past the end of the header (%zu bytes left)", len, left);
    /* at least "LEN k=\n" */
    if (len < digits + 4) die("a malformed pax header record: its length %zu is too short for a record", len);
    if (record[len - 1] != '\n') die("a malformed pax header record: it does not end in a newline");
    const char *key = record + digits + 1;
    size_t body = len - digits - 2; /* key=value */
    const char *eq = memchr(key, '=', body);
    if (eq == NULL || eq == key) die("a malformed pax header record: no key=value");
    size_t key_len = (size_t)(eq - key);
    if (memchr(key, '\0', key_len) != NULL) die("a pax header record with a NUL byte in its key");
    pax_record(e, key, key_len, eq + 1, body - key_len - 1);
    pos += len;
  }
}

/* A GNU long name (L) or link (K): the name, then NULs only. */
static char *long_name(const char *data, size_t size, const char *what) {
  size_t len = strnlen(data, size);
  for (size_t i = len; i < size; i++)
    if (data[i] != '\0') die("a %s with a NUL byte in it", what);
  return name_value(data, len, what);
}

/* "/a/b" from an archive name ("./a/b/", "a//b", "/a/b", "../../a/b"): absolute, no "." or
   "..", no trailing slash. ".." takes out the component before it and stops at the root, as
   Go's filepath.Clean("/" + name) does and as the chroot would resolve it. */
static char *clean_path(const char *name) {
  char *out = xmalloc(strlen(name) + 2);
  size_t len = 0;
  for (const char *p = name; *p != '\0';) {
    while (*p == '/') p++;
    const char *end = strchrnul(p, '/');
    size_t n = (size_t)(end - p);
    if (n == 2 && p[0] == '.' && p[1] == '.') {
      while (len > 0 && out[len - 1] != '/') len--;
      if (len > 0) len--; /* the slash before it */
    } else if (n > 0 && !(n == 1 && p[0] == '.')) {
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

/*
 * Reads the next entry's headers from FD into *E (false at the end of the archive). Pax and GNU
 * long-name headers only carry over to the entry after them.
 */
bool tar_next(int fd, struct tar_entry *e) {
  unsigned char h[BLOCK];
  tar_entry_clear(e);
  for (;;) {
    read_exactly(fd, h, BLOCK);
    bool zero = true;
    for (int i = 0; i < BLOCK && zero; i++) zero = h[i] == 0;
    if (zero) return false;
    if (!checksum_ok(h)) die("a tar header with a bad checksum: the layer is not a tar archive, or is corrupt");
    char type = (char)h[156];
    unsigned long long size = header_number(h + 124, 12, "size", MAX_ENTRY_SIZE);
    if (type == 'x') {
      const char *data = read_special(fd, e, size, "pax header");
      apply_pax(e, data, (size_t)size);
      free(e->special);
      e->special = NULL;
      continue;
    }
    if (type == 'g') { /* global pax header: nothing tupper keeps depends on it */
      skip_data(fd, size);
      continue;
    }
    if (type == 'L' || type == 'K') {
      const char *data = read_special(fd, e, size, type == 'L' ? "GNU long name" : "GNU long link name");
      char **slot = type == 'L' ? &e->long_name : &e->long_link;
      char *name = long_name(data, (size_t)size, type == 'L' ? "GNU long name" : "GNU long link name");
      free(*slot);
      *slot = name;
      free(e->special);
      e->special = NULL;
      continue;
    }
    e->type = type == '\0' || type == '7' ? '0' : type;
    if (e->path == NULL && e->long_name != NULL) e->path = e->long_name, e->long_name = NULL;
    if (e->path == NULL) {
      /* POSIX ustar ("ustar\0"): prefix "/" name, each field NUL-terminated unless it is full;
         GNU's "ustar  " keeps other things where the prefix would be */
      char name[155 + 1 + 100 + 1] = "";
      if (memcmp(h + 257, "ustar\0", 6) == 0 && h[345] != '\0') {
        snprintf(name, sizeof name, "%.155s/%.100s", (const char *)h + 345, (const char *)h);
      } else snprintf(name, sizeof name, "%.100s", (const char *)h);
      if (name[0] == '\0') die("a tar entry without a name");
      e->path = xstrdup(name);
    }
    if (e->link == NULL && e->long_link != NULL) e->link = e->long_link, e->long_link = NULL;
    if (e->link == NULL) e->link = xstrndup((const char *)h + 157, 100);
    char *raw = e->path;
    e->path = clean_path(raw);
    free(raw);
    if (!e->pax_size) e->size = size;
    e->mode = (mode_t)header_number(h + 100, 8, "mode", ULLONG_MAX) & 07777;
    if (!e->pax_uid) e->uid = (uid_t)header_number(h + 108, 8, "uid", MAX_ID);
    if (!e->pax_gid) e->gid = (gid_t)header_number(h + 116, 8, "gid", MAX_ID);
    if (!e->pax_mtime) e->mtime.tv_sec = (time_t)header_number(h + 136, 12, "mtime", INT64_MAX);
    /* device numbers only where they mean something: other writers leave junk there */
    if (e->type == '3' || e->type == '4')
      e->device = makedev(header_number(h + 329, 8, "device major", 0xfffff), header_number(h + 337, 8, "device minor", 0xfffff));
    return true;
  }
}

/*
 * A whiteout entry (`.wh.NAME`): true, with *TARGET set to what it deletes (NULL: the opaque
 * marker of its directory *DIR). Both are for the caller to free.
 */
static bool whiteout_of(const struct tar_entry *e, char **dir, char **target) {
  const char *base = strrchr(e->path, '/') + 1;
  if (strncmp(base, ".wh.", 4) != 0) return false;
  const char *name = base + 4;
  *dir = xstrndup(e->path, (size_t)(base - e->path) > 1 ? (size_t)(base - e->path) - 1 : 1);
  *target = NULL;
  if (strcmp(base, ".wh..wh..opq") == 0) return true;
  /* clean_path refused "..": `.wh..` would name the directory above, `.wh.` and `.wh..` this one */
  if (name[0] == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
    free(*dir);
    die("%s is a whiteout of no file", e->path);
  }
  *target = strcmp(*dir, "/") == 0 ? xasprintf("/%s", name) : xasprintf("%s/%s", *dir, name);
  return true;
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
  char *parent = xstrdup(path);
  char *slash = strrchr(parent, '/');
  if (slash == parent) slash[1] = '\0';
  else *slash = '\0';
  return parent;
}

/* mkdir -p DIR (a layer may leave out the directories above an entry). */
static void make_directories(const char *dir) {
  char *path = xstrdup(dir);
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
    made->paths = xreallocarray(made->paths, made->cap, sizeof *made->paths);
  }
  made->paths[made->n++] = xstrdup(path);
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

static void copy_data(int in, int fd, const char *path, unsigned long long size) {
  char buf[64 * BLOCK];
  unsigned long long left = padded(size), data_left = size;
  while (left > 0) {
    size_t n = left < sizeof buf ? (size_t)left : sizeof buf;
    read_exactly(in, buf, n);
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
static void set_metadata(const struct tar_entry *e) {
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

static void remember_time(struct directory_times *times, const struct tar_entry *e) {
  if (times->n == times->cap) {
    times->cap = times->cap ? times->cap * 2 : 64;
    times->dirs = xreallocarray(times->dirs, times->cap, sizeof *times->dirs);
  }
  times->dirs[times->n++] = (struct directory_time){xstrdup(e->path), e->mtime};
}

static void write_entry(int in, struct tar_entry *e, bool overlay, struct made *made, struct directory_times *times) {
  char *dir, *target;
  if (whiteout_of(e, &dir, &target)) {
    if (target == NULL) make_opaque(dir, overlay, made);
    else whiteout(target, overlay);
    free(dir);
    free(target);
    skip_data(in, e->size);
    return;
  }
  /* "./" as a file, a link or a device: making room for it would remove the whole layer's
     directory (the lower layers' files with it) */
  if (strcmp(e->path, "/") == 0 && e->type != '5') die("a tar entry of type '%c' for the root directory", e->type);
  unsigned long long data = 0;
  switch (e->type) {
    case '0': {
      clear_place(e->path, false);
      int fd = open(e->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0) die_errno("create %s", e->path);
      copy_data(in, fd, e->path, e->size);
      if (close(fd) < 0) die_errno("close %s", e->path);
      break;
    }
    case '1': {
      char *target = clean_path(e->link);
      clear_place(e->path, false);
      if (link(target, e->path) < 0) die_errno("hard-link %s to %s", e->path, target);
      free(target);
      remember(made, e->path);
      skip_data(in, e->size);
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
  skip_data(in, data);
  set_metadata(e);
  remember(made, e->path);
}

void untar_scan(int in, struct tar_entry *e, int out) {
  char *dir, *target;
  while (tar_next(in, e)) {
    if (whiteout_of(e, &dir, &target)) {
      free(dir);
      free(target);
      skip_data(in, e->size);
    } else if (e->type == '0') {
      if (ftruncate(out, 0) < 0 || lseek(out, 0, SEEK_SET) < 0) die_errno("truncate the output file");
      copy_data(in, out, e->path, e->size);
    } else {
      skip_data(in, e->size);
    }
  }
  tar_entry_clear(e);
}

void untar_layer(const char *dir, bool overlay_whiteouts) {
  if (chroot(dir) < 0) die_errno("chroot %s", dir);
  if (chdir("/") < 0) die_errno("chdir / in %s", dir);
  umask(0);
  struct made made = {0};
  struct directory_times times = {0};
  struct tar_entry *e = tar_entry_new();
  while (tar_next(STDIN_FILENO, e)) write_entry(STDIN_FILENO, e, overlay_whiteouts, &made, &times);
  for (size_t i = times.n; i-- > 0;) {
    struct timespec both[2] = {times.dirs[i].mtime, times.dirs[i].mtime};
    if (utimensat(AT_FDCWD, times.dirs[i].path, both, AT_SYMLINK_NOFOLLOW) < 0) die_errno("set the time of %s", times.dirs[i].path);
  }
  exit(0);
}
