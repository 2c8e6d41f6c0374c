/*
 * The supervisor of a foreground `run --rm` removes the container's directories when the
 * workload has ended (--remove-tree), which saves the script a process for rm -rf. What it
 * removes was written by the container: any names, symlinks to anywhere on the host, device
 * nodes, deep trees. So, as rm -rf --one-file-system: a symlink is unlinked, never followed
 * (each directory is opened below its parent's descriptor with O_NOFOLLOW, never by a path);
 * a directory of another filesystem (a mount point) is left; nothing is read but names.
 * Deeper than REMOVE_DEPTH levels (a descriptor and a directory stream each) the rest is
 * left to the script's rm, which walks any depth; so is what is left at the deadline (a
 * workload may leave millions of files, or an accomplice outside keep adding some through a
 * descriptor passed out) or once a signal to stop is pending (^C, a stop): the supervisor
 * must not hold up run's end. Nothing here is fatal: what is left, the script removes.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remove.h"

static const struct timespec *deadline;
static unsigned long entries;

/* Whether the removal has run out of time, or a signal asks this process to end (checked
   every 256 entries: two system calls). */
static bool removal_stopped(void) {
  if (++entries % 256 != 0) return false;
  struct timespec now;
  sigset_t pending;
  if (clock_gettime(CLOCK_MONOTONIC, &now) < 0 || sigpending(&pending) < 0) return true;
  if (now.tv_sec > deadline->tv_sec || (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec)) return true;
  return sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGHUP) == 1 ||
         sigismember(&pending, SIGQUIT) == 1;
}

/* Removes NAME in the directory PARENT (a descriptor, or AT_FDCWD), on device DEV. */
static bool remove_at(int parent, const char *name, dev_t dev, int depth) {
  if (removal_stopped()) return false;
  if (unlinkat(parent, name, 0) == 0 || errno == ENOENT) return true;
  if (errno != EISDIR || depth == REMOVE_DEPTH) return false;
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st;
  if (fstat(fd, &st) < 0 || st.st_dev != dev) {
    close(fd);
    return false;
  }
  DIR *dir = fdopendir(fd);
  if (dir == NULL) {
    close(fd);
    return false;
  }
  /* A pass removes what readdir gives; entries removed meanwhile may hide others from it,
     so a directory still not empty gets a few more passes. */
  bool removed = false;
  for (int pass = 0; pass < 4 && !removed; pass++) {
    bool all = true;
    struct dirent *entry;
    rewinddir(dir);
    while ((errno = 0, entry = readdir(dir)) != NULL) {
      if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
      if (!remove_at(dirfd(dir), entry->d_name, dev, depth + 1)) {
        all = false;
        break;
      }
    }
    if (errno != 0 || !all) break;
    removed = unlinkat(parent, name, AT_REMOVEDIR) == 0;
    if (!removed && errno != ENOTEMPTY) break;
  }
  closedir(dir);
  return removed;
}

bool tree_remove(const char *path, const struct timespec *until) {
  struct stat st;
  deadline = until;
  if (lstat(path, &st) < 0) return errno == ENOENT;
  return remove_at(AT_FDCWD, path, st.st_dev, 0);
}
